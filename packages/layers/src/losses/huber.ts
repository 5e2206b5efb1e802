import { readConfig, type Matrix } from "@backprop/linalg";
import { checkOutShape, checkSameShape } from "./check-shapes.js";
import type { Loss } from "./loss.js";

/** Options of {@link huber}. */
export interface HuberOptions {
  /** Where the loss turns from quadratic to linear; finite and > 0. Default 1. */
  readonly delta?: number;
}

/**
 * Huber loss, averaged over every element as Keras. With `e = o − t`:
 * `ℓ(e) = ½e²` when `|e| ≤ δ`, else `δ(|e| − ½δ)`; `L = (1/(B·K)) Σ ℓ(eᵢⱼ)`.
 * Gradient: `e/(B·K)` inside, `δ·sign(e)/(B·K)` outside — squared error near the target,
 * absolute error (bounded gradient, robust to outliers) far from it.
 *
 * Registry name `"huber"`, config `{ delta }`.
 *
 * @see https://en.wikipedia.org/wiki/Huber_loss
 * @example
 * ```ts
 * huber({ delta: 1 }).compute(Matrix.fromArray([[0.5, 3]]), Matrix.fromArray([[0, 0]]));
 * // (0.125 + 2.5)/2 = 1.3125
 * ```
 */
export function huber(options: HuberOptions = {}): Loss {
  const { delta } = readConfig("huber", options, { delta: { type: "number", default: 1, min: 0, minExclusive: true } });
  return {
    name: "huber",
    config: { delta },
    compute(yPred: Matrix, yTrue: Matrix): number {
      checkSameShape("huber", yPred, yTrue);
      const o = yPred.data;
      const t = yTrue.data;
      const n = o.length;
      if (n === 0) return 0;
      let s = 0;
      for (let i = 0; i < n; i++) {
        const a = Math.abs((o[i] as number) - (t[i] as number));
        s += a <= delta ? 0.5 * a * a : delta * (a - 0.5 * delta);
      }
      return s / n;
    },
    gradient(yPred: Matrix, yTrue: Matrix, out: Matrix): Matrix {
      checkSameShape("huber.gradient", yPred, yTrue);
      checkOutShape("huber.gradient", out, yPred);
      const o = yPred.data;
      const t = yTrue.data;
      const g = out.data;
      const n = o.length;
      for (let i = 0; i < n; i++) {
        const e = (o[i] as number) - (t[i] as number);
        g[i] = (e > delta ? delta : e < -delta ? -delta : e) / n;
      }
      return out;
    },
  };
}
