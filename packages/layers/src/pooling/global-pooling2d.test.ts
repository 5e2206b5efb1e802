import { Rng, Tensor } from "@backprop/linalg";
import { sgd } from "@backprop/optimizers";
import { errorCode } from "@backprop/testing";
import { describe, expect, it } from "vitest";
import { Dense } from "../dense.js";
import { gradientCheck } from "../gradient-check.js";
import { Sequential } from "../model/sequential.js";
import { GlobalAveragePooling2D, GlobalMaxPooling2D, type GlobalPooling2DConfig } from "./global-pooling2d.js";

const ctx = (dtype: "float32" | "float64" = "float64") => ({ dtype, rng: new Rng(1), prefix: "pool" });

// Two samples of a 2×3 image with two channels: channel 0 is 1..6, channel 1 is 10·(1..6) reversed.
const x = Tensor.fromArray([
  [
    [[1, 60], [2, 50], [3, 40]],
    [[4, 30], [5, 20], [6, 10]],
  ],
  [
    [[-1, 0], [-2, 0], [-3, 0]],
    [[-4, 0], [-5, 0], [-6, 1]],
  ],
]);

describe("GlobalAveragePooling2D", () => {
  it("averages each channel over the image: [h, w, c] → [c]", () => {
    const pool = new GlobalAveragePooling2D();
    expect(pool.computeOutputShape([2, 3, 2])).toEqual([2]);
    pool.build([2, 3, 2], ctx());
    const y = pool.forward(x);
    expect(y.shape).toEqual([2, 2]);
    expect(y.toArray()).toEqual([
      [3.5, 35],
      [-3.5, 1 / 6],
    ]);
    // dL/dx = dL/dy / (h·w) at every cell of the channel.
    const dx = pool.backward(Tensor.fromArray([[6, 12], [0, -6]]));
    expect(dx.shape).toEqual([2, 2, 3, 2]);
    expect(Array.from(dx.data.subarray(0, 4))).toEqual([1, 2, 1, 2]);
    expect(Array.from(dx.data.subarray(12, 14))).toEqual([0, -1]);
  });

  it("passes the float64 gradient check, odd sizes included", () => {
    for (const inputShape of [[2, 3, 2], [5, 7, 3], [1, 1, 4]]) {
      const report = gradientCheck(new GlobalAveragePooling2D(), { inputShape, batch: 2 });
      expect(report.ok, JSON.stringify(report.entries)).toBe(true);
    }
  });

  it("float32 is the float64 mean rounded once", () => {
    const x64 = new Rng(3).fillNormal(new Tensor([4, 5, 5, 3], "float64"));
    const x32 = x64.clone("float32");
    const p32 = new GlobalAveragePooling2D();
    const p64 = new GlobalAveragePooling2D();
    p32.build([5, 5, 3], ctx("float32"));
    p64.build([5, 5, 3], ctx("float64"));
    const y32 = p32.forward(x32);
    expect(y32.dtype).toBe("float32");
    expect(Array.from(y32.data)).toEqual(Array.from(Float32Array.from(p64.forward(x32.clone("float64")).data)));
  });

  it("is the head of a model that trains", () => {
    // The target is a weighted sum of channel means: GAP then Dense learns it exactly.
    const rng = new Rng(5);
    const data = rng.fillNormal(new Tensor([32, 3, 3, 2], "float64"));
    const target = new Tensor([32, 1], "float64");
    for (let i = 0; i < 32; i++) {
      let a = 0;
      let b = 0;
      for (let k = 0; k < 9; k++) {
        a += data.data[i * 18 + 2 * k] as number;
        b += data.data[i * 18 + 2 * k + 1] as number;
      }
      target.data[i] = (2 * a - b) / 9;
    }
    const model = new Sequential([new GlobalAveragePooling2D({ inputShape: [3, 3, 2] }), new Dense({ units: 1 })], { seed: 2, dtype: "float64" });
    model.compile({ loss: "meanSquaredError", optimizer: sgd({ lr: 0.5 }) });
    const loss = model.fit(data, target, { epochs: 40, batchSize: 8 }).history["loss"] as number[];
    expect(loss.at(-1)!).toBeLessThan(loss[0]! * 1e-3);
  });
});

