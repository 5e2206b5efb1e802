import type { Json } from "@backprop/linalg";
import type { Sequential } from "@backprop/layers";
import type { LoadOptions } from "./custom-components.js";
import { invalidFile } from "./file-error.js";
import { DEFAULT_FORMAT, detectFormat, type ModelFormat } from "./format-info.js";
import { encodeModelParts, requireFormat } from "./formats.js";
import { joinChunks } from "./json-writer.js";
import type { ToJSONOptions } from "./model-file.js";

/*
 * `@backprop/serialize/codec`: one call for every format. It carries every format's reader and
 * writer (ONNX and TF.js included), so it has an entry of its own: a bundle of the main entry
 * holds only the formats it calls. (`ModelFormat` and `detectFormat` are in the main entry.)
 */

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
  const format = options.format ?? DEFAULT_FORMAT;
  const files: Record<string, Uint8Array> = {};
  for (const [name, bytes] of Object.entries(encodeModelParts(model, options, format))) files[name] = bytes instanceof Uint8Array ? bytes : joinChunks(bytes);
  return { format, files };
}

/**
 * Rebuilds a model from file bytes (as {@link encodeModel} gives them, or as read from disk).
 * The format is detected from names and contents unless given. `options.compile: false` loads a
 * native or safetensors file without resolving its loss, optimizer and metrics.
 *
 * @throws BackpropError `INVALID_FILE`, `UNSUPPORTED_FORMAT_VERSION`, `UNKNOWN_COMPONENT`
 * @example
 * ```ts
 * const { model, metadata } = decodeModel({ "model.json": bytes });
 * ```
 */
export function decodeModel(files: Readonly<Record<string, Uint8Array>>, format?: ModelFormat, options: LoadOptions = {}): DecodedModel {
  const spec = requireFormat(format ?? detectFormat(files));
  const names = Object.keys(files);
  const main = names.find((n) => n.toLowerCase().endsWith(spec.mainFile)) ?? names[0] ?? "";
  if (!(files[main] instanceof Uint8Array)) throw invalidFile({ file: main }, "", "no file to read");
  const decoded = spec.decode(files, main, { ...options, file: options.file ?? main });
  return { model: decoded.model, metadata: decoded.metadata, format: spec.name as ModelFormat };
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
