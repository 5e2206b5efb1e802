// #region example
import { writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-node";                  // npm i onnxruntime-node (or onnxruntime-web)
import { Matrix, Rng } from "@backprop/linalg";
import { Dense, Sequential } from "@backprop/layers";
import { modelToOnnx } from "@backprop/serialize/onnx";

const model = new Sequential([
  new Dense({ units: 8, inputDim: 4, activation: "gelu" }),
  new Dense({ units: 3, activation: "softmax" }),
], { seed: 2 }).build();                                   // float32: ONNX's usual element type

const bytes = modelToOnnx(model);                          // an opset-13 graph: Gemm + activations
await writeFile(join(tmpdir(), "model.onnx"), bytes);      // or saveModel(model, "model.onnx")

const x = new Rng(5).fillNormal(new Matrix(5, 4, "float32"));
const session = await ort.InferenceSession.create(bytes);
const result = await session.run({ input: new ort.Tensor("float32", x.data, [x.rows, x.cols]) });
const theirs = result["output"]!.data as Float32Array;     // inputs are named "input", outputs "output"
const ours = model.predict(x).data;
console.log(Math.max(...ours.map((v, i) => Math.abs(v - theirs[i]!))));   // ~1e-7: float32 rounding
await session.release();
// #endregion example

export { ours, theirs };
