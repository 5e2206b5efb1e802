import { Matrix, Param } from "@backprop/linalg";
import { expectClose } from "@backprop/testing";
import { describe, expect, it } from "vitest";
import { adamax } from "./adamax.js";
import { expectTrajectory, referenceTrajectory, runOptimizer, type ScalarReference } from "./trajectory.test-util.js";

interface Hp {
  readonly lr?: number;
  readonly beta1?: number;
  readonly beta2?: number;
  readonly eps?: number;
  readonly weightDecay?: number;
}

/**
 * Adamax, Kingma & Ba 2015 Algorithm 2, scalar by scalar, with ε inside the maximum
 * (u ← max(β₂u, |g| + ε)) as PyTorch places it so u is never 0.
 */
function reference({ lr = 0.002, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weightDecay = 0 }: Hp): ScalarReference {
  return (p0, grad, steps) => {
    let theta = p0;
    let m = 0;
    let u = 0;
    const out: number[] = [];
    for (let t = 1; t <= steps; t++) {
      const g = grad(t, theta) + weightDecay * theta;
      m = beta1 * m + (1 - beta1) * g;
      u = Math.max(beta2 * u, Math.abs(g) + eps);
      theta = theta - (lr / (1 - beta1 ** t)) * (m / u);
      out.push(theta);
    }
    return out;
  };
}

describe("adamax", () => {
  it("matches hand arithmetic over two steps", () => {
    // β₁ = 0.5, β₂ = 0.5, ε = 0, lr = 1. Step 1, g = 4: m = 2, u = 4, p = 1 − (1/0.5)·(2/4) = 0.
    // Step 2, g = −1: m = 0.5, u = max(2, 1) = 2, p = 0 − (1/0.75)·(0.5/2) = −1/3.
    const p = new Param("x", Matrix.fromArray([[1]]));
    const opt = adamax({ lr: 1, beta1: 0.5, beta2: 0.5, eps: 0 });
    const got: number[] = [];
    for (const g of [4, -1]) {
      p.grad.data[0] = g;
      opt.step([p]);
      got.push(p.value.data[0] as number);
    }
    expectClose(got, [0, -1 / 3], 1e-15, "adamax");
  });

  it.each([
    ["defaults", {}],
    ["lr 0.05", { lr: 0.05 }],
    ["fast infinity-norm decay + weight decay", { lr: 0.03, beta1: 0.7, beta2: 0.5, weightDecay: 0.1 }],
  ] as const)("follows the golden trajectory: %s", (label, options) => {
    expectTrajectory(runOptimizer(adamax(options)), referenceTrajectory(reference(options)), 1e-12, `adamax ${label}`);
  });

  it("validates its hyperparameters", () => {
    expect(() => adamax({ beta2: 1 })).toThrow(/adamax: invalid beta2 \(got 1/);
    expect(() => adamax({ lr: -1 })).toThrow(/invalid lr/);
  });
});
