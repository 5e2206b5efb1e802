import { getBackend } from "./backend.js";
import type { FloatArray } from "./dtype.js";
import { BackpropError, ShapeMismatchError } from "./errors.js";
import { Matrix, shapeString } from "./tensor.js";

/*
 * Public kernels. Each checks shapes and dtypes once at the edge, then runs a tight loop over the
 * typed arrays (or hands off to the active backend). All take an optional `out` so a training loop
 * can preallocate every buffer; `out` may alias an input wherever the operation is elementwise.
 */

function sameShape(where: string, a: Matrix, b: Matrix, aName = "a", bName = "b"): void {
  if (a.rows !== b.rows || a.cols !== b.cols) {
    throw new ShapeMismatchError(
      `${where}: shapes do not match (${aName} is ${shapeString(a)}, ${bName} is ${shapeString(b)})`,
    );
  }
}

function sameDType(where: string, a: Matrix, b: Matrix, aName = "a", bName = "b"): void {
  if (a.dtype !== b.dtype) {
    throw new BackpropError(
      "INVALID_ARGUMENT",
      `${where}: dtypes do not match (${aName} is ${a.dtype}, ${bName} is ${b.dtype})`,
      { hint: "convert one side with matrix.clone(dtype)" },
    );
  }
}

// NOTE: V8 does not inline the `buffer` getter (~15–30 ns a call, more than a tiny matmul's
// arithmetic), so each array's buffer is looked up once and remembered. A typed array's buffer
// never changes, and the weak keys let the arrays be collected.
const buffers = new WeakMap<FloatArray, ArrayBufferLike>();

function bufferOf(x: FloatArray): ArrayBufferLike {
  let buffer = buffers.get(x);
  if (buffer === undefined) {
    buffer = x.buffer;
    buffers.set(x, buffer);
  }
  return buffer;
}

/** Whether two typed arrays share any element (views of one buffer, e.g. from `rowSlice`). */
function overlaps(x: FloatArray, y: FloatArray): boolean {
  if (x === y) return x.length > 0;
  if (bufferOf(x) !== bufferOf(y)) return false;
  const xStart = x.byteOffset;
  const yStart = y.byteOffset;
  return xStart < yStart + y.byteLength && yStart < xStart + x.byteLength;
}

/** Whether two arrays have one element type (the backend kernels take a single dtype). */
function sameKind(x: FloatArray, y: FloatArray): boolean {
  return x instanceof Float32Array ? y instanceof Float32Array : y instanceof Float64Array;
}

function output(where: string, out: Matrix | undefined, rows: number, cols: number, like: Matrix): Matrix {
  if (!out) return new Matrix(rows, cols, like.dtype);
  if (out.rows !== rows || out.cols !== cols) {
    throw new ShapeMismatchError(
      `${where}: output has the wrong shape (got ${shapeString(out)}, expected ${rows}×${cols})`,
    );
  }
  return out;
}

/** Options of {@link matmul}. */
export interface MatmulOptions {
  /** Use Aᵀ in place of A (no copy is made). Default false. */
  readonly transA?: boolean;
  /** Use Bᵀ in place of B (no copy is made). Default false. */
  readonly transB?: boolean;
  /** Add the product to `out` instead of overwriting it. Default false. */
  readonly accumulate?: boolean;
}

/**
 * Matrix product `out = op(A)·op(B)` where op is the identity or the transpose.
 *
 * The three products backpropagation needs are `X·W` (forward), `Xᵀ·dY` (weight gradient) and
 * `dY·Wᵀ` (input gradient); the transpose flags express each without copying.
 *
 * @param out - preallocated result; allocated when omitted. Must not alias `a` or `b`.
 * @throws ShapeMismatchError naming both shapes when the inner dimensions differ
 * @example
 * ```ts
 * matmul(x, w, z);                        // z = x·w
 * matmul(x, dz, dw, { transA: true });    // dw = xᵀ·dz
 * matmul(dz, w, dx, { transB: true });    // dx = dz·wᵀ
 * ```
 */
export function matmul(a: Matrix, b: Matrix, out?: Matrix, options?: MatmulOptions): Matrix {
  const transA = options?.transA === true;
  const transB = options?.transB === true;
  const m = transA ? a.cols : a.rows;
  const k = transA ? a.rows : a.cols;
  const kb = transB ? b.cols : b.rows;
  const n = transB ? b.rows : b.cols;
  if (k !== kb) {
    const an = transA ? "aᵀ" : "a";
    const bn = transB ? "bᵀ" : "b";
    throw new ShapeMismatchError(
      `matmul: inner dimensions differ (${an} is ${m}×${k}, ${bn} is ${kb}×${n})`,
    );
  }
  sameDType("matmul", a, b);
  const c = output("matmul", out, m, n, a);
  sameDType("matmul", a, c, "a", "out");
  if (overlaps(c.data, a.data) || overlaps(c.data, b.data)) {
    throw new BackpropError("INVALID_ARGUMENT", "matmul: out must not be one of the inputs");
  }
  getBackend().gemm(transA, transB, m, n, k, a.data, b.data, c.data, options?.accumulate === true);
  return c;
}

