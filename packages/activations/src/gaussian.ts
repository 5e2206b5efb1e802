import type { Activation } from "./activation.js";
import { EMPTY_CONFIG, makeActivation } from "./make-activation.js";

/**
 * Gaussian bump, f(x) = e^(−x²); f'(x) = −2x·y with y = e^(−x²).
 *
 * @example
 * ```ts
 * gaussian.f(0); // 1
 * gaussian.f(1); // 1/e
 * ```
 */
export const gaussian: Activation = /* @__PURE__ */ makeActivation({
  name: "gaussian",
  config: EMPTY_CONFIG,
  exactScalar: true,
  f: (x) => Math.exp(-x * x),
  // NOTE: −2·(x·y), not (−2x)·y: at |x| ~ 1e308, −2x overflows to ∞ while y is 0.
  df: (x, y) => -2 * (x * y),
  apply(src, dst) {
    for (let i = 0; i < src.length; i++) {
      const x = src[i] as number;
      dst[i] = Math.exp(-x * x);
    }
  },
  backward(x, y, grad, dst) {
    for (let i = 0; i < x.length; i++) {
      dst[i] = (grad[i] as number) * (-2 * ((x[i] as number) * (y[i] as number)));
    }
  },
});
