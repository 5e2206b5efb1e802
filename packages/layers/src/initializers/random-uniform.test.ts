import { Matrix, Rng, isBackpropError } from "@backprop/linalg";
import { describe, expect, it } from "vitest";
import { randomUniform } from "./random-uniform.js";
import { moments, sameBits } from "./sample-moments.test-helper.js";

const fan = { fanIn: 400, fanOut: 500 };

describe("randomUniform", () => {
  it("has the Keras defaults", () => {
    const init = randomUniform();
    expect(init.name).toBe("randomUniform");
    expect(init.config).toEqual({ minval: -0.05, maxval: 0.05 });
    const m = moments(init.init(Matrix.zeros(400, 500), new Rng(1), fan));
    expect(m.min).toBeGreaterThanOrEqual(-0.05);
    expect(m.max).toBeLessThan(0.05);
  });

  it("draws uniformly on [minval, maxval): limits, mean and variance", () => {
    const lo = -0.3;
    const hi = 0.7;
    const m = moments(randomUniform({ minval: lo, maxval: hi }).init(Matrix.zeros(400, 500), new Rng(2), fan));
    const n = 400 * 500;
    const variance = (hi - lo) ** 2 / 12;
    expect(m.min).toBeGreaterThanOrEqual(lo);
    expect(m.max).toBeLessThan(hi);
    expect(m.min - lo).toBeLessThan(1e-3);
    expect(hi - m.max).toBeLessThan(1e-3);
    expect(Math.abs(m.mean - (lo + hi) / 2)).toBeLessThan(5 * Math.sqrt(variance / n));
    expect(Math.abs(m.variance / variance - 1)).toBeLessThan(0.02);
  });

  it("is deterministic: same seed, same bits; draws in row-major order", () => {
    const init = randomUniform({ minval: -1, maxval: 1 });
    const a = init.init(Matrix.zeros(7, 9), new Rng(42), fan);
    const b = init.init(Matrix.zeros(7, 9), new Rng(42), fan);
    const c = init.init(Matrix.zeros(7, 9), new Rng(43), fan);
    expect(sameBits(a, b)).toBe(true);
    expect(sameBits(a, c)).toBe(false);
    const rng = new Rng(42);
    expect(Array.from(a.data)).toEqual(Array.from({ length: 63 }, () => rng.uniform(-1, 1)));
  });

  it("fills float32 targets within the limits", () => {
    const m = moments(randomUniform({ minval: 0, maxval: 1 }).init(Matrix.zeros(100, 100, "float32"), new Rng(3), fan));
    expect(m.min).toBeGreaterThanOrEqual(0);
    expect(m.max).toBeLessThanOrEqual(1);
  });

  it("rejects minval > maxval and bad values", () => {
    for (const options of [{ minval: 1, maxval: 0 }, { minval: Number.NaN }, { maxval: "1" }]) {
      try {
        randomUniform(options as never);
        expect.unreachable();
      } catch (e) {
        expect(isBackpropError(e) && e.code).toBe("INVALID_CONFIG");
        expect((e as Error).message).toMatch(/^randomUniform: /);
      }
    }
  });
});
