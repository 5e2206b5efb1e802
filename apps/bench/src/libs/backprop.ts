import { Conv2D, Dense, Flatten, MaxPooling2D, Sequential } from "@backprop/layers";
import { setBackend, useBackend, type KernelBackend, type Matrix } from "@backprop/linalg";
import type { ThreadedWasmBackend } from "@backprop/linalg/threads";
import { sgd } from "@backprop/optimizers";
import type { Dataset } from "../data.js";

/*
 * Ours: the public API a user would write (Sequential + Dense + sgd), float32 like the peers.
 * Each entry selects its kernel backend for the duration of its run and restores the previous one.
 */

/** Runs `fn` with `backend` active. */
export function withBackend<T>(backend: KernelBackend, fn: () => T): T {
  const previous = setBackend(backend);
  try {
    return fn();
  } finally {
    setBackend(previous);
  }
}

/** The kernel backend of a row: resolved once by name. */
export function backendNamed(name: "typescript" | "wasm"): KernelBackend {
  const previous = useBackend(name);
  return setBackend(previous);
}

let twoThreads: Promise<ThreadedWasmBackend> | undefined;

/**
 * The WASM backend with each large product split across two threads (this one and a helper);
 * created once, its helper left idle (unref'd) between runs.
 */
export function twoThreadBackend(): Promise<ThreadedWasmBackend> {
  // Loaded only here: a one-thread row loads no threads module, as a user of that backend would not.
  twoThreads ??= import("@backprop/linalg/threads").then((threads) => threads.createThreadedWasmBackend({ threads: 2 }));
  return twoThreads;
}

function mlp(sizes: readonly number[], act: "relu" | "sigmoid", outAct: "softmax" | "sigmoid"): Sequential {
  const layers: Dense[] = [];
  for (let i = 1; i < sizes.length; i++) {
    const last = i === sizes.length - 1;
    layers.push(
      new Dense({
        units: sizes[i] as number,
        activation: last ? outAct : act,
        ...(i === 1 ? { inputDim: sizes[0] as number } : {}),
      }),
    );
  }
  return new Sequential(layers, { dtype: "float32", seed: 1 });
}

/** W1: one epoch of `fit` (batch 64, no shuffle) on the MNIST-shaped data. */
export function oursTrain(backend: KernelBackend, d: Dataset, batchSize: number) {
  const model = mlp([784, 128, 10], "relu", "softmax");
  model.compile({ loss: "categoricalCrossentropy", optimizer: sgd({ lr: 0.01 }) });
  return {
    run() {
      withBackend(backend, () => model.fit(d.x, d.y, { epochs: 1, batchSize, shuffle: false }));
    },
  };
}

/** W2: `epochs` full-batch epochs of a small sigmoid net (MSE for XOR, softmax + CE for Iris). */
export function oursTiny(backend: KernelBackend, d: Dataset, sizes: readonly number[], epochs: number) {
  const softmax = (sizes[sizes.length - 1] as number) > 1;
  const model = mlp(sizes, "sigmoid", softmax ? "softmax" : "sigmoid");
  model.compile({
    loss: softmax ? "categoricalCrossentropy" : "meanSquaredError",
    optimizer: sgd({ lr: softmax ? 0.1 : 0.5 }),
  });
  return {
    run() {
      withBackend(backend, () => model.fit(d.x, d.y, { epochs, batchSize: d.x.rows, shuffle: false }));
    },
  };
}

/**
 * W3: `predict` on all rows of `x` in one batch, `iterations` times — or, with `frozen`, the same
 * calls on `model.predictor({ batchSize })` (the model's weights copied once, held by the backend).
 */
export function oursInfer(backend: KernelBackend, x: Matrix, iterations: number, frozen = false) {
  const model = mlp([784, 128, 10], "relu", "softmax");
  model.compile({ loss: "categoricalCrossentropy", optimizer: sgd({ lr: 0.01 }) });
  const predictor = frozen ? model.predictor({ batchSize: x.rows }) : undefined;
  return {
    run() {
      withBackend(backend, () => {
        if (predictor) for (let i = 0; i < iterations; i++) predictor.predict(x);
        else for (let i = 0; i < iterations; i++) model.predict(x, { batchSize: x.rows });
      });
    },
  };
}

/**
 * W4's CNN: conv 8@5×5 valid ReLU → max-pool 2 → conv 16@5×5 valid ReLU → max-pool 2 → flatten →
 * dense 10 softmax, on 28×28×1 images (NHWC), float32, categorical cross-entropy with SGD lr 0.01.
 */
export function cnn(): Sequential {
  const model = new Sequential(
    [
      new Conv2D({ filters: 8, kernelSize: 5, padding: "valid", activation: "relu", inputShape: [28, 28, 1] }),
      new MaxPooling2D({ poolSize: 2 }),
      new Conv2D({ filters: 16, kernelSize: 5, padding: "valid", activation: "relu" }),
      new MaxPooling2D({ poolSize: 2 }),
      new Flatten(),
      new Dense({ units: 10, activation: "softmax" }),
    ],
    { dtype: "float32", seed: 1 },
  );
  model.compile({ loss: "categoricalCrossentropy", optimizer: sgd({ lr: 0.01 }) });
  return model;
}

/** W4 train: one epoch of `fit` (no shuffle); `fit` reshapes the n×784 rows to 28×28×1 images. */
export function oursCnnTrain(backend: KernelBackend, d: Dataset, batchSize: number) {
  const model = cnn();
  return {
    run() {
      withBackend(backend, () => model.fit(d.x, d.y, { epochs: 1, batchSize, shuffle: false }));
    },
  };
}

/** W4 infer: `predict` on all rows of `x` in one batch, `iterations` times. */
export function oursCnnInfer(backend: KernelBackend, x: Matrix, iterations: number) {
  const model = cnn();
  return {
    run() {
      withBackend(backend, () => {
        for (let i = 0; i < iterations; i++) model.predict(x, { batchSize: x.rows });
      });
    },
  };
}
