import { BackpropError, Matrix, Param } from "@backprop/linalg";
import { describe, expect, it } from "vitest";
import { adam } from "./adam.js";
import { exponentialDecay } from "./exponential-decay.js";
import { sgd } from "./sgd.js";

// plainSgd() lets a fused kernel apply an optimizer's update itself; recordSteps() then advances
// the optimizer's counts as the same number of step() calls would.

function params(): Param[] {
  const w = new Param("w", Matrix.fromArray([[1, 2], [3, 4]]));
  const b = new Param("b", Matrix.fromArray([[0.5, -0.5]]));
  const frozen = new Param("frozen", Matrix.fromArray([[7]]), false);
  return [w, b, frozen];
}

describe("plainSgd and recordSteps", () => {
  it("describe plain SGD only: no momentum, a fixed rate, no clipping", () => {
    expect(sgd({ lr: 0.3, weightDecay: 0.01 }).plainSgd?.()).toEqual({ lr: 0.3, weightDecay: 0.01 });
    expect(sgd().plainSgd?.()).toEqual({ lr: 0.01, weightDecay: 0 });
    expect(sgd({ lr: 0.1, momentum: 0.9 }).plainSgd?.()).toBeUndefined();
    expect(sgd({ lr: 0.1, clipNorm: 1 }).plainSgd?.()).toBeUndefined();
    expect(sgd({ lr: 0.1, clipValue: 1 }).plainSgd?.()).toBeUndefined();
    expect(sgd({ lr: exponentialDecay({ initial: 0.1, gamma: 0.5, decaySteps: 10 }) }).plainSgd?.()).toBeUndefined();
    expect(adam().plainSgd?.()).toBeUndefined();
  });

  it("recordSteps leaves the optimizer as that many step() calls do (counts per parameter, frozen ones skipped)", () => {
    const stepped = sgd({ lr: 0.1 });
    const recorded = sgd({ lr: 0.1 });
    const a = params();
    const b = params();
    for (let i = 0; i < 3; i++) stepped.step(a);
    recorded.recordSteps?.(b, 2);
    recorded.recordSteps?.(b, 1);
    recorded.recordSteps?.(b, 0);
    expect(recorded.iterations).toBe(3);
    // Values differ (recordSteps applies nothing); the state — step and per-parameter counts — is the same.
    expect(recorded.stateDict()).toEqual(stepped.stateDict());
    // And the two continue alike.
    stepped.step(a);
    recorded.step(b);
    expect(recorded.stateDict()).toEqual(stepped.stateDict());
  });

  it("recordSteps refuses a bad count and bad params with a typed error", () => {
    const opt = sgd({ lr: 0.1 });
    expect(() => opt.recordSteps?.(params(), -1)).toThrow(BackpropError);
    expect(() => opt.recordSteps?.(params(), 1.5)).toThrow(/count must be an integer/);
    const twins = [new Param("w", Matrix.fromArray([[1]])), new Param("w", Matrix.fromArray([[2]]))];
    expect(() => opt.recordSteps?.(twins, 1)).toThrow(/two trainable params are named "w"/);
  });
});
