import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { Rng, Tensor, type Shape } from "@backprop/linalg";
import { adam } from "@backprop/optimizers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Dense } from "../dense.js";
import type { Layer, TimeMask } from "../layer.js";
import { Masking } from "../masking.js";
import { Sequential } from "../model/sequential.js";
import { GRU, LSTM, SimpleRNN } from "./recurrent-layers.js";
import type { RNN } from "./rnn.js";

/*
 * Our LSTM, GRU and SimpleRNN against @tensorflow/tfjs-layers 4.22 on the cpu backend, in float32.
 * The weights use the Keras / TF.js layout (kernel [inputDim, gates·units], recurrentKernel
 * [units, gates·units], bias [gates·units]; gates i,f,c,o and z,r,h), so they are copied across
 * unchanged — which is itself part of what is tested: a wrong gate order or transposed kernel
 * would show up as a disagreement everywhere below.
 *
 * 1. Forward: the last step and whole sequences, goBackwards, LSTM unitForgetBias (the initial
 *    bias), GRU resetAfter: false, and padded sequences (a Masking layer in front, on both sides).
 * 2. Training: LSTM → Dense(1) and GRU → Dense(1), MSE and Adam, 20 trainOnBatch steps: the loss
 *    of every step and the final weights.
 * 3. Gradients: dLoss/dInput and dLoss/d(every weight) of L = Σ output ⊙ R against tf.grad and
 *    tf.variableGrads, plain and with goBackwards + returnSequences + a mask.
 * 4. GRU resetAfter: true (Keras' default) has no TF.js 4 layer, so the reference there is the
 *    documented Keras formula written out in TF.js ops (see `kerasGruResetAfter`).
 *
 * Not compared: hardSigmoid. TF.js' hardSigmoid is clip(0.2·x + 0.5, 0, 1) (Keras 2), ours is
 * Keras 3's clip((x + 3) / 6, 0, 1) = relu6(x + 3) / 6; the two differ on purpose. TF.js 4 also
 * defaults recurrentActivation to hardSigmoid where Keras and we default to sigmoid, so the TF.js
 * layers below are given recurrentActivation: "sigmoid" explicitly. Likewise TF.js' LSTM defaults
 * unitForgetBias to false (Keras and we: true), so it is always given explicitly.
 *
 * Tolerance 1e-5: absolute for outputs and losses (all of order 1), relative to the largest
 * magnitude (at least 1) for gradients and trained weights, which are sums over batch and time.
 * BACKPROP_LOG_DIFFS=1 prints the measured maximum differences.
 */

const TOLERANCE = 1e-5;
const UNITS = 3;
const measured: { what: string; diff: number }[] = [];

beforeAll(async () => {
  await tf.setBackend("cpu");
});

afterAll(() => {
  if (process.env["BACKPROP_LOG_DIFFS"]) console.table(measured);
});

function maxAbsDiff(ours: ArrayLike<number>, theirs: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < ours.length; i++) d = Math.max(d, Math.abs((ours[i] as number) - (theirs[i] as number)));
  return d;
}

function maxAbs(values: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < values.length; i++) m = Math.max(m, Math.abs(values[i] as number));
  return m;
}

/** Asserts |ours − theirs| < 1e-5 everywhere (relative to max(1, max|theirs|) when `relative`) and records the difference. */
function expectAgree(what: string, ours: ArrayLike<number>, theirs: ArrayLike<number>, relative = false): void {
  expect(ours.length, `${what}: length`).toBe(theirs.length);
  const diff = maxAbsDiff(ours, theirs) / (relative ? Math.max(1, maxAbs(theirs)) : 1);
  measured.push({ what, diff });
  expect(diff, what).toBeLessThan(TOLERANCE);
}

const toTf = (t: Tensor): tf.Tensor => tf.tensor(Array.from(t.data), [...t.shape], "float32");

