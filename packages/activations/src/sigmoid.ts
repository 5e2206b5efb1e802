import type { Activation } from "./activation.js";
import { logistic } from "./logistic.js";
import { EMPTY_CONFIG, makeActivation } from "./make-activation.js";

/**
 * The logistic sigmoid, σ(x) = 1 / (1 + e^(−x)), σ'(x) = y(1 − y) with y = σ(x).
 *
 * Numerically stable: for x < 0 it is computed as e^x / (1 + e^x), so σ(−1000) = 0 and
 * σ(1000) = 1 with no overflow. The derivative reuses the output, as in ConvNetJS.
 *
 * @example
 * ```ts
 * sigmoid.f(0);                 // 0.5
 * sigmoid.df(0, sigmoid.f(0));  // 0.25
 * ```
 */
export const sigmoid: Activation = /* @__PURE__ */ makeActivation({
  name: "sigmoid",
  config: EMPTY_CONFIG,
  exactScalar: true,
  f: logistic,
  df: (_x, y) => y * (1 - y),
  apply(src, dst) {
    for (let i = 0; i < src.length; i++) {
      const x = src[i] as number;
      if (x >= 0) {
        dst[i] = 1 / (1 + Math.exp(-x));
      } else {
        const e = Math.exp(x);
        dst[i] = e / (1 + e);
      }
    }
  },
  backward(_x, y, grad, dst) {
    for (let i = 0; i < y.length; i++) {
      const s = y[i] as number;
      dst[i] = (grad[i] as number) * (s * (1 - s));
    }
  },
});
