// #region example
import { Rng, Tensor } from "@backprop/linalg";
import { Dense, LSTM, Sequential } from "@backprop/layers";
import { adam } from "@backprop/optimizers";

// A noisy sine with a period of 24 steps (say, hours): 600 values.
const rng = new Rng(1);
const series = Array.from({ length: 600 }, (_, t) => Math.sin((2 * Math.PI * t) / 24) + 0.1 * rng.normal());

// Sliding windows: 24 steps of 1 feature in, the next value out.
const window = 24;
function windows(values: number[]): { x: Tensor; y: Tensor } {
  const count = values.length - window;
  const x = new Tensor([count, window, 1], "float32");
  const y = new Tensor([count, 1], "float32");
  for (let i = 0; i < count; i++) {
    for (let t = 0; t < window; t++) x.data[i * window + t] = values[i + t]!;
    y.data[i] = values[i + window]!;
  }
  return { x, y };
}
// Split in time, never at random: the test windows' targets all come after the training ones.
const train = windows(series.slice(0, 480));
const test = windows(series.slice(480 - window));

const model = new Sequential([new LSTM({ units: 16, inputShape: [window, 1] }), new Dense({ units: 1 })], { seed: 1 });
model.compile({ loss: "meanSquaredError", optimizer: adam({ lr: 0.01 }) });
model.fit(train.x, train.y, { epochs: 20, batchSize: 32 });
const { loss } = model.evaluate(test.x, test.y); // the noise alone has variance 0.01

// Forecasting 24 steps ahead: each prediction becomes the last step of the next window.
const recent = series.slice(-window);
const forecast: number[] = [];
for (let step = 0; step < 24; step++) {
  const next = model.predict(new Tensor([1, window, 1], "float32", Float32Array.from(recent))).data[0]!;
  forecast.push(next);
  recent.shift();
  recent.push(next);
}
console.log(loss, forecast.map((v) => v.toFixed(2)).join(" "));
// #endregion example

export { forecast, loss, series };
