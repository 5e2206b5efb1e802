import { describe, expect, it } from "vitest";
import { mish } from "./mish.js";

describe("mish", () => {
  it("is x·tanh(ln(1 + eˣ))", () => {
    expect(mish.f(0)).toBe(0);
    // softplus(ln 3) = ln 4 and tanh(ln 4) = (4 − 1/4)/(4 + 1/4) = 15/17
    expect(mish.f(Math.log(3))).toBeCloseTo((Math.log(3) * 15) / 17, 15);
    expect(mish.f(1000)).toBe(1000);
    expect(Math.abs(mish.f(-1000))).toBe(0);
  });

  it("has derivative tanh(softplus(x)) + x·σ(x)·(1 − tanh²)", () => {
    // at 0 the second term vanishes: tanh(ln 2) = 0.6
    expect(mish.df(0, 0)).toBeCloseTo(0.6, 15);
    // at ln 3: 15/17 + ln 3 · 3/4 · (1 − 225/289)
    expect(mish.df(Math.log(3), 0)).toBeCloseTo(15 / 17 + Math.log(3) * 0.75 * (64 / 289), 15);
    expect(mish.df(1e308, 1e308)).toBe(1);
  });
});
