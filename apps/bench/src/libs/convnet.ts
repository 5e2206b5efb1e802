import { createRequire } from "node:module";
import type { Matrix } from "@backprop/linalg";
import type { Dataset } from "../data.js";

/*
 * ConvNetJS 0.3.0 (Karpathy), the classic pure-JavaScript CNN library. It works on one sample at
 * a time in float64 (`Vol`s of Float64Array, channels last like NHWC): its `Trainer` runs forward
 * and backward per sample, accumulates the gradients, and updates every `batch_size` samples with
 * the mean gradient — mini-batch SGD, computed sample by sample.
 */

interface Vol {
  readonly w: Float64Array;
}
/** The parts of a ConvNetJS network the bench uses. */
export interface ConvnetNet {
  readonly layers: readonly { readonly layer_type: string; readonly out_sx: number; readonly out_sy: number; readonly out_depth: number }[];
  makeLayers(defs: Record<string, unknown>[]): void;
  forward(v: Vol, isTraining?: boolean): Vol;
  getParamsAndGrads(): { params: ArrayLike<number> }[];
}
interface Trainer {
  train(x: Vol, y: number): unknown;
}
interface ConvnetModule {
  Net: new () => ConvnetNet;
  Vol: new (sx: number, sy: number, depth: number, fill?: number) => Vol;
  Trainer: new (net: ConvnetNet, options: Record<string, unknown>) => Trainer;
}

let convnet: ConvnetModule | undefined;

/** Loads ConvNetJS (CommonJS) once. */
export function loadConvnet(): ConvnetModule {
  convnet ??= createRequire(import.meta.url)("convnetjs") as ConvnetModule;
  return convnet;
}

/**
 * W4's CNN in ConvNetJS's layer definitions. `pad: 0` and `stride: 1` are its defaults (valid
 * convolution), written out so the geometry is visible: 28 → 24 → 12 → 8 → 4. The softmax layer
 * brings its own fully connected layer of 10 units (ConvNetJS adds it), so the last pool's
 * 4×4×16 output feeds it directly, as Flatten + Dense does in ours.
 */
export function convnetCnn(m: ConvnetModule = loadConvnet()): ConvnetNet {
  const net = new m.Net();
  net.makeLayers([
    { type: "input", out_sx: 28, out_sy: 28, out_depth: 1 },
    { type: "conv", sx: 5, filters: 8, stride: 1, pad: 0, activation: "relu" },
    { type: "pool", sx: 2, stride: 2 },
    { type: "conv", sx: 5, filters: 16, stride: 1, pad: 0, activation: "relu" },
    { type: "pool", sx: 2, stride: 2 },
    { type: "softmax", num_classes: 10 },
  ]);
  return net;
}

/** One `Vol` per row of `x` (made once, outside the timed runs). */
function volumes(m: ConvnetModule, x: Matrix): Vol[] {
  const out: Vol[] = [];
  for (let i = 0; i < x.rows; i++) {
    const v = new m.Vol(28, 28, 1, 0);
    v.w.set(x.data.subarray(i * x.cols, (i + 1) * x.cols));
    out.push(v);
  }
  return out;
}

/** The class index of each one-hot row (ConvNetJS' softmax takes the index). */
function labels(y: Matrix): number[] {
  const out: number[] = [];
  for (let i = 0; i < y.rows; i++) {
    let best = 0;
    for (let j = 1; j < y.cols; j++) if ((y.data[i * y.cols + j] as number) > (y.data[i * y.cols + best] as number)) best = j;
    out.push(best);
  }
  return out;
}

/** W4 train: one pass of `Trainer.train` over every sample; plain SGD (no momentum, no decay). */
export function convnetTrain(d: Dataset, batchSize: number, lr: number) {
  const m = loadConvnet();
  const net = convnetCnn(m);
  // NOTE: the Trainer's defaults are momentum 0.9 and method "sgd"; momentum 0 makes it plain SGD.
  const trainer = new m.Trainer(net, { method: "sgd", learning_rate: lr, batch_size: batchSize, momentum: 0, l1_decay: 0, l2_decay: 0 });
  const xs = volumes(m, d.x);
  const ys = labels(d.y);
  return {
    run() {
      for (let i = 0; i < xs.length; i++) trainer.train(xs[i] as Vol, ys[i] as number);
    },
  };
}

/** W4 infer: `forward` on each row of `x` (ConvNetJS has no batched forward), `iterations` times. */
export function convnetInfer(x: Matrix, iterations: number) {
  const m = loadConvnet();
  const net = convnetCnn(m);
  const xs = volumes(m, x);
  return {
    run() {
      for (let it = 0; it < iterations; it++) for (const v of xs) net.forward(v, false);
    },
  };
}
