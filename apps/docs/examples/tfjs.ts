// #region example
import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { Matrix, Rng } from "@backprop/linalg";
import { Dense, Sequential } from "@backprop/layers";
import { modelToTfjs } from "@backprop/serialize/tfjs";

const model = new Sequential([
  new Dense({ units: 6, inputDim: 3, activation: "relu" }),
  new Dense({ units: 1, activation: "sigmoid" }),
], { seed: 4 }).build();

// { "model.json", "model.weights.bin" }; saveModel(model, "web/model", { format: "tfjs" }) writes them.
const files = modelToTfjs(model);
const json = JSON.parse(new TextDecoder().decode(files["model.json"]));

// In a browser: await tfl.loadLayersModel("/web/model/model.json"). Here, from memory:
await tf.setBackend("cpu");
const loaded = await tfl.loadLayersModel(tf.io.fromMemory({
  modelTopology: json.modelTopology,
  weightSpecs: json.weightsManifest[0].weights,
  weightData: files["model.weights.bin"]!.slice().buffer,
}));
const x = new Rng(1).fillNormal(new Matrix(4, 3, "float32"));
const theirs = (loaded.predict(tf.tensor2d(Array.from(x.data), [x.rows, x.cols])) as tf.Tensor).dataSync();
const ours = model.predict(x).data;
console.log(ours, theirs);                                 // the same, to float32 rounding
// #endregion example

export { ours, theirs };
