import type { Activation } from "./activation.js";
import { EMPTY_CONFIG, makeActivation } from "./make-activation.js";

/**
 * The identity, f(x) = x, f'(x) = 1: a layer with no nonlinearity (regression outputs).
 *
 * Registered as `"identity"`; `"linear"` (the Keras name) resolves to it too.
 *
 * @example
 * ```ts
 * identity.f(-2.5); // -2.5
 * ```
 */
export const identity: Activation = /* @__PURE__ */ makeActivation({
  name: "identity",
  config: EMPTY_CONFIG,
  // NOTE: exact although not written as loops: set() stores each element with the same conversion
  // as dst[i] = src[i], and grad · 1 is grad for every value (−0 and NaN included).
  exactScalar: true,
  f: (x) => x,
  df: () => 1,
  apply(src, dst) {
    if (dst !== src) dst.set(src);
  },
  backward(_x, _y, grad, dst) {
    if (dst !== grad) dst.set(grad);
  },
});
