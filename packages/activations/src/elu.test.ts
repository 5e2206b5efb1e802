import { isBackpropError } from "@backprop/linalg";
import { describe, expect, it } from "vitest";
import { elu, type EluConfig } from "./elu.js";

describe("elu", () => {
  it("is α(eˣ − 1) below 0 and x above, α = 1 by default", () => {
    const act = elu();
    expect(act.config).toEqual({ alpha: 1 });
    // e^(−ln 2) − 1 = −1/2
    expect(act.f(-Math.LN2)).toBeCloseTo(-0.5, 15);
    expect(act.f(2)).toBe(2);
    expect(act.f(-1000)).toBe(-1);
    expect(elu({ alpha: 2 }).f(-Math.LN2)).toBeCloseTo(-1, 15);
  });

  it("has derivative αeˣ below 0 (α at the kink) and 1 above", () => {
    const act = elu({ alpha: 2 });
    expect(act.df(-Math.LN2, -1)).toBeCloseTo(1, 15);
    expect(act.df(0, 0)).toBe(2);
    expect(act.df(3, 3)).toBe(1);
    expect(act.df(-1e308, -2)).toBe(0);
  });

  it("keeps precision near 0 (expm1, not exp − 1)", () => {
    expect(elu().f(-1e-20)).toBe(-1e-20);
  });

  it("rejects bad configs with INVALID_CONFIG", () => {
    for (const config of [{ alpha: Number.NaN }, { alpha: null }, { scale: 1 }]) {
      try {
        elu(config as unknown as EluConfig);
        expect.unreachable();
      } catch (e) {
        expect(isBackpropError(e) && e.code).toBe("INVALID_CONFIG");
        expect((e as Error).message).toMatch(/^elu: /);
      }
    }
  });
});
