import { Matrix, Param } from "@backprop/linalg";
import { expectClose } from "@backprop/testing";
import { describe, expect, it } from "vitest";
import { adagrad } from "./adagrad.js";
import { expectTrajectory, referenceTrajectory, runOptimizer, type ScalarReference } from "./trajectory.test-util.js";

/** Adagrad from Duchi et al. 2011 (diagonal form), scalar by scalar, independent of the library. */
function reference(lr: number, eps = 1e-10, weightDecay = 0, initial = 0): ScalarReference {
  return (p0, grad, steps) => {
    let p = p0;
    let sumOfSquares = initial;
    const out: number[] = [];
    for (let t = 1; t <= steps; t++) {
      const g = grad(t, p) + weightDecay * p;
      sumOfSquares += g ** 2;
      p -= (lr / (Math.sqrt(sumOfSquares) + eps)) * g;
      out.push(p);
    }
    return out;
  };
}

describe("adagrad", () => {
  it("matches hand arithmetic: gradients 3, 4 from 1 with lr 0.5", () => {
    const p = new Param("x", Matrix.fromArray([[1]]));
    const opt = adagrad({ lr: 0.5, eps: 0 });
    const got: number[] = [];
    for (const g of [3, 4]) {
      p.grad.data[0] = g;
      opt.step([p]);
      got.push(p.value.data[0] as number);
    }
    // s = 9 → p = 1 − 0.5·3/3 = 0.5; s = 25 → p = 0.5 − 0.5·4/5 = 0.1
    expectClose(got, [0.5, 0.1], 1e-15, "adagrad");
  });

  it.each([
    ["defaults", { lr: 0.1 }, reference(0.1)],
    ["initial accumulator", { lr: 0.3, initialAccumulatorValue: 0.1 }, reference(0.3, 1e-10, 0, 0.1)],
    ["weight decay + eps", { lr: 0.2, weightDecay: 0.05, eps: 1e-3 }, reference(0.2, 1e-3, 0.05)],
  ] as const)("follows the golden trajectory: %s", (label, options, ref) => {
    expectTrajectory(runOptimizer(adagrad(options)), referenceTrajectory(ref), 1e-12, `adagrad ${label}`);
  });

  it("starts the accumulator at initialAccumulatorValue", () => {
    const opt = adagrad({ initialAccumulatorValue: 0.25 });
    const p = new Param("x", Matrix.fromArray([[1, 2]]));
    opt.step([p]); // zero gradient: the sum stays at its start
    expect(opt.stateDict().slots.x?.sum).toEqual([0.25, 0.25]);
  });

  it("validates its hyperparameters", () => {
    expect(() => adagrad({ eps: -1 })).toThrow(/adagrad: invalid eps \(got -1/);
    expect(() => adagrad({ initialAccumulatorValue: -0.1 })).toThrow(/initialAccumulatorValue \(got -0\.1/);
    expect(() => adagrad({ weightDecay: Number.POSITIVE_INFINITY })).toThrow(/weightDecay \(got Infinity/);
  });
});
