import { allocate, dtypeOf, isDType, type DType, type FloatArray } from "./dtype.js";
import { BackpropError, ShapeMismatchError } from "./errors.js";

function checkDims(where: string, rows: number, cols: number): void {
  if (!Number.isSafeInteger(rows) || rows < 0 || !Number.isSafeInteger(cols) || cols < 0) {
    throw new BackpropError(
      "INVALID_ARGUMENT",
      `${where}: dimensions must be non-negative integers (got ${String(rows)}×${String(cols)})`,
    );
  }
}

function checkDType(where: string, dtype: unknown): asserts dtype is DType {
  if (!isDType(dtype)) {
    throw new BackpropError(
      "INVALID_ARGUMENT",
      `${where}: unknown dtype (got ${JSON.stringify(dtype)}, expected "float32" or "float64")`,
    );
  }
}


/** A tensor's shape: the length of each axis, outermost first (row-major). */
export type Shape = readonly number[];

/** Numbers nested to any depth: what {@link Tensor.fromArray} reads and {@link Tensor.toArray} returns. */
export type NestedArray = number | readonly NestedArray[];

function checkShape(where: string, shape: unknown): Shape {
  let ok = Array.isArray(shape);
  // A plain loop: every tensor (and so every matrix view) passes here.
  for (let i = 0; ok && i < (shape as unknown[]).length; i++) {
    const d = (shape as unknown[])[i];
    ok = Number.isSafeInteger(d) && (d as number) >= 0;
  }
  if (!ok) {
    throw new BackpropError(
      "INVALID_ARGUMENT",
      `${where}: a shape is a list of non-negative integers (got ${JSON.stringify(shape)})`,
    );
  }
  return shape as Shape;
}

/** The number of elements of a tensor of this shape (1 for a scalar's `[]`). */
export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** `"[2, 28, 28, 1]"`, for messages. */
export function formatShape(shape: Shape): string {
  return `[${shape.join(", ")}]`;
}

/** True when both shapes have the same axes. */
export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function nestedShape(where: string, value: unknown): number[] {
  const shape: number[] = [];
  let level: unknown = value;
  while (Array.isArray(level)) {
    shape.push(level.length);
    if (level.length === 0) break;
    level = level[0];
  }
  if (shape.length === 0 && typeof value !== "number") {
    throw new BackpropError("INVALID_ARGUMENT", `${where}: expected a number or nested arrays of numbers`);
  }
  return shape;
}

function fillNested(where: string, value: unknown, shape: Shape, axis: number, out: FloatArray, at: { i: number }, path: string): void {
  if (axis === shape.length) {
    if (typeof value !== "number") {
      throw new BackpropError("INVALID_ARGUMENT", `${where}: element ${path || "[]"} is not a number (got ${JSON.stringify(value) ?? typeof value})`);
    }
    out[at.i++] = value;
    return;
  }
  if (!Array.isArray(value) || value.length !== shape[axis]) {
    throw new ShapeMismatchError(
      `${where}: ${path || "the array"} has ${Array.isArray(value) ? `${value.length} elements` : "no elements"} (expected ${String(shape[axis])}, as its first sibling: the input is ragged)`,
    );
  }
  for (let k = 0; k < value.length; k++) fillNested(where, value[k], shape, axis + 1, out, at, `${path}[${k}]`);
}

// Set by the Matrix constructor just before it calls Tensor's, which clears it.
let matrixShape = false;

/**
 * A dense, row-major tensor of any rank on one `Float32Array` or `Float64Array`.
 *
 * Element `(i₀, i₁, …)` lives at `data[((i₀·d₁ + i₁)·d₂ + …)]`. Layers use the TensorFlow.js / Keras
 * layout: the batch is the first axis and features the last (channels-last: `[batch, height, width,
 * channels]`, `[batch, time, features]`). {@link Tensor.reshape} and {@link Tensor.batchSlice} are
 * views that share the data; {@link Tensor.asMatrix} is the 2-D view the kernels work on. A
 * {@link Matrix} is the rank-2 tensor.
 *
 * @example
 * ```ts
 * const images = Tensor.zeros([32, 28, 28, 1], "float32");
 * const first8 = images.batchSlice(0, 8);          // [8, 28, 28, 1], same memory
 * const rows = images.reshape([32, -1]);           // a 32×784 Matrix, same memory
 * ```
 */
export class Tensor {
  /** The length of each axis, outermost first. */
  readonly shape: Shape;
  /** The element type. */
  readonly dtype: DType;
  /** The elements, row-major; length = product of the shape. Mutate freely: it is the tensor. */
  readonly data: FloatArray;

