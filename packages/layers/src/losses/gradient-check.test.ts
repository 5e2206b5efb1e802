import { softmax as softmaxActivation, sigmoid as sigmoidActivation } from "@backprop/activations";
import { Matrix, Rng } from "@backprop/linalg";
import { gradCheck } from "@backprop/testing";
import { describe, expect, it } from "vitest";
import type { Loss } from "./loss.js";
import { getLoss, lossNames } from "./registry.js";
import { softmax } from "./softmax.js";

const B = 4;
const K = 3;

type Make = (rng: Rng) => { yPred: Matrix; yTrue: Matrix };

function filled(rows: number, cols: number, draw: () => number): Matrix {
  const m = Matrix.zeros(rows, cols);
  for (let i = 0; i < m.data.length; i++) m.data[i] = draw();
  return m;
}

/** Regression data whose errors stay away from `kinks` (|o − t| at which the loss is not smooth). */
function regression(kinks: readonly number[]): Make {
  return (rng) => {
    const yTrue = filled(B, K, () => rng.normal());
    const yPred = filled(B, K, () => 0);
    for (let i = 0; i < yPred.data.length; i++) {
      let o: number;
      do o = (yTrue.data[i] as number) + rng.uniform(-3, 3);
      while (kinks.some((k) => Math.abs(Math.abs(o - (yTrue.data[i] as number)) - k) < 1e-2));
      yPred.data[i] = o;
    }
    return { yPred, yTrue };
  };
}

/** Probabilities in [0.05, 0.95], well inside the clip bounds. */
const probabilities = (rng: Rng): Matrix => filled(B, K, () => rng.uniform(0.05, 0.95));
const softTargets = (rng: Rng): Matrix => filled(B, K, () => rng.uniform(0, 1));
const logits = (rng: Rng): Matrix => filled(B, K, () => rng.normal(0, 3));
function oneHot(rng: Rng): Matrix {
  const m = Matrix.zeros(B, K);
  for (let i = 0; i < B; i++) m.set(i, rng.int(K), 1);
  return m;
}
const labels = (rng: Rng): Matrix => filled(B, 1, () => rng.int(K));
const softmaxRows = (rng: Rng): Matrix => softmax(filled(B, K, () => rng.normal()));

/** Every built-in loss (aliases excluded) with the inputs its gradient is checked on. */
const cases: readonly { name: string; config?: Record<string, number | boolean>; make: Make; label: string }[] = [
  { label: "meanSquaredError", name: "meanSquaredError", make: regression([]) },
  { label: "halfSumSquaredError", name: "halfSumSquaredError", make: regression([]) },
  { label: "meanAbsoluteError", name: "meanAbsoluteError", make: regression([0]) },
  { label: "huber δ=1", name: "huber", make: regression([1]) },
  { label: "huber δ=0.3", name: "huber", config: { delta: 0.3 }, make: regression([0.3]) },
  {
    label: "binaryCrossentropy, soft targets",
    name: "binaryCrossentropy",
    make: (rng) => ({ yPred: probabilities(rng), yTrue: softTargets(rng) }),
  },
  {
    label: "binaryCrossentropy, 0/1 targets",
    name: "binaryCrossentropy",
    make: (rng) => ({ yPred: probabilities(rng), yTrue: filled(B, K, () => rng.int(2)) }),
  },
  {
    label: "binaryCrossentropy fromLogits",
    name: "binaryCrossentropy",
    config: { fromLogits: true },
    make: (rng) => ({ yPred: logits(rng), yTrue: softTargets(rng) }),
  },
  {
    label: "categoricalCrossentropy, one-hot",
    name: "categoricalCrossentropy",
    make: (rng) => ({ yPred: softmaxRows(rng), yTrue: oneHot(rng) }),
  },
  {
    label: "categoricalCrossentropy, soft targets, unnormalized p",
    name: "categoricalCrossentropy",
    make: (rng) => ({ yPred: probabilities(rng), yTrue: softTargets(rng) }),
  },
  {
    label: "categoricalCrossentropy fromLogits, one-hot",
    name: "categoricalCrossentropy",
    config: { fromLogits: true },
    make: (rng) => ({ yPred: logits(rng), yTrue: oneHot(rng) }),
  },
  {
    label: "categoricalCrossentropy fromLogits, soft targets not summing to 1",
    name: "categoricalCrossentropy",
    config: { fromLogits: true },
    make: (rng) => ({ yPred: logits(rng), yTrue: softTargets(rng) }),
  },
  {
    label: "sparseCategoricalCrossentropy",
    name: "sparseCategoricalCrossentropy",
    make: (rng) => ({ yPred: softmaxRows(rng), yTrue: labels(rng) }),
  },
  {
    label: "sparseCategoricalCrossentropy fromLogits",
    name: "sparseCategoricalCrossentropy",
    config: { fromLogits: true },
    make: (rng) => ({ yPred: logits(rng), yTrue: labels(rng) }),
  },
];

