import { defineActivation } from "@backprop/activations";
import { Matrix, setBackend, typescriptBackend, type DType, type KernelBackend } from "@backprop/linalg";
import { adam, sgd } from "@backprop/optimizers";
import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Dense } from "../dense.js";
import { Sequential } from "./sequential.js";
import { paramBits, randomData } from "./step.test-util.js";

// The fused small-network step must give the same bits as the step through the layers. The layer
// path is forced with a backend that computes every product exactly as the TypeScript backend but
// promises nothing (no `exactUpTo`), so the model never fuses under it.
const unpromised: KernelBackend = { name: "typescript-unpromised", gemm: typescriptBackend.gemm };

let restore: KernelBackend | undefined;
afterEach(() => {
  if (restore) setBackend(restore);
  restore = undefined;
  vi.restoreAllMocks();
});

const softsignLike = defineActivation({
  name: "test>softsignLike",
  f: (x) => x / (1 + Math.abs(x)),
  df: (x) => 1 / ((1 + Math.abs(x)) * (1 + Math.abs(x))),
});

const HIDDEN = ["sigmoid", "tanh", "relu", "identity", "elu", "softplus", "leakyRelu", "gelu", "silu", "mish", "hardSigmoid", softsignLike] as const;
const OUTPUT = ["sigmoid", "identity", "tanh"] as const;
const LOSSES = ["meanSquaredError", "meanAbsoluteError", "huber", "binaryCrossentropy", "halfSumSquaredError"] as const;

interface Spec {
  readonly dtype: DType;
  readonly inputs: number;
  readonly hidden: readonly { units: number; act: number; useBias: boolean; trainableBias: boolean }[];
  readonly outputs: number;
  readonly outAct: number;
  readonly loss: number;
  readonly optimizer: "sgd" | "momentum" | "adam";
  readonly samples: number;
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly seed: number;
}

function build(spec: Spec): Sequential {
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
  const model = new Sequential(layers, { dtype: spec.dtype, seed: spec.seed });
  const optimizer =
    spec.optimizer === "sgd" ? sgd({ lr: 0.3 }) : spec.optimizer === "momentum" ? sgd({ lr: 0.1, momentum: 0.9, nesterov: true }) : adam({ lr: 0.05 });
  model.compile({ loss: LOSSES[spec.loss % LOSSES.length] as string, optimizer, metrics: ["mae"] });
  return model;
}



function train(spec: Spec, backend: KernelBackend): { model: Sequential; loss: number[]; forwards: number } {
  const previous = setBackend(backend);
  try {
    const model = build(spec);
    const { x, y } = randomData(spec);
    const forward = vi.spyOn(Dense.prototype, "forward");
    const history = model.fit(x, y, { epochs: 3, batchSize: spec.batchSize, shuffle: spec.shuffle });
    const forwards = forward.mock.calls.length;
    forward.mockRestore();
    return { model, loss: history.history["loss"] as number[], forwards };
  } finally {
    setBackend(previous);
  }
}

const specs: fc.Arbitrary<Spec> = fc.record({
  dtype: fc.constantFrom<DType>("float32", "float64"),
  inputs: fc.integer({ min: 1, max: 4 }),
  hidden: fc.array(
    fc.record({ units: fc.integer({ min: 1, max: 5 }), act: fc.nat(), useBias: fc.boolean(), trainableBias: fc.boolean() }),
    { maxLength: 2 },
  ),
  outputs: fc.integer({ min: 1, max: 3 }),
  outAct: fc.nat(),
  loss: fc.nat(),
  optimizer: fc.constantFrom("sgd", "momentum", "adam"),
  samples: fc.integer({ min: 1, max: 12 }),
  batchSize: fc.integer({ min: 1, max: 8 }),
  shuffle: fc.boolean(),
  seed: fc.integer({ min: 0, max: 1000 }),
});

