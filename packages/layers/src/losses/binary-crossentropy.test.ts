import { softmax as softmaxActivation, sigmoid as sigmoidActivation } from "@backprop/activations";
import { Matrix, isBackpropError } from "@backprop/linalg";
import { expectClose } from "@backprop/testing";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { binaryCrossentropy } from "./binary-crossentropy.js";

const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));
/** The textbook formula, fine for moderate inputs: −[t·log p + (1 − t)·log(1 − p)]. */
const naive = (p: number, t: number): number => -(t * Math.log(p) + (1 - t) * Math.log(1 - p));

describe("binaryCrossentropy on probabilities", () => {
  it("has the Keras defaults", () => {
    const loss = binaryCrossentropy();
    expect(loss.name).toBe("binaryCrossentropy");
    expect(loss.config).toEqual({ fromLogits: false, eps: 1e-7 });
    expect(loss.fusedGradient?.(softmaxActivation)).toBeUndefined();
    expect(loss.fusedGradient?.(sigmoidActivation)).toBeTypeOf("function");
  });

  it("matches the Keras documentation example (0.815)", () => {
    const yTrue = Matrix.fromArray([[0, 1], [0, 0]]);
    const yPred = Matrix.fromArray([[0.6, 0.4], [0.4, 0.6]]);
    const value = binaryCrossentropy().compute(yPred, yTrue);
    expect(value).toBeCloseTo((naive(0.6, 0) + naive(0.4, 1) + naive(0.4, 0) + naive(0.6, 0)) / 4, 14);
    expect(value).toBeCloseTo(0.815, 3);
  });

  it("has gradient (p − t)/(p(1 − p)·n)", () => {
    const yPred = Matrix.fromArray([[0.8, 0.25]]);
    const yTrue = Matrix.fromArray([[1, 0]]);
    const g = binaryCrossentropy().gradient(yPred, yTrue, Matrix.zeros(1, 2));
    expectClose(g, [-0.2 / (0.8 * 0.2 * 2), 0.25 / (0.25 * 0.75 * 2)], 1e-15, "gradient");
  });

  it("clips probabilities of exactly 0 and 1 (finite loss, gradient pointing back)", () => {
    const loss = binaryCrossentropy();
    const yPred = Matrix.fromArray([[0, 1]]);
    const yTrue = Matrix.fromArray([[1, 0]]);
    expect(loss.compute(yPred, yTrue)).toBeCloseTo(-Math.log(1e-7), 6);
    const g = loss.gradient(yPred, yTrue, Matrix.zeros(1, 2));
    expect(Number.isFinite(g.data[0]) && Number.isFinite(g.data[1])).toBe(true);
    expect(g.data[0]).toBeLessThan(0);
    expect(g.data[1]).toBeGreaterThan(0);
    expect(binaryCrossentropy({ eps: 1e-3 }).compute(yPred, yTrue)).toBeCloseTo(-Math.log(1e-3), 12);
  });

  it("sigmoidGradient is (p − t)/n, nonzero even for a saturated sigmoid", () => {
    const yPred = Matrix.fromArray([[1, 0.3]]);
    const yTrue = Matrix.fromArray([[0, 1]]);
    const g = binaryCrossentropy().fusedGradient?.(sigmoidActivation)?.(yPred, yTrue, Matrix.zeros(1, 2));
    expectClose(g ?? [], [0.5, -0.35], 1e-16, "sigmoidGradient");
  });

  it("works on float32 inputs", () => {
    const p = [[0.3, 0.9], [0.55, 0.01]];
    const t = [[0, 1], [1, 0]];
    const loss = binaryCrossentropy();
    const f64 = loss.compute(Matrix.fromArray(p), Matrix.fromArray(t));
    const f32 = loss.compute(Matrix.fromArray(p, "float32"), Matrix.fromArray(t, "float32"));
    expect(Math.abs(f32 - f64) / f64).toBeLessThan(1e-6);
  });
});

describe("binaryCrossentropy fromLogits", () => {
  it("equals the textbook formula on σ(z)", () => {
    // Keras documentation example: 0.865
    const yTrue = Matrix.fromArray([[0, 1, 0, 0]]);
    const z = [-18.6, 0.51, 2.94, -12.8];
    const value = binaryCrossentropy({ fromLogits: true }).compute(Matrix.fromArray([z]), yTrue);
    const expected = z.reduce((s, v, j) => s + naive(sigmoid(v), yTrue.data[j]!), 0) / 4;
    expect(Math.abs(value - expected)).toBeLessThan(1e-12);
    expect(value).toBeCloseTo(0.865, 2);
    expect(binaryCrossentropy({ fromLogits: true }).compute(Matrix.zeros(1, 1), Matrix.ones(1, 1))).toBe(Math.LN2);
  });

  it("is finite for logits ±1000", () => {
    const loss = binaryCrossentropy({ fromLogits: true });
    const z = Matrix.fromArray([[1000, -1000]]);
    expect(loss.compute(z, Matrix.fromArray([[0, 1]]))).toBe(1000);
    expect(loss.compute(z, Matrix.fromArray([[1, 0]]))).toBe(0);
    const g = loss.gradient(z, Matrix.fromArray([[0, 1]]), Matrix.zeros(1, 2));
    expectClose(g, [0.5, -0.5], 0, "gradient");
  });

  it("agrees with the probability form on σ(z) for moderate z", () => {
    fc.assert(
      fc.property(fc.double({ min: -10, max: 10, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), (z, t) => {
        const a = binaryCrossentropy({ fromLogits: true }).compute(Matrix.fromArray([[z]]), Matrix.fromArray([[t]]));
        const b = binaryCrossentropy().compute(Matrix.fromArray([[sigmoid(z)]]), Matrix.fromArray([[t]]));
        expect(Math.abs(a - b)).toBeLessThan(1e-9);
      }),
    );
  });

  it("is ≥ 0 and finite for any finite logit and target in [0, 1]", () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e300, max: 1e300 }), fc.double({ min: 0, max: 1, noNaN: true }), (z, t) => {
        const v = binaryCrossentropy({ fromLogits: true }).compute(Matrix.fromArray([[z]]), Matrix.fromArray([[t]]));
        expect(v).toBeGreaterThanOrEqual(0);
      }),
    );
  });

  it("has no sigmoid fusion (it already takes logits)", () => {
    const loss = binaryCrossentropy({ fromLogits: true });
    expect(loss.fusedGradient?.(sigmoidActivation)).toBeUndefined();
    expect(loss.fusedGradient?.(sigmoidActivation)).toBeUndefined();
  });
});

describe("binaryCrossentropy config", () => {
  it("rejects bad options with INVALID_CONFIG", () => {
    const bad: unknown[] = [{ eps: 0 }, { eps: 0.5 }, { eps: -1 }, { fromLogits: "yes" }, { fromLogit: true }, 3];
    for (const options of bad) {
      try {
        binaryCrossentropy(options as never);
        expect.unreachable();
      } catch (e) {
        expect(isBackpropError(e) && e.code, JSON.stringify(options)).toBe("INVALID_CONFIG");
        expect((e as Error).message).toMatch(/^binaryCrossentropy: /);
      }
    }
  });
});
