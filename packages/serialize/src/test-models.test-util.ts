import { Matrix, Rng, Tensor, type DType, type Shape } from "@backprop/linalg";
import {
  ActivationLayer,
  AveragePooling2D,
  BatchNormalization,
  Conv2D,
  Dense,
  Dropout,
  Flatten,
  GlobalAveragePooling2D,
  GlobalMaxPooling2D,
  LayerNormalization,
  MaxPooling2D,
  Normalization,
  Reshape,
  Sequential,
  ZeroPadding2D,
} from "@backprop/layers";
import { adam } from "@backprop/optimizers";

/** A small classifier with dropout and Adam, compiled: exercises every part of a checkpoint. */
export function classifier(dtype: DType = "float32", seed = 11): Sequential {
  const model = new Sequential(
    [
      new Dense({ units: 6, inputDim: 3, activation: "relu" }),
      new Dropout({ rate: 0.3 }),
      new Dense({ units: 5, activation: { name: "leakyRelu", config: { alpha: 0.1 } } }),
      new Dense({ units: 2, activation: "softmax" }),
    ],
    { seed, dtype },
  );
  model.compile({ loss: "categoricalCrossentropy", optimizer: adam({ lr: 0.01 }), metrics: ["accuracy"] });
  return model;
}

/** 50 samples of a two-class problem. */
export function twoClassData(dtype: DType = "float32", seed = 5): { x: Matrix; y: Matrix } {
  const rng = new Rng(seed);
  const x = rng.fillNormal(new Matrix(50, 3, dtype));
  const y = new Matrix(50, 2, dtype);
  for (let i = 0; i < 50; i++) y.set(i, x.get(i, 0) + x.get(i, 1) > 0 ? 1 : 0, 1);
  return { x, y };
}

/** Every weight as plain numbers, for exact comparisons. */
export const weightsOf = (m: Sequential): number[][] => m.params().map((p) => Array.from(p.value.data));

/**
 * Raw inputs far from standardised (means up to 40, spreads from 0.01 to 300), as a model with a
 * Normalization layer sees them: exported graphs must do the same scaling.
 */
export function rawData(rows: number, dtype: DType = "float32", seed = 17): Matrix {
  const rng = new Rng(seed);
  const x = rng.fillNormal(new Matrix(rows, 4, dtype));
  const scale = [300, 0.01, 2, 1];
  const shift = [40, -3, 0.5, 0];
  for (let i = 0; i < rows; i++) for (let j = 0; j < 4; j++) x.set(i, j, x.get(i, j) * scale[j]! + shift[j]!);
  return x;
}

/** Normalization (adapted to `rawData`) → Dense relu → Dropout → Dense leakyRelu → Dense softmax. */
export function normalizedClassifier(dtype: DType = "float32", seed = 3): Sequential {
  const norm = new Normalization({ inputDim: 4 }).adapt(rawData(64, "float64", 99));
  return new Sequential(
    [
      norm,
      new Dense({ units: 6, activation: "relu" }),
      new Dropout({ rate: 0.25 }),
      new Dense({ units: 5, activation: { name: "leakyRelu", config: { alpha: 0.2 } } }),
      new ActivationLayer({ activation: "tanh" }),
      new Dense({ units: 3, activation: "softmax" }),
    ],
    { seed, dtype },
  ).build();
}

/**
 * Every weight drawn again from N(0, std²) — biases, γ and β included, which start at 0 or 1 — and
 * every variance from [0.2, 2.2): exported graphs must use each of them, in the right place.
 */
export function randomizeWeights<T extends Sequential>(model: T, seed = 1, std = 0.5): T {
  const rng = new Rng(seed);
  for (const p of model.params()) {
    rng.fillNormal(p.value, 0, std);
    if (/variance$/i.test(p.name)) for (let i = 0; i < p.value.data.length; i++) p.value.data[i] = 0.2 + 2 * Math.abs(Math.sin(i + 1 + (p.value.data[i] as number)));
  }
  return model;
}

