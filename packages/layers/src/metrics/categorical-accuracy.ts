import type { Matrix } from "@backprop/linalg";
import { checkSameShape } from "../losses/check-shapes.js";
import { checkConfigKeys, type EmptyOptions } from "../losses/read-config.js";
import { countArgmaxMatches } from "./count-matches.js";
import type { Metric } from "./metric.js";

/**
 * Fraction of rows whose predicted class (argmax of `yPred`, first on ties) is the argmax of the
 * one-hot `yTrue`. Registry name `"categoricalAccuracy"`, no options.
 *
 * @example
 * ```ts
 * categoricalAccuracy().compute(Matrix.fromArray([[0.1, 0.9], [0.8, 0.2]]), Matrix.fromArray([[0, 1], [0, 1]])); // 0.5
 * ```
 */
export function categoricalAccuracy(options: EmptyOptions = {}): Metric {
  checkConfigKeys("categoricalAccuracy", options, []);
  return {
    name: "categoricalAccuracy",
    config: {},
    compute(yPred: Matrix, yTrue: Matrix): number {
      checkSameShape("categoricalAccuracy", yPred, yTrue);
      return yPred.rows === 0 ? 0 : countArgmaxMatches(yPred, yTrue) / yPred.rows;
    },
  };
}
