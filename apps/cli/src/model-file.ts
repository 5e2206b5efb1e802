import { Sequential, layerFromConfig } from "@backprop/layers";
import type { Json } from "@backprop/linalg";
import { modelToJSON, type ModelFormat } from "@backprop/serialize";
import { loadModel, saveModel, writeFileAtomic } from "@backprop/serialize/node";
import { cliError } from "./cli-error.js";
import type { Task } from "./data/dataset.js";
import { normalizationLayer, parseNormalizer, type Normalizer } from "./data/normalize.js";

/**
 * What the CLI keeps in a model file besides the network: which CSV columns are the network's
 * input (feature names), what the outputs mean, how training was set up (so `--resume` continues
 * identically), and the loss history. The input scaling is the model's own first layer
 * (`Normalization`); files written before that keep it here as `normalizer`.
 */
export interface CliMetadata {
  readonly features: string[];
  readonly target?: string;
  readonly task: Task;
  readonly classes?: string[];
  /** Only in files saved before the model owned its scaling: applied to rows before the model. */
  readonly normalizer?: Normalizer;
  /** `"softmax"` (one-hot outputs), `"sigmoid"` (one output, binary) or `"linear"` (regression). */
  readonly output: "softmax" | "sigmoid" | "linear";
  readonly training: {
    readonly source: string;
    readonly seed: number;
    readonly validationSplit: number;
    readonly batchSize: number;
    readonly epochs: number;
    readonly shuffle: boolean;
    /** How inputs were scaled (by the model's Normalization layer). */
    readonly normalize?: string;
    /** Built-in datasets: the sample count and noise they were generated with. */
    readonly samples?: number;
    readonly noise?: number;
  };
  readonly history: Record<string, number[]>;
}

const KEY = "backpropCli";

/** Saves the model with the CLI's metadata, atomically; returns the written paths. */
export async function saveWithMetadata(model: Sequential, path: string, meta: CliMetadata, format?: ModelFormat): Promise<string[]> {
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
    throw cliError(`${path}: has no CLI metadata (feature names, task); it was not saved by \`backprop train\``, "INVALID_FILE");
  }
  if (meta.normalizer === undefined) return meta;
  return { ...meta, normalizer: parseNormalizer(meta.normalizer, `${path}: metadata.backpropCli.normalizer`) };
}

/** Writes a model in another format, keeping its metadata; returns the written paths. */
export async function saveConverted(model: Sequential, path: string, format: ModelFormat, metadata: Record<string, Json>): Promise<string[]> {
  return saveModel(model, path, { metadata, format });
}

/**
 * A model saved before the model owned its input scaling, with that scaling (the metadata's
 * `normalizer`) made its first layer: what `convert` writes, so ONNX and TF.js graphs take raw
 * inputs and agree with `predict`. Weights and trainable flags are copied; the optimizer is not
 * (a converted file is for inference).
 */
export function withNormalizationLayer(model: Sequential, normalizer: Normalizer): Sequential {
  const first = normalizationLayer(normalizer);
  if (!first) return model;
  const rest = model.layers.map((l) => layerFromConfig({ className: l.className, config: l.getConfig() }));
  const upgraded = new Sequential([first, ...rest], { dtype: model.dtype, seed: model.seed, name: model.name });
  upgraded.build(model.inputShape);
  const statistics = upgraded.params().slice(0, first.params().length);
  upgraded.setWeights([...statistics.map((p) => p.value), ...model.getWeights()]);
  const old = model.params();
  upgraded.params().slice(statistics.length).forEach((p, i) => {
    p.trainable = old[i]?.trainable ?? p.trainable;
  });
  if (model.loss && model.optimizer) upgraded.compile({ loss: model.loss, optimizer: { name: model.optimizer.name, config: model.optimizer.config } });
  return upgraded;
}
