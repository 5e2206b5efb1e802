import type { Activation } from "./activation.js";
import { logistic } from "./logistic.js";
import { EMPTY_CONFIG, makeActivation } from "./make-activation.js";

/** tanh(softplus(x)), with the overflow-free softplus. */
function tanhSoftplus(x: number): number {
  return Math.tanh(Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x))));
}

/**
 * Mish, f(x) = x·tanh(softplus(x)); f'(x) = t + x·σ(x)·(1 − t²) with t = tanh(softplus(x))
 * (softplus' = σ).
 *
 * @see Misra, "Mish: A Self Regularized Non-Monotonic Activation Function", 2019
 * @example
 * ```ts
 * mish.f(Math.log(3)); // ln 3 · 15/17
 * ```
 */
export const mish: Activation = /* @__PURE__ */ makeActivation({
  name: "mish",
  config: EMPTY_CONFIG,
  exactScalar: true,
  f: (x) => x * tanhSoftplus(x),
  df: (x) => {
    const t = tanhSoftplus(x);
    return t + x * logistic(x) * (1 - t * t);
  },
  apply(src, dst) {
    for (let i = 0; i < src.length; i++) {
      const x = src[i] as number;
      dst[i] = x * tanhSoftplus(x);
    }
  },
  backward(x, _y, grad, dst) {
    for (let i = 0; i < x.length; i++) {
      const v = x[i] as number;
      const t = tanhSoftplus(v);
      dst[i] = (grad[i] as number) * (t + v * logistic(v) * (1 - t * t));
    }
  },
});
