import { BackpropError } from "@backprop/linalg";
import type { Param } from "@backprop/linalg";

/** Numbers reported during training: `loss`, metric names, and `val_`-prefixed validation values. */
export type Logs = Record<string, number>;

/**
 * What a callback sees of the model being trained: its parameters, and the switch that ends
 * training. `Sequential` is one; a callback needs nothing else, so it works with any model type.
 */
export interface CallbackModel {
  /** Set to true to end training after the current batch. */
  stopTraining: boolean;
  /** Every parameter, in layer order. */
  params(): readonly Param[];
}

/**
 * Hooks called by {@link Sequential.fit}. Every method is optional. Set `model.stopTraining = true`
 * from a hook to end training after the current epoch (batch hooks: after the current batch).
 */
export interface Callback {
  /** Receives the model before training starts. */
  setModel?(model: CallbackModel): void;
  /** Before the first epoch. */
  onTrainBegin?(logs: Logs): void;
  /** After the last epoch (or the one where training stopped), with that epoch's logs. */
  onTrainEnd?(logs: Logs): void;
  /** Before each epoch (0-based). */
  onEpochBegin?(epoch: number, logs: Logs): void;
  /** After each epoch, with its mean loss, metrics and `val_` values. */
  onEpochEnd?(epoch: number, logs: Logs): void;
  /** Before each batch (0-based within the epoch); `logs.size` is the batch's sample count. */
  onBatchBegin?(batch: number, logs: Logs): void;
  /** After each batch's update, with its loss, metrics and `size`. */
  onBatchEnd?(batch: number, logs: Logs): void;
}

/** Options of {@link earlyStopping}. */
export interface EarlyStoppingConfig {
  /** The logged value to watch, default `"val_loss"` (falls back to `"loss"` without validation data). */
  readonly monitor?: string;
  /** Smallest change that counts as an improvement, default 0. */
  readonly minDelta?: number;
  /** Epochs without improvement before stopping, default 0. */
  readonly patience?: number;
  /** `"min"`, `"max"`, or `"auto"` (max for names containing "acc", else min). Default `"auto"`. */
  readonly mode?: "min" | "max" | "auto";
  /** Put back the weights of the best epoch when stopping. Default false. */
  readonly restoreBestWeights?: boolean;
}

/** The {@link Callback} returned by {@link earlyStopping}, with what it observed. */
export interface EarlyStoppingCallback extends Callback {
  /** The epoch (0-based) after which training stopped, or -1 if it ran to the end. */
  readonly stoppedEpoch: number;
  /** The best monitored value seen. */
  readonly best: number;
  /** The epoch of the best value. */
  readonly bestEpoch: number;
}

/**
 * Stops training when a monitored value has stopped improving (Keras' `EarlyStopping`).
 *
 * @example
 * ```ts
 * model.fit(x, y, { epochs: 500, validationSplit: 0.2, callbacks: [earlyStopping({ patience: 10, restoreBestWeights: true })] });
 * ```
 */
export function earlyStopping(config: EarlyStoppingConfig = {}): EarlyStoppingCallback {
  const minDelta = Math.abs(config.minDelta ?? 0);
  const patience = config.patience ?? 0;
  if (!Number.isInteger(patience) || patience < 0) {
    throw new BackpropError("INVALID_CONFIG", `earlyStopping.patience: must be an integer ≥ 0 (got ${String(patience)})`);
  }
  if (!Number.isFinite(minDelta)) {
    throw new BackpropError("INVALID_CONFIG", `earlyStopping.minDelta: must be finite (got ${String(config.minDelta)})`);
  }
  let monitor = config.monitor ?? "val_loss";
  const modeOf = (name: string): "min" | "max" =>
    config.mode === "min" || config.mode === "max" ? config.mode : /acc/.test(name) ? "max" : "min";
  let model: CallbackModel | undefined;
  let wait = 0;
  let bestWeights: Float64Array[] | undefined;
  const state = { stoppedEpoch: -1, best: Number.NaN, bestEpoch: -1 };

  const improved = (value: number): boolean => {
    if (Number.isNaN(state.best)) return true;
    return modeOf(monitor) === "min" ? value < state.best - minDelta : value > state.best + minDelta;
  };

  return {
    get stoppedEpoch() {
      return state.stoppedEpoch;
    },
    get best() {
      return state.best;
    },
    get bestEpoch() {
      return state.bestEpoch;
    },
    setModel(m) {
      model = m;
    },
    onTrainBegin() {
      wait = 0;
      state.stoppedEpoch = -1;
      state.best = Number.NaN;
      state.bestEpoch = -1;
      bestWeights = undefined;
      monitor = config.monitor ?? "val_loss";
    },
    onEpochEnd(epoch, logs) {
      if (logs[monitor] === undefined && config.monitor === undefined && logs["loss"] !== undefined) monitor = "loss";
      const value = logs[monitor];
      if (value === undefined) {
        throw new BackpropError(
          "INVALID_CONFIG",
          `earlyStopping: "${monitor}" is not among the logged values (${Object.keys(logs).join(", ")})`,
        );
      }
      if (improved(value)) {
        state.best = value;
        state.bestEpoch = epoch;
        wait = 0;
        if (config.restoreBestWeights && model) {
          bestWeights = model.params().map((p) => Float64Array.from(p.value.data));
        }
        return;
      }
      wait++;
      if (wait > patience && model) {
        state.stoppedEpoch = epoch;
        model.stopTraining = true;
        if (config.restoreBestWeights && bestWeights) {
          model.params().forEach((p, i) => p.value.data.set(bestWeights?.[i] ?? p.value.data));
        }
      }
    },
  };
}
