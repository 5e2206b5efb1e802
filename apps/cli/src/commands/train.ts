import { readFileSync } from "node:fs";
import { getActivation, listActivations } from "@backprop/activations";
import { Dense, Sequential, getLoss, lossNames, type Callback, type History, type Layer } from "@backprop/layers";
import { Matrix, isBackpropError, type DType } from "@backprop/linalg";
import { getOptimizer, optimizerNames } from "@backprop/optimizers";
import { lossChart } from "../chart.js";
import { EXIT, cliError } from "../cli-error.js";
import { applyNormalizer, fitNormalizer, normalizationLayer, type NormalizeMethod } from "../data/normalize.js";
import { trainValidationSplit } from "../data/split.js";
import { loadWithMetadata, requireMetadata, saveWithMetadata, snapshotModel, writeAtomic, type CliMetadata } from "../model-file.js";
import { progressCallback, progressMode } from "../progress.js";
import { renderReport, scorePredictions } from "../report.js";
import { loadData } from "./data-source.js";

/** Flags of `backprop train`, after commander and the optional --config file are merged. */
export interface TrainOptions {
  target?: string;
  features?: string[];
  task?: "classification" | "regression";
  layers: number[];
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
  "target", "features", "task", "layers", "activation", "loss", "optimizer", "lr", "epochs", "batchSize",
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
    out[key] = key === "layers" && Array.isArray(value) ? value.map((l: unknown) => (typeof l === "object" && l !== null ? (l as { units?: unknown }).units : l)) : value;
  }
  const layers = out["layers"];
  if (layers !== undefined && (!Array.isArray(layers) || !layers.every((u) => Number.isSafeInteger(u) && (u as number) > 0))) {
    throw cliError(`${path}: "layers" must be a list of positive integers (units per hidden layer)`, "INVALID_FILE");
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

/** Builds and compiles the network for the data's task, after the input preprocessing layer if any. */
function buildModel(o: TrainOptions, inputs: number, outputs: number, task: "classification" | "regression", preprocessing: Layer | undefined): { model: Sequential; output: CliMetadata["output"] } {
  const loss = o.loss === "auto" ? (task === "classification" ? "categoricalCrossentropy" : "meanSquaredError") : (LOSS_ALIASES[o.loss] ?? o.loss);
  const output: CliMetadata["output"] = task === "regression" ? "linear" : loss === "binaryCrossentropy" ? "sigmoid" : "softmax";
  if (output === "sigmoid" && outputs !== 2) {
    throw cliError(`--loss binaryCrossentropy needs exactly 2 classes (the data has ${outputs})`);
  }
  const hidden = o.layers.map((units) => new Dense({ units, activation: o.activation }));
  const last = new Dense({ units: output === "sigmoid" ? 1 : outputs, activation: output === "linear" ? "identity" : output });
  const model = new Sequential([...(preprocessing ? [preprocessing] : []), ...hidden, last], { seed: o.seed, dtype: o.dtype });
  model.build([inputs]);
  model.compile({
    loss,
    optimizer: getOptimizer(o.optimizer, o.lr === undefined ? {} : { lr: o.lr }),
    metrics: task === "classification" ? ["accuracy"] : ["mae"],
  });
  return { model, output };
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
  let model: Sequential | undefined;
  let meta: CliMetadata | undefined;
  if (o.resume) {
    const loaded = await loadWithMetadata(o.resume);
    const saved = requireMetadata(o.resume, loaded.meta);
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
    const preprocessing = normalizationLayer(fitNormalizer(split.trainX, o.normalize));
    const outputs = data.task === "classification" ? (data.classes?.length ?? y[0]?.length ?? 1) : (y[0]?.length ?? 1);
    const built = buildModel(o, data.featureNames.length, outputs, data.task, preprocessing);
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
  net.build([x.cols]);

  say(`${net.summary()}\n`);
  say(`training on ${x.rows} samples${hasValidation ? `, validating on ${split.valX.length}` : ""} from ${source} (${meta.task}${meta.classes ? `, ${meta.classes.length} classes` : ""})${o.resume ? `, resuming at epoch ${net.epoch + 1}` : ""}`);

  const mode = progressMode(o, io.stdout);
  const metric = meta.task === "classification" ? "accuracy" : "meanAbsoluteError";
  const savePath = o.save ?? o.resume;
  if (o.checkpointEvery !== undefined && !savePath) throw cliError("--checkpoint-every needs --save <path> (checkpoints are written there)");

  // Checkpoints: an in-memory snapshot at every epoch end (so Ctrl-C can save a consistent epoch
  // boundary), written to disk every N epochs; writes are chained so two never race on one file.
  let history: Record<string, number[]> = Object.fromEntries(Object.entries(meta.history).map(([k, v]) => [k, [...v]]));
  let snapshot: { epoch: number; bytes: Uint8Array } | undefined;
  let writes: Promise<unknown> = Promise.resolve();
  const withHistory = (): CliMetadata => ({ ...meta, history });
  const snapshotNow = () => ({ epoch: net.epoch, bytes: snapshotModel(net, withHistory()) });
  const checkpoints: Callback = {
    onEpochEnd(_epoch, logs) {
      for (const [k, v] of Object.entries(logs)) (history[k] ??= []).push(v);
      snapshot = snapshotNow();
      if (savePath && o.checkpointEvery && net.epoch % o.checkpointEvery === 0) {
        const bytes = snapshot.bytes;
        writes = writes.then(() => writeAtomic(savePath, bytes));
      }
    },
  };
  let interrupted = false;
  const onSigint = () => {
    if (interrupted) process.exit(EXIT.interrupted);
    interrupted = true;
    net.stopTraining = true;
  };
  process.on("SIGINT", onSigint);
  let result: History;
  const started = performance.now();
  try {
    result = await net.fitAsync(x, yTrain, {
      epochs: o.epochs,
      initialEpoch: net.epoch,
      batchSize: o.batchSize,
      shuffle: o.shuffle,
      yieldEvery: "batch",
      ...(validation ? { validationData: validation } : {}),
      callbacks: [
        progressCallback({ mode, epochs: o.epochs, initialEpoch: net.epoch, samplesPerEpoch: x.rows, batchSize: o.batchSize, metric, out: io.stdout }),
        checkpoints,
      ],
    });
  } finally {
    process.off("SIGINT", onSigint);
  }
  await writes;
  const seconds = (performance.now() - started) / 1000;
  if (interrupted) {
    if (mode === "bar") io.stdout.write("\n");
    if (savePath && snapshot) {
      await writeAtomic(savePath, snapshot.bytes);
      io.stderr.write(`interrupted: checkpoint of epoch ${snapshot.epoch} saved to ${savePath}; continue with: backprop train --resume ${savePath}\n`);
    } else {
      io.stderr.write(`interrupted${savePath ? " before the first epoch ended: nothing saved" : ": nothing saved (no --save path)"}\n`);
    }
    return EXIT.interrupted;
  }
  void result;
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
