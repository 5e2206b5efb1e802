import { createWasmBackend, Matrix, setBackend, type DType, type KernelBackend } from "@backprop/linalg";
import { adam, sgd } from "@backprop/optimizers";
import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Dense } from "../dense.js";
import { denseEpochsStep } from "./dense-epochs-step.js";
import { denseStackStep } from "./dense-stack-step.js";
import { Sequential } from "./sequential.js";
import { paramBits, randomData } from "./step.test-util.js";
import { fusedSmallNetStep } from "./small-net-step.js";
import { TrainingStep } from "./train-step.js";

// Whole epochs in one WASM call must give the bits of as many ordinary steps on the same backend:
// weights, the loss history, the optimizer's state and the model's step count.
const BACKENDS: readonly KernelBackend[] = [createWasmBackend(), createWasmBackend({ minWork: 0 }), createWasmBackend({ relaxed: false })];

afterEach(() => {
  vi.restoreAllMocks();
});

const HIDDEN = ["identity", "relu", "sigmoid", "tanh"] as const;
// Each output with the losses that suit it (cross-entropy needs probabilities).
const OUTPUTS = [
  ["sigmoid", "meanSquaredError"],
  ["softmax", "categoricalCrossentropy"],
  ["softmax", "meanSquaredError"],
  ["identity", "meanSquaredError"],
  ["tanh", "meanSquaredError"],
  ["relu", "meanSquaredError"],
] as const;

interface Spec {
  readonly dtype: DType;
  readonly backend: number;
  readonly inputs: number;
  readonly hidden: readonly { units: number; act: number; useBias: boolean }[];
  readonly outputs: number;
  readonly output: number;
  readonly samples: number;
  readonly epochs: number;
  readonly lr: number;
  readonly weightDecay: number;
  readonly seed: number;
}

function build(spec: Spec, strategies: "all" | "steps" | "none"): Sequential {
  const layers = spec.hidden.map(
    (h, i) =>
      new Dense({ units: h.units, activation: HIDDEN[h.act % HIDDEN.length], useBias: h.useBias, ...(i === 0 ? { inputDim: spec.inputs } : {}) }),
  );
  const [activation, loss] = OUTPUTS[spec.output % OUTPUTS.length] as (typeof OUTPUTS)[number];
  layers.push(new Dense({ units: spec.outputs, activation, ...(layers.length === 0 ? { inputDim: spec.inputs } : {}) }));
  const stepStrategies = strategies === "all" ? undefined : strategies === "steps" ? [fusedSmallNetStep, denseStackStep] : [];
  const model = new Sequential(layers, { dtype: spec.dtype, seed: spec.seed, ...(stepStrategies ? { stepStrategies } : {}) });
  model.compile({ loss, optimizer: sgd({ lr: spec.lr, weightDecay: spec.weightDecay }) });
  return model;
}



function train(spec: Spec, strategies: "all" | "steps" | "none") {
  const previous = setBackend(BACKENDS[spec.backend % BACKENDS.length] as KernelBackend);
  try {
    const model = build(spec, strategies);
    const { x, y } = randomData(spec);
    const steps = vi.spyOn(TrainingStep.prototype, "run");
    const history = model.fit(x, y, { epochs: spec.epochs, batchSize: spec.samples, shuffle: false });
    const stepCalls = steps.mock.calls.length;
    steps.mockRestore();
    const prediction = model.predict(x).data.slice();
    return { model, history, stepCalls, prediction };
  } finally {
    setBackend(previous);
  }
}

const specs: fc.Arbitrary<Spec> = fc.record({
  dtype: fc.constantFrom<DType>("float32", "float64"),
  backend: fc.nat(),
  inputs: fc.integer({ min: 1, max: 5 }),
  hidden: fc.array(fc.record({ units: fc.integer({ min: 1, max: 9 }), act: fc.nat(), useBias: fc.boolean() }), { maxLength: 2 }),
  outputs: fc.integer({ min: 1, max: 4 }),
  output: fc.nat(),
  samples: fc.integer({ min: 1, max: 70 }),
  epochs: fc.integer({ min: 1, max: 25 }),
  lr: fc.double({ min: 0.01, max: 1, noNaN: true }),
  weightDecay: fc.constantFrom(0, 0.001),
  seed: fc.integer({ min: 0, max: 1000 }),
});

