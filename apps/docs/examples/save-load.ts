// #region example
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Matrix } from "@backprop/linalg";
import { Dense, Sequential } from "@backprop/layers";
import { adam } from "@backprop/optimizers";
import { loadModel, saveModel } from "@backprop/serialize/node";

const x = Matrix.fromArray([[0, 0], [0, 1], [1, 0], [1, 1]]);
const y = Matrix.fromArray([[0], [1], [1], [0]]);
const model = new Sequential([new Dense({ units: 4, inputDim: 2, activation: "tanh" }), new Dense({ units: 1, activation: "sigmoid" })], { seed: 1 });
model.compile({ loss: "binaryCrossentropy", optimizer: adam({ lr: 0.05 }) });
model.fit(x, y, { epochs: 100, batchSize: 4 });

const dir = await mkdtemp(join(tmpdir(), "backprop-"));
await saveModel(model, join(dir, "xor.json"), { metadata: { task: "xor" } });  // weights, optimizer state, epoch, RNG
await saveModel(model, join(dir, "xor.safetensors"));                           // tensors + the model JSON in the header

const { model: again, metadata } = await loadModel(join(dir, "xor.json"));
console.log(metadata, again.epoch);                                               // { task: "xor" } 100
console.log(again.predict(x).toArray(), model.predict(x).toArray());              // identical

// Training resumes exactly where it stopped: same optimizer moments, same shuffling.
model.fit(x, y, { epochs: 150, batchSize: 4, initialEpoch: model.epoch });
again.fit(x, y, { epochs: 150, batchSize: 4, initialEpoch: again.epoch });
console.log(again.predict(x).data.every((v, i) => v === model.predict(x).data[i])); // true
// #endregion example

export { again, dir, metadata, model, x };
