import type { Json } from "@backprop/linalg";
import type { Sequential } from "@backprop/layers";
import type { LoadOptions } from "./custom-components.js";
import { invalidFile } from "./file-error.js";
import { formatInfo, formatNames, type FormatInfo, type ModelFormat } from "./format-info.js";
import { writeJsonChunks } from "./json-writer.js";
import { modelFromFile, modelToJSONShared, readModelFile, type ToJSONOptions } from "./model-file.js";
import { modelToSafetensors, safetensorsToModelFile } from "./model-safetensors.js";
import { modelToOnnx } from "./onnx-export.js";
import { modelFromOnnx, readOnnxMetadata } from "./onnx-import.js";
import { isWeightData, parseJson } from "./safe-json.js";
import { modelFromTfjs, modelToTfjs, readTfjsMetadata } from "./tfjs.js";

/*
 * Every format's writer and reader, by name (their names, extensions and detection are in
 * format-info.ts). Only the all-format entries import this table — `@backprop/serialize/codec`
 * and `/node` — so a bundle of the main entry holds only the formats it calls.
 */

/** What every format's writer receives: the native file options, and the metadata every format keeps. */
export type FormatEncodeOptions = ToJSONOptions;

/** A file's bytes: one array, or chunks to be written one after the other (a large JSON text). */
export type FileBytes = Uint8Array | readonly Uint8Array[];

/** A model read back, with the user metadata stored beside it. */
export interface FormatDecoded {
  readonly model: Sequential;
  readonly metadata: Record<string, Json>;
}

/** How one format writes and reads a model's files. */
export interface FormatCodec {
  /** The model's files, by name; `base` is the name without extension. */
  readonly encode: (model: Sequential, options: FormatEncodeOptions, base: string) => Record<string, FileBytes>;
  /** The model from its files; `main` is the name of the main file among them. */
  readonly decode: (files: Readonly<Record<string, Uint8Array>>, main: string, options: LoadOptions) => FormatDecoded;
}

/** A format's entry in the table, and its writer and reader: what `encodeModel` and `loadModel` use. */
export type FormatSpec = FormatInfo & FormatCodec;

const withMetadata = (options: FormatEncodeOptions) => (options.metadata ? { metadata: options.metadata } : {});

/** The model and metadata of a native model file parsed by `parseJson` (or `readJsonFrom`). */
export function decodeNativeJson(value: Json, options: LoadOptions): FormatDecoded {
  const loc = { file: options.file };
  const file = readModelFile(value, loc, true);
  return { model: modelFromFile(file, options), metadata: file.metadata };
}

const CODECS: Readonly<Record<ModelFormat, FormatCodec>> = {
  json: {
    // Straight from the model's buffers to bytes, without a string of the whole file.
    encode: (model, options, base) => ({ [`${base}.json`]: writeJsonChunks(modelToJSONShared(model, options, "encodeModel")) }),
    decode: (files, main, options) => decodeNativeJson(parseJson(files[main] as Uint8Array, { file: options.file }, "", { floatArrayAt: isWeightData }), options),
  },
  safetensors: {
    encode: (model, options, base) => ({ [`${base}.safetensors`]: modelToSafetensors(model, options) }),
    decode: (files, main, options) => {
      const file = safetensorsToModelFile(files[main] as Uint8Array, { file: options.file });
      return { model: modelFromFile(file, options), metadata: file.metadata };
    },
  },
  onnx: {
    encode: (model, options, base) => ({ [`${base}.onnx`]: modelToOnnx(model, withMetadata(options)) }),
    decode: (files, main, options) => {
      const bytes = files[main] as Uint8Array;
      return { model: modelFromOnnx(bytes, options), metadata: readOnnxMetadata(bytes, options) };
    },
  },
  tfjs: {
    encode: (model, options, base) => modelToTfjs(model, { weightsFile: `${base}.weights.bin`, jsonFile: `${base}.json`, ...withMetadata(options) }),
    decode: (files, main, options) => ({ model: modelFromTfjs(files, options), metadata: readTfjsMetadata(files[main] as Uint8Array, options) }),
  },
};

/** A format's table entry with its writer and reader, or undefined for a name that is not a format. */
export function formatSpec(name: unknown): FormatSpec | undefined {
  const info = formatInfo(name);
  return info === undefined ? undefined : { ...info, ...CODECS[info.name as ModelFormat] };
}

/** {@link formatSpec}, or INVALID_FILE naming every format for a name that is not one. */
export function requireFormat(format: unknown): FormatSpec {
  const spec = formatSpec(format);
  if (spec === undefined) throw invalidFile({}, "format", `unknown format (got ${JSON.stringify(format)}, expected ${formatNames()})`);
  return spec;
}

/**
 * A model's files in `format`, a large one left in chunks for writing them one by one
 * (`saveModel`; `encodeModel` joins them). `options.name` is the base name, default `"model"`.
 */
export function encodeModelParts(model: Sequential, options: FormatEncodeOptions & { readonly name?: string }, format: ModelFormat): Record<string, FileBytes> {
  return requireFormat(format).encode(model, options, options.name ?? "model");
}