  /**
   * Wraps `data` (no copy) or allocates zeros.
   * @param shape - the length of each axis
   * @param dtype - element type, default `"float64"`; ignored when `data` is given
   * @param data - existing storage of exactly `product(shape)` elements, shared not copied
   * @throws ShapeMismatchError when `data` does not have that many elements
   */
  constructor(shape: Shape, dtype: DType = "float64", data?: FloatArray) {
    if (matrixShape) {
      // A Matrix has checked its dimensions, dtype and data and hands over a fresh [rows, cols]:
      // matrix views are made per batch (predict, evaluate), so they skip a second round of checks.
      matrixShape = false;
      this.shape = shape;
      this.data = data ?? allocate(dtype, (shape[0] as number) * (shape[1] as number));
      this.dtype = data ? dtypeOf(data) : dtype;
      return;
    }
    const dims = Object.freeze(checkShape("Tensor", shape).slice());
    const size = sizeOf(dims);
    if (data) {
      if (!(data instanceof Float32Array || data instanceof Float64Array)) {
        throw new BackpropError("INVALID_ARGUMENT", "Tensor: data must be a Float32Array or Float64Array");
      }
      if (data.length !== size) {
        throw new ShapeMismatchError(
          `Tensor: data length does not match shape (got ${data.length}, expected ${formatShape(dims)} = ${size})`,
        );
      }
      this.data = data;
      this.dtype = dtypeOf(data);
    } else {
      checkDType("Tensor", dtype);
      this.data = allocate(dtype, size);
      this.dtype = dtype;
    }
    this.shape = dims;
  }

  /** A tensor of zeros. */
  static zeros(shape: Shape, dtype: DType = "float64"): Tensor {
    return tensorOf(shape, dtype);
  }

  /** A tensor with every element equal to `value`. */
  static full(shape: Shape, value: number, dtype: DType = "float64"): Tensor {
    const t = tensorOf(shape, dtype);
    t.data.fill(value);
    return t;
  }

  /**
   * A tensor from numbers nested to any depth (copied); the shape is read from the nesting.
   * @throws BackpropError `SHAPE_MISMATCH` naming the first ragged sub-array, `INVALID_ARGUMENT` for a non-number
   * @example
   * ```ts
   * Tensor.fromArray([[[1], [2]], [[3], [4]]]).shape; // [2, 2, 1]
   * ```
   */
  static fromArray(values: NestedArray, dtype: DType = "float64"): Tensor {
    const shape = nestedShape("Tensor.fromArray", values);
    const t = tensorOf(shape, dtype);
    fillNested("Tensor.fromArray", values, shape, 0, t.data, { i: 0 }, "");
    return t;
  }

  /** A tensor of the given shape from a flat row-major list of numbers (copied). */
  static fromFlat(shape: Shape, values: ArrayLike<number>, dtype: DType = "float64"): Tensor {
    const t = tensorOf(checkShape("Tensor.fromFlat", shape), dtype);
    if (values.length !== t.size) {
      throw new ShapeMismatchError(`Tensor.fromFlat: got ${values.length} values (expected ${formatShape(shape)} = ${t.size})`);
    }
    t.data.set(values);
    return t;
  }

  /** Number of axes. */
  get rank(): number {
    return this.shape.length;
  }

  /** Number of elements. */
  get size(): number {
    return this.data.length;
  }

  /**
   * The same elements under another shape, sharing the memory (no copy). One axis may be `-1`,
   * inferred from the others. A rank-2 result is a {@link Matrix}.
   * @throws ShapeMismatchError when the element counts differ
   */
  reshape(shape: Shape): Tensor {
    const dims = inferAxis(this, shape);
    return tensorOf(dims, this.dtype, this.data);
  }

  /**
   * Samples `[start, end)` along the first (batch) axis, sharing the memory: row-major order makes
   * them one contiguous run.
   */
  batchSlice(start: number, end: number): Tensor {
    const n = this.shape[0] ?? 0;
    if (!(Number.isInteger(start) && Number.isInteger(end) && 0 <= start && start <= end && end <= n)) {
      throw new BackpropError("INVALID_ARGUMENT", `Tensor.batchSlice: range [${start}, ${end}) is outside 0..${n}`);
    }
    const per = n === 0 ? 0 : this.size / n;
    return tensorOf([end - start, ...this.shape.slice(1)], this.dtype, this.data.subarray(start * per, end * per));
  }

