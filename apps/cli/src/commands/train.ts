import { readFileSync } from "node:fs";
import { getActivation, listActivations } from "@backprop/activations";
import { Dense, Dropout, Normalization, Sequential, getLoss, layerFromConfig, lossNames, type Layer } from "@backprop/layers";
import { Matrix, Tensor, isBackpropError, type DType, type JsonObject } from "@backprop/linalg";
import { getOptimizer, optimizerNames } from "@backprop/optimizers";
import { lossChart } from "../chart.js";
import { cliError } from "../cli-error.js";
import { fitWithCheckpoints } from "../fit-run.js";
import type { SeriesTransform } from "../data/series.js";
import { applyNormalizer, fitNormalizer, normalizationLayer, type NormalizeMethod } from "../data/normalize.js";
import { trainValidationSplit } from "../data/split.js";
import { loadWithMetadata, requireMetadata, saveWithMetadata, type CliMetadata } from "../model-file.js";
import { progressMode } from "../progress.js";
import { renderReport, scorePredictions } from "../report.js";
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
  "seed", "validationSplit", "dtype", "normalize", "shuffle", "samples", "noise",
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
 * dropout that keeps 8 000 MNIST images from being learnt by heart: 98.4 % held-out accuracy in
 * 12 epochs, against 96 % and falling without it). 5×5 "valid" convolutions on MNIST-sized images
 * (28×28 → 24 → 12 → 8 → 4), 3×3 "same" ones on small images such as digits' 8×8.
 */
function cnnLayers(shape: readonly number[], activation: string): Layer[] {
  const small = Math.min(shape[0] ?? 0, shape[1] ?? 0) < 20;
  const conv = (filters: number) =>
    layerFromConfig({ className: "conv2d", config: { filters, kernelSize: small ? 3 : 5, padding: small ? "same" : "valid", activation } });
  const pool = () => layerFromConfig({ className: "maxPooling2d", config: { poolSize: 2 } });
  return [conv(16), pool(), conv(32), pool(), layerFromConfig({ className: "flatten", config: {} }), new Dropout({ rate: 0.3 })];
}

/**
 * Builds and compiles the network for the data's task, after the input preprocessing layer if any:
 * a `--config` layer stack as given, the `cnn` preset for images, or Dense layers (`mlp`).
 */
function buildModel(o: TrainOptions, inputShape: readonly number[], outputs: number, task: "classification" | "regression", preprocessing: Layer | undefined): { model: Sequential; output: CliMetadata["output"] } {
  const loss = o.loss === "auto" ? (task === "classification" ? "categoricalCrossentropy" : "meanSquaredError") : (LOSS_ALIASES[o.loss] ?? o.loss);
  const output: CliMetadata["output"] = task === "regression" ? "linear" : loss === "binaryCrossentropy" ? "sigmoid" : "softmax";
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
    const hidden = o.model === "cnn" ? cnnLayers(inputShape, o.activation) : o.layers.map((units) => new Dense({ units, activation: o.activation }));
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
  model.compile({
    loss,
    optimizer: getOptimizer(o.optimizer, o.lr === undefined ? {} : { lr: o.lr }),
    metrics: task === "classification" ? ["accuracy"] : ["mae"],
  });
  return { model, output };
}

/**
 * The input scaling as the model's first layer, fitted on the training rows. For images it is per
 * channel (Keras' Normalization on the channel axis): every pixel of a channel shares one mean and
 * variance, so a dark border does not get its own.
 */
