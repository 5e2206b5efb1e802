import { describe, expect, it } from "vitest";
import { relu6 } from "./relu6.js";

describe("relu6", () => {
  it("is min(max(x, 0), 6)", () => {
    expect(relu6.f(7)).toBe(6);
    expect(relu6.f(2.5)).toBe(2.5);
    expect(relu6.f(-1)).toBe(0);
    expect(relu6.f(1e308)).toBe(6);
  });

  it("has slope 1 strictly inside (0, 6) and 0 at both kinks", () => {
    expect(relu6.df(3, 3)).toBe(1);
    expect(relu6.df(0, 0)).toBe(0);
    expect(relu6.df(6, 6)).toBe(0);
    expect(relu6.df(-2, 0)).toBe(0);
  });
});
