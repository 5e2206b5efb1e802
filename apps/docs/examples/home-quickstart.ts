// #region example
import { Dense, Matrix, Sequential, adam } from "@backprop/all";
const x = Matrix.fromArray([[0, 0], [0, 1], [1, 0], [1, 1]]); // XOR: 4 samples, 2 features
const y = Matrix.fromArray([[0], [1], [1], [0]]);
const model = new Sequential([
  new Dense({ units: 4, inputDim: 2, activation: "tanh" }),
  new Dense({ units: 1, activation: "sigmoid" }),
], { seed: 1 });
model.compile({ loss: "binaryCrossentropy", optimizer: adam({ lr: 0.05 }) });
model.fit(x, y, { epochs: 400 });
console.log(model.predict(x).toArray()); // [[≈0], [≈1], [≈1], [≈0]]
// #endregion example

export { model, x };
