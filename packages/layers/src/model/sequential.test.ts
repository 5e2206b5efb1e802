import { Matrix, Rng, argmaxRows, isBackpropError } from "@backprop/linalg";
import { adam, sgd } from "@backprop/optimizers";
import { gradCheck } from "@backprop/testing";
import { describe, expect, it } from "vitest";
import { earlyStopping, type Callback } from "./callbacks.js";
import { Dense } from "../dense.js";
import { Dropout } from "../dropout.js";
import { Sequential } from "./sequential.js";

const xorX = Matrix.fromArray([[0, 0], [0, 1], [1, 0], [1, 1]]);
const xorY = Matrix.fromArray([[0], [1], [1], [0]]);

/** Three interleaved spirals, 100 points each, with a little noise (seeded). */
function spirals(perClass = 100, seed = 3): { x: Matrix; y: Matrix; labels: number[] } {
  const rng = new Rng(seed);
  const n = perClass * 3;
  const x = new Matrix(n, 2, "float64");
  const y = new Matrix(n, 3, "float64");
  const labels: number[] = [];
  for (let c = 0; c < 3; c++) {
    for (let i = 0; i < perClass; i++) {
      const r = i / perClass;
      const t = (c * 4 + 4 * r) + rng.normal(0, 0.1);
      const row = c * perClass + i;
      x.set(row, 0, r * Math.sin(t));
      x.set(row, 1, r * Math.cos(t));
      y.set(row, c, 1);
      labels.push(c);
    }
  }
  return { x, y, labels };
}

function accuracy(pred: Matrix, labels: number[]): number {
  const p = argmaxRows(pred);
  return labels.filter((l, i) => p[i] === l).length / labels.length;
}

describe("training reaches high accuracy", () => {
  it("XOR 2-4-1 tanh/sigmoid: 100% with a fixed seed", () => {
    const model = new Sequential([new Dense({ units: 4, inputDim: 2, activation: "tanh" }), new Dense({ units: 1, activation: "sigmoid" })], { seed: 1, dtype: "float64" });
    model.compile({ loss: "binaryCrossentropy", optimizer: adam({ lr: 0.05 }), metrics: ["accuracy"] });
    const history = model.fit(xorX, xorY, { epochs: 400, batchSize: 4 });
    expect(history.history["accuracy"]?.at(-1)).toBe(1);
    expect(model.evaluate(xorX, xorY)["accuracy"]).toBe(1);
    expect(history.history["loss"]!.at(-1)!).toBeLessThan(history.history["loss"]![0]! / 5);
  });

  it("3-class spiral (300 points): ≥ 97% with softmax + cross-entropy", () => {
    const { x, y, labels } = spirals();
    const model = new Sequential([
      new Dense({ units: 32, inputDim: 2, activation: "relu" }),
      new Dense({ units: 32, activation: "relu" }),
      new Dense({ units: 3, activation: "softmax" }),
    ], { seed: 2, dtype: "float32" });
    model.compile({ loss: "categoricalCrossentropy", optimizer: adam({ lr: 0.01 }), metrics: ["accuracy"] });
    model.fit(x, y, { epochs: 300, batchSize: 32 });
    expect(accuracy(model.predict(x).asMatrix(), labels)).toBeGreaterThanOrEqual(0.97);
  });
});

describe("determinism", () => {
  it.each(["float32", "float64"] as const)("same seed ⇒ bit-identical weights after training (%s)", (dtype) => {
    const run = () => {
      const { x, y } = spirals(30, 9);
      const model = new Sequential([new Dense({ units: 8, inputDim: 2, activation: "tanh" }), new Dropout({ rate: 0.2 }), new Dense({ units: 3, activation: "softmax" })], { seed: 42, dtype });
      model.compile({ loss: "categoricalCrossentropy", optimizer: adam({ lr: 0.01 }) });
      model.fit(x, y, { epochs: 5, batchSize: 16 });
      return model.params().map((p) => Array.from(p.value.data));
    };
    const a = run();
    const b = run();
    expect(a).toEqual(b);
    // A different seed gives different weights.
    const model = new Sequential([new Dense({ units: 8, inputDim: 2 })], { seed: 43, dtype }).build();
    expect(Array.from(model.params()[0]!.value.data)).not.toEqual(a[0]);
  });
});

