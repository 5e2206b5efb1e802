import { extname } from "node:path";
import { Sequential, layerFromConfig } from "@backprop/layers";
import type { Json } from "@backprop/linalg";
import { formatForExtension, type ModelFormat } from "@backprop/serialize";
import { encodeModel } from "@backprop/serialize/codec";
import { loadModel, saveModel, writeFileAtomic } from "@backprop/serialize/node";
import * as v from "valibot";
import { cliError } from "./cli-error.js";
import type { Task } from "./data/dataset.js";
import type { TableMetadata } from "./data/encoding.js";
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
  /** Sequence models for `backprop forecast` (`train --sequence`): how windows are made and scaled. */
  readonly series?: SeriesMetadata;
  /** Text models for `backprop generate` (`train-text`): the tokens and the vocabulary. */
  readonly text?: TextMetadata;
  /** Tabular models: how each column was encoded (one-hot categories, dates), the missing-cell policy and splits. */
  readonly table?: TableMetadata;
}

/**
 * What forecasting needs besides the network: the window, the horizon, the columns read at each
 * step (the target first) and the target's scaling. The inputs' scaling is the model's first layer
 * (`Normalization`, fitted on the training rows) and is repeated here as `inputScale` for readers.
 */
export interface SeriesMetadata {
  /** Steps the network reads. */
  readonly window: number;
  /** Values it predicts: the target at t+1 … t+horizon after a window ending at t. */
  readonly horizon: number;
  /** The column predicted. */
  readonly target: string;
  /** The columns read at each step, the target first; `[target]` for a univariate model. */
  readonly columns: string[];
  /** How each window is transformed before scaling (see `SeriesTransform`); absent: `"none"`. */
  readonly transform?: "none" | "log" | "diff" | "log-diff";
  /** The network predicts the transformed target scaled as `(y − mean) / std`. */
  readonly targetScale: { readonly mean: number; readonly std: number };
  /** Per column, as the model's Normalization layer holds them. */
  readonly inputScale: { readonly mean: number[]; readonly std: number[] };
  /** Rows of the training part (the validation part follows it). */
  readonly trainRows: number;
  /** Rows of the series trained on. */
  readonly rows: number;
}

/** What text generation needs besides the network: how text becomes token ids. */
export interface TextMetadata {
  /** `"chars"` or `"words"` (lower-cased words and punctuation; unknown words are `<unk>`). */
  readonly tokens: "chars" | "words";
  /** Token of each id. */
  readonly vocab: string[];
  /** Tokens per training sequence. */
  readonly seqLength: number;
  /** Tokens between the starts of two training sequences. */
  readonly step: number;
  /** The corpus' first token: where generation starts without a prompt. */
  readonly start: string;
}

const KEY = "backpropCli";

