import { MAX_JSON_BYTES } from "./safe-json.js";

/*
 * What this package knows about each file format without reading or writing one: names,
 * extensions, detection, limits. The readers and writers are in formats.ts, so that choosing or
 * detecting a format (the main entry) does not bring every format's code into a bundle.
 *
 * NOTE: every top-level value here is a literal (no calls): a bundler drops what is unused.
 */

/**
 * Largest binary model file (safetensors, ONNX, TF.js weights) a loader reads: 2 GiB − 1, what
 * Node reads into one buffer. Loading holds the file and the model's weights (about 2× the file).
 */
export const MAX_BINARY_BYTES = 2 ** 31 - 1;

/** One file format: how to recognise it and how its files are named. */
export interface FormatInfo {
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
  /** Largest main file the loader reads, in bytes: larger ones are refused before they are read. */
  readonly maxBytes: number;
}

const endsWith = (names: readonly string[], ext: string) => names.some((n) => n.toLowerCase().endsWith(ext));
/** First bytes of a JSON text: "{", "[", whitespace, or a UTF-8 byte-order mark. */
const startsLikeJson = (b: number | undefined) => b === 0x7b || b === 0x5b || b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09 || b === 0xef;

/** `"modelTopology"` in the first 4 KiB (ASCII, so bytes are compared without a text decoder). */
function mentionsModelTopology(head: Uint8Array): boolean {
  const key = '"modelTopology"';
  const end = Math.min(head.length, 4096) - key.length;
  outer: for (let i = 0; i <= end; i++) {
    for (let k = 0; k < key.length; k++) if (head[i + k] !== key.charCodeAt(k)) continue outer;
    return true;
  }
  return false;
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
    maxBytes: MAX_JSON_BYTES,
  },
  {
    name: "safetensors",
    description: "safetensors: the tensors, and the rest of the native model file in __metadata__",
    extensions: [".safetensors"],
    directory: false,
    mainFile: ".safetensors",
    byName: (names) => endsWith(names, ".safetensors"),
    // An 8-byte little-endian header length, then the JSON header.
    byContent: (head) => head.length >= 9 && head[0] !== 0x7b && head[8] === 0x7b,
    maxBytes: MAX_BINARY_BYTES,
  },
  {
    name: "onnx",
    description: "ONNX (opset 13) inference graph",
    extensions: [".onnx"],
    directory: false,
    mainFile: ".onnx",
    byName: (names) => endsWith(names, ".onnx"),
    // Protobuf: binary from the first byte.
    byContent: (head) => head.length > 0 && !startsLikeJson(head[0]),
    maxBytes: MAX_BINARY_BYTES,
  },
  {
    name: "tfjs",
    description: "TensorFlow.js layers format: model.json and a float32 weights file, in a directory",
    extensions: [".tfjs"],
    directory: true,
    mainFile: ".json",
    companion: (name) => name.toLowerCase().endsWith(".bin"),
    byName: (names) => names.length > 1 || endsWith(names, ".bin"),
    byContent: mentionsModelTopology,
    // model.json is JSON; its weight files are checked against MAX_BINARY_BYTES.
    maxBytes: MAX_JSON_BYTES,
  },
] as const satisfies readonly FormatInfo[];

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

/** The table entry of a format name, or undefined for a name that is not one. */
export function formatInfo(name: unknown): FormatInfo | undefined {
  return FORMATS.find((f) => f.name === name);
}

/**
 * The format a path's extension selects (`.json`, `.safetensors`, `.onnx`, `.tfjs`), if any.
 * @example
 * ```ts
 * formatForExtension(".ONNX"); // "onnx"
 * ```
 */
export function formatForExtension(ext: string): ModelFormat | undefined {
  const lower = ext.toLowerCase();
  return FORMATS.find((f) => (f.extensions as readonly string[]).includes(lower))?.name;
}

/**
 * Guesses the format of a set of files: from their names (`.onnx`, `.safetensors`, several files
 * or a `.bin` for TF.js), else from the first bytes of the first file; native JSON otherwise.
 * Reads nothing but names and first bytes, so it brings no format's reader into a bundle.
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
