import { Matrix } from "@backprop/linalg";
import { describe, expect, it } from "vitest";
import { sparseCategoricalAccuracy } from "./sparse-categorical-accuracy.js";

describe("sparseCategoricalAccuracy", () => {
  it("compares the argmax with the class index", () => {
    const yPred = Matrix.fromArray([[0.1, 0.9, 0], [0.8, 0.2, 0], [0.3, 0.3, 0.4]]);
    expect(sparseCategoricalAccuracy().compute(yPred, Matrix.fromArray([[1], [1], [2]]))).toBeCloseTo(2 / 3, 15);
  });

  it("never matches a label that is not a class index", () => {
    const yPred = Matrix.fromArray([[0.9, 0.1], [0.9, 0.1]]);
    expect(sparseCategoricalAccuracy().compute(yPred, Matrix.fromArray([[0.5], [7]]))).toBe(0);
  });

  it("needs batch×1 labels", () => {
    expect(() => sparseCategoricalAccuracy().compute(Matrix.zeros(2, 2), Matrix.zeros(2, 2))).toThrow(/expected 2×1 for yPred 2×2/);
  });
});