describe("whole-model gradient (finite differences through every layer and the loss)", () => {
  it.each([
    ["categoricalCrossentropy", "softmax", 3],
    ["sparseCategoricalCrossentropy", "softmax", 3],
    ["meanSquaredError", "tanh", 2],
    ["binaryCrossentropy", "sigmoid", 1],
    ["huber", "identity", 2],
  ] as const)("%s with a %s output", (loss, outAct, outDim) => {
    const rng = new Rng(4);
    const model = new Sequential([
      new Dense({ units: 5, inputDim: 3, activation: "tanh" }),
      new Dense({ units: 4, activation: "sigmoid", kernelRegularizer: { l2: 0.01 } }),
      new Dense({ units: outDim, activation: outAct }),
    ], { seed: 3, dtype: "float64" });
    model.compile({ loss, optimizer: sgd({ lr: 0 }) });
    const x = rng.fillNormal(new Matrix(6, 3));
    const y = new Matrix(6, loss === "sparseCategoricalCrossentropy" ? 1 : outDim);
    for (let i = 0; i < 6; i++) {
      if (loss === "sparseCategoricalCrossentropy") y.set(i, 0, i % 3);
      else if (loss === "categoricalCrossentropy") y.set(i, i % 3, 1);
      else for (let j = 0; j < outDim; j++) y.set(i, j, loss === "binaryCrossentropy" ? i % 2 : rng.normal());
    }
    model.trainOnBatch(x, y); // lr 0: fills the gradients, leaves the weights
    const lossOf = () => model.evaluate(x, y)["loss"] as number;
    for (const p of model.params()) {
      const r = gradCheck(p.value.data, Array.from(p.grad.data), lossOf);
      expect(r.maxRelativeError, `${p.name}: ${r.analytic} vs ${r.numeric}`).toBeLessThan(1e-6);
    }
  });
});

describe("fit, evaluate, predict", () => {
  const data = () => spirals(20, 1);

  it("returns a Keras-shaped history with validation values and calls every callback", () => {
    const { x, y } = data();
    const calls: string[] = [];
    const cb: Callback = {
      onTrainBegin: () => calls.push("trainBegin"),
      onEpochBegin: (e) => calls.push(`epochBegin${e}`),
      onBatchEnd: (b, logs) => {
        if (b === 0) calls.push(`batchEnd0:${typeof logs["loss"]}`);
      },
      onEpochEnd: (e, logs) => calls.push(`epochEnd${e}:${Object.keys(logs).sort().join(",")}`),
      onTrainEnd: () => calls.push("trainEnd"),
    };
    const model = new Sequential([new Dense({ units: 8, inputDim: 2, activation: "relu" }), new Dense({ units: 3, activation: "softmax" })], { seed: 1 });
    model.compile({ loss: "categoricalCrossentropy", optimizer: "adam", metrics: ["accuracy"] });
    const h = model.fit(x, y, { epochs: 2, batchSize: 8, validationSplit: 0.25, callbacks: [cb] });
    expect(h.epoch).toEqual([0, 1]);
    expect(Object.keys(h.history).sort()).toEqual(["accuracy", "loss", "val_accuracy", "val_loss"]);
    expect(calls).toEqual([
      "trainBegin",
      "epochBegin0",
      "batchEnd0:number",
      "epochEnd0:accuracy,loss,val_accuracy,val_loss",
      "epochBegin1",
      "batchEnd0:number",
      "epochEnd1:accuracy,loss,val_accuracy,val_loss",
      "trainEnd",
    ]);
    // 45 training samples with batch 8 ⇒ 6 optimizer steps per epoch.
    expect(model.iterations).toBe(12);
  });

  it("validation loss equals evaluate on the held-out tail", () => {
    const { x, y } = data();
    const model = new Sequential([new Dense({ units: 3, inputDim: 2, activation: "softmax" })], { seed: 1, dtype: "float64" });
    model.compile({ loss: "categoricalCrossentropy", optimizer: sgd({ lr: 0.1 }) });
    const h = model.fit(x, y, { epochs: 1, batchSize: 10, validationSplit: 0.5 });
    const tail = model.evaluate(x.rowSlice(30, 60), y.rowSlice(30, 60));
    expect(h.history["val_loss"]![0]).toBeCloseTo(tail["loss"]!, 12);
  });

  it("earlyStopping stops when the monitored value stops improving and restores the best weights", () => {
    const { x, y } = data();
    const model = new Sequential([new Dense({ units: 3, inputDim: 2, activation: "softmax" })], { seed: 1 });
    // A huge learning rate makes the loss bounce, so improvement stops quickly.
    model.compile({ loss: "categoricalCrossentropy", optimizer: sgd({ lr: 50 }) });
    const stopper = earlyStopping({ monitor: "loss", patience: 2, restoreBestWeights: true });
    const h = model.fit(x, y, { epochs: 200, batchSize: 60, shuffle: false, callbacks: [stopper] });
    expect(h.epoch.length).toBeLessThan(200);
    expect(stopper.stoppedEpoch).toBe(h.epoch.at(-1));
    expect(h.epoch.length).toBe(stopper.bestEpoch + 4);
    const best = Math.min(...h.history["loss"]!);
    expect(stopper.best).toBe(best);
  });

  it("predict returns one row per sample and matches a manual forward pass", () => {
    const model = new Sequential([new Dense({ units: 2, inputDim: 2, activation: "sigmoid", weights: { kernel: [[1, 0], [0, 1]], bias: [0, 0] } })], { dtype: "float64" });
    const p = model.predict(Matrix.fromArray([[0, 0], [1, -1]]), { batchSize: 1 }).asMatrix();
    expect(p.toArray()[0]).toEqual([0.5, 0.5]);
    expect(p.get(1, 0)).toBeCloseTo(1 / (1 + Math.exp(-1)), 15);
    expect(p.get(1, 1)).toBeCloseTo(1 / (1 + Math.exp(1)), 15);
  });

  it("summary lists layers, output shapes and parameter counts", () => {
    const model = new Sequential([new Dense({ units: 4, inputDim: 3, activation: "relu" }), new Dense({ units: 2, activation: "softmax" })]).build();
    const s = model.summary();
    expect(s).toMatch(/dense_0 \(dense\)\s+\[null, 4\]\s+relu\s+16/);
    expect(s).toMatch(/dense_1 \(dense\)\s+\[null, 2\]\s+softmax\s+10/);
    expect(s).toMatch(/Total params: 26/);
    expect(model.countParams()).toBe(26);
  });
});