describe("GlobalMaxPooling2D", () => {
  it("takes each channel's maximum and sends the gradient to it", () => {
    const pool = new GlobalMaxPooling2D();
    expect(pool.computeOutputShape([2, 3, 2])).toEqual([2]);
    pool.build([2, 3, 2], ctx());
    const y = pool.forward(x);
    expect(y.toArray()).toEqual([
      [6, 60],
      [-1, 1],
    ]);
    const dx = pool.backward(Tensor.fromArray([[1, 2], [3, 4]]));
    const grads = Array.from(dx.data);
    expect(grads.filter((v) => v !== 0)).toEqual([2, 1, 3, 4]);
    expect(grads[0 * 12 + 5 * 2 + 0]).toBe(1); // sample 0, cell (1, 2), channel 0
    expect(grads[0 * 12 + 0 * 2 + 1]).toBe(2); // sample 0, cell (0, 0), channel 1
    expect(grads[1 * 12 + 0 * 2 + 0]).toBe(3); // sample 1, cell (0, 0), channel 0
    expect(grads[1 * 12 + 5 * 2 + 1]).toBe(4); // sample 1, cell (1, 2), channel 1
  });

  it("on ties the first maximum in row-major order gets the gradient", () => {
    const pool = new GlobalMaxPooling2D();
    pool.build([2, 2, 1], ctx());
    pool.forward(Tensor.fromArray([[[[0], [2]], [[2], [2]]]]));
    expect(Array.from(pool.backward(Tensor.fromArray([[1]])).data)).toEqual([0, 1, 0, 0]);
  });

  it("passes the float64 gradient check, odd sizes included", () => {
    for (const inputShape of [[2, 3, 2], [5, 7, 3], [1, 1, 4]]) {
      const report = gradientCheck(new GlobalMaxPooling2D(), { inputShape, batch: 2 });
      expect(report.ok, JSON.stringify(report.entries)).toBe(true);
    }
  });

  it("works in float32", () => {
    const pool = new GlobalMaxPooling2D();
    pool.build([2, 3, 2], ctx("float32"));
    const y = pool.forward(x.clone("float32"));
    expect(y.dtype).toBe("float32");
    expect(y.toArray()).toEqual([
      [6, 60],
      [-1, 1],
    ]);
    expect(pool.backward(Tensor.full([2, 2], 1, "float32")).dtype).toBe("float32");
  });
});

describe("global pooling: configs and errors", () => {
  for (const Layer of [GlobalAveragePooling2D, GlobalMaxPooling2D]) {
    it(`${Layer.name}: getConfig round-trips; bad configs and shapes are typed errors`, () => {
      for (const config of [{}, { inputShape: [4, 4, 3], name: "head" }] as GlobalPooling2DConfig[]) {
        const first = new Layer(config).getConfig();
        expect(new Layer(first as GlobalPooling2DConfig).getConfig()).toEqual(first);
      }
      const layer = new Layer();
      expect(layer.paramShapes([3, 3, 1])).toEqual([]);
      expect(layer.params()).toEqual([]);
      expect(layer.regularizationLoss()).toBe(0);
      for (const bad of [{ inputShape: [4, 4] }, { keepDims: true }, { poolSize: 2 }, "x"]) {
        expect(errorCode(() => new Layer(bad as unknown as GlobalPooling2DConfig)), JSON.stringify(bad)).toBe("INVALID_CONFIG");
      }
      expect(errorCode(() => layer.computeOutputShape([16]))).toBe("SHAPE_MISMATCH");
      layer.build([2, 3, 2], ctx());
      expect(errorCode(() => layer.forward(Tensor.zeros([2, 3, 2, 2])))).toBe("SHAPE_MISMATCH");
      expect(errorCode(() => layer.backward(Tensor.zeros([2, 2])))).toBe("INVALID_STATE");
      layer.forward(x);
      expect(errorCode(() => layer.backward(Tensor.zeros([2, 3])))).toBe("SHAPE_MISMATCH");
    });
  }
});
