import { existsSync, readFileSync, readdirSync } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import { getActivation, listActivations } from "@backprop/activations";
import { Dense, Dropout, Normalization, Sequential, earlyStopping, getLoss, layerFromConfig, lossNames, type EarlyStoppingCallback, type Layer } from "@backprop/layers";
import { Matrix, Tensor, isBackpropError, type DType, type JsonObject } from "@backprop/linalg";
import { cosineDecay, exponentialDecay, getOptimizer, optimizerNames, stepDecay, type Optimizer, type Schedule } from "@backprop/optimizers";
import { lossChart } from "../chart.js";
import { cliError } from "../cli-error.js";
import { fitWithCheckpoints } from "../fit-run.js";
import type { SeriesTransform } from "../data/series.js";
import { listNames } from "../data/cells.js";
import { MISSING_POLICIES, columnsOf, readTableMetadata, type ColumnEncoding, type MissingPolicy, type TableMetadata } from "../data/encoding.js";
import { applyFills, fitFills } from "../data/impute.js";
import { applyNormalizer, fitNormalizer, normalizationLayer, type NormalizeMethod } from "../data/normalize.js";
import { splitIndices, testSeed } from "../data/split.js";
import { checkNetworkMemory, formatCount } from "../memory-estimate.js";
import { loadWithMetadata, requireMetadata, saveWithMetadata, type CliMetadata } from "../model-file.js";
import { checkOutputPath } from "../output-path.js";
import { progressMode } from "../progress.js";
import { renderReport, scorePredictions, type ClassificationReport, type RegressionReport } from "../report.js";
import { loadData } from "./data-source.js";
import { trainSeries } from "./train-series.js";

/** Flags of `backprop train`, after commander and the optional --config file are merged. */
export interface TrainOptions {
  target?: string;
  features?: string[];
  task?: "classification" | "regression";
  layers: number[];
  /**
   * `"mlp"` (Dense layers of `layers` units), `"cnn"` (a LeNet-style preset for image data), or
   * with `sequence` a recurrent preset `"lstm" | "gru" | "rnn"` (the default there).
   */
  model?: "mlp" | "cnn" | "lstm" | "gru" | "rnn";
  /** Time series: sliding windows over a column, a chronological split (see train-series.ts). */
  sequence?: boolean;
  /** Steps per window (`sequence`). */
  window?: number;
  /** Values predicted after each window (`sequence`). */
  horizon?: number;
  /** Units of each recurrent layer (`sequence`), e.g. [32] or [64, 32]. */
  units?: number[];
  /** The recurrent cell (same as `model` lstm|gru|rnn). */
  cell?: string;
  /** How windows are transformed before scaling (`sequence`; see `SeriesTransform`). */
  transform?: SeriesTransform;
  /** A whole layer stack from a `--config` spec: `{ className, config }` per layer, output layer included. */
  layerSpecs?: { className: string; config: JsonObject }[];
  activation: string;
  loss: string;
  optimizer: string;
  lr?: number;
  epochs: number;
  batchSize: number;
  seed: number;
  /** Absent: {@link defaultValidationSplit} of the data's size. */
  validationSplit?: number;
  dtype: DType;
  normalize: NormalizeMethod;
  shuffle: boolean;
  samples?: number;
  noise?: number;
  save?: string;
  checkpointEvery?: number;
  resume?: string;
  quiet: boolean;
  json: boolean;
  /** What a missing cell does: drop the row (default), fill it (mean, median), or stop (error). */
  missing?: MissingPolicy;
  /** The CSV field separator (default: sniffed from the header line). */
  delimiter?: string;
  /** Share of the rows held out as a test set, never trained or validated on, scored at the end. */
  testSplit?: number;
  /** `balanced` (n / (classes · count), Keras' and scikit-learn's) or `label:weight,…`. */
  classWeight?: string;
  /** Epochs without a lower `val_loss` before stopping (the best epoch's weights are restored). */
  earlyStopping?: number;
  /** Dropout rate after each hidden Dense layer (mlp), or of the cnn preset's dropout. */
  dropout?: number;
  /** Rescale each step's gradients to at most this global L2 norm. */
  clipNorm?: number;
  /** `constant`, `cosine`, `exponential[:FACTOR]` (per epoch), `step:EPOCHS[:FACTOR]`. */
  lrSchedule?: string;
  /**
   * The options set on the command line or by `--config` (camelCase keys; the others are
   * defaults), so that `--resume` can say which ones it ignores.
   */
  given?: string[];
}

/** Below this many samples, nothing is held out unless asked: each one is needed to learn from. */
const MIN_SAMPLES_FOR_VALIDATION = 10;

/**
 * The validation share when none is given: 0.2, or 0 for data sets under 10 samples — holding
 * out one of xor's four rows leaves a truth table the network cannot complete and a meaningless
 * 0% validation accuracy.
 */
export function defaultValidationSplit(samples: number): number {
  return samples < MIN_SAMPLES_FOR_VALIDATION ? 0 : 0.2;
}