/** What a value is, for messages: `number`, `string`, `array`, `null`, `object`… */
function kind(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

/** A valibot message `expected <what> (got <kind>)`. */
const expected = (what: string) => (issue: v.BaseIssue<unknown>) => `expected ${what} (got ${kind(issue.input)})`;

const finite = v.pipe(v.number(expected("a number")), v.finite(expected("a finite number")));
const positiveInteger = v.pipe(v.number(expected("a positive integer")), v.safeInteger(expected("a positive integer")), v.minValue(1, (i) => `expected a positive integer (got ${String(i.input)})`));
const strings = v.array(v.string(expected("a string")), expected("an array of strings"));
const numbers = v.array(finite, expected("an array of numbers"));
const object = <T extends v.ObjectEntries>(entries: T) => v.looseObject(entries, expected("an object"));

/**
 * The CLI metadata as `backprop train`, `train --sequence` and `train-text` write it (valibot, as
 * `@backprop/serialize` checks the rest of the file). Objects are loose: a key this version does
 * not know (written by a newer one, e.g. the table's column encodings) is kept, not refused; its
 * reader checks it.
 */
const seriesSchema = object({
  window: positiveInteger,
  horizon: positiveInteger,
  target: v.string(expected("a string")),
  columns: v.pipe(strings, v.minLength(1, "expected at least one column")),
  transform: v.optional(v.picklist(["none", "log", "diff", "log-diff"], (i) => `expected none, log, diff or log-diff (got ${JSON.stringify(i.input)})`)),
  targetScale: object({ mean: finite, std: v.pipe(finite, v.gtValue(0, (i) => `expected a positive number (got ${String(i.input)})`)) }),
  inputScale: v.optional(object({ mean: numbers, std: numbers })),
  trainRows: positiveInteger,
  rows: positiveInteger,
});

const textSchema = object({
  tokens: v.picklist(["chars", "words"], (i) => `expected "chars" or "words" (got ${JSON.stringify(i.input)})`),
  vocab: v.pipe(strings, v.minLength(1, "expected at least one token")),
  seqLength: positiveInteger,
  step: positiveInteger,
  start: v.string(expected("a string")),
});

// NOTE: JSON has no NaN: a loss that diverged was written as null; it reads back as NaN.
const historyValue = v.pipe(
  v.nullable(v.number(expected("a number or null"))),
  v.transform((x) => x ?? Number.NaN),
);

const cliMetadataSchema = object({
  features: strings,
  target: v.optional(v.string(expected("a string"))),
  task: v.picklist(["classification", "regression"], (i) => `expected "classification" or "regression" (got ${JSON.stringify(i.input)})`),
  classes: v.optional(strings),
  // Its contents are checked by parseNormalizer, in requireMetadata.
  normalizer: v.optional(object({ method: v.string(expected("a string")) })),
  output: v.picklist(["softmax", "sigmoid", "linear"], (i) => `expected "softmax", "sigmoid" or "linear" (got ${JSON.stringify(i.input)})`),
  training: object({
    source: v.string(expected("a string")),
    seed: finite,
    validationSplit: finite,
    batchSize: finite,
    epochs: finite,
    shuffle: v.boolean(expected("true or false")),
    normalize: v.optional(v.string(expected("a string"))),
    samples: v.optional(finite),
    noise: v.optional(finite),
  }),
  history: v.pipe(
    v.custom<Record<string, unknown>>((x) => typeof x === "object" && x !== null && !Array.isArray(x), expected("an object of arrays of numbers")),
    v.record(v.string(), v.array(historyValue, expected("an array of numbers"))),
  ),
  series: v.optional(seriesSchema),
  text: v.optional(textSchema),
});

/** `["history", "loss", 3]` → `history.loss[3]`. */
function pathOf(issue: v.BaseIssue<unknown>): string {
  let out = "";
  for (const item of issue.path ?? []) {
    const key = item.key as string | number;
    if (typeof key === "number") out += `[${key}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(key)) out += `.${key}`;
    else out += `[${JSON.stringify(key)}]`;
  }
  return out;
}

/**
 * The CLI metadata of a model file, checked: undefined when the file has none (saved by
 * something else than the CLI).
 * @param path - the file, for messages
 * @throws BackpropError `INVALID_FILE` naming the file and the wrong field:
 *   `m.json: metadata.backpropCli.classes: expected an array of strings (got number)`
 */
export function readCliMetadata(path: string, metadata: Readonly<Record<string, Json>>): CliMetadata | undefined {
  if (!Object.hasOwn(metadata, KEY)) return undefined;
  const result = v.safeParse(cliMetadataSchema, metadata[KEY]);
  if (!result.success) {
    const issue = result.issues[0];
    throw cliError(`${path}: metadata.${KEY}${pathOf(issue)}: ${issue.message}`, "INVALID_FILE");
  }
  return result.output as unknown as CliMetadata;
}

/** Saves the model with the CLI's metadata, atomically; returns the written paths. */
export async function saveWithMetadata(model: Sequential, path: string, meta: CliMetadata, format?: ModelFormat): Promise<string[]> {
  return saveModel(model, path, { metadata: { [KEY]: meta as unknown as Json }, ...(format ? { format } : {}) });
}

/**
 * Loads a model file (any supported format) and checks its CLI metadata, which is there when
 * `backprop train` saved it.
 * @throws BackpropError `INVALID_FILE` for a file that cannot be read, or whose CLI metadata is malformed
 */
export async function loadWithMetadata(path: string): Promise<{ model: Sequential; meta: CliMetadata | undefined; metadata: Record<string, Json>; format: string }> {
  const { model, metadata, format } = await loadModel(path);
  const meta = readCliMetadata(path, metadata);
  return { model, meta, metadata, format: String(format) };
}

/**
 * A model file's bytes taken now (a consistent epoch boundary), to be written later: written
 * straight from the model's buffers (no string of the whole file).
 */
export function snapshotModel(model: Sequential, meta: CliMetadata, format: SnapshotFormat = "json"): Uint8Array {
  const { files } = encodeModel(model, { format, metadata: { [KEY]: meta as unknown as Json } });
  return Object.values(files)[0] as Uint8Array;
}

/** The single-file formats that keep the training state, in which a checkpoint can be written. */
export type SnapshotFormat = "json" | "safetensors";

/**
 * The checkpoint format a save path asks for: `.safetensors` → safetensors, a path without a
 * known extension → native JSON (as `saveModel` does), and undefined for ONNX and TF.js, which
 * keep no training state to resume from.
 */
export function snapshotFormatFor(path: string): SnapshotFormat | undefined {
  const format = formatForExtension(extname(path)) ?? "json";
  return format === "json" || format === "safetensors" ? format : undefined;
}

/** Writes bytes to `path` through a temporary file and a rename: never a half-written file. */
export async function writeAtomic(path: string, bytes: Uint8Array): Promise<void> {
  await writeFileAtomic(path, bytes);
}

/** The CLI metadata, or a clear error for files saved by something else. */
export function requireMetadata(path: string, meta: CliMetadata | undefined): CliMetadata {
  if (!meta || typeof meta !== "object" || !Array.isArray(meta.features) || !meta.features.every((f) => typeof f === "string") || typeof meta.training !== "object" || meta.training === null) {
    throw cliError(`${path}: has no CLI metadata (feature names, task); it was not saved by \`backprop train\``, "INVALID_FILE");
  }
  if (meta.normalizer === undefined) return meta;
  return { ...meta, normalizer: parseNormalizer(meta.normalizer, `${path}: metadata.backpropCli.normalizer`) };
}

