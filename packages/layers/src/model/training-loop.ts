import { BackpropError, type DType, type FloatArray, type Rng, type Shape, type Tensor } from "@backprop/linalg";
import { BufferPool } from "../buffer-pool.js";
import type { Metric } from "../metrics/index.js";
import type { TrainingStep } from "./train-step.js";
import { earlyStopping, type Callback, type CallbackModel, type EarlyStoppingConfig, type Logs } from "./callbacks.js";

/** Options of `Sequential.fit`. */
export interface FitOptions {
  /** Index of the last epoch to run (exclusive), as Keras: with `initialEpoch` 3 and `epochs` 5, runs 2. Default 1. */
  readonly epochs?: number;
  /** Samples per gradient step. Default 32. */
  readonly batchSize?: number;
  /** Shuffle the training samples every epoch (with the model's generator). Default true. */
  readonly shuffle?: boolean;
  /** Fraction of the samples, taken from the end before shuffling, held out for validation. */
  readonly validationSplit?: number;
  /** Explicit validation inputs and targets (takes precedence over `validationSplit`). */
  readonly validationData?: readonly [Tensor, Tensor];
  /** Hooks called during training. */
  readonly callbacks?: readonly Callback[];
  /** Shorthand for adding an {@link earlyStopping} callback. */
  readonly earlyStopping?: EarlyStoppingConfig;
  /** Epoch to start from (when resuming). Default 0. */
  readonly initialEpoch?: number;
}

/** Options of `Sequential.fitAsync`: those of `fit`, plus how often to give the event loop a turn. */
export interface FitAsyncOptions extends FitOptions {
  /** Yield to the event loop after every `"epoch"` (default) or every `"batch"`. */
  readonly yieldEvery?: "epoch" | "batch";
}

/** What `Sequential.fit` returns: one entry per epoch of every logged value (Keras' `History`). */
export interface History {
  /** The epochs run (0-based). */
  readonly epoch: number[];
  /** `history.loss[i]`, `history.val_loss[i]`, `history.accuracy[i]` … for `epoch[i]`. */
  readonly history: Record<string, number[]>;
}

/** What the training loop needs from the model it trains. */
export interface TrainingHost {
  /** The model as callbacks see it; its `stopTraining` ends the loop. */
  readonly model: CallbackModel;
  /** The model's name, for messages. */
  readonly name: string;
  /** Element type of the batches. */
  readonly dtype: DType;
  /** The generator that shuffles. */
  readonly rng: Rng;
  /** The compiled metrics (read once per run). */
  metrics(): readonly Metric[];
  /** Validated, converted inputs and targets (first axis = samples). */
  prepare(where: string, x: Tensor, y: Tensor): { x: Tensor; y: Tensor };
  /** What runs each step (after `prepare`, which builds the model). */
  trainer(): TrainingStep;
  /** Loss and metrics over a data set, batch by batch. */
  evaluateBatches(x: Tensor, y: Tensor, batchSize: number): Logs;
  /** Records that `epoch + 1` epochs are complete. */
  epochDone(epoch: number): void;
}

/** Checks a batch size (or any count that must be a positive integer). */
export function checkPositiveInteger(where: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value <= 0) {
    throw new BackpropError("INVALID_ARGUMENT", `${where}: must be a positive integer (got ${JSON.stringify(value)})`);
  }
  return value;
}

/** Copies the samples `order[start…]` of `src` (each `width` numbers) into the first rows of `dst`. */
function copySamples(src: FloatArray, width: number, order: Int32Array, start: number, dst: FloatArray, rows: number): void {
  if (width >= 64) {
    // Wide samples (images): a native copy per sample beats the element loop despite the view it makes.
    for (let r = 0; r < rows; r++) {
      const from = (order[start + r] as number) * width;
      dst.set(src.subarray(from, from + width), r * width);
    }
    return;
  }
  for (let r = 0; r < rows; r++) {
    const from = (order[start + r] as number) * width;
    const to = r * width;
    for (let j = 0; j < width; j++) dst[to + j] = src[from + j] as number;
  }
}

function sampleShape(t: Tensor): Shape {
  return t.shape.slice(1);
}