  /**
   * The 2-D view the kernels work on: every axis but the last folded into rows, the last axis as
   * columns (`[b, t, f]` → `(b·t)×f`); a vector is one row and a scalar 1×1. Shares the memory;
   * a {@link Matrix} returns itself.
   */
  asMatrix(): Matrix {
    const cols = this.rank === 0 ? 1 : (this.shape[this.rank - 1] as number);
    return new Matrix(cols === 0 ? 0 : this.size / cols, cols, this.dtype, this.data);
  }

  /** A tensor of zeros with this shape and dtype (a Matrix for a Matrix). */
  zerosLike(): Tensor {
    return tensorOf(this.shape, this.dtype);
  }

  /** Sets every element to `value` and returns this tensor. */
  fill(value: number): this {
    this.data.fill(value);
    return this;
  }

  /** A deep copy with the same dtype, or converted to `dtype`. */
  clone(dtype: DType = this.dtype): Tensor {
    const t = tensorOf(this.shape, dtype);
    t.data.set(this.data);
    return t;
  }

  /**
   * Copies `source` into this tensor (dtypes may differ).
   * @throws ShapeMismatchError when the shapes differ
   */
  copyFrom(source: Tensor): this {
    if (!sameShape(source.shape, this.shape)) {
      throw new ShapeMismatchError(
        `${this.kindName()}.copyFrom: shapes differ (got ${source.describeShape()}, expected ${this.describeShape()})`,
      );
    }
    this.data.set(source.data);
    return this;
  }

  /** The elements as nested arrays (a number for a scalar). */
  toArray(): NestedArray {
    if (this.rank === 0) return this.data[0] as number;
    const at = { i: 0 };
    const build = (axis: number): NestedArray => {
      const len = this.shape[axis] as number;
      if (axis === this.rank - 1) {
        const row = Array.from(this.data.subarray(at.i, at.i + len));
        at.i += len;
        return row;
      }
      const out: NestedArray[] = [];
      for (let k = 0; k < len; k++) out.push(build(axis + 1));
      return out;
    };
    return build(0);
  }

  /** The shape as text, for messages: `[2, 3, 4]` (a Matrix says `2×3`). */
  describeShape(): string {
    return formatShape(this.shape);
  }

  /** A short description: `Tensor([2, 3, 4], float32)`. */
  toString(): string {
    return `Tensor(${formatShape(this.shape)}, ${this.dtype})`;
  }

  protected kindName(): string {
    return "Tensor";
  }
}

function inferAxis(t: Tensor, shape: Shape): number[] {
  if (!Array.isArray(shape)) checkShape("Tensor.reshape", shape);
  const free = shape.indexOf(-1);
  if (free !== shape.lastIndexOf(-1)) {
    throw new BackpropError("INVALID_ARGUMENT", `Tensor.reshape: at most one axis may be -1 (got ${formatShape(shape)})`);
  }
  const dims = shape.slice();
  if (free >= 0) {
    const known = sizeOf(dims.filter((_, i) => i !== free));
    if (known === 0 || t.size % known !== 0) {
      throw new ShapeMismatchError(`Tensor.reshape: ${t.size} elements do not fit ${formatShape(shape)} (from ${t.describeShape()})`);
    }
    dims[free] = t.size / known;
  }
  checkShape("Tensor.reshape", dims);
  if (sizeOf(dims) !== t.size) {
    throw new ShapeMismatchError(`Tensor.reshape: ${t.size} elements do not fit ${formatShape(shape)} (from ${t.describeShape()})`);
  }
  return dims;
}

/** The (rows, cols, dtype) of a Matrix factory called either as (rows, cols, dtype?) or as ([rows, cols], dtype?). */
function matrixArgs(where: string, rowsOrShape: number | Shape, colsOrDType?: number | DType, dtype?: DType): [number, number, DType] {
  if (Array.isArray(rowsOrShape)) {
    if (rowsOrShape.length !== 2) {
      throw new ShapeMismatchError(`${where}: a matrix has 2 axes (got the shape ${formatShape(rowsOrShape as Shape)})`);
    }
    return [rowsOrShape[0] as number, rowsOrShape[1] as number, (colsOrDType as DType | undefined) ?? "float64"];
  }
  checkDims(where, rowsOrShape as number, colsOrDType as number);
  return [rowsOrShape as number, colsOrDType as number, dtype ?? "float64"];
}

/** A rank-2 shape gives a Matrix, any other a Tensor: one place decides which class a view is. */
function tensorOf(shape: Shape, dtype: DType, data?: FloatArray): Tensor {
  return shape.length === 2 ? new Matrix(shape[0] as number, shape[1] as number, dtype, data) : new Tensor(shape, dtype, data);
}

