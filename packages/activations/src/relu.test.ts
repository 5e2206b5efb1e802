import { describe, expect, it } from "vitest";
import { relu } from "./relu.js";

describe("relu", () => {
  it("is max(x, 0)", () => {
    expect(relu.f(-3)).toBe(0);
    expect(relu.f(2)).toBe(2);
    expect(relu.f(-1e308)).toBe(0);
    expect(relu.f(Number.NaN)).toBeNaN();
  });

  it("has derivative 1 for x > 0 and 0 otherwise, including at the kink", () => {
    expect(relu.df(0, 0)).toBe(0);
    expect(relu.df(1e-300, 1e-300)).toBe(1);
    expect(relu.df(-1e-300, 0)).toBe(0);
    const dx = new Float64Array(3);
    relu.backward(new Float64Array([-1, 0, 1]), new Float64Array([0, 0, 1]), new Float64Array([5, 5, 5]), dx);
    expect(Array.from(dx)).toEqual([0, 0, 5]);
  });
});
