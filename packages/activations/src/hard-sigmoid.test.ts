import { describe, expect, it } from "vitest";
import { hardSigmoid } from "./hard-sigmoid.js";

describe("hardSigmoid", () => {
  it("is relu6(x + 3)/6", () => {
    expect(hardSigmoid.f(0)).toBe(0.5);
    expect(hardSigmoid.f(1)).toBe(4 / 6);
    expect(hardSigmoid.f(-1.5)).toBe(0.25);
    expect(hardSigmoid.f(-3)).toBe(0);
    expect(hardSigmoid.f(3)).toBe(1);
    expect(hardSigmoid.f(-1000)).toBe(0);
    expect(hardSigmoid.f(1e308)).toBe(1);
  });

  it("has slope 1/6 strictly inside (−3, 3) and 0 at the kinks", () => {
    expect(hardSigmoid.df(0, 0.5)).toBe(1 / 6);
    expect(hardSigmoid.df(2.999, 0)).toBe(1 / 6);
    expect(hardSigmoid.df(-3, 0)).toBe(0);
    expect(hardSigmoid.df(3, 1)).toBe(0);
    expect(hardSigmoid.df(4, 1)).toBe(0);
  });
});