/**
 * Adds the 1×cols row vector `v` to every row of `a`: `out[i, j] = a[i, j] + v[j]` (bias add).
 * Large matrices go to the active backend's kernel where it has one, with the same bits as the
 * loop here (the reference).
 * @throws ShapeMismatchError when `v` is not 1×a.cols
 */
export function addRowVector(a: Matrix, v: Matrix, out?: Matrix): Matrix {
  if (v.rows !== 1 || v.cols !== a.cols) {
    throw new ShapeMismatchError(
      `addRowVector: the vector must be 1×${a.cols} to match a (a is ${shapeString(a)}, v is ${shapeString(v)})`,
    );
  }
  const o = output("addRowVector", out, a.rows, a.cols, a);
  const ad = a.data;
  const vd = v.data;
  const od = o.data;
  const cols = a.cols;
  const n = a.rows * cols;
  // A backend kernel gives the reference's bits only with one dtype throughout and `out` either
  // `a` itself or apart from both inputs: the loop below reads what it has already written when
  // `out` overlaps `v` or is a shifted view of `a`, and rounds differently with mixed dtypes.
  const backend = getBackend();
  if (
    backend.addRowVector !== undefined &&
    sameKind(ad, vd) &&
    sameKind(ad, od) &&
    (od === ad || !overlaps(od, ad)) &&
    !overlaps(od, vd) &&
    backend.addRowVector(a.rows, cols, ad, vd, od)
  ) {
    return o;
  }
  // Column by column: v[j] is read once, and the narrow rows of small nets (a bias of 3 or 8)
  // do not pay an inner-loop set-up per row (measured 1.6× faster at 150×8 and 150×3).
  for (let j = 0; j < cols; j++) {
    const b = vd[j] as number;
    for (let i = j; i < n; i += cols) od[i] = (ad[i] as number) + b;
  }
  return o;
}

/**
 * Column sums into a 1×cols row vector: `out[j] = Σᵢ a[i, j]` (the bias gradient of a batch).
 * Large matrices go to the active backend's kernel where it has one, with the same bits as the
 * loop here (the reference): each column summed in row order, rounded to the dtype at every add.
 * @param accumulate - add to `out` instead of overwriting it
 */
export function sumColumns(a: Matrix, out?: Matrix, accumulate = false): Matrix {
  const o = output("sumColumns", out, 1, a.cols, a);
  const ad = a.data;
  const od = o.data;
  const cols = a.cols;
  const n = a.rows * cols;
  // As in addRowVector: a backend kernel only where the loop below would not read its own output.
  const backend = getBackend();
  if (
    backend.sumColumns !== undefined &&
    sameKind(ad, od) &&
    !overlaps(od, ad) &&
    backend.sumColumns(a.rows, cols, ad, od, accumulate)
  ) {
    return o;
  }
  // Column by column in a local, rounded to the output's precision after every row exactly as
  // storing each partial sum would, so the result is the same as summing into `out` row by row.
  const single = od instanceof Float32Array;
  for (let j = 0; j < cols; j++) {
    let sum = accumulate ? (od[j] as number) : 0;
    if (single) for (let i = j; i < n; i += cols) sum = Math.fround(sum + (ad[i] as number));
    else for (let i = j; i < n; i += cols) sum += ad[i] as number;
    od[j] = sum;
  }
  return o;
}

/** Applies `fn` to every element: `out[i] = fn(a[i])`. `out` may be `a`. */
export function map(a: Matrix, fn: (x: number) => number, out?: Matrix): Matrix {
  const o = output("map", out, a.rows, a.cols, a);
  const ad = a.data;
  const od = o.data;
  for (let i = 0; i < ad.length; i++) od[i] = fn(ad[i] as number);
  return o;
}

/** Elementwise sum `out = a + b`. */
export function add(a: Matrix, b: Matrix, out?: Matrix): Matrix {
  sameShape("add", a, b);
  const o = output("add", out, a.rows, a.cols, a);
  const ad = a.data;
  const bd = b.data;
  const od = o.data;
  for (let i = 0; i < ad.length; i++) od[i] = (ad[i] as number) + (bd[i] as number);
  return o;
}

