// Troubleshooting (guide/troubleshooting.md): a loss that becomes Infinity or NaN, and the fixes.
// #region data
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { Matrix, isBackpropError } from "@backprop/linalg";
import { Dense, Normalization, Sequential, type Layer, type Loss } from "@backprop/layers";
import { sgd, type Optimizer } from "@backprop/optimizers";

// Predict a penguin's body mass (g) from its flipper length (mm): a straight line would do.
type Row = Record<string, string | number | null>;
const file = join(dirname(createRequire(import.meta.url).resolve("vega-datasets")), "../data/penguins.json");
const rows = (JSON.parse(readFileSync(file, "utf8")) as Row[]).filter((r) => typeof r["Body Mass (g)"] === "number");
const x = Matrix.fromArray(rows.map((r) => [r["Flipper Length (mm)"] as number])); // 172 … 231
const y = Matrix.fromArray(rows.map((r) => [r["Body Mass (g)"] as number]));       // 2700 … 6300

/** A Normalization layer with the mean and variance of the flipper lengths. */
function adapted(): Normalization {
  const normalization = new Normalization({ inputDim: 1 });
  normalization.adapt(x);
  return normalization;
}

/** Trains for 50 epochs; returns the last epoch's loss and mean absolute error, or the error that stopped it. */
function attempt(layers: Layer[], optimizer: Optimizer, loss: Loss | string = "meanSquaredError", data = { x, y }) {
  const model = new Sequential(layers, { seed: 1 });
  model.compile({ loss, optimizer, metrics: ["meanAbsoluteError"] });
  try {
    const history = model.fit(data.x, data.y, { epochs: 50, batchSize: 32 });
    return { loss: history.history["loss"]?.at(-1) as number, mae: history.history["meanAbsoluteError"]?.at(-1) as number };
  } catch (error) {
    if (isBackpropError(error)) return { code: error.code, message: error.message };
    throw error;
  }
}
// #endregion data

// #region diverge
// 1. Raw millimetres and grams with a common learning rate: every step overshoots more.
const diverged = attempt([new Dense({ units: 1, inputDim: 1 })], sgd({ lr: 0.01 }));
console.log(diverged.code, diverged.message);
// NON_FINITE sequential.fit (epoch 1, batch 1): the loss is Infinity at step 12
// help: lower the learning rate, normalise the inputs, or clip gradients (clipNorm)

// 2. Clipping the gradient's norm keeps every step small: finite, but still far off after 50 epochs.
const clipped = attempt([new Dense({ units: 1, inputDim: 1 })], sgd({ lr: 0.01, clipNorm: 1 }));
// 3. A learning rate small enough for inputs around 200: finite, and slow.
const tiny = attempt([new Dense({ units: 1, inputDim: 1 })], sgd({ lr: 1e-5 }));
// 4. The fix: normalise the inputs inside the model; the same lr = 0.01 now converges.
const normalised = attempt([adapted(), new Dense({ units: 1 })], sgd({ lr: 0.01 }));
console.log(clipped.mae, tiny.mae, normalised.mae); // mean absolute errors in grams
// #endregion diverge

// #region missing
// A missing cell turned into NaN never reaches the weights: fit names the first one.
const withGap = Matrix.fromArray(rows.map((r, i) => [i === 3 ? Number.NaN : (r["Flipper Length (mm)"] as number)]));
const gap = attempt([new Dense({ units: 1, inputDim: 1 })], sgd({ lr: 0.01 }), "meanSquaredError", { x: withGap, y });
console.log(gap.code, gap.message); // NON_FINITE sequential.fit: x: row 3, column 0 is NaN (expected a finite number)
// #endregion missing

// #region logzero
// Is the penguin heavier than 4 kg? A hand-written cross-entropy takes log(p) as it is…
const heavy = Matrix.fromArray(rows.map((r) => [(r["Body Mass (g)"] as number) > 4000 ? 1 : 0]));
const naiveCrossentropy: Loss = {
  name: "acme>naiveCrossentropy",
  config: {},
  compute(p, t) {
    let sum = 0;
    for (let i = 0; i < p.data.length; i++) {
      const [pi, ti] = [p.data[i] as number, t.data[i] as number];
      sum -= ti * Math.log(pi) + (1 - ti) * Math.log(1 - pi);
    }
    return sum / p.data.length;
  },
  gradient(p, t, out) {
    for (let i = 0; i < p.data.length; i++) {
      const [pi, ti] = [p.data[i] as number, t.data[i] as number];
      out.data[i] = (pi - ti) / (pi * (1 - pi) * p.data.length);
    }
    return out;
  },
};
// …and flipper lengths around 200 saturate the sigmoid to exactly 0 or 1: 0 · log(0) is NaN.
const logZero = attempt([new Dense({ units: 1, inputDim: 1, activation: "sigmoid" })], sgd({ lr: 0.01 }), naiveCrossentropy, { x, y: heavy });
// The built-in loss clips p to [1e-7, 1 − 1e-7] (and fuses with the sigmoid): finite, if slow…
const clippedLog = attempt([new Dense({ units: 1, inputDim: 1, activation: "sigmoid" })], sgd({ lr: 0.01 }), "binaryCrossentropy", { x, y: heavy });
// …and with normalised inputs, it learns.
const fixedLog = attempt([adapted(), new Dense({ units: 1, activation: "sigmoid" })], sgd({ lr: 0.1 }), "binaryCrossentropy", { x, y: heavy });
console.log(logZero.code, logZero.message, clippedLog.loss, fixedLog.loss);
// NON_FINITE sequential.fit (epoch 0, batch 0): the loss is NaN at step 0 …
// #endregion logzero

export { clipped, clippedLog, diverged, fixedLog, gap, logZero, normalised, tiny, x };