/** Keys a `--config` model spec file may set, mapped to the option they set. */
const SPEC_KEYS = [
  "target", "features", "task", "layers", "model", "activation", "loss", "optimizer", "lr", "epochs", "batchSize",
  "seed", "validationSplit", "dtype", "normalize", "shuffle", "samples", "noise", "missing", "delimiter", "testSplit", "classWeight",
  "earlyStopping", "dropout", "clipNorm", "lrSchedule",
] as const;

/**
 * Reads a `--config` spec file (JSON): any of the train flags in camelCase, e.g.
 * `{ "layers": [16, 8], "activation": "relu", "optimizer": "adam", "lr": 0.01, "epochs": 100 }`.
 * Flags given on the command line win over the file.
 */
export function readSpec(path: string): Partial<TrainOptions> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    throw cliError(`${path}: no such file (--config)`, "INVALID_FILE");
  }
  let spec: unknown;
  try {
    spec = JSON.parse(text);
  } catch (error) {
    throw cliError(`${path}: not valid JSON (${(error as Error).message})`, "INVALID_FILE");
  }
  if (typeof spec !== "object" || spec === null || Array.isArray(spec)) {
    throw cliError(`${path}: expected a JSON object of training options`, "INVALID_FILE");
  }
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(spec)) {
    if (!(SPEC_KEYS as readonly string[]).includes(key)) {
      throw cliError(`${path}: unknown key "${key}" (known: ${SPEC_KEYS.join(", ")})`, "INVALID_FILE");
    }
    out[key] = value;
  }
  const layers = out["layers"];
  if (Array.isArray(layers) && layers.some((l) => typeof l === "object" && l !== null && "className" in l)) {
    // A full layer stack, as a model file stores it: every entry { className, config }.
    layers.forEach((l: unknown, i) => {
      const entry = l as { className?: unknown; config?: unknown } | null;
      if (typeof entry !== "object" || entry === null || typeof entry.className !== "string" || (entry.config !== undefined && (typeof entry.config !== "object" || entry.config === null || Array.isArray(entry.config)))) {
        throw cliError(`${path}: layers[${i}] must be { "className": "...", "config": { ... } } like every other entry (got ${JSON.stringify(l)})`, "INVALID_FILE");
      }
    });
    out["layerSpecs"] = layers.map((l: { className: string; config?: JsonObject }) => ({ className: l.className, config: l.config ?? {} }));
    delete out["layers"];
  } else if (Array.isArray(layers)) {
    out["layers"] = layers.map((l: unknown) => (typeof l === "object" && l !== null ? (l as { units?: unknown }).units : l));
  }
  const units = out["layers"];
  if (units !== undefined && (!Array.isArray(units) || !units.every((u) => Number.isSafeInteger(u) && (u as number) > 0))) {
    throw cliError(`${path}: "layers" must be a list of positive integers (units per hidden layer), or of { className, config } layers`, "INVALID_FILE");
  }
  if (out["model"] !== undefined && out["model"] !== "mlp" && out["model"] !== "cnn") {
    throw cliError(`${path}: "model" must be "mlp" or "cnn" (got ${JSON.stringify(out["model"])})`, "INVALID_FILE");
  }
  const checks: [string, (v: unknown) => boolean, string][] = [
    ["missing", (v) => (MISSING_POLICIES as readonly unknown[]).includes(v), `one of ${MISSING_POLICIES.join(", ")}`],
    ["testSplit", (v) => typeof v === "number" && v >= 0 && v < 1, "a number in [0, 1)"],
    ["dropout", (v) => typeof v === "number" && v >= 0 && v < 1, "a number in [0, 1)"],
    ["clipNorm", (v) => typeof v === "number" && v > 0, "a positive number"],
    ["earlyStopping", (v) => Number.isSafeInteger(v) && (v as number) > 0, "a positive integer (epochs)"],
    ["classWeight", (v) => typeof v === "string", 'a string: "balanced" or "label:weight,…"'],
    ["lrSchedule", (v) => typeof v === "string", 'a string such as "cosine"'],
    ["delimiter", (v) => typeof v === "string" && v.length === 1, "one character"],
  ];
  for (const [key, ok, expected] of checks) {
    if (out[key] !== undefined && !ok(out[key])) throw cliError(`${path}: "${key}" must be ${expected} (got ${JSON.stringify(out[key])})`, "INVALID_FILE");
  }
  return out as Partial<TrainOptions>;
}

const LOSS_ALIASES: Record<string, string> = { ce: "categoricalCrossentropy", bce: "binaryCrossentropy", mse: "meanSquaredError", mae: "meanAbsoluteError" };

function checkComponents(o: TrainOptions): void {
  try {
    getActivation(o.activation);
  } catch {
    throw cliError(`--activation: unknown activation "${o.activation}" (valid: ${listActivations().join(", ")})`);
  }
  if (o.loss !== "auto") {
    try {
      getLoss(LOSS_ALIASES[o.loss] ?? o.loss);
    } catch {
      throw cliError(`--loss: unknown loss "${o.loss}" (valid: auto, ${lossNames().join(", ")})`);
    }
  }
  try {
    getOptimizer(o.optimizer, o.lr === undefined ? {} : { lr: o.lr });
  } catch (error) {
    if (isBackpropError(error) && error.code === "UNKNOWN_COMPONENT") {
      throw cliError(`--optimizer: unknown optimizer "${o.optimizer}" (valid: ${optimizerNames().join(", ")})`);
    }
    throw error;
  }
}

