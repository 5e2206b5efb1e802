import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getBackend, setBackend } from "./backend.js";
import type { KernelBackend } from "./kernel-backend.js";
import type { DType } from "./dtype.js";
import { BackpropError, ShapeMismatchError } from "./errors.js";
import { Matrix } from "./tensor.js";
import { add, matmul, transpose, type MatmulOptions } from "./ops.js";
import { Rng } from "./rng.js";
import { typescriptBackend } from "./typescript-backend.js";

/*
 * matmul against a naive triple loop written here. The reference sums in float64 in the order
 * p = 0 … k-1, and also returns Σ|a·b| per element, the scale the rounding error is measured against.
 */

interface Reference {
  readonly value: Float64Array;
  readonly magnitude: Float64Array;
}

function naive(a: Matrix, b: Matrix, transA: boolean, transB: boolean): Reference {
  const m = transA ? a.cols : a.rows;
  const k = transA ? a.rows : a.cols;
  const n = transB ? b.rows : b.cols;
  const value = new Float64Array(m * n);
  const magnitude = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      let mag = 0;
      for (let p = 0; p < k; p++) {
        const x = transA ? a.get(p, i) : a.get(i, p);
        const y = transB ? b.get(j, p) : b.get(p, j);
        s += x * y;
        mag += Math.abs(x * y);
      }
      value[i * n + j] = s;
      magnitude[i * n + j] = mag;
    }
  }
  return { value, magnitude };
}

/** float64 is held to 1e-12 of the terms' magnitude (it is exact in practice), float32 to 1e-5. */
function tolerance(dtype: DType): number {
  return dtype === "float64" ? 1e-12 : 1e-5;
}

function expectMatches(
  got: Matrix,
  ref: Reference,
  dtype: DType,
  base?: Float64Array, // the contents of `out` before an accumulating call
  label = "",
): void {
  const tol = tolerance(dtype);
  expect(got.size, label).toBe(ref.value.length);
  for (let i = 0; i < ref.value.length; i++) {
    const start = base ? (base[i] as number) : 0;
    const expected = start + (ref.value[i] as number);
    const bound = tol * (Math.abs(start) + (ref.magnitude[i] as number));
    const actual = got.data[i] as number;
    if (!(Math.abs(actual - expected) <= bound)) {
      expect.fail(`${label} element ${i}: got ${actual}, expected ${expected} (±${bound})`);
    }
  }
}

function random(rng: Rng, rows: number, cols: number, dtype: DType, sparsity = 0): Matrix {
  const m = new Matrix(rows, cols, dtype);
  for (let i = 0; i < m.size; i++) m.data[i] = rng.uniform() < sparsity ? 0 : rng.uniform(-1, 1);
  return m;
}

const SIZES = [0, 1, 3, 4, 5, 7, 8, 17] as const;
const DTYPES: readonly DType[] = ["float32", "float64"];
const FLAGS = [
  { name: "NN", transA: false, transB: false },
  { name: "TN", transA: true, transB: false },
  { name: "NT", transA: false, transB: true },
  { name: "TT", transA: true, transB: true },
] as const;

/** Operands stored so that op(A) is m×k and op(B) is k×n. */
function operands(rng: Rng, m: number, n: number, k: number, transA: boolean, transB: boolean, dtype: DType, sparsity = 0) {
  const a = transA ? random(rng, k, m, dtype, sparsity) : random(rng, m, k, dtype, sparsity);
  const b = transB ? random(rng, n, k, dtype) : random(rng, k, n, dtype);
  return { a, b };
}

// The default backend and the portable reference, each through the public matmul.
const BACKENDS: [string, KernelBackend][] = [...new Set([getBackend(), typescriptBackend])].map((b) => [b.name, b]);