describe("errors", () => {
  const model = () => new Sequential([new Dense({ units: 1, inputDim: 2 })], { seed: 1 });

  it("a non-finite loss names the step", () => {
    const m = new Sequential([new Dense({ units: 1, inputDim: 2 })], { seed: 1, dtype: "float32" });
    m.compile({ loss: "mse", optimizer: sgd({ lr: 1e30 }) });
    const x = Matrix.fromArray([[1e10, -1e10], [3e10, 1e10]]);
    const y = Matrix.fromArray([[1], [2]]);
    let caught: unknown;
    try {
      m.fit(x, y, { epochs: 10, batchSize: 1, shuffle: false });
    } catch (e) {
      caught = e;
    }
    expect(isBackpropError(caught) && caught.code).toBe("NON_FINITE");
    expect((caught as Error).message).toMatch(/sequential\.fit \(epoch \d+, batch \d\): the (loss|gradient)/);
  });

  it("reports mismatched shapes, missing compile, and non-finite inputs", () => {
    const m = model();
    expect(() => m.fit(new Matrix(2, 2), new Matrix(2, 1))).toThrow(/not compiled/);
    m.compile({ loss: "mse", optimizer: "sgd" });
    expect(() => m.fit(new Matrix(3, 2), new Matrix(2, 1))).toThrow(/x has 3 rows but y has 2/);
    expect(() => m.predict(new Matrix(3, 5))).toThrow(/x is 3×5 \(expected n×2/);
    const bad = new Matrix(2, 2);
    bad.set(1, 1, Number.NaN);
    expect(() => m.fit(bad, new Matrix(2, 1))).toThrow(/row 1, column 1 is NaN/);
    expect(() => m.fit(new Matrix(2, 2), new Matrix(2, 1), { batchSize: 0 })).toThrow(/batchSize: must be a positive integer/);
    expect(() => m.compile({ loss: "nope", optimizer: "sgd" })).toThrow(/unknown loss "nope"/);
  });
});