/**
 * A dense, row-major matrix on a `Float32Array` or `Float64Array`.
 *
 * Element (i, j) lives at `data[i * cols + j]`. The dtype is chosen at creation and never
 * changes; kernels write into preallocated matrices so training loops allocate nothing.
 * A vector is a 1×n (row) or n×1 (column) matrix. A Matrix is the rank-2 {@link Tensor}: every tensor's
 * {@link Tensor.asMatrix} view is one, and it can be used wherever a tensor is expected.
 *
 * @example
 * ```ts
 * const a = Matrix.fromArray([[1, 2], [3, 4]]);        // float64 by default
 * const b = Matrix.zeros(2, 2, "float32");
 * a.get(1, 0); // 3
 * ```
 */
export class Matrix extends Tensor {
  /** `[rows, cols]`. */
  declare readonly shape: readonly [number, number];
  /** Number of rows. */
  readonly rows: number;
  /** Number of columns. */
  readonly cols: number;

  /**
   * Wraps `data` (no copy) or allocates zeros.
   * @param rows - number of rows
   * @param cols - number of columns
   * @param dtype - element type, default `"float64"`; ignored when `data` is given
   * @param data - existing storage of length `rows * cols`, shared not copied
   */
  constructor(rows: number, cols: number, dtype: DType = "float64", data?: FloatArray) {
    checkDims("Matrix", rows, cols);
    if (data !== undefined && !(data instanceof Float32Array || data instanceof Float64Array)) {
      throw new BackpropError("INVALID_ARGUMENT", "Matrix: data must be a Float32Array or Float64Array");
    }
    if (data && data.length !== rows * cols) {
      throw new ShapeMismatchError(
        `Matrix: data length does not match shape (got ${data.length}, expected ${rows}×${cols} = ${rows * cols})`,
      );
    }
    if (data === undefined) checkDType("Matrix", dtype);
    matrixShape = true;
    // NOTE: not frozen, unlike other tensors' shapes: freezing costs more than the rest of a
    // matrix view together, and rows/cols are what matrix code reads.
    super([rows, cols], dtype, data);
    this.rows = rows;
    this.cols = cols;
  }

  /** A rows×cols matrix of zeros (or of shape `[rows, cols]`). */
  static override zeros(rows: number, cols: number, dtype?: DType): Matrix;
  static override zeros(shape: Shape, dtype?: DType): Matrix;
  static override zeros(rowsOrShape: number | Shape, colsOrDType?: number | DType, dtype?: DType): Matrix {
    const [rows, cols, type] = matrixArgs("Matrix.zeros", rowsOrShape, colsOrDType, dtype);
    return new Matrix(rows, cols, type);
  }

  /** A rows×cols matrix of ones. */
  static ones(rows: number, cols: number, dtype: DType = "float64"): Matrix {
    return Matrix.full(rows, cols, 1, dtype);
  }

  /** A rows×cols matrix (or one of shape `[rows, cols]`) with every element equal to `value`. */
  static override full(rows: number, cols: number, value: number, dtype?: DType): Matrix;
  static override full(shape: Shape, value: number, dtype?: DType): Matrix;
  static override full(rowsOrShape: number | Shape, a: number, b?: number | DType, c?: DType): Matrix {
    const m = Array.isArray(rowsOrShape)
      ? Matrix.zeros(rowsOrShape as Shape, b as DType | undefined)
      : Matrix.zeros(rowsOrShape as number, a, c);
    m.data.fill(Array.isArray(rowsOrShape) ? a : (b as number));
    return m;
  }

  /** The n×n identity matrix. */
  static identity(n: number, dtype: DType = "float64"): Matrix {
    const m = new Matrix(n, n, dtype);
    for (let i = 0; i < n; i++) m.data[i * n + i] = 1;
    return m;
  }

  /**
   * A matrix from nested arrays, one inner array per row (copied).
   * @throws BackpropError `SHAPE_MISMATCH` when rows have different lengths
   */
  static override fromArray(rows: readonly (readonly number[])[], dtype: DType = "float64"): Matrix {
    if (!Array.isArray(rows)) {
      throw new BackpropError("INVALID_ARGUMENT", "Matrix.fromArray: expected an array of rows");
    }
    const r = rows.length;
    const c = r === 0 ? 0 : (rows[0]?.length ?? 0);
    const m = new Matrix(r, c, dtype);
    for (let i = 0; i < r; i++) {
      const row = rows[i];
      if (!Array.isArray(row) || row.length !== c) {
        throw new ShapeMismatchError(
          `Matrix.fromArray: row ${i} has ${Array.isArray(row) ? row.length : "no"} elements (expected ${c}, the length of row 0)`,
        );
      }
      m.data.set(row, i * c);
    }
    return m;
  }

