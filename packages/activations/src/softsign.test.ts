import { describe, expect, it } from "vitest";
import { softsign } from "./softsign.js";

describe("softsign", () => {
  it("is x/(1 + |x|) with derivative 1/(1 + |x|)²", () => {
    expect(softsign.f(1)).toBe(0.5);
    expect(softsign.f(-3)).toBe(-0.75);
    expect(softsign.df(1, 0.5)).toBe(0.25);
    expect(softsign.df(-3, -0.75)).toBe(1 / 16);
  });

  it("saturates at ±1 with a vanishing derivative", () => {
    expect(softsign.f(1e308)).toBe(1);
    expect(softsign.df(1e308, 1)).toBe(0);
    expect(softsign.df(1e6, softsign.f(1e6)) / 1e-12).toBeCloseTo(1, 5);
  });
});
