// #region example
// main.ts: named imports from the packages a page uses; the bundler keeps only what they reach.
import { Dense, Sequential } from "@backprop/layers";
import { Matrix } from "@backprop/linalg";
import { sgd } from "@backprop/optimizers";
import { modelFromJSON, modelToJSON } from "@backprop/serialize";

const model = new Sequential([new Dense({ units: 3, inputDim: 2, activation: "tanh" }), new Dense({ units: 1, activation: "sigmoid" })], { seed: 1 });
model.compile({ loss: "binaryCrossentropy", optimizer: sgd({ lr: 0.5 }) });
const x = Matrix.fromArray([[0, 0], [1, 1]]);
model.fit(x, Matrix.fromArray([[0], [1]]), { epochs: 100 });
const saved = JSON.stringify(modelToJSON(model)); // e.g. into localStorage, or a download
const restored = modelFromJSON(JSON.parse(saved));
console.log(restored.predict(x).toArray()); // [[≈0], [≈1]]
// #endregion example

export { model, restored, x };
