import { Rng, Tensor } from "@backprop/linalg";
import { errorCode } from "@backprop/testing";
import { describe, expect, it } from "vitest";
import { Conv2D } from "./conv2d.js";
import { gradientCheck } from "./gradient-check.js";
import { Sequential } from "./model/sequential.js";
import { ZeroPadding2D, type ZeroPadding2DConfig } from "./zero-padding2d.js";

describe("ZeroPadding2D", () => {
  it("surrounds each image with zeros: [[top, bottom], [left, right]]", () => {
    const layer = new ZeroPadding2D({ padding: [[1, 0], [0, 2]] });
    layer.build([2, 2, 1], { dtype: "float64", rng: new Rng(0), prefix: "layers.0" });
    const x = Tensor.fromArray([[[[1], [2]], [[3], [4]]], [[[5], [6]], [[7], [8]]]]);
    const y = layer.forward(x);
    expect(y.shape).toEqual([2, 3, 4, 1]);
    expect(y.toArray()).toEqual([
      [[[0], [0], [0], [0]], [[1], [2], [0], [0]], [[3], [4], [0], [0]]],
      [[[0], [0], [0], [0]], [[5], [6], [0], [0]], [[7], [8], [0], [0]]],
    ]);
    // Backward crops: the gradient of the border is dropped.
    const dy = Tensor.fromFlat([2, 3, 4, 1], Array.from({ length: 24 }, (_, i) => i));
    expect(layer.backward(dy).toArray()).toEqual([
      [[[4], [5]], [[8], [9]]],
      [[[16], [17]], [[20], [21]]],
    ]);
  });

  it("reads padding as Keras: a number, [rows, columns], or [[top, bottom], [left, right]]; default 1", () => {
    const sides = (config?: ZeroPadding2DConfig) => new ZeroPadding2D(config).padding;
    expect(sides()).toEqual([[1, 1], [1, 1]]);
    expect(sides({ padding: 2 })).toEqual([[2, 2], [2, 2]]);
    expect(sides({ padding: [1, 3] })).toEqual([[1, 1], [3, 3]]);
    expect(sides({ padding: [[0, 1], [2, 3]] })).toEqual([[0, 1], [2, 3]]);
    expect(new ZeroPadding2D({ padding: [[0, 1], [2, 3]] }).computeOutputShape([5, 6, 3])).toEqual([6, 11, 3]);
  });

  it("passes the finite-difference gradient check, with channels and uneven padding", () => {
    const report = gradientCheck(new ZeroPadding2D({ padding: [[2, 1], [0, 3]] }), { inputShape: [3, 4, 2] });
    expect(report.ok).toBe(true);
  });

  it("works in float32 and float64, and rewrites its border every pass", () => {
    for (const dtype of ["float32", "float64"] as const) {
      const layer = new ZeroPadding2D({ padding: 1 });
      layer.build([2, 3, 2], { dtype, rng: new Rng(0), prefix: "layers.0" });
      const x = new Rng(1).fillNormal(new Tensor([3, 2, 3, 2], dtype));
      const y = layer.forward(x);
      expect(y.dtype).toBe(dtype);
      y.fill(7); // someone scribbles on the output buffer…
      const again = layer.forward(x); // …the next pass still pads with zeros
      let border = 0;
      let inside = 0;
      const d = again.data;
      for (let b = 0; b < 3; b++)
        for (let i = 0; i < 4; i++)
          for (let j = 0; j < 5; j++)
            for (let c = 0; c < 2; c++) {
              const v = d[((b * 4 + i) * 5 + j) * 2 + c] as number;
              if (i === 0 || i === 3 || j === 0 || j === 4) border += Math.abs(v);
              else expect(v).toBe(x.data[((b * 2 + i - 1) * 3 + j - 1) * 2 + c]);
              inside++;
            }
      expect(border).toBe(0);
      expect(inside).toBe(3 * 4 * 5 * 2);
    }
  });

  it("followed by a valid 3×3 convolution equals a \"same\" one (odd kernel, stride 1)", () => {
    const padded = new Sequential([new ZeroPadding2D({ padding: 1, inputShape: [5, 4, 2] }), new Conv2D({ filters: 3, kernelSize: 3 })], { dtype: "float64", seed: 2 });
    const same = new Sequential([new Conv2D({ filters: 3, kernelSize: 3, padding: "same", inputShape: [5, 4, 2] })], { dtype: "float64" });
    same.setWeights(padded.getWeights());
    const x = new Rng(3).fillNormal(new Tensor([2, 5, 4, 2], "float64"));
    expect(Array.from(padded.predict(x).data)).toEqual(Array.from(same.predict(x).data));
  });

  it("round-trips its config and rejects bad ones with our errors", () => {
    const layer = new ZeroPadding2D({ padding: [2, 1], inputShape: [4, 4, 1], name: "pad" });
    const config = layer.getConfig();
    expect(config).toEqual({ name: "pad", padding: [[2, 2], [1, 1]], inputShape: [4, 4, 1] });
    expect(new ZeroPadding2D(config as unknown as ZeroPadding2DConfig).getConfig()).toEqual(config);
    expect(layer.paramShapes([4, 4, 1])).toEqual([]);
    for (const bad of [{ padding: -1 }, { padding: 1.5 }, { padding: [1] }, { padding: [[1, 1], [1]] }, { padding: "same" }, { pading: 1 }, { inputShape: [4, 4] }]) {
      expect(errorCode(() => new ZeroPadding2D(bad as ZeroPadding2DConfig)), JSON.stringify(bad)).toBe("INVALID_CONFIG");
    }
    expect(errorCode(() => layer.computeOutputShape([4, 4]))).toBe("SHAPE_MISMATCH");
    expect(errorCode(() => layer.forward(new Tensor([1, 4, 4, 1])))).toBe("SHAPE_MISMATCH");
    layer.build([4, 4, 1], { dtype: "float64", rng: new Rng(0), prefix: "layers.0" });
    expect(errorCode(() => layer.backward(new Tensor([1, 8, 6, 1])))).toBe("INVALID_STATE");
    expect(errorCode(() => layer.forward(new Tensor([1, 4, 5, 1])))).toBe("SHAPE_MISMATCH");
    expect(errorCode(() => layer.forward(new Tensor([1, 4, 4, 1], "float32")))).toBe("INVALID_ARGUMENT");
    layer.forward(new Tensor([1, 4, 4, 1]));
    expect(errorCode(() => layer.backward(new Tensor([1, 8, 5, 1])))).toBe("SHAPE_MISMATCH");
  });
});
