import { describe, expect, it } from "vitest";
import type { DType } from "./dtype.js";
import { BackpropError } from "./errors.js";
import { Matrix } from "./tensor.js";
import { Param } from "./param.js";

describe("Param", () => {
  it.each<DType>(["float32", "float64"])("has a zero grad of the value's shape and dtype (%s)", (dtype) => {
    const value = Matrix.fromArray(
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      dtype,
    );
    const p = new Param("layers.0.kernel", value);
    expect(p.name).toBe("layers.0.kernel");
    expect(p.value).toBe(value);
    expect(p.grad.shape).toEqual([2, 3]);
    expect(p.grad.dtype).toBe(dtype);
    expect(p.grad.data).toBeInstanceOf(dtype === "float32" ? Float32Array : Float64Array);
    expect(Array.from(p.grad.data)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(p.grad.data.buffer).not.toBe(value.data.buffer);
  });

  it("keeps value and grad separate", () => {
    const p = new Param("w", Matrix.ones(2, 2));
    p.grad.fill(3);
    expect(Array.from(p.value.data)).toEqual([1, 1, 1, 1]);
    p.value.fill(7);
    expect(Array.from(p.grad.data)).toEqual([3, 3, 3, 3]);
  });

  it("zeroGrad clears the gradient in place and leaves the value", () => {
    const p = new Param("b", Matrix.rowVector([0.5, -1]));
    const grad = p.grad;
    grad.data.set([4, -2]);
    p.zeroGrad();
    expect(p.grad).toBe(grad);
    expect(Array.from(p.grad.data)).toEqual([0, 0]);
    expect(Array.from(p.value.data)).toEqual([0.5, -1]);
  });

  it("is trainable unless told otherwise, and can be frozen later", () => {
    expect(new Param("a", Matrix.zeros(1, 1)).trainable).toBe(true);
    const frozen = new Param("b", Matrix.zeros(1, 1), false);
    expect(frozen.trainable).toBe(false);
    frozen.trainable = true;
    expect(frozen.trainable).toBe(true);
  });

  it("works for empty values", () => {
    const p = new Param("empty", Matrix.zeros(0, 4));
    expect(p.grad.shape).toEqual([0, 4]);
    p.zeroGrad();
  });

  it("requires a non-empty name", () => {
    for (const name of ["", 3 as unknown as string]) {
      let err: unknown;
      try {
        new Param(name, Matrix.zeros(1, 1));
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(BackpropError);
      expect((err as BackpropError).code).toBe("INVALID_ARGUMENT");
      expect((err as BackpropError).message).toMatch(/^Param: /);
    }
  });
});
