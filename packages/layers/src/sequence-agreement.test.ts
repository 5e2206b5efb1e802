import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { Rng, Tensor, type Shape } from "@backprop/linalg";
import { sgd } from "@backprop/optimizers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Dense } from "./dense.js";
import { Embedding } from "./embedding.js";
import { Flatten } from "./flatten.js";
import type { Layer } from "./layer.js";
import { Masking } from "./masking.js";
import { Sequential } from "./model/sequential.js";
import { TimeDistributed } from "./time-distributed.js";

/*
 * Embedding, Masking and TimeDistributed against @tensorflow/tfjs-layers 4.22 on the cpu backend,
 * in float32, with the same weights: outputs, masks, and input and weight gradients (tf.grad,
 * tf.variableGrads) agree within 1e-5, and so does a small sequence model trained for 10 SGD steps.
 * BACKPROP_LOG_DIFFS=1 prints the measured maximum differences.
 */

const TOLERANCE = 1e-5;
const measured: [string, number][] = [];

beforeAll(async () => {
  await tf.setBackend("cpu");
});

afterAll(() => {
  if (process.env["BACKPROP_LOG_DIFFS"]) console.table(measured.map(([what, diff]) => ({ what, diff })));
});

function expectAgree(what: string, ours: ArrayLike<number>, theirs: ArrayLike<number>): void {
  expect(ours.length, what).toBe(theirs.length);
  let d = 0;
  for (let i = 0; i < ours.length; i++) d = Math.max(d, Math.abs((ours[i] as number) - (theirs[i] as number)));
  measured.push([what, d]);
  expect(d, what).toBeLessThan(TOLERANCE);
}

const toTf = (t: Tensor): tf.Tensor => tf.tensor(Array.from(t.data), [...t.shape], "float32");

/** Our layer built in float32 with random weights, and the tfjs layer built for the same shape with them copied over. */
function pair<L extends Layer>(ours: L, theirs: tfl.layers.Layer, shape: Shape, seed: number): L {
  ours.build(shape, { dtype: "float32", rng: new Rng(seed), prefix: "l" });
  // Random weights of a visible size, not the small initial ones, so every one of them matters.
  const rng = new Rng(seed + 100);
  for (const p of ours.params()) rng.fillNormal(p.value, 0, 0.7);
  theirs.build([null, ...shape]);
  if (ours.params().length > 0) theirs.setWeights(ours.params().map((p) => toTf(p.value)));
  return ours;
}

/** Gradients of Σ layer(x) ⊙ r with respect to x (when it is differentiable) and the layer's trainable weights. */
function tfjsGradients(layer: tfl.layers.Layer, x: Tensor, r: Tensor, withInput: boolean): { dx: Float32Array | undefined; dVars: Float32Array[] } {
  const rt = toTf(r);
  const f = (input: tf.Tensor): tf.Scalar => tf.sum(tf.mul(layer.apply(input) as tf.Tensor, rt));
  const dx = withInput ? (tf.grad(f)(toTf(x)).dataSync() as Float32Array) : undefined;
  const vars = layer.trainableWeights.map((w) => w.read() as tf.Variable);
  if (vars.length === 0) return { dx, dVars: [] };
  const { grads } = tf.variableGrads(() => f(toTf(x)), vars);
  return { dx, dVars: vars.map((v) => grads[v.name]!.dataSync() as Float32Array) };
}

function randomIds(shape: Shape, vocabulary: number, seed: number): Tensor {
  const rng = new Rng(seed);
  const ids = new Tensor(shape, "float32");
  for (let i = 0; i < ids.size; i++) ids.data[i] = rng.int(vocabulary);
  return ids;
}

function ourMask(mask: { data: Uint8Array } | undefined): number[] {
  return Array.from(mask?.data ?? []);
}

function theirMask(layer: tfl.layers.Layer, x: Tensor): number[] {
  return Array.from((layer.computeMask(toTf(x)) as tf.Tensor).dataSync());
}