describe.each(BACKENDS)("matmul on the %s backend", (_name, backend) => {
  let previous: KernelBackend;
  beforeAll(() => {
    previous = setBackend(backend);
  });
  afterAll(() => {
    setBackend(previous);
  });

  describe.each(DTYPES)("matmul against a naive loop in %s", (dtype) => {
    it.each(FLAGS)("$name on every combination of edge sizes", ({ name, transA, transB }) => {
      const rng = new Rng(1234);
      const options: MatmulOptions = { transA, transB };
      let checked = 0;
      for (const m of SIZES) {
        for (const n of SIZES) {
          for (const k of SIZES) {
            const { a, b } = operands(rng, m, n, k, transA, transB, dtype);
            const ref = naive(a, b, transA, transB);
            const label = `${name} ${m}×${k}·${k}×${n}`;

            const fresh = matmul(a, b, undefined, options);
            expect(fresh.shape, label).toEqual([m, n]);
            expect(fresh.dtype, label).toBe(dtype);
            expectMatches(fresh, ref, dtype, undefined, label);

            // A preallocated out full of garbage must be overwritten, not added to.
            const out = Matrix.full(m, n, Number.NaN, dtype);
            expect(matmul(a, b, out, options), label).toBe(out);
            expectMatches(out, ref, dtype, undefined, label);
            checked++;
          }
        }
      }
      expect(checked).toBe(SIZES.length ** 3);
    });

    it.each(FLAGS)("$name with accumulate adds to the existing out", ({ name, transA, transB }) => {
      const rng = new Rng(99);
      for (const [m, n, k] of [
        [1, 1, 1],
        [4, 8, 3],
        [5, 7, 17],
        [17, 5, 4],
        [8, 17, 0],
      ] as const) {
        const { a, b } = operands(rng, m, n, k, transA, transB, dtype);
        const out = random(rng, m, n, dtype);
        const before = Float64Array.from(out.data);
        matmul(a, b, out, { transA, transB, accumulate: true });
        expectMatches(out, naive(a, b, transA, transB), dtype, before, `${name} ${m}×${n}×${k}`);
        // Twice is twice the product.
        const twice = Float64Array.from(out.data);
        matmul(a, b, out, { transA, transB, accumulate: true });
        expectMatches(out, naive(a, b, transA, transB), dtype, twice, `${name} again`);
      }
    });

    it.each(FLAGS)("$name with mostly-zero A (the zero-skipping path)", ({ name, transA, transB }) => {
      const rng = new Rng(5);
      for (const [m, n, k] of [
        [8, 5, 7],
        [17, 17, 17],
        [3, 4, 5],
      ] as const) {
        const { a, b } = operands(rng, m, n, k, transA, transB, dtype, 0.7);
        expectMatches(matmul(a, b, undefined, { transA, transB }), naive(a, b, transA, transB), dtype, undefined, name);
        const out = random(rng, m, n, dtype);
        const before = Float64Array.from(out.data);
        matmul(a, b, out, { transA, transB, accumulate: true });
        expectMatches(out, naive(a, b, transA, transB), dtype, before, `${name} accumulate`);
      }
    });

    it("computes a small product by hand", () => {
      const a = Matrix.fromArray(
        [
          [1, 2, 3],
          [4, 5, 6],
        ],
        dtype,
      );
      const b = Matrix.fromArray(
        [
          [7, 8],
          [9, 10],
          [11, 12],
        ],
        dtype,
      );
      expect(matmul(a, b).toArray()).toEqual([
        [58, 64],
        [139, 154],
      ]);
      expect(matmul(a, a, undefined, { transB: true }).toArray()).toEqual([
        [14, 32],
        [32, 77],
      ]);
      expect(matmul(a, a, undefined, { transA: true }).toArray()).toEqual([
        [17, 22, 27],
        [22, 29, 36],
        [27, 36, 45],
      ]);
      expect(matmul(b, a, undefined, { transA: true, transB: true }).toArray()).toEqual([
        [58, 139],
        [64, 154],
      ]);
    });
  });
});

