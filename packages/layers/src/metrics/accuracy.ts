import type { Matrix } from "@backprop/linalg";
import { checkSameShape } from "../losses/check-shapes.js";
import { checkConfigKeys, type EmptyOptions } from "../losses/read-config.js";
import { countArgmaxMatches, countBinaryMatches, countSparseMatches } from "./count-matches.js";
import type { Metric } from "./metric.js";

/**
 * Accuracy that picks its form from the shapes, like Keras' `"accuracy"` string:
 *
 * - `yPred` has 1 column → binary: `p > 0.5` ↦ 1, compared with the 0/1 target;
 * - `yPred` has several columns and `yTrue` has 1 → sparse: argmax of `yPred` vs the class index;
 * - otherwise → categorical: argmax of `yPred` vs argmax of the one-hot `yTrue`.
 *
 * For logits with a single output use `binaryAccuracy({ threshold: 0 })`. Registry name
 * `"accuracy"`, no options.
 *
 * @example
 * ```ts
 * accuracy().compute(Matrix.fromArray([[0.2, 0.7, 0.1]]), Matrix.fromArray([[1]])); // 1
 * ```
 */
export function accuracy(options: EmptyOptions = {}): Metric {
  checkConfigKeys("accuracy", options, []);
  return {
    name: "accuracy",
    config: {},
    compute(yPred: Matrix, yTrue: Matrix): number {
      if (yPred.cols === 1) {
        checkSameShape("accuracy", yPred, yTrue);
        return yPred.rows === 0 ? 0 : countBinaryMatches(yPred, yTrue, 0.5) / yPred.rows;
      }
      if (yTrue.cols === 1 && yTrue.rows === yPred.rows) {
        return yPred.rows === 0 ? 0 : countSparseMatches(yPred, yTrue) / yPred.rows;
      }
      checkSameShape("accuracy", yPred, yTrue);
      return yPred.rows === 0 ? 0 : countArgmaxMatches(yPred, yTrue) / yPred.rows;
    },
  };
}