function randomSequences(batch: number, steps: number, features: number, seed: number): Tensor {
  return new Rng(seed).fillNormal(new Tensor([batch, steps, features], "float32"));
}

/** Non-default weights (biases included) so that every one of them matters. */
function randomizeWeights(layers: readonly Layer[], seed: number): void {
  const rng = new Rng(seed);
  for (const layer of layers) for (const p of layer.params()) rng.fillNormal(p.value, 0, 0.5);
}

/** Builds our layer for `[steps, features]` inputs in float32 with random weights. */
function buildOurs(layer: RNN, inputShape: Shape, seed: number): RNN {
  layer.build(inputShape, { dtype: "float32", rng: new Rng(seed), prefix: "rnn" });
  randomizeWeights([layer], seed + 100);
  return layer;
}

/**
 * Builds a TF.js recurrent layer by applying it once. (Its `build()` alone leaves `built` false, so
 * the next `apply` builds the cell again and fails with "Duplicate weight name kernel".)
 */
function buildTfjsLayer(theirs: tfl.layers.Layer, inputShape: Shape): void {
  tf.dispose(theirs.apply(tf.zeros([1, ...inputShape])) as tf.Tensor);
}

/** Builds the TF.js layer for the same input shape and gives it our weights, as they are. */
function copyWeightsToTfjs(ours: RNN, theirs: tfl.layers.Layer, inputShape: Shape): void {
  buildTfjsLayer(theirs, inputShape);
  const ourWeights = ours.params().map((p) => p.value);
  expect(theirs.getWeights().map((w) => w.shape)).toEqual(ourWeights.map((w) => [...w.shape]));
  theirs.setWeights(ourWeights.map(toTf));
}

/** Sets the same weights in both models (same layer order and layout). */
function copyModelWeightsToTfjs(ours: Sequential, theirs: tfl.Sequential): void {
  const ourWeights = ours.getWeights();
  expect(theirs.getWeights().map((w) => w.shape)).toEqual(ourWeights.map((w) => [...w.shape]));
  theirs.setWeights(ourWeights.map(toTf));
}

/** Per sample of a batch of 3 × 6 steps: 1 = real, 0 = padding. Full; padded at the end; padded at the start and in the middle. */
const PADDING_PATTERN = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 1, 1, 0, 1, 1];

function timeMask(batch: number, steps: number, pattern: readonly number[]): TimeMask {
  return { batch, steps, data: Uint8Array.from(pattern) };
}

/** `x` with the padded steps of `mask` set to zeros (what a Masking layer with maskValue 0 recognises). */
function zeroPaddedSteps(x: Tensor, mask: TimeMask): Tensor {
  const padded = x.clone();
  const features = x.size / (mask.batch * mask.steps);
  mask.data.forEach((real, step) => {
    if (real === 0) padded.data.fill(0, step * features, (step + 1) * features);
  });
  return padded;
}

interface LoopOptions {
  readonly returnSequences?: boolean;
  readonly goBackwards?: boolean;
}

/** One of our recurrent layers and its TF.js twin, both given the same loop options. */
interface RecurrentKind {
  readonly name: string;
  readonly ours: (options: LoopOptions) => RNN;
  readonly theirs: (options: LoopOptions) => tfl.layers.Layer;
}

/**
 * The TF.js layers are built with a glorotUniform recurrent kernel instead of their default
 * orthogonal one: tfjs-layers' orthogonal initializer calls the chained op `Tensor.flatten`, which
 * is not registered when only tfjs-core and the cpu backend are imported. The weights are replaced
 * by ours anyway.
 */
const TFJS_RECURRENT_INITIALIZER = "glorotUniform";

