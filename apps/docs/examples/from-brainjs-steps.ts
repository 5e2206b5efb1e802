// #region example
import { NeuralNetwork } from "brain.js";
import { Matrix } from "@backprop/linalg";
import { Dense, Sequential } from "@backprop/layers";
import { sgd } from "@backprop/optimizers";

const data = [
  { input: [0, 0], output: [0] },
  { input: [0, 1], output: [1] },
  { input: [1, 0], output: [1] },
  { input: [1, 1], output: [0] },
];
const x = Matrix.fromArray(data.map((d) => d.input));
const y = Matrix.fromArray(data.map((d) => d.output));
const transpose = (m: number[][]): number[][] => (m[0] ?? []).map((_, j) => m.map((row) => row[j] as number));

// brain.js draws its starting weights (what train() does first)...
const net = new NeuralNetwork<number[], number[]>({ hiddenLayers: [3] });
net.sizes = [2, 3, 1];
net.initialize();
// ...and Backprop starts from the same ones.
const model = new Sequential([
  new Dense({ units: 3, inputDim: 2, activation: "sigmoid" }),
  new Dense({ units: 1, activation: "sigmoid" }),
]).build();
model.setWeights(net.toJSON().layers.slice(1).flatMap((layer) => [transpose(layer.weights), layer.biases]));

// 5 000 epochs of online gradient descent in each. brain.js refuses momentum 0, and its momentum
// would skip the biases: a negligible 1e-9 makes it plain gradient descent, as sgd({ lr }) is.
net.train(data, { iterations: 5000, errorThresh: 1e-9, learningRate: 0.3, momentum: 1e-9 });
model.compile({ loss: "halfSumSquaredError", optimizer: sgd({ lr: 0.3 }) });
model.fit(x, y, { epochs: 5000, batchSize: 1, shuffle: false });

const theirs = net.toJSON().layers.slice(1).flatMap((layer) => [...transpose(layer.weights).flat(), ...layer.biases]);
const ours = model.getWeights().flatMap((w) => Array.from(w.data));
console.log(Math.max(...ours.map((w, i) => Math.abs(w - (theirs[i] as number))))); // ~1e-5: float32 rounding
// #endregion example

export { data, model, net, ours, theirs, x };
