import { Matrix, Rng } from "@backprop/linalg";
import { adam } from "@backprop/optimizers";
import { describe, expect, it } from "vitest";
import { Dense } from "../dense.js";
import { Dropout } from "../dropout.js";
import { Sequential } from "./sequential.js";

function data(seed = 5): { x: Matrix; y: Matrix } {
  const rng = new Rng(seed);
  const x = rng.fillNormal(new Matrix(50, 3));
  const y = new Matrix(50, 2);
  for (let i = 0; i < 50; i++) y.set(i, (x.get(i, 0) + x.get(i, 1) > 0 ? 1 : 0), 1);
  return { x, y };
}

function makeModel(): Sequential {
  const model = new Sequential([
    new Dense({ units: 6, inputDim: 3, activation: "relu" }),
    new Dropout({ rate: 0.3 }),
    new Dense({ units: 2, activation: "softmax" }),
  ], { seed: 11, dtype: "float32" });
  model.compile({ loss: "categoricalCrossentropy", optimizer: adam({ lr: 0.01 }), metrics: ["accuracy"] });
  return model;
}

const weights = (m: Sequential) => m.params().map((p) => Array.from(p.value.data));

describe("resuming training", () => {
  it("stop after 3 epochs, restore weights + optimizer + training state into a fresh model, continue to 7: same bits as 7 straight", () => {
    const { x, y } = data();
    const straight = makeModel();
    const straightHistory = straight.fit(x, y, { epochs: 7, batchSize: 8 });

    const first = makeModel();
    first.fit(x, y, { epochs: 3, batchSize: 8 });
    // What a checkpoint holds, through JSON as a file would carry it.
    const checkpoint = JSON.parse(JSON.stringify({
      weights: weights(first),
      optimizer: first.optimizer!.stateDict(),
      training: first.getTrainingState(),
    }));
    expect(checkpoint.training.epoch).toBe(3);
    expect(checkpoint.training.iterations).toBe(3 * 7);

    const resumed = makeModel().build();
    resumed.params().forEach((p, i) => p.value.data.set(checkpoint.weights[i]));
    resumed.optimizer!.loadStateDict(checkpoint.optimizer);
    resumed.setTrainingState(checkpoint.training);
    const rest = resumed.fit(x, y, { epochs: 7, batchSize: 8, initialEpoch: resumed.epoch });

    expect(rest.epoch).toEqual([3, 4, 5, 6]);
    expect(weights(resumed)).toEqual(weights(straight));
    expect(rest.history["loss"]).toEqual(straightHistory.history["loss"]!.slice(3));
  });

  it("without the training state the continuation differs (the test can fail)", () => {
    const { x, y } = data();
    const straight = makeModel();
    straight.fit(x, y, { epochs: 4, batchSize: 8 });
    const first = makeModel();
    first.fit(x, y, { epochs: 2, batchSize: 8 });
    const resumed = makeModel().build();
    resumed.params().forEach((p, i) => p.value.data.set(first.params()[i]!.value.data));
    resumed.optimizer!.loadStateDict(first.optimizer!.stateDict());
    resumed.fit(x, y, { epochs: 4, batchSize: 8, initialEpoch: 2 });
    expect(weights(resumed)).not.toEqual(weights(straight));
  });

  it("rejects a training state that does not fit the model", () => {
    const model = makeModel().build();
    const state = model.getTrainingState();
    expect(() => model.setTrainingState({ ...state, layers: { nope: [1, 2, 3, 4] } })).toThrow(/no layer "nope"/);
    expect(() => model.setTrainingState({ ...state, epoch: -1 })).toThrow(/epoch and iterations must be integers/);
    expect(() => model.setTrainingState({ ...state, rng: [0, 0, 0, 0] })).toThrow(/four unsigned 32-bit integers/);
  });
});

describe("fitAsync and stopping", () => {
  it("fitAsync gives the same numbers as fit and lets timers run between epochs", async () => {
    const { x, y } = data();
    const a = makeModel();
    const ha = a.fit(x, y, { epochs: 3, batchSize: 10 });
    const b = makeModel();
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    const hb = await b.fitAsync(x, y, { epochs: 3, batchSize: 10, yieldEvery: "batch" });
    clearInterval(timer);
    expect(hb).toEqual(ha);
    expect(weights(b)).toEqual(weights(a));
    expect(ticks).toBeGreaterThan(0);
  });

  it("stopTraining set mid-epoch ends fit after that batch without logging the partial epoch", () => {
    const { x, y } = data();
    const model = makeModel();
    const h = model.fit(x, y, {
      epochs: 5,
      batchSize: 10,
      callbacks: [{ onBatchEnd: (batch) => { if (model.epoch === 1 && batch === 2) model.stopTraining = true; } }],
    });
    expect(h.epoch).toEqual([0]);
    expect(model.epoch).toBe(1);
    expect(model.iterations).toBe(5 + 3);
  });
});