/**
 * The hidden layers of the `cnn` preset for images of `shape` ([h, w, c]): two convolution + max
 * pooling stages of 16 and 32 filters, then Flatten and Dropout 0.3 (the LeNet pattern, with the
 * dropout that keeps 8 000 MNIST images from being learnt by heart: 98.45 % held-out accuracy in
 * 12 epochs, against 96 % and falling without it). 5×5 "valid" convolutions on MNIST-sized images
 * (28×28 → 24 → 12 → 8 → 4), 3×3 "same" ones on small images such as digits' 8×8.
 */
function cnnLayers(shape: readonly number[], activation: string, dropout = 0.3): Layer[] {
  const small = Math.min(shape[0] ?? 0, shape[1] ?? 0) < 20;
  const conv = (filters: number) =>
    layerFromConfig({ className: "conv2d", config: { filters, kernelSize: small ? 3 : 5, padding: small ? "same" : "valid", activation } });
  const pool = () => layerFromConfig({ className: "maxPooling2d", config: { poolSize: 2 } });
  return [conv(16), pool(), conv(32), pool(), layerFromConfig({ className: "flatten", config: {} }), ...(dropout > 0 ? [new Dropout({ rate: dropout })] : [])];
}

/**
 * Builds and compiles the network for the data's task, after the input preprocessing layer if any:
 * a `--config` layer stack as given, the `cnn` preset for images, or Dense layers (`mlp`).
 */
function buildModel(
  o: TrainOptions,
  inputShape: readonly number[],
  outputs: number,
  task: "classification" | "regression",
  preprocessing: Layer | undefined,
  optimizer: Optimizer,
): { model: Sequential; output: CliMetadata["output"] } {
  const output = outputKind(o, task);
  const loss = lossName(o, task);
  if (output === "sigmoid" && outputs !== 2) {
    throw cliError(`--loss binaryCrossentropy needs exactly 2 classes (the data has ${outputs})`);
  }
  const width = output === "sigmoid" ? 1 : outputs;
  let layers: Layer[];
  if (o.layerSpecs) {
    layers = o.layerSpecs.map((spec, i) => {
      try {
        return layerFromConfig(spec);
      } catch (error) {
        throw cliError(`--config: layers[${i}]: ${(error as Error).message.split("\n")[0] ?? ""}`, "INVALID_FILE");
      }
    });
  } else {
    const dropout = o.dropout ?? 0;
    const hidden =
      o.model === "cnn"
        ? cnnLayers(inputShape, o.activation, o.dropout ?? 0.3)
        : o.layers.flatMap((units) => [new Dense({ units, activation: o.activation }), ...(dropout > 0 ? [new Dropout({ rate: dropout })] : [])]);
    layers = [...hidden, new Dense({ units: width, activation: output === "linear" ? "identity" : output })];
  }
  const model = new Sequential([...(preprocessing ? [preprocessing] : []), ...layers], { seed: o.seed, dtype: o.dtype });
  try {
    model.build(inputShape);
  } catch (error) {
    throw cliError(`${o.layerSpecs ? "--config" : "train"}: the layers do not fit inputs of shape [${inputShape.join(", ")}]: ${(error as Error).message.split("\n")[0] ?? ""}`, "INVALID_CONFIG");
  }
  const produced = model.outputShape ?? [];
  if (produced.length !== 1 || produced[0] !== width) {
    throw cliError(`--config: the last layer gives [${produced.join(", ")}] per sample (expected [${width}], one output per ${task === "classification" ? "class" : "target"})`, "INVALID_CONFIG");
  }
  model.compile({ loss, optimizer, metrics: task === "classification" ? ["accuracy"] : ["mae"] });
  return { model, output };
}

function lossName(o: TrainOptions, task: "classification" | "regression"): string {
  return o.loss === "auto" ? (task === "classification" ? "categoricalCrossentropy" : "meanSquaredError") : (LOSS_ALIASES[o.loss] ?? o.loss);
}

/** The output layer a task and loss call for: softmax over classes, one sigmoid (binary cross-entropy), or linear. */
function outputKind(o: TrainOptions, task: "classification" | "regression"): CliMetadata["output"] {
  return task === "regression" ? "linear" : lossName(o, task) === "binaryCrossentropy" ? "sigmoid" : "softmax";
}

/**
 * The input scaling as the model's first layer, fitted on the training rows. For images it is per
 * channel (Keras' Normalization on the channel axis): every pixel of a channel shares one mean and
 * variance, so a dark border does not get its own.
 */
