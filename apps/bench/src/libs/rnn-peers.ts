import { Rng } from "@backprop/linalg";
import { loadBrain } from "./brain.js";
import type { TfBackend, TfjsModules } from "./tfjs.js";

/*
 * The peers of the recurrent workloads W5a (LSTM sequence regression) and W5b (char-LSTM):
 * TensorFlow.js 4.22 (tfjs-layers `lstm`, CPU and WASM backends) and brain.js 2.0.0-beta.24
 * (`recurrent.LSTMTimeStep`, `recurrent.LSTM`), plus the seeded data they train on.
 *
 * What differs between the libraries (read from their sources):
 * - tfjs-layers trains mini-batches (Adam, MSE on the last step's Dense output only); brain.js
 *   trains one sequence at a time (no batches) with its own RMSProp (decay 0.999, ε 1e-8, each
 *   gradient clipped to ±5, L2 1e-6 · w subtracted each step), not Adam.
 * - brain.js's LSTMTimeStep is a sequence-to-sequence next-value model: each step's output (a
 *   linear read-out of the hidden state) is trained against the next value, so a W5a window of
 *   32 steps plus its target is 32 supervised predictions, not 1. Its reported error is the sum of
 *   the absolute errors over those predictions divided by the sequence length (33), averaged
 *   over the sequences; its gradient is the plain difference (that of ½·squared error).
 * - brain.js's LSTM cell (`getLSTMEquation`) keeps no separate cell state: the previous *hidden
 *   output* is what the forget gate retains (`c = f ⊙ h₍t−1₎ + i ⊙ g`, `h = o ⊙ tanh(c)`), and its
 *   weights are uniform in ±0.08 with zero biases; tfjs-layers keeps a real cell state.
 */

type Tf = typeof import("@tensorflow/tfjs-core");
type Tensor2D = import("@tensorflow/tfjs-core").Tensor2D;
type Tensor3D = import("@tensorflow/tfjs-core").Tensor3D;

/** W5a's window length (time steps per sequence). */
export const W5A_LENGTH = 32;
/** W5a's LSTM units. */
export const W5A_UNITS = 32;
/** W5a's Adam learning rate (brain.js uses it for its RMSProp). */
export const W5A_LR = 0.01;
/** Period of {@link sineSeries}, in steps. */
export const SINE_PERIOD = 24;
/** Standard deviation of {@link sineSeries}' Gaussian noise. */
export const SINE_NOISE = 0.1;

/**
 * A noisy sine, seeded: `x[t] = sin(2π·t / 24 + φ) + 0.1·ε_t` for `t = 0 … n−1`, where, drawn from
 * `new Rng(seed)` in this order, `φ = 2π·uniform()` and then `ε_0, ε_1, …` are `normal()` draws
 * (standard Gaussian). Values are rounded to float32.
 */
export function sineSeries(n: number, seed: number): Float32Array {
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`sineSeries: n must be a non-negative integer (got ${n})`);
  const rng = new Rng(seed);
  const phase = 2 * Math.PI * rng.uniform();
  const out = new Float32Array(n);
  for (let t = 0; t < n; t++) out[t] = Math.sin((2 * Math.PI * t) / SINE_PERIOD + phase) + SINE_NOISE * rng.normal();
  return out;
}

/** Sequences with one feature and a scalar target, as flat row-major float32 arrays. */
export interface Sequences {
  /** Inputs, shape {@link Sequences.xShape}: step `t` of sequence `i` is `x[i·length + t]`. */
  readonly x: Float32Array;
  /** Targets, shape {@link Sequences.yShape}: `y[i]` belongs to sequence `i`. */
  readonly y: Float32Array;
  /** `[count, length, 1]` (sequences × steps × features). */
  readonly xShape: readonly [count: number, length: number, features: 1];
  /** `[count, 1]`. */
  readonly yShape: readonly [count: number, outputs: 1];
}

/**
 * W5a's training set: `count` overlapping windows of `series` (stride 1). Sequence `i` is
 * `series[i … i+length−1]` and its target is the next value, `series[i+length]`; so `series` needs
 * at least `count + length` values. W5a uses `length` 32.
 */
export function windows(series: Float32Array, length: number, count: number): Sequences {
  if (!Number.isSafeInteger(length) || length < 1) throw new Error(`windows: length must be a positive integer (got ${length})`);
  if (!Number.isSafeInteger(count) || count < 0) throw new Error(`windows: count must be a non-negative integer (got ${count})`);
  if (series.length < count + length) {
    throw new Error(`windows: ${count} windows of ${length} steps need ${count + length} values (got ${series.length})`);
  }
  const x = new Float32Array(count * length);
  const y = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    x.set(series.subarray(i, i + length), i * length);
    y[i] = series[i + length] as number;
  }
  return { x, y, xShape: [count, length, 1], yShape: [count, 1] };
}

