import { describe, expect, it } from "vitest";
import { softplus } from "./softplus.js";

describe("softplus", () => {
  it("is ln(1 + eˣ)", () => {
    expect(softplus.f(0)).toBeCloseTo(Math.LN2, 15);
    // ln(1 + 3) = ln 4
    expect(softplus.f(Math.log(3))).toBeCloseTo(Math.log(4), 15);
  });

  it("has derivative σ(x)", () => {
    expect(softplus.df(0, Math.LN2)).toBe(0.5);
    expect(softplus.df(Math.log(3), Math.log(4))).toBeCloseTo(0.75, 15);
  });

  it("neither overflows nor loses the lower tail", () => {
    expect(softplus.f(1000)).toBe(1000);
    expect(softplus.f(-1000)).toBe(0);
    expect(softplus.f(1e308)).toBe(1e308);
    // ln(1 + e^(−40)) = e^(−40) to first order; the naive log(1 + exp(x)) would give 0
    expect(Math.abs(softplus.f(-40) / Math.exp(-40) - 1)).toBeLessThan(1e-15);
  });
});
