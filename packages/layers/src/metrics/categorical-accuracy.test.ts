import { Matrix } from "@backprop/linalg";
import { describe, expect, it } from "vitest";
import { categoricalAccuracy } from "./categorical-accuracy.js";

describe("categoricalAccuracy", () => {
  it("compares argmaxes, taking the first on ties", () => {
    const yPred = Matrix.fromArray([[0.1, 0.9], [0.8, 0.2], [0.5, 0.5], [0.5, 0.5]]);
    const yTrue = Matrix.fromArray([[0, 1], [0, 1], [1, 0], [0, 1]]);
    expect(categoricalAccuracy().compute(yPred, yTrue)).toBe(0.5);
  });

  it("works on float32 and requires equal shapes", () => {
    const yPred = Matrix.fromArray([[1, 2, 3]], "float32");
    expect(categoricalAccuracy().compute(yPred, Matrix.fromArray([[0, 0, 1]], "float32"))).toBe(1);
    expect(() => categoricalAccuracy().compute(yPred, Matrix.fromArray([[2]]))).toThrow(/yPred 1×3, yTrue 1×1/);
  });
});
