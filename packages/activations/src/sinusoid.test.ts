import { describe, expect, it } from "vitest";
import { sinusoid } from "./sinusoid.js";

describe("sinusoid", () => {
  it("is sin with derivative cos", () => {
    expect(sinusoid.f(Math.PI / 6)).toBeCloseTo(0.5, 15);
    expect(sinusoid.f(0)).toBe(0);
    expect(sinusoid.df(Math.PI / 3, 0)).toBeCloseTo(0.5, 15);
    expect(sinusoid.df(0, 0)).toBe(1);
  });
});
