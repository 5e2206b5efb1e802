/*
 * `@backprop/serialize/onnx`: ONNX export and import, on an entry of their own so that a bundle of
 * the main entry (JSON, safetensors, TF.js) holds no ONNX code. The protobuf codec is this
 * package's own (src/protobuf-wire.ts): no dependency comes with it.
 */
export { modelToOnnx, ONNX_OPSET, ONNX_ACTIVATIONS, type OnnxExportOptions } from "./onnx-export.js";
export { modelFromOnnx, readOnnxMetadata, ONNX_IMPORT_OPS } from "./onnx-import.js";
