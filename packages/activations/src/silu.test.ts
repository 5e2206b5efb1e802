import { describe, expect, it } from "vitest";
import { silu } from "./silu.js";

describe("silu", () => {
  it("is x·σ(x)", () => {
    expect(silu.f(0)).toBe(0);
    // σ(ln 3) = 3/4
    expect(silu.f(Math.log(3))).toBeCloseTo(0.75 * Math.log(3), 15);
    expect(silu.f(1000)).toBe(1000);
    expect(Math.abs(silu.f(-1000))).toBe(0);
  });

  it("has derivative σ(x)(1 + x(1 − σ(x)))", () => {
    expect(silu.df(0, 0)).toBe(0.5);
    // 3/4·(1 + ln 3/4)
    expect(silu.df(Math.log(3), 0)).toBeCloseTo(0.75 * (1 + Math.log(3) / 4), 15);
    expect(silu.df(1e308, 1e308)).toBe(1);
    expect(Math.abs(silu.df(-1e308, 0))).toBe(0);
  });
});
