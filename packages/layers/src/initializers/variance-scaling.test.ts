import { Matrix, Rng, isBackpropError } from "@backprop/linalg";
import { describe, expect, it } from "vitest";
import type { Initializer } from "./initializer.js";
import { glorotNormal, glorotUniform } from "./glorot.js";
import { heNormal, heUniform } from "./he.js";
import { lecunNormal, lecunUniform } from "./lecun.js";
import { moments, sameBits } from "./sample-moments.test-helper.js";
import { varianceScaling } from "./variance-scaling.js";

const ROWS = 400;
const COLS = 500;
const fan = { fanIn: 300, fanOut: 100 };

/** Keras 3 definitions, written out: variance scale/n, n = the mode's fan. */
const named: readonly { init: Initializer; name: string; variance: number; kind: "uniform" | "truncated" }[] = [
  { init: glorotUniform(), name: "glorotUniform", variance: 2 / 400, kind: "uniform" },
  { init: glorotNormal(), name: "glorotNormal", variance: 2 / 400, kind: "truncated" },
  { init: heUniform(), name: "heUniform", variance: 2 / 300, kind: "uniform" },
  { init: heNormal(), name: "heNormal", variance: 2 / 300, kind: "truncated" },
  { init: lecunUniform(), name: "lecunUniform", variance: 1 / 300, kind: "uniform" },
  { init: lecunNormal(), name: "lecunNormal", variance: 1 / 300, kind: "truncated" },
];

describe("named variance-scaling initializers", () => {
  for (const { init, name, variance, kind } of named) {
    it(`${name}: variance ${kind === "uniform" ? "and limit" : "and 2σ bound"} follow the formula`, () => {
      expect(init.name).toBe(name);
      expect(init.config).toEqual({});
      const m = moments(init.init(Matrix.zeros(ROWS, COLS), new Rng(17), fan));
      expect(Math.abs(m.variance / variance - 1)).toBeLessThan(0.02);
      expect(Math.abs(m.mean)).toBeLessThan(5 * Math.sqrt(variance / (ROWS * COLS)));
      // uniform: limit sqrt(3·variance); truncated: σ = sqrt(variance)/0.8796…, values within 2σ
      const bound = kind === "uniform" ? Math.sqrt(3 * variance) : (2 * Math.sqrt(variance)) / 0.87962566103423978;
      expect(Math.max(-m.min, m.max)).toBeLessThanOrEqual(bound);
      expect(Math.min(-m.min, m.max)).toBeGreaterThan(0.98 * bound);
    });
  }

  it("glorotUniform's limit is sqrt(6/(fanIn + fanOut))", () => {
    const m = moments(glorotUniform().init(Matrix.zeros(200, 200), new Rng(1), { fanIn: 2, fanOut: 4 }));
    expect(m.max).toBeLessThan(1);
    expect(m.min).toBeGreaterThanOrEqual(-1);
    expect(m.max).toBeGreaterThan(0.99);
  });

  it("reject config keys", () => {
    expect(() => glorotUniform({ seed: 1 } as never)).toThrow(/glorotUniform: unknown config key "seed" \(expected no keys\)/);
  });
});

describe("varianceScaling", () => {
  it("has the Keras defaults (scale 1, fanIn, truncatedNormal)", () => {
    const init = varianceScaling();
    expect(init.name).toBe("varianceScaling");
    expect(init.config).toEqual({ scale: 1, mode: "fanIn", distribution: "truncatedNormal" });
    const a = init.init(Matrix.zeros(20, 20), new Rng(3), fan);
    const b = lecunNormal().init(Matrix.zeros(20, 20), new Rng(3), fan);
    expect(sameBits(a, b)).toBe(true);
  });

  it("untruncatedNormal with fanOut: variance scale/fanOut, tails beyond 2σ", () => {
    const init = varianceScaling({ scale: 3, mode: "fanOut", distribution: "untruncatedNormal" });
    const m = moments(init.init(Matrix.zeros(ROWS, COLS), new Rng(8), fan));
    expect(Math.abs(m.variance / (3 / 100) - 1)).toBeLessThan(0.02);
    expect(m.max).toBeGreaterThan(3 * Math.sqrt(3 / 100));
  });

  it("fanAvg with uniform equals glorotUniform scaled", () => {
    const a = varianceScaling({ mode: "fanAvg", distribution: "uniform" }).init(Matrix.zeros(9, 9), new Rng(4), fan);
    const b = glorotUniform().init(Matrix.zeros(9, 9), new Rng(4), fan);
    expect(sameBits(a, b)).toBe(true);
  });

  it("treats a fan below 1 as 1 (Keras max(1, fan))", () => {
    const m = moments(heUniform().init(Matrix.zeros(200, 200), new Rng(6), { fanIn: 0, fanOut: 0 }));
    expect(m.max).toBeLessThan(Math.sqrt(6));
    expect(m.max).toBeGreaterThan(0.99 * Math.sqrt(6));
  });

  it("is deterministic for every distribution and dtype", () => {
    for (const distribution of ["truncatedNormal", "untruncatedNormal", "uniform"] as const) {
      for (const dtype of ["float32", "float64"] as const) {
        const init = varianceScaling({ distribution });
        const a = init.init(Matrix.zeros(6, 7, dtype), new Rng(99), fan);
        const b = init.init(Matrix.zeros(6, 7, dtype), new Rng(99), fan);
        expect(sameBits(a, b)).toBe(true);
        expect(sameBits(a, init.init(Matrix.zeros(6, 7, dtype), new Rng(100), fan))).toBe(false);
      }
    }
  });

  it("validates its config and the fans", () => {
    const bad: unknown[] = [{ scale: 0 }, { scale: -1 }, { mode: "fan_in" }, { distribution: "normal" }, { seed: 1 }];
    for (const options of bad) {
      try {
        varianceScaling(options as never);
        expect.unreachable();
      } catch (e) {
        expect(isBackpropError(e) && e.code, JSON.stringify(options)).toBe("INVALID_CONFIG");
      }
    }
    expect(() => varianceScaling({ mode: "fan_in" } as never)).toThrow(/expected one of: "fanIn", "fanOut", "fanAvg"/);
    for (const f of [{ fanIn: -1, fanOut: 2 }, { fanIn: 2, fanOut: Number.NaN }, {}]) {
      try {
        glorotUniform().init(Matrix.zeros(2, 2), new Rng(0), f as never);
        expect.unreachable();
      } catch (e) {
        expect(isBackpropError(e) && e.code).toBe("INVALID_ARGUMENT");
        expect((e as Error).message).toMatch(/^glorotUniform\.init: invalid fan(In|Out)/);
      }
    }
  });
});