/**
 * Runs epochs `from`…`to − 1` through the trainer's epoch runner, when a strategy has one, and
 * records them as the loop does (the loss of one batch of n rows: (0 + loss·n) / n). Returns the
 * first epoch it did not run.
 */
function wholeEpochs(host: TrainingHost, trainer: TrainingStep, x: Tensor, y: Tensor, from: number, to: number, history: History): number {
  const n = x.shape[0] as number;
  const losses = new Float64Array(to - from);
  const done = trainer.runEpochs(x, y, to - from, losses);
  if (done === 0) return from;
  const lossHistory = (history.history["loss"] ??= []);
  for (let i = 0; i < done; i++) {
    host.epochDone(from + i);
    history.epoch.push(from + i);
    lossHistory.push((0 + (losses[i] as number) * n) / n);
  }
  return from + done;
}

/**
 * The training loop of `fit` and `fitAsync`: epochs of shuffled mini-batches, metrics, validation,
 * callbacks and the history. It pauses after each batch or each epoch (`pauseAfter`) so `fitAsync`
 * can give the event loop a turn; `fit` never pauses.
 */
export function* trainingLoop(
  host: TrainingHost,
  x: Tensor,
  y: Tensor,
  options: FitOptions,
  pauseAfter: "batch" | "epoch" | "never",
): Generator<"batch" | "epoch", History, void> {
  const where = `${host.name}.fit`;
  const data = host.prepare("fit", x, y);
  // NOTE: the loop calls the step itself, not through the model: the shorter the call chain of a
  // tiny net's step, the sooner it is optimized.
  const trainer = host.trainer();
  const epochs = options.epochs ?? 1;
  const initialEpoch = options.initialEpoch ?? 0;
  if (!Number.isSafeInteger(epochs) || epochs < 0 || !Number.isSafeInteger(initialEpoch) || initialEpoch < 0) {
    throw new BackpropError("INVALID_ARGUMENT", `${where}: epochs and initialEpoch must be integers ≥ 0 (got ${String(epochs)}, ${String(initialEpoch)})`);
  }
  const batchSize = checkPositiveInteger(`${where}: batchSize`, options.batchSize ?? 32);
  const split = options.validationSplit ?? 0;
  if (typeof split !== "number" || !(split >= 0 && split < 1)) {
    throw new BackpropError("INVALID_ARGUMENT", `${where}: validationSplit must be in [0, 1) (got ${String(split)})`);
  }
  let trainX = data.x;
  let trainY = data.y;
  let valX: Tensor | undefined;
  let valY: Tensor | undefined;
  if (options.validationData) {
    const [vx, vy] = options.validationData;
    const v = host.prepare("fit(validationData)", vx, vy);
    valX = v.x;
    valY = v.y;
  } else if (split > 0) {
    // NOTE: as Keras, the validation samples are the last ones, taken before any shuffling.
    const total = trainX.shape[0] as number;
    const nTrain = Math.floor(total * (1 - split));
    if (nTrain === 0 || nTrain === total) {
      throw new BackpropError("INVALID_ARGUMENT", `${where}: validationSplit ${split} of ${total} samples leaves an empty set`);
    }
    valX = trainX.batchSlice(nTrain, total);
    valY = trainY.batchSlice(nTrain, total);
    trainX = trainX.batchSlice(0, nTrain);
    trainY = trainY.batchSlice(0, nTrain);
  }
  const n = trainX.shape[0] as number;
  const xWidth = n === 0 ? 0 : trainX.size / n;
  const yWidth = n === 0 ? 0 : trainY.size / n;
  const shuffle = options.shuffle ?? true;
  const callbacks = [...(options.callbacks ?? [])];
  if (options.earlyStopping) callbacks.push(earlyStopping(options.earlyStopping));
  // NOTE: the flag is read straight from the model (a plain field) every batch.
  const model = host.model;
  for (const cb of callbacks) cb.setModel?.(model);

  const metrics = host.metrics();
  const order = new Int32Array(n);
  const xPool = new BufferPool(sampleShape(trainX), host.dtype);
  const yPool = new BufferPool(sampleShape(trainY), host.dtype);
  const history: History = { epoch: [], history: {} };
  const metricSums = new Float64Array(metrics.length);
  model.stopTraining = false;
  const hooks = callbacks.length > 0;
  if (hooks) callbacks.forEach((cb) => cb.onTrainBegin?.({}));
  let lastLogs: Logs = {};
  // No callbacks, metrics or validation: the loss is the only logged value.
  const lossOnly = !hooks && metrics.length === 0 && !valX;
  let lossHistory: number[] | undefined;
  // Whole epochs in one call (a strategy's epoch runner) when nothing needs to see them one by
  // one: the loss is the only logged value, the loop never pauses, and each epoch is one batch of
  // every sample in order. Tried once, before the loop, which stays as it was: after a partial run
  // it starts at the epoch that stopped the runner (and reports it through the ordinary step).
  let firstEpoch = initialEpoch;
  if (lossOnly && pauseAfter === "never" && !shuffle && n > 0 && n <= batchSize && epochs > initialEpoch) {
    firstEpoch = wholeEpochs(host, trainer, trainX, trainY, initialEpoch, epochs, history);
    lossHistory = history.history["loss"];
  }
  for (let epoch = firstEpoch; epoch < epochs && !model.stopTraining; epoch++) {
    if (hooks) callbacks.forEach((cb) => cb.onEpochBegin?.(epoch, {}));
    // NOTE: the order restarts from 0…n-1 every epoch so it depends on the generator state alone:
    // a run resumed from a checkpoint draws the same batches as one that never stopped.
    for (let i = 0; i < n; i++) order[i] = i;
    if (shuffle) host.rng.shuffle(order);
    let lossSum = 0;
    let seen = 0;
    metricSums.fill(0);
    let batch = 0;
    for (let start = 0; start < n && !model.stopTraining; start += batchSize, batch++) {
      const rows = Math.min(batchSize, n - start);
      // Full batch in the original order: the batch is the training set itself, so no copy.
      const whole = !shuffle && rows === n;
      const bx = whole ? trainX : xPool.get(rows);
      const by = whole ? trainY : yPool.get(rows);
      if (!whole) {
        copySamples(trainX.data, xWidth, order, start, bx.data, rows);
        copySamples(trainY.data, yWidth, order, start, by.data, rows);
      }
      if (hooks) callbacks.forEach((cb) => cb.onBatchBegin?.(batch, { size: rows }));
      const batchLoss = trainer.run(bx, by, where, epoch, batch);
      lossSum += batchLoss * rows;
      seen += rows;
      const batchLogs: Logs | undefined = hooks ? { loss: batchLoss, size: rows } : undefined;
      if (metrics.length > 0) {
        const yPred = (trainer.prediction as Tensor).asMatrix();
        const yTrue = by.asMatrix();
        for (let i = 0; i < metrics.length; i++) {
          const m = metrics[i] as Metric;
          const v = m.compute(yPred, yTrue);
          metricSums[i] = (metricSums[i] as number) + v * rows;
          if (batchLogs) batchLogs[m.name] = v;
        }
      }
      if (batchLogs) callbacks.forEach((cb) => cb.onBatchEnd?.(batch, batchLogs));
      if (pauseAfter === "batch") yield "batch";
    }
    if (seen < n) break; // stopped mid-epoch: the epoch is not complete, so it is not logged
    if (lossOnly) {
      // Nobody but the history reads this epoch's logs: skip building the object.
      host.epochDone(epoch);
      history.epoch.push(epoch);
      (lossHistory ??= history.history["loss"] = []).push(lossSum / n);
      if (pauseAfter === "epoch") yield "epoch";
      continue;
    }
    const logs: Logs = { loss: lossSum / n };
    for (let i = 0; i < metrics.length; i++) {
      logs[(metrics[i] as Metric).name] = (metricSums[i] as number) / n;
    }
    if (valX && valY) {
      const val = host.evaluateBatches(valX, valY, batchSize);
      for (const [key, value] of Object.entries(val)) logs[`val_${key}`] = value;
    }
    host.epochDone(epoch);
    history.epoch.push(epoch);
    for (const key in logs) (history.history[key] ??= []).push(logs[key] as number);
    if (hooks) callbacks.forEach((cb) => cb.onEpochEnd?.(epoch, logs));
    lastLogs = logs;
    if (pauseAfter === "epoch") yield "epoch";
  }
  if (hooks) callbacks.forEach((cb) => cb.onTrainEnd?.(lastLogs));
  return history;
}
