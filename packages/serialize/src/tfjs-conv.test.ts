import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { Rng, isBackpropError, type Tensor } from "@backprop/linalg";
import { Conv2D, Dense, Flatten, MaxPooling2D, Sequential } from "@backprop/layers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { maxDiff } from "./peer-agreement.test-util.js";
import { loadInTfjs, savedByTfjs, tfjsPredict, type Files } from "./tfjs-peer.test-util.js";
import { batchNormCnn, lenet, paddedStridedCnn, randomBatch, randomizeWeights, reshapeCnn } from "./test-models.test-util.js";
import { modelFromTfjs, modelToTfjs } from "./tfjs.js";

/*
 * Convolutional models both ways between us and @tensorflow/tfjs-layers 4.22 (cpu backend), in
 * float32: tfjs predicts what `predict` does on our exports, we predict what tfjs does on its own.
 */

const measured: { case: string; maxDiff: number }[] = [];
beforeAll(async () => {
  await tf.setBackend("cpu");
});
afterAll(() => {
  // TFJS_AGREEMENT_REPORT=1 prints the measured differences (the numbers quoted in reviews).
  if (process.env["TFJS_AGREEMENT_REPORT"]) console.table(measured);
});

const decoder = new TextDecoder();
const encoder = new TextEncoder();

function topology(files: Files): { class_name: string; config: Record<string, unknown> }[] {
  return JSON.parse(decoder.decode(files["model.json"])).modelTopology.config.layers;
}

/** Edits one layer's config in a model.json. */
function withConfig(files: Files, layer: number, edit: (config: Record<string, unknown>) => void): Files {
  const json = JSON.parse(decoder.decode(files["model.json"]));
  edit(json.modelTopology.config.layers[layer].config);
  return { ...files, "model.json": encoder.encode(JSON.stringify(json)) };
}

function refusal(files: Files): string {
  try {
    modelFromTfjs(files);
  } catch (error) {
    expect(isBackpropError(error) && error.code).toBe("INVALID_FILE");
    return (error as Error).message;
  }
  throw new Error("the file loaded");
}

