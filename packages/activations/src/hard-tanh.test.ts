import { describe, expect, it } from "vitest";
import { hardTanh } from "./hard-tanh.js";

describe("hardTanh", () => {
  it("clamps to [−1, 1]", () => {
    expect(hardTanh.f(0.3)).toBe(0.3);
    expect(hardTanh.f(2)).toBe(1);
    expect(hardTanh.f(-5)).toBe(-1);
    expect(hardTanh.f(-1e308)).toBe(-1);
  });

  it("has slope 1 strictly inside (−1, 1) and 0 at the kinks", () => {
    expect(hardTanh.df(0.5, 0.5)).toBe(1);
    expect(hardTanh.df(1, 1)).toBe(0);
    expect(hardTanh.df(-1, -1)).toBe(0);
    expect(hardTanh.df(7, 1)).toBe(0);
  });
});
