import { createWasmBackend, Matrix, Rng, setBackend, type DType, type KernelBackend } from "@backprop/linalg";
import { adam, sgd } from "@backprop/optimizers";
import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Dense } from "../dense.js";
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

  it("applies plain SGD inside the backend (the optimizer records the steps), other rules through the optimizer", () => {
    restore = setBackend(wasmDefault);
    const x = new Matrix(64, 32, "float32");
    new Rng(4).fillUniform(x, -1, 1);
    const y = new Matrix(64, 4, "float32");
    new Rng(5).fillUniform(y, 0, 1);
    for (const [optimizer, stepped] of [
      [sgd({ lr: 0.1 }), false],
      [sgd({ lr: 0.1, momentum: 0.5 }), true],
    ] as const) {
      const model = new Sequential([new Dense({ units: 32, inputDim: 32, activation: "relu" }), new Dense({ units: 4 })], { dtype: "float32", seed: 1 });
      model.compile({ loss: "meanSquaredError", optimizer });
      const step = vi.spyOn(optimizer, "step");
      model.fit(x, y, { epochs: 2, batchSize: 16, shuffle: true });
      expect(step.mock.calls.length > 0).toBe(stepped);
      expect(optimizer.iterations).toBe(8);
    }
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
