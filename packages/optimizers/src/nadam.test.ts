import { describe, expect, it } from "vitest";
import { nadam } from "./nadam.js";
import { expectTrajectory, referenceTrajectory, runOptimizer, type ScalarReference } from "./trajectory.test-util.js";

interface Hp {
  readonly lr?: number;
  readonly beta1?: number;
  readonly beta2?: number;
  readonly eps?: number;
  readonly weightDecay?: number;
  readonly momentumDecay?: number;
}

/**
 * NAdam as PyTorch documents it (Dozat 2016 with a constant β₁ in the moment average), scalar by
 * scalar. The products Π μᵢ are recomputed from scratch every step rather than carried.
 */
function reference({ lr = 0.002, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weightDecay = 0, momentumDecay = 0.004 }: Hp): ScalarReference {
  const mu = (i: number): number => beta1 * (1 - 0.5 * Math.pow(0.96, i * momentumDecay));
  const productUpTo = (n: number): number => {
    let product = 1;
    for (let i = 1; i <= n; i++) product *= mu(i);
    return product;
  };
  return (p0, grad, steps) => {
    let theta = p0;
    let m = 0;
    let v = 0;
    const out: number[] = [];
    for (let t = 1; t <= steps; t++) {
      const g = grad(t, theta) + weightDecay * theta;
      m = beta1 * m + (1 - beta1) * g;
      v = beta2 * v + (1 - beta2) * g * g;
      const mHat = (mu(t + 1) * m) / (1 - productUpTo(t + 1)) + ((1 - mu(t)) * g) / (1 - productUpTo(t));
      const vHat = v / (1 - Math.pow(beta2, t));
      theta = theta - (lr * mHat) / (Math.sqrt(vHat) + eps);
      out.push(theta);
    }
    return out;
  };
}

describe("nadam", () => {
  it.each([
    ["defaults", {}],
    ["lr 0.05", { lr: 0.05 }],
    ["strong momentum decay", { lr: 0.02, momentumDecay: 0.5, beta2: 0.8 }],
    ["weight decay + betas", { lr: 0.03, beta1: 0.6, beta2: 0.7, weightDecay: 0.1, eps: 1e-6 }],
  ] as const)("follows the golden trajectory: %s", (label, options) => {
    expectTrajectory(runOptimizer(nadam(options)), referenceTrajectory(reference(options)), 1e-12, `nadam ${label}`);
  });

  it("keeps μ's running product as one number per parameter", () => {
    const opt = nadam({ momentumDecay: 0.5 });
    runOptimizer(opt, 2);
    const mu = (i: number): number => 0.9 * (1 - 0.5 * 0.96 ** (i * 0.5));
    const product = opt.stateDict().slots.w?.muProduct;
    expect(product).toHaveLength(1);
    expect(Math.abs((product?.[0] ?? 0) - mu(1) * mu(2))).toBeLessThan(1e-15);
  });

  it("validates its hyperparameters", () => {
    expect(() => nadam({ momentumDecay: -1 })).toThrow(/nadam: invalid momentumDecay \(got -1/);
    expect(() => nadam({ beta1: Number.NaN })).toThrow(/invalid beta1 \(got NaN/);
  });
});