function preprocessingLayer(rows: readonly (readonly number[])[], method: NormalizeMethod, inputShape: readonly number[]): Layer | undefined {
  if (inputShape.length === 1 || method === "none") return normalizationLayer(fitNormalizer(rows, method));
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

/** Runs `backprop train`; resolves to the exit code. */
export async function train(source: string | undefined, o: TrainOptions, io: { stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream }): Promise<number> {
  const say = (text: string) => {
    if (!o.quiet && !o.json) io.stdout.write(`${text}\n`);
  };
  if (o.sequence) return trainSeries(source, o, io);
  if (!o.resume) {
    const sequenceOnly: [string, unknown][] = [["--window", o.window], ["--horizon", o.horizon], ["--units", o.units], ["--cell", o.cell], ["--transform", o.transform]];
    const given = sequenceOnly.find(([, v]) => v !== undefined);
    if (given) throw cliError(`${given[0]}: applies to time-series models: add --sequence`, "INVALID_ARGUMENT");
  }
  let model: Sequential | undefined;
  let meta: CliMetadata | undefined;
  if (o.resume) {
    const loaded = await loadWithMetadata(o.resume);
    const saved = requireMetadata(o.resume, loaded.meta);
    if (saved.series) return trainSeries(source, o, io);
    if (saved.text) throw cliError(`${o.resume}: is a text model; \`backprop train-text\` does not resume runs yet`, "INVALID_ARGUMENT", "train a new one with more --epochs");
    model = loaded.model;
    const t = saved.training;
    meta = { ...saved, training: { ...t, epochs: o.epochs > 0 && o.epochs !== t.epochs ? o.epochs : t.epochs } };
    if (!model.optimizer) throw cliError(`${o.resume}: has no optimizer state to resume from`, "INVALID_FILE");
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
    };
    source = source ?? t.source;
  }
  if (source === undefined) throw cliError("train: give a data source: a CSV/JSON file or a built-in dataset (see `backprop datasets`)");
  if (!o.resume) checkComponents(o);

  const data = loadData(source, {
    seed: o.seed,
    needTarget: true,
    ...(o.target !== undefined ? { target: o.target } : {}),
    ...(o.features ? { features: o.features } : {}),
    ...(o.task ? { task: o.task } : {}),
    ...(o.samples !== undefined ? { samples: o.samples } : {}),
    ...(o.noise !== undefined ? { noise: o.noise } : {}),
  });
  const y = data.y as number[][];
  o = { ...o, validationSplit: o.validationSplit ?? defaultValidationSplit(data.x.length) };
  const split = trainValidationSplit(data.x, y, o.validationSplit as number, o.seed);

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
    const inputShape = o.model === "cnn" || o.layerSpecs ? (data.imageShape ?? [data.featureNames.length]) : [data.featureNames.length];
    const preprocessing = preprocessingLayer(split.trainX, o.normalize, inputShape);
    const outputs = data.task === "classification" ? (data.classes?.length ?? y[0]?.length ?? 1) : (y[0]?.length ?? 1);
    const built = buildModel(o, inputShape, outputs, data.task, preprocessing);
    model = built.model;
    meta = {
      features: data.featureNames,
      ...(data.targetName !== undefined ? { target: data.targetName } : {}),
      task: data.task,
      ...(data.classes ? { classes: data.classes } : {}),
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
  if (!model || !meta) throw cliError("train: internal error: no model was built");
  const dtype = model.dtype;
  const net = model;
  // A model file from before the Normalization layer keeps its scaling beside the model.
  const legacy = meta.normalizer;
  const toX = (rows: number[][]) => Matrix.fromArray(legacy ? applyNormalizer(legacy, rows) : rows, dtype);
  const toY = (rows: number[][]) => Matrix.fromArray(targetRows(rows, meta.output), dtype);
  const x = toX(split.trainX);
  const yTrain = toY(split.trainY);
  const hasValidation = split.valX.length > 0;
  const validation: [Matrix, Matrix] | undefined = hasValidation ? [toX(split.valX), toY(split.valY)] : undefined;
  net.build();

  say(`${net.summary()}\n`);
  say(`training on ${x.rows} samples${hasValidation ? `, validating on ${split.valX.length}` : ""} from ${source} (${meta.task}${meta.classes ? `, ${meta.classes.length} classes` : ""})${o.resume ? `, resuming at epoch ${net.epoch + 1}` : ""}`);

  const mode = progressMode(o, io.stdout);
  const metric = meta.task === "classification" ? "accuracy" : "meanAbsoluteError";
  const savePath = o.save ?? o.resume;
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
    resumeCommand: savePath ? `backprop train --resume ${savePath}` : undefined,
    io,
  });
  if (run.interrupted !== undefined) return run.interrupted;
  const { history, seconds } = run;
  const withHistory = () => run.meta;
  const trainPred = net.predict(x).asMatrix();
  const finalTrain = scorePredictions(trainPred, yTrain, meta.task, meta.classes);
  const finalVal = validation ? scorePredictions(net.predict(validation[0]).asMatrix(), validation[1], meta.task, meta.classes) : undefined;
  const trainLoss = net.evaluate(x, yTrain)["loss"];
  const valLoss = validation ? net.evaluate(validation[0], validation[1])["loss"] : undefined;
  let saved: string[] = [];
  if (savePath) saved = await saveWithMetadata(net, savePath, withHistory());

  if (o.json) {
    const summary = (r: typeof finalTrain) => (r.kind === "classification" ? { accuracy: r.accuracy } : { mse: r.mse, mae: r.mae, r2: r.r2 });
    io.stdout.write(`${JSON.stringify({ event: "end", epochs: net.epoch, seconds, train: { loss: trainLoss, ...summary(finalTrain) }, ...(finalVal ? { validation: { loss: valLoss, ...summary(finalVal) } } : {}), saved })}\n`);
    return 0;
  }
  if (!o.quiet) {
    const chart = lossChart([
      { name: "loss", values: history["loss"] ?? [] },
      { name: "val_loss", values: history["val_loss"] ?? [] },
    ]);
    if ((history["loss"]?.length ?? 0) > 1) say(`\n${chart}`);
    say(`\ntrained ${net.epoch} epochs in ${seconds.toFixed(2)} s\n\ntraining set:\n${renderReport(finalTrain, trainLoss)}`);
    if (finalVal) say(`\nvalidation set:\n${renderReport(finalVal, valLoss)}`);
  }
  if (saved.length > 0 && !o.json) io.stdout.write(`${o.quiet ? "" : "\n"}model saved to ${saved.join(", ")}\n`);
  return 0;
}
