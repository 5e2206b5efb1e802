import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isBackpropError } from "./errors.js";
import { Matrix, Param, Tensor, sizeOf } from "./index.js";

const shapes = fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 0, maxLength: 4 });

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return isBackpropError(e) ? e.code : `not ours: ${String(e)}`;
  }
  return undefined;
}

describe("Tensor", () => {
  it("stores row-major, channels-last data of any rank", () => {
    const t = Tensor.fromArray([[[1, 2], [3, 4], [5, 6]], [[7, 8], [9, 10], [11, 12]]]);
    expect(t.shape).toEqual([2, 3, 2]);
    expect(t.rank).toBe(3);
    expect(t.size).toBe(12);
    expect(Array.from(t.data)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(t.toString()).toBe("Tensor([2, 3, 2], float64)");
  });

  it("round-trips nested arrays of every rank (fast-check)", () => {
    fc.assert(
      fc.property(shapes, fc.constantFrom("float32" as const, "float64" as const), (shape, dtype) => {
        const t = Tensor.zeros(shape, dtype);
        for (let i = 0; i < t.size; i++) t.data[i] = i - 3;
        const back = Tensor.fromArray(t.toArray(), dtype);
        expect(back.shape).toEqual(shape);
        expect(Array.from(back.data)).toEqual(Array.from(t.data));
      }),
    );
  });

  it("reshape is a view with the same elements in the same order, -1 inferred (fast-check)", () => {
    fc.assert(
      fc.property(shapes, (shape) => {
        const t = Tensor.zeros(shape);
        const flat = t.reshape([-1]);
        expect(flat.shape).toEqual([sizeOf(shape)]);
        flat.data[0] = 42;
        expect(t.data[0]).toBe(42);
        expect(flat.data.buffer).toBe(t.data.buffer);
        expect(flat.reshape(shape).shape).toEqual(shape);
      }),
    );
  });

  it("a rank-2 reshape or view is a Matrix sharing the memory", () => {
    const images = Tensor.zeros([4, 3, 3, 2], "float32");
    const rows = images.reshape([4, -1]);
    expect(rows).toBeInstanceOf(Matrix);
    expect((rows as Matrix).cols).toBe(18);
    const m = images.asMatrix();
    expect([m.rows, m.cols]).toEqual([36, 2]);
    m.set(35, 1, 7);
    expect(images.data[71]).toBe(7);
    expect(Tensor.zeros([5]).asMatrix().shape).toEqual([1, 5]);
    expect(Tensor.zeros([]).asMatrix().shape).toEqual([1, 1]);
    const matrix = Matrix.zeros(2, 3);
    expect(matrix.asMatrix()).toBe(matrix);
    expect(matrix).toBeInstanceOf(Tensor);
    expect(matrix.shape).toEqual([2, 3]);
    expect(Matrix.zeros([2, 3]).shape).toEqual([2, 3]);
  });

  it("batchSlice views samples along the first axis", () => {
    const t = Tensor.fromFlat([4, 2, 2], Array.from({ length: 16 }, (_, i) => i));
    const s = t.batchSlice(1, 3);
    expect(s.shape).toEqual([2, 2, 2]);
    expect(Array.from(s.data)).toEqual([4, 5, 6, 7, 8, 9, 10, 11]);
    s.data[0] = -1;
    expect(t.data[4]).toBe(-1);
    expect(codeOf(() => t.batchSlice(3, 5))).toBe("INVALID_ARGUMENT");
  });

  it("clone copies, converts the dtype and keeps the class", () => {
    const t = Tensor.full([2, 1, 3], 0.1);
    const c = t.clone("float32");
    expect(c.dtype).toBe("float32");
    expect(c.data[0]).toBe(Math.fround(0.1));
    expect(Matrix.zeros(2, 2).clone()).toBeInstanceOf(Matrix);
    expect(Matrix.zeros(2, 2).zerosLike()).toBeInstanceOf(Matrix);
    expect(t.zerosLike().shape).toEqual([2, 1, 3]);
  });

  it("a Param of any shape gets a gradient of the same shape and class", () => {
    const kernel = new Param("conv.kernel", Tensor.zeros([3, 3, 1, 8], "float32"));
    expect(kernel.grad.shape).toEqual([3, 3, 1, 8]);
    expect(kernel.grad.dtype).toBe("float32");
    const dense = new Param("dense.kernel", Matrix.zeros(4, 2));
    expect(dense.grad).toBeInstanceOf(Matrix);
  });

  it("bad shapes and data fail with our typed errors", () => {
    expect(codeOf(() => new Tensor([2, -1]))).toBe("INVALID_ARGUMENT");
    expect(codeOf(() => new Tensor([2, 2], "float64", new Float64Array(3)))).toBe("SHAPE_MISMATCH");
    expect(codeOf(() => Tensor.fromArray([[1, 2], [3]]))).toBe("SHAPE_MISMATCH");
    expect(codeOf(() => Tensor.fromArray([[1, "x"]] as never))).toBe("INVALID_ARGUMENT");
    expect(codeOf(() => Tensor.zeros([6]).reshape([4, -1]))).toBe("SHAPE_MISMATCH");
    expect(codeOf(() => Tensor.zeros([6]).reshape([-1, -1]))).toBe("INVALID_ARGUMENT");
    expect(codeOf(() => Tensor.zeros([2, 3]).copyFrom(Tensor.zeros([3, 2])))).toBe("SHAPE_MISMATCH");
    expect(codeOf(() => Matrix.zeros([2, 3, 1]))).toBe("SHAPE_MISMATCH");
    expect(() => Tensor.fromArray([[[1], [2]], [[3]]])).toThrow(/\[1\] has 1 elements \(expected 2/);
  });
});
