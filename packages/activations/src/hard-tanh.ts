import type { Activation } from "./activation.js";
import { EMPTY_CONFIG, makeActivation } from "./make-activation.js";

/**
 * Hard tanh, f(x) = clamp(x, −1, 1); f'(x) = 1 for −1 < x < 1, else 0 (0 at the kinks ±1, as in
 * PyTorch's `nn.Hardtanh`).
 *
 * @example
 * ```ts
 * hardTanh.f(0.3); // 0.3
 * hardTanh.f(-5);  // -1
 * ```
 */
export const hardTanh: Activation = /* @__PURE__ */ makeActivation({
  name: "hardTanh",
  config: EMPTY_CONFIG,
  exactScalar: true,
  f: (x) => (x < -1 ? -1 : x > 1 ? 1 : x),
  df: (x) => (x > -1 && x < 1 ? 1 : 0),
  apply(src, dst) {
    for (let i = 0; i < src.length; i++) {
      const x = src[i] as number;
      dst[i] = x < -1 ? -1 : x > 1 ? 1 : x;
    }
  },
  backward(x, _y, grad, dst) {
    for (let i = 0; i < x.length; i++) {
      const v = x[i] as number;
      dst[i] = (grad[i] as number) * (v > -1 && v < 1 ? 1 : 0);
    }
  },
});
