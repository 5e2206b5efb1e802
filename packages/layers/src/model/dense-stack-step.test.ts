import { createWasmBackend, Matrix, Rng, setBackend, Tensor, type DType, type KernelBackend } from "@backprop/linalg";
import { adam, exponentialDecay, rmsprop, sgd, type Optimizer } from "@backprop/optimizers";
import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Dense } from "../dense.js";
import { Flatten } from "../flatten.js";
import { Normalization } from "../normalization.js";
import { denseStackStep } from "./dense-stack-step.js";
import { Sequential } from "./sequential.js";
import { paramBits, randomData } from "./step.test-util.js";

// The fused Dense-stack step (the wasm backend's denseStack) must give the bits of the step
// through the layers on the same backend: the same kernels, called with the same arguments.
const wasmAll = createWasmBackend({ minWork: 0 });
const wasmDefault = createWasmBackend();
const wasmUnfused = createWasmBackend({ relaxed: false, minWork: 0 });

let restore: KernelBackend | undefined;
afterEach(() => {
  if (restore) setBackend(restore);
  restore = undefined;
  vi.restoreAllMocks();
});

const HIDDEN = ["relu", "identity"] as const;
const OUTPUT = ["softmax", "sigmoid", "identity", "relu", "tanh"] as const;
// The losses that suit each output (cross-entropy needs probabilities).
const LOSSES: Record<(typeof OUTPUT)[number], readonly string[]> = {
  softmax: ["categoricalCrossentropy", "meanSquaredError"],
  sigmoid: ["binaryCrossentropy", "meanSquaredError"],
  identity: ["meanSquaredError", "huber"],
  relu: ["meanSquaredError", "meanAbsoluteError"],
  tanh: ["meanSquaredError", "huber"],
};

interface Spec {
  readonly dtype: DType;
  readonly backend: 0 | 1 | 2;
  readonly inputs: number;
  readonly hidden: readonly { units: number; act: number; useBias: boolean; trainableBias: boolean; frozen: boolean }[];
  readonly outputs: number;
  readonly outAct: number;
  readonly loss: number;
  readonly optimizer: "sgd" | "momentum" | "adam" | "amsgrad";
  readonly samples: number;
  readonly batchSize: number;
  readonly seed: number;
}

const BACKENDS = [wasmAll, wasmDefault, wasmUnfused] as const;

function build(spec: Spec, strategies: boolean): Sequential {
  const layers = spec.hidden.map(
    (h, i) =>
      new Dense({
        units: h.units,
        activation: HIDDEN[h.act % HIDDEN.length],
        useBias: h.useBias,
        trainableBias: h.trainableBias,
        ...(i === 0 ? { inputDim: spec.inputs } : {}),
      }),
  );
  layers.push(
    new Dense({
      units: spec.outputs,
      activation: OUTPUT[spec.outAct % OUTPUT.length],
      ...(layers.length === 0 ? { inputDim: spec.inputs } : {}),
    }),
  );
  const model = new Sequential(layers, { dtype: spec.dtype, seed: spec.seed, ...(strategies ? {} : { stepStrategies: [] }) });
  const optimizer =
    spec.optimizer === "sgd"
      ? sgd({ lr: 0.2, weightDecay: 0.01 })
      : spec.optimizer === "momentum"
        ? sgd({ lr: 0.1, momentum: 0.9, nesterov: true })
        : adam({ lr: 0.02, amsgrad: spec.optimizer === "amsgrad" });
  const losses = LOSSES[OUTPUT[spec.outAct % OUTPUT.length] as (typeof OUTPUT)[number]];
  model.compile({ loss: losses[spec.loss % losses.length] as string, optimizer, metrics: ["mae"] });
  model.build();
  spec.hidden.forEach((h, i) => {
    if (h.frozen) (model.layers[i] as Dense).kernel.trainable = false;
  });
  return model;
}



