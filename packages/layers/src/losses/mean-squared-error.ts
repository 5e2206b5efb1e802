import { readConfig, type Matrix } from "@backprop/linalg";
import { checkOutShape, checkSameShape } from "./check-shapes.js";
import type { Loss } from "./loss.js";
import type { EmptyOptions } from "./read-config.js";

/**
 * Mean squared error over every element, as Keras: `L = (1/(B·K)) Σᵢⱼ (oᵢⱼ − tᵢⱼ)²`,
 * gradient `2(o − t)/(B·K)` for a batch of B rows and K outputs.
 *
 * Registry name `"meanSquaredError"`, alias `"mse"`. Takes no options. An empty batch has loss 0.
 *
 * @example
 * ```ts
 * const loss = meanSquaredError();
 * loss.compute(Matrix.fromArray([[1, 2]]), Matrix.fromArray([[0, 0]])); // (1 + 4)/2 = 2.5
 * ```
 */
export function meanSquaredError(options: EmptyOptions = {}): Loss {
  readConfig("meanSquaredError", options, {});
  return {
    name: "meanSquaredError",
    config: {},
    compute(yPred: Matrix, yTrue: Matrix): number {
      checkSameShape("meanSquaredError", yPred, yTrue);
      const o = yPred.data;
      const t = yTrue.data;
      const n = o.length;
      if (n === 0) return 0;
      let s = 0;
      for (let i = 0; i < n; i++) {
        const e = (o[i] as number) - (t[i] as number);
        s += e * e;
      }
      return s / n;
    },
    gradient(yPred: Matrix, yTrue: Matrix, out: Matrix): Matrix {
      checkSameShape("meanSquaredError.gradient", yPred, yTrue);
      checkOutShape("meanSquaredError.gradient", out, yPred);
      const o = yPred.data;
      const t = yTrue.data;
      const g = out.data;
      const n = o.length;
      const k = 2 / n;
      for (let i = 0; i < n; i++) g[i] = k * ((o[i] as number) - (t[i] as number));
      return out;
    },
  };
}
