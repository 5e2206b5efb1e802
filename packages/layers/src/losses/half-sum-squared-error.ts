import { readConfig, type Matrix } from "@backprop/linalg";
import { checkOutShape, checkSameShape } from "./check-shapes.js";
import type { Loss } from "./loss.js";
import type { EmptyOptions } from "./read-config.js";

/**
 * Half the summed squared error of each sample, averaged over the batch:
 * `L = (1/B) Σᵢ ½ Σⱼ (tᵢⱼ − oᵢⱼ)²`, gradient `(o − t)/B`.
 *
 * For one sample this is exactly the classic step-by-step backpropagation example's
 * `E_total = Σ ½(target − out)²`, whose ½ cancels the 2 of the derivative. Unlike
 * {@link meanSquaredError} it sums (does not average) over outputs. Registry name
 * `"halfSumSquaredError"`. Takes no options. An empty batch has loss 0.
 *
 * @see https://mattmazur.com/2015/03/17/a-step-by-step-backpropagation-example/
 * @example
 * ```ts
 * const loss = halfSumSquaredError();
 * loss.compute(Matrix.fromArray([[0.7513650695523157, 0.7729284653214625]]),
 *              Matrix.fromArray([[0.01, 0.99]])); // 0.2983711087600027
 * ```
 */
export function halfSumSquaredError(options: EmptyOptions = {}): Loss {
  readConfig("halfSumSquaredError", options, {});
  return {
    name: "halfSumSquaredError",
    config: {},
    compute(yPred: Matrix, yTrue: Matrix): number {
      checkSameShape("halfSumSquaredError", yPred, yTrue);
      if (yPred.rows === 0) return 0;
      const o = yPred.data;
      const t = yTrue.data;
      let s = 0;
      for (let i = 0; i < o.length; i++) {
        const e = (t[i] as number) - (o[i] as number);
        s += 0.5 * e * e;
      }
      return s / yPred.rows;
    },
    gradient(yPred: Matrix, yTrue: Matrix, out: Matrix): Matrix {
      checkSameShape("halfSumSquaredError.gradient", yPred, yTrue);
      checkOutShape("halfSumSquaredError.gradient", out, yPred);
      const o = yPred.data;
      const t = yTrue.data;
      const g = out.data;
      const b = yPred.rows;
      for (let i = 0; i < o.length; i++) g[i] = ((o[i] as number) - (t[i] as number)) / b;
      return out;
    },
  };
}
