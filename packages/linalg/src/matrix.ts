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

/**
 * A dense, row-major matrix on a `Float32Array` or `Float64Array`.
 *
 * Element (i, j) lives at `data[i * cols + j]`. The dtype is chosen at creation and never
 * changes; kernels write into preallocated matrices so training loops allocate nothing.
 * A vector is a 1×n (row) or n×1 (column) matrix.
 *
 * @example
 * ```ts
 * const a = Matrix.fromArray([[1, 2], [3, 4]]);        // float64 by default
 * const b = Matrix.zeros(2, 2, "float32");
 * a.get(1, 0); // 3
 * ```
 */
export class Matrix {
  /** Number of rows. */
  readonly rows: number;
  /** Number of columns. */
  readonly cols: number;
  /** The element type. */
  readonly dtype: DType;
  /** The elements, row-major; length `rows * cols`. Mutate freely: it is the matrix. */
  readonly data: FloatArray;

  /**
   * Wraps `data` (no copy) or allocates zeros.
   * @param rows - number of rows
   * @param cols - number of columns
   * @param dtype - element type, default `"float64"`; ignored when `data` is given
   * @param data - existing storage of length `rows * cols`, shared not copied
   */
  constructor(rows: number, cols: number, dtype: DType = "float64", data?: FloatArray) {
    checkDims("Matrix", rows, cols);
    if (data) {
      if (!(data instanceof Float32Array || data instanceof Float64Array)) {
        throw new BackpropError(
          "INVALID_ARGUMENT",
          "Matrix: data must be a Float32Array or Float64Array",
        );
      }
      if (data.length !== rows * cols) {
        throw new ShapeMismatchError(
          `Matrix: data length does not match shape (got ${data.length}, expected ${rows}×${cols} = ${rows * cols})`,
        );
      }
      this.data = data;
      this.dtype = dtypeOf(data);
    } else {
      checkDType("Matrix", dtype);
      this.data = allocate(dtype, rows * cols);
      this.dtype = dtype;
    }
    this.rows = rows;
    this.cols = cols;
  }

  /** A rows×cols matrix of zeros. */
  static zeros(rows: number, cols: number, dtype: DType = "float64"): Matrix {
    return new Matrix(rows, cols, dtype);
  }

  /** A rows×cols matrix of ones. */
  static ones(rows: number, cols: number, dtype: DType = "float64"): Matrix {
    return Matrix.full(rows, cols, 1, dtype);
  }

  /** A rows×cols matrix with every element equal to `value`. */
  static full(rows: number, cols: number, value: number, dtype: DType = "float64"): Matrix {
    const m = new Matrix(rows, cols, dtype);
    m.data.fill(value);
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
  static fromArray(rows: readonly (readonly number[])[], dtype: DType = "float64"): Matrix {
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

  /** A rows×cols matrix from a flat row-major list of numbers (copied). */
  static fromFlat(rows: number, cols: number, values: ArrayLike<number>, dtype: DType = "float64"): Matrix {
    checkDims("Matrix.fromFlat", rows, cols);
    if (values.length !== rows * cols) {
      throw new ShapeMismatchError(
        `Matrix.fromFlat: got ${values.length} values (expected ${rows}×${cols} = ${rows * cols})`,
      );
    }
    const m = new Matrix(rows, cols, dtype);
    m.data.set(values);
    return m;
  }

  /** `[rows, cols]`. */
  get shape(): [number, number] {
    return [this.rows, this.cols];
  }

  /** Number of elements. */
  get size(): number {
    return this.data.length;
  }

  /** Element (i, j). No bounds check beyond the typed array's: keep it out of hot loops. */
  get(i: number, j: number): number {
    return this.data[i * this.cols + j] as number;
  }

  /** Sets element (i, j). */
  set(i: number, j: number, value: number): void {
    this.data[i * this.cols + j] = value;
  }

  /** Sets every element to `value` and returns this matrix. */
  fill(value: number): this {
    this.data.fill(value);
    return this;
  }

  /** A deep copy with the same dtype, or converted to `dtype`. */
  clone(dtype: DType = this.dtype): Matrix {
    const m = new Matrix(this.rows, this.cols, dtype);
    m.data.set(this.data);
    return m;
  }

  /**
   * Copies `source` into this matrix (dtypes may differ).
   * @throws ShapeMismatchError when the shapes differ
   */
  copyFrom(source: Matrix): this {
    if (source.rows !== this.rows || source.cols !== this.cols) {
      throw new ShapeMismatchError(
        `Matrix.copyFrom: shapes differ (got ${source.rows}×${source.cols}, expected ${this.rows}×${this.cols})`,
      );
    }
    this.data.set(source.data);
    return this;
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

  /** The elements as nested arrays, one per row. */
  toArray(): number[][] {
    const out: number[][] = [];
    for (let i = 0; i < this.rows; i++) {
      out.push(Array.from(this.data.subarray(i * this.cols, (i + 1) * this.cols)));
    }
    return out;
  }

  /** A short description: `Matrix(2×3, float64)`. */
  toString(): string {
    return `Matrix(${this.rows}×${this.cols}, ${this.dtype})`;
  }
}

/** `"2×3"`, for error messages. */
export function shapeString(m: Matrix): string {
  return `${m.rows}×${m.cols}`;
}
