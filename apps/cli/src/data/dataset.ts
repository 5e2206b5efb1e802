import type { ColumnEncoding } from "./encoding.js";

/**
 * What a network is asked to learn: `"classification"` (one-hot targets, softmax + cross-entropy)
 * or `"regression"` (real-valued targets, mean squared error).
 */
export type Task = "classification" | "regression";

/**
 * Inputs and targets read from a user's file (CSV or JSON), ready for {@link toMatrix}.
 *
 * `y` is `undefined` when no target column was asked for (as for `backprop predict`).
 * For classification, `y[i]` is one-hot over `classes`; for regression it is `[value]`.
 *
 * @example
 * ```ts
 * const data = tableToDataset(parseCsv(text, "iris.csv"), { target: "species", fileName: "iris.csv" });
 * data.classes; // ["setosa", "versicolor", "virginica"]
 * ```
 */
export interface TableDataset {
  /** One row of numeric features per sample. */
  readonly x: number[][];
  /** One target row per sample, or `undefined` without a target column. */
  readonly y: number[][] | undefined;
  /** The name of each feature column, in the order of `x`'s columns. */
  readonly featureNames: string[];
  /** The target column's name, when there is one. */
  readonly targetName?: string;
  /** Classification when the target is categorical, regression otherwise. */
  readonly task: Task;
  /** The class labels, sorted; column `k` of `y` is `classes[k]`. Only for classification. */
  readonly classes?: string[];
  /** For images: the shape of one sample, `[height, width, channels]`; its rows are the pixels in row-major order. */
  readonly imageShape?: readonly number[];
  /**
   * How each feature column (`featureNames`, in order) became columns of `x` — numbers, one-hot
   * categories, dates — with the fill values of missing cells once fitted. Absent for built-in data.
   */
  readonly encoding?: ColumnEncoding[];
  /** The 1-based data row (in the file) of each sample, when some rows were dropped for missing cells. */
  readonly rowNumbers?: number[];
  /** Rows dropped because a cell was missing (`missing: "drop"`). */
  readonly dropped?: number;
  /** The missing cells of the dropped rows per column, for messages: `"sex: 11, bill_length_mm: 2"`. */
  readonly droppedBy?: string;
  /** The `id` column's value of each sample (predict `--id`). */
  readonly ids?: string[];
  /** One-line notes on how the table was read: columns left out, rows dropped. */
  readonly notes?: string[];
  /**
   * True when `x` holds NaN for missing cells still to be filled (`missing: "mean" | "median"`
   * without fill values): fit them on the training rows with `fitFills`, then `applyFills`.
   */
  readonly unfilled?: boolean;
}

/**
 * A dataset built into the CLI (`backprop train --data xor`): generated from a seed or read from a
 * package or a vendored file, never downloaded.
 *
 * `y` is always present: one-hot rows over `classes` for classification, `[value]` for regression.
 */
export interface Dataset {
  /** The name it is loaded by, e.g. `"moons"`. */
  readonly name: string;
  /** One line on what it is. */
  readonly description: string;
  /** One row of numeric features per sample. */
  readonly x: number[][];
  /** One target row per sample. */
  readonly y: number[][];
  /** The name of each feature, in the order of `x`'s columns. */
  readonly featureNames: string[];
  /** What the network should learn. */
  readonly task: Task;
  /** The class labels; column `k` of `y` is `classes[k]`. Only for classification. */
  readonly classes?: string[];
  /** Where the data comes from and under which licence, for datasets that are not generated. */
  readonly license?: string;
  /** For images: the shape of one sample, `[height, width, channels]` (channels last). */
  readonly imageShape?: readonly number[];
}

/** Options every built-in dataset accepts; datasets read from a fixed source ignore `noise`. */
export interface DatasetOptions {
  /** Seed of the {@link Rng} that generates or shuffles the samples: same seed, same data. */
  readonly seed: number;
  /** How many samples to generate (or, for `mnist`, to keep). Each dataset has its own default. */
  readonly samples?: number;
  /** Standard deviation of the Gaussian noise added to generated samples. */
  readonly noise?: number;
}
