import { readConfig, type Matrix } from "@backprop/linalg";
import { checkOutShape, checkSameShape } from "./check-shapes.js";
import type { Loss } from "./loss.js";
import type { EmptyOptions } from "./read-config.js";

/**
 * Mean absolute error over every element, as Keras: `L = (1/(B·K)) Σᵢⱼ |oᵢⱼ − tᵢⱼ|`,
 * gradient `sign(o − t)/(B·K)`.
 *
 * At `o = t` the loss has a kink; the subgradient used there is 0, so an exact prediction is left
 * alone. Registry name `"meanAbsoluteError"`, alias `"mae"`. Takes no options. An empty batch has
 * loss 0.
 *
 * @example
 * ```ts
 * meanAbsoluteError().compute(Matrix.fromArray([[1, -2]]), Matrix.fromArray([[0, 0]])); // 1.5
 * ```
 */
export function meanAbsoluteError(options: EmptyOptions = {}): Loss {
  readConfig("meanAbsoluteError", options, {});
  return {
    name: "meanAbsoluteError",
    config: {},
    compute(yPred: Matrix, yTrue: Matrix): number {
      checkSameShape("meanAbsoluteError", yPred, yTrue);
      const o = yPred.data;
      const t = yTrue.data;
      const n = o.length;
      if (n === 0) return 0;
      let s = 0;
      for (let i = 0; i < n; i++) s += Math.abs((o[i] as number) - (t[i] as number));
      return s / n;
    },
    gradient(yPred: Matrix, yTrue: Matrix, out: Matrix): Matrix {
      checkSameShape("meanAbsoluteError.gradient", yPred, yTrue);
      checkOutShape("meanAbsoluteError.gradient", out, yPred);
      const o = yPred.data;
      const t = yTrue.data;
      const g = out.data;
      const n = o.length;
      for (let i = 0; i < n; i++) {
        const e = (o[i] as number) - (t[i] as number);
        // NOTE: Math.sign(0) is 0, the subgradient we want at the kink.
        g[i] = Math.sign(e) / n;
      }
      return out;
    },
  };
}
