import { softmax as softmaxActivation } from "@backprop/activations";
import { Matrix, isBackpropError } from "@backprop/linalg";
import { expectClose } from "@backprop/testing";
import { describe, expect, it } from "vitest";
import { meanSquaredError } from "./mean-squared-error.js";

describe("meanSquaredError", () => {
  // errors 1, 1, −0.5, −2 → squares 1, 1, 0.25, 4 → mean 6.25/4
  const yPred = Matrix.fromArray([[1, 2], [0.5, -1]]);
  const yTrue = Matrix.fromArray([[0, 1], [1, 1]]);

  it("is the mean over every element (Keras)", () => {
    const loss = meanSquaredError();
    expect(loss.name).toBe("meanSquaredError");
    expect(loss.config).toEqual({});
    expect(loss.fusedGradient?.(softmaxActivation)).toBeUndefined();
    expect(loss.compute(yPred, yTrue)).toBe(1.5625);
  });

  it("has gradient 2(o − t)/(B·K)", () => {
    const g = meanSquaredError().gradient(yPred, yTrue, Matrix.zeros(2, 2));
    expectClose(g, [0.5, 0.5, -0.25, -1], 0, "gradient");
  });

  it("is 0 for a perfect prediction and for an empty batch", () => {
    expect(meanSquaredError().compute(yTrue, yTrue)).toBe(0);
    expect(meanSquaredError().compute(Matrix.zeros(0, 3), Matrix.zeros(0, 3))).toBe(0);
  });

  it("handles float32 inputs and output", () => {
    const loss = meanSquaredError();
    expect(loss.compute(yPred.clone("float32"), yTrue.clone("float32"))).toBe(1.5625);
    const g = loss.gradient(yPred.clone("float32"), yTrue, Matrix.zeros(2, 2, "float32"));
    expect(g.dtype).toBe("float32");
    expectClose(g, [0.5, 0.5, -0.25, -1], 0, "float32 gradient");
  });

  it("names both shapes on a mismatch", () => {
    try {
      meanSquaredError().compute(Matrix.zeros(2, 3), Matrix.zeros(3, 2));
      expect.unreachable();
    } catch (e) {
      expect(isBackpropError(e) && e.code).toBe("SHAPE_MISMATCH");
      expect((e as Error).message).toMatch(/meanSquaredError: .*yPred 2×3, yTrue 3×2/);
    }
  });
});
