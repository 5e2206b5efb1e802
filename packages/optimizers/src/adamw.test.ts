import { describe, expect, it } from "vitest";
import { adam } from "./adam.js";
import { adamw } from "./adamw.js";
import { expectTrajectory, maxAbsDiff, referenceTrajectory, runOptimizer, type ScalarReference } from "./trajectory.test-util.js";

interface Hp {
  readonly lr?: number;
  readonly beta1?: number;
  readonly beta2?: number;
  readonly eps?: number;
  readonly weightDecay?: number;
  readonly amsgrad?: boolean;
}

/**
 * AdamW, Loshchilov & Hutter 2019 Algorithm 2 with the decay scaled by the learning rate (as
 * PyTorch does): θ ← θ − η·λ·θ, then the Adam step on the raw gradient. Scalar by scalar.
 */
function reference({ lr = 0.001, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weightDecay = 0.01, amsgrad = false }: Hp): ScalarReference {
  return (p0, grad, steps) => {
    let theta = p0;
    let m = 0;
    let v = 0;
    let vMax = 0;
    const out: number[] = [];
    for (let t = 1; t <= steps; t++) {
      const g = grad(t, theta); // the gradient at the un-decayed θ
      theta = theta - lr * weightDecay * theta;
      m = beta1 * m + (1 - beta1) * g;
      v = beta2 * v + (1 - beta2) * g * g;
      vMax = Math.max(vMax, v);
      const mHat = m / (1 - beta1 ** t);
      const vHat = (amsgrad ? vMax : v) / (1 - beta2 ** t);
      theta = theta - (lr * mHat) / (Math.sqrt(vHat) + eps);
      out.push(theta);
    }
    return out;
  };
}

describe("adamw", () => {
  it.each([
    ["defaults (weightDecay 0.01)", {}],
    ["strong decay", { lr: 0.05, weightDecay: 0.5 }],
    ["betas", { lr: 0.02, beta1: 0.5, beta2: 0.75, weightDecay: 0.1 }],
    ["amsgrad", { lr: 0.05, beta1: 0.8, beta2: 0.6, weightDecay: 0.2, amsgrad: true }],
  ] as const)("follows the golden trajectory: %s", (label, options) => {
    expectTrajectory(runOptimizer(adamw(options)), referenceTrajectory(reference(options)), 1e-12, `adamw ${label}`);
  });

  it("decouples the decay: unlike adam's L2 term, it is not rescaled by √v̂", () => {
    const options = { lr: 0.05, weightDecay: 0.5 };
    expect(maxAbsDiff(runOptimizer(adamw(options)), runOptimizer(adam(options)))).toBeGreaterThan(1e-3);
  });

  it("equals adam when weightDecay is 0", () => {
    const options = { lr: 0.05, beta2: 0.9, weightDecay: 0 };
    expect(maxAbsDiff(runOptimizer(adamw(options)), runOptimizer(adam(options)))).toBe(0);
  });

  it("validates its hyperparameters", () => {
    expect(() => adamw({ weightDecay: -0.01 })).toThrow(/adamw: invalid weightDecay \(got -0\.01/);
    expect(() => adamw({ beta1: 1.5 })).toThrow(/invalid beta1 \(got 1\.5/);
  });
});