function preprocessingLayer(rows: readonly (readonly number[])[], method: NormalizeMethod, inputShape: readonly number[]): Layer | undefined {
  if (inputShape.length === 1 || method === "none") return normalizationLayer(fitNormalizer(rows, method, "--normalize"));
  const channels = inputShape[inputShape.length - 1] as number;
  const pixels = new Float64Array(rows.length * (rows[0]?.length ?? 0));
  rows.forEach((row, i) => pixels.set(row, i * row.length));
  const asPixels = Tensor.fromFlat([pixels.length / channels, channels], pixels);
  if (method === "standard") return new Normalization({ inputShape: [...inputShape] }).adapt(asPixels);
  const min = new Array<number>(channels).fill(Infinity);
  const max = new Array<number>(channels).fill(-Infinity);
  for (let i = 0; i < pixels.length; i++) {
    const c = i % channels;
    const v = pixels[i] as number;
    if (v < (min[c] as number)) min[c] = v;
    if (v > (max[c] as number)) max[c] = v;
  }
  return new Normalization({
    inputShape: [...inputShape],
    mean: min,
    variance: min.map((lo, c) => ((max[c] as number) - lo > 0 ? ((max[c] as number) - lo) ** 2 : 1)),
  });
}

/** Targets as the network's output layer sees them (a binary sigmoid output takes class-1 indicators). */
function targetRows(y: number[][], output: CliMetadata["output"]): number[][] {
  return output === "sigmoid" ? y.map((r) => [r[1] ?? 0]) : y;
}

/**
 * The learning rate `--lr-schedule` makes of `lr` for a run of `epochs` epochs of `steps` steps:
 * `constant` (the rate itself), `cosine` (to 0 over the run, Keras' `CosineDecay`),
 * `exponential[:FACTOR]` (× FACTOR per epoch, default 0.95), `step:EPOCHS[:FACTOR]` (× FACTOR,
 * default 0.1, every EPOCHS epochs — PyTorch's `StepLR`).
 * @throws BackpropError `INVALID_ARGUMENT` for another form
 */
export function scheduleFor(spec: string, lr: number, steps: number, epochs: number): number | Schedule {
  const [name, ...args] = spec.split(":");
  const nums = args.map(Number);
  const bad = () => cliError(`--lr-schedule: expected constant, cosine, exponential[:FACTOR] or step:EPOCHS[:FACTOR] (got "${spec}")`);
  if (nums.some((v) => !Number.isFinite(v) || v <= 0)) throw bad();
  switch (name) {
    case "constant":
      if (args.length > 0) throw bad();
      return lr;
    case "cosine":
      if (args.length > 0) throw bad();
      return cosineDecay({ initial: lr, decaySteps: Math.max(1, steps * epochs) });
    case "exponential":
      if (args.length > 1) throw bad();
      return exponentialDecay({ initial: lr, gamma: nums[0] ?? 0.95, decaySteps: steps });
    case "step":
      if (args.length < 1 || args.length > 2 || !Number.isInteger(nums[0])) throw bad();
      return stepDecay({ initial: lr, stepSize: (nums[0] as number) * steps, gamma: nums[1] ?? 0.1 });
    default:
      throw bad();
  }
}

/** The optimizer of a new run: `--optimizer` with `--lr` (through `--lr-schedule`) and `--clip-norm`. */
function optimizerFor(o: TrainOptions, steps: number): Optimizer {
  const base = o.lr ?? (getOptimizer(o.optimizer).config["lr"] as number);
  const scheduled = o.lrSchedule === undefined ? o.lr : scheduleFor(o.lrSchedule, base, steps, o.epochs);
  // NOTE: a schedule is passed as it is stored, { name, config }: the optimizer config is JSON.
  const lr = typeof scheduled === "object" ? { name: scheduled.name, config: scheduled.config } : scheduled;
  return getOptimizer(o.optimizer, { ...(lr !== undefined ? { lr } : {}), ...(o.clipNorm !== undefined ? { clipNorm: o.clipNorm } : {}) });
}

/**
 * The weight of each class for `--class-weight`: `balanced` gives class c the weight
 * n / (k · n_c) over the n training rows of k classes present (Keras' and scikit-learn's
 * `class_weight="balanced"`), so every class weighs as much in the loss whatever its count;
 * `label:weight,…` sets them (an unlisted class weighs 1).
 * @throws BackpropError `INVALID_ARGUMENT` for an unknown label or a bad weight
 */
export function classWeights(spec: string, classes: readonly string[], trainY: readonly (readonly number[])[]): number[] {
  if (spec === "balanced") {
    const counts = new Array<number>(classes.length).fill(0);
    for (const row of trainY) {
      const k = row.indexOf(1);
      if (k >= 0) counts[k] = (counts[k] ?? 0) + 1;
    }
    const present = counts.filter((c) => c > 0).length;
    return counts.map((c) => (c > 0 ? trainY.length / (present * c) : 1));
  }
  const weights = new Array<number>(classes.length).fill(1);
  for (const part of spec.split(",")) {
    const at = part.lastIndexOf(":");
    const label = part.slice(0, at).trim();
    const w = Number(part.slice(at + 1));
    if (at < 0 || !Number.isFinite(w) || w < 0) throw cliError(`--class-weight: expected balanced or label:weight,… with weights ≥ 0 (got "${spec}")`);
    const k = classes.indexOf(label);
    if (k < 0) throw cliError(`--class-weight: "${label}" is not a class (classes: ${listNames(classes)})`);
    weights[k] = w;
  }
  return weights;
}

/**
 * `--resume FILE` must name a saved model; when only a temporary sibling (`.FILE.<pid>.<hex>.tmp`)
 * exists, the first checkpoint was interrupted mid-write and there is nothing to resume.
 */
