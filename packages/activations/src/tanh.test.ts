import { describe, expect, it } from "vitest";
import { tanh } from "./tanh.js";

describe("tanh", () => {
  it("has the known values", () => {
    // tanh(ln 2) = (2 − 1/2)/(2 + 1/2) = 0.6
    expect(tanh.f(Math.LN2)).toBeCloseTo(0.6, 15);
    expect(tanh.f(0)).toBe(0);
    expect(tanh.f(1000)).toBe(1);
    expect(tanh.f(-1e308)).toBe(-1);
  });

  it("computes the derivative from the output: 1 − y²", () => {
    expect(tanh.df(Math.LN2, 0.6)).toBeCloseTo(0.64, 15);
    expect(tanh.df(0, 0)).toBe(1);
  });
});
