import type { Activation } from "./activation.js";
import { EMPTY_CONFIG, makeActivation } from "./make-activation.js";

/**
 * ReLU capped at 6, f(x) = min(max(x, 0), 6); f'(x) = 1 for 0 < x < 6, else 0 (0 at both kinks,
 * as in PyTorch).
 *
 * @see Krizhevsky, "Convolutional Deep Belief Networks on CIFAR-10", 2010; Howard et al.,
 *   "MobileNets", 2017
 * @example
 * ```ts
 * relu6.f(7);   // 6
 * relu6.f(2.5); // 2.5
 * ```
 */
export const relu6: Activation = /* @__PURE__ */ makeActivation({
  name: "relu6",
  config: EMPTY_CONFIG,
  exactScalar: true,
  f: (x) => (x < 0 ? 0 : x > 6 ? 6 : x),
  df: (x) => (x > 0 && x < 6 ? 1 : 0),
  apply(src, dst) {
    for (let i = 0; i < src.length; i++) {
      const x = src[i] as number;
      dst[i] = x < 0 ? 0 : x > 6 ? 6 : x;
    }
  },
  backward(x, _y, grad, dst) {
    for (let i = 0; i < x.length; i++) {
      const v = x[i] as number;
      dst[i] = (grad[i] as number) * (v > 0 && v < 6 ? 1 : 0);
    }
  },
});