describe("the fused small-network step", () => {
  it("gives the same bits as the step through the layers (random nets, losses, optimizers, dtypes, batches)", () => {
    fc.assert(
      fc.property(specs, (spec) => {
        const fused = train(spec, typescriptBackend);
        const layered = train(spec, unpromised);
        // It really took the fused path, and the reference really went through the layers.
        expect(fused.forwards).toBe(0);
        expect(layered.forwards).toBeGreaterThan(0);
        expect(fused.loss).toEqual(layered.loss);
        expect(paramBits(fused.model)).toEqual(paramBits(layered.model));
        expect(fused.model.optimizer?.stateDict()).toEqual(layered.model.optimizer?.stateDict());
      }),
      { numRuns: 150, seed: 20261126 },
    );
  });

  it("reproduces the sigmoid + binary cross-entropy fused gradient and trains XOR", () => {
    const x = Matrix.fromArray([[0, 0], [0, 1], [1, 0], [1, 1]], "float32");
    const y = Matrix.fromArray([[0], [1], [1], [0]], "float32");
    const make = (): Sequential => {
      const m = new Sequential([new Dense({ units: 4, inputDim: 2, activation: "tanh" }), new Dense({ units: 1, activation: "sigmoid" })], { seed: 1 });
      m.compile({ loss: "binaryCrossentropy", optimizer: adam({ lr: 0.05 }), metrics: ["accuracy"] });
      return m;
    };
    restore = setBackend(typescriptBackend);
    const fused = make();
    const h1 = fused.fit(x, y, { epochs: 300, batchSize: 4 });
    setBackend(unpromised);
    const layered = make();
    const h2 = layered.fit(x, y, { epochs: 300, batchSize: 4 });
    expect(h1.history).toEqual(h2.history);
    expect(paramBits(fused)).toEqual(paramBits(layered));
    expect(h1.history["accuracy"]?.at(-1)).toBe(1);
  });

  it("names a gradient that overflows float32 while the loss is still finite, as the layer path does", () => {
    const messages: string[] = [];
    for (const backend of [typescriptBackend, unpromised]) {
      restore = setBackend(backend);
      const m = new Sequential([new Dense({ units: 1, inputDim: 1, weights: { kernel: [[1]], bias: [0] } })], { dtype: "float32" });
      m.compile({ loss: "meanSquaredError", optimizer: sgd({ lr: 0.1 }) });
      const forward = vi.spyOn(Dense.prototype, "forward");
      // z = 1e30 (finite), loss = 1e60 in float64 (finite); dW = x·2z = 2e60, which float32 cannot hold.
      const error = (() => {
        try {
          m.fit(Matrix.fromArray([[1e30]], "float32"), Matrix.fromArray([[0]], "float32"), { epochs: 1, batchSize: 1 });
        } catch (e) {
          return e as Error;
        }
        return undefined;
      })();
      expect(forward.mock.calls.length > 0).toBe(backend === unpromised);
      forward.mockRestore();
      setBackend(restore);
      restore = undefined;
      expect(error?.message).toMatch(/the gradient of layers\.0\.kernel is not finite/);
      messages.push(error?.message ?? "");
    }
    expect(messages[0]).toBe(messages[1]);
  });

  it("is not used where it would differ: regularizers, softmax, custom loops, large products, traceStep", () => {
    restore = setBackend(typescriptBackend);
    const x = new Matrix(4, 3);
    const y = new Matrix(4, 2);
    const cases: Sequential[] = [
      new Sequential([new Dense({ units: 2, inputDim: 3, kernelRegularizer: { l2: 0.01 } })]),
      new Sequential([new Dense({ units: 2, inputDim: 3, activation: "softmax" })]),
      new Sequential([
        new Dense({
          units: 2,
          inputDim: 3,
          activation: defineActivation({
            name: "test>ownLoops",
            f: (v) => v,
            df: () => 1,
            apply: (src, dst) => dst.set(src),
          }),
        }),
      ]),
      new Sequential([new Dense({ units: 200, inputDim: 3 }), new Dense({ units: 2 })]),
    ];
    for (const model of cases) {
      model.compile({ loss: "meanSquaredError", optimizer: sgd({ lr: 0.1 }) });
      const forward = vi.spyOn(Dense.prototype, "forward");
      model.fit(x, y, { epochs: 1, batchSize: 4 });
      expect(forward).toHaveBeenCalled();
      forward.mockRestore();
    }
    const small = new Sequential([new Dense({ units: 2, inputDim: 3, activation: "sigmoid" })]);
    small.compile({ loss: "meanSquaredError", optimizer: sgd({ lr: 0.1 }) });
    const trace = small.traceStep(x, y);
    expect(trace.layers[0]?.output).toBeDefined();
  });
});