const KINDS: readonly RecurrentKind[] = [
  {
    name: "LSTM",
    ours: (o) => new LSTM({ units: UNITS, ...o }),
    theirs: (o) =>
      tfl.layers.lstm({ units: UNITS, recurrentActivation: "sigmoid", unitForgetBias: true, recurrentInitializer: TFJS_RECURRENT_INITIALIZER, ...o }),
  },
  {
    name: "GRU (resetAfter: false)",
    ours: (o) => new GRU({ units: UNITS, resetAfter: false, ...o }),
    theirs: (o) => tfl.layers.gru({ units: UNITS, recurrentActivation: "sigmoid", recurrentInitializer: TFJS_RECURRENT_INITIALIZER, ...o }),
  },
  {
    name: "SimpleRNN",
    ours: (o) => new SimpleRNN({ units: UNITS, ...o }),
    theirs: (o) => tfl.layers.simpleRNN({ units: UNITS, recurrentInitializer: TFJS_RECURRENT_INITIALIZER, ...o }),
  },
];

const LOOP_VARIANTS: readonly [string, LoopOptions][] = [
  ["last step", {}],
  ["returnSequences", { returnSequences: true }],
  ["goBackwards, last step", { goBackwards: true }],
  ["goBackwards + returnSequences", { goBackwards: true, returnSequences: true }],
];

describe.each(KINDS)("$name forward agrees with tfjs-layers", (kind) => {
  const inputShape: Shape = [5, 2];

  it.each(LOOP_VARIANTS)("%s", (variant, options) => {
    const ours = buildOurs(kind.ours(options), inputShape, 1);
    const theirs = kind.theirs(options);
    copyWeightsToTfjs(ours, theirs, inputShape);
    const x = randomSequences(4, 5, 2, 2);
    const ourOutput = ours.forward(x);
    const theirOutput = theirs.apply(toTf(x)) as tf.Tensor;
    expect([...ourOutput.shape]).toEqual(theirOutput.shape);
    expectAgree(`${kind.name} forward, ${variant}`, ourOutput.data, theirOutput.dataSync());
  });

  it.each(LOOP_VARIANTS.filter(([, o]) => o.returnSequences))("padded sequences behind a Masking layer, %s", (variant, options) => {
    const steps = 6;
    const ours = new Sequential([new Masking({ maskValue: 0, inputShape: [steps, 2] }), kind.ours(options)], { seed: 3 }).build();
    randomizeWeights(ours.layers, 4);
    const theirs = tfl.sequential({ layers: [tfl.layers.masking({ maskValue: 0, inputShape: [steps, 2] }), kind.theirs(options)] });
    copyModelWeightsToTfjs(ours, theirs);
    const x = zeroPaddedSteps(randomSequences(3, steps, 2, 5), timeMask(3, steps, PADDING_PATTERN));
    const theirOutput = (theirs.predict(toTf(x)) as tf.Tensor).dataSync();
    expectAgree(`${kind.name} forward, masked, ${variant}`, ours.predict(x).data, theirOutput);
  });
});

describe("LSTM unitForgetBias agrees with tfjs-layers", () => {
  const inputShape: Shape = [4, 2];

  it.each([true, false])("unitForgetBias: %s gives the same initial bias and output", (unitForgetBias) => {
    // A non-zero bias initializer, so that "forget slice = 1, the rest from the initializer" is visible.
    const ours = new LSTM({ units: UNITS, unitForgetBias, biasInitializer: { name: "constant", config: { value: 0.3 } } });
    ours.build(inputShape, { dtype: "float32", rng: new Rng(6), prefix: "rnn" });
    const theirs = tfl.layers.lstm({
      units: UNITS,
      recurrentActivation: "sigmoid",
      unitForgetBias,
      recurrentInitializer: TFJS_RECURRENT_INITIALIZER,
      biasInitializer: tfl.initializers.constant({ value: 0.3 }),
    });
    buildTfjsLayer(theirs, inputShape);
    const [kernel, recurrentKernel, bias] = ours.params().map((p) => p.value) as [Tensor, Tensor, Tensor];
    const theirBias = theirs.getWeights()[2] as tf.Tensor;
    expectAgree(`LSTM initial bias, unitForgetBias ${unitForgetBias}`, bias.data, theirBias.dataSync());
    // Only the kernels are copied; each side keeps the bias it initialised itself.
    theirs.setWeights([toTf(kernel), toTf(recurrentKernel), theirBias]);
    const x = randomSequences(3, 4, 2, 7);
    expectAgree(`LSTM forward, own biases, unitForgetBias ${unitForgetBias}`, ours.forward(x).data, (theirs.apply(toTf(x)) as tf.Tensor).dataSync());
  });
});

