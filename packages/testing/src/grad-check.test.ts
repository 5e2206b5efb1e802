import { describe, expect, it } from "vitest";
import { gradCheck, scalarGradCheck } from "./grad-check.js";
import { expectClose } from "./close.js";

describe("gradCheck", () => {
  it("accepts a correct gradient and rejects a wrong one", () => {
    const x = new Float64Array([0.3, -1.2, 2]);
    const loss = () => x.reduce((s, v) => s + v * v * v, 0);
    const right = Array.from(x, (v) => 3 * v * v);
    const wrong = Array.from(x, (v) => 3 * v * v + (v === 2 ? 0.01 : 0));
    expect(gradCheck(x, right, loss).maxRelativeError).toBeLessThan(1e-8);
    const bad = gradCheck(x, wrong, loss);
    expect(bad.maxRelativeError).toBeGreaterThan(1e-4);
    expect(bad.worstIndex).toBe(2);
    expect(Array.from(x)).toEqual([0.3, -1.2, 2]);
  });

  it("checks scalar derivatives", () => {
    expect(scalarGradCheck(Math.sin, Math.cos, [0, 1, 2]).maxRelativeError).toBeLessThan(1e-9);
    expect(scalarGradCheck(Math.sin, Math.sin, [1]).maxRelativeError).toBeGreaterThan(0.01);
  });
});

describe("expectClose", () => {
  it("names the element that differs", () => {
    expect(() => expectClose([1, 2], [1, 2.1], 1e-3, "w")).toThrow(/w\[1\]/);
    expect(() => expectClose([[1, 2]], [[1, 2]], 0)).not.toThrow();
  });
});
