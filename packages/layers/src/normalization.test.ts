import { Matrix, Rng, Tensor } from "@backprop/linalg";
import { sgd } from "@backprop/optimizers";
import { errorCode } from "@backprop/testing";
import { describe, expect, it } from "vitest";
import { Dense } from "./dense.js";
import { gradientCheck } from "./gradient-check.js";
import { Sequential } from "./model/sequential.js";
import { Normalization } from "./normalization.js";

const rows = [
  [1, 100, 7],
  [2, 300, 7],
  [3, 200, 7],
  [6, 400, 7],
];

describe("Normalization", () => {
  it("adapt learns each feature's mean and (population) variance; a constant feature gets variance 1", () => {
    const norm = new Normalization().adapt(rows);
    expect(norm.mean).toEqual([3, 250, 7]);
    expect(norm.variance?.[0]).toBeCloseTo((4 + 1 + 0 + 9) / 4, 14);
    expect(norm.variance?.[1]).toBeCloseTo((150 ** 2 + 50 ** 2 + 50 ** 2 + 150 ** 2) / 4, 9);
    expect(norm.variance?.[2]).toBe(1);
  });

  it("inside a model, predict standardises raw inputs: (x − mean) / √variance", () => {
    const norm = new Normalization({ inputDim: 3 }).adapt(rows);
    const model = new Sequential([norm], { dtype: "float64" });
    const out = model.predict(Matrix.fromArray(rows)).asMatrix();
    const mean = norm.mean as number[];
    const std = (norm.variance as number[]).map(Math.sqrt);
    rows.forEach((row, i) => row.forEach((v, j) => expect(out.get(i, j)).toBe((v - (mean[j] as number)) / (std[j] as number))));
    // The statistics are parameters, but not trained ones.
    expect(model.params().map((p) => [p.name, p.trainable])).toEqual([
      ["layers.0.mean", false],
      ["layers.0.variance", false],
    ]);
  });

  it("training leaves the statistics alone and learns the layers after it", () => {
    const rng = new Rng(4);
    const x = rng.fillNormal(new Matrix(32, 2), 50, 10);
    const y = new Matrix(32, 1);
    for (let i = 0; i < 32; i++) y.set(i, 0, (x.get(i, 0) - 50) / 10 - (x.get(i, 1) - 50) / 20);
    const norm = new Normalization({ inputDim: 2 }).adapt(x);
    const before = [norm.mean, norm.variance];
    const model = new Sequential([norm, new Dense({ units: 1 })], { seed: 1, dtype: "float64" });
    model.compile({ loss: "meanSquaredError", optimizer: sgd({ lr: 0.1 }) });
    const h = model.fit(x, y, { epochs: 60, batchSize: 8 });
    expect(h.history["loss"]!.at(-1)!).toBeLessThan(1e-3);
    expect([norm.mean, norm.variance]).toEqual(before);
  });

  it("passes the finite-difference gradient check on a rank-3 input", () => {
    const norm = new Normalization({ mean: [1, -2], variance: [4, 0.25] });
    expect(gradientCheck(norm, { inputShape: [3, 2] }).ok).toBe(true);
  });

  it("takes its statistics from the config or from setWeights, and rejects bad ones", () => {
    const model = new Sequential([new Normalization({ inputDim: 2 })], { dtype: "float64" });
    model.setWeights([[10, 20], [4, 16]]);
    expect(model.predict(Matrix.fromArray([[12, 28]])).toArray()).toEqual([[1, 2]]);
    expect(errorCode(() => new Normalization({ mean: [0, 1] }))).toBe("INVALID_CONFIG");
    expect(errorCode(() => new Normalization({ mean: [0], variance: [0] }))).toBe("INVALID_CONFIG");
    expect(errorCode(() => new Normalization({ inputDim: 3 }).adapt([[1, 2]]))).toBe("SHAPE_MISMATCH");
    expect(errorCode(() => new Normalization().adapt([[1, Number.NaN]]))).toBe("INVALID_ARGUMENT");
    expect(errorCode(() => new Normalization().adapt(Tensor.zeros([0, 2])))).toBe("INVALID_ARGUMENT");
    // Statistics written behind the layer's back (a loaded file, setWeights) are checked before use.
    model.setWeights([[0, 0], [1, 0]]);
    expect(errorCode(() => model.predict(Matrix.fromArray([[1, 1]])))).toBe("INVALID_STATE");
  });
});