describe("training agrees with tfjs-layers: 20 Adam steps of MSE", () => {
  const steps = 5;
  const features = 2;
  const recurrentModels: readonly [string, () => RNN, () => tfl.layers.Layer][] = [
    [
      "LSTM(4) → Dense(1)",
      () => new LSTM({ units: 4, inputShape: [steps, features] }),
      () => tfl.layers.lstm({
          units: 4,
          recurrentActivation: "sigmoid",
          unitForgetBias: true,
          recurrentInitializer: TFJS_RECURRENT_INITIALIZER,
          inputShape: [steps, features],
        }),
    ],
    [
      "GRU(4, resetAfter: false) → Dense(1)",
      () => new GRU({ units: 4, resetAfter: false, inputShape: [steps, features] }),
      () => tfl.layers.gru({ units: 4, recurrentActivation: "sigmoid", recurrentInitializer: TFJS_RECURRENT_INITIALIZER, inputShape: [steps, features] }),
    ],
  ];

  it.each(recurrentModels)("%s", async (name, ourRecurrent, theirRecurrent) => {
    const ours = new Sequential([ourRecurrent(), new Dense({ units: 1 })], { seed: 8 }).build();
    const theirs = tfl.sequential({ layers: [theirRecurrent(), tfl.layers.dense({ units: 1 })] });
    // Their initial weights are ours (Keras initializers: glorotUniform, orthogonal, forget bias 1).
    copyModelWeightsToTfjs(ours, theirs);
    const initial = ours.getWeights();
    const x = randomSequences(8, steps, features, 9);
    const y = new Rng(10).fillNormal(new Tensor([8, 1], "float32"));
    const [tx, ty] = [toTf(x), toTf(y)];

    // ε is given on both sides: TF.js' default is 1e-7, ours (PyTorch's) 1e-8; both add it to √v̂.
    ours.compile({ loss: "meanSquaredError", optimizer: adam({ lr: 0.01, eps: 1e-7 }) });
    theirs.compile({ loss: "meanSquaredError", optimizer: tf.train.adam(0.01, 0.9, 0.999, 1e-7) });
    let worstLossDiff = 0;
    for (let step = 0; step < 20; step++) {
      const ourLoss = ours.trainOnBatch(x, y);
      const theirLoss = (await theirs.trainOnBatch(tx, ty)) as number;
      worstLossDiff = Math.max(worstLossDiff, Math.abs(ourLoss - theirLoss));
      expect(Math.abs(ourLoss - theirLoss), `${name}: loss at step ${step}`).toBeLessThan(TOLERANCE);
    }
    measured.push({ what: `${name}: loss, worst of 20 steps`, diff: worstLossDiff });
    const trained = ours.getWeights();
    theirs.getWeights().forEach((w, i) => {
      expectAgree(`${name}: weight ${i} after 20 steps`, (trained[i] as Tensor).data, w.dataSync(), true);
    });
    // Training moved the weights: the comparison is not of two untouched copies.
    expect(maxAbsDiff((trained[0] as Tensor).data, (initial[0] as Tensor).data)).toBeGreaterThan(1e-2);
  });
});

/** dLoss/dInput and dLoss/d(kernel, recurrentKernel, bias) of L = Σ output ⊙ R (so dL/dOutput = R). */
interface Gradients {
  readonly input: ArrayLike<number>;
  readonly weights: readonly ArrayLike<number>[];
}

