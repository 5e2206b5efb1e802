import { Matrix, Rng, isBackpropError } from "@backprop/linalg";
import { describe, expect, it } from "vitest";
import { randomNormal } from "./random-normal.js";
import { moments, sameBits } from "./sample-moments.test-helper.js";

const fan = { fanIn: 400, fanOut: 500 };

describe("randomNormal", () => {
  it("has the Keras defaults", () => {
    expect(randomNormal().config).toEqual({ mean: 0, stddev: 0.05 });
    const m = moments(randomNormal().init(Matrix.zeros(400, 500), new Rng(1), fan));
    expect(Math.abs(m.variance / 0.0025 - 1)).toBeLessThan(0.02);
  });

  it("has the requested mean and variance, and is not truncated", () => {
    const n = 400 * 500;
    const m = moments(randomNormal({ mean: 1.5, stddev: 0.2 }).init(Matrix.zeros(400, 500), new Rng(2), fan));
    expect(Math.abs(m.mean - 1.5)).toBeLessThan(5 * (0.2 / Math.sqrt(n)));
    expect(Math.abs(m.variance / 0.04 - 1)).toBeLessThan(0.02);
    // 200 000 normal draws: values beyond 3σ are expected (≈ 540 of them)
    expect(m.max).toBeGreaterThan(1.5 + 3 * 0.2);
    expect(m.min).toBeLessThan(1.5 - 3 * 0.2);
  });

  it("is deterministic", () => {
    const a = randomNormal().init(Matrix.zeros(5, 5, "float32"), new Rng(9), fan);
    const b = randomNormal().init(Matrix.zeros(5, 5, "float32"), new Rng(9), fan);
    expect(sameBits(a, b)).toBe(true);
  });

  it("rejects a negative stddev", () => {
    try {
      randomNormal({ stddev: -1 });
      expect.unreachable();
    } catch (e) {
      expect(isBackpropError(e) && e.code).toBe("INVALID_CONFIG");
      expect((e as Error).message).toContain("randomNormal: invalid stddev (got -1, expected a finite number ≥ 0)");
    }
  });
});