const ALIASES = new Set(["mse", "mae", "ce", "bce"]);

describe("loss gradients (central differences, float64, h = 1e-5)", () => {
  it("covers every built-in loss", () => {
    const builtins = lossNames().filter((n) => !ALIASES.has(n) && !n.includes(">"));
    expect(new Set(cases.map((c) => c.name))).toEqual(new Set(builtins));
  });

  for (const c of cases) {
    it(`dL/dyPred of ${c.label}`, () => {
      const loss = getLoss(c.name, c.config);
      for (let seed = 1; seed <= 5; seed++) {
        const { yPred, yTrue } = c.make(new Rng(seed));
        const grad = loss.gradient(yPred, yTrue, Matrix.zeros(yPred.rows, yPred.cols));
        const r = gradCheck(yPred.data, grad.data, () => loss.compute(yPred, yTrue));
        expect(r.maxRelativeError, `seed ${seed}: ${JSON.stringify(r)}`).toBeLessThan(1e-6);
      }
    });
  }
});

/** dL/dz of L(f(z)) numerically, for the fused gradients. */
function checkFused(
  loss: Loss,
  fused: (probs: Matrix, yTrue: Matrix, out: Matrix) => Matrix,
  squash: (z: Matrix) => Matrix,
  z: Matrix,
  yTrue: Matrix,
): number {
  const analytic = fused(squash(z), yTrue, Matrix.zeros(z.rows, z.cols));
  return gradCheck(z.data, analytic.data, () => loss.compute(squash(z), yTrue)).maxRelativeError;
}

function sigmoid(z: Matrix): Matrix {
  const out = Matrix.zeros(z.rows, z.cols);
  for (let i = 0; i < z.data.length; i++) out.data[i] = 1 / (1 + Math.exp(-(z.data[i] as number)));
  return out;
}

describe("fused gradients against numerical dL(f(z))/dz", () => {
  const fusedCases: readonly { label: string; name: string; yTrue: (rng: Rng) => Matrix }[] = [
    { label: "categoricalCrossentropy, one-hot", name: "categoricalCrossentropy", yTrue: oneHot },
    { label: "categoricalCrossentropy, soft targets", name: "categoricalCrossentropy", yTrue: softTargets },
    { label: "sparseCategoricalCrossentropy", name: "sparseCategoricalCrossentropy", yTrue: labels },
  ];
  for (const c of fusedCases) {
    it(`fused softmax gradient of ${c.label}`, () => {
      const loss = getLoss(c.name);
      expect(loss.fusedGradient?.(softmaxActivation)).toBeTypeOf("function");
      const fused = loss.fusedGradient?.(softmaxActivation);
      if (fused === undefined) throw new Error("softmaxGradient missing");
      for (let seed = 1; seed <= 5; seed++) {
        const rng = new Rng(seed);
        const z = filled(B, K, () => rng.normal());
        const err = checkFused(loss, fused, (m) => softmax(m), z, c.yTrue(rng));
        expect(err, `seed ${seed}`).toBeLessThan(1e-6);
      }
    });
  }

  it("exactly the cross-entropies on probabilities fuse, each with its output activation", () => {
    for (const c of cases) {
      const loss = getLoss(c.name, c.config);
      // Only the cross-entropies on probabilities fuse, each with its own output activation.
      const fuses = [softmaxActivation, sigmoidActivation].filter((a) => loss.fusedGradient?.(a) !== undefined).map((a) => a.name);
      const expected = c.config?.["fromLogits"] === true ? [] : c.name === "binaryCrossentropy" ? ["sigmoid"] : /ategoricalCrossentropy$/.test(c.name) ? ["softmax"] : [];
      expect(fuses, c.label).toEqual(expected);
    }
  });

  it("fused sigmoid gradient of binaryCrossentropy", () => {
    const loss = getLoss("binaryCrossentropy");
    expect(loss.fusedGradient?.(sigmoidActivation)).toBeTypeOf("function");
    const fused = loss.fusedGradient?.(sigmoidActivation);
    if (fused === undefined) throw new Error("sigmoidGradient missing");
    for (let seed = 1; seed <= 5; seed++) {
      const rng = new Rng(seed);
      const z = filled(B, K, () => rng.normal(0, 2));
      expect(checkFused(loss, fused, sigmoid, z, softTargets(rng)), `seed ${seed}`).toBeLessThan(1e-6);
    }
  });
});
