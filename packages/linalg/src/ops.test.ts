import fc from "fast-check";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { setBackend } from "./backend.js";
import { createThreadedWasmBackend, type ThreadedWasmBackend } from "./backend-wasm-threads.js";
import type { DType, FloatArray } from "./dtype.js";
import { BackpropError, ShapeMismatchError } from "./errors.js";
import { Matrix } from "./tensor.js";
import {
  add,
  addRowVector,
  allClose,
  argmaxRows,
  axpy,
  hadamard,
  map,
  scale,
  sub,
  sum,
  sumColumns,
  sumSquares,
  transpose,
} from "./ops.js";
import { Rng } from "./rng.js";
import { typescriptBackend } from "./typescript-backend.js";
import { createWasmBackend, isWasmSimdSupported, type WasmBackend } from "./wasm-backend.js";

// Every literal below is exactly representable in float32, so both dtypes expect the same numbers.
const DTYPES: readonly DType[] = ["float32", "float64"];

function expectShapeError(fn: () => unknown, ...shapes: string[]): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(ShapeMismatchError);
  const err = caught as BackpropError;
  expect(err.code).toBe("SHAPE_MISMATCH");
  for (const s of shapes) expect(err.message).toContain(s);
}

describe.each(DTYPES)("elementwise kernels in %s", (dtype) => {
  const m = (rows: number[][]) => Matrix.fromArray(rows, dtype);
  const a = () =>
    m([
      [1, -2, 3],
      [0.5, 4, -0.25],
    ]);
  const b = () =>
    m([
      [2, 2, -1],
      [8, 0.5, 4],
    ]);

  it("addRowVector adds the vector to every row", () => {
    const out = addRowVector(a(), m([[10, 20, 30]]));
    expect(out.dtype).toBe(dtype);
    expect(out.toArray()).toEqual([
      [11, 18, 33],
      [10.5, 24, 29.75],
    ]);
    const x = a();
    expect(addRowVector(x, m([[1, 1, 1]]), x)).toBe(x);
    expect(x.toArray()).toEqual([
      [2, -1, 4],
      [1.5, 5, 0.75],
    ]);
  });

  it("addRowVector checks the vector and the output", () => {
    expectShapeError(() => addRowVector(a(), m([[1, 2]])), "1×3", "2×3", "1×2");
    expectShapeError(() => addRowVector(a(), m([[1], [2], [3]])), "3×1");
    expectShapeError(() => addRowVector(a(), m([[1, 2, 3]]), Matrix.zeros(3, 2, dtype)), "3×2", "2×3");
  });

  it("sumColumns sums each column, overwriting or accumulating", () => {
    expect(sumColumns(a()).toArray()).toEqual([[1.5, 2, 2.75]]);
    const out = m([[100, 200, 300]]);
    expect(sumColumns(a(), out)).toBe(out);
    expect(out.toArray()).toEqual([[1.5, 2, 2.75]]);
    sumColumns(b(), out, true);
    expect(out.toArray()).toEqual([[11.5, 4.5, 5.75]]);
    expect(sumColumns(Matrix.zeros(0, 2, dtype)).toArray()).toEqual([[0, 0]]);
    expectShapeError(() => sumColumns(a(), Matrix.zeros(1, 2, dtype)), "1×2", "1×3");
    expectShapeError(() => sumColumns(a(), Matrix.zeros(3, 1, dtype)), "3×1");
  });

  it("map applies a function, in place when out is the input", () => {
    expect(map(a(), (x) => 2 * x + 1).toArray()).toEqual([
      [3, -3, 7],
      [2, 9, 0.5],
    ]);
    const x = a();
    expect(map(x, Math.abs, x)).toBe(x);
    expect(x.toArray()).toEqual([
      [1, 2, 3],
      [0.5, 4, 0.25],
    ]);
    expectShapeError(() => map(a(), Math.abs, Matrix.zeros(3, 2, dtype)), "3×2", "2×3");
  });

  it("add, sub and hadamard", () => {
    expect(add(a(), b()).toArray()).toEqual([
      [3, 0, 2],
      [8.5, 4.5, 3.75],
    ]);
    expect(sub(a(), b()).toArray()).toEqual([
      [-1, -4, 4],
      [-7.5, 3.5, -4.25],
    ]);
    expect(hadamard(a(), b()).toArray()).toEqual([
      [2, -4, -3],
      [4, 2, -1],
    ]);
    const x = a();
    expect(sub(x, b(), x)).toBe(x);
    expect(x.toArray()).toEqual([
      [-1, -4, 4],
      [-7.5, 3.5, -4.25],
    ]);
    const y = b();
    hadamard(a(), y, y);
    expect(y.toArray()).toEqual([
      [2, -4, -3],
      [4, 2, -1],
    ]);
    expect(add(a(), b()).dtype).toBe(dtype);
  });

  it("add, sub and hadamard check shapes", () => {
    const wrong = Matrix.zeros(3, 2, dtype);
    for (const op of [add, sub, hadamard]) {
      expectShapeError(() => op(a(), wrong), "2×3", "3×2");
      expectShapeError(() => op(a(), b(), wrong), "3×2", "2×3");
    }
  });

  it("axpy adds a multiple in place", () => {
    const y = b();
    expect(axpy(-2, a(), y)).toBe(y);
    expect(y.toArray()).toEqual([
      [0, 6, -7],
      [7, -7.5, 4.5],
    ]);
    expectShapeError(() => axpy(1, a(), Matrix.zeros(2, 2, dtype)), "x is 2×3", "y is 2×2");
  });

  it("scale multiplies by a scalar", () => {
    expect(scale(a(), -4).toArray()).toEqual([
      [-4, 8, -12],
      [-2, -16, 1],
    ]);
    const x = a();
    scale(x, 0.5, x);
    expect(x.toArray()).toEqual([
      [0.5, -1, 1.5],
      [0.25, 2, -0.125],
    ]);
    expectShapeError(() => scale(a(), 2, Matrix.zeros(1, 6, dtype)), "1×6", "2×3");
  });

  it("sum and sumSquares reduce everything", () => {
    expect(sum(a())).toBe(6.25);
    expect(sumSquares(a())).toBe(1 + 4 + 9 + 0.25 + 16 + 0.0625);
    expect(sum(Matrix.zeros(0, 3, dtype))).toBe(0);
    expect(sumSquares(Matrix.zeros(3, 0, dtype))).toBe(0);
  });

  it("argmaxRows picks the first maximum of each row", () => {
    const x = m([
      [1, 3, 3],
      [5, 5, 1],
      [-1, -2, -1],
      [0, 0, 0.5],
      [-4, -3, -8],
    ]);
    expect(Array.from(argmaxRows(x))).toEqual([1, 0, 0, 2, 1]);
    const out = new Int32Array(5).fill(-1);
    expect(argmaxRows(x, out)).toBe(out);
    expect(Array.from(out)).toEqual([1, 0, 0, 2, 1]);
    expect(Array.from(argmaxRows(m([[7]])))).toEqual([0]);
    expectShapeError(() => argmaxRows(x, new Int32Array(4)), "length 4", "expected 5");
  });

  it("transpose swaps rows and columns", () => {
    const t = transpose(a());
    expect(t.shape).toEqual([3, 2]);
    expect(t.dtype).toBe(dtype);
    expect(t.toArray()).toEqual([
      [1, 0.5],
      [-2, 4],
      [3, -0.25],
    ]);
    const out = Matrix.zeros(3, 2, dtype);
    expect(transpose(a(), out)).toBe(out);
    expect(out.toArray()).toEqual(t.toArray());
    expect(transpose(m([[1, 2, 3]])).toArray()).toEqual([[1], [2], [3]]);
    expect(transpose(Matrix.zeros(0, 4, dtype)).shape).toEqual([4, 0]);
    expectShapeError(() => transpose(a(), Matrix.zeros(2, 3, dtype)), "2×3", "3×2");
  });

  it("transpose refuses to write over its input", () => {
    const sq = m([
      [1, 2],
      [3, 4],
    ]);
    expect(() => transpose(sq, sq)).toThrow(/out must not be the input/);
    // A view of the same memory is the same input.
    const big = Matrix.zeros(4, 2, dtype);
    expect(() => transpose(big.rowSlice(0, 2), big.rowSlice(1, 3))).toThrow(/out must not be the input/);
    // Disjoint rows of one buffer are fine.
    const x = big.rowSlice(0, 2).copyFrom(sq);
    transpose(x, big.rowSlice(2, 4));
    expect(big.toArray()).toEqual([
      [1, 2],
      [3, 4],
      [1, 3],
      [2, 4],
    ]);
    const one = m([[5]]);
    expect(transpose(one, one).toArray()).toEqual([[5]]);
  });
});

