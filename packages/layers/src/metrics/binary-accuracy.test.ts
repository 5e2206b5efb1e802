import { Matrix } from "@backprop/linalg";
import { describe, expect, it } from "vitest";
import { binaryAccuracy } from "./binary-accuracy.js";

describe("binaryAccuracy", () => {
  it("thresholds at 0.5 by default (strictly above counts as 1)", () => {
    const m = binaryAccuracy();
    expect(m.config).toEqual({ threshold: 0.5 });
    const yPred = Matrix.fromArray([[0.9], [0.2], [0.6], [0.5]]);
    const yTrue = Matrix.fromArray([[1], [0], [0], [0]]);
    expect(m.compute(yPred, yTrue)).toBe(0.75);
  });

  it("averages over every element for several outputs (multi-label)", () => {
    const yPred = Matrix.fromArray([[0.9, 0.1], [0.8, 0.7]]);
    const yTrue = Matrix.fromArray([[1, 1], [1, 0]]);
    expect(binaryAccuracy().compute(yPred, yTrue)).toBe(0.5);
  });

  it("uses a custom threshold, e.g. 0 for logits", () => {
    const yPred = Matrix.fromArray([[-2], [0.3], [0.1]], "float32");
    const yTrue = Matrix.fromArray([[0], [1], [0]], "float32");
    expect(binaryAccuracy({ threshold: 0 }).compute(yPred, yTrue)).toBeCloseTo(2 / 3, 15);
    expect(binaryAccuracy({ threshold: 0.2 }).compute(yPred, yTrue)).toBe(1);
  });

  it("validates the threshold", () => {
    expect(() => binaryAccuracy({ threshold: Number.NaN })).toThrow(/binaryAccuracy: invalid threshold/);
  });
});