/**
 * A `rows × cols` orthogonal matrix as Keras' `Orthogonal` initializer makes it (QR of a seeded
 * standard-normal `max × min` matrix, Q's columns signed by R's diagonal, transposed when wide).
 * tfjs-layers' own `orthogonal` cannot run here: it calls the chained `Tensor.flatten()`, which
 * only the full `@tensorflow/tfjs` bundle registers, so with tfjs-core + tfjs-layers it throws
 * "rMat.flatten is not a function".
 */
function orthogonal(tf: Tf, rows: number, cols: number, seed: number): Tensor2D {
  return tf.tidy(() => {
    const n = Math.min(rows, cols);
    const a = tf.randomNormal([Math.max(rows, cols), n], 0, 1, "float32", seed);
    const [q, r] = tf.linalg.qr(a, false);
    const diag = tf.stridedSlice(tf.reshape(r, [n * n]), [0], [n * n], [n + 1]);
    const signed = tf.mul(q, tf.sign(diag)) as Tensor2D;
    return rows < cols ? tf.transpose(signed) : signed;
  });
}

/**
 * W5a's model in tfjs-layers: LSTM 32 units (input `[length, 1]`, last step only) → Dense 1
 * linear; MSE, Adam lr 0.01, float32. Initialisation is tfjs-layers' default, seeded:
 * Glorot-uniform input kernels, an orthogonal recurrent kernel (set after the build, see
 * {@link orthogonal}) and zero biases (tfjs-layers leaves `unitForgetBias` off; Keras turns it on).
 * 4·(32·(1+32) + 32) + 33 = 4 385 parameters. Built on the current backend.
 */
export function lstmModel(m: TfjsModules, length: number = W5A_LENGTH, seed = 1) {
  const { tf, tfl } = m;
  const model = tfl.sequential();
  const lstm = tfl.layers.lstm({
    units: W5A_UNITS,
    inputShape: [length, 1],
    kernelInitializer: tfl.initializers.glorotUniform({ seed }),
    recurrentInitializer: "zeros",
  });
  model.add(lstm);
  model.add(tfl.layers.dense({ units: 1, kernelInitializer: tfl.initializers.glorotUniform({ seed: seed + 1 }) }));
  const [kernel, , bias] = lstm.getWeights();
  const recurrent = orthogonal(tf, W5A_UNITS, 4 * W5A_UNITS, seed + 2);
  lstm.setWeights([kernel!, recurrent, bias!]);
  recurrent.dispose();
  model.compile({ optimizer: tf.train.adam(W5A_LR), loss: "meanSquaredError" });
  return model;
}

/**
 * W5a on tfjs: one run is one epoch of `model.fit` over `data` (batch `batchSize`, no shuffle) of
 * {@link lstmModel}, on `backend`; `setup` builds the model and the input tensors once, so the
 * timed run is the epoch. tfjs-wasm 4.22 trains it with its own kernels (every gradient kernel an
 * LSTM needs is registered for "wasm", unlike Conv2DBackpropFilter for W4). `lastLoss()` is the
 * last epoch's mean training loss (NaN before the first run).
 */
export function tfjsLstmTrain(m: TfjsModules, backend: TfBackend, data: Sequences, batchSize: number, seed = 1) {
  const { tf } = m;
  let model: ReturnType<typeof lstmModel> | undefined;
  let xs: Tensor3D | undefined;
  let ys: Tensor2D | undefined;
  let loss = NaN;
  return {
    async setup() {
      await tf.setBackend(backend);
      model?.dispose();
      tf.dispose([xs, ys].filter((t) => t !== undefined));
      model = lstmModel(m, data.xShape[1], seed);
      xs = tf.tensor3d(data.x, [...data.xShape], "float32");
      ys = tf.tensor2d(data.y, [...data.yShape], "float32");
    },
    async run() {
      await tf.setBackend(backend);
      if (!model) throw new Error(`tfjsLstmTrain(${backend}): run() before setup()`);
      const h = await model.fit(xs!, ys!, { epochs: 1, batchSize, shuffle: false, verbose: 0 });
      loss = Number(h.history.loss?.[0]);
    },
    lastLoss: (): number => loss,
  };
}

/** brain.js's `train` result. */
interface BrainTrainResult {
  readonly error: number;
  readonly iterations: number;
}
interface BrainRecurrentNet {
  readonly options: { readonly hiddenLayers: readonly number[] };
  train(data: unknown, options: Record<string, unknown>): BrainTrainResult;
}
interface BrainRecurrent {
  recurrent: {
    LSTMTimeStep: new (options: Record<string, unknown>) => BrainRecurrentNet;
    LSTM: new (options?: Record<string, unknown>) => BrainRecurrentNet;
  };
}

