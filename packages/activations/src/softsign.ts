import type { Activation } from "./activation.js";
import { EMPTY_CONFIG, makeActivation } from "./make-activation.js";

/**
 * Softsign, f(x) = x / (1 + |x|); f'(x) = 1 / (1 + |x|)².
 *
 * @example
 * ```ts
 * softsign.f(1);  // 0.5
 * softsign.f(-3); // -0.75
 * ```
 */
export const softsign: Activation = /* @__PURE__ */ makeActivation({
  name: "softsign",
  config: EMPTY_CONFIG,
  exactScalar: true,
  f: (x) => x / (1 + Math.abs(x)),
  // NOTE: from x, not y: 1 − |y| loses all precision once |y| rounds to 1.
  df: (x) => {
    const a = 1 + Math.abs(x);
    return 1 / (a * a);
  },
  apply(src, dst) {
    for (let i = 0; i < src.length; i++) {
      const x = src[i] as number;
      dst[i] = x / (1 + Math.abs(x));
    }
  },
  backward(x, _y, grad, dst) {
    for (let i = 0; i < x.length; i++) {
      const a = 1 + Math.abs(x[i] as number);
      dst[i] = (grad[i] as number) * (1 / (a * a));
    }
  },
});
