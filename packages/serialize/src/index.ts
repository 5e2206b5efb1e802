/*
 * `@backprop/serialize`: native JSON model files and safetensors, and the format table (names,
 * extensions, detection). Other entries, so that a bundle holds only what it uses: `/onnx` and
 * `/tfjs` (export and import), `/codec` (encodeModel / decodeModel over every format) and `/node`
 * (saveModel / loadModel).
 */
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
export { MAX_BINARY_BYTES } from "./format-info.js";
export {
  encodeSafetensors,
  decodeSafetensors,
  MAX_SAFETENSORS_HEADER,
  type SafetensorsDType,
  type SafetensorsTensor,
  type SafetensorsContents,
} from "./safetensors.js";
export { modelToSafetensors, modelFromSafetensors, SAFETENSORS_MODEL_KEY } from "./model-safetensors.js";
export { modelFormats, formatForExtension, detectFormat, type ModelFormat } from "./format-info.js";