describe("whole epochs in one WASM call (denseEpochsStep)", () => {
  it("give the bits of as many steps: weights, gradients, losses, optimizer state (random nets, losses, dtypes, backends)", () => {
    fc.assert(
      fc.property(specs, (spec) => {
        const whole = train(spec, "all");
        const steps = train(spec, "steps");
        const layered = train(spec, "none");
        // float32 epochs really ran in one call (float64 ones step: the loop is float32 only), and
        // the references really stepped.
        expect(whole.stepCalls).toBe(spec.dtype === "float32" ? 0 : spec.epochs);
        expect(steps.stepCalls).toBe(spec.epochs);
        expect(whole.history).toEqual(steps.history);
        expect(paramBits(whole.model, true)).toEqual(paramBits(steps.model, true));
        expect(paramBits(whole.model, true)).toEqual(paramBits(layered.model, true));
        expect(whole.model.optimizer?.stateDict()).toEqual(steps.model.optimizer?.stateDict());
        expect(whole.model.optimizer?.iterations).toBe(spec.epochs);
        expect(whole.prediction).toEqual(steps.prediction);
      }),
      { numRuns: 150, seed: 20261203 },
    );
  });

  it("trains XOR and Iris-sized nets as the bench does, with the same history as the step", () => {
    const xor = { x: Matrix.fromArray([[0, 0], [0, 1], [1, 0], [1, 1]], "float32"), y: Matrix.fromArray([[0], [1], [1], [0]], "float32") };
    for (const strategies of ["all", "steps"] as const) {
      const previous = setBackend(BACKENDS[0] as KernelBackend);
      try {
        const model = new Sequential([new Dense({ units: 4, inputDim: 2, activation: "sigmoid" }), new Dense({ units: 1, activation: "sigmoid" })], {
          dtype: "float32",
          seed: 1,
          ...(strategies === "steps" ? { stepStrategies: [fusedSmallNetStep, denseStackStep] } : {}),
        });
        model.compile({ loss: "meanSquaredError", optimizer: sgd({ lr: 0.5 }) });
        const history = model.fit(xor.x, xor.y, { epochs: 3000, batchSize: 4, shuffle: false });
        expect(history.history["loss"]?.at(-1)).toBeLessThan(0.02);
        expect(Array.from(model.predict(xor.x).data).map((v) => Math.round(v))).toEqual([0, 1, 1, 0]);
      } finally {
        setBackend(previous);
      }
    }
  });

  it("is not used where the epochs must be seen one by one or the rule is not plain SGD", () => {
    const spec: Spec = { dtype: "float32", backend: 0, inputs: 3, hidden: [{ units: 4, act: 2, useBias: true }], outputs: 2, output: 0, samples: 8, epochs: 3, lr: 0.1, weightDecay: 0, seed: 3 };
    const previous = setBackend(BACKENDS[0] as KernelBackend);
    try {
      const { x, y } = randomData(spec);
      const cases: [string, (m: Sequential) => void][] = [
        ["metrics", (m) => m.compile({ loss: "meanSquaredError", optimizer: sgd({ lr: 0.1 }), metrics: ["mae"] })],
        ["momentum", (m) => m.compile({ loss: "meanSquaredError", optimizer: sgd({ lr: 0.1, momentum: 0.9 }) })],
        ["adam", (m) => m.compile({ loss: "meanSquaredError", optimizer: adam() })],
        ["clipping", (m) => m.compile({ loss: "meanSquaredError", optimizer: sgd({ lr: 0.1, clipNorm: 1 }) })],
      ];
      for (const [, compile] of cases) {
        const model = build(spec, "all");
        compile(model);
        const run = vi.spyOn(TrainingStep.prototype, "run");
        model.fit(x, y, { epochs: 3, batchSize: 8, shuffle: false });
        expect(run.mock.calls.length).toBe(3);
        run.mockRestore();
      }
      for (const options of [{ shuffle: true }, { batchSize: 4 }, { callbacks: [{}] }, { validationSplit: 0.25 }]) {
        const model = build(spec, "all");
        const run = vi.spyOn(TrainingStep.prototype, "run");
        model.fit(x, y, { epochs: 3, batchSize: 8, shuffle: false, ...options });
        expect(run.mock.calls.length).toBeGreaterThan(0);
        run.mockRestore();
      }
    } finally {
      setBackend(previous);
    }
  });

  it("stops before a diverging epoch and lets the step name it, with the epochs before it kept", () => {
    const messages: string[] = [];
    const weights: Uint8Array[][] = [];
    for (const strategies of ["all", "none"] as const) {
      const previous = setBackend(BACKENDS[0] as KernelBackend);
      try {
        const model = new Sequential([new Dense({ units: 1, inputDim: 1, activation: "identity" })], {
          dtype: "float32",
          seed: 2,
          ...(strategies === "none" ? { stepStrategies: [] } : {}),
        });
        // A learning rate that makes plain SGD on this quadratic blow up after a few epochs.
        model.compile({ loss: "meanSquaredError", optimizer: sgd({ lr: 40 }) });
        const error = (() => {
          try {
            model.fit(Matrix.fromArray([[3], [-2]], "float32"), Matrix.fromArray([[1], [0]], "float32"), { epochs: 200, batchSize: 2, shuffle: false });
          } catch (e) {
            return e as Error;
          }
          return undefined;
        })();
        expect(error?.message).toMatch(/NON_FINITE|not finite|is Infinity|is NaN/i);
        messages.push(error?.message ?? "");
        weights.push(model.params().map((p) => new Uint8Array(p.value.data.slice().buffer)));
      } finally {
        setBackend(previous);
      }
    }
    expect(messages[0]).toBe(messages[1]);
    expect(weights[0]).toEqual(weights[1]);
  });

  it("declines a custom activation, a frozen layer, binary cross-entropy and float64", () => {
    const previous = setBackend(BACKENDS[0] as KernelBackend);
    try {
      const model = new Sequential([new Dense({ units: 2, inputDim: 2, activation: "elu" }), new Dense({ units: 1, activation: "sigmoid" })]);
      model.compile({ loss: "meanSquaredError", optimizer: sgd({ lr: 0.1 }) });
      model.build();
      const stepModel = { layers: model.layers, dtype: model.dtype, inputShape: [2], params: () => model.params() };
      expect(denseEpochsStep.epochsFor?.(stepModel, { name: "meanSquaredError", config: {} } as never, 4)).toBeUndefined();
      const frozen = new Sequential([new Dense({ units: 2, inputDim: 2, activation: "relu" }), new Dense({ units: 1, activation: "sigmoid" })]);
      frozen.compile({ loss: "meanSquaredError", optimizer: sgd({ lr: 0.1 }) });
      frozen.build();
      const frozenModel = { layers: frozen.layers, dtype: frozen.dtype, inputShape: [2], params: () => frozen.params() };
      expect(denseEpochsStep.epochsFor?.(frozenModel, { name: "meanSquaredError", config: {} } as never, 4)).toBeDefined();
      expect(denseEpochsStep.epochsFor?.(frozenModel, { name: "binaryCrossentropy", config: { fromLogits: false, eps: 1e-7 } } as never, 4)).toBeUndefined();
      expect(denseEpochsStep.epochsFor?.({ ...frozenModel, dtype: "float64" }, { name: "meanSquaredError", config: {} } as never, 4)).toBeUndefined();
      (frozen.layers[0] as Dense).kernel.trainable = false;
      expect(denseEpochsStep.epochsFor?.(frozenModel, { name: "meanSquaredError", config: {} } as never, 4)).toBeUndefined();
    } finally {
      setBackend(previous);
    }
  });
});
