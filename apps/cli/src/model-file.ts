import type { Sequential } from "@backprop/layers";
import type { Json } from "@backprop/linalg";
import { modelToJSON } from "@backprop/serialize";
import { loadModel, saveModel, writeFileAtomic } from "@backprop/serialize/node";
import { cliError } from "./cli-error.js";
import type { Task } from "./data/dataset.js";
import { parseNormalizer, type Normalizer } from "./data/normalize.js";

/**
 * What the CLI keeps in a model file besides the network: how to turn a CSV row into the
 * network's input (feature names, normaliser), what the outputs mean, how training was set up
 * (so `--resume` continues identically), and the loss history.
 */
export interface CliMetadata {
  readonly features: string[];
  readonly target?: string;
  readonly task: Task;
  readonly classes?: string[];
  readonly normalizer: Normalizer;
  /** `"softmax"` (one-hot outputs), `"sigmoid"` (one output, binary) or `"linear"` (regression). */
  readonly output: "softmax" | "sigmoid" | "linear";
  readonly training: {
    readonly source: string;
    readonly seed: number;
    readonly validationSplit: number;
    readonly batchSize: number;
    readonly epochs: number;
    readonly shuffle: boolean;
    /** Built-in datasets: the sample count and noise they were generated with. */
    readonly samples?: number;
    readonly noise?: number;
  };
  readonly history: Record<string, number[]>;
}

const KEY = "backpropCli";

/** Saves the model with the CLI's metadata, atomically; returns the written paths. */
export async function saveWithMetadata(model: Sequential, path: string, meta: CliMetadata, format?: "json" | "safetensors" | "onnx" | "tfjs"): Promise<string[]> {
  return saveModel(model, path, { metadata: { [KEY]: meta as unknown as Json }, ...(format ? { format } : {}) });
}

/** Loads a model file (any supported format); the CLI metadata is there when `backprop train` saved it. */
export async function loadWithMetadata(path: string): Promise<{ model: Sequential; meta: CliMetadata | undefined; metadata: Record<string, Json>; format: string }> {
  const { model, metadata, format } = await loadModel(path);
  const meta = metadata[KEY] as unknown as CliMetadata | undefined;
  return { model, meta, metadata, format: String(format) };
}

/** A model file's bytes taken now (a consistent epoch boundary), to be written later. */
export function snapshotModel(model: Sequential, meta: CliMetadata): Uint8Array {
  const file = modelToJSON(model, { metadata: { [KEY]: meta as unknown as Json } });
  return new TextEncoder().encode(`${JSON.stringify(file)}\n`);
}

/** Writes bytes to `path` through a temporary file and a rename: never a half-written file. */
export async function writeAtomic(path: string, bytes: Uint8Array): Promise<void> {
  await writeFileAtomic(path, bytes);
}

/** The CLI metadata, or a clear error for files saved by something else. */
export function requireMetadata(path: string, meta: CliMetadata | undefined): CliMetadata {
  if (!meta || typeof meta !== "object" || !Array.isArray(meta.features) || !meta.features.every((f) => typeof f === "string")) {
    throw cliError(`${path}: has no CLI metadata (feature names, normalisation); it was not saved by \`backprop train\``, "INVALID_FILE");
  }
  return { ...meta, normalizer: parseNormalizer(meta.normalizer, `${path}: metadata.backpropCli.normalizer`) };
}

/** Writes a model in another format, keeping its metadata; returns the written paths. */
export async function saveConverted(model: Sequential, path: string, format: "json" | "safetensors" | "onnx" | "tfjs", metadata: Record<string, Json>): Promise<string[]> {
  return saveModel(model, path, { metadata, format });
}
