import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { Matrix } from "@backprop/linalg";
import type { Dataset } from "../data.js";

/*
 * TensorFlow.js 4.22 with its pure-JS CPU backend and its WASM (SIMD) backend, in this process.
 * Backends are switched with setBackend before every run; each entry owns its tensors.
 */

type Tf = typeof import("@tensorflow/tfjs-core");
type Tfl = typeof import("@tensorflow/tfjs-layers");
type Tensor2D = import("@tensorflow/tfjs-core").Tensor2D;
type Variable = import("@tensorflow/tfjs-core").Variable;

/** The loaded modules. */
export interface TfjsModules {
  readonly tf: Tf;
  readonly tfl: Tfl;
}

let loaded: TfjsModules | undefined;

/** Loads tfjs-core, -layers and both backends (once), silencing the "install tfjs-node" banner. */
export async function loadTfjs(): Promise<TfjsModules> {
  if (loaded) return loaded;
  const tf = await import("@tensorflow/tfjs-core");
  await import("@tensorflow/tfjs-backend-cpu");
  const wasm = await import("@tensorflow/tfjs-backend-wasm");
  const tfl = await import("@tensorflow/tfjs-layers");
  const require = createRequire(import.meta.url);
  const dist = join(dirname(require.resolve("@tensorflow/tfjs-backend-wasm/package.json")), "dist") + "/";
  wasm.setWasmPaths(dist);
  tf.env().set("PROD", true);
  await tf.setBackend("wasm");
  await tf.ready();
  await tf.setBackend("cpu");
  await tf.ready();
  loaded = { tf, tfl };
  return loaded;
}

/** The tfjs backends compared. */
export type TfBackend = "cpu" | "wasm";

function tensor(tf: Tf, m: Matrix): Tensor2D {
  return tf.tensor2d(m.data as Float32Array, [m.rows, m.cols], "float32");
}

function batches(tf: Tf, d: Dataset, size: number): [Tensor2D, Tensor2D][] {
  const out: [Tensor2D, Tensor2D][] = [];
  for (let s = 0; s < d.x.rows; s += size) {
    const e = Math.min(d.x.rows, s + size);
    out.push([tensor(tf, d.x.rowSlice(s, e)), tensor(tf, d.y.rowSlice(s, e))]);
  }
  return out;
}

/** A Keras-style model built with tfjs-layers: Dense(hidden, act) → Dense(out, outAct). */
function layersModel(m: TfjsModules, sizes: readonly number[], act: string, outAct: string, lr: number, loss: string) {
  const { tf, tfl } = m;
  const model = tfl.sequential();
  for (let i = 1; i < sizes.length; i++) {
    const last = i === sizes.length - 1;
    model.add(
      tfl.layers.dense({
        units: sizes[i] as number,
        activation: (last ? outAct : act) as "relu",
        ...(i === 1 ? { inputShape: [sizes[0] as number] } : {}),
      }),
    );
  }
  model.compile({ optimizer: tf.train.sgd(lr), loss });
  return model;
}

/** W1 with `model.fit` (epochs 1, batch 64, no shuffle). */
export function trainFit(m: TfjsModules, backend: TfBackend, d: Dataset, batchSize: number) {
  const { tf } = m;
  let model: ReturnType<typeof layersModel> | undefined;
  let xs: Tensor2D | undefined;
  let ys: Tensor2D | undefined;
  return {
    async setup() {
      await tf.setBackend(backend);
      model = layersModel(m, [784, 128, 10], "relu", "softmax", 0.01, "categoricalCrossentropy");
      xs = tensor(tf, d.x);
      ys = tensor(tf, d.y);
    },
    async run() {
      await tf.setBackend(backend);
      await model!.fit(xs!, ys!, { epochs: 1, batchSize, shuffle: false, verbose: 0 });
    },
  };
}

/** A hand-written MLP on raw variables, trained with `optimizer.minimize` per batch (no layers overhead). */
function rawMlp(tf: Tf, sizes: readonly number[], act: "relu" | "sigmoid", seed: number) {
  const vars: Variable[] = [];
  for (let i = 1; i < sizes.length; i++) {
    const fanIn = sizes[i - 1] as number;
    const fanOut = sizes[i] as number;
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    vars.push(tf.variable(tf.randomUniform([fanIn, fanOut], -limit, limit, "float32", seed + i)));
    vars.push(tf.variable(tf.zeros([1, fanOut])));
  }
  const forward = (x: Tensor2D): Tensor2D => {
    let h: Tensor2D = x;
    for (let l = 0; l < vars.length; l += 2) {
      const z = tf.add(tf.matMul(h, vars[l] as Variable), vars[l + 1] as Variable) as Tensor2D;
      h = l + 2 < vars.length ? (act === "relu" ? tf.relu(z) : tf.sigmoid(z)) : z;
    }
    return h;
  };
  return { vars, forward };
}

/** Loss heads of the raw MLP: softmax + cross-entropy on logits, or sigmoid + squared error. */
export type Head = "softmaxCrossEntropy" | "sigmoidMse";

function minimizeTrainer(tf: Tf, sizes: readonly number[], act: "relu" | "sigmoid", head: Head, lr: number) {
  const net = rawMlp(tf, sizes, act, 1);
  const opt = tf.train.sgd(lr);
  return (x: Tensor2D, y: Tensor2D): void => {
    tf.tidy(() => {
      opt.minimize(() => {
        const out = net.forward(x);
        return head === "softmaxCrossEntropy"
          ? tf.losses.softmaxCrossEntropy(y, out)
          : tf.losses.meanSquaredError(y, tf.sigmoid(out));
      }, false);
    });
  };
}

