import { Matrix, Param } from "@backprop/linalg";
import { expectClose } from "@backprop/testing";
import { describe, expect, it } from "vitest";
import { adam } from "./adam.js";
import { expectTrajectory, referenceTrajectory, runOptimizer, type ScalarReference } from "./trajectory.test-util.js";

interface Hp {
  readonly lr?: number;
  readonly beta1?: number;
  readonly beta2?: number;
  readonly eps?: number;
  readonly weightDecay?: number;
  readonly amsgrad?: boolean;
}

/**
 * Adam, Kingma & Ba 2015 Algorithm 1, scalar by scalar: bias-corrected m̂ and v̂, ε outside the
 * square root. AMSGrad (Reddi et al. 2018) as PyTorch applies it: the running maximum of v,
 * still bias-corrected. L2 weight decay is added to the gradient.
 */
function reference({ lr = 0.001, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weightDecay = 0, amsgrad = false }: Hp): ScalarReference {
  return (p0, grad, steps) => {
    let theta = p0;
    let m = 0;
    let v = 0;
    let vMax = 0;
    const out: number[] = [];
    for (let t = 1; t <= steps; t++) {
      const g = grad(t, theta) + weightDecay * theta;
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

describe("adam", () => {
  it("moves the first step by lr·g/(|g| + ε) (bias correction makes m̂ = g, v̂ = g²)", () => {
    const p = new Param("x", Matrix.fromArray([[1, -3]]));
    p.grad.data.set([2, -0.5]);
    adam({ lr: 0.1 }).step([p]);
    // 1 − 0.1·2/(2 + 1e-8) = 0.9000000005 (to 1e-17); −3 + 0.1·0.5/(0.5 + 1e-8) = −2.900000002
    expectClose(p.value, [0.9000000005, -2.900000002], 1e-12, "adam first step");
  });

  it.each([
    ["defaults", {}],
    ["lr 0.05", { lr: 0.05 }],
    ["betas", { lr: 0.02, beta1: 0.5, beta2: 0.75, eps: 1e-6 }],
    ["amsgrad", { lr: 0.05, beta1: 0.8, beta2: 0.6, amsgrad: true }],
    ["amsgrad + weight decay", { lr: 0.03, beta2: 0.5, amsgrad: true, weightDecay: 0.2 }],
  ] as const)("follows the golden trajectory: %s", (label, options) => {
    expectTrajectory(runOptimizer(adam(options)), referenceTrajectory(reference(options)), 1e-12, `adam ${label}`);
  });

  it("amsgrad really differs from plain Adam on this problem", () => {
    const options = { lr: 0.05, beta1: 0.8, beta2: 0.6 };
    const plain = referenceTrajectory(reference(options));
    const ams = referenceTrajectory(reference({ ...options, amsgrad: true }));
    expect(plain.flat().some((v, i) => Math.abs(v - (ams.flat()[i] as number)) > 1e-6)).toBe(true);
  });

  it("validates its hyperparameters", () => {
    expect(() => adam({ beta1: 1 })).toThrow(/adam: invalid beta1 \(got 1, expected a finite number in \[0, 1\)\)/);
    expect(() => adam({ beta2: -0.1 })).toThrow(/invalid beta2 \(got -0\.1/);
    expect(() => adam({ eps: -1 })).toThrow(/invalid eps/);
    expect(() => adam({ amsgrad: "yes" as unknown as boolean })).toThrow(/invalid amsgrad \(got "yes", expected true or false\)/);
  });
});