describe("TF.js export of convolutional networks: tfjs-layers predicts what predict does (within 1e-5)", () => {
  const cases: [string, () => Sequential][] = [
    ["LeNet-style (conv valid, max pool, conv same, average pool same on odd sizes, flatten, dense)", () => lenet()],
    ["batch normalisation + global average pooling", () => batchNormCnn()],
    ["batch normalisation + global max pooling", () => batchNormCnn("float32", "max")],
    ["zero padding, strides 2, dilation 2", () => paddedStridedCnn()],
    ["reshape both ways + layer normalisation", () => reshapeCnn()],
  ];
  for (const [label, build] of cases) {
    it(`${label}; modelFromTfjs reads it back bit for bit`, async () => {
      const model = build();
      const x = randomBatch(4, model.inputShape!);
      const files = modelToTfjs(model);
      const d = maxDiff(tfjsPredict(await loadInTfjs(files), x), model.predict(x).data);
      measured.push({ case: `export: ${label}`, maxDiff: d });
      expect(d).toBeLessThan(1e-5);
      const back = modelFromTfjs(files);
      expect(back.layers.map((l) => l.className)).toEqual(model.layers.map((l) => l.className));
      // The same configs, but for a Reshape's -1, which is written worked out (tfjs needs it), and
      // the first layer's inputShape, which the file keeps as the model's batch_input_shape.
      const configs = (m: Sequential) => m.layers.map((l) => ({ ...l.getConfig(), inputShape: null, ...(l.className === "reshape" ? { targetShape: null } : {}) }));
      expect(configs(back)).toEqual(configs(model));
      expect(Array.from(back.predict(x).data)).toEqual(Array.from(model.predict(x).data));
    });
  }

  it("writes Keras' keys: kernel_size, strides, padding, dilation_rate, data_format, use_bias, pool_size, target_shape, axis -1", () => {
    const layers = topology(modelToTfjs(paddedStridedCnn()));
    expect(layers.map((l) => l.class_name)).toEqual(["ZeroPadding2D", "Conv2D", "Conv2D", "Conv2D", "MaxPooling2D", "Flatten", "Dense"]);
    expect(layers[0]!.config).toMatchObject({ padding: [[1, 2], [0, 1]], data_format: "channels_last", batch_input_shape: [null, 11, 12, 2] });
    expect(layers[1]!.config).toMatchObject({ filters: 4, kernel_size: [3, 3], strides: [2, 2], padding: "same", dilation_rate: [1, 1], data_format: "channels_last", use_bias: true, activation: "elu" });
    expect(layers[3]!.config).toMatchObject({ kernel_size: [2, 3], dilation_rate: [2, 1], padding: "valid", activation: "linear" });
    expect(layers[4]!.config).toMatchObject({ pool_size: [3, 3], strides: [2, 2], padding: "same" });
    const bn = topology(modelToTfjs(batchNormCnn()))[1]!;
    expect(bn).toMatchObject({ class_name: "BatchNormalization", config: { axis: -1, momentum: 0.9, epsilon: 0.01, center: true, scale: true } });
    const reshapes = topology(modelToTfjs(reshapeCnn())).filter((l) => l.class_name === "Reshape");
    expect(reshapes.map((l) => l.config["target_shape"])).toEqual([[4, 4, 3], [9, 6]]); // [-1, 6] worked out
  });

  it("a leakyRelu convolution becomes Conv2D + LeakyReLU; L1/L2 regularizers travel as L1L2", async () => {
    const model = randomizeWeights(new Sequential([
      new Conv2D({ filters: 3, kernelSize: 2, inputShape: [5, 5, 2], activation: { name: "leakyRelu", config: { alpha: 0.2 } }, kernelRegularizer: { l2: 0.01 } }),
      new MaxPooling2D({ poolSize: [2, 1], strides: [1, 2] }),
      new Flatten(),
      new Dense({ units: 2, biasRegularizer: { l1: 0.5 } }),
    ], { seed: 3 }).build(), 3);
    const files = modelToTfjs(model);
    const layers = topology(files);
    expect(layers.map((l) => l.class_name)).toEqual(["Conv2D", "LeakyReLU", "MaxPooling2D", "Flatten", "Dense"]);
    expect(layers[0]!.config["kernel_regularizer"]).toEqual({ class_name: "L1L2", config: { l1: 0, l2: 0.01 } });
    const x = randomBatch(3, [5, 5, 2]);
    expect(maxDiff(tfjsPredict(await loadInTfjs(files), x), model.predict(x).data)).toBeLessThan(1e-5);
    const back = modelFromTfjs(files);
    expect(back.layers[0]!.getConfig()["kernelRegularizer"]).toEqual({ l1: 0, l2: 0.01 });
    expect(back.layers[4]!.getConfig()["biasRegularizer"]).toEqual({ l1: 0.5, l2: 0 });
    expect(Array.from(back.predict(x).data)).toEqual(Array.from(model.predict(x).data));
  });
});

