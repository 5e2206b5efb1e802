import { Matrix, Param } from "@backprop/linalg";
import { expectClose } from "@backprop/testing";
import { describe, expect, it } from "vitest";
import { rmsprop } from "./rmsprop.js";
import { expectTrajectory, referenceTrajectory, runOptimizer, type ScalarReference } from "./trajectory.test-util.js";

interface Hp {
  readonly lr: number;
  readonly rho?: number;
  readonly momentum?: number;
  readonly centered?: boolean;
  readonly eps?: number;
  readonly weightDecay?: number;
}

/**
 * RMSprop from Hinton's lecture 6e (mean square), Graves 2013 eq. 38–41 (centered: subtract the
 * squared mean gradient) and classic momentum on the scaled gradient, scalar by scalar.
 */
function reference({ lr, rho = 0.99, momentum = 0, centered = false, eps = 1e-8, weightDecay = 0 }: Hp): ScalarReference {
  return (p0, grad, steps) => {
    let p = p0;
    let meanSquare = 0;
    let mean = 0;
    let velocity = 0;
    const out: number[] = [];
    for (let t = 1; t <= steps; t++) {
      const g = grad(t, p) + weightDecay * p;
      meanSquare = rho * meanSquare + (1 - rho) * g ** 2;
      mean = rho * mean + (1 - rho) * g;
      const variance = centered ? meanSquare - mean ** 2 : meanSquare;
      const scaled = g / (Math.sqrt(variance) + eps);
      if (momentum > 0) {
        velocity = momentum * velocity + scaled;
        p -= lr * velocity;
      } else {
        p -= lr * scaled;
      }
      out.push(p);
    }
    return out;
  };
}

describe("rmsprop", () => {
  it("moves the first step by lr·g / (√(1−ρ)·|g| + ε)", () => {
    const p = new Param("x", Matrix.fromArray([[1, -2]]));
    p.grad.data.set([2, -0.5]);
    rmsprop({ lr: 0.01, rho: 0.75, eps: 0 }).step([p]);
    // √(1 − 0.75) = 0.5: each element moves by 0.01·sign(g)/0.5 = 0.02·sign(g)
    expectClose(p.value, [0.98, -1.98], 1e-15, "rmsprop first step");
  });

  it.each([
    ["defaults", { lr: 0.01 }],
    ["rho 0.9", { lr: 0.05, rho: 0.9 }],
    ["momentum", { lr: 0.01, rho: 0.9, momentum: 0.8 }],
    ["centered", { lr: 0.01, rho: 0.8, centered: true }],
    ["centered + momentum + weight decay", { lr: 0.02, rho: 0.85, centered: true, momentum: 0.6, weightDecay: 0.1, eps: 1e-4 }],
  ] as const)("follows the golden trajectory: %s", (label, options) => {
    expectTrajectory(runOptimizer(rmsprop(options)), referenceTrajectory(reference(options)), 1e-12, `rmsprop ${label}`);
  });

  it("allocates gradAvg only when centered and momentumBuffer only with momentum", () => {
    const slotsOf = (opt: ReturnType<typeof rmsprop>): string[] => {
      runOptimizer(opt, 1);
      return Object.keys(opt.stateDict().slots.w ?? {});
    };
    expect(slotsOf(rmsprop())).toEqual(["squareAvg"]);
    expect(slotsOf(rmsprop({ centered: true, momentum: 0.9 }))).toEqual(["squareAvg", "gradAvg", "momentumBuffer"]);
  });

  it("validates its hyperparameters", () => {
    expect(() => rmsprop({ rho: 1 })).toThrow(/rmsprop: invalid rho \(got 1, expected a finite number in \[0, 1\)\)/);
    expect(() => rmsprop({ momentum: -0.5 })).toThrow(/invalid momentum \(got -0\.5/);
    expect(() => rmsprop({ eps: -1e-8 })).toThrow(/invalid eps/);
  });
});
