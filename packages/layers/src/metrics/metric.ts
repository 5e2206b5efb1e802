import type { JsonObject, Matrix } from "@backprop/linalg";

/**
 * A metric: a number reported during training and evaluation, not differentiated.
 *
 * `compute` returns the mean over the batch's samples (`yPred.rows` of them; an empty batch gives
 * 0), so a trainer combines batches exactly as `Σ value·rows / Σ rows`. Every built-in is such a
 * per-sample mean.
 */
export interface Metric {
  /** Registry key and history key, e.g. `"accuracy"`. */
  readonly name: string;
  /** Hyperparameters, e.g. `{ threshold: 0.5 }`; with `name` this is all a model file stores. */
  readonly config: Readonly<JsonObject>;
  /** The metric of one batch: the mean over its `yPred.rows` samples. */
  compute(yPred: Matrix, yTrue: Matrix): number;
}
