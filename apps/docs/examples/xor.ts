// #region example
import { Matrix } from "@backprop/linalg";
import { Dense, Sequential } from "@backprop/layers";
import { adam } from "@backprop/optimizers";

const x = Matrix.fromArray([[0, 0], [0, 1], [1, 0], [1, 1]]);
const y = Matrix.fromArray([[0], [1], [1], [0]]);
const model = new Sequential([new Dense({ units: 4, inputDim: 2, activation: "tanh" }), new Dense({ units: 1, activation: "sigmoid" })], { seed: 1 });
model.compile({ loss: "binaryCrossentropy", optimizer: adam({ lr: 0.05 }), metrics: ["accuracy"] });
const history = model.fit(x, y, { epochs: 400, batchSize: 4 });
console.log(history.history["accuracy"]?.at(-1), model.predict(x).toArray()); // 1 [[≈0], [≈1], [≈1], [≈0]]
// #endregion example

export { history, model, x, y };