function ourGradients(layer: RNN, x: Tensor, r: Tensor, mask: TimeMask | undefined): Gradients {
  for (const p of layer.params()) p.zeroGrad();
  layer.forward(x, { training: true, ...(mask ? { mask } : {}) });
  const input = Float32Array.from(layer.backward(r).data);
  return { input, weights: layer.params().map((p) => Float32Array.from(p.grad.data)) };
}

function tfjsGradients(layer: tfl.layers.Layer, x: Tensor, r: Tensor, mask: TimeMask | undefined): Gradients {
  const tr = toTf(r);
  const tmask = mask ? tf.tensor2d(Array.from(mask.data), [mask.batch, mask.steps], "float32") : undefined;
  const loss = (input: tf.Tensor): tf.Scalar => tf.sum(tf.mul(layer.apply(input, tmask ? { mask: tmask } : {}) as tf.Tensor, tr));
  const input = tf.grad(loss)(toTf(x)).dataSync();
  const variables = layer.trainableWeights.map((w) => w.read() as tf.Variable);
  const { grads } = tf.variableGrads(() => loss(toTf(x)), variables);
  return { input, weights: variables.map((v) => (grads[v.name] as tf.Tensor).dataSync()) };
}

const WEIGHT_NAMES = ["kernel", "recurrentKernel", "bias"] as const;

function expectSameGradients(what: string, ours: Gradients, theirs: Gradients): void {
  expectAgree(`${what}: dInput`, ours.input, theirs.input, true);
  expect(ours.weights.length, `${what}: number of weights`).toBe(theirs.weights.length);
  ours.weights.forEach((g, i) => expectAgree(`${what}: d${WEIGHT_NAMES[i] ?? i}`, g, theirs.weights[i] as ArrayLike<number>, true));
}

const GRADIENT_VARIANTS: readonly [string, LoopOptions, boolean][] = [
  ["last step", {}, false],
  ["returnSequences + goBackwards + mask", { returnSequences: true, goBackwards: true }, true],
];

describe.each(KINDS)("$name gradients agree with tf.grad and tf.variableGrads", (kind) => {
  const inputShape: Shape = [6, 2];

  it.each(GRADIENT_VARIANTS)("%s", (variant, options, masked) => {
    const ours = buildOurs(kind.ours(options), inputShape, 11);
    const theirs = kind.theirs(options);
    copyWeightsToTfjs(ours, theirs, inputShape);
    const x = randomSequences(3, 6, 2, 12);
    const r = new Rng(13).fillNormal(new Tensor(options.returnSequences ? [3, 6, UNITS] : [3, UNITS], "float32"));
    const mask = masked ? timeMask(3, 6, PADDING_PATTERN) : undefined;
    expectSameGradients(`${kind.name} gradients, ${variant}`, ourGradients(ours, x, r, mask), tfjsGradients(theirs, x, r, mask));
  });
});

/**
 * The GRU step of Keras with `reset_after=True` (keras.layers.GRUCell.call), evaluated by TF.js
 * ops. TF.js 4 has no such layer, so this checks our GRU against the documented Keras formula:
 *
 *   x·W + b_input  → x_z, x_r, x_h
 *   h₋₁·U + b_recurrent → u_z, u_r, u_h
 *   z = σ(x_z + u_z), r = σ(x_r + u_r), ĥ = tanh(x_h + r ⊙ u_h), h = z ⊙ h₋₁ + (1 − z) ⊙ ĥ
 *
 * with bias `[2, 3·units]` (row 0 the input bias, row 1 the recurrent one). Masked steps keep h,
 * and goBackwards runs (and outputs) the steps in reverse, as in TF.js' `rnn`.
 */