function train(spec: Spec, strategies: boolean): { model: Sequential; loss: number[]; forwards: number } {
  const previous = setBackend(BACKENDS[spec.backend]);
  try {
    const model = build(spec, strategies);
    const { x, y } = randomData(spec);
    const forward = vi.spyOn(Dense.prototype, "forward");
    const history = model.fit(x, y, { epochs: 3, batchSize: spec.batchSize, shuffle: true });
    const forwards = forward.mock.calls.length;
    forward.mockRestore();
    return { model, loss: history.history["loss"] as number[], forwards };
  } finally {
    setBackend(previous);
  }
}

const specs: fc.Arbitrary<Spec> = fc.record({
  dtype: fc.constantFrom<DType>("float32", "float64"),
  backend: fc.constantFrom<0 | 1 | 2>(0, 1, 2),
  inputs: fc.integer({ min: 6, max: 40 }),
  hidden: fc.array(
    fc.record({
      units: fc.integer({ min: 6, max: 40 }),
      act: fc.nat(),
      useBias: fc.boolean(),
      trainableBias: fc.boolean(),
      frozen: fc.integer({ min: 0, max: 3 }).map((v) => v === 0),
    }),
    { maxLength: 3 },
  ),
  outputs: fc.integer({ min: 2, max: 7 }),
  outAct: fc.nat(),
  loss: fc.nat(),
  optimizer: fc.constantFrom("sgd", "momentum", "adam", "amsgrad"),
  samples: fc.integer({ min: 9, max: 60 }),
  batchSize: fc.integer({ min: 8, max: 32 }),
  seed: fc.integer({ min: 0, max: 1000 }),
});

