import { BackpropError, Matrix, Rng, type DType } from "@backprop/linalg";

/** The two parts of {@link trainValidationSplit}; the validation arrays may be empty. */
export interface TrainValidationSplit {
  readonly trainX: number[][];
  readonly trainY: number[][];
  readonly valX: number[][];
  readonly valY: number[][];
}

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
  if (!(fraction >= 0 && fraction < 1)) {
    throw new BackpropError(
      "INVALID_ARGUMENT",
      `trainValidationSplit: fraction must be in [0, 1) (got ${String(fraction)})`,
    );
  }
  if (x.length !== y.length) {
    throw new BackpropError(
      "INVALID_ARGUMENT",
      `trainValidationSplit: x has ${x.length} rows but y has ${y.length} (expected the same)`,
    );
  }
  const n = x.length;
  const order = (typeof rng === "number" ? new Rng(rng) : rng).permutation(n);
  let held = 0;
  if (fraction > 0) {
    if (n < 2) {
      throw new BackpropError(
        "INVALID_ARGUMENT",
        `trainValidationSplit: cannot hold out a validation set from ${n} sample${n === 1 ? "" : "s"} (expected at least 2)`,
      );
    }
    held = Math.min(n - 1, Math.max(1, Math.round(n * fraction)));
  }
  const cut = n - held;
  const pick = (rows: readonly number[][], from: number, to: number): number[][] => {
    const out: number[][] = [];
    for (let k = from; k < to; k++) out.push(rows[order[k] as number] as number[]);
    return out;
  };
  return { trainX: pick(x, 0, cut), trainY: pick(y, 0, cut), valX: pick(x, cut, n), valY: pick(y, cut, n) };
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