describe("matmul validation", () => {
  function caught(fn: () => unknown): BackpropError {
    try {
      fn();
    } catch (e) {
      expect(e).toBeInstanceOf(BackpropError);
      return e as BackpropError;
    }
    throw new Error("expected a throw");
  }

  it("throws ShapeMismatchError naming both shapes when the inner dimensions differ", () => {
    const e = caught(() => matmul(Matrix.zeros(2, 3), Matrix.zeros(4, 5)));
    expect(e).toBeInstanceOf(ShapeMismatchError);
    expect(e.code).toBe("SHAPE_MISMATCH");
    expect(e.message).toContain("2×3");
    expect(e.message).toContain("4×5");
    expect(e.message).toMatch(/^matmul: /);

    // With the flags, the shapes named are those of op(A) and op(B).
    const t = caught(() => matmul(Matrix.zeros(3, 2), Matrix.zeros(5, 4), undefined, { transA: true, transB: true }));
    expect(t.code).toBe("SHAPE_MISMATCH");
    expect(t.message).toContain("aᵀ is 2×3");
    expect(t.message).toContain("bᵀ is 4×5");

    // Shapes that only fit without the flag are rejected with it.
    expect(caught(() => matmul(Matrix.zeros(2, 3), Matrix.zeros(3, 2), undefined, { transA: true })).code).toBe(
      "SHAPE_MISMATCH",
    );
  });

  it("throws ShapeMismatchError for an out of the wrong shape", () => {
    const e = caught(() => matmul(Matrix.zeros(2, 3), Matrix.zeros(3, 4), Matrix.zeros(4, 2)));
    expect(e).toBeInstanceOf(ShapeMismatchError);
    expect(e.message).toContain("4×2");
    expect(e.message).toContain("2×4");
  });

  it("throws on mixed dtypes, between the inputs or with out", () => {
    const e = caught(() => matmul(Matrix.zeros(2, 2, "float32"), Matrix.zeros(2, 2, "float64")));
    expect(e.code).toBe("INVALID_ARGUMENT");
    expect(e.message).toContain("float32");
    expect(e.message).toContain("float64");
    expect(e.message).toContain("help: ");
    const o = caught(() => matmul(Matrix.zeros(2, 2), Matrix.zeros(2, 2), Matrix.zeros(2, 2, "float32")));
    expect(o.code).toBe("INVALID_ARGUMENT");
    expect(o.message).toContain("out is float32");
  });

  it("refuses an out that aliases an input", () => {
    const a = Matrix.fromArray([
      [1, 2],
      [3, 4],
    ]);
    const b = Matrix.identity(2);
    expect(caught(() => matmul(a, b, a)).code).toBe("INVALID_ARGUMENT");
    expect(caught(() => matmul(a, b, b)).message).toContain("out must not be one of the inputs");
    // Another Matrix over the same storage is the same input.
    expect(caught(() => matmul(a, b, new Matrix(2, 2, "float64", a.data))).code).toBe("INVALID_ARGUMENT");
    expect(a.toArray()).toEqual([
      [1, 2],
      [3, 4],
    ]);
  });

  it("refuses an out that overlaps an input through a row view", () => {
    const x = Matrix.fromArray([
      [1, 2],
      [3, 4],
      [5, 6],
      [7, 8],
    ]);
    const id = Matrix.identity(2);
    expect(caught(() => matmul(x.rowSlice(0, 2), id, x.rowSlice(1, 3))).code).toBe("INVALID_ARGUMENT");
    expect(caught(() => matmul(id, x.rowSlice(2, 4), x.rowSlice(1, 3))).code).toBe("INVALID_ARGUMENT");
    expect(x.toArray()).toEqual([
      [1, 2],
      [3, 4],
      [5, 6],
      [7, 8],
    ]);
    // Disjoint rows of one buffer are independent matrices.
    matmul(x.rowSlice(0, 2), Matrix.fromArray([[0, 1], [1, 0]]), x.rowSlice(2, 4));
    expect(x.toArray()).toEqual([
      [1, 2],
      [3, 4],
      [2, 1],
      [4, 3],
    ]);
  });

  it("allows the same matrix as both inputs", () => {
    const a = Matrix.fromArray([
      [1, 2],
      [3, 4],
    ]);
    expect(matmul(a, a).toArray()).toEqual([
      [7, 10],
      [15, 22],
    ]);
  });
});

/*
 * Algebraic identities, with fast-check choosing shapes (0…7, across the 4-blocking) and values.
 */

const PROPERTY_RUNS = { seed: 42, numRuns: 150 } as const;

function matrixArb(rows: number, cols: number, dtype: DType): fc.Arbitrary<Matrix> {
  return fc
    .array(fc.double({ min: -100, max: 100, noNaN: true }), { minLength: rows * cols, maxLength: rows * cols })
    .map((values) => Matrix.fromFlat(rows, cols, values, dtype));
}

