import { BackpropError, Matrix, Rng, type DType } from "@backprop/linalg";

/** The two parts of {@link trainValidationSplit}; the validation arrays may be empty. */
export interface TrainValidationSplit {
  readonly trainX: number[][];
  readonly trainY: number[][];
  readonly valX: number[][];
  readonly valY: number[][];
}

/** Row indices of the two parts of {@link splitIndices}. */
export interface IndexSplit {
  readonly train: number[];
  readonly validation: number[];
}

/**
 * The row indices of {@link trainValidationSplit}: a seeded permutation of `0 … n−1`, the last
 * `round(n · fraction)` held out (at least one on each side when `fraction > 0`).
 *
 * @param where - names the option in messages (`--validation-split`, `--test-split`)
 * @throws BackpropError `INVALID_ARGUMENT` when `fraction` is outside `[0, 1)` or there are fewer
 *   than two rows to split
 * @example
 * ```ts
 * const { train, validation } = splitIndices(150, 0.2, 1); // 120 and 30 indices
 * ```
 */
export function splitIndices(n: number, fraction: number, rng: Rng | number, where = "--validation-split"): IndexSplit {
  if (!(fraction >= 0 && fraction < 1)) {
    throw new BackpropError("INVALID_ARGUMENT", `${where}: must be in [0, 1) (got ${String(fraction)})`);
  }
  const order = (typeof rng === "number" ? new Rng(rng) : rng).permutation(n);
  let held = 0;
  if (fraction > 0) {
    if (n < 2) {
      throw new BackpropError("INVALID_ARGUMENT", `${where}: cannot hold out rows from ${n} sample${n === 1 ? "" : "s"} (expected at least 2)`);
    }
    held = Math.min(n - 1, Math.max(1, Math.round(n * fraction)));
  }
  const cut = n - held;
  const all = Array.from(order);
  return { train: all.slice(0, cut), validation: all.slice(cut) };
}

/**
 * A seed for the test split drawn from the run's seed, so that the test rows differ from a
 * validation split made with the same seed, and a run without `--test-split` shuffles exactly as
 * before.
 */
export const testSeed = (seed: number): number => (seed ^ 0x7e57_5eed) >>> 0;

/**
 * Shuffles the samples with a seeded generator, then holds out the last `round(n · fraction)` of
 * them for validation. Rows are shared with the input, not copied.
 *
 * With the same seed, the same split (so `--resume` sees the same validation set).
 *
 * @param rng - a seed (a fresh `new Rng(seed)` is used) or a generator to draw the shuffle from
 * @param fraction - share of samples held out, in `[0, 1)`; `0` gives an empty validation set.
 *   A positive fraction keeps at least one validation sample and at least one training sample.
 * @throws BackpropError `INVALID_ARGUMENT` when `x` and `y` differ in length, there are fewer than
 *   two samples to split, or `fraction` is outside `[0, 1)`
 * @example
 * ```ts
 * const { trainX, trainY, valX, valY } = trainValidationSplit(data.x, data.y, 0.2, 1);
 * ```
 */
export function trainValidationSplit(
  x: readonly number[][],
  y: readonly number[][],
  fraction: number,
  rng: Rng | number,
): TrainValidationSplit {
  if (x.length !== y.length) {
    throw new BackpropError("INVALID_ARGUMENT", `--validation-split: the data has ${x.length} input rows but ${y.length} targets (expected the same)`);
  }
  const { train, validation } = splitIndices(x.length, fraction, rng);
  const pick = (rows: readonly number[][], indices: readonly number[]): number[][] => indices.map((k) => rows[k] as number[]);
  return { trainX: pick(x, train), trainY: pick(y, train), valX: pick(x, validation), valY: pick(y, validation) };
}

/**
 * Packs rows of numbers into a {@link Matrix} of the given dtype (copied).
 *
 * @param dtype - defaults to `"float64"`
 * @throws BackpropError `SHAPE_MISMATCH` when rows differ in length
 * @example
 * ```ts
 * const input = toMatrix(data.x, "float32"); // n × d
 * ```
 */
export function toMatrix(rows: readonly (readonly number[])[], dtype: DType = "float64"): Matrix {
  return Matrix.fromArray(rows, dtype);
}
