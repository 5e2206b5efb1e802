import { applyRelu, reluGradient } from "@backprop/linalg";
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
  // The loops run on the active backend's kernel where it has one (branch-free in WASM; in
  // JavaScript the sign test is a branch, mispredicted on half of real activations), same bits.
  apply(src, dst) {
    applyRelu(src, dst);
  },
  backward(x, _y, grad, dst) {
    reluGradient(x, grad, dst);
  },
});
