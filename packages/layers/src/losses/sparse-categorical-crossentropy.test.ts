import { softmax as softmaxActivation } from "@backprop/activations";
import { Matrix, Rng, isBackpropError } from "@backprop/linalg";
import { expectClose } from "@backprop/testing";
import { describe, expect, it } from "vitest";
import { categoricalCrossentropy } from "./categorical-crossentropy.js";
import { sparseCategoricalCrossentropy } from "./sparse-categorical-crossentropy.js";

function oneHot(labels: Matrix, classes: number): Matrix {
  const m = Matrix.zeros(labels.rows, classes);
  for (let i = 0; i < labels.rows; i++) m.set(i, labels.get(i, 0), 1);
  return m;
}

describe("sparseCategoricalCrossentropy", () => {
  it("matches the Keras documentation example (1.177)", () => {
    const yPred = Matrix.fromArray([[0.05, 0.95, 0], [0.1, 0.8, 0.1]]);
    const value = sparseCategoricalCrossentropy().compute(yPred, Matrix.fromArray([[1], [2]]));
    expect(value).toBeCloseTo((-Math.log(0.95) - Math.log(0.1)) / 2, 15);
    expect(value).toBeCloseTo(1.177, 3);
  });

  it("equals categoricalCrossentropy on one-hot targets, in value and every gradient", () => {
    const rng = new Rng(11);
    const z = Matrix.zeros(6, 5);
    rng.fillNormal(z);
    const labels = Matrix.zeros(6, 1);
    for (let i = 0; i < 6; i++) labels.data[i] = rng.int(5);
    const t = oneHot(labels, 5);
    for (const fromLogits of [false, true]) {
      const sparse = sparseCategoricalCrossentropy({ fromLogits });
      const dense = categoricalCrossentropy({ fromLogits });
      const input = fromLogits ? z : Matrix.fromFlat(6, 5, z.data.map((v) => 0.05 + 0.9 / (1 + Math.exp(-v))));
      expect(sparse.fusedGradient?.(softmaxActivation) !== undefined).toBe(!fromLogits);
      expect(sparse.config).toEqual({ fromLogits, eps: 1e-7 });
      expect(Math.abs(sparse.compute(input, labels) - dense.compute(input, t))).toBeLessThan(1e-14);
      expectClose(
        sparse.gradient(input, labels, Matrix.full(6, 5, 7)),
        dense.gradient(input, t, Matrix.zeros(6, 5)).data,
        1e-15,
        `gradient fromLogits=${fromLogits}`,
      );
      if (!fromLogits) {
        expectClose(
          sparse.fusedGradient?.(softmaxActivation)?.(input, labels, Matrix.full(6, 5, 7)) ?? [],
          dense.fusedGradient?.(softmaxActivation)?.(input, t, Matrix.zeros(6, 5)).data ?? [],
          1e-15,
          "softmaxGradient",
        );
      }
    }
  });

  it("is finite for logits ±1000 and probabilities 0", () => {
    const logits = sparseCategoricalCrossentropy({ fromLogits: true });
    const z = Matrix.fromArray([[1000, -1000, 0]]);
    const y = Matrix.fromArray([[1]]);
    expect(logits.compute(z, y)).toBe(2000);
    expectClose(logits.gradient(z, y, Matrix.zeros(1, 3)), [1, -1, 0], 0, "gradient");
    const probs = sparseCategoricalCrossentropy();
    const p = Matrix.fromArray([[1, 0, 0]]);
    expect(probs.compute(p, y)).toBeCloseTo(-Math.log(1e-7), 9);
    expect(Number.isFinite(probs.gradient(p, y, Matrix.zeros(1, 3)).data[1])).toBe(true);
  });

  it("rejects a label that is not a class index, naming the row", () => {
    const yPred = Matrix.fromArray([[0.5, 0.25, 0.25], [0.2, 0.3, 0.5]]);
    for (const fromLogits of [false, true]) {
      const loss = sparseCategoricalCrossentropy({ fromLogits });
      for (const bad of [1.5, -1, 3, Number.NaN]) {
        const labels = Matrix.fromArray([[0], [bad]]);
        const calls = [
          () => loss.compute(yPred, labels),
          () => loss.gradient(yPred, labels, Matrix.zeros(2, 3)),
          ...(loss.fusedGradient?.(softmaxActivation) ? [() => loss.fusedGradient?.(softmaxActivation)?.(yPred, labels, Matrix.zeros(2, 3))] : []),
        ];
        for (const call of calls) {
          try {
            call();
            expect.unreachable();
          } catch (e) {
            expect(isBackpropError(e) && e.code).toBe("INVALID_ARGUMENT");
            expect((e as Error).message).toContain(`yTrue row 1 is not a class index (got ${bad}, expected an integer in 0…2)`);
          }
        }
      }
    }
  });

  it("needs batch×1 targets and says so, naming both shapes", () => {
    try {
      sparseCategoricalCrossentropy().compute(Matrix.zeros(2, 3), Matrix.zeros(2, 3));
      expect.unreachable();
    } catch (e) {
      expect(isBackpropError(e) && e.code).toBe("SHAPE_MISMATCH");
      expect((e as Error).message).toContain("got yTrue 2×3, expected 2×1 for yPred 2×3");
      expect((e as Error).message).toContain("help: ");
    }
  });

  it("works on float32 labels and probabilities", () => {
    const yPred = Matrix.fromArray([[0.2, 0.8], [0.6, 0.4]], "float32");
    const labels = Matrix.fromArray([[1], [0]], "float32");
    expect(sparseCategoricalCrossentropy().compute(yPred, labels)).toBeCloseTo((-Math.log(0.8) - Math.log(0.6)) / 2, 7);
  });
});
