import fc from "fast-check";
import { Matrix, Param } from "@backprop/linalg";
import { expectClose } from "@backprop/testing";
import { describe, expect, it } from "vitest";
import { sgd } from "./sgd.js";
import { expectTrajectory, referenceTrajectory, runOptimizer, type ScalarReference } from "./trajectory.test-util.js";

/**
 * SGD written from the equations (Sutskever et al. 2013 momentum; Nesterov in the PyTorch form
 * d = g + μ·b), one scalar at a time, independent of the library code.
 */
function reference(lr: number, momentum = 0, nesterov = false, weightDecay = 0): ScalarReference {
  return (p0, grad, steps) => {
    let p = p0;
    let b = 0;
    const out: number[] = [];
    for (let t = 1; t <= steps; t++) {
      const g = grad(t, p) + weightDecay * p;
      let d = g;
      if (momentum > 0) {
        b = t === 1 ? g : momentum * b + g;
        d = nesterov ? g + momentum * b : b;
      }
      p = p - lr * d;
      out.push(p);
    }
    return out;
  };
}

describe("sgd", () => {
  it("matches hand arithmetic: momentum 0.9, lr 0.1, gradients 1, 2, 3", () => {
    const p = new Param("x", Matrix.fromArray([[1]]));
    const plain = new Param("y", Matrix.fromArray([[1]]));
    const nest = new Param("z", Matrix.fromArray([[1]]));
    const heavy = sgd({ lr: 0.1, momentum: 0.9 });
    const nesterov = sgd({ lr: 0.1, momentum: 0.9, nesterov: true });
    const vanilla = sgd({ lr: 0.1 });
    const got: number[][] = [[], [], []];
    for (const g of [1, 2, 3]) {
      p.grad.data[0] = g;
      plain.grad.data[0] = g;
      nest.grad.data[0] = g;
      heavy.step([p]);
      vanilla.step([plain]);
      nesterov.step([nest]);
      got[0]?.push(p.value.data[0] as number);
      got[1]?.push(plain.value.data[0] as number);
      got[2]?.push(nest.value.data[0] as number);
    }
    // b = 1, 2.9, 5.61 → p = 1 − 0.1, 0.9 − 0.29, 0.61 − 0.561
    expectClose(got[0] ?? [], [0.9, 0.61, 0.049], 1e-12, "momentum");
    expectClose(got[1] ?? [], [0.9, 0.7, 0.4], 1e-12, "plain");
    // d = 1 + 0.9·1, 2 + 0.9·2.9, 3 + 0.9·5.61 = 1.9, 4.61, 8.049
    expectClose(got[2] ?? [], [0.81, 0.349, -0.4559], 1e-12, "nesterov");
  });

  it.each([
    ["plain", { lr: 0.1 }, reference(0.1)],
    ["momentum", { lr: 0.05, momentum: 0.9 }, reference(0.05, 0.9)],
    ["nesterov", { lr: 0.05, momentum: 0.8, nesterov: true }, reference(0.05, 0.8, true)],
    ["weight decay", { lr: 0.1, weightDecay: 0.01 }, reference(0.1, 0, false, 0.01)],
    [
      "nesterov + weight decay",
      { lr: 0.07, momentum: 0.5, nesterov: true, weightDecay: 0.1 },
      reference(0.07, 0.5, true, 0.1),
    ],
  ] as const)("follows the golden trajectory: %s", (label, options, ref) => {
    expectTrajectory(runOptimizer(sgd(options)), referenceTrajectory(ref), 1e-12, `sgd ${label}`);
  });

  it("has no momentum slot without momentum", () => {
    const opt = sgd({ lr: 0.1 });
    runOptimizer(opt, 1);
    expect(opt.stateDict().slots).toEqual({ w: {}, b: {} });
    const withMomentum = sgd({ lr: 0.1, momentum: 0.9 });
    runOptimizer(withMomentum, 1);
    expect(Object.keys(withMomentum.stateDict().slots.w ?? {})).toEqual(["momentumBuffer"]);
  });

  it("validates its hyperparameters", () => {
    expect(() => sgd({ momentum: -0.1 })).toThrow(/sgd: invalid momentum \(got -0\.1, expected a finite number in \[0, 1\]\)/);
    expect(() => sgd({ momentum: 1.5 })).toThrow(/momentum/);
    expect(() => sgd({ weightDecay: -1 })).toThrow(/invalid weightDecay \(got -1/);
    expect(() => sgd({ nesterov: true })).toThrow(/nesterov needs momentum/);
    expect(() => sgd({ lr: -0.01 })).toThrow(/sgd: invalid lr \(got -0\.01/);
    expect(() => sgd({ lr: Number.NaN })).toThrow(/invalid lr \(got NaN/);
    try {
      sgd({ momentum: 2 });
      expect.unreachable();
    } catch (e) {
      expect((e as { code?: string }).code).toBe("INVALID_CONFIG");
    }
  });

  it("never changes params when lr = 0 (property)", () => {
    fc.assert(
      fc.property(
        fc.record({
          momentum: fc.double({ min: 0.01, max: 1, noNaN: true }),
          nesterov: fc.boolean(),
          weightDecay: fc.double({ min: 0, max: 10, noNaN: true }),
        }),
        fc.array(fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 3, maxLength: 3 }), {
          minLength: 1,
          maxLength: 6,
        }),
        fc.array(fc.double({ min: -100, max: 100, noNaN: true }), { minLength: 3, maxLength: 3 }),
        (hp, grads, start) => {
          const p = new Param("p", Matrix.fromArray([start]));
          const opt = sgd({ lr: 0, ...hp });
          for (const g of grads) {
            p.grad.data.set(g);
            opt.step([p]);
          }
          // === rather than Object.is: p − 0·d may turn −0 into +0, which is the same value.
          return start.every((v, i) => p.value.data[i] === v);
        },
      ),
    );
  });
});
