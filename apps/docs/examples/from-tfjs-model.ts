// #region data
import { Rng, Tensor } from "@backprop/linalg";

// 8×8 grey images of three strokes (a row, a column, the diagonal) with noise; one-hot labels
const rng = new Rng(1);
const n = 48;
const images = new Tensor([n, 8, 8, 1], "float32");
const labels = new Tensor([n, 3], "float32");
for (let i = 0; i < n; i++) {
  const kind = i % 3;
  const at = rng.int(8);
  for (let r = 0; r < 8; r++) {
    for (let c = 0; c < 8; c++) {
      const on = kind === 0 ? r === at : kind === 1 ? c === at : r === c;
      images.data[(i * 8 + r) * 8 + c] = (on ? 1 : 0) + 0.2 * rng.normal();
    }
  }
  labels.data[i * 3 + kind] = 1;
}
// #endregion data

// #region tfjs
import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";

await tf.setBackend("cpu");
const tfModel = tfl.sequential({
  layers: [
    tfl.layers.conv2d({ inputShape: [8, 8, 1], filters: 4, kernelSize: 3, activation: "relu" }),
    tfl.layers.maxPooling2d({ poolSize: 2 }),
    tfl.layers.flatten(),
    tfl.layers.dense({ units: 3, activation: "softmax" }),
  ],
});
tfModel.compile({ optimizer: tf.train.adam(0.01), loss: "categoricalCrossentropy", metrics: ["accuracy"] });
const start = tfModel.getWeights().map((w) => w.dataSync() as Float32Array); // copies, before training

const xs = tf.tensor4d(images.data as Float32Array, [n, 8, 8, 1]);
const ys = tf.tensor2d(labels.data as Float32Array, [n, 3]);
const tfHistory = await tfModel.fit(xs, ys, { epochs: 15, batchSize: 16, shuffle: false });
const theirs = tf.tidy(() => (tfModel.predict(xs) as tf.Tensor).dataSync());
tf.dispose([xs, ys]);
// #endregion tfjs

// #region backprop
import { Conv2D, Dense, Flatten, MaxPooling2D, Sequential } from "@backprop/layers";
import { adam } from "@backprop/optimizers";

const model = new Sequential([
  new Conv2D({ inputShape: [8, 8, 1], filters: 4, kernelSize: 3, activation: "relu" }),
  new MaxPooling2D({ poolSize: 2 }),
  new Flatten(),
  new Dense({ units: 3, activation: "softmax" }),
]);
model.setWeights(start); // TF.js' initial weights: the same layouts, copied as they are
model.compile({ optimizer: adam({ lr: 0.01, eps: 1e-7 }), loss: "categoricalCrossentropy", metrics: ["accuracy"] });
const history = model.fit(images, labels, { epochs: 15, batchSize: 16, shuffle: false });
const ours = model.predict(images).data; // no tidy, no dispose: plain typed arrays
console.log(tfHistory.history["loss"], history.history["loss"]); // the same curve
// #endregion backprop

// #region files
import { modelFromTfjs, modelToTfjs } from "@backprop/serialize/tfjs";

// TF.js → Backprop: what tfModel.save() writes (model.json and a weights file), read by modelFromTfjs
const saved: Record<string, Uint8Array> = {};
await tfModel.save(
  tf.io.withSaveHandler(async (artifacts) => {
    const json = { modelTopology: artifacts.modelTopology, weightsManifest: [{ paths: ["weights.bin"], weights: artifacts.weightSpecs }] };
    saved["model.json"] = new TextEncoder().encode(JSON.stringify(json));
    saved["weights.bin"] = new Uint8Array(artifacts.weightData as ArrayBuffer);
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
  }),
);
const fromTfjs = modelFromTfjs(saved);

// Backprop → TF.js: model.json and model.weights.bin, for tf.loadLayersModel (here from memory)
const files = modelToTfjs(model);
const manifest = JSON.parse(new TextDecoder().decode(files["model.json"]));
const inTfjs = await tfl.loadLayersModel(
  tf.io.fromMemory({
    modelTopology: manifest.modelTopology,
    weightSpecs: manifest.weightsManifest[0].weights,
    weightData: (files["model.weights.bin"] as Uint8Array).slice().buffer,
  }),
);
// #endregion files

export { fromTfjs, history, images, inTfjs, model, ours, start, tfHistory, tfModel, theirs };
