// Runs the samples of "Coming from brain.js" and "Coming from TensorFlow.js": each peer library
// and Backprop on the same task, and what the pages say about how their results compare.
import { Rng } from "@backprop/linalg";
import * as tf from "@tensorflow/tfjs-core";
import { describe, expect, it, vi } from "vitest";
import { maxAbsDiff, quietSamples } from "./samples.js";

// brain.js and TF.js draw their initial weights from Math.random. Each sample gets a freshly
// seeded stream, so a run does not depend on the order (or the selection) of the tests.
function seedMathRandom(seed: number): void {
  const rng = new Rng(seed);
  vi.spyOn(Math, "random").mockImplementation(() => rng.uniform());
}

quietSamples();

const XOR = [0, 1, 1, 0];
/** Each output within `tolerance` of its XOR target. */
function solvesXor(outputs: ArrayLike<number>, tolerance: number): void {
  expect(outputs.length).toBe(4);
  XOR.forEach((t, i) => expect(Math.abs((outputs[i] as number) - t), `sample ${i}`).toBeLessThan(tolerance));
}

describe("Coming from brain.js", () => {
  it("examples/from-brainjs-xor.ts: both learn XOR with the same 2-3-1 sigmoid network; a trained brain.js net imports exactly", async () => {
    seedMathRandom(1);
    const { brainOut, history, imported, model, status, x } = await import("../examples/from-brainjs-xor.js");
    // brain.js reached its errorThresh before its iteration cap
    expect(status.error).toBeLessThanOrEqual(0.005);
    expect(status.iterations).toBeLessThan(20000);
    solvesXor(brainOut, 0.15);
    // Backprop stopped at the same threshold of the same error (mean squared error of the epoch)
    const epochs = history.epoch.length;
    expect(epochs).toBeLessThan(20000);
    expect(history.history["meanSquaredError"]?.at(-1)).toBeLessThanOrEqual(0.005);
    expect(history.history["meanSquaredError"]?.at(-2)).toBeGreaterThan(0.005);
    solvesXor(model.predict(x).data, 0.15);
    // the same shape: 2 inputs, 3 hidden, 1 output, weights and biases
    expect(model.params().map((p) => p.value.shape)).toEqual([[2, 3], [3], [3, 1], [1]]);
    expect(imported.params().map((p) => p.value.shape)).toEqual([[2, 3], [3], [3, 1], [1]]);
    // the imported brain.js weights answer what brain.js answers, to float32 rounding
    expect(maxAbsDiff(imported.predict(x).data, brainOut)).toBeLessThan(1e-6);
  });

  it("examples/from-brainjs-steps.ts: from the same start, the same per-sample steps end at the same weights", async () => {
    seedMathRandom(2);
    const { data, model, net, ours, theirs, x } = await import("../examples/from-brainjs-steps.js");
    expect(ours).toHaveLength(13);
    expect(maxAbsDiff(ours, theirs)).toBeLessThan(1e-4);
    expect(maxAbsDiff(model.predict(x).data, data.map((d) => net.run(d.input)[0] as number))).toBeLessThan(1e-6);
    // and they trained: 5 000 epochs from brain.js' small starting weights solve XOR
    solvesXor(model.predict(x).data, 0.2);
  });

  it("examples/from-brainjs-time-series.ts: both LSTMs learn the seasonal series; both beat the naive forecast", async () => {
    seedMathRandom(3);
    const { brainForecast, brainNext, forecast, naive, ourNext, rmse, series } = await import("../examples/from-brainjs-time-series.js");
    // "same as last month" misses by 0.4·2·sin(π/12)/√2 on average (RMS)
    expect(naive).toBeCloseTo((0.8 * Math.sin(Math.PI / 12)) / Math.SQRT2, 12);
    expect(brainNext).toHaveLength(30);
    expect(rmse(brainNext)).toBeLessThan(naive / 3);
    expect(rmse(ourNext)).toBeLessThan(0.01);
    // the next 12 months, fed their own predictions
    const truth = (k: number): number => 0.5 + 0.4 * Math.sin((2 * Math.PI * (series.length + k)) / 12);
    expect(brainForecast).toHaveLength(12);
    brainForecast.forEach((v, k) => expect(Math.abs(v - truth(k)), `brain.js month ${k}`).toBeLessThan(0.35));
    forecast.forEach((v, k) => expect(Math.abs(v - truth(k)), `Backprop month ${k}`).toBeLessThan(0.05));
  });
});

describe("Coming from TensorFlow.js", () => {
  it("examples/from-tfjs-model.ts: the same model and weights train to the same predictions; files move both ways", async () => {
    seedMathRandom(4);
    const { fromTfjs, history, images, inTfjs, model, ours, start, tfHistory, theirs } = await import("../examples/from-tfjs-model.js");
    // TF.js' weights fit Backprop's layers as they are
    expect(start.map((w) => w.length)).toEqual([36, 4, 108, 3]);
    expect(model.params().map((p) => p.value.shape)).toEqual([[3, 3, 1, 4], [4], [36, 3], [3]]);
    // 15 epochs of Adam on the same batches: the same losses, accuracies and predictions (float32)
    const theirLoss = tfHistory.history["loss"] as number[];
    const ourLoss = history.history["loss"] as number[];
    expect(ourLoss).toHaveLength(15);
    expect(maxAbsDiff(ourLoss, theirLoss)).toBeLessThan(1e-5);
    expect(maxAbsDiff(history.history["accuracy"] as number[], tfHistory.history["acc"] as number[])).toBeLessThan(1e-6);
    // and it learned the strokes
    expect(ourLoss.at(-1)).toBeLessThan((ourLoss[0] as number) / 2);
    expect(history.history["accuracy"]?.at(-1)).toBeGreaterThan(0.9);
    expect(maxAbsDiff(ours, theirs)).toBeLessThan(1e-5);
    // modelFromTfjs: what TF.js saved predicts what TF.js predicts
    expect(fromTfjs.layers.map((l) => l.className)).toEqual(["conv2d", "maxPooling2d", "flatten", "dense"]);
    expect(maxAbsDiff(fromTfjs.predict(images).data, theirs)).toBeLessThan(1e-5);
    // modelToTfjs: tfjs-layers loads our file and predicts what we predict
    const x = tf.tensor4d(images.data as Float32Array, [images.shape[0] as number, 8, 8, 1]);
    const loaded = tf.tidy(() => (inTfjs.predict(x) as tf.Tensor).dataSync());
    x.dispose();
    expect(maxAbsDiff(loaded, ours)).toBeLessThan(1e-5);
  });
});