describe("Embedding agrees with tfjs-layers (float32, cpu)", () => {
  it.each<[string, Shape]>([
    ["[batch, steps] ids", [7]],
    ["[batch, h, w] ids", [3, 4]],
  ])("lookup and sparse table gradient on %s", (_, shape) => {
    const theirs = tfl.layers.embedding({ inputDim: 10, outputDim: 3 });
    const ours = pair(new Embedding({ inputDim: 10, outputDim: 3 }), theirs, shape, 1);
    // Ids repeat, so the gradient rows of the table accumulate.
    const ids = randomIds([5, ...shape], 8, 2);
    const y = ours.forward(ids);
    const expectedY = theirs.apply(toTf(ids)) as tf.Tensor;
    expect(y.shape).toEqual(expectedY.shape);
    expectAgree(`Embedding ${shape.length + 1}-D forward`, y.data, expectedY.dataSync());
    const r = new Rng(3).fillNormal(new Tensor([5, ...shape, 3], "float32"));
    ours.embeddings.grad.fill(0);
    ours.backward(r);
    const expected = tfjsGradients(theirs, ids, r, false);
    expectAgree(`Embedding ${shape.length + 1}-D d(embeddings)`, ours.embeddings.grad.data, expected.dVars[0]!);
  });

  it("maskZero gives tfjs' mask (id 0 is padding) and still looks id 0 up", () => {
    const theirs = tfl.layers.embedding({ inputDim: 6, outputDim: 2, maskZero: true });
    const ours = pair(new Embedding({ inputDim: 6, outputDim: 2, maskZero: true }), theirs, [5], 4);
    const ids = Tensor.fromFlat([3, 5], [3, 1, 4, 0, 0, 2, 0, 0, 0, 0, 5, 5, 5, 5, 1], "float32");
    expectAgree("Embedding maskZero forward", ours.forward(ids).data, (theirs.apply(toTf(ids)) as tf.Tensor).dataSync());
    expect(ourMask(ours.computeMask(ids, undefined))).toEqual(theirMask(theirs, ids));
  });
});

describe("Masking agrees with tfjs-layers (float32, cpu)", () => {
  it.each([0, -1, 0.1])("output, mask and input gradient with maskValue %s", (maskValue) => {
    const theirs = tfl.layers.masking({ maskValue });
    const ours = pair(new Masking({ maskValue }), theirs, [6, 3], 5);
    const x = new Rng(6).fillNormal(new Tensor([4, 6, 3], "float32"));
    for (const step of [0, 5, 8, 9, 17, 23]) x.data.fill(maskValue, step * 3, step * 3 + 3);
    x.data[4 * 3 + 1] = maskValue; // partly maskValue: a real step
    expectAgree(`Masking ${maskValue} forward`, ours.forward(x).data, (theirs.apply(toTf(x)) as tf.Tensor).dataSync());
    expect(ourMask(ours.computeMask(x, undefined))).toEqual(theirMask(theirs, x));
    // NOTE: tfjs 4.22 has no gradient for the `any` inside its Masking (TensorFlow treats the mask
    // as a constant), so the reference is the gradient of Keras' x ⊙ mask with tfjs' mask held fixed.
    const r = new Rng(7).fillNormal(new Tensor([4, 6, 3], "float32"));
    const keep = tf.expandDims(tf.cast(theirs.computeMask(toTf(x)) as tf.Tensor, "float32"), -1);
    const expectedDx = tf.grad((input: tf.Tensor) => tf.sum(tf.mul(tf.mul(input, keep), toTf(r))))(toTf(x));
    expectAgree(`Masking ${maskValue} dx`, ours.backward(r).data, expectedDx.dataSync());
  });
});

describe("TimeDistributed agrees with tfjs-layers (float32, cpu)", () => {
  it.each(["linear", "tanh", "softmax"] as const)("TimeDistributed(Dense %s): output, input, kernel and bias gradients", (activation) => {
    const theirs = tfl.layers.timeDistributed({ layer: tfl.layers.dense({ units: 3, activation }) });
    const ours = pair(new TimeDistributed({ layer: new Dense({ units: 3, activation: activation === "linear" ? "identity" : activation }) }), theirs, [5, 4], 8);
    const x = new Rng(9).fillNormal(new Tensor([3, 5, 4], "float32"));
    expectAgree(`TimeDistributed(${activation}) forward`, ours.forward(x).data, (theirs.apply(toTf(x)) as tf.Tensor).dataSync());
    const r = new Rng(10).fillNormal(new Tensor([3, 5, 3], "float32"));
    for (const p of ours.params()) p.grad.fill(0);
    const dx = ours.backward(r).data;
    const expected = tfjsGradients(theirs, x, r, true);
    expectAgree(`TimeDistributed(${activation}) dx`, dx, expected.dx!);
    expectAgree(`TimeDistributed(${activation}) dkernel`, ours.params()[0]!.grad.data, expected.dVars[0]!);
    expectAgree(`TimeDistributed(${activation}) dbias`, ours.params()[1]!.grad.data, expected.dVars[1]!);
  });
});

