import type { Json } from "@backprop/linalg";
import type { Sequential } from "@backprop/layers";
import type { LoadOptions } from "./custom-components.js";
import { writeJsonChunks } from "./json-writer.js";
import { modelFromFile, modelToJSONShared, readModelFile, type ToJSONOptions } from "./model-file.js";
import { modelToSafetensors, safetensorsToModelFile } from "./model-safetensors.js";
import { modelToOnnx } from "./onnx-export.js";
import { modelFromOnnx, readOnnxMetadata } from "./onnx-import.js";
import { isWeightData, MAX_JSON_BYTES, parseJson } from "./safe-json.js";
import { modelFromTfjs, modelToTfjs, readTfjsMetadata } from "./tfjs.js";

/** What every format's writer receives: the native file options, and the metadata every format keeps. */
export type FormatEncodeOptions = ToJSONOptions;

/** A file's bytes: one array, or chunks to be written one after the other (a large JSON text). */
export type FileBytes = Uint8Array | readonly Uint8Array[];

/** A model read back, with the user metadata stored beside it. */
export interface FormatDecoded {
  readonly model: Sequential;
  readonly metadata: Record<string, Json>;
}

/**
 * One file format, everything this package knows about it in one place: how to recognise it, how
 * to name, write and read its files. `encodeModel`, `decodeModel`, `detectFormat`, `saveModel` and
 * `loadModel` all read {@link FORMATS}; a new format is one more entry.
 */
export interface FormatSpec {
  /** The `format` option's value. */
  readonly name: string;
  /** One line for people (error messages, docs). */
  readonly description: string;
  /** Path extensions that select this format when saving or loading (lower case, with the dot). */
  readonly extensions: readonly string[];
  /** Saved as several files in a directory named by the path (TF.js), rather than one file. */
  readonly directory: boolean;
  /** The name ending of the file that holds the model, among one model's files. */
  readonly mainFile: string;
  /** Other files that belong with the main one in its directory (TF.js weight shards). */
  readonly companion?: (fileName: string) => boolean;
  /** Recognises the format from the names of a model's files alone. */
  readonly byName?: (names: readonly string[]) => boolean;
  /** Recognises the format from the first bytes of its main file (checked after every `byName`). */
  readonly byContent?: (head: Uint8Array) => boolean;
  /** The model's files, by name; `base` is the name without extension. */
  readonly encode: (model: Sequential, options: FormatEncodeOptions, base: string) => Record<string, FileBytes>;
  /** Largest main file the loader reads, in bytes: larger ones are refused before they are read. */
  readonly maxBytes: number;
  /** The model from its files; `main` is the name of the main file among them. */
  readonly decode: (files: Readonly<Record<string, Uint8Array>>, main: string, options: LoadOptions) => FormatDecoded;
}

/**
 * Largest binary model file (safetensors, ONNX, TF.js weights) a loader reads: 2 GiB − 1, what
 * Node reads into one buffer. Loading holds the file and the model's weights (about 2× the file).
 */
export const MAX_BINARY_BYTES = 2 ** 31 - 1;

const decoder = /* @__PURE__ */ new TextDecoder();

const endsWith = (ext: string) => (names: readonly string[]) => names.some((n) => n.toLowerCase().endsWith(ext));
const withMetadata = (options: FormatEncodeOptions) => (options.metadata ? { metadata: options.metadata } : {});
// First bytes of a JSON text: "{", "[", whitespace, or a UTF-8 byte-order mark.
const JSON_START: ReadonlySet<number> = new Set([0x7b, 0x5b, 0x20, 0x0a, 0x0d, 0x09, 0xef]);

/** The model and metadata of a native model file parsed by `parseJson` (or `readJsonFrom`). */
export function decodeNativeJson(value: Json, options: LoadOptions): FormatDecoded {
  const loc = { file: options.file };
  const file = readModelFile(value, loc, true);
  return { model: modelFromFile(file, options), metadata: file.metadata };
}

/**
 * Every format this package reads and writes. Detection runs every `byName`, then every
 * `byContent`, in this order; a file nothing recognises is native JSON (the first entry).
 */