function kerasGruResetAfter(
  x: tf.Tensor,
  kernel: tf.Tensor,
  recurrentKernel: tf.Tensor,
  bias: tf.Tensor,
  options: LoopOptions & { readonly mask?: tf.Tensor | undefined },
): tf.Tensor {
  const [batch, steps, features] = x.shape as [number, number, number];
  const units = recurrentKernel.shape[0] as number;
  const [inputBias, recurrentBias] = tf.split(bias, 2, 0) as [tf.Tensor, tf.Tensor];
  let h: tf.Tensor = tf.zeros([batch, units]);
  const outputs: tf.Tensor[] = [];
  for (let s = 0; s < steps; s++) {
    const t = options.goBackwards ? steps - 1 - s : s;
    const xt = tf.reshape(tf.slice(x, [0, t, 0], [batch, 1, features]), [batch, features]);
    const [xz, xr, xh] = tf.split(tf.add(tf.matMul(xt, kernel), inputBias), 3, 1) as [tf.Tensor, tf.Tensor, tf.Tensor];
    const [uz, ur, uh] = tf.split(tf.add(tf.matMul(h, recurrentKernel), recurrentBias), 3, 1) as [tf.Tensor, tf.Tensor, tf.Tensor];
    const z = tf.sigmoid(tf.add(xz, uz));
    const r = tf.sigmoid(tf.add(xr, ur));
    const candidate = tf.tanh(tf.add(xh, tf.mul(r, uh)));
    const next = tf.add(tf.mul(z, h), tf.mul(tf.sub(1, z), candidate));
    if (options.mask) {
      const real = tf.reshape(tf.slice(options.mask, [0, t], [batch, 1]), [batch, 1]);
      h = tf.add(tf.mul(real, next), tf.mul(tf.sub(1, real), h));
    } else {
      h = next;
    }
    outputs.push(h);
  }
  return options.returnSequences ? tf.stack(outputs, 1) : h;
}

describe("GRU resetAfter: true agrees with the Keras formula evaluated by TF.js ops", () => {
  const inputShape: Shape = [6, 2];
  const variants: readonly [string, LoopOptions, boolean][] = [
    ["last step", {}, false],
    ["returnSequences", { returnSequences: true }, false],
    ["goBackwards + returnSequences + mask", { returnSequences: true, goBackwards: true }, true],
  ];

  it.each(variants)("%s: output and gradients", (variant, options, masked) => {
    const ours = buildOurs(new GRU({ units: UNITS, resetAfter: true, ...options }), inputShape, 14);
    const [kernel, recurrentKernel, bias] = ours.params().map((p) => toTf(p.value)) as [tf.Tensor, tf.Tensor, tf.Tensor];
    expect(bias.shape).toEqual([2, 3 * UNITS]);
    const x = randomSequences(3, 6, 2, 15);
    const r = new Rng(16).fillNormal(new Tensor(options.returnSequences ? [3, 6, UNITS] : [3, UNITS], "float32"));
    const mask = masked ? timeMask(3, 6, PADDING_PATTERN) : undefined;
    const tmask = mask ? tf.tensor2d(Array.from(mask.data), [3, 6], "float32") : undefined;
    const reference = (input: tf.Tensor, w: tf.Tensor, u: tf.Tensor, b: tf.Tensor): tf.Tensor =>
      kerasGruResetAfter(input, w, u, b, { ...options, mask: tmask });

    const what = `GRU resetAfter, ${variant}`;
    const ourOutput = ours.forward(x, mask ? { mask } : {});
    expectAgree(`${what}: forward`, ourOutput.data, reference(toTf(x), kernel, recurrentKernel, bias).dataSync());

    const tr = toTf(r);
    const theirGrads = tf.grads((input: tf.Tensor, w: tf.Tensor, u: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(reference(input, w, u, b), tr)))([
      toTf(x),
      kernel,
      recurrentKernel,
      bias,
    ]);
    const [dInput, ...dWeights] = theirGrads.map((g) => g.dataSync());
    expectSameGradients(what, ourGradients(ours, x, r, mask), { input: dInput as Float32Array, weights: dWeights });
  });
});