describe("allClose", () => {
  const v = (...xs: number[]) => Matrix.rowVector(xs);

  it("uses |a - b| ≤ atol + rtol·|b| with defaults rtol 1e-5, atol 1e-8", () => {
    expect(allClose(v(1, 2), v(1, 2))).toBe(true);
    expect(allClose(v(1), v(1 + 5e-6))).toBe(true);
    expect(allClose(v(1), v(1 + 2e-5))).toBe(false);
    expect(allClose(v(0), v(5e-9))).toBe(true);
    expect(allClose(v(0), v(5e-8))).toBe(false);
    // The bound scales with |b| only, as in NumPy.
    expect(allClose(v(0), v(1e-3), { rtol: 1, atol: 0 })).toBe(true);
    expect(allClose(v(1e-3), v(0), { rtol: 1, atol: 0 })).toBe(false);
  });

  it("honours explicit tolerances", () => {
    expect(allClose(v(1, 100), v(1.01, 101), { rtol: 0.02 })).toBe(true);
    expect(allClose(v(1, 100), v(1.01, 103), { rtol: 0.02 })).toBe(false);
    expect(allClose(v(10), v(10.4), { rtol: 0, atol: 0.5 })).toBe(true);
    expect(allClose(v(10), v(10.6), { rtol: 0, atol: 0.5 })).toBe(false);
    expect(allClose(v(3), v(3), { rtol: 0, atol: 0 })).toBe(true);
    expect(allClose(v(3), v(3 + 2 ** -50), { rtol: 0, atol: 0 })).toBe(false);
  });

  it("never calls NaN close, even to itself", () => {
    expect(allClose(v(Number.NaN), v(Number.NaN))).toBe(false);
    expect(allClose(v(1, Number.NaN), v(1, 2), { atol: 1e300 })).toBe(false);
    expect(allClose(v(1, 2), v(1, Number.NaN), { atol: 1e300 })).toBe(false);
  });

  it("matches an infinity only with the same infinity", () => {
    const inf = Number.POSITIVE_INFINITY;
    expect(allClose(v(inf, -inf), v(inf, -inf))).toBe(true);
    expect(allClose(v(inf), v(-inf))).toBe(false);
    expect(allClose(v(1), v(inf))).toBe(false);
    expect(allClose(v(-inf), v(1e308))).toBe(false);
  });

  it("is false for different shapes and compares across dtypes", () => {
    expect(allClose(v(1, 2), Matrix.fromArray([[1], [2]]))).toBe(false);
    expect(allClose(Matrix.zeros(0, 2), Matrix.zeros(0, 3))).toBe(false);
    expect(allClose(Matrix.zeros(0, 2), Matrix.zeros(0, 2))).toBe(true);
    const f32 = Matrix.rowVector([0.1, 1 / 3], "float32");
    expect(allClose(f32, v(0.1, 1 / 3))).toBe(true);
    expect(allClose(f32, v(0.1, 1 / 3), { rtol: 1e-12, atol: 0 })).toBe(false);
  });

  it("is reflexive for every finite matrix (property)", () => {
    const finite = fc.double({ min: -1e300, max: 1e300, noNaN: true });
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 5 }),
        fc.integer({ min: 0, max: 5 }),
        fc.constantFrom<DType>("float32", "float64"),
        fc.infiniteStream(finite),
        (rows, cols, dtype, values) => {
          const x = Matrix.fromFlat(rows, cols, [...values.take(rows * cols)], dtype);
          return allClose(x, x, { rtol: 0, atol: 0 }) && allClose(x, x.clone());
        },
      ),
      { seed: 20240501, numRuns: 200 },
    );
  });

  it("fails as soon as one element is NaN (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ noNaN: true }), { minLength: 1, maxLength: 12 }),
        fc.nat(),
        (values, at) => {
          const x = Matrix.rowVector(values);
          const y = x.clone();
          y.data[at % values.length] = Number.NaN;
          return !allClose(x, y, { atol: Number.MAX_VALUE }) && !allClose(y, x, { atol: Number.MAX_VALUE });
        },
      ),
      { seed: 7, numRuns: 200 },
    );
  });
});