const dim = fc.integer({ min: 0, max: 7 });
const dtypeArb = fc.constantFrom<DType>("float32", "float64");

/** Elementwise |x - y| ≤ tol · scale, with `scale` the magnitude of the terms behind each element. */
function closeScaled(x: Matrix, y: Matrix, scale: number, dtype: DType): boolean {
  if (x.rows !== y.rows || x.cols !== y.cols) return false;
  const tol = (dtype === "float64" ? 1e-12 : 1e-5) * Math.max(scale, 1);
  for (let i = 0; i < x.size; i++) {
    if (!(Math.abs((x.data[i] as number) - (y.data[i] as number)) <= tol)) return false;
  }
  return true;
}

function maxAbs(m: Matrix): number {
  let s = 0;
  for (let i = 0; i < m.size; i++) s = Math.max(s, Math.abs(m.data[i] as number));
  return s;
}

describe("matmul identities (properties)", () => {
  it("(AB)ᵀ = BᵀAᵀ", () => {
    fc.assert(
      fc.property(
        dim,
        dim,
        dim,
        dtypeArb,
        fc.noShrink(fc.nat()),
        (m, n, k, dtype, seed) => {
          const rng = new Rng(seed);
          const a = random(rng, m, k, dtype);
          const b = random(rng, k, n, dtype);
          const left = transpose(matmul(a, b));
          const right = matmul(transpose(b), transpose(a));
          return closeScaled(left, right, k, dtype);
        },
      ),
      PROPERTY_RUNS,
    );
  });

  it("the transpose flags agree with explicit transposed copies", () => {
    fc.assert(
      fc.property(
        dim,
        dim,
        dim,
        dtypeArb,
        fc.noShrink(fc.nat()),
        (m, n, k, dtype, seed) => {
          const rng = new Rng(seed);
          // a is stored k×m and b is stored n×k, so every flag combination fits.
          const aT = random(rng, k, m, dtype);
          const bT = random(rng, n, k, dtype);
          const a = transpose(aT);
          const b = transpose(bT);
          const bN = random(rng, k, n, dtype);
          const aN = random(rng, m, k, dtype);
          return (
            closeScaled(matmul(aT, bN, undefined, { transA: true }), matmul(a, bN), k, dtype) &&
            closeScaled(matmul(aN, bT, undefined, { transB: true }), matmul(aN, b), k, dtype) &&
            closeScaled(matmul(aT, bT, undefined, { transA: true, transB: true }), matmul(a, b), k, dtype)
          );
        },
      ),
      PROPERTY_RUNS,
    );
  });

  it("(A + B)C = AC + BC", () => {
    fc.assert(
      fc.property(
        dim.chain((m) =>
          dim.chain((k) =>
            dim.chain((n) =>
              dtypeArb.chain((dtype) =>
                fc.tuple(matrixArb(m, k, dtype), matrixArb(m, k, dtype), matrixArb(k, n, dtype)),
              ),
            ),
          ),
        ),
        ([a, b, c]) => {
          const left = matmul(add(a, b), c);
          const right = add(matmul(a, c), matmul(b, c));
          const scale = (maxAbs(a) + maxAbs(b)) * maxAbs(c) * a.cols;
          return closeScaled(left, right, scale, a.dtype);
        },
      ),
      PROPERTY_RUNS,
    );
  });

  it("accumulate equals a separate product added afterwards", () => {
    fc.assert(
      fc.property(dim, dim, dim, fc.boolean(), fc.boolean(), fc.noShrink(fc.nat()), (m, n, k, transA, transB, seed) => {
        const rng = new Rng(seed);
        const a = transA ? random(rng, k, m, "float64") : random(rng, m, k, "float64");
        const b = transB ? random(rng, n, k, "float64") : random(rng, k, n, "float64");
        const c0 = random(rng, m, n, "float64");
        const acc = c0.clone();
        matmul(a, b, acc, { transA, transB, accumulate: true });
        const sep = add(c0, matmul(a, b, undefined, { transA, transB }));
        return closeScaled(acc, sep, k + 1, "float64");
      }),
      PROPERTY_RUNS,
    );
  });
});
