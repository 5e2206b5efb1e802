import type { Activation } from "./activation.js";
import { EMPTY_CONFIG, makeActivation } from "./make-activation.js";

/** λ of SELU (Klambauer et al., eq. 14). */
const SCALE = 1.0507009873554804934193349852946;
/** λα of SELU, α = 1.6732632423543772848170429916717; the product is folded once here. */
const SCALE_ALPHA = 1.7580993408473768599;

/**
 * Scaled exponential linear unit, f(x) = λx for x > 0, else λα(eˣ − 1); f'(x) = λ for x > 0,
 * else λαeˣ, with λ ≈ 1.0507009873554805 and α ≈ 1.6732632423543772 (the self-normalising
 * constants; use with LeCun-normal initialisation).
 *
 * @see Klambauer, Unterthiner, Mayr & Hochreiter, "Self-Normalizing Neural Networks", 2017
 * @example
 * ```ts
 * selu.f(1); // 1.0507009873554805
 * ```
 */
export const selu: Activation = /* @__PURE__ */ makeActivation({
  name: "selu",
  config: EMPTY_CONFIG,
  exactScalar: true,
  f: (x) => (x > 0 ? SCALE * x : SCALE_ALPHA * Math.expm1(x)),
  df: (x) => (x > 0 ? SCALE : SCALE_ALPHA * Math.exp(x)),
  apply(src, dst) {
    for (let i = 0; i < src.length; i++) {
      const x = src[i] as number;
      dst[i] = x > 0 ? SCALE * x : SCALE_ALPHA * Math.expm1(x);
    }
  },
  backward(x, _y, grad, dst) {
    for (let i = 0; i < x.length; i++) {
      const v = x[i] as number;
      dst[i] = (grad[i] as number) * (v > 0 ? SCALE : SCALE_ALPHA * Math.exp(v));
    }
  },
});
