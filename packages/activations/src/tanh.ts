import type { Activation } from "./activation.js";
import { EMPTY_CONFIG, makeActivation } from "./make-activation.js";

/**
 * The hyperbolic tangent, f(x) = tanh(x), f'(x) = 1 − y² with y = tanh(x).
 *
 * @example
 * ```ts
 * tanh.f(Math.LN2); // 0.6
 * ```
 */
export const tanh: Activation = /* @__PURE__ */ makeActivation({
  name: "tanh",
  config: EMPTY_CONFIG,
  exactScalar: true,
  f: Math.tanh,
  df: (_x, y) => 1 - y * y,
  apply(src, dst) {
    for (let i = 0; i < src.length; i++) dst[i] = Math.tanh(src[i] as number);
  },
  backward(_x, y, grad, dst) {
    for (let i = 0; i < y.length; i++) {
      const t = y[i] as number;
      dst[i] = (grad[i] as number) * (1 - t * t);
    }
  },
});
