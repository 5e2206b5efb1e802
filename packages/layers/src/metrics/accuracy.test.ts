import { Matrix, isBackpropError } from "@backprop/linalg";
import { describe, expect, it } from "vitest";
import { accuracy } from "./accuracy.js";

describe("accuracy (form picked from the shapes)", () => {
  const acc = accuracy();

  it("is binary with threshold 0.5 for one output column", () => {
    const yPred = Matrix.fromArray([[0.9], [0.5], [0.51], [0.1]]);
    const yTrue = Matrix.fromArray([[1], [1], [1], [1]]);
    // 0.5 is not above the threshold → predicted 0
    expect(acc.compute(yPred, yTrue)).toBe(0.5);
  });

  it("is sparse for several columns and one label column", () => {
    const yPred = Matrix.fromArray([[0.2, 0.7, 0.1], [0.6, 0.3, 0.1], [0.1, 0.1, 0.8]]);
    expect(acc.compute(yPred, Matrix.fromArray([[1], [0], [0]]))).toBeCloseTo(2 / 3, 15);
  });

  it("is categorical for one-hot targets", () => {
    const yPred = Matrix.fromArray([[0.2, 0.7, 0.1], [0.6, 0.3, 0.1], [0.1, 0.1, 0.8]]);
    const yTrue = Matrix.fromArray([[0, 1, 0], [0, 1, 0], [0, 0, 1]]);
    expect(acc.compute(yPred, yTrue)).toBeCloseTo(2 / 3, 15);
  });

  it("is 0 on an empty batch and names shapes on a mismatch", () => {
    expect(acc.compute(Matrix.zeros(0, 3), Matrix.zeros(0, 3))).toBe(0);
    try {
      acc.compute(Matrix.zeros(2, 3), Matrix.zeros(2, 2));
      expect.unreachable();
    } catch (e) {
      expect(isBackpropError(e) && e.code).toBe("SHAPE_MISMATCH");
      expect((e as Error).message).toContain("yPred 2×3, yTrue 2×2");
    }
    expect(() => acc.compute(Matrix.zeros(2, 1), Matrix.zeros(3, 1))).toThrow(/yPred 2×1, yTrue 3×1/);
  });

  it("takes no options", () => {
    expect(acc.name).toBe("accuracy");
    expect(acc.config).toEqual({});
    expect(() => accuracy({ threshold: 0 } as never)).toThrow(/accuracy: unknown config key "threshold"/);
  });
});
