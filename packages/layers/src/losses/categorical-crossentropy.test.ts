import { softmax as softmaxActivation } from "@backprop/activations";
import { Matrix, Rng, isBackpropError } from "@backprop/linalg";
import { expectClose } from "@backprop/testing";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { categoricalCrossentropy } from "./categorical-crossentropy.js";
import { softmax } from "./softmax.js";

describe("categoricalCrossentropy on probabilities", () => {
  it("has the Keras defaults and fuses softmax", () => {
    const loss = categoricalCrossentropy();
    expect(loss.name).toBe("categoricalCrossentropy");
    expect(loss.config).toEqual({ fromLogits: false, eps: 1e-7 });
    expect(loss.fusedGradient?.(softmaxActivation)).toBeTypeOf("function");
  });

  it("matches the Keras documentation example (1.177), a zero probability where t = 0 included", () => {
    const yTrue = Matrix.fromArray([[0, 1, 0], [0, 0, 1]]);
    const yPred = Matrix.fromArray([[0.05, 0.95, 0], [0.1, 0.8, 0.1]]);
    const value = categoricalCrossentropy().compute(yPred, yTrue);
    expect(value).toBeCloseTo((-Math.log(0.95) - Math.log(0.1)) / 2, 15);
    expect(value).toBeCloseTo(1.177, 3);
  });

  it("has gradient −t/(p·B)", () => {
    const yPred = Matrix.fromArray([[0.2, 0.3, 0.5], [0.25, 0.25, 0.5]]);
    const yTrue = Matrix.fromArray([[0, 1, 0], [0.5, 0, 0.5]]);
    const g = categoricalCrossentropy().gradient(yPred, yTrue, Matrix.zeros(2, 3));
    expectClose(g, [0, -1 / 0.6, 0, -1, 0, -0.5], 1e-15, "gradient");
  });

  it("softmaxGradient is (p − t)/B for one-hot rows", () => {
    const probs = Matrix.fromArray([[0.2, 0.3, 0.5], [0.1, 0.1, 0.8]]);
    const yTrue = Matrix.fromArray([[0, 1, 0], [0, 0, 1]]);
    const g = categoricalCrossentropy().fusedGradient?.(softmaxActivation)?.(probs, yTrue, Matrix.zeros(2, 3));
    expectClose(g ?? [], [0.1, -0.35, 0.25, 0.05, 0.05, -0.1], 1e-16, "softmaxGradient");
  });

  it("clips a zero probability at the target to eps: finite loss and gradient", () => {
    const loss = categoricalCrossentropy();
    const yPred = Matrix.fromArray([[1, 0]]);
    const yTrue = Matrix.fromArray([[0, 1]]);
    expect(loss.compute(yPred, yTrue)).toBeCloseTo(-Math.log(1e-7), 9);
    const g = loss.gradient(yPred, yTrue, Matrix.zeros(1, 2));
    expect(g.data[1]).toBeCloseTo(-1e7, 0);
    expect(Number.isFinite(g.data[1])).toBe(true);
  });

  it("is ≥ 0 for any probabilities and one-hot targets", () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 2, maxLength: 6 }), fc.nat(), (p, k) => {
        const t = p.map((_, j) => (j === k % p.length ? 1 : 0));
        expect(categoricalCrossentropy().compute(Matrix.fromArray([p]), Matrix.fromArray([t]))).toBeGreaterThanOrEqual(0);
      }),
    );
  });

  it("works on float32", () => {
    const p = [[0.2, 0.3, 0.5]];
    const t = [[0, 0, 1]];
    const loss = categoricalCrossentropy();
    expect(loss.compute(Matrix.fromArray(p, "float32"), Matrix.fromArray(t, "float32"))).toBeCloseTo(-Math.log(0.5), 7);
    const g = loss.fusedGradient?.(softmaxActivation)?.(Matrix.fromArray(p, "float32"), Matrix.fromArray(t, "float32"), Matrix.zeros(1, 3, "float32"));
    expectClose(g ?? [], [0.2, 0.3, -0.5], 1e-7, "float32 softmaxGradient");
  });
});

describe("categoricalCrossentropy fromLogits", () => {
  it("does not fuse softmax (it applies its own)", () => {
    const loss = categoricalCrossentropy({ fromLogits: true });
    expect(loss.fusedGradient?.(softmaxActivation)).toBeUndefined();
    expect(loss.fusedGradient?.(softmaxActivation)).toBeUndefined();
  });

  it("is log(classes) for equal logits", () => {
    const loss = categoricalCrossentropy({ fromLogits: true });
    expect(loss.compute(Matrix.zeros(2, 3), Matrix.fromArray([[1, 0, 0], [0, 0, 1]]))).toBeCloseTo(Math.log(3), 15);
  });

  it("agrees with the probability form on softmax(z), gradient (softmax(z) − t)/B", () => {
    const rng = new Rng(3);
    const z = Matrix.zeros(5, 4);
    rng.fillNormal(z, 0, 2);
    const t = Matrix.zeros(5, 4);
    for (let i = 0; i < 5; i++) t.set(i, rng.int(4), 1);
    const p = softmax(z);
    const a = categoricalCrossentropy({ fromLogits: true });
    const b = categoricalCrossentropy();
    expect(Math.abs(a.compute(z, t) - b.compute(p, t))).toBeLessThan(1e-12);
    const ga = a.gradient(z, t, Matrix.zeros(5, 4));
    const gb = b.fusedGradient?.(softmaxActivation)?.(p, t, Matrix.zeros(5, 4));
    expectClose(ga, gb?.data ?? [], 1e-15, "fromLogits gradient vs fused");
  });

  it("is finite for logits ±1000", () => {
    const loss = categoricalCrossentropy({ fromLogits: true });
    const z = Matrix.fromArray([[1000, -1000, 0]]);
    const t = Matrix.fromArray([[0, 1, 0]]);
    expect(loss.compute(z, t)).toBe(2000);
    expectClose(loss.gradient(z, t, Matrix.zeros(1, 3)), [1, -1, 0], 0, "gradient");
  });

  it("is ≥ 0 for any finite logits and one-hot targets", () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ noNaN: true, noDefaultInfinity: true }), { minLength: 1, maxLength: 6 }),
        fc.nat(),
        (z, k) => {
          const t = z.map((_, j) => (j === k % z.length ? 1 : 0));
          const v = categoricalCrossentropy({ fromLogits: true }).compute(Matrix.fromArray([z]), Matrix.fromArray([t]));
          expect(v).toBeGreaterThanOrEqual(0);
        },
      ),
    );
  });
});

describe("categoricalCrossentropy errors", () => {
  it("names both shapes on a mismatch", () => {
    const loss = categoricalCrossentropy();
    try {
      loss.compute(Matrix.zeros(2, 3), Matrix.zeros(2, 1));
      expect.unreachable();
    } catch (e) {
      expect(isBackpropError(e) && e.code).toBe("SHAPE_MISMATCH");
      expect((e as Error).message).toContain("yPred 2×3, yTrue 2×1");
    }
    expect(() => loss.fusedGradient?.(softmaxActivation)?.(Matrix.zeros(2, 3), Matrix.zeros(2, 3), Matrix.zeros(3, 2))).toThrow(/out has the wrong shape/);
  });

  it("validates its config", () => {
    expect(() => categoricalCrossentropy({ eps: 1 })).toThrow(/categoricalCrossentropy: invalid eps/);
    expect(() => categoricalCrossentropy({ fromLogits: 1 } as never)).toThrow(/expected true or false/);
  });
});
