import { describe, expect, it } from "vitest";
import type { DType, FloatArray } from "./dtype.js";
import { BackpropError, ShapeMismatchError } from "./errors.js";
import { Matrix, shapeString } from "./tensor.js";

const DTYPES: readonly DType[] = ["float32", "float64"];

/** Runs `fn` and returns what it threw (failing the test if it did not throw). */
function thrown(fn: () => unknown): BackpropError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(BackpropError);
    return e as BackpropError;
  }
  throw new Error("expected a throw");
}

describe("Matrix constructor", () => {
  it("allocates zeros, float64 by default", () => {
    const m = new Matrix(2, 3);
    expect(m.rows).toBe(2);
    expect(m.cols).toBe(3);
    expect(m.dtype).toBe("float64");
    expect(m.data).toBeInstanceOf(Float64Array);
    expect(Array.from(m.data)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(m.shape).toEqual([2, 3]);
    expect(m.size).toBe(6);
  });

  it.each(DTYPES)("allocates the typed array of %s", (dtype) => {
    const m = new Matrix(3, 1, dtype);
    expect(m.dtype).toBe(dtype);
    expect(m.data).toBeInstanceOf(dtype === "float32" ? Float32Array : Float64Array);
    expect(m.data.length).toBe(3);
  });

  it("wraps given data without copying and takes its dtype from it", () => {
    const data = new Float32Array([1, 2, 3, 4]);
    const m = new Matrix(2, 2, "float64", data);
    expect(m.data).toBe(data);
    expect(m.dtype).toBe("float32");
    data[3] = 9;
    expect(m.get(1, 1)).toBe(9);
  });

  it("allows empty shapes", () => {
    expect(new Matrix(0, 5).size).toBe(0);
    expect(new Matrix(5, 0).size).toBe(0);
    expect(new Matrix(0, 0).toArray()).toEqual([]);
  });

  it.each([
    [-1, 2],
    [2, -1],
    [1.5, 2],
    [2, Number.NaN],
    [Number.POSITIVE_INFINITY, 1],
  ])("rejects invalid dimensions %s×%s", (r, c) => {
    const e = thrown(() => new Matrix(r, c));
    expect(e.code).toBe("INVALID_ARGUMENT");
    expect(e.message).toMatch(/^Matrix: dimensions must be non-negative integers/);
  });

  it("rejects an unknown dtype and names it", () => {
    const e = thrown(() => new Matrix(2, 2, "int32" as unknown as DType));
    expect(e.code).toBe("INVALID_ARGUMENT");
    expect(e.message).toContain('"int32"');
    expect(e.message).toContain("float32");
  });

  it("rejects data of the wrong length or type", () => {
    const e = thrown(() => new Matrix(2, 2, "float64", new Float64Array(3)));
    expect(e.code).toBe("SHAPE_MISMATCH");
    expect(e).toBeInstanceOf(ShapeMismatchError);
    expect(e.message).toContain("got 3");
    expect(e.message).toContain("2×2 = 4");
    const bad = [1, 2, 3, 4] as unknown as FloatArray;
    expect(thrown(() => new Matrix(2, 2, "float64", bad)).code).toBe("INVALID_ARGUMENT");
    expect(thrown(() => new Matrix(2, 2, "float64", new Int32Array(4) as unknown as FloatArray)).code).toBe(
      "INVALID_ARGUMENT",
    );
  });
});

describe("Matrix factories", () => {
  it.each(DTYPES)("zeros, ones, full and identity in %s", (dtype) => {
    expect(Matrix.zeros(2, 2, dtype).toArray()).toEqual([
      [0, 0],
      [0, 0],
    ]);
    expect(Matrix.ones(1, 3, dtype).toArray()).toEqual([[1, 1, 1]]);
    expect(Matrix.full(2, 1, -2.5, dtype).toArray()).toEqual([[-2.5], [-2.5]]);
    const id = Matrix.identity(3, dtype);
    expect(id.dtype).toBe(dtype);
    expect(id.toArray()).toEqual([
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
    ]);
  });

  it("fromArray copies nested rows", () => {
    const src = [
      [1, 2, 3],
      [4, 5, 6],
    ];
    const m = Matrix.fromArray(src);
    expect(m.shape).toEqual([2, 3]);
    expect(Array.from(m.data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(m.get(1, 0)).toBe(4);
    src[0]![0] = 100;
    expect(m.get(0, 0)).toBe(1);
    expect(Matrix.fromArray([]).shape).toEqual([0, 0]);
  });

  it("fromArray rounds to float32 when asked", () => {
    const m = Matrix.fromArray([[0.1, 1 / 3]], "float32");
    expect(m.dtype).toBe("float32");
    expect(m.get(0, 0)).toBe(Math.fround(0.1));
    expect(m.get(0, 1)).toBe(Math.fround(1 / 3));
    expect(m.get(0, 0)).not.toBe(0.1);
  });

  it("fromArray rejects ragged rows, naming the row", () => {
    const e = thrown(() => Matrix.fromArray([[1, 2], [3], [4, 5]]));
    expect(e.code).toBe("SHAPE_MISMATCH");
    expect(e.message).toContain("row 1 has 1 elements");
    expect(e.message).toContain("expected 2");
    expect(thrown(() => Matrix.fromArray([[1], [2, 3]])).message).toContain("row 1 has 2");
    expect(thrown(() => Matrix.fromArray([[1], 5 as unknown as number[]])).code).toBe("SHAPE_MISMATCH");
    expect(thrown(() => Matrix.fromArray("no" as unknown as number[][])).code).toBe("INVALID_ARGUMENT");
  });

  it.each(DTYPES)("rowVector and fromFlat in %s", (dtype) => {
    const v = Matrix.rowVector([1, -2, 3], dtype);
    expect(v.shape).toEqual([1, 3]);
    expect(v.dtype).toBe(dtype);
    expect(v.toArray()).toEqual([[1, -2, 3]]);
    const f = Matrix.fromFlat(3, 2, new Float64Array([1, 2, 3, 4, 5, 6]), dtype);
    expect(f.dtype).toBe(dtype);
    expect(f.toArray()).toEqual([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
  });

  it("fromFlat copies and checks the length and dims", () => {
    const values = [1, 2, 3, 4];
    const m = Matrix.fromFlat(2, 2, values);
    values[0] = 7;
    expect(m.get(0, 0)).toBe(1);
    const e = thrown(() => Matrix.fromFlat(2, 3, [1, 2, 3]));
    expect(e.code).toBe("SHAPE_MISMATCH");
    expect(e.message).toContain("got 3 values");
    expect(e.message).toContain("2×3 = 6");
    expect(thrown(() => Matrix.fromFlat(-1, 0, [])).code).toBe("INVALID_ARGUMENT");
  });
});

describe("Matrix element access and copies", () => {
  it("get, set and fill use row-major order", () => {
    const m = Matrix.zeros(2, 3);
    m.set(1, 2, 5);
    m.set(0, 1, -1);
    expect(Array.from(m.data)).toEqual([0, -1, 0, 0, 0, 5]);
    expect(m.get(1, 2)).toBe(5);
    expect(m.fill(3)).toBe(m);
    expect(Array.from(m.data)).toEqual([3, 3, 3, 3, 3, 3]);
  });

  it("rowSlice is a view: writes go both ways", () => {
    const m = Matrix.fromArray([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    const s = m.rowSlice(1, 3);
    expect(s.shape).toEqual([2, 2]);
    expect(s.dtype).toBe("float64");
    expect(s.toArray()).toEqual([
      [3, 4],
      [5, 6],
    ]);
    s.set(0, 1, 40);
    expect(m.get(1, 1)).toBe(40);
    m.set(2, 0, 50);
    expect(s.get(1, 0)).toBe(50);
    expect(m.rowSlice(2, 2).shape).toEqual([0, 2]);
    expect(m.rowSlice(0, 3).toArray()).toEqual(m.toArray());
  });

  it("rowSlice of a float32 matrix stays float32", () => {
    const m = Matrix.ones(4, 2, "float32");
    const s = m.rowSlice(1, 2);
    expect(s.dtype).toBe("float32");
    s.fill(0.1);
    expect(m.get(1, 0)).toBe(Math.fround(0.1));
    expect(m.get(0, 0)).toBe(1);
    expect(m.get(2, 0)).toBe(1);
  });

  it.each([
    [-1, 1],
    [2, 1],
    [0, 4],
    [0.5, 1],
  ])("rowSlice rejects the range [%s, %s)", (start, end) => {
    const m = Matrix.zeros(3, 2);
    const e = thrown(() => m.rowSlice(start, end));
    expect(e.code).toBe("INVALID_ARGUMENT");
    expect(e.message).toContain("0..3");
  });

  it("clone is deep and can convert the dtype", () => {
    const m = Matrix.fromArray([[0.1, 2]]);
    const c = m.clone();
    expect(c.dtype).toBe("float64");
    expect(c.data).not.toBe(m.data);
    c.set(0, 1, 9);
    expect(m.get(0, 1)).toBe(2);

    const f = m.clone("float32");
    expect(f.dtype).toBe("float32");
    expect(f.data).toBeInstanceOf(Float32Array);
    expect(f.get(0, 0)).toBe(Math.fround(0.1));
    const back = f.clone("float64");
    expect(back.data).toBeInstanceOf(Float64Array);
    expect(back.get(0, 0)).toBe(Math.fround(0.1));
    expect(thrown(() => m.clone("float16" as unknown as DType)).code).toBe("INVALID_ARGUMENT");
  });

  it("copyFrom copies values across dtypes and checks shapes", () => {
    const dst = Matrix.zeros(2, 2, "float32");
    const src = Matrix.fromArray([
      [1, 0.1],
      [3, 4],
    ]);
    expect(dst.copyFrom(src)).toBe(dst);
    expect(dst.toArray()).toEqual([
      [1, Math.fround(0.1)],
      [3, 4],
    ]);
    src.set(0, 0, 7);
    expect(dst.get(0, 0)).toBe(1);
    const e = thrown(() => dst.copyFrom(Matrix.zeros(4, 1)));
    expect(e).toBeInstanceOf(ShapeMismatchError);
    expect(e.code).toBe("SHAPE_MISMATCH");
    expect(e.message).toContain("4×1");
    expect(e.message).toContain("2×2");
  });

  it("toArray returns fresh nested arrays", () => {
    const m = Matrix.fromArray([
      [1, 2],
      [3, 4],
    ]);
    const a = m.toArray();
    expect(a).toEqual([
      [1, 2],
      [3, 4],
    ]);
    a[0]![0] = 10;
    expect(m.get(0, 0)).toBe(1);
    expect(Matrix.zeros(2, 0).toArray()).toEqual([[], []]);
  });

  it("describes itself", () => {
    expect(String(Matrix.zeros(2, 3, "float32"))).toBe("Matrix(2×3, float32)");
    expect(shapeString(Matrix.zeros(4, 1))).toBe("4×1");
  });
});
