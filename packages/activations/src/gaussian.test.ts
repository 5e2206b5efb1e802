import { describe, expect, it } from "vitest";
import { gaussian } from "./gaussian.js";

describe("gaussian", () => {
  it("is e^(−x²) with derivative −2x·e^(−x²)", () => {
    expect(gaussian.f(0)).toBe(1);
    expect(gaussian.f(1)).toBeCloseTo(1 / Math.E, 15);
    expect(gaussian.f(-2)).toBeCloseTo(Math.exp(-4), 15);
    expect(gaussian.df(1, 1 / Math.E)).toBeCloseTo(-2 / Math.E, 15);
    expect(Math.abs(gaussian.df(0, 1))).toBe(0);
  });

  it("gives 0, not NaN, where −2x overflows", () => {
    expect(gaussian.f(1e308)).toBe(0);
    expect(Math.abs(gaussian.df(1e308, 0))).toBe(0);
    expect(Math.abs(gaussian.df(-1e308, 0))).toBe(0);
  });
});
