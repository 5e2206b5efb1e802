import type { Matrix } from "@backprop/linalg";
import { checkSameShape } from "../losses/check-shapes.js";
import { checkConfigKeys, type EmptyOptions } from "../losses/read-config.js";
import type { Metric } from "./metric.js";

/**
 * Mean squared error as a metric: `(1/(B·K)) Σ (o − t)²`, the same value as the
 * `meanSquaredError` loss. Exported under this name so it does not clash with the loss; its
 * registry and history name is `"meanSquaredError"` (alias `"mse"`). No options.
 *
 * @example
 * ```ts
 * meanSquaredErrorMetric().compute(Matrix.fromArray([[1, 2]]), Matrix.fromArray([[0, 0]])); // 2.5
 * ```
 */
export function meanSquaredErrorMetric(options: EmptyOptions = {}): Metric {
  checkConfigKeys("meanSquaredError", options, []);
  return {
    name: "meanSquaredError",
    config: {},
    compute(yPred: Matrix, yTrue: Matrix): number {
      checkSameShape("meanSquaredError", yPred, yTrue);
      const o = yPred.data;
      const t = yTrue.data;
      if (o.length === 0) return 0;
      let s = 0;
      for (let i = 0; i < o.length; i++) {
        const e = (o[i] as number) - (t[i] as number);
        s += e * e;
      }
      return s / o.length;
    },
  };
}

/**
 * Mean absolute error as a metric: `(1/(B·K)) Σ |o − t|`. Registry and history name
 * `"meanAbsoluteError"` (alias `"mae"`). No options.
 *
 * @example
 * ```ts
 * meanAbsoluteErrorMetric().compute(Matrix.fromArray([[1, -2]]), Matrix.fromArray([[0, 0]])); // 1.5
 * ```
 */
export function meanAbsoluteErrorMetric(options: EmptyOptions = {}): Metric {
  checkConfigKeys("meanAbsoluteError", options, []);
  return {
    name: "meanAbsoluteError",
    config: {},
    compute(yPred: Matrix, yTrue: Matrix): number {
      checkSameShape("meanAbsoluteError", yPred, yTrue);
      const o = yPred.data;
      const t = yTrue.data;
      if (o.length === 0) return 0;
      let s = 0;
      for (let i = 0; i < o.length; i++) s += Math.abs((o[i] as number) - (t[i] as number));
      return s / o.length;
    },
  };
}