describe("TF.js import of convolutional networks tfjs builds and saves itself (live)", () => {
  /** Every weight of a tfjs model drawn again (variances positive), so nothing sits at its initial 0 or 1. */
  function randomizeTfjs(model: tfl.LayersModel, seed: number): void {
    const rng = new Rng(seed);
    for (const layer of model.layers) {
      const values = layer.getWeights().map((w, k) => {
        const data = Array.from({ length: w.size }, () => rng.normal() * 0.5);
        const variance = layer.weights[k]!.originalName.endsWith("moving_variance");
        return tf.tensor(variance ? data.map((v) => 0.2 + Math.abs(v)) : data, w.shape);
      });
      if (values.length > 0) layer.setWeights(values);
    }
  }

  async function agreement(label: string, model: tfl.LayersModel, seed: number): Promise<Sequential> {
    randomizeTfjs(model, seed);
    const ours = modelFromTfjs(await savedByTfjs(model));
    const x = randomBatch(4, ours.inputShape!, "float32", seed);
    const d = maxDiff(ours.predict(x).data, tfjsPredict(model, x));
    measured.push({ case: `import: ${label}`, maxDiff: d });
    expect(d).toBeLessThan(1e-5);
    return ours;
  }

  it("LeNet-style with BatchNormalization (axis 3), average pooling same, flatten, dense softmax", async () => {
    const m = tfl.sequential({
      layers: [
        tfl.layers.conv2d({ inputShape: [12, 11, 3], filters: 4, kernelSize: 3, activation: "relu" }),
        tfl.layers.batchNormalization({ axis: 3 }),
        tfl.layers.maxPooling2d({ poolSize: 2 }),
        tfl.layers.conv2d({ filters: 5, kernelSize: [3, 2], padding: "same", activation: "tanh", useBias: false }),
        tfl.layers.averagePooling2d({ poolSize: 3, strides: 2, padding: "same" }),
        tfl.layers.flatten(),
        tfl.layers.dense({ units: 3, activation: "softmax" }),
      ],
    });
    const ours = await agreement("LeNet-style + BN (axis 3)", m, 1);
    expect(ours.layers.map((l) => l.className)).toEqual(["conv2d", "batchNormalization", "maxPooling2d", "conv2d", "averagePooling2d", "flatten", "dense"]);
    expect(ours.layers[1]!.getConfig()).toMatchObject({ axis: -1, momentum: 0.99, epsilon: 1e-3 });
  });

  it("zero padding, strides 2, dilation 2, layer normalisation (axis [3]), global pools, reshape", async () => {
    const avg = tfl.sequential({
      layers: [
        tfl.layers.zeroPadding2d({ inputShape: [9, 10, 2], padding: [[2, 1], [0, 3]] }),
        tfl.layers.conv2d({ filters: 4, kernelSize: 3, strides: 2, padding: "same", activation: "elu" }),
        tfl.layers.conv2d({ filters: 4, kernelSize: 2, dilationRate: 2, padding: "same", activation: "relu" }),
        tfl.layers.layerNormalization({ epsilon: 1e-2 }),
        tfl.layers.globalAveragePooling2d({}),
        tfl.layers.reshape({ targetShape: [2, 2] }),
        tfl.layers.flatten(),
        tfl.layers.dense({ units: 2 }),
      ],
    });
    const padded = await agreement("padding + strides + dilation + LN + global average", avg, 2);
    expect(padded.layers.map((l) => l.className)).toEqual(["zeroPadding2d", "conv2d", "conv2d", "layerNormalization", "globalAveragePooling2d", "reshape", "flatten", "dense"]);
    const max = tfl.sequential({
      layers: [
        tfl.layers.reshape({ inputShape: [36], targetShape: [6, 6, 1] }),
        tfl.layers.conv2d({ filters: 3, kernelSize: 3, dilationRate: [2, 1] }),
        tfl.layers.batchNormalization({ center: false }),
        tfl.layers.globalMaxPooling2d({}),
        tfl.layers.dense({ units: 2, activation: "sigmoid" }),
      ],
    });
    const ours = await agreement("reshape + dilation + BN (no beta) + global max", max, 3);
    const x = randomBatch(4, [36], "float32", 3);
    expect(new Set(ours.predict(x).data).size).toBe(8); // not saturated: 4 samples × 2 distinct outputs
  });

  it("refuses options it cannot compute, naming the layer and the key", async () => {
    const files = await savedByTfjs(tfl.sequential({
      layers: [
        tfl.layers.conv2d({ inputShape: [6, 6, 2], filters: 2, kernelSize: 3, name: "features" }),
        tfl.layers.layerNormalization({ name: "norm" }),
        tfl.layers.flatten({ name: "flat" }),
        tfl.layers.dense({ units: 1 }),
      ],
    }));
    expect(modelFromTfjs(files).layers).toHaveLength(4);
    const refused = (layer: number, edit: (config: Record<string, unknown>) => void) => refusal(withConfig(files, layer, edit));
    expect(refused(0, (c) => (c["data_format"] = "channels_first"))).toMatch(
      /layers\[0\]\.config\.data_format: layer "features" \(Conv2D\): data_format "channels_first" is not supported \(got "channels_first", expected "channels_last"\)/,
    );
    expect(refused(0, (c) => (c["groups"] = 2))).toMatch(/config\.groups: layer "features" \(Conv2D\): groups 2 is not supported/);
    expect(refused(0, (c) => (c["kernel_constraint"] = { class_name: "MaxNorm", config: { max_value: 2 } }))).toMatch(/config\.kernel_constraint: layer "features" \(Conv2D\)/);
    expect(refused(0, (c) => (c["depth_multiplier"] = 2))).toMatch(/config\.depth_multiplier: layer "features" \(Conv2D\): the option "depth_multiplier" is not supported/);
    expect(refused(0, (c) => (c["padding"] = "causal"))).toMatch(/layers\[0\]\.config: .*padding/);
    expect(refused(1, (c) => (c["axis"] = 1))).toMatch(/config\.axis: layer "norm" \(LayerNormalization\): only the last axis is supported \(got 1, expected -1 or 3\)/);
    expect(refused(2, (c) => (c["data_format"] = "channels_first"))).toMatch(/layer "flat" \(Flatten\): data_format/);
    // Keras' neutral values load.
    expect(modelFromTfjs(withConfig(files, 0, (c) => (c["groups"] = 1))).layers).toHaveLength(4);
  });
});
