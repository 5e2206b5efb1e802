import type { Activation } from "./activation.js";
import { logistic } from "./logistic.js";
import { EMPTY_CONFIG, makeActivation } from "./make-activation.js";

/**
 * Softplus, f(x) = ln(1 + eˣ), a smooth relu; f'(x) = σ(x).
 *
 * Computed as max(x, 0) + ln(1 + e^(−|x|)) with `log1p`, which never overflows (softplus(1000) =
 * 1000) and keeps full precision for very negative x.
 *
 * @example
 * ```ts
 * softplus.f(0); // Math.LN2
 * ```
 */
export const softplus: Activation = /* @__PURE__ */ makeActivation({
  name: "softplus",
  config: EMPTY_CONFIG,
  exactScalar: true,
  f: (x) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x))),
  df: (x) => logistic(x),
  apply(src, dst) {
    for (let i = 0; i < src.length; i++) {
      const x = src[i] as number;
      dst[i] = Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
    }
  },
  backward(x, _y, grad, dst) {
    for (let i = 0; i < x.length; i++) {
      dst[i] = (grad[i] as number) * logistic(x[i] as number);
    }
  },
});
