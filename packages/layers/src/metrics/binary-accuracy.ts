import type { Matrix } from "@backprop/linalg";
import { checkSameShape } from "../losses/check-shapes.js";
import { checkConfigKeys, readNumber } from "../losses/read-config.js";
import { countBinaryMatches } from "./count-matches.js";
import type { Metric } from "./metric.js";

/** Options of {@link binaryAccuracy}. */
export interface BinaryAccuracyOptions {
  /** A prediction above it counts as 1, otherwise 0. Default 0.5 (use 0 for logits). */
  readonly threshold?: number;
}

/**
 * Fraction of elements whose thresholded prediction (`p > threshold` ↦ 1, else 0) equals the
 * 0/1 target, as Keras (with several columns: the mean over all of them, i.e. multi-label).
 * Registry name `"binaryAccuracy"`, config `{ threshold }`.
 *
 * @example
 * ```ts
 * binaryAccuracy().compute(Matrix.fromArray([[0.9], [0.2], [0.6]]), Matrix.fromArray([[1], [0], [0]])); // 2/3
 * ```
 */
export function binaryAccuracy(options: BinaryAccuracyOptions = {}): Metric {
  const c = checkConfigKeys("binaryAccuracy", options, ["threshold"]);
  const threshold = readNumber("binaryAccuracy", c, "threshold", 0.5);
  return {
    name: "binaryAccuracy",
    config: { threshold },
    compute(yPred: Matrix, yTrue: Matrix): number {
      checkSameShape("binaryAccuracy", yPred, yTrue);
      const n = yPred.data.length;
      return n === 0 ? 0 : countBinaryMatches(yPred, yTrue, threshold) / n;
    },
  };
}
