// #region brain
import { NeuralNetwork } from "brain.js";

const data = [
  { input: [0, 0], output: [0] },
  { input: [0, 1], output: [1] },
  { input: [1, 0], output: [1] },
  { input: [1, 1], output: [0] },
];
const net = new NeuralNetwork<number[], number[]>({ hiddenLayers: [3] }); // 2-3-1, sigmoid everywhere
const status = net.train(data, { iterations: 20000, errorThresh: 0.005, learningRate: 0.3, momentum: 0.1 });
const brainOut = data.map((d) => net.run(d.input)[0] as number);
console.log(status, brainOut); // { error: 0.005, iterations: a few thousand } [≈0.06, ≈0.93, ≈0.93, ≈0.09]
// #endregion brain

// #region backprop
import { Matrix } from "@backprop/linalg";
import { Dense, Sequential, type Callback } from "@backprop/layers";
import { sgd } from "@backprop/optimizers";

const x = Matrix.fromArray(data.map((d) => d.input));
const y = Matrix.fromArray(data.map((d) => d.output));
const model = new Sequential([
  new Dense({ units: 3, inputDim: 2, activation: "sigmoid" }),
  new Dense({ units: 1, activation: "sigmoid" }),
], { seed: 1 });
// brain.js' gradient is that of ½·Σ(t − o)² per sample, and it reports the mean squared error
model.compile({ loss: "halfSumSquaredError", optimizer: sgd({ lr: 0.3, momentum: 0.1 }), metrics: ["meanSquaredError"] });
// errorThresh: stop after the first epoch whose error is at most 0.005
const errorThresh: Callback = {
  onEpochEnd: (_epoch, logs) => {
    if ((logs["meanSquaredError"] as number) <= 0.005) model.stopTraining = true;
  },
};
// One sample at a time, in order: brain.js' online updates
const history = model.fit(x, y, { epochs: 20000, batchSize: 1, shuffle: false, callbacks: [errorThresh] });
console.log(history.epoch.length, model.predict(x).toArray()); // about 2 200 epochs, [[≈0.07], [≈0.92], [≈0.93], [≈0.06]]
// #endregion backprop

// #region import
// brain.js stores each layer's weights as [units][inputs] (layer 0 is the input and has none);
// a Dense kernel is [inputs, units]: transpose, then copy.
const transpose = (m: number[][]): number[][] => (m[0] ?? []).map((_, j) => m.map((row) => row[j] as number));
const imported = new Sequential([
  new Dense({ units: 3, inputDim: 2, activation: "sigmoid" }),
  new Dense({ units: 1, activation: "sigmoid" }),
]).build();
imported.setWeights(net.toJSON().layers.slice(1).flatMap((layer) => [transpose(layer.weights), layer.biases]));
console.log(imported.predict(x).data, brainOut); // the same numbers, to float32 rounding
// #endregion import

export { brainOut, history, imported, model, status, x, y };
