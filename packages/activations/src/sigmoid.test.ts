import { describe, expect, it } from "vitest";
import { sigmoid } from "./sigmoid.js";

describe("sigmoid", () => {
  it("has the known values 1/(1 + e^(−x))", () => {
    expect(sigmoid.f(0)).toBe(0.5);
    // σ(ln 3) = 1/(1 + 1/3) = 3/4
    expect(sigmoid.f(Math.log(3))).toBeCloseTo(0.75, 15);
    expect(sigmoid.f(-Math.log(3))).toBeCloseTo(0.25, 15);
  });

  it("computes the derivative from the output: y(1 − y)", () => {
    expect(sigmoid.df(0, 0.5)).toBe(0.25);
    // the x argument is not used: sigmoid trusts the cached output, as layers pass it
    expect(sigmoid.df(123, 0.75)).toBe(0.1875);
  });

  it("saturates without overflow and keeps relative accuracy in the lower tail", () => {
    expect(sigmoid.f(1000)).toBe(1);
    expect(sigmoid.f(-1000)).toBe(0);
    expect(sigmoid.f(1e308)).toBe(1);
    expect(sigmoid.f(-1e308)).toBe(0);
    // σ(−40) = e^(−40)/(1 + e^(−40)) and 1 + e^(−40) rounds to 1
    expect(Math.abs(sigmoid.f(-40) / Math.exp(-40) - 1)).toBeLessThan(1e-15);
  });
});
