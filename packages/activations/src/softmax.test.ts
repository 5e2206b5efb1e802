import { Rng } from "@backprop/linalg";
import { gradCheck, errorCode } from "@backprop/testing";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isActivation } from "./is-activation.js";
import { getActivation } from "./registry.js";
import { softmax } from "./softmax.js";

describe("softmax, the vector activation", () => {
  it("normalises each run of `width` elements into a probability distribution", () => {
    const z = Float64Array.of(1, 2, 3, 0, 0, 0);
    const p = new Float64Array(6);
    softmax.apply(z, p, 3);
    const e = [Math.exp(1 - 3), Math.exp(2 - 3), 1];
    const s = e[0]! + e[1]! + e[2]!;
    expect(Array.from(p)).toEqual([e[0]! / s, e[1]! / s, 1 / s, 1 / 3, 1 / 3, 1 / 3]);
    // Stable for huge logits: the row maximum is subtracted first.
    softmax.apply(Float64Array.of(1000, 1000), p.subarray(0, 2), 2);
    expect(Array.from(p.subarray(0, 2))).toEqual([0.5, 0.5]);
  });

  it("rows sum to 1 and are shift-invariant (fast-check)", () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -50, max: 50, noNaN: true }), { minLength: 1, maxLength: 8 }), fc.double({ min: -20, max: 20, noNaN: true }), (row, shift) => {
        const p = new Float64Array(row.length);
        softmax.apply(Float64Array.from(row), p);
        expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
        const q = new Float64Array(row.length);
        softmax.apply(Float64Array.from(row, (v) => v + shift), q);
        p.forEach((v, i) => expect(Math.abs(v - (q[i] as number))).toBeLessThan(1e-12));
      }),
    );
  });

  it("backward is the Jacobian-vector product (finite differences, float64)", () => {
    const rng = new Rng(3);
    const width = 4;
    const x = Float64Array.from({ length: 3 * width }, () => rng.normal());
    const r = Float64Array.from({ length: x.length }, () => rng.normal());
    const y = new Float64Array(x.length);
    const loss = () => {
      softmax.apply(x, y, width);
      return y.reduce((s, v, i) => s + v * (r[i] as number), 0);
    };
    loss();
    const dx = new Float64Array(x.length);
    softmax.backward(x, y, r, dx, width);
    expect(gradCheck(x, dx, loss).maxRelativeError).toBeLessThan(1e-7);
    // dst may alias grad (y is recomputed at x first: the check left it at a perturbed point).
    loss();
    softmax.backward(x, y, r, dx, width);
    const inPlace = Float64Array.from(r);
    softmax.backward(x, y, inPlace, inPlace, width);
    expect(Array.from(inPlace)).toEqual(Array.from(dx));
  });

  it("is a registered activation with no scalar form, and rejects a width that does not divide", () => {
    expect(getActivation("softmax")).toBe(softmax);
    expect(isActivation(softmax)).toBe(true);
    expect(softmax.vector).toBe(true);
    expect(errorCode(() => softmax.f(0))).toBe("INVALID_STATE");
    expect(errorCode(() => softmax.apply(new Float64Array(6), new Float64Array(6), 4))).toBe("SHAPE_MISMATCH");
    expect(errorCode(() => softmax.apply(new Float64Array(6), new Float64Array(5), 3))).toBe("SHAPE_MISMATCH");
  });
});
