import { Matrix } from "@backprop/linalg";
import { describe, expect, it } from "vitest";
import { meanAbsoluteErrorMetric, meanSquaredErrorMetric } from "./error-metrics.js";

describe("error metrics", () => {
  // errors 1, 1, −0.5, −2
  const yPred = Matrix.fromArray([[1, 2], [0.5, -1]]);
  const yTrue = Matrix.fromArray([[0, 1], [1, 1]]);

  it("meanSquaredError is the mean of squared errors", () => {
    const m = meanSquaredErrorMetric();
    expect(m.name).toBe("meanSquaredError");
    expect(m.compute(yPred, yTrue)).toBe(6.25 / 4);
    expect(m.compute(yPred.clone("float32"), yTrue.clone("float32"))).toBe(6.25 / 4);
  });

  it("meanAbsoluteError is the mean of absolute errors", () => {
    const m = meanAbsoluteErrorMetric();
    expect(m.name).toBe("meanAbsoluteError");
    expect(m.compute(yPred, yTrue)).toBe(4.5 / 4);
  });

  it("check shapes and handle empty batches", () => {
    expect(() => meanSquaredErrorMetric().compute(Matrix.zeros(1, 2), Matrix.zeros(2, 1))).toThrow(/yPred 1×2, yTrue 2×1/);
    expect(meanAbsoluteErrorMetric().compute(Matrix.zeros(0, 2), Matrix.zeros(0, 2))).toBe(0);
  });
});
