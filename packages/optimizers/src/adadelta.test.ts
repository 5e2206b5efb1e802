import { Matrix, Param } from "@backprop/linalg";
import { expectClose } from "@backprop/testing";
import { describe, expect, it } from "vitest";
import { adadelta } from "./adadelta.js";
import { expectTrajectory, referenceTrajectory, runOptimizer, type ScalarReference } from "./trajectory.test-util.js";

/** Adadelta, Zeiler 2012 Algorithm 1 (with a scaling lr as in PyTorch), scalar by scalar. */
function reference(lr = 1, rho = 0.9, eps = 1e-6, weightDecay = 0): ScalarReference {
  return (p0, grad, steps) => {
    let x = p0;
    let eG2 = 0; // E[g²]
    let eDx2 = 0; // E[Δx²]
    const out: number[] = [];
    for (let t = 1; t <= steps; t++) {
      const g = grad(t, x) + weightDecay * x;
      eG2 = rho * eG2 + (1 - rho) * g * g; // step 4
      const rmsDx = Math.sqrt(eDx2 + eps);
      const rmsG = Math.sqrt(eG2 + eps);
      const dx = -(rmsDx / rmsG) * g; // step 5
      eDx2 = rho * eDx2 + (1 - rho) * dx * dx; // step 6
      x += lr * dx; // step 7
      out.push(x);
    }
    return out;
  };
}

describe("adadelta", () => {
  it("matches hand arithmetic on the first step", () => {
    // ρ = 0.5, ε = 1: E[g²] = 0.5·4 = 2, Δ = √(0 + 1)/√(2 + 1)·2 = 2/√3
    const p = new Param("x", Matrix.fromArray([[1]]));
    p.grad.data[0] = 2;
    adadelta({ rho: 0.5, eps: 1 }).step([p]);
    expectClose(p.value, [1 - 2 / Math.sqrt(3)], 1e-15, "adadelta first step");
  });

  it.each([
    ["defaults", {}, reference()],
    ["rho 0.5, eps 1e-3", { rho: 0.5, eps: 1e-3 }, reference(1, 0.5, 1e-3)],
    ["lr + weight decay", { lr: 0.5, rho: 0.95, weightDecay: 0.2 }, reference(0.5, 0.95, 1e-6, 0.2)],
  ] as const)("follows the golden trajectory: %s", (label, options, ref) => {
    expectTrajectory(runOptimizer(adadelta(options)), referenceTrajectory(ref), 1e-12, `adadelta ${label}`);
  });

  it("defaults to lr 1, as PyTorch", () => {
    expect(adadelta().config).toMatchObject({ lr: 1, rho: 0.9, eps: 1e-6, weightDecay: 0 });
  });

  it("validates its hyperparameters", () => {
    expect(() => adadelta({ rho: 1.01 })).toThrow(/adadelta: invalid rho \(got 1\.01/);
    expect(() => adadelta({ eps: 0 })).toThrow(/invalid eps \(got 0, expected a finite number > 0\)/);
  });
});
