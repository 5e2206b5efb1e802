import type { Activation } from "./activation.js";
import { EMPTY_CONFIG, makeActivation } from "./make-activation.js";

/**
 * Hard sigmoid, f(x) = relu6(x + 3)/6: 0 for x ≤ −3, 1 for x ≥ 3, (x + 3)/6 between;
 * f'(x) = 1/6 for −3 < x < 3, else 0 (0 at the kinks ±3, as in PyTorch).
 *
 * This is the Keras 3 / PyTorch (`nn.Hardsigmoid`) definition; Keras 2 used 0.2x + 0.5.
 *
 * @see Howard et al., "Searching for MobileNetV3", 2019
 * @example
 * ```ts
 * hardSigmoid.f(0); // 0.5
 * hardSigmoid.f(5); // 1
 * ```
 */
export const hardSigmoid: Activation = /* @__PURE__ */ makeActivation({
  name: "hardSigmoid",
  config: EMPTY_CONFIG,
  exactScalar: true,
  f: (x) => (x <= -3 ? 0 : x >= 3 ? 1 : (x + 3) / 6),
  df: (x) => (x > -3 && x < 3 ? 1 / 6 : 0),
  apply(src, dst) {
    for (let i = 0; i < src.length; i++) {
      const x = src[i] as number;
      dst[i] = x <= -3 ? 0 : x >= 3 ? 1 : (x + 3) / 6;
    }
  },
  backward(x, _y, grad, dst) {
    for (let i = 0; i < x.length; i++) {
      const v = x[i] as number;
      dst[i] = (grad[i] as number) * (v > -3 && v < 3 ? 1 / 6 : 0);
    }
  },
});
