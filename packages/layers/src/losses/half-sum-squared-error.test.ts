import { Matrix, isBackpropError } from "@backprop/linalg";
import { expectClose } from "@backprop/testing";
import { describe, expect, it } from "vitest";
import { halfSumSquaredError } from "./half-sum-squared-error.js";

// The step-by-step backpropagation example (Mazur): forward outputs and targets, its E_total and
// ∂E/∂out = out − target.
const OUTPUT = [0.7513650695523157, 0.7729284653214625];
const TARGET = [0.01, 0.99];
const TOTAL_ERROR = 0.2983711087600027;
const OUTPUT_ERROR = [0.7413650695523157, -0.21707153467853746];

describe("halfSumSquaredError", () => {
  it("reproduces the reference example's total error and output error", () => {
    const loss = halfSumSquaredError();
    const yPred = Matrix.fromArray([OUTPUT]);
    const yTrue = Matrix.fromArray([TARGET]);
    expect(Math.abs(loss.compute(yPred, yTrue) - TOTAL_ERROR)).toBeLessThanOrEqual(1e-15);
    expectClose(loss.gradient(yPred, yTrue, Matrix.zeros(1, 2)), OUTPUT_ERROR, 1e-15, "dE/dout");
  });

  it("sums over outputs and averages over the batch", () => {
    const loss = halfSumSquaredError();
    // row 0: ½(1² + 2²) = 2.5; row 1: ½(3² + 0²) = 4.5 → mean 3.5
    const yPred = Matrix.fromArray([[1, 2], [3, 0]]);
    const yTrue = Matrix.fromArray([[0, 0], [0, 0]]);
    expect(loss.compute(yPred, yTrue)).toBe(3.5);
    expectClose(loss.gradient(yPred, yTrue, Matrix.zeros(2, 2)), [0.5, 1, 1.5, 0], 0, "gradient");
  });

  it("works on float32 inputs and an empty batch", () => {
    const loss = halfSumSquaredError();
    const yPred = Matrix.fromArray([OUTPUT], "float32");
    const yTrue = Matrix.fromArray([TARGET], "float32");
    expect(loss.compute(yPred, yTrue)).toBeCloseTo(TOTAL_ERROR, 6);
    const g = loss.gradient(yPred, yTrue, Matrix.zeros(1, 2, "float32"));
    expectClose(g, OUTPUT_ERROR, 1e-6, "float32 gradient");
    expect(loss.compute(Matrix.zeros(0, 2), Matrix.zeros(0, 2))).toBe(0);
  });

  it("rejects options and mismatched shapes", () => {
    expect(() => halfSumSquaredError({ scale: 2 } as never)).toThrow(/unknown config key "scale"/);
    const loss = halfSumSquaredError();
    try {
      loss.compute(Matrix.zeros(1, 2), Matrix.zeros(1, 3));
      expect.unreachable();
    } catch (e) {
      expect(isBackpropError(e) && e.code).toBe("SHAPE_MISMATCH");
      expect((e as Error).message).toContain("yPred 1×2, yTrue 1×3");
    }
    expect(() => loss.gradient(Matrix.zeros(1, 2), Matrix.zeros(1, 2), Matrix.zeros(2, 1))).toThrow(/got 2×1, expected 1×2/);
  });
});
