import type { Activation } from "./activation.js";
import { EMPTY_CONFIG, makeActivation } from "./make-activation.js";

/**
 * The rectified linear unit, f(x) = max(x, 0); f'(x) = 1 for x > 0, else 0.
 *
 * NOTE: relu'(0) is 0 (as in PyTorch and TensorFlow), so a unit sitting exactly at 0 receives no
 * gradient. NaN inputs stay NaN rather than being hidden as 0.
 *
 * @see Nair & Hinton, "Rectified Linear Units Improve Restricted Boltzmann Machines", 2010
 * @example
 * ```ts
 * relu.f(-3); // 0
 * relu.f(2);  // 2
 * ```
 */
export const relu: Activation = /* @__PURE__ */ makeActivation({
  name: "relu",
  config: EMPTY_CONFIG,
  exactScalar: true,
  f: (x) => (x < 0 ? 0 : x),
  df: (x) => (x > 0 ? 1 : 0),
  apply(src, dst) {
    for (let i = 0; i < src.length; i++) {
      const x = src[i] as number;
      dst[i] = x < 0 ? 0 : x;
    }
  },
  backward(x, _y, grad, dst) {
    for (let i = 0; i < x.length; i++) {
      dst[i] = (grad[i] as number) * ((x[i] as number) > 0 ? 1 : 0);
    }
  },
});