/** Elementwise difference `out = a - b`. */
export function sub(a: Matrix, b: Matrix, out?: Matrix): Matrix {
  sameShape("sub", a, b);
  const o = output("sub", out, a.rows, a.cols, a);
  const ad = a.data;
  const bd = b.data;
  const od = o.data;
  for (let i = 0; i < ad.length; i++) od[i] = (ad[i] as number) - (bd[i] as number);
  return o;
}

/** Elementwise (Hadamard) product `out = a ⊙ b`. */
export function hadamard(a: Matrix, b: Matrix, out?: Matrix): Matrix {
  sameShape("hadamard", a, b);
  const o = output("hadamard", out, a.rows, a.cols, a);
  const ad = a.data;
  const bd = b.data;
  const od = o.data;
  for (let i = 0; i < ad.length; i++) od[i] = (ad[i] as number) * (bd[i] as number);
  return o;
}

/** `y += alpha · x`, in place on `y` (BLAS axpy). Returns `y`. */
export function axpy(alpha: number, x: Matrix, y: Matrix): Matrix {
  sameShape("axpy", x, y, "x", "y");
  const xd = x.data;
  const yd = y.data;
  for (let i = 0; i < xd.length; i++) yd[i] = (yd[i] as number) + alpha * (xd[i] as number);
  return y;
}

/** `out = s · a`. */
export function scale(a: Matrix, s: number, out?: Matrix): Matrix {
  const o = output("scale", out, a.rows, a.cols, a);
  const ad = a.data;
  const od = o.data;
  for (let i = 0; i < ad.length; i++) od[i] = s * (ad[i] as number);
  return o;
}

/** Sum of all elements. */
export function sum(a: Matrix): number {
  const d = a.data;
  let s = 0;
  for (let i = 0; i < d.length; i++) s += d[i] as number;
  return s;
}

/** Sum of squares of all elements, `‖a‖²` (Frobenius). */
export function sumSquares(a: Matrix): number {
  const d = a.data;
  let s = 0;
  for (let i = 0; i < d.length; i++) {
    const v = d[i] as number;
    s += v * v;
  }
  return s;
}

/**
 * Index of the largest element of each row (the first one on ties); the predicted class.
 * @param out - preallocated `Int32Array` of length `a.rows`
 */
export function argmaxRows(a: Matrix, out?: Int32Array): Int32Array {
  const o = out ?? new Int32Array(a.rows);
  if (o.length !== a.rows) {
    throw new ShapeMismatchError(`argmaxRows: output has length ${o.length} (expected ${a.rows}, one per row)`);
  }
  const d = a.data;
  const cols = a.cols;
  for (let i = 0; i < a.rows; i++) {
    const base = i * cols;
    let best = 0;
    let bestValue = cols > 0 ? (d[base] as number) : Number.NaN;
    for (let j = 1; j < cols; j++) {
      const v = d[base + j] as number;
      if (v > bestValue) {
        bestValue = v;
        best = j;
      }
    }
    o[i] = best;
  }
  return o;
}

/** `out = aᵀ`. `out` must not alias `a`. */
export function transpose(a: Matrix, out?: Matrix): Matrix {
  const o = output("transpose", out, a.cols, a.rows, a);
  if (a.size > 1 && overlaps(o.data, a.data)) {
    throw new BackpropError("INVALID_ARGUMENT", "transpose: out must not be the input");
  }
  const ad = a.data;
  const od = o.data;
  const rows = a.rows;
  const cols = a.cols;
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) od[j * rows + i] = ad[i * cols + j] as number;
  }
  return o;
}

/** Tolerances of {@link allClose}. */
export interface CloseOptions {
  /** Relative tolerance, default 1e-5. */
  readonly rtol?: number;
  /** Absolute tolerance, default 1e-8. */
  readonly atol?: number;
}

/**
 * True when the shapes agree and every `|a - b| ≤ atol + rtol·|b|` (NumPy's rule); NaNs never match,
 * and an infinity matches only the same infinity.
 */
export function allClose(a: Matrix, b: Matrix, options: CloseOptions = {}): boolean {
  const rtol = options.rtol ?? 1e-5;
  const atol = options.atol ?? 1e-8;
  if (a.rows !== b.rows || a.cols !== b.cols) return false;
  const ad = a.data;
  const bd = b.data;
  for (let i = 0; i < ad.length; i++) {
    const x = ad[i] as number;
    const y = bd[i] as number;
    if (x === y) continue; // also equal infinities
    // NOTE: with y infinite the bound atol + rtol·|y| is infinite too and would accept anything.
    if (!Number.isFinite(x) || !Number.isFinite(y)) return false;
    if (!(Math.abs(x - y) <= atol + rtol * Math.abs(y))) return false;
  }
  return true;
}
