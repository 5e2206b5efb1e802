import { Matrix, Rng, Tensor } from "@backprop/linalg";
import { sgd } from "@backprop/optimizers";
import { errorCode } from "@backprop/testing";
import { describe, expect, it } from "vitest";
import { Dense } from "./dense.js";
import { Flatten } from "./flatten.js";
import { gradientCheck } from "./gradient-check.js";
import { Sequential } from "./model/sequential.js";
import { AveragePooling2D } from "./pooling/average-pooling2d.js";
import { Reshape, type ReshapeConfig } from "./reshape.js";

const ctx = (dtype: "float32" | "float64" = "float64") => ({ dtype, rng: new Rng(1), prefix: "reshape" });

describe("Reshape", () => {
  it("gives each sample the target shape, row-major; one -1 axis is inferred (as Keras)", () => {
    expect(new Reshape({ targetShape: [4, 4, 1] }).computeOutputShape([16])).toEqual([4, 4, 1]);
    expect(new Reshape({ targetShape: [-1, 4] }).computeOutputShape([2, 3, 2])).toEqual([3, 4]);
    expect(new Reshape({ targetShape: [3, -1] }).computeOutputShape([12])).toEqual([3, 4]);
    const layer = new Reshape({ targetShape: [2, -1] });
    layer.build([3, 2], ctx());
    const x = Tensor.fromArray([
      [[1, 2], [3, 4], [5, 6]],
      [[7, 8], [9, 10], [11, 12]],
    ]);
    const y = layer.forward(x);
    expect(y.shape).toEqual([2, 2, 3]);
    expect(y.toArray()).toEqual([
      [[1, 2, 3], [4, 5, 6]],
      [[7, 8, 9], [10, 11, 12]],
    ]);
  });

  it("forward and backward are views (no copy); a one-axis target gives a Matrix", () => {
    const layer = new Reshape({ targetShape: [-1] });
    layer.build([2, 3], ctx("float32"));
    const x = new Rng(1).fillNormal(new Tensor([5, 2, 3], "float32"));
    const y = layer.forward(x);
    expect(y).toBeInstanceOf(Matrix);
    expect(y.data).toBe(x.data);
    const dy = new Matrix(5, 6, "float32");
    const dx = layer.backward(dy);
    expect(dx.shape).toEqual([5, 2, 3]);
    expect(dx.data).toBe(dy.data);
    expect(layer.forward(x)).toBe(y);
    expect(layer.inspect()).toMatchObject({ input: x, output: y });
  });

  it("passes the float64 gradient check", () => {
    const cases: [ReshapeConfig, number[]][] = [
      [{ targetShape: [4, 3] }, [12]],
      [{ targetShape: [2, -1, 2] }, [3, 4]],
      [{ targetShape: [6] }, [1, 2, 3]],
    ];
    for (const [config, inputShape] of cases) {
      const report = gradientCheck(new Reshape(config), { inputShape, batch: 2 });
      expect(report.ok, JSON.stringify(report.entries)).toBe(true);
    }
  });

  it("getConfig round-trips through the constructor, keeping the -1", () => {
    for (const config of [{ targetShape: [-1, 4] }, { targetShape: [4, 4, 1], inputShape: [16], name: "toImage" }] as ReshapeConfig[]) {
      const first = new Reshape(config).getConfig();
      expect(new Reshape(first as unknown as ReshapeConfig).getConfig()).toEqual(first);
    }
    expect(new Reshape({ targetShape: [-1, 4] }).getConfig()).toEqual({ name: "reshape", targetShape: [-1, 4] });
  });

  it("rejects bad target shapes with INVALID_CONFIG and sizes that do not match with SHAPE_MISMATCH", () => {
    const bad = [{}, { targetShape: [] }, { targetShape: [0, 4] }, { targetShape: [-1, -1] }, { targetShape: [2.5] }, { targetShape: [-2, 2] }, { targetShape: 4 }, { targetShape: [4], unknown: 1 }];
    for (const config of bad) expect(errorCode(() => new Reshape(config as unknown as ReshapeConfig)), JSON.stringify(config)).toBe("INVALID_CONFIG");
    expect(errorCode(() => new Reshape(undefined as unknown as ReshapeConfig))).toBe("INVALID_CONFIG");
    expect(errorCode(() => new Reshape({ targetShape: [5, 3] }).computeOutputShape([4, 4]))).toBe("SHAPE_MISMATCH");
    expect(() => new Reshape({ targetShape: [5, -1] }).computeOutputShape([4, 3])).toThrow(
      "reshape: cannot reshape [4, 3] to [5, -1] (got 12 elements per sample, expected a multiple of 5)",
    );
    expect(() => new Reshape({ targetShape: [5, 3] }).computeOutputShape([4, 4])).toThrow(
      "reshape: cannot reshape [4, 4] to [5, 3] (got 16 elements per sample, expected 15)",
    );
    // A configured input shape is checked at once.
    expect(errorCode(() => new Reshape({ targetShape: [3, 3], inputShape: [8] }))).toBe("SHAPE_MISMATCH");
    const layer = new Reshape({ targetShape: [2, 2] });
    expect(errorCode(() => layer.forward(Matrix.zeros(1, 4)))).toBe("NOT_BUILT");
    layer.build([4], ctx());
    expect(errorCode(() => layer.forward(Matrix.zeros(1, 5)))).toBe("SHAPE_MISMATCH");
  });

  it("turns flat rows into images inside a model that trains: Reshape → AveragePooling2D → Flatten → Dense", () => {
    const rng = new Rng(3);
    const x = rng.fillNormal(new Matrix(24, 16, "float64"));
    const y = new Matrix(24, 1, "float64");
    // The target is the mean of the top-left 2×2 block of each 4×4 image.
    for (let i = 0; i < 24; i++) y.set(i, 0, (x.get(i, 0) + x.get(i, 1) + x.get(i, 4) + x.get(i, 5)) / 4);
    const model = new Sequential(
      [new Reshape({ targetShape: [4, 4, 1], inputShape: [16] }), new AveragePooling2D(), new Flatten(), new Dense({ units: 1 })],
      { seed: 1, dtype: "float64" },
    );
    model.compile({ loss: "meanSquaredError", optimizer: sgd({ lr: 0.5 }) });
    expect(model.build().summary()).toContain("[null, 4, 4, 1]");
    const loss = model.fit(x, y, { epochs: 60, batchSize: 8 }).history["loss"] as number[];
    expect(loss.at(-1)!).toBeLessThan(loss[0]! * 1e-3);
  });
});