describe("transpose (property)", () => {
  it("transpose(transpose(A)) is A, bit for bit", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 9 }),
        fc.integer({ min: 0, max: 9 }),
        fc.constantFrom<DType>("float32", "float64"),
        fc.infiniteStream(fc.double()),
        (rows, cols, dtype, values) => {
          const x = Matrix.fromFlat(rows, cols, [...values.take(rows * cols)], dtype);
          const t = transpose(x);
          const back = transpose(t);
          expect(t.shape).toEqual([cols, rows]);
          for (let i = 0; i < rows; i++) {
            for (let j = 0; j < cols; j++) expect(Object.is(t.get(j, i), x.get(i, j))).toBe(true);
          }
          expect(back.shape).toEqual([rows, cols]);
          expect(Array.from(back.data)).toEqual(Array.from(x.data));
        },
      ),
      { seed: 99, numRuns: 200 },
    );
  });
});

describe("bias add and bias gradient keep their row-by-row numbers", () => {
  // The reference: the row-major loops these kernels replaced, storing every partial sum.
  function sumColumnsRowByRow(a: Matrix, out: Matrix, accumulate: boolean): void {
    if (!accumulate) out.data.fill(0);
    for (let i = 0; i < a.rows; i++) {
      for (let j = 0; j < a.cols; j++) out.data[j] = (out.data[j] as number) + (a.data[i * a.cols + j] as number);
    }
  }

  it("sumColumns equals storing each row's partial sum, bit for bit, in float32 and float64", () => {
    const value = fc.oneof(fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.constantFrom(0, -0, 1e-40, -3e38, 3e38));
    fc.assert(
      fc.property(
        fc.constantFrom<DType>("float32", "float64"),
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 7 }),
        fc.boolean(),
        fc.array(value, { minLength: 70, maxLength: 70 }),
        (dtype, rows, cols, accumulate, values) => {
          const a = new Matrix(rows, cols, dtype);
          for (let i = 0; i < a.size; i++) a.data[i] = values[i % values.length] as number;
          const start = new Matrix(1, cols, dtype);
          for (let j = 0; j < cols; j++) start.data[j] = values[(j * 7) % values.length] as number;
          const ours = sumColumns(a, start.clone(), accumulate);
          const want = start.clone();
          sumColumnsRowByRow(a, want, accumulate);
          for (let j = 0; j < cols; j++) expect(Object.is(ours.data[j], want.data[j])).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("addRowVector adds v[j] to every element of column j, in place too", () => {
    fc.assert(
      fc.property(fc.constantFrom<DType>("float32", "float64"), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 7 }), (dtype, rows, cols) => {
        const a = new Matrix(rows, cols, dtype);
        for (let i = 0; i < a.size; i++) a.data[i] = Math.sin(i + 1) * 1e3;
        const v = new Matrix(1, cols, dtype);
        for (let j = 0; j < cols; j++) v.data[j] = Math.cos(j) * 0.1;
        const want = a.data.map((x, i) => x + (v.data[i % cols] as number));
        expect(addRowVector(a, v).data).toEqual(want);
        expect(addRowVector(a, v, a).data).toEqual(want);
      }),
      { numRuns: 200 },
    );
  });
});

// The backend kernels of the bias add and bias gradient must give the bits of the loops in ops.ts
// (run here on the TypeScript backend, which has no such kernels): the same rounded add per element,
// and each column summed in row order with a rounding after every add.
describe.runIf(isWasmSimdSupported())("addRowVector and sumColumns on the WASM backends", () => {
  let threads: ThreadedWasmBackend | undefined;
  let restore: ReturnType<typeof setBackend> | undefined;
  beforeAll(async () => {
    threads = await createThreadedWasmBackend({ threads: 2, minWork: 0 });
  });
  afterAll(async () => {
    await threads?.close();
  });
  afterEach(() => {
    if (restore) setBackend(restore);
    restore = undefined;
  });

  /** Same bits, element for element; NaNs (whose payload neither side promises) only as NaNs. */
  function expectSameBits(got: FloatArray, want: FloatArray): void {
    expect(got.length).toBe(want.length);
    for (let i = 0; i < got.length; i++) {
      const g = got[i] as number;
      const w = want[i] as number;
      if (!(Object.is(g, w) || (Number.isNaN(g) && Number.isNaN(w)))) {
        expect.fail(`element ${i}: got ${g}, want ${w}`);
      }
    }
  }

  /**
   * Values of widely different magnitudes and both signs (so partial sums round, and cancel), with
   * a few zeros of either sign and, when `specials`, infinities.
   */
  function values(rows: number, cols: number, dtype: DType, seed: number, specials: boolean): Matrix {
    const rng = new Rng(seed);
    const m = new Matrix(rows, cols, dtype);
    for (let i = 0; i < m.size; i++) {
      const u = rng.uniform();
      if (u < 0.02) m.data[i] = rng.uniform() < 0.5 ? 0 : -0;
      else if (specials && u < 0.03) m.data[i] = rng.uniform() < 0.5 ? Infinity : -Infinity;
      else m.data[i] = (rng.uniform() - 0.5) * 2 ** (rng.int(40) - 20);
    }
    return m;
  }

  interface Case {
    rows: number;
    cols: number;
    dtype: DType;
    accumulate: boolean;
    inPlace: boolean;
    specials: boolean;
    seed: number;
  }
  // Narrow (a bias of 1 to 40 filters over many rows) and wide (a few rows of up to 600 columns),
  // so every block width of the kernels and their scalar tails meets every row count.
  const caseArb: fc.Arbitrary<Case> = fc
    .record({
      shape: fc.oneof(
        fc.record({ rows: fc.integer({ min: 0, max: 400 }), cols: fc.integer({ min: 1, max: 40 }) }),
        fc.record({ rows: fc.integer({ min: 1, max: 6 }), cols: fc.integer({ min: 1, max: 600 }) }),
      ),
      dtype: fc.constantFrom<DType>("float32", "float64"),
      accumulate: fc.boolean(),
      inPlace: fc.boolean(),
      specials: fc.boolean(),
      seed: fc.nat(1_000_000),
    })
    .map(({ shape, ...rest }) => ({ ...shape, ...rest }));

  /** Runs one case on `backend` and on the TypeScript loops and compares the bits. */
  function check(backend: ReturnType<typeof setBackend>, c: Case): void {
    const a = values(c.rows, c.cols, c.dtype, c.seed, c.specials);
    const v = values(1, c.cols, c.dtype, c.seed + 1, c.specials);
    const start = values(1, c.cols, c.dtype, c.seed + 2, c.specials);
    const run = (): [Matrix, Matrix] => {
      const x = a.clone();
      const sums = start.clone();
      sumColumns(x, sums, c.accumulate);
      const added = c.inPlace ? addRowVector(x, v, x) : addRowVector(x, v);
      return [added, sums];
    };
    const previous = setBackend(typescriptBackend);
    restore ??= previous;
    const [wantAdded, wantSums] = run();
    setBackend(backend);
    const [added, sums] = run();
    expectSameBits(sums.data, wantSums.data);
    expectSameBits(added.data, wantAdded.data);
  }

  it("gives the bits of the TypeScript loops, both dtypes, many shapes, with and without accumulate", () => {
    const wasm = createWasmBackend({ minWork: 0 });
    fc.assert(
      fc.property(caseArb, (c) => check(wasm, c)),
      { numRuns: 300 },
    );
  });

  it("standardize gives the bits of the Normalization layer's loop: float64 subtract and divide, one rounding (float32, odd widths, in place, extremes)", () => {
    const wasm = createWasmBackend({ minWork: 0 });
    const t = threads as ThreadedWasmBackend;
    fc.assert(
      fc.property(caseArb, (c) => {
        const x = values(c.rows, c.cols, "float32", c.seed, c.specials).data;
        const mean = values(1, c.cols, "float32", c.seed + 1, c.specials).data;
        // √variance as the layer keeps it: float64, positive, tiny to huge (quotients that
        // overflow float32 or fall below its subnormals).
        const rng = new Rng(c.seed + 2);
        const std = Float64Array.from({ length: c.cols }, () => Math.sqrt(rng.uniform() * 2 ** (rng.int(120) - 60)) + Number.MIN_VALUE);
        const want = new Float32Array(x.length);
        for (let i = 0; i < x.length; i += c.cols) {
          for (let j = 0; j < c.cols; j++) want[i + j] = ((x[i + j] as number) - (mean[j] as number)) / (std[j] as number);
        }
        for (const backend of [wasm, t]) {
          const out = c.inPlace ? x.slice() : new Float32Array(x.length);
          const done = backend.standardize?.(c.rows, c.cols, c.inPlace ? out : x, mean, std, out);
          expect(done).toBe(x.length > 0);
          if (done) expectSameBits(out, want);
        }
      }),
      { numRuns: 300 },
    );
    // float64 data: the layer's own loop.
    expect(wasm.standardize?.(2, 2, new Float64Array(4), new Float64Array(2), new Float64Array(2).fill(1), new Float64Array(4))).toBe(false);
  });

  it("gives the same bits on the threaded backend (its one-thread kernels)", () => {
    const t = threads as ThreadedWasmBackend;
    fc.assert(
      fc.property(caseArb, (c) => check(t, c)),
      { numRuns: 100 },
    );
  });

  it("sums the long narrow columns of a convolution's bias gradient exactly as the loop does", () => {
    // 18432×8: the bias of a conv layer over a batch; float32 sums of 18432 terms round thousands of times.
    const wasm = createWasmBackend({ minWork: 0 });
    for (const dtype of ["float32", "float64"] as const) {
      for (const accumulate of [false, true]) {
        check(wasm, { rows: 18432, cols: 8, dtype, accumulate, inPlace: true, specials: false, seed: 11 });
      }
    }
  });

  it("keeps the bits after its memory grows past the initial 64 MiB", () => {
    const wasm: WasmBackend = createWasmBackend({ minWork: 0 });
    const before = wasm.memoryBytes();
    // 1100×8000 float64: 70.4 MB, more than the initial memory.
    check(wasm, { rows: 1100, cols: 8000, dtype: "float64", accumulate: true, inPlace: true, specials: false, seed: 3 });
    expect(wasm.memoryBytes()).toBeGreaterThan(before);
    fc.assert(
      fc.property(caseArb, (c) => check(wasm, c)),
      { numRuns: 50 },
    );
  });

  it("leaves to the loops what a kernel would compute differently: mixed dtypes, overlapping views", () => {
    const wasm = createWasmBackend({ minWork: 0 });
    restore = setBackend(wasm);
    // out is a one-row-shifted view of a: the loop reads elements it has already written.
    const run = (): Float64Array => {
      const a = values(65, 8, "float64", 5, false);
      addRowVector(a.rowSlice(1, 65), values(1, 8, "float64", 6, false), a.rowSlice(0, 64));
      sumColumns(a.rowSlice(0, 64), a.rowSlice(1, 2), true);
      return a.data as Float64Array;
    };
    const got = run();
    setBackend(typescriptBackend);
    expectSameBits(got, run());
    setBackend(wasm);
    // A float64 matrix summed into a float32 output rounds the float64 terms; a kernel would not.
    const a = values(64, 8, "float64", 7, false);
    const sums = new Matrix(1, 8, "float32");
    sumColumns(a, sums);
    const want = new Matrix(1, 8, "float32");
    setBackend(typescriptBackend);
    sumColumns(a, want);
    expectSameBits(sums.data, want.data);
  });
});