  /** A 1×n row vector from numbers (copied). */
  static rowVector(values: ArrayLike<number>, dtype: DType = "float64"): Matrix {
    const m = new Matrix(1, values.length, dtype);
    m.data.set(values);
    return m;
  }

  /** A rows×cols matrix (or one of shape `[rows, cols]`) from a flat row-major list of numbers (copied). */
  static override fromFlat(rows: number, cols: number, values: ArrayLike<number>, dtype?: DType): Matrix;
  static override fromFlat(shape: Shape, values: ArrayLike<number>, dtype?: DType): Matrix;
  static override fromFlat(rowsOrShape: number | Shape, a: number | ArrayLike<number>, b?: ArrayLike<number> | DType, c?: DType): Matrix {
    const shaped = Array.isArray(rowsOrShape);
    const [rows, cols, dtype] = shaped
      ? matrixArgs("Matrix.fromFlat", rowsOrShape as Shape, b as DType | undefined)
      : matrixArgs("Matrix.fromFlat", rowsOrShape as number, a as number, c);
    const values = (shaped ? a : b) as ArrayLike<number>;
    if (values.length !== rows * cols) {
      throw new ShapeMismatchError(
        `Matrix.fromFlat: got ${values.length} values (expected ${rows}×${cols} = ${rows * cols})`,
      );
    }
    const m = new Matrix(rows, cols, dtype);
    m.data.set(values);
    return m;
  }


  /** Element (i, j). No bounds check beyond the typed array's: keep it out of hot loops. */
  get(i: number, j: number): number {
    return this.data[i * this.cols + j] as number;
  }

  /** Sets element (i, j). */
  set(i: number, j: number, value: number): void {
    this.data[i * this.cols + j] = value;
  }

  /** A deep copy with the same dtype, or converted to `dtype`. */
  override clone(dtype: DType = this.dtype): Matrix {
    const m = new Matrix(this.rows, this.cols, dtype);
    m.data.set(this.data);
    return m;
  }

  /** This matrix: it already is its 2-D view. */
  override asMatrix(): Matrix {
    return this;
  }

  /** A matrix of zeros with this shape and dtype. */
  override zerosLike(): Matrix {
    return new Matrix(this.rows, this.cols, this.dtype);
  }

  /**
   * A view of rows `[start, end)` sharing this matrix's memory (row-major makes it contiguous).
   */
  rowSlice(start: number, end: number): Matrix {
    if (!(Number.isInteger(start) && Number.isInteger(end) && 0 <= start && start <= end && end <= this.rows)) {
      throw new BackpropError(
        "INVALID_ARGUMENT",
        `Matrix.rowSlice: range [${start}, ${end}) is outside 0..${this.rows}`,
      );
    }
    return new Matrix(end - start, this.cols, this.dtype, this.data.subarray(start * this.cols, end * this.cols));
  }

  /** Rows `[start, end)`: {@link Matrix.rowSlice}, the batch axis of a matrix being its rows. */
  override batchSlice(start: number, end: number): Matrix {
    return this.rowSlice(start, end);
  }

  /** The elements as nested arrays, one per row. */
  override toArray(): number[][] {
    const out: number[][] = [];
    for (let i = 0; i < this.rows; i++) {
      out.push(Array.from(this.data.subarray(i * this.cols, (i + 1) * this.cols)));
    }
    return out;
  }

  /** `"2×3"`. */
  override describeShape(): string {
    return `${this.rows}×${this.cols}`;
  }

  /** A short description: `Matrix(2×3, float64)`. */
  override toString(): string {
    return `Matrix(${this.rows}×${this.cols}, ${this.dtype})`;
  }

  protected override kindName(): string {
    return "Matrix";
  }
}

/** `"2×3"` for a matrix, `"[2, 3, 4]"` for any other tensor: for error messages. */
export function shapeString(t: Tensor): string {
  return t.describeShape();
}

/**
 * The rows of the 2-D view of nested numbers (see {@link Tensor.asMatrix}): a matrix stays as it
 * is, a vector becomes one row, a scalar `[[x]]`. Handy for traced values, which keep each
 * tensor's own nesting: `rowsOf(trace.layers[0].output)[0]` is the first sample's output.
 * @throws BackpropError for ragged or non-numeric input
 */
export function rowsOf(value: NestedArray): number[][] {
  return Tensor.fromArray(value).asMatrix().toArray();
}
