import type { Matrix } from "@backprop/linalg";
import { checkSparseShape } from "../losses/check-shapes.js";
import { checkConfigKeys, type EmptyOptions } from "../losses/read-config.js";
import { countSparseMatches } from "./count-matches.js";
import type { Metric } from "./metric.js";

/**
 * Fraction of rows whose predicted class (argmax of `yPred`, first on ties) equals the class
 * index in the batch×1 `yTrue`. A label that is not a valid index never matches (no error, as
 * Keras; the sparse loss is the one that validates labels). Registry name
 * `"sparseCategoricalAccuracy"`, no options.
 *
 * @example
 * ```ts
 * sparseCategoricalAccuracy().compute(Matrix.fromArray([[0.1, 0.9], [0.8, 0.2]]), Matrix.fromArray([[1], [1]])); // 0.5
 * ```
 */
export function sparseCategoricalAccuracy(options: EmptyOptions = {}): Metric {
  checkConfigKeys("sparseCategoricalAccuracy", options, []);
  return {
    name: "sparseCategoricalAccuracy",
    config: {},
    compute(yPred: Matrix, yTrue: Matrix): number {
      checkSparseShape("sparseCategoricalAccuracy", yPred, yTrue);
      return yPred.rows === 0 ? 0 : countSparseMatches(yPred, yTrue) / yPred.rows;
    },
  };
}
