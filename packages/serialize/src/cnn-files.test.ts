import { Matrix, Rng, Tensor, type DType } from "@backprop/linalg";
import {
  AveragePooling2D,
  BatchNormalization,
  Conv2D,
  Dense,
  Dropout,
  Flatten,
  GlobalMaxPooling2D,
  LayerNormalization,
  MaxPooling2D,
  Sequential,
  ZeroPadding2D,
} from "@backprop/layers";
import { adam } from "@backprop/optimizers";
import { describe, expect, it } from "vitest";
import { decodeModel, encodeModel } from "./codec.js";
import { batchNormCnn, lenet, paddedStridedCnn, randomBatch, reshapeCnn, weightsOf } from "./test-models.test-util.js";

/*
 * The image layers in the native formats: nothing here knows them — the loaders check every
 * weight through the layers' own `paramShapes` — so a round trip of a CNN is the whole test.
 */

/** Zero padding → conv → BN → max pool → conv → average pool → LN → flatten → dropout → dense softmax, compiled. */
function trainableCnn(dtype: DType): Sequential {
  const model = new Sequential([
    new ZeroPadding2D({ padding: 1, inputShape: [8, 8, 2] }),
    new Conv2D({ filters: 4, kernelSize: 3, activation: "relu", kernelRegularizer: { l2: 1e-3 } }),
    new BatchNormalization({ momentum: 0.8 }),
    new MaxPooling2D({ poolSize: 2 }),
    new Conv2D({ filters: 6, kernelSize: 2, strides: 2, padding: "same", activation: "elu" }),
    new AveragePooling2D({ poolSize: 2, strides: 1, padding: "same" }),
    new LayerNormalization(),
    new Flatten(),
    new Dropout({ rate: 0.2 }),
    new Dense({ units: 3, activation: "softmax" }),
  ], { seed: 4, dtype });
  return model.compile({ loss: "categoricalCrossentropy", optimizer: adam({ lr: 0.01 }), metrics: ["accuracy"] });
}

/** 24 random images and one-hot labels of three classes (by the sign pattern of two pixels). */
function images(dtype: DType): { x: Tensor; y: Matrix } {
  const x = new Rng(2).fillNormal(new Tensor([24, 8, 8, 2], dtype));
  const y = new Matrix(24, 3, dtype);
  for (let i = 0; i < 24; i++) y.set(i, ((x.data[i * 128] as number) > 0 ? 1 : 0) + ((x.data[i * 128 + 9] as number) > 0 ? 1 : 0), 1);
  return { x, y };
}

describe("convolutional networks in the native formats (JSON, safetensors)", () => {
  for (const format of ["json", "safetensors"] as const) {
    for (const dtype of ["float32", "float64"] as const) {
      it(`${format}, ${dtype}: a trained CNN (conv, pools, BN, LN, flatten, dense) predicts bit for bit and resumes training exactly`, () => {
        const { x, y } = images(dtype);
        const model = trainableCnn(dtype);
        model.fit(x, y, { epochs: 2, batchSize: 8 });
        const { model: loaded } = decodeModel(encodeModel(model, { format }).files, format);
        expect(loaded.dtype).toBe(dtype);
        expect(loaded.layers.map((l) => l.getConfig())).toEqual(model.layers.map((l) => l.getConfig()));
        expect(weightsOf(loaded)).toEqual(weightsOf(model)); // the BN moving statistics included
        expect(Array.from(loaded.predict(x).data)).toEqual(Array.from(model.predict(x).data));
        model.fit(x, y, { epochs: 1, batchSize: 8, initialEpoch: model.epoch });
        loaded.fit(x, y, { epochs: 1, batchSize: 8, initialEpoch: loaded.epoch });
        expect(weightsOf(loaded)).toEqual(weightsOf(model));
      });
    }

    it(`${format}: every test CNN (odd sizes, strides, dilation, global pools, reshape) loads and predicts bit for bit`, () => {
      const models = [lenet(), batchNormCnn(), batchNormCnn("float32", "max"), paddedStridedCnn(), reshapeCnn(), new Sequential([
        new Conv2D({ filters: 2, kernelSize: [1, 3], inputShape: [4, 5, 1], useBias: false }),
        new GlobalMaxPooling2D(),
      ]).build()];
      for (const model of models) {
        const { model: loaded } = decodeModel(encodeModel(model, { format }).files, format);
        const x = randomBatch(3, model.inputShape!);
        expect(loaded.layers.map((l) => l.className)).toEqual(model.layers.map((l) => l.className));
        expect(Array.from(loaded.predict(x).data)).toEqual(Array.from(model.predict(x).data));
      }
    });
  }

  it("a kernel of the wrong shape is refused before anything is allocated, naming the layer and both shapes", () => {
    const file = JSON.parse(new TextDecoder().decode(encodeModel(lenet()).files["model.json"]));
    const kernel = file.weights.find((w: { name: string }) => w.name === "layers.2.kernel");
    kernel.shape = [3, 3, 5, 6];
    kernel.data = new Array(270).fill(0);
    expect(() => decodeModel({ "model.json": new TextEncoder().encode(JSON.stringify(file)) }, "json")).toThrow(/layers\.2\.kernel.*\[3, 3, 5, 6\].*\[3, 3, 4, 6\]|\[3, 3, 4, 6\].*\[3, 3, 5, 6\]/);
  });
});