function checkResumeFile(path: string): void {
  if (existsSync(path)) return;
  let partial: string | undefined;
  try {
    const prefix = `.${basename(path)}.`;
    partial = readdirSync(dirname(resolve(path))).find((f) => f.startsWith(prefix) && f.endsWith(".tmp"));
  } catch {
    partial = undefined;
  }
  if (partial !== undefined) {
    throw cliError(
      `--resume ${path}: the first checkpoint never completed (only the partial file ${partial} was written): there is nothing to resume`,
      "INVALID_FILE",
      "start the run again without --resume; the partial file can be deleted",
    );
  }
  throw cliError(`--resume ${path}: no such file`, "INVALID_FILE");
}

/** Options that shape a new network, its data or its split: `--resume` continues the saved ones. */
const FIXED_BY_RESUME: readonly (keyof TrainOptions)[] = [
  "layers", "layerSpecs", "model", "activation", "loss", "optimizer", "dtype", "normalize", "seed", "validationSplit", "batchSize", "shuffle",
  "samples", "noise", "task", "target", "features", "dropout", "testSplit", "missing", "classWeight", "lrSchedule",
];

const flagOf = (key: string): string => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/** The CLI's metadata with the table metadata (`metadata.backpropCli.table`). */
function withTable(meta: CliMetadata, table: TableMetadata): CliMetadata {
  return { ...meta, table };
}

/** The multiply-adds from which a run is called long: about a minute on one core. */
const LONG_RUN_MULTIPLY_ADDS = 1e11;

