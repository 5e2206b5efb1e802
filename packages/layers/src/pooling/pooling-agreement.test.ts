import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { Rng, Tensor } from "@backprop/linalg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Flatten } from "../flatten.js";
import type { Layer } from "../layer.js";
import { AveragePooling2D } from "./average-pooling2d.js";
import { GlobalAveragePooling2D, GlobalMaxPooling2D } from "./global-pooling2d.js";
import { MaxPooling2D } from "./max-pooling2d.js";
import type { PoolPadding } from "./pool2d.js";

/*
 * Our pooling layers against TensorFlow.js 4.22 (cpu backend) in float32: the forward output and the
 * input gradient of L = Σ y ⊙ R for a random R (tf.grad on the TF.js side), within 1e-6.
 */

const TOLERANCE = 1e-6;
const BATCH = 2;
const measured: { layer: string; forward: number; gradient: number }[] = [];

beforeAll(async () => {
  await tf.setBackend("cpu");
});

afterAll(() => {
  // POOLING_AGREEMENT_REPORT=1 prints the measured differences (the numbers quoted in reviews).
  if (process.env["POOLING_AGREEMENT_REPORT"]) console.table(measured);
});

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs((a[i] as number) - (b[i] as number)));
  return d;
}

/** Our layer's output and input gradient in float32 for x and the output weighting r. */
function ours(layer: Layer, x: Tensor, r: (outShape: readonly number[]) => Tensor): { y: Tensor; dy: Tensor; dx: Tensor } {
  layer.build(x.shape.slice(1), { dtype: "float32", rng: new Rng(0), prefix: "l" });
  const y = layer.forward(x, { training: true });
  const dy = r(y.shape);
  return { y, dy, dx: layer.backward(dy) };
}

/** The TF.js function's output, and tf.grad of Σ g(x) ⊙ dy (g = f unless given). */
function theirs(f: (x: tf.Tensor) => tf.Tensor, x: Tensor, dy: Tensor, g = f): { y: Float32Array; dx: Float32Array } {
  return tf.tidy(() => {
    const xt = tf.tensor(Array.from(x.data), [...x.shape], "float32");
    const dyt = tf.tensor(Array.from(dy.data), [...dy.shape], "float32");
    const y = f(xt);
    expect(y.shape).toEqual([...dy.shape]);
    const dx = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(g(v), dyt)))(xt);
    return { y: y.dataSync() as Float32Array, dx: dx.dataSync() as Float32Array };
  });
}

/**
 * Runs our layer and TF.js' `f` on the same random batch and output weighting; the gradient is
 * tf.grad of `g` (default `f`), for where TF.js' own gradient of `f` is not `f`'s derivative.
 */
function compare(label: string, layer: Layer, f: (x: tf.Tensor) => tf.Tensor, shape: number[], seed: number, g = f): void {
  const rng = new Rng(seed);
  const x = rng.fillNormal(new Tensor([BATCH, ...shape], "float32"));
  const { y, dy, dx } = ours(layer, x, (s) => rng.fillNormal(new Tensor(s, "float32")));
  const tfOut = theirs(f, x, dy, g);
  const forward = maxDiff(y.data, tfOut.y);
  const gradient = maxDiff(dx.data, tfOut.dx);
  measured.push({ layer: label, forward, gradient });
  expect(forward, `${label}: forward`).toBeLessThanOrEqual(TOLERANCE);
  expect(gradient, `${label}: input gradient`).toBeLessThanOrEqual(TOLERANCE);
}

/**
 * TF.js' average pooling written as a window sum over the count of cells inside the input, both
 * depthwise convolutions with a window of ones under the same padding rule: the same function as
 * tf.avgPool (checked below), but one whose tf.grad divides each window by its own count.
 */
function avgPoolBySums(x: tf.Tensor, pool: [number, number], strides: [number, number], padding: PoolPadding): tf.Tensor {
  const x4 = x as tf.Tensor4D;
  const ones = tf.ones([pool[0], pool[1], x4.shape[3], 1]) as tf.Tensor4D;
  const sums = tf.depthwiseConv2d(x4, ones, strides, padding);
  const counts = tf.depthwiseConv2d(tf.onesLike(x4), ones, strides, padding);
  return tf.div(sums, counts);
}

type Case = { shape: number[]; pool: [number, number]; strides: [number, number]; padding: PoolPadding };
const cases: Case[] = [];
for (const padding of ["valid", "same"] as const) {
  for (const stride of [1, 2]) {
    cases.push({ shape: [7, 5, 3], pool: [2, 2], strides: [stride, stride], padding });
    cases.push({ shape: [9, 7, 2], pool: [3, 3], strides: [stride, stride], padding });
  }
}
cases.push({ shape: [6, 9, 2], pool: [3, 2], strides: [2, 3], padding: "same" });
cases.push({ shape: [5, 5, 4], pool: [2, 2], strides: [2, 2], padding: "same" }); // defaults but same

const caseLabel = (c: Case) => `[${c.shape.join(", ")}] pool ${c.pool.join("×")} stride ${c.strides.join("×")} ${c.padding}`;

