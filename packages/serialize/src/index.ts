export type { CustomComponents, LoadOptions } from "./custom-components.js";
export {
  modelToJSON,
  modelFromJSON,
  readModelMetadata,
  GENERATED_BY,
  type ModelFile,
  type WeightEntry,
  type ToJSONOptions,
} from "./model-file.js";
export { FORMAT_NAME, FORMAT_VERSION, MAX_TENSOR_ELEMENTS, MAX_WIDTH } from "./schema.js";
export { MAX_JSON_ARRAY, MAX_JSON_BYTES, MAX_JSON_DEPTH } from "./safe-json.js";
export { MAX_BINARY_BYTES } from "./formats.js";
export {
  encodeSafetensors,
  decodeSafetensors,
  MAX_SAFETENSORS_HEADER,
  type SafetensorsDType,
  type SafetensorsTensor,
  type SafetensorsContents,
} from "./safetensors.js";
export { modelToSafetensors, modelFromSafetensors, SAFETENSORS_MODEL_KEY } from "./model-safetensors.js";
export { modelToOnnx, ONNX_OPSET, ONNX_ACTIVATIONS, type OnnxExportOptions } from "./onnx-export.js";
export { modelFromOnnx, readOnnxMetadata, ONNX_IMPORT_OPS } from "./onnx-import.js";
export { modelToTfjs, modelFromTfjs, readTfjsMetadata, type TfjsExportOptions, type TfjsLoadOptions } from "./tfjs.js";
export {
  encodeModel,
  decodeModel,
  detectFormat,
  encodeModelBlobs,
  type ModelFormat,
  type EncodeOptions,
  type EncodedModel,
  type DecodedModel,
} from "./codec.js";
export { modelFormats, formatForExtension } from "./formats.js";
