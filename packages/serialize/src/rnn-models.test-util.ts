import { Rng, Tensor, type DType } from "@backprop/linalg";
import {
  ActivationLayer,
  Bidirectional,
  Dense,
  Embedding,
  GRU,
  LSTM,
  LSTMCell,
  Masking,
  RNN,
  Sequential,
  SimpleRNN,
  TimeDistributed,
} from "@backprop/layers";
import { randomizeWeights } from "./test-models.test-util.js";

/*
 * Small recurrent models shared by the TF.js, ONNX and model-file tests: every weight drawn again
 * (biases included), 6 to 7 time steps of 3 features, float32 unless asked.
 */

/** TF.js' (Keras 2's) hard sigmoid, 0.2·x + 0.5 clipped: TF.js 4's default recurrent activation. */
export const KERAS2_HARD_SIGMOID = { name: "hardSigmoid", config: { slope: 0.2, offset: 0.5 } } as const;

const STEPS = 6;
const FEATURES = 3;

function built(layers: ConstructorParameters<typeof Sequential>[0], dtype: DType, seed: number, std = 0.5): Sequential {
  return randomizeWeights(new Sequential(layers, { dtype, seed }).build(), seed, std);
}

/** LSTM → its last step → Dense. */
export function lstmLast(dtype: DType = "float32", seed = 31): Sequential {
  return built([new LSTM({ units: 4, inputShape: [STEPS, FEATURES] }), new Dense({ units: 2 })], dtype, seed);
}

/** LSTM returning every step (the Dense then acts per step). */
export function lstmSequences(dtype: DType = "float32", seed = 32): Sequential {
  return built([new LSTM({ units: 4, returnSequences: true, inputShape: [STEPS, FEATURES] }), new Dense({ units: 2, activation: "tanh" })], dtype, seed);
}

/** goBackwards, with and without every step: the second LSTM reads the first one's reversed sequence. */
export function lstmBackwards(dtype: DType = "float32", seed = 33): Sequential {
  return built([
    new LSTM({ units: 4, returnSequences: true, goBackwards: true, inputShape: [STEPS, FEATURES] }),
    new LSTM({ units: 3, goBackwards: true }),
    new Dense({ units: 2 }),
  ], dtype, seed);
}

/** LSTM gates on TF.js' hard sigmoid, unitForgetBias off, no bias in the Dense-free head. */
export function lstmHardSigmoid(dtype: DType = "float32", seed = 34): Sequential {
  return built([
    new LSTM({ units: 4, returnSequences: true, recurrentActivation: KERAS2_HARD_SIGMOID, unitForgetBias: false, inputShape: [STEPS, FEATURES] }),
    new LSTM({ units: 3, useBias: false, activation: "relu" }),
  ], dtype, seed);
}

/** Two GRUs, `resetAfter` as given (true: Keras' default, bias [2, 3·units]; false: TF.js 4's). */
export function grus(resetAfter: boolean, dtype: DType = "float32", seed = 35): Sequential {
  return built([
    new GRU({ units: 4, resetAfter, returnSequences: true, inputShape: [STEPS, FEATURES] }),
    new GRU({ units: 3, resetAfter, goBackwards: true }),
    new Dense({ units: 2 }),
  ], dtype, seed);
}

/** SimpleRNN (tanh, every step) → SimpleRNN (relu, no bias) → Dense. */
export function simpleRnns(dtype: DType = "float32", seed = 36): Sequential {
  return built([
    new SimpleRNN({ units: 4, returnSequences: true, inputShape: [STEPS, FEATURES] }),
    new SimpleRNN({ units: 3, activation: "relu", useBias: false }),
    new Dense({ units: 2 }),
  ], dtype, seed, 0.4);
}

/** The generic RNN layer over an LSTM cell (exports as an LSTM). */
export function rnnOfLstmCell(dtype: DType = "float32", seed = 37): Sequential {
  return built([new RNN({ cell: new LSTMCell({ units: 4 }), inputShape: [STEPS, FEATURES] }), new Dense({ units: 2 })], dtype, seed);
}

export const VOCABULARY = 12;
export const ID_STEPS = 7;

/** Embedding (ids 0..11, `maskZero` as given) → LSTM → Dense softmax. */
export function embeddingLstm(maskZero: boolean, dtype: DType = "float32", seed = 38): Sequential {
  return built([
    new Embedding({ inputDim: VOCABULARY, outputDim: 5, maskZero, inputLength: ID_STEPS }),
    new LSTM({ units: 4 }),
    new Dense({ units: 3, activation: "softmax" }),
  ], dtype, seed);
}

/** Bidirectional LSTM (concat, every step) → Bidirectional GRU (`mergeMode` for the second) → Dense. */
export function bidirectional(mergeMode: "concat" | "sum" | "mul" | "ave" = "sum", resetAfter = false, dtype: DType = "float32", seed = 39): Sequential {
  return built([
    new Bidirectional({ layer: new LSTM({ units: 3, returnSequences: true }), inputShape: [STEPS, FEATURES] }),
    new Bidirectional({ layer: new GRU({ units: 2, resetAfter }), mergeMode }),
    new Dense({ units: 2 }),
  ], dtype, seed);
}

/** Masking (zero rows are padding) → LSTM (every step) → TimeDistributed(Dense leakyRelu) → Activation. */
export function maskedSequences(dtype: DType = "float32", seed = 40): Sequential {
  return built([
    new Masking({ maskValue: 0, inputShape: [STEPS, FEATURES] }),
    new LSTM({ units: 4, returnSequences: true }),
    new TimeDistributed({ layer: new Dense({ units: 3, activation: { name: "leakyRelu", config: { alpha: 0.2 } } }) }),
    new ActivationLayer({ activation: "tanh" }),
  ], dtype, seed);
}

/** `n` sequences of 6 steps × 3 features from N(0, 1). */
export function sequences(n: number, dtype: DType = "float32", seed = 41): Tensor {
  return new Rng(seed).fillNormal(new Tensor([n, STEPS, FEATURES], dtype));
}

/** Sequences whose last `pad[i]` steps (and, for odd i, step 1 too) are all-zero padding. */
export function paddedSequences(n: number, dtype: DType = "float32", seed = 42): Tensor {
  const x = sequences(n, dtype, seed);
  for (let b = 0; b < n; b++) {
    const padded = new Set<number>();
    for (let t = STEPS - (b % 3); t < STEPS; t++) padded.add(t);
    if (b % 2 === 1) padded.add(1);
    for (const t of padded) x.data.fill(0, (b * STEPS + t) * FEATURES, (b * STEPS + t + 1) * FEATURES);
  }
  return x;
}

/** `n` rows of `ID_STEPS` ids in [1, 12), with trailing (and, for odd rows, interior) 0s as padding when `pad`. */
export function idBatch(n: number, pad: boolean, dtype: DType = "float32", seed = 43): Tensor {
  const rng = new Rng(seed);
  const x = new Tensor([n, ID_STEPS], dtype);
  for (let b = 0; b < n; b++) {
    for (let t = 0; t < ID_STEPS; t++) x.data[b * ID_STEPS + t] = 1 + rng.int(VOCABULARY - 1);
    if (pad) {
      for (let t = ID_STEPS - (b % 4); t < ID_STEPS; t++) x.data[b * ID_STEPS + t] = 0;
      if (b % 2 === 1) x.data[b * ID_STEPS + 2] = 0;
    }
  }
  return x;
}