describe("pooling agrees with TensorFlow.js (cpu, float32) in output and input gradient", () => {
  cases.forEach((c, i) => {
    it(`MaxPooling2D ${caseLabel(c)}`, () => {
      const layer = new MaxPooling2D({ poolSize: c.pool, strides: c.strides, padding: c.padding });
      const tfLayer = tfl.layers.maxPooling2d({ poolSize: c.pool, strides: c.strides, padding: c.padding });
      compare(`maxPooling2d ${caseLabel(c)}`, layer, (x) => tfLayer.apply(x) as tf.Tensor, c.shape, 100 + i);
    });

    it(`AveragePooling2D ${caseLabel(c)}`, () => {
      const layer = new AveragePooling2D({ poolSize: c.pool, strides: c.strides, padding: c.padding });
      const tfLayer = tfl.layers.averagePooling2d({ poolSize: c.pool, strides: c.strides, padding: c.padding });
      const f = (x: tf.Tensor) => tfLayer.apply(x) as tf.Tensor;
      // NOTE: TF.js 4.22's AvgPoolGrad (cpu) multiplies by 1/(poolH·poolW) in every window, also
      // where "same" padding clips a window and the forward divided by fewer cells — so there its
      // gradient is not the derivative of its own output (TensorFlow's C++ kernel divides by the
      // count). Ours is (the float64 gradient checks prove it). For "same", the output is compared
      // with the TF.js layer, the gradient with tf.grad of the same function written as sums / counts.
      const g = c.padding === "same" ? (x: tf.Tensor) => avgPoolBySums(x, c.pool, c.strides, c.padding) : f;
      compare(`averagePooling2d ${caseLabel(c)}`, layer, f, c.shape, 200 + i, g);
    });
  });

  it("the sums / counts reference is TF.js' own average pooling (same output as tf.avgPool)", () => {
    const x = new Rng(9).fillNormal(new Tensor([BATCH, 7, 5, 3], "float32"));
    for (const padding of ["valid", "same"] as const) {
      tf.tidy(() => {
        const xt = tf.tensor4d(Array.from(x.data), [BATCH, 7, 5, 3]);
        const a = tf.avgPool(xt, [3, 3], [2, 1], padding).dataSync();
        const b = avgPoolBySums(xt, [3, 3], [2, 1], padding).dataSync();
        expect(maxDiff(a, b)).toBeLessThanOrEqual(TOLERANCE);
      });
    }
  });

  it("documents the TF.js divergence: its avgPool gradient for clipped 'same' windows uses 1/(poolH·poolW)", () => {
    // 3×3 image, 2×2 windows, stride 2, same: windows of 4, 2, 2 and 1 cells. d(Σy)/dx at the
    // bottom-right cell is 1 (it is its window's average alone); TF.js says 1/4.
    const x = Tensor.fromFlat([1, 3, 3, 1], [1, 2, 3, 4, 5, 6, 7, 8, 9], "float32");
    const pool = new AveragePooling2D({ padding: "same" });
    const { dx } = ours(pool, x, (s) => Tensor.full(s, 1, "float32"));
    expect(Array.from(dx.data)).toEqual([0.25, 0.25, 0.5, 0.25, 0.25, 0.5, 0.5, 0.5, 1]);
    const tfDx = tf.tidy(() => tf.grad((v: tf.Tensor) => tf.sum(tf.avgPool(v as tf.Tensor4D, 2, 2, "same")))(tf.tensor4d(Array.from(x.data), [1, 3, 3, 1])).dataSync());
    // If this starts failing, TF.js fixed its kernel: compare against tf.avgPool's gradient directly.
    expect(Array.from(tfDx)).toEqual([0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25]);
  });

  for (const shape of [[7, 5, 3], [4, 4, 8], [1, 1, 2]]) {
    it(`GlobalAveragePooling2D [${shape.join(", ")}]`, () => {
      const tfLayer = tfl.layers.globalAveragePooling2d({});
      compare(`globalAveragePooling2d [${shape.join(", ")}]`, new GlobalAveragePooling2D(), (x) => tfLayer.apply(x) as tf.Tensor, shape, 400 + shape[0]!);
    });

    it(`GlobalMaxPooling2D [${shape.join(", ")}]`, () => {
      const tfLayer = tfl.layers.globalMaxPooling2d({});
      compare(`globalMaxPooling2d [${shape.join(", ")}]`, new GlobalMaxPooling2D(), (x) => tfLayer.apply(x) as tf.Tensor, shape, 500 + shape[0]!);
    });
  }

  // (TF.js' Flatten wants at least two axes per sample; ours, like Keras', also takes one, unchanged.)
  for (const shape of [[7, 5, 3], [4, 6], [3, 1, 2, 2]]) {
    it(`Flatten [${shape.join(", ")}]`, () => {
      const tfLayer = tfl.layers.flatten();
      compare(`flatten [${shape.join(", ")}]`, new Flatten(), (x) => tfLayer.apply(x) as tf.Tensor, shape, 600 + shape[0]!);
    });
  }
});
