import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import type { Tensor } from "@backprop/linalg";

/** A model's files by name, as `modelToTfjs` gives them and `modelFromTfjs` takes them. */
export type Files = Record<string, Uint8Array>;

/** Loads our TF.js export (`model.json` + `model.weights.bin`) in @tensorflow/tfjs-layers. */
export async function loadInTfjs(files: Files): Promise<tfl.LayersModel> {
  const json = JSON.parse(new TextDecoder().decode(files["model.json"]));
  return tfl.loadLayersModel(
    tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData: Uint8Array.from(files["model.weights.bin"]!).buffer }),
  );
}

/** What a tfjs model predicts for `x`. */
export function tfjsPredict(model: tfl.LayersModel, x: Tensor): Float32Array {
  return tf.tidy(() => (model.predict(tf.tensor(Array.from(x.data), [...x.shape])) as tf.Tensor).dataSync() as Float32Array);
}

/** What tfjs writes for `model.save`, as files (`model.json` and one weights file, `w.bin`). */
export async function savedByTfjs(model: tfl.LayersModel): Promise<Files> {
  let files: Files = {};
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const json = { modelTopology: artifacts.modelTopology, weightsManifest: [{ paths: ["w.bin"], weights: artifacts.weightSpecs }] };
      files = { "model.json": new TextEncoder().encode(JSON.stringify(json)), "w.bin": new Uint8Array(artifacts.weightData as ArrayBuffer) };
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
    }),
  );
  return files;
}