/** W1 with a hand-written `optimizer.minimize` loop over pre-sliced batches. */
export function trainMinimize(m: TfjsModules, backend: TfBackend, d: Dataset, batchSize: number) {
  const { tf } = m;
  let step: ((x: Tensor2D, y: Tensor2D) => void) | undefined;
  let bs: [Tensor2D, Tensor2D][] = [];
  return {
    async setup() {
      await tf.setBackend(backend);
      step = minimizeTrainer(tf, [784, 128, 10], "relu", "softmaxCrossEntropy", 0.01);
      bs = batches(tf, d, batchSize);
    },
    async run() {
      await tf.setBackend(backend);
      for (const [x, y] of bs) step!(x, y);
    },
  };
}

/** W2: `epochs` full-batch steps of a small net with `optimizer.minimize`. */
export function trainTiny(m: TfjsModules, backend: TfBackend, d: Dataset, sizes: readonly number[], head: Head, epochs: number) {
  const { tf } = m;
  let step: ((x: Tensor2D, y: Tensor2D) => void) | undefined;
  let x: Tensor2D | undefined;
  let y: Tensor2D | undefined;
  return {
    async setup() {
      await tf.setBackend(backend);
      step = minimizeTrainer(tf, sizes, "sigmoid", head, head === "sigmoidMse" ? 0.5 : 0.1);
      x = tensor(tf, d.x);
      y = tensor(tf, d.y);
    },
    async run() {
      await tf.setBackend(backend);
      for (let e = 0; e < epochs; e++) step!(x!, y!);
    },
  };
}

/** W3: `model.predict` on `batch` rows, `iterations` times (data read back each time). */
export function infer(m: TfjsModules, backend: TfBackend, x: Matrix, iterations: number) {
  const { tf } = m;
  let model: ReturnType<typeof layersModel> | undefined;
  let xs: Tensor2D | undefined;
  return {
    async setup() {
      await tf.setBackend(backend);
      model = layersModel(m, [784, 128, 10], "relu", "softmax", 0.01, "categoricalCrossentropy");
      xs = tensor(tf, x);
    },
    async run() {
      await tf.setBackend(backend);
      for (let i = 0; i < iterations; i++) {
        const out = model!.predict(xs!) as Tensor2D;
        out.dataSync();
        out.dispose();
      }
    },
  };
}

type Tensor4D = import("@tensorflow/tfjs-core").Tensor4D;

/** `m`'s rows as a batch of 28×28×1 images (NHWC), the layout of the CNN's input. */
function images(tf: Tf, m: Matrix): Tensor4D {
  return tf.tensor4d(m.data as Float32Array, [m.rows, 28, 28, 1], "float32");
}

/**
 * W4's CNN in tfjs-layers: conv 8@5×5 valid ReLU → max-pool 2 → conv 16@5×5 valid ReLU →
 * max-pool 2 → flatten → dense 10 softmax; SGD, categorical cross-entropy. Glorot-uniform kernels
 * and zero biases, as ours.
 */
export function cnnModel(m: TfjsModules, lr: number) {
  const { tf, tfl } = m;
  const model = tfl.sequential();
  model.add(tfl.layers.conv2d({ inputShape: [28, 28, 1], filters: 8, kernelSize: 5, padding: "valid", activation: "relu" }));
  model.add(tfl.layers.maxPooling2d({ poolSize: 2 }));
  model.add(tfl.layers.conv2d({ filters: 16, kernelSize: 5, padding: "valid", activation: "relu" }));
  model.add(tfl.layers.maxPooling2d({ poolSize: 2 }));
  model.add(tfl.layers.flatten());
  model.add(tfl.layers.dense({ units: 10, activation: "softmax" }));
  model.compile({ optimizer: tf.train.sgd(lr), loss: "categoricalCrossentropy" });
  return model;
}

/** W4 train: one epoch of `model.fit` on the images (no shuffle). */
export function cnnTrain(m: TfjsModules, backend: TfBackend, d: Dataset, batchSize: number) {
  const { tf } = m;
  let model: ReturnType<typeof cnnModel> | undefined;
  let xs: Tensor4D | undefined;
  let ys: Tensor2D | undefined;
  return {
    async setup() {
      await tf.setBackend(backend);
      model = cnnModel(m, 0.01);
      xs = images(tf, d.x);
      ys = tensor(tf, d.y);
    },
    async run() {
      await tf.setBackend(backend);
      await model!.fit(xs!, ys!, { epochs: 1, batchSize, shuffle: false, verbose: 0 });
    },
  };
}

/** W4 infer: `model.predict` on the images of `x` in one batch, `iterations` times (data read back each time). */
export function cnnInfer(m: TfjsModules, backend: TfBackend, x: Matrix, iterations: number) {
  const { tf } = m;
  let model: ReturnType<typeof cnnModel> | undefined;
  let xs: Tensor4D | undefined;
  return {
    async setup() {
      await tf.setBackend(backend);
      model = cnnModel(m, 0.01);
      xs = images(tf, x);
    },
    async run() {
      await tf.setBackend(backend);
      for (let i = 0; i < iterations; i++) {
        const out = model!.predict(xs!, { batchSize: x.rows }) as Tensor2D;
        out.dataSync();
        out.dispose();
      }
    },
  };
}
