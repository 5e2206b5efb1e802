import { Matrix, Rng } from "@backprop/linalg";
import { describe, expect, it } from "vitest";
import { truncatedNormal } from "./truncated-normal.js";
import { moments, sameBits } from "./sample-moments.test-helper.js";

const fan = { fanIn: 400, fanOut: 500 };
// Variance of a unit normal truncated to [−2, 2]: 1 − 4φ(2)/(2Φ(2) − 1)
const PHI2 = Math.exp(-2) / Math.sqrt(2 * Math.PI);
const TRUNCATED_VARIANCE = 1 - (4 * PHI2) / 0.9544997361036416;

describe("truncatedNormal", () => {
  it("never goes beyond 2σ, and reaches close to it", () => {
    for (const dtype of ["float64", "float32"] as const) {
      const m = moments(truncatedNormal({ mean: 0.5, stddev: 0.1 }).init(Matrix.zeros(400, 500, dtype), new Rng(4), fan));
      expect(m.max).toBeLessThanOrEqual(0.5 + 0.2 + 1e-7);
      expect(m.min).toBeGreaterThanOrEqual(0.5 - 0.2 - 1e-7);
      expect(m.max).toBeGreaterThan(0.5 + 0.19);
      expect(m.min).toBeLessThan(0.5 - 0.19);
    }
  });

  it("has the truncated normal's mean and variance (0.8796² σ²)", () => {
    const m = moments(truncatedNormal({ stddev: 2 }).init(Matrix.zeros(400, 500), new Rng(5), fan));
    expect(TRUNCATED_VARIANCE).toBeCloseTo(0.87962566103423978 ** 2, 10);
    expect(Math.abs(m.mean)).toBeLessThan(5 * Math.sqrt((4 * TRUNCATED_VARIANCE) / 200000));
    expect(Math.abs(m.variance / (4 * TRUNCATED_VARIANCE) - 1)).toBeLessThan(0.02);
  });

  it("is deterministic and has the Keras defaults", () => {
    const init = truncatedNormal();
    expect(init.name).toBe("truncatedNormal");
    expect(init.config).toEqual({ mean: 0, stddev: 0.05 });
    expect(sameBits(init.init(Matrix.zeros(8, 8), new Rng(1), fan), init.init(Matrix.zeros(8, 8), new Rng(1), fan))).toBe(true);
  });
});
