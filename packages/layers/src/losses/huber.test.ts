import { Matrix, isBackpropError } from "@backprop/linalg";
import { expectClose } from "@backprop/testing";
import { describe, expect, it } from "vitest";
import { huber } from "./huber.js";

describe("huber", () => {
  it("matches the Keras documentation example (0.155)", () => {
    // errors 0.6, −0.6, 0.4, 0.6, all ≤ δ = 1: ½e² = 0.18, 0.18, 0.08, 0.18 → 0.62/4
    const yTrue = Matrix.fromArray([[0, 1], [0, 0]]);
    const yPred = Matrix.fromArray([[0.6, 0.4], [0.4, 0.6]]);
    expect(huber().compute(yPred, yTrue)).toBeCloseTo(0.155, 15);
  });

  it("is quadratic inside δ and linear outside, with a clipped gradient", () => {
    const loss = huber({ delta: 1 });
    expect(loss.config).toEqual({ delta: 1 });
    // errors 0.5 → 0.125; 3 → 1·(3 − 0.5) = 2.5; −2 → 1.5; 1 (boundary) → 0.5
    const yPred = Matrix.fromArray([[0.5, 3, -2, 1]]);
    const yTrue = Matrix.zeros(1, 4);
    expect(loss.compute(yPred, yTrue)).toBe((0.125 + 2.5 + 1.5 + 0.5) / 4);
    expectClose(loss.gradient(yPred, yTrue, Matrix.zeros(1, 4)), [0.125, 0.25, -0.25, 0.25], 1e-16, "gradient");
  });

  it("uses δ in both branches", () => {
    const loss = huber({ delta: 0.5 });
    // e = 2: 0.5·(2 − 0.25) = 0.875; gradient 0.5
    const yPred = Matrix.fromArray([[2]]);
    expect(loss.compute(yPred, Matrix.zeros(1, 1))).toBe(0.875);
    expect(loss.gradient(yPred, Matrix.zeros(1, 1), Matrix.zeros(1, 1)).data[0]).toBe(0.5);
  });

  it("validates delta", () => {
    for (const delta of [0, -1, Number.NaN, Infinity]) {
      try {
        huber({ delta });
        expect.unreachable();
      } catch (e) {
        expect(isBackpropError(e) && e.code).toBe("INVALID_CONFIG");
        expect((e as Error).message).toContain("huber: invalid delta");
      }
    }
    expect(() => huber({ delta: "1" } as never)).toThrow(/got "1", expected a finite number > 0/);
    expect(() => huber({ detla: 1 } as never)).toThrow(/unknown config key "detla" \(expected one of: delta\)/);
  });
});