describe("sequence models agree with tfjs-layers (float32, cpu)", () => {
  it("Embedding → TimeDistributed(Dense) → Flatten → Dense: predictions, and 10 SGD steps", async () => {
    const ours = new Sequential(
      [
        new Embedding({ inputDim: 12, outputDim: 4, inputLength: 6 }),
        new TimeDistributed({ layer: new Dense({ units: 3, activation: "tanh" }) }),
        new Flatten(),
        new Dense({ units: 3, activation: "softmax" }),
      ],
      { seed: 3 },
    ).build();
    const theirs = tfl.sequential({
      layers: [
        tfl.layers.embedding({ inputDim: 12, outputDim: 4, inputLength: 6 }),
        tfl.layers.timeDistributed({ layer: tfl.layers.dense({ units: 3, activation: "tanh" }) }),
        tfl.layers.flatten(),
        tfl.layers.dense({ units: 3, activation: "softmax" }),
      ],
    });
    // Larger initial embeddings than Keras' ±0.05, so the table's updates are not lost in rounding.
    const rng = new Rng(11);
    rng.fillNormal(ours.params()[0]!.value, 0, 0.5);
    const weights = ours.getWeights();
    expect(theirs.getWeights().map((w) => w.shape)).toEqual(weights.map((w) => [...w.shape]));
    theirs.setWeights(weights.map(toTf));
    const x = randomIds([8, 6], 12, 12);
    const y = new Tensor([8, 3], "float32");
    for (let i = 0; i < 8; i++) y.data[i * 3 + ((x.data[i * 6] as number) % 3)] = 1;
    const tx = toTf(x);
    const ty = toTf(y);
    expectAgree("model predict", ours.predict(x).data, (theirs.predict(tx) as tf.Tensor).dataSync());
    ours.compile({ loss: "categoricalCrossentropy", optimizer: sgd({ lr: 0.5 }) });
    theirs.compile({ loss: "categoricalCrossentropy", optimizer: tf.train.sgd(0.5) });
    for (let step = 0; step < 10; step++) {
      const ourLoss = ours.trainOnBatch(x, y);
      const theirLoss = (await theirs.trainOnBatch(tx, ty)) as number;
      expectAgree(`model loss at step ${step}`, [ourLoss], [theirLoss]);
    }
    const after = ours.getWeights();
    theirs.getWeights().forEach((w, i) => expectAgree(`model weight ${i} after 10 steps`, after[i]!.data, w.dataSync()));
    // Training moved the table (only the looked-up rows).
    let moved = 0;
    for (let i = 0; i < weights[0]!.size; i++) moved = Math.max(moved, Math.abs((after[0]!.data[i] as number) - (weights[0]!.data[i] as number)));
    expect(moved).toBeGreaterThan(1e-3);
  });

  it("Masking → TimeDistributed(Dense): predictions", () => {
    const ours = new Sequential([new Masking({ maskValue: -1, inputShape: [5, 3] }), new TimeDistributed({ layer: new Dense({ units: 2, activation: "tanh" }) })], {
      seed: 4,
    }).build();
    const theirs = tfl.sequential({
      layers: [tfl.layers.masking({ maskValue: -1, inputShape: [5, 3] }), tfl.layers.timeDistributed({ layer: tfl.layers.dense({ units: 2, activation: "tanh" }) })],
    });
    theirs.setWeights(ours.getWeights().map(toTf));
    const x = new Rng(13).fillNormal(new Tensor([4, 5, 3], "float32"));
    for (const step of [2, 3, 4, 9, 14]) x.data.fill(-1, step * 3, step * 3 + 3);
    expectAgree("Masking model predict", ours.predict(x).data, (theirs.predict(toTf(x)) as tf.Tensor).dataSync());
  });
});
