// #region data
// Three years of a monthly seasonal series, and sequences of 7 values: 6 in, the next one out.
const series = Array.from({ length: 36 }, (_, t) => 0.5 + 0.4 * Math.sin((2 * Math.PI * t) / 12));
const window = 6;
const sequences: number[][] = [];
for (let i = 0; i + window < series.length; i++) sequences.push(series.slice(i, i + window + 1));
// #endregion data

// #region brain
import { recurrent } from "brain.js";

const net = new recurrent.LSTMTimeStep({ inputSize: 1, hiddenLayers: [8], outputSize: 1 });
net.train(sequences, { iterations: 300, learningRate: 0.001 }); // every next value of each sequence
const brainNext = sequences.map((s) => net.run(s.slice(0, window)) as number);
const brainForecast = Array.from(net.forecast(series.slice(-window), 12) as number[]);
// #endregion brain

// #region backprop
import { Tensor } from "@backprop/linalg";
import { Dense, LSTM, Sequential } from "@backprop/layers";
import { adam } from "@backprop/optimizers";

// The same sequences as windows [n, 6, 1] and their next values [n, 1]
const x = new Tensor([sequences.length, window, 1], "float32", Float32Array.from(sequences.flatMap((s) => s.slice(0, window))));
const y = new Tensor([sequences.length, 1], "float32", Float32Array.from(sequences.map((s) => s[window] as number)));
const model = new Sequential([new LSTM({ units: 8, inputShape: [window, 1] }), new Dense({ units: 1 })], { seed: 1 });
model.compile({ loss: "meanSquaredError", optimizer: adam({ lr: 0.01 }) });
model.fit(x, y, { epochs: 100, batchSize: 8 });
const ourNext = Array.from(model.predict(x).data);
// net.forecast(window, 12): feed each prediction back as the newest value
const recent = series.slice(-window);
const forecast: number[] = [];
for (let k = 0; k < 12; k++) {
  const next = model.predict(new Tensor([1, window, 1], "float32", Float32Array.from(recent))).data[0] as number;
  forecast.push(next);
  recent.shift();
  recent.push(next);
}
// #endregion backprop

// #region compare
const targets = sequences.map((s) => s[window] as number);
const rmse = (p: readonly number[]): number => Math.sqrt(p.reduce((s, v, i) => s + (v - (targets[i] as number)) ** 2, 0) / p.length);
const naive = rmse(sequences.map((s) => s[window - 1] as number)); // "same as last month"
console.log({ naive, brain: rmse(brainNext), backprop: rmse(ourNext) }); // ≈0.146, ≈0.01, ≈0.0003
// #endregion compare

export { brainForecast, brainNext, forecast, naive, ourNext, rmse, series };
