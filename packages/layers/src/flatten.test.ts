import { Matrix, Rng, Tensor } from "@backprop/linalg";
import { adam } from "@backprop/optimizers";
import { errorCode } from "@backprop/testing";
import { describe, expect, it } from "vitest";
import { Dense } from "./dense.js";
import { Flatten, type FlattenConfig } from "./flatten.js";
import { gradientCheck } from "./gradient-check.js";
import { Sequential } from "./model/sequential.js";

const ctx = (dtype: "float32" | "float64" = "float64") => ({ dtype, rng: new Rng(1), prefix: "flatten" });

describe("Flatten", () => {
  it("flattens each sample row-major, channels last: (i, j, k) of [h, w, c] → (i·w + j)·c + k", () => {
    const flat = new Flatten();
    expect(flat.computeOutputShape([2, 3, 4])).toEqual([24]);
    flat.build([2, 3, 4], ctx());
    const x = Tensor.fromFlat([2, 2, 3, 4], Array.from({ length: 48 }, (_, i) => i));
    const y = flat.forward(x);
    expect(y).toBeInstanceOf(Matrix);
    expect(y.shape).toEqual([2, 24]);
    const xs = x.toArray() as number[][][][];
    const ys = y.toArray() as number[][];
    expect(ys[1]![(1 * 3 + 2) * 4 + 3]).toBe(xs[1]![1]![2]![3]);
  });

  it("forward and backward are views of the same memory: no copy, and no new view per batch", () => {
    const flat = new Flatten();
    flat.build([3, 3, 2], ctx("float32"));
    const x = new Rng(2).fillNormal(new Tensor([4, 3, 3, 2], "float32"));
    const y = flat.forward(x);
    expect(y.data).toBe(x.data);
    expect(y.dtype).toBe("float32");
    const dy = new Matrix(4, 18, "float32");
    const dx = flat.backward(dy);
    expect(dx.shape).toEqual([4, 3, 3, 2]);
    expect(dx.data).toBe(dy.data);
    expect(flat.forward(x)).toBe(y);
    expect(flat.backward(dy)).toBe(dx);
    expect(flat.inspect()).toEqual({ input: x, output: y, outputGradient: dy, inputGradient: dx });
  });

  it("passes the float64 gradient check", () => {
    for (const inputShape of [[3, 4, 2], [5], [2, 3]]) {
      const report = gradientCheck(new Flatten(), { inputShape, batch: 2 });
      expect(report.ok, JSON.stringify(report.entries)).toBe(true);
    }
  });

  it("getConfig round-trips through the constructor; bad configs and shapes are typed errors", () => {
    for (const config of [{}, { inputShape: [4, 4, 3], name: "flat" }] as FlattenConfig[]) {
      const first = new Flatten(config).getConfig();
      expect(new Flatten(first as FlattenConfig).getConfig()).toEqual(first);
    }
    expect(new Flatten().getConfig()).toEqual({ name: "flatten" });
    expect(new Flatten().paramShapes([2, 2])).toEqual([]);
    for (const bad of [{ inputShape: [] }, { inputShape: [2, -1] }, { dataFormat: "channelsLast" }, { name: 1 }, 5]) {
      expect(errorCode(() => new Flatten(bad as unknown as FlattenConfig)), JSON.stringify(bad)).toBe("INVALID_CONFIG");
    }
    const flat = new Flatten();
    expect(errorCode(() => flat.computeOutputShape([]))).toBe("SHAPE_MISMATCH");
    expect(errorCode(() => flat.forward(Tensor.zeros([2, 4])))).toBe("NOT_BUILT");
    flat.build([2, 2], ctx());
    expect(errorCode(() => flat.backward(Matrix.zeros(2, 4)))).toBe("INVALID_STATE");
    expect(errorCode(() => flat.forward(Tensor.zeros([2, 4])))).toBe("SHAPE_MISMATCH");
    expect(() => flat.forward(Tensor.zeros([2, 2, 3]))).toThrow("flatten: input is [2, 2, 3] (expected [n, 2, 2])");
    flat.forward(Tensor.zeros([2, 2, 2]));
    expect(errorCode(() => flat.backward(Matrix.zeros(2, 3)))).toBe("SHAPE_MISMATCH");
  });

  it("bridges images to Dense in a Sequential (same numbers as Dense on pre-flattened rows)", () => {
    const rng = new Rng(6);
    const x = rng.fillNormal(new Tensor([20, 2, 2, 3], "float64"));
    const y = rng.fillNormal(new Matrix(20, 2, "float64"));
    const withFlatten = new Sequential([new Flatten({ inputShape: [2, 2, 3] }), new Dense({ units: 2 })], { seed: 1, dtype: "float64" });
    const plain = new Sequential([new Dense({ units: 2, inputDim: 12 })], { seed: 1, dtype: "float64" });
    for (const m of [withFlatten, plain]) m.compile({ loss: "meanSquaredError", optimizer: adam({ lr: 0.01 }) });
    const a = withFlatten.fit(x, y, { epochs: 3, batchSize: 6 }).history["loss"];
    const b = plain.fit(x.reshape([20, 12]), y, { epochs: 3, batchSize: 6 }).history["loss"];
    expect(a).toEqual(b);
  });
});
