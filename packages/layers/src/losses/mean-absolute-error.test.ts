import { Matrix } from "@backprop/linalg";
import { expectClose } from "@backprop/testing";
import { describe, expect, it } from "vitest";
import { meanAbsoluteError } from "./mean-absolute-error.js";

describe("meanAbsoluteError", () => {
  it("is the mean absolute error with gradient sign(o − t)/(B·K)", () => {
    const loss = meanAbsoluteError();
    // |errors| 1, 1, 0.5, 2 → 4.5/4
    const yPred = Matrix.fromArray([[1, 2], [0.5, -1]]);
    const yTrue = Matrix.fromArray([[0, 1], [1, 1]]);
    expect(loss.compute(yPred, yTrue)).toBe(1.125);
    expectClose(loss.gradient(yPred, yTrue, Matrix.zeros(2, 2)), [0.25, 0.25, -0.25, -0.25], 0, "gradient");
  });

  it("uses the subgradient 0 where the prediction is exact", () => {
    const loss = meanAbsoluteError();
    const yPred = Matrix.fromArray([[3, 1]]);
    const yTrue = Matrix.fromArray([[3, 0]]);
    const g = loss.gradient(yPred, yTrue, Matrix.full(1, 2, 9));
    expect(Array.from(g.data)).toEqual([0, 0.5]);
  });

  it("matches on float32", () => {
    const yPred = Matrix.fromArray([[0.1, -0.2, 0.3]], "float32");
    const yTrue = Matrix.fromArray([[0, 0, 0]], "float32");
    expect(meanAbsoluteError().compute(yPred, yTrue)).toBeCloseTo(0.2, 7);
  });
});