export const FORMATS = [
  {
    name: "json",
    description: "native Backprop model file (JSON): topology, weights, optimizer and training state",
    extensions: [".json"],
    directory: false,
    mainFile: ".json",
    // Straight from the model's buffers to bytes, without a string of the whole file.
    encode: (model, options, base) => ({ [`${base}.json`]: writeJsonChunks(modelToJSONShared(model, options, "encodeModel")) }),
    decode: (files, main, options) => decodeNativeJson(parseJson(files[main] as Uint8Array, { file: options.file }, "", { floatArrayAt: isWeightData }), options),
    maxBytes: MAX_JSON_BYTES,
  },
  {
    name: "safetensors",
    description: "safetensors: the tensors, and the rest of the native model file in __metadata__",
    extensions: [".safetensors"],
    directory: false,
    mainFile: ".safetensors",
    byName: endsWith(".safetensors"),
    // An 8-byte little-endian header length, then the JSON header.
    byContent: (head) => head.length >= 9 && head[0] !== 0x7b && head[8] === 0x7b,
    encode: (model, options, base) => ({ [`${base}.safetensors`]: modelToSafetensors(model, options) }),
    decode: (files, main, options) => {
      const file = safetensorsToModelFile(files[main] as Uint8Array, { file: options.file });
      return { model: modelFromFile(file, options), metadata: file.metadata };
    },
    maxBytes: MAX_BINARY_BYTES,
  },
  {
    name: "onnx",
    description: "ONNX (opset 13) inference graph",
    extensions: [".onnx"],
    directory: false,
    mainFile: ".onnx",
    byName: endsWith(".onnx"),
    // Protobuf: binary from the first byte.
    byContent: (head) => head.length > 0 && !JSON_START.has(head[0] as number),
    encode: (model, options, base) => ({ [`${base}.onnx`]: modelToOnnx(model, withMetadata(options)) }),
    decode: (files, main, options) => {
      const bytes = files[main] as Uint8Array;
      return { model: modelFromOnnx(bytes, options), metadata: readOnnxMetadata(bytes, options) };
    },
    maxBytes: MAX_BINARY_BYTES,
  },
  {
    name: "tfjs",
    description: "TensorFlow.js layers format: model.json and a float32 weights file, in a directory",
    extensions: [".tfjs"],
    directory: true,
    mainFile: ".json",
    companion: (name) => name.toLowerCase().endsWith(".bin"),
    byName: (names) => names.length > 1 || endsWith(".bin")(names),
    byContent: (head) => decoder.decode(head.subarray(0, 4096)).includes('"modelTopology"'),
    encode: (model, options, base) => modelToTfjs(model, { weightsFile: `${base}.weights.bin`, jsonFile: `${base}.json`, ...withMetadata(options) }),
    decode: (files, main, options) => ({ model: modelFromTfjs(files, options), metadata: readTfjsMetadata(files[main] as Uint8Array, options) }),
    // model.json is JSON; its weight files are checked against MAX_BINARY_BYTES.
    maxBytes: MAX_JSON_BYTES,
  },
] as const satisfies readonly FormatSpec[];

/** Every format this package reads and writes: `"json" | "safetensors" | "onnx" | "tfjs"`. */
export type ModelFormat = (typeof FORMATS)[number]["name"];

/** The format written when none is asked for. */
export const DEFAULT_FORMAT: ModelFormat = "json";

/**
 * The names of every format this package reads and writes, in the order of its format table.
 * @example
 * ```ts
 * modelFormats(); // ["json", "safetensors", "onnx", "tfjs"]
 * ```
 */
export function modelFormats(): ModelFormat[] {
  return FORMATS.map((f) => f.name);
}

/** `"json, safetensors, onnx or tfjs"`, for messages. */
export function formatNames(): string {
  const names = FORMATS.map((f) => f.name);
  return `${names.slice(0, -1).join(", ")} or ${names[names.length - 1] ?? ""}`;
}

/** The entry of a format name, or undefined for a name that is not one. */
export function formatSpec(name: unknown): FormatSpec | undefined {
  return FORMATS.find((f) => f.name === name);
}

/** The format a path's extension selects (`.json`, `.safetensors`, `.onnx`, `.tfjs`), if any. */
export function formatForExtension(ext: string): ModelFormat | undefined {
  const lower = ext.toLowerCase();
  return FORMATS.find((f) => (f.extensions as readonly string[]).includes(lower))?.name;
}