/** A batch of `n` samples of `shape` from N(0, 1). */
export function randomBatch(n: number, shape: Shape, dtype: DType = "float32", seed = 21): Tensor {
  return new Rng(seed).fillNormal(new Tensor([n, ...shape], dtype));
}

/**
 * LeNet-style, on odd sizes: conv valid relu → max pool → conv same tanh → average pool "same"
 * (its last row and column of windows overhang the input) → flatten → dense softmax.
 * [13, 13, 2] → [11, 11, 4] → [5, 5, 4] → [5, 5, 6] → [3, 3, 6] → [54] → [3].
 */
export function lenet(dtype: DType = "float32", seed = 5): Sequential {
  return randomizeWeights(new Sequential([
    new Conv2D({ filters: 4, kernelSize: 3, activation: "relu", inputShape: [13, 13, 2] }),
    new MaxPooling2D({ poolSize: 2 }),
    new Conv2D({ filters: 6, kernelSize: 3, padding: "same", activation: "tanh" }),
    new AveragePooling2D({ poolSize: 2, padding: "same" }),
    new Flatten(),
    new Dense({ units: 3, activation: "softmax" }),
  ], { dtype, seed }).build(), seed);
}

/**
 * Batch normalisation (inference: moving statistics) and a global pool as the head:
 * conv [3, 2] same, no bias → BN → relu → 1×1 conv → global average (or max) pool → dense softmax.
 */
export function batchNormCnn(dtype: DType = "float32", pool: "average" | "max" = "average", seed = 6): Sequential {
  return randomizeWeights(new Sequential([
    new Conv2D({ filters: 5, kernelSize: [3, 2], padding: "same", useBias: false, inputShape: [10, 9, 3] }),
    new BatchNormalization({ momentum: 0.9, epsilon: 0.01 }),
    new ActivationLayer({ activation: "relu" }),
    new Conv2D({ filters: 4, kernelSize: 1, activation: "sigmoid" }),
    pool === "average" ? new GlobalAveragePooling2D() : new GlobalMaxPooling2D(),
    new Dense({ units: 3, activation: "softmax" }),
  ], { dtype, seed }).build(), seed);
}

/**
 * Asymmetric zero padding, strides 2 with "same" (odd total padding), dilation 2 (same and valid),
 * a strided "same" max pool, and a flatten:
 * [11, 12, 2] → pad → [14, 13, 2] → [7, 7, 4] → [7, 7, 3] → [5, 5, 3] → [3, 3, 3] → [27] → [2].
 */
export function paddedStridedCnn(dtype: DType = "float32", seed = 7): Sequential {
  return randomizeWeights(new Sequential([
    new ZeroPadding2D({ padding: [[1, 2], [0, 1]], inputShape: [11, 12, 2] }),
    new Conv2D({ filters: 4, kernelSize: 3, strides: 2, padding: "same", activation: "elu" }),
    new Conv2D({ filters: 3, kernelSize: 3, dilationRate: 2, padding: "same", activation: "relu" }),
    new Conv2D({ filters: 3, kernelSize: [2, 3], dilationRate: [2, 1], padding: "valid" }),
    new MaxPooling2D({ poolSize: 3, strides: 2, padding: "same" }),
    new Flatten(),
    new Dense({ units: 2 }),
  ], { dtype, seed }).build(), seed, 0.3); // smaller weights: outputs near 1, not 30 (no squashing at the end)
}

/**
 * Reshape both ways and a layer normalisation: flat rows → [4, 4, 3] images → conv → 9 positions
 * of 6 features → LayerNormalization → dense per position → flatten → dense softmax.
 */
export function reshapeCnn(dtype: DType = "float32", seed = 8): Sequential {
  return randomizeWeights(new Sequential([
    new Reshape({ targetShape: [4, 4, 3], inputShape: [48] }),
    new Conv2D({ filters: 6, kernelSize: 2, activation: "relu" }),
    new Reshape({ targetShape: [-1, 6] }),
    new LayerNormalization({ epsilon: 1e-2 }),
    new Dense({ units: 4, activation: "relu" }),
    new Flatten(),
    new Dense({ units: 2, activation: "softmax" }),
  ], { dtype, seed }).build(), seed);
}