/** Runs `backprop train`; resolves to the exit code. */
export async function train(source: string | undefined, o: TrainOptions, io: { stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream }): Promise<number> {
  // A run of half an hour must not end in EISDIR with nothing saved: check where it goes first.
  if (o.save !== undefined) checkOutputPath(o.save, "--save");
  if (o.checkpointEvery !== undefined && o.save === undefined && o.resume === undefined) {
    throw cliError("--checkpoint-every needs --save <path> (checkpoints are written there)");
  }
  const say = (text: string) => {
    if (!o.quiet && !o.json) io.stdout.write(`${text}\n`);
  };
  const warn = (text: string) => io.stderr.write(`warning: ${text}\n`);
  if (o.sequence) {
    // NOTE: train-series reads its own options; these are for tables and would be ignored there.
    const tableOnly: [string, unknown][] = [
      ["--missing", o.missing], ["--delimiter", o.delimiter], ["--test-split", o.testSplit], ["--class-weight", o.classWeight],
      ["--early-stopping", o.earlyStopping], ["--dropout", o.dropout], ["--clip-norm", o.clipNorm], ["--lr-schedule", o.lrSchedule],
    ];
    const given = tableOnly.find(([, v]) => v !== undefined);
    if (given) throw cliError(`${given[0]}: applies to tables, not yet to --sequence models`, "INVALID_ARGUMENT");
    return trainSeries(source, o, io);
  }
  if (!o.resume) {
    const sequenceOnly: [string, unknown][] = [["--window", o.window], ["--horizon", o.horizon], ["--units", o.units], ["--cell", o.cell], ["--transform", o.transform]];
    const given = sequenceOnly.find(([, v]) => v !== undefined);
    if (given) throw cliError(`${given[0]}: applies to time-series models: add --sequence`, "INVALID_ARGUMENT");
  }
  let model: Sequential | undefined;
  let meta: CliMetadata | undefined;
  let saved: TableMetadata | undefined;
  if (o.resume) {
    checkResumeFile(o.resume);
    if (o.save === undefined) checkOutputPath(o.resume, "--resume");
    const loaded = await loadWithMetadata(o.resume);
    const previous = requireMetadata(o.resume, loaded.meta);
    if (previous.series) return trainSeries(source, o, io);
    if (previous.text) throw cliError(`${o.resume}: is a text model; \`backprop train-text\` does not resume runs yet`, "INVALID_ARGUMENT", "train a new one with more --epochs");
    model = loaded.model;
    saved = readTableMetadata(previous, o.resume);
    const t = previous.training;
    meta = { ...previous, training: { ...t, epochs: o.epochs > 0 && o.epochs !== t.epochs ? o.epochs : t.epochs } };
    if (!model.optimizer || !model.loss) throw cliError(`${o.resume}: has no optimizer state to resume from`, "INVALID_FILE");
    const ignored = (o.given ?? []).filter((k) => (FIXED_BY_RESUME as readonly string[]).includes(k));
    if (ignored.length > 0) {
      warn(
        `--resume ${o.resume} continues the saved run: ${ignored.map(flagOf).join(", ")} ${ignored.length > 1 ? "are" : "is"} ignored (the network, its optimizer, data and split are saved in the file; --lr, --clip-norm, --epochs and --early-stopping apply)`,
      );
    }
    if (o.lr !== undefined || o.clipNorm !== undefined) {
      // NOTE: a new optimizer with the saved one's config and state: only the rate (or clipping) changes.
      const old = model.optimizer;
      const next = getOptimizer(old.name, { ...old.config, ...(o.lr !== undefined ? { lr: o.lr } : {}), ...(o.clipNorm !== undefined ? { clipNorm: o.clipNorm } : {}) });
      next.loadStateDict(old.stateDict());
      model.compile({ loss: model.loss, optimizer: next, metrics: model.metrics });
    }
    o = {
      ...o,
      seed: t.seed,
      validationSplit: t.validationSplit,
      batchSize: t.batchSize,
      shuffle: t.shuffle,
      epochs: meta.training.epochs,
      dtype: model.dtype,
      ...(t.samples !== undefined ? { samples: t.samples } : {}),
      ...(t.noise !== undefined ? { noise: t.noise } : {}),
      ...(previous.target !== undefined ? { target: previous.target } : {}),
      task: previous.task,
      missing: saved?.missing ?? "error",
      testSplit: saved?.testSplit ?? 0,
      ...(saved?.classWeightSpec !== undefined ? { classWeight: saved.classWeightSpec } : { classWeight: undefined }),
      ...(o.earlyStopping === undefined && saved?.earlyStopping !== undefined ? { earlyStopping: saved.earlyStopping } : {}),
      ...(o.delimiter === undefined && saved?.delimiter !== undefined ? { delimiter: saved.delimiter } : {}),
    };
    source = source ?? t.source;
  }
  if (source === undefined) throw cliError("train: give a data source: a CSV/JSON file or a built-in dataset (see `backprop datasets`)");
  if (!o.resume) checkComponents(o);
  if (o.dropout !== undefined && o.layerSpecs) throw cliError("--dropout: applies to --layers (mlp) and the cnn preset; add dropout layers to the --config stack instead");

  const policy: MissingPolicy = o.missing ?? "drop";
  const data = loadData(source, {
    seed: o.seed,
    needTarget: true,
    missing: policy,
    ...(o.target !== undefined ? { target: o.target } : {}),
    ...(o.features && !o.resume ? { features: o.features } : {}),
    ...(o.task ? { task: o.task } : {}),
    ...(o.samples !== undefined ? { samples: o.samples } : {}),
    ...(o.noise !== undefined ? { noise: o.noise } : {}),
    ...(o.delimiter !== undefined ? { delimiter: o.delimiter } : {}),
    ...(o.resume && meta ? { encoding: columnsOf(meta.features, saved), ...(meta.classes ? { classes: meta.classes } : {}), model: { path: o.resume, features: meta.features, task: meta.task, ...(meta.classes ? { classes: meta.classes } : {}) } } : {}),
  });
  // NOTE: notes are printed once every check has passed, so that a refusal stays one line.
  const notes = [...(data.notes ?? [])];
  if (data.dropped) {
    const total = data.x.length + data.dropped;
    notes.push(`dropped ${formatCount(data.dropped)} of ${formatCount(total)} rows with missing cells (${data.droppedBy ?? ""}); --missing mean or median fills them instead`);
  }
  const y = data.y as number[][];

  // Rows: a test set first (never trained or validated on), then the validation split of the rest.
  const n = data.x.length;
  const testSplit = o.testSplit ?? 0;
  let rest = Array.from({ length: n }, (_, i) => i);
  let testRows: number[] = [];
  if (testSplit > 0) {
    const held = splitIndices(n, testSplit, testSeed(o.seed), "--test-split");
    testRows = held.validation;
    rest = held.train.sort((a, b) => a - b);
  }
  o = { ...o, validationSplit: o.validationSplit ?? defaultValidationSplit(rest.length) };
  const parts = splitIndices(rest.length, o.validationSplit as number, o.seed);
  const trainRows = parts.train.map((i) => rest[i] as number);
  const valRows = parts.validation.map((i) => rest[i] as number);

  // Missing cells are filled from the training rows only (--missing mean|median).
  let encoding: ColumnEncoding[] | undefined = data.encoding;
  if (!o.resume && encoding && (policy === "mean" || policy === "median")) {
    encoding = fitFills(data.x, trainRows, encoding, policy);
    applyFills(data.x, encoding);
  }
  const pick = (rows: readonly number[][], indices: readonly number[]) => indices.map((k) => rows[k] as number[]);
  const split = { trainX: pick(data.x, trainRows), trainY: pick(y, trainRows), valX: pick(data.x, valRows), valY: pick(y, valRows), testX: pick(data.x, testRows), testY: pick(y, testRows) };
  if (split.trainX.length === 0) throw cliError(`${data.source}: no training rows left (${n} rows, --test-split ${testSplit}, --validation-split ${String(o.validationSplit)})`);

  const classes = data.classes;
  if (data.task === "classification" && classes && classes.length * 10 > n) {
    warn(`${data.source}: ${formatCount(classes.length)} classes for ${formatCount(n)} rows (fewer than 10 rows per class): the network has little to learn each class from`);
  }
  if (o.classWeight !== undefined && data.task !== "classification") throw cliError("--class-weight: applies to classification (the target is a number)");
  const stepsPerEpoch = Math.max(1, Math.ceil(split.trainX.length / o.batchSize));

  if (o.resume && meta) {
    const m = meta;
    if (data.featureNames.length !== m.features.length) {
      throw cliError(`${source}: has ${data.featureNames.length} features, the model ${o.resume} was trained on ${m.features.length} (${m.features.join(", ")})`);
    }
  } else {
    // The model owns its input scaling: a Normalization layer fitted on the training split.
    if (o.model === "lstm" || o.model === "gru" || o.model === "rnn") {
      throw cliError(`--model ${o.model}: recurrent networks read sequences: add --sequence (time series) or use \`backprop train-text\``, "INVALID_ARGUMENT");
    }
    if (o.model === "cnn" && !data.imageShape) {
      throw cliError(`--model cnn: ${source} is not image data (its samples have no height × width × channels shape)`, "INVALID_ARGUMENT", "use an image dataset (digits, mnist), or --model mlp");
    }
    const width = data.x[0]?.length ?? data.featureNames.length;
    const inputShape = o.model === "cnn" || o.layerSpecs ? (data.imageShape ?? [width]) : [width];
    const outputs = data.task === "classification" ? (classes?.length ?? y[0]?.length ?? 1) : (y[0]?.length ?? 1);
    if (o.classWeight !== undefined && outputKind(o, data.task) === "sigmoid") {
      throw cliError("--class-weight: needs the softmax output of --loss auto or ce (a single sigmoid output cannot weigh class 0)");
    }
    if (o.model !== "cnn" && !o.layerSpecs) {
      const savePath = o.save;
      const savesJson = savePath !== undefined && (!/\.(safetensors|onnx)$/i.test(savePath) || o.checkpointEvery !== undefined);
      const heavy = checkNetworkMemory(
        {
          inputs: width,
          hidden: o.layers,
          outputs,
          dtype: o.dtype === "float64" ? "float64" : "float32",
          optimizer: o.optimizer,
          batchSize: o.batchSize,
          samples: split.trainX.length,
          earlyStopping: o.earlyStopping !== undefined,
          savesJson,
        },
        o.layers.length > 0 ? `--layers ${o.layers.join(",")}` : "train",
      );
      if (heavy) warn(heavy);
    }
    const preprocessing = preprocessingLayer(split.trainX, o.normalize, inputShape);
    const built = buildModel(o, inputShape, outputs, data.task, preprocessing, optimizerFor(o, stepsPerEpoch));
    model = built.model;
    meta = {
      features: data.featureNames,
      ...(data.targetName !== undefined ? { target: data.targetName } : {}),
      task: data.task,
      ...(classes ? { classes } : {}),
      output: built.output,
      training: {
        source,
        seed: o.seed,
        validationSplit: o.validationSplit as number,
        batchSize: o.batchSize,
        epochs: o.epochs,
        shuffle: o.shuffle,
        normalize: o.normalize,
        ...(o.samples !== undefined ? { samples: o.samples } : {}),
        ...(o.noise !== undefined ? { noise: o.noise } : {}),
      },
      history: {},
    };
  }
  if (!model || !meta) throw cliError("train: no model was built");

  // Class weights scale the one-hot training targets: with a softmax output, cross-entropy against
  // w·t is w times the loss, and its gradient w·(p − t) (the fused gradient uses Σt).
  const weights = o.classWeight !== undefined && classes ? (saved?.classWeight ?? classWeights(o.classWeight, classes, split.trainY)) : undefined;
  if (weights && classes) say(`class weights (${o.classWeight}): ${classes.map((c, k) => `${c} ${(weights[k] ?? 1).toFixed(3)}`).join(", ")}`);
  const weighted = weights ? split.trainY.map((row) => row.map((v, k) => v * (weights[k] ?? 1))) : split.trainY;

  meta = withTable(meta, {
    ...saved,
    ...(encoding && !o.resume ? { columns: encoding } : {}),
    ...(data.encoding ? { missing: policy } : {}),
    ...(testSplit > 0 ? { testSplit } : {}),
    ...(o.classWeight !== undefined && weights ? { classWeightSpec: o.classWeight, classWeight: weights } : {}),
    ...(o.earlyStopping !== undefined ? { earlyStopping: o.earlyStopping } : {}),
    ...(data.delimiter !== undefined ? { delimiter: data.delimiter } : {}),
    ...(data.fingerprint !== undefined ? { fingerprint: data.fingerprint } : {}),
    rows: { train: split.trainX.length, validation: split.valX.length, test: split.testX.length, dropped: data.dropped ?? 0 },
  });

  const dtype = model.dtype;
  const net = model;
  const m = meta;
  // A model file from before the Normalization layer keeps its scaling beside the model.
  const legacy = meta.normalizer;
  const toX = (rows: number[][]) => Matrix.fromArray(legacy ? applyNormalizer(legacy, rows, data.source) : rows, dtype);
  const toY = (rows: number[][]) => Matrix.fromArray(targetRows(rows, m.output), dtype);
  const x = toX(split.trainX);
  const yTrain = toY(weighted);
  const yTrainPlain = weights ? toY(split.trainY) : yTrain;
  const hasValidation = split.valX.length > 0;
  const validation: [Matrix, Matrix] | undefined = hasValidation ? [toX(split.valX), toY(split.valY)] : undefined;
  net.build();

  for (const note of notes) io.stderr.write(`note: ${data.source}: ${note}\n`);
  const params = net.countParams();
  if (!o.save && !o.resume && params * x.rows * Math.max(1, o.epochs - net.epoch) * 3 > LONG_RUN_MULTIPLY_ADDS) {
    warn(`no --save: this run (${formatCount(params)} parameters, ${formatCount(x.rows)} samples, ${o.epochs} epochs) keeps nothing when it ends; add --save model.json`);
  }
  if (o.earlyStopping !== undefined && !hasValidation) warn("--early-stopping: there is no validation set, so it watches the training loss");

  say(`${net.summary()}\n`);
  say(
    `training on ${x.rows} samples${hasValidation ? `, validating on ${split.valX.length}` : ""}${split.testX.length > 0 ? `, testing on ${split.testX.length} at the end` : ""} from ${source} (${meta.task}${meta.classes ? `, ${meta.classes.length} classes` : ""})${o.resume ? `, resuming at epoch ${net.epoch + 1}` : ""}`,
  );

  const mode = progressMode(o, io.stdout);
  const metric = meta.task === "classification" ? "accuracy" : "meanAbsoluteError";
  const savePath = o.save ?? o.resume;
  // NOTE: Keras stops after `patience` epochs in a row without improvement; the library's callback
  // after `patience + 1` (it stops once `wait > patience`), hence the − 1.
  const stopper: EarlyStoppingCallback | undefined = o.earlyStopping !== undefined ? earlyStopping({ patience: o.earlyStopping - 1, restoreBestWeights: true }) : undefined;
  const run = await fitWithCheckpoints({
    net,
    x,
    y: yTrain,
    validation,
    epochs: o.epochs,
    batchSize: o.batchSize,
    shuffle: o.shuffle,
    meta,
    savePath,
    checkpointEvery: o.checkpointEvery,
    mode,
    metric,
    ...(stopper ? { callbacks: [stopper] } : {}),
    resumeCommand: savePath ? `backprop train --resume ${savePath}` : undefined,
    io,
  });
  if (run.interrupted !== undefined) return run.interrupted;
  const { history, seconds } = run;
  const finalTrain = scorePredictions(net.predict(x).asMatrix(), yTrainPlain, meta.task, meta.classes);
  const finalVal = validation ? scorePredictions(net.predict(validation[0]).asMatrix(), validation[1], meta.task, meta.classes) : undefined;
  const trainLoss = net.evaluate(x, yTrainPlain)["loss"];
  const valLoss = validation ? net.evaluate(validation[0], validation[1])["loss"] : undefined;
  let finalTest: ClassificationReport | RegressionReport | undefined;
  let testLoss: number | undefined;
  if (split.testX.length > 0) {
    const tx = toX(split.testX);
    const ty = toY(split.testY);
    finalTest = scorePredictions(net.predict(tx).asMatrix(), ty, meta.task, meta.classes);
    testLoss = net.evaluate(tx, ty)["loss"];
  }
  const stopped = stopper && stopper.stoppedEpoch >= 0 ? { epoch: stopper.stoppedEpoch + 1, best: stopper.bestEpoch + 1, value: stopper.best } : undefined;
  let written: string[] = [];
  if (savePath) written = await saveWithMetadata(net, savePath, run.meta);

  if (o.json) {
    const summary = (r: ClassificationReport | RegressionReport) => (r.kind === "classification" ? { accuracy: r.accuracy } : { mse: r.mse, mae: r.mae, r2: r.r2 });
    io.stdout.write(
      `${JSON.stringify({
        event: "end",
        epochs: net.epoch,
        seconds,
        train: { loss: trainLoss, ...summary(finalTrain) },
        ...(finalVal ? { validation: { loss: valLoss, ...summary(finalVal) } } : {}),
        ...(finalTest ? { test: { samples: split.testX.length, loss: testLoss, ...summary(finalTest) } } : {}),
        ...(stopped ? { earlyStopping: { stoppedEpoch: stopped.epoch, bestEpoch: stopped.best, best: stopped.value } } : {}),
        saved: written,
      })}\n`,
    );
    return 0;
  }
  if (!o.quiet) {
    const chart = lossChart([
      { name: "loss", values: history["loss"] ?? [] },
      { name: "val_loss", values: history["val_loss"] ?? [] },
    ]);
    if ((history["loss"]?.length ?? 0) > 1) say(`\n${chart}`);
    const monitored = hasValidation ? "val_loss" : "loss";
    if (stopped) say(`\nstopped early after epoch ${stopped.epoch}: ${monitored} did not improve for ${stopped.epoch - stopped.best} epochs; restored the weights of epoch ${stopped.best} (${monitored} ${stopped.value.toFixed(6)})`);
    say(`\ntrained ${net.epoch} epochs in ${seconds.toFixed(2)} s\n\ntraining set:\n${renderReport(finalTrain, trainLoss)}`);
    if (finalVal) say(`\nvalidation set:\n${renderReport(finalVal, valLoss)}`);
    if (finalTest) say(`\ntest set (${split.testX.length} rows held out, never trained or validated on):\n${renderReport(finalTest, testLoss)}`);
  }
  if (written.length > 0 && !o.json) io.stdout.write(`${o.quiet ? "" : "\n"}model saved to ${written.join(", ")}\n`);
  return 0;
}
