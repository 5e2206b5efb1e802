import type { Json } from "@backprop/linalg";
import type { Sequential } from "@backprop/layers";
import type { LoadOptions } from "./custom-components.js";
import { invalidFile } from "./file-error.js";
import { modelFromJSON, modelToJSON, readModelMetadata, type ToJSONOptions } from "./model-file.js";
import { safetensorsToModelFile, modelToSafetensors } from "./model-safetensors.js";
import { modelToOnnx } from "./onnx-export.js";
import { modelFromOnnx, readOnnxMetadata } from "./onnx-import.js";
import { parseJson } from "./safe-json.js";
import { modelFromTfjs, modelToTfjs, readTfjsMetadata } from "./tfjs.js";

/** Every format this package writes. */
export type ModelFormat = "json" | "safetensors" | "onnx" | "tfjs";

/** Options of {@link encodeModel}. */
export interface EncodeOptions extends ToJSONOptions {
  /** Output format. Default `"json"`. */
  readonly format?: ModelFormat;
  /** Base name of the output file(s), without extension. Default `"model"`. */
  readonly name?: string;
}

/** Encoded model: the bytes of each output file, by file name. */
export interface EncodedModel {
  readonly format: ModelFormat;
  readonly files: Record<string, Uint8Array>;
}

/** A decoded model and the user metadata stored with it. */
export interface DecodedModel {
  readonly model: Sequential;
  readonly metadata: Record<string, Json>;
  readonly format: ModelFormat;
}

const encoder = /* @__PURE__ */ new TextEncoder();

/**
 * The model as file bytes, in memory — browser-safe, no file system: `model.json`,
 * `model.safetensors`, `model.onnx`, or TF.js' `model.json` + `model.weights.bin`.
 *
 * @example
 * ```ts
 * const { files } = encodeModel(model, { format: "safetensors" });
 * const blob = new Blob([files["model.safetensors"]!]);
 * ```
 */
export function encodeModel(model: Sequential, options: EncodeOptions = {}): EncodedModel {
  const format = options.format ?? "json";
  const base = options.name ?? "model";
  switch (format) {
    case "json":
      return { format, files: { [`${base}.json`]: encoder.encode(JSON.stringify(modelToJSON(model, options))) } };
    case "safetensors":
      return { format, files: { [`${base}.safetensors`]: modelToSafetensors(model, options) } };
    case "onnx":
      return { format, files: { [`${base}.onnx`]: modelToOnnx(model, options.metadata ? { metadata: options.metadata } : {}) } };
    case "tfjs":
      return { format, files: modelToTfjs(model, { weightsFile: `${base}.weights.bin`, jsonFile: `${base}.json`, ...(options.metadata ? { metadata: options.metadata } : {}) }) };
    default:
      throw invalidFile({}, "format", `unknown format ${JSON.stringify(format)} (expected json, safetensors, onnx or tfjs)`);
  }
}

/** Guesses the format of a set of files from names and first bytes. */
export function detectFormat(files: Readonly<Record<string, Uint8Array>>): ModelFormat {
  const names = Object.keys(files);
  if (names.some((n) => n.endsWith(".onnx"))) return "onnx";
  if (names.some((n) => n.endsWith(".safetensors"))) return "safetensors";
  const first = files[names[0] ?? ""];
  if (names.length > 1 || names.some((n) => n.endsWith(".bin"))) return "tfjs";
  if (first && first.length >= 9 && first[0] !== 0x7b && first[8] === 0x7b) return "safetensors";
  if (first && first.length > 0 && first[0] !== 0x7b && first[0] !== 0x20 && first[0] !== 0x0a) return "onnx";
  const head = first ? new TextDecoder().decode(first.subarray(0, 4096)) : "";
  return head.includes('"modelTopology"') ? "tfjs" : "json";
}

/**
 * Rebuilds a model from file bytes (as {@link encodeModel} gives them, or as read from disk).
 * The format is detected from names and contents unless given.
 *
 * @throws BackpropError `INVALID_FILE`, `UNSUPPORTED_FORMAT_VERSION`, `UNKNOWN_COMPONENT`
 * @example
 * ```ts
 * const { model, metadata } = decodeModel({ "model.json": bytes });
 * ```
 */
export function decodeModel(files: Readonly<Record<string, Uint8Array>>, format?: ModelFormat, options: LoadOptions = {}): DecodedModel {
  const fmt = format ?? detectFormat(files);
  const names = Object.keys(files);
  const pick = (ext: string) => names.find((n) => n.endsWith(ext)) ?? names[0] ?? "";
  const name = fmt === "tfjs" ? pick(".json") : pick(fmt === "json" ? ".json" : `.${fmt}`);
  const bytes = files[name];
  const opts = { ...options, file: options.file ?? name };
  if (!(bytes instanceof Uint8Array)) throw invalidFile({ file: name }, "", "no file to read");
  switch (fmt) {
    case "json": {
      const file = parseJson(bytes, { file: opts.file });
      return { model: modelFromJSON(file, opts), metadata: readModelMetadata(file), format: fmt };
    }
    case "safetensors": {
      const file = safetensorsToModelFile(bytes, { file: opts.file });
      return { model: modelFromJSON(file, opts), metadata: readModelMetadata(file), format: fmt };
    }
    case "onnx":
      return { model: modelFromOnnx(bytes, opts), metadata: readOnnxMetadata(bytes, opts), format: fmt };
    case "tfjs":
      return { model: modelFromTfjs(files, opts), metadata: readTfjsMetadata(bytes, opts), format: fmt };
    default:
      throw invalidFile({}, "format", `unknown format ${JSON.stringify(fmt)} (expected json, safetensors, onnx or tfjs)`);
  }
}

/**
 * {@link encodeModel} as `Blob`s, for a browser download link — nothing touches a file system.
 * @example
 * ```ts
 * const [[name, blob]] = Object.entries(encodeModelBlobs(model));
 * link.href = URL.createObjectURL(blob); link.download = name;
 * ```
 */
export function encodeModelBlobs(model: Sequential, options: EncodeOptions = {}): Record<string, Blob> {
  const { files } = encodeModel(model, options);
  const type = (name: string) => (name.endsWith(".json") ? "application/json" : "application/octet-stream");
  return Object.fromEntries(Object.entries(files).map(([name, bytes]) => [name, new Blob([bytes as Uint8Array<ArrayBuffer>], { type: type(name) })]));
}
