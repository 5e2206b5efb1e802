import type { Activation } from "./activation.js";
import { logistic } from "./logistic.js";
import { EMPTY_CONFIG, makeActivation } from "./make-activation.js";

/**
 * Sigmoid linear unit (swish), f(x) = x·σ(x); f'(x) = σ(x)·(1 + x·(1 − σ(x))).
 *
 * Registered as `"silu"`; `"swish"` resolves to it too.
 *
 * @see Elfwing, Uchibe & Doya, "Sigmoid-Weighted Linear Units for Neural Network Function
 *   Approximation in Reinforcement Learning", 2017; Ramachandran et al., "Searching for
 *   Activation Functions", 2017
 * @example
 * ```ts
 * silu.f(0); // 0
 * ```
 */
export const silu: Activation = /* @__PURE__ */ makeActivation({
  name: "silu",
  config: EMPTY_CONFIG,
  exactScalar: true,
  f: (x) => x * logistic(x),
  df: (x) => {
    const s = logistic(x);
    return s * (1 + x * (1 - s));
  },
  apply(src, dst) {
    for (let i = 0; i < src.length; i++) {
      const x = src[i] as number;
      dst[i] = x * logistic(x);
    }
  },
  backward(x, _y, grad, dst) {
    for (let i = 0; i < x.length; i++) {
      const v = x[i] as number;
      const s = logistic(v);
      dst[i] = (grad[i] as number) * (s * (1 + v * (1 - s)));
    }
  },
});