function brainRecurrent(): BrainRecurrent["recurrent"] {
  // brain.ts types only NeuralNetwork; the module object has `recurrent` too.
  return (loadBrain() as unknown as BrainRecurrent).recurrent;
}

function trainOptions(iterations: number): Record<string, unknown> {
  // Recurrent train() does not validate its options: errorThresh 0 never stops early.
  return { iterations, learningRate: W5A_LR, errorThresh: 0, log: false };
}

/**
 * W5a on brain.js: `recurrent.LSTMTimeStep({ inputSize: 1, hiddenLayers: [32], outputSize: 1 })`
 * trained on the same windows, each given as `{ input: its 32 values, output: [its target] }`;
 * one run is `iterations` passes over all of them (`train(data, { iterations, learningRate: 0.01,
 * errorThresh: 0, log: false })`). Semantics differ from tfjs (see the file comment): brain.js
 * updates the weights after every sequence (batch 1, RMSProp) and, joining input and output into
 * one 33-step sequence, trains every step's next-value prediction, not only the last step's.
 * Weights are `Math.random`-initialised (not seeded). `lastLoss()` is brain.js's error of the last
 * pass (mean over sequences of Σ|error| / 33; NaN before the first run).
 */
export function brainLstmTimeStepTrain(data: Sequences, iterations = 1) {
  const { LSTMTimeStep } = brainRecurrent();
  const [count, length] = data.xShape;
  const seqs: { input: number[]; output: number[] }[] = [];
  for (let i = 0; i < count; i++) {
    seqs.push({ input: Array.from(data.x.subarray(i * length, (i + 1) * length)), output: [data.y[i] as number] });
  }
  const net = new LSTMTimeStep({ inputSize: 1, hiddenLayers: [W5A_UNITS], outputSize: 1 });
  let loss = NaN;
  return {
    run() {
      const r = net.train(seqs, trainOptions(iterations));
      if (r.iterations !== iterations) throw new Error(`brain.js LSTMTimeStep stopped after ${r.iterations} of ${iterations} iterations`);
      loss = r.error;
    },
    lastLoss: (): number => loss,
  };
}

// Short lowercase words; w5bStrings joins 2–4 of them, so a string has 3–15 characters.
const W5B_WORDS = ["the", "cat", "dog", "sat", "ran", "on", "a", "mat", "red", "big", "hat", "sun", "and", "to", "fox", "box"];

/** W5b's number of strings. */
export const W5B_STRINGS = 50;
/** W5b's training iterations (passes over the strings) per run. */
export const W5B_ITERATIONS = 100;

/**
 * W5b's 50 short strings, seeded: with `new Rng(seed)`, each string takes `2 + int(3)` words
 * (2–4), each `int(16)` into a fixed list of 16 short lowercase words ("the", "cat", "dog", …),
 * joined by single spaces — 3 to 15 characters over a 20-character alphabet (letters and space).
 */
export function w5bStrings(seed: number, count: number = W5B_STRINGS): string[] {
  const rng = new Rng(seed);
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const words: string[] = [];
    const n = 2 + rng.int(3);
    for (let w = 0; w < n; w++) words.push(W5B_WORDS[rng.int(W5B_WORDS.length)] as string);
    out.push(words.join(" "));
  }
  return out;
}

/**
 * W5b on brain.js: `recurrent.LSTM()` with its defaults — hidden layers `[20, 20]` (two LSTM
 * layers of 20, from `RNN`'s defaults in 2.0.0-beta.24), one-hot characters in and a softmax over
 * the characters out (vocabulary built from `strings` by its DataFormatter on the first run),
 * RMSProp lr 0.01, clip ±5. One run is `train(strings, { iterations, learningRate: 0.01,
 * errorThresh: 0, log: false })`: `iterations` passes, each updating after every string. The
 * network is created here and sized by the first run (the harness' warm-up). `lastLoss()` is
 * brain.js's error of the last pass (mean over strings of perplexity / 100); `hiddenLayers` the
 * sizes brain.js uses.
 */
export function brainCharLstm(strings: readonly string[], iterations: number = W5B_ITERATIONS) {
  const { LSTM } = brainRecurrent();
  for (const s of strings) if (s.length < 2) throw new Error(`brainCharLstm: strings need 2+ characters (brain.js divides by length − 1): "${s}"`);
  const data = [...strings];
  const net = new LSTM();
  let loss = NaN;
  return {
    run() {
      const r = net.train(data, trainOptions(iterations));
      if (r.iterations !== iterations) throw new Error(`brain.js LSTM stopped after ${r.iterations} of ${iterations} iterations`);
      loss = r.error;
    },
    lastLoss: (): number => loss,
    hiddenLayers: [...net.options.hiddenLayers] as readonly number[],
  };
}