describe("the fused Dense-stack step", () => {
  it("gives the bits of the step through the layers (random stacks, activations, losses, optimizers, dtypes, frozen parameters)", () => {
    let fusedRuns = 0;
    fc.assert(
      fc.property(specs, (spec) => {
        const fused = train(spec, true);
        const layered = train(spec, false);
        expect(layered.forwards).toBeGreaterThan(0);
        if (fused.forwards === 0) fusedRuns++;
        expect(fused.loss).toEqual(layered.loss);
        expect(paramBits(fused.model)).toEqual(paramBits(layered.model));
        expect(fused.model.optimizer?.stateDict()).toEqual(layered.model.optimizer?.stateDict());
      }),
      { numRuns: 120, seed: 20261203 },
    );
    // Most runs really took the fused path (the default backend declines the smallest products).
    expect(fusedRuns).toBeGreaterThan(60);
  });

  it("takes the W1 shape (784-128-10, ReLU, softmax, batch 64) on the default wasm backend, with the same bits", () => {
    const spec: Spec = {
      dtype: "float32",
      backend: 1,
      inputs: 784,
      hidden: [{ units: 128, act: 0, useBias: true, trainableBias: true, frozen: false }],
      outputs: 10,
      outAct: 0,
      loss: 0,
      optimizer: "sgd",
      samples: 192,
      batchSize: 64,
      seed: 7,
    };
    const fused = train(spec, true);
    const layered = train(spec, false);
    expect(fused.forwards).toBe(0);
    expect(fused.loss).toEqual(layered.loss);
    expect(paramBits(fused.model)).toEqual(paramBits(layered.model));
  });

  it("applies SGD, momentum and Adam inside the backend (the optimizer records the steps), other rules and clipping through the optimizer", () => {
    restore = setBackend(wasmDefault);
    const cases: [DType, () => Optimizer, boolean][] = [
      ["float32", () => sgd({ lr: 0.1 }), false],
      ["float32", () => sgd({ lr: 0.1, momentum: 0.5, nesterov: true }), false],
      ["float32", () => adam({ lr: 0.01 }), false],
      ["float32", () => adam({ lr: 0.01, amsgrad: true, weightDecay: 0.01 }), false],
      ["float32", () => adam({ lr: exponentialDecay({ initial: 0.01, gamma: 0.5, decaySteps: 2 }) }), false],
      ["float64", () => sgd({ lr: 0.1, weightDecay: 0.01 }), false],
      // The backend's momentum and Adam kernels are float32 only.
      ["float64", () => adam({ lr: 0.01 }), true],
      ["float32", () => adam({ lr: 0.01, clipNorm: 1 }), true],
      ["float32", () => rmsprop({ lr: 0.01 }), true],
    ];
    for (const [dtype, make, stepped] of cases) {
      const x = new Matrix(64, 32, dtype);
      new Rng(4).fillUniform(x, -1, 1);
      const y = new Matrix(64, 4, dtype);
      new Rng(5).fillUniform(y, 0, 1);
      const run = (strategies: boolean) => {
        const optimizer = make();
        const model = new Sequential([new Dense({ units: 32, inputDim: 32, activation: "relu" }), new Dense({ units: 4 })], {
          dtype,
          seed: 1,
          ...(strategies ? {} : { stepStrategies: [] }),
        });
        model.compile({ loss: "meanSquaredError", optimizer });
        const step = vi.spyOn(optimizer, "step");
        model.fit(x, y, { epochs: 2, batchSize: 16, shuffle: true });
        const calls = step.mock.calls.length;
        step.mockRestore();
        return { model, optimizer, calls };
      };
      const fused = run(true);
      const layered = run(false);
      expect(fused.calls > 0).toBe(stepped);
      expect(fused.optimizer.iterations).toBe(8);
      expect(paramBits(fused.model)).toEqual(paramBits(layered.model));
      expect(fused.optimizer.stateDict()).toEqual(layered.optimizer.stateDict());
    }
  });

  it("keeps Adam's moments in the backend between steps and hands them back whenever the optimizer needs them", () => {
    restore = setBackend(wasmDefault);
    const x = new Matrix(50, 24, "float32");
    new Rng(6).fillUniform(x, -1, 1);
    const y = new Matrix(50, 3, "float32");
    new Rng(7).fillUniform(y, 0, 1);
    const run = (strategies: boolean) => {
      const optimizer = adam({ lr: 0.01, amsgrad: true });
      const model = new Sequential([new Dense({ units: 24, inputDim: 24, activation: "relu" }), new Dense({ units: 3, activation: "softmax" })], {
        dtype: "float32",
        seed: 3,
        ...(strategies ? {} : { stepStrategies: [] }),
      });
      model.compile({ loss: "categoricalCrossentropy", optimizer });
      const states: unknown[] = [];
      // Two batch sizes (16 and the last 2): two stacks take turns holding the moments.
      model.fit(x, y, { epochs: 2, batchSize: 16, shuffle: true });
      states.push(optimizer.stateDict());
      model.fit(x, y, { epochs: 1, batchSize: 16, shuffle: true });
      // A step through the layers in between (traceStep), then a state from elsewhere.
      model.traceStep(x.batchSlice(0, 16), y.batchSlice(0, 16));
      states.push(optimizer.stateDict());
      const other = new Sequential([new Dense({ units: 24, inputDim: 24, activation: "relu" }), new Dense({ units: 3, activation: "softmax" })], {
        dtype: "float32",
        seed: 9,
      });
      other.compile({ loss: "categoricalCrossentropy", optimizer: adam({ lr: 0.01, amsgrad: true }) });
      other.fit(x, y, { epochs: 1, batchSize: 25 });
      optimizer.loadStateDict((other.optimizer as Optimizer).stateDict());
      model.fit(x, y, { epochs: 2, batchSize: 16, shuffle: true });
      states.push(optimizer.stateDict());
      return { model, states };
    };
    const fused = run(true);
    const layered = run(false);
    expect(fused.states).toEqual(layered.states);
    expect(paramBits(fused.model)).toEqual(paramBits(layered.model));
  });

  it("runs a Normalization or Flatten before the first Dense layer on its own and the Dense layers fused, with the same bits", () => {
    restore = setBackend(wasmDefault);
    const x = new Tensor([40, 4, 6], "float32");
    new Rng(8).fillUniform(x, 0, 255);
    const y = new Matrix(40, 3, "float32");
    new Rng(9).fillUniform(y, 0, 1);
    const build = (strategies: boolean, frozen: boolean) => {
      const normalization = new Normalization();
      normalization.adapt(x.reshape([40, 24]));
      const model = new Sequential(
        [new Flatten({ inputShape: [4, 6] }), normalization, new Dense({ units: 16, activation: "relu" }), new Dense({ units: 3, activation: "softmax" })],
        { dtype: "float32", seed: 2, ...(strategies ? {} : { stepStrategies: [] }) },
      );
      model.compile({ loss: "categoricalCrossentropy", optimizer: adam({ lr: 0.01 }) });
      model.build();
      if (!frozen) for (const p of normalization.params()) p.trainable = true;
      return model;
    };
    const fit = (model: Sequential) => {
      const forward = vi.spyOn(Dense.prototype, "forward");
      const loss = model.fit(x, y, { epochs: 2, batchSize: 8, shuffle: true }).history["loss"];
      const calls = forward.mock.calls.length;
      forward.mockRestore();
      return { loss, calls };
    };
    const fusedModel = build(true, true);
    const layeredModel = build(false, true);
    const fused = fit(fusedModel);
    const layered = fit(layeredModel);
    expect(fused.calls).toBe(0);
    expect(layered.calls).toBeGreaterThan(0);
    expect(fused.loss).toEqual(layered.loss);
    expect(paramBits(fusedModel)).toEqual(paramBits(layeredModel));
    // A statistic made trainable is trained through the layers.
    expect(fit(build(true, false)).calls).toBeGreaterThan(0);
  });

  it("declines what it cannot fuse: a sigmoid hidden layer, regularizers, products below minWork, the TypeScript backend", () => {
    restore = setBackend(wasmDefault);
    const plan = (layers: Dense[], batch: number) => {
      const model = new Sequential(layers, { dtype: "float32", seed: 1 });
      model.compile({ loss: "meanSquaredError", optimizer: sgd({ lr: 0.1 }) });
      model.build();
      return denseStackStep.passesFor(
        { layers: model.layers, dtype: "float32", inputShape: [layers[0]?.kernel.value.rows ?? 0], params: () => model.params() },
        { name: "meanSquaredError" } as never,
        batch,
      );
    };
    expect(plan([new Dense({ units: 32, inputDim: 32, activation: "relu" }), new Dense({ units: 4 })], 16)).toBeDefined();
    expect(plan([new Dense({ units: 32, inputDim: 32, activation: "sigmoid" }), new Dense({ units: 4 })], 16)).toBeUndefined();
    expect(plan([new Dense({ units: 32, inputDim: 32, kernelRegularizer: { l2: 0.01 } }), new Dense({ units: 4 })], 16)).toBeUndefined();
    // 2·3·2 = 12 multiply-adds: the backend's gemm would run it in TypeScript.
    expect(plan([new Dense({ units: 2, inputDim: 3 })], 2)).toBeUndefined();
  });

  it("names a gradient that overflows float32 while the loss is still finite, as the layer path does", () => {
    const messages: string[] = [];
    for (const strategies of [true, false]) {
      restore = setBackend(wasmAll);
      const m = new Sequential([new Dense({ units: 1, inputDim: 1, weights: { kernel: [[1]], bias: [0] } })], {
        dtype: "float32",
        ...(strategies ? { stepStrategies: [denseStackStep] } : { stepStrategies: [] }),
      });
      m.compile({ loss: "meanSquaredError", optimizer: sgd({ lr: 0.1 }) });
      const forward = vi.spyOn(Dense.prototype, "forward");
      const error = (() => {
        try {
          m.fit(Matrix.fromArray([[1e30]], "float32"), Matrix.fromArray([[0]], "float32"), { epochs: 1, batchSize: 1 });
        } catch (e) {
          return e as Error;
        }
        return undefined;
      })();
      expect(forward.mock.calls.length > 0).toBe(!strategies);
      forward.mockRestore();
      setBackend(restore);
      restore = undefined;
      expect(error?.message).toMatch(/the gradient of layers\.0\.kernel is not finite/);
      messages.push(error?.message ?? "");
    }
    expect(messages[0]).toBe(messages[1]);
  });
});
