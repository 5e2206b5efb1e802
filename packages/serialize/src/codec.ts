import type { Json } from "@backprop/linalg";
import type { Sequential } from "@backprop/layers";
import type { LoadOptions } from "./custom-components.js";
import { invalidFile } from "./file-error.js";
import { DEFAULT_FORMAT, FORMATS, formatNames, formatSpec, type FileBytes, type ModelFormat } from "./formats.js";
import { joinChunks } from "./json-writer.js";
import type { ToJSONOptions } from "./model-file.js";

export type { ModelFormat } from "./formats.js";

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

function specOf(format: unknown) {
  const spec = formatSpec(format);
  if (spec === undefined) throw invalidFile({}, "format", `unknown format (got ${JSON.stringify(format)}, expected ${formatNames()})`);
  return spec;
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

/** {@link encodeModel} with a large file left in chunks, for writing them one by one (`saveModel`). */
export function encodeModelParts(model: Sequential, options: EncodeOptions, format: ModelFormat): Record<string, FileBytes> {
  return specOf(format).encode(model, options, options.name ?? "model");
}

/**
 * Guesses the format of a set of files: from their names (`.onnx`, `.safetensors`, several files
 * or a `.bin` for TF.js), else from the first bytes of the first file; native JSON otherwise.
 * @example
 * ```ts
 * detectFormat({ "weights": bytes }); // "safetensors"
 * ```
 */
export function detectFormat(files: Readonly<Record<string, Uint8Array>>): ModelFormat {
  const names = Object.keys(files);
  for (const f of FORMATS) if ("byName" in f && f.byName(names)) return f.name;
  const first = files[names[0] ?? ""];
  const head = first instanceof Uint8Array ? first : new Uint8Array(0);
  for (const f of FORMATS) if ("byContent" in f && f.byContent(head)) return f.name;
  return DEFAULT_FORMAT;
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
  const spec = specOf(format ?? detectFormat(files));
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