const isNumber = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) > 0;
const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === "string");
const isNumbers = (v: unknown, n: number): v is number[] => Array.isArray(v) && v.length === n && v.every(isNumber);

/**
 * The series metadata of a model that `train --sequence` saved; a clear error for any other model.
 * @throws BackpropError `INVALID_FILE` naming the file, with a hint to the right command
 */
export function requireSeries(path: string, meta: CliMetadata | undefined): CliMetadata & { series: SeriesMetadata } {
  const m = requireMetadata(path, meta);
  const s = m.series as Partial<SeriesMetadata> | undefined;
  if (s === undefined) {
    throw cliError(`${path}: is not a sequence model (it was trained without --sequence), so it cannot forecast`, "INVALID_FILE", m.text ? "it is a text model: use `backprop generate`" : "use `backprop predict` for it, or train one with `backprop train <series> --sequence`");
  }
  const columns = s.columns;
  const ok =
    isCount(s.window) && isCount(s.horizon) && typeof s.target === "string" && isStrings(columns) && columns.length > 0 && columns[0] === s.target &&
    typeof s.targetScale === "object" && s.targetScale !== null && isNumber(s.targetScale.mean) && isNumber(s.targetScale.std) && s.targetScale.std > 0 &&
    isCount(s.trainRows) && isCount(s.rows) && (s.transform === undefined || ["none", "log", "diff", "log-diff"].includes(s.transform));
  if (!ok) throw cliError(`${path}: metadata.backpropCli.series is malformed (expected window, horizon, target, columns starting with the target, targetScale)`, "INVALID_FILE");
  return m as CliMetadata & { series: SeriesMetadata };
}

/**
 * The text metadata of a model that `train-text` saved; a clear error for any other model.
 * @throws BackpropError `INVALID_FILE` naming the file, with a hint to the right command
 */
export function requireText(path: string, meta: CliMetadata | undefined): CliMetadata & { text: TextMetadata } {
  const m = requireMetadata(path, meta);
  const t = m.text as Partial<TextMetadata> | undefined;
  if (t === undefined) {
    throw cliError(`${path}: is not a text model (it was not saved by \`backprop train-text\`), so it cannot generate text`, "INVALID_FILE", m.series ? "it is a sequence model: use `backprop forecast`" : "use `backprop predict` for it");
  }
  const ok = (t.tokens === "chars" || t.tokens === "words") && isStrings(t.vocab) && t.vocab.length > 0 && new Set(t.vocab).size === t.vocab.length && isCount(t.seqLength) && isCount(t.step) && typeof t.start === "string";
  if (!ok) throw cliError(`${path}: metadata.backpropCli.text is malformed (expected tokens, a vocabulary of distinct tokens, seqLength, step, start)`, "INVALID_FILE");
  return m as CliMetadata & { text: TextMetadata };
}

/** `predict` and `evaluate` read rows: refuse sequence and text models with the command that fits. */
export function refuseSequenceModels(path: string, meta: CliMetadata, command: string): void {
  if (meta.series) throw cliError(`${path}: is a sequence model (windows of ${meta.series.window} steps); \`backprop ${command}\` reads single rows`, "INVALID_ARGUMENT", `use \`backprop forecast ${path} <series.csv>\``);
  if (meta.text) throw cliError(`${path}: is a text model; \`backprop ${command}\` reads rows of numbers`, "INVALID_ARGUMENT", `use \`backprop generate ${path} --prompt "…"\``);
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
  // The layers keep their names, so their state (and the epochs trained) carries over.
  upgraded.setTrainingState(model.getTrainingState());
  return upgraded;
}
