import fc from "fast-check";
import { Matrix, Param, isBackpropError } from "@backprop/linalg";
import { expectClose } from "@backprop/testing";
import { describe, expect, it } from "vitest";
import { clipGradNorm, clipGradValue } from "./clip.js";

function param(name: string, grad: readonly number[], trainable = true): Param {
  const p = new Param(name, Matrix.zeros(1, grad.length), trainable);
  p.grad.data.set(grad);
  return p;
}

const norm = (params: readonly Param[]): number =>
  Math.sqrt(params.filter((p) => p.trainable).reduce((s, p) => s + Array.from(p.grad.data).reduce((a, g) => a + g * g, 0), 0));

describe("clipGradValue", () => {
  it("clamps each trainable gradient element into [−v, v]", () => {
    const a = param("a", [2, -0.5, -7, 0.25]);
    const frozen = param("f", [9, -9], false);
    clipGradValue([a, frozen], 1);
    expect(Array.from(a.grad.data)).toEqual([1, -0.5, -1, 0.25]);
    expect(Array.from(frozen.grad.data)).toEqual([9, -9]);
  });

  it("rejects a non-positive bound", () => {
    expect(() => clipGradValue([], 0)).toThrow(/clipGradValue: invalid clipValue \(got 0/);
  });
});

describe("clipGradNorm", () => {
  it("rescales to the bound over all trainable params and returns the norm before", () => {
    const a = param("a", [3, 0]);
    const b = param("b", [0, 12]);
    const frozen = param("f", [100], false);
    const c = param("c", [4]); // √(9 + 144 + 16) = 13; the frozen 100 does not count
    expect(clipGradNorm([a, b, frozen, c], 6.5)).toBe(13);
    const s = 6.5 / (13 + 1e-6);
    expectClose([...a.grad.data, ...b.grad.data, ...c.grad.data], [3 * s, 0, 0, 12 * s, 4 * s], 1e-15, "clipped");
    expect(frozen.grad.data[0]).toBe(100);
  });

  it("leaves gradients alone when the norm is within the bound, or not finite", () => {
    const a = param("a", [0.6, 0.8]);
    expect(clipGradNorm([a], 1)).toBeCloseTo(1, 15);
    expect(Array.from(a.grad.data)).toEqual([0.6, 0.8]);
    const bad = param("bad", [Number.NaN, 5]);
    expect(clipGradNorm([bad], 1)).toBeNaN();
    expect(bad.grad.data[1]).toBe(5);
  });

  it("rejects a non-positive bound", () => {
    try {
      clipGradNorm([], -1);
      expect.unreachable();
    } catch (e) {
      expect(isBackpropError(e) && e.code).toBe("INVALID_CONFIG");
    }
  });

  it("returns the pre-clip norm and leaves a norm ≤ maxNorm, direction kept (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 5 }), {
          minLength: 1,
          maxLength: 4,
        }),
        fc.double({ min: 1e-3, max: 1e3, noNaN: true }),
        (grads, maxNorm) => {
          const params = grads.map((g, i) => param(`p${i}`, g));
          const before = params.map((p) => Array.from(p.grad.data));
          const expectedNorm = norm(params);
          const returned = clipGradNorm(params, maxNorm);
          if (Math.abs(returned - expectedNorm) > 1e-12 * Math.max(1, expectedNorm)) return false;
          const after = norm(params);
          if (after > maxNorm * (1 + 1e-12)) return false;
          // Scaled by one common non-negative factor: every element keeps its sign and ratio.
          const factor = expectedNorm > maxNorm ? maxNorm / (expectedNorm + 1e-6) : 1;
          return params.every((p, i) =>
            Array.from(p.grad.data).every((g, j) => Math.abs(g - (before[i]?.[j] ?? 0) * factor) <= 1e-9 * Math.abs(g) + 1e-300),
          );
        },
      ),
    );
  });
});
