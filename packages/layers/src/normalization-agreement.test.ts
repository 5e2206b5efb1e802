import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { Rng, Tensor, type Shape } from "@backprop/linalg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BatchNormalization } from "./batch-normalization.js";
import type { Layer } from "./layer.js";
import { LayerNormalization } from "./layer-normalization.js";

/*
 * Our BatchNormalization and LayerNormalization against @tensorflow/tfjs-layers 4.22 on the cpu
 * backend, in float32, with the same weights: outputs, moving statistics and gradients agree
 * within 1e-5. BACKPROP_LOG_DIFFS=1 prints the measured maximum differences.
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

/** Our layer built in float32, and the tfjs layer built for the same input shape, with our weights copied over. */
function pair<L extends Layer>(ours: L, theirs: tfl.layers.Layer, shape: Shape, seed: number): L {
  ours.build(shape, { dtype: "float32", rng: new Rng(seed), prefix: "l" });
  // Random weights, not the initial 1s and 0s, so every one of them matters. The variances stay positive.
  const rng = new Rng(seed + 100);
  for (const p of ours.params()) {
    if (p.name.endsWith("movingVariance")) rng.fillUniform(p.value, 0.3, 2.5);
    else rng.fillNormal(p.value, p.name.endsWith("gamma") ? 1 : 0, 0.6);
  }
  theirs.build([null, ...shape]);
  theirs.setWeights(ours.params().map((p) => toTf(p.value)));
  return ours;
}

function randomBatch(shape: Shape, batch: number, seed: number, mean = 0, std = 1): Tensor {
  return new Rng(seed).fillNormal(new Tensor([batch, ...shape], "float32"), mean, std);
}

/** Gradients of Σ layer(x) ⊙ r with respect to x and the layer's trainable variables (gamma, beta). */
function tfjsGradients(layer: tfl.layers.Layer, x: Tensor, r: Tensor, training: boolean): { dx: Float32Array; dVars: Float32Array[] } {
  const rt = toTf(r);
  const f = (input: tf.Tensor): tf.Scalar => tf.sum(tf.mul(layer.apply(input, { training }) as tf.Tensor, rt));
  const dx = tf.grad(f)(toTf(x)).dataSync() as Float32Array;
  const vars = layer.trainableWeights.map((w) => w.read() as tf.Variable);
  const { grads } = tf.variableGrads(() => f(toTf(x)), vars);
  return { dx, dVars: vars.map((v) => grads[v.name]!.dataSync() as Float32Array) };
}

const SHAPES: [string, Shape][] = [
  ["[features]", [5]],
  ["[h, w, c]", [3, 4, 3]],
];

describe("BatchNormalization agrees with tfjs-layers (float32, cpu)", () => {
  for (const [label, shape] of SHAPES) {
    it(`forward in training and inference mode on ${label}`, () => {
      const theirs = tfl.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-3 });
      const ours = pair(new BatchNormalization({ momentum: 0.9 }), theirs, shape, 1);
      const x = randomBatch(shape, 6, 2, 1.5, 2);
      expectAgree(`BN ${label} inference forward`, ours.forward(x, { training: false }).data, (theirs.apply(toTf(x), { training: false }) as tf.Tensor).dataSync());
      expectAgree(`BN ${label} training forward`, ours.forward(x, { training: true }).data, (theirs.apply(toTf(x), { training: true }) as tf.Tensor).dataSync());
    });

    it(`the moving statistics after 3 training calls, then inference with them, on ${label}`, () => {
      const theirs = tfl.layers.batchNormalization({ momentum: 0.8 });
      const ours = pair(new BatchNormalization({ momentum: 0.8 }), theirs, shape, 3);
      for (let k = 0; k < 3; k++) {
        const x = randomBatch(shape, 4 + k, 10 + k, k - 1, 1 + k);
        ours.forward(x, { training: true });
        (theirs.apply(toTf(x), { training: true }) as tf.Tensor).dispose();
      }
      const [, , movingMean, movingVariance] = theirs.getWeights();
      expectAgree(`BN ${label} moving mean after 3 steps`, ours.movingMean.value.data, movingMean!.dataSync());
      expectAgree(`BN ${label} moving variance after 3 steps`, ours.movingVariance.value.data, movingVariance!.dataSync());
      const x = randomBatch(shape, 5, 20, 0.5, 3);
      expectAgree(`BN ${label} inference after training`, ours.forward(x).data, (theirs.apply(toTf(x), { training: false }) as tf.Tensor).dataSync());
    });

    for (const training of [true, false]) {
      it(`input, gamma and beta gradients (tf.grad) in ${training ? "training" : "inference"} mode on ${label}`, () => {
        const theirs = tfl.layers.batchNormalization({ momentum: 0.9 });
        const ours = pair(new BatchNormalization({ momentum: 0.9 }), theirs, shape, 4);
        const x = randomBatch(shape, 6, 5, -0.5, 1.5);
        const r = randomBatch(shape, 6, 6);
        ours.forward(x, { training });
        for (const p of ours.params()) p.grad.fill(0);
        const dx = ours.backward(r).data;
        const expected = tfjsGradients(theirs, x, r, training);
        const mode = training ? "training" : "inference";
        expectAgree(`BN ${label} ${mode} dx`, dx, expected.dx);
        expectAgree(`BN ${label} ${mode} dgamma`, ours.gamma!.grad.data, expected.dVars[0]!);
        expectAgree(`BN ${label} ${mode} dbeta`, ours.beta!.grad.data, expected.dVars[1]!);
      });
    }
  }
});

describe("LayerNormalization agrees with tfjs-layers (float32, cpu)", () => {
  for (const [label, shape] of SHAPES) {
    it(`forward, and input, gamma and beta gradients (tf.grad) on ${label}`, () => {
      const theirs = tfl.layers.layerNormalization({ epsilon: 1e-3 });
      const ours = pair(new LayerNormalization(), theirs, shape, 7);
      const x = randomBatch(shape, 4, 8, 2, 1.5);
      const r = randomBatch(shape, 4, 9);
      expectAgree(`LN ${label} forward`, ours.forward(x).data, (theirs.apply(toTf(x)) as tf.Tensor).dataSync());
      for (const p of ours.params()) p.grad.fill(0);
      const dx = ours.backward(r).data;
      const expected = tfjsGradients(theirs, x, r, true);
      expectAgree(`LN ${label} dx`, dx, expected.dx);
      expectAgree(`LN ${label} dgamma`, ours.gamma!.grad.data, expected.dVars[0]!);
      expectAgree(`LN ${label} dbeta`, ours.beta!.grad.data, expected.dVars[1]!);
    });
  }
});
