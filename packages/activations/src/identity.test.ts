import { describe, expect, it } from "vitest";
import { identity } from "./identity.js";

describe("identity", () => {
  it("passes values and gradients through unchanged", () => {
    expect(identity.f(-2.5)).toBe(-2.5);
    expect(identity.df(7, 7)).toBe(1);
    const x = new Float32Array([1.5, -2, 3]);
    const y = new Float64Array(3);
    identity.apply(x, y);
    expect(Array.from(y)).toEqual([1.5, -2, 3]);
    const g = new Float64Array([0.1, 0.2, 0.3]);
    const dx = new Float64Array(3);
    identity.backward(y, y, g, dx);
    expect(Array.from(dx)).toEqual([0.1, 0.2, 0.3]);
  });

  it("has no config", () => {
    expect(identity.name).toBe("identity");
    expect(identity.config).toEqual({});
  });
});
