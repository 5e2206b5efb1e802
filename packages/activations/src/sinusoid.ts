import type { Activation } from "./activation.js";
import { EMPTY_CONFIG, makeActivation } from "./make-activation.js";

/**
 * Sine activation, f(x) = sin(x); f'(x) = cos(x). Periodic: used for implicit neural
 * representations (SIREN) and in small function-fitting demos.
 *
 * @see Sitzmann et al., "Implicit Neural Representations with Periodic Activation Functions", 2020
 * @example
 * ```ts
 * sinusoid.f(Math.PI / 6); // 0.5
 * ```
 */
export const sinusoid: Activation = /* @__PURE__ */ makeActivation({
  name: "sinusoid",
  config: EMPTY_CONFIG,
  exactScalar: true,
  f: Math.sin,
  df: (x) => Math.cos(x),
  apply(src, dst) {
    for (let i = 0; i < src.length; i++) dst[i] = Math.sin(src[i] as number);
  },
  backward(x, _y, grad, dst) {
    for (let i = 0; i < x.length; i++) dst[i] = (grad[i] as number) * Math.cos(x[i] as number);
  },
});
