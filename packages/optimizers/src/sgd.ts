import { BackpropError, getBackend, type FloatArray } from "@backprop/linalg";
import { defineOptimizer, type CommonOptimizerOptions, type OptimizerFactory } from "./define-optimizer.js";

/**
 * Options of {@link sgd}.
 *
 * @example
 * ```ts
 * const options: SgdOptions = { lr: 0.1, momentum: 0.9, nesterov: true };
 * ```
 */
export interface SgdOptions extends CommonOptimizerOptions {
  /** Momentum factor μ, in [0, 1]. Default 0 (plain SGD, no buffer allocated). */
  readonly momentum?: number;
  /** Use Nesterov momentum (needs momentum > 0). Default false. */
  readonly nesterov?: boolean;
  /** L2 penalty λ added to the gradient, ≥ 0. Default 0. */
  readonly weightDecay?: number;
}

/**
 * Stochastic gradient descent with optional (Nesterov) momentum and L2 weight decay.
 *
 * Per element, with gradient g, parameter p, learning rate η (PyTorch `SGD`, dampening 0):
 * ```
 * g ← g + λ·p
 * b ← μ·b + g                     (b starts at 0, so the first b is g)
 * d ← nesterov ? g + μ·b : b      (d = g when μ = 0)
 * p ← p − η·d
 * ```
 * Defaults: lr 0.01, momentum 0, nesterov false, weightDecay 0. Slot: `momentumBuffer` (only
 * when momentum > 0).
 *
 * @see Sutskever, Martens, Dahl & Hinton 2013, "On the importance of initialization and momentum in deep learning", https://proceedings.mlr.press/v28/sutskever13.html
 * @example
 * ```ts
 * const opt = sgd({ lr: 0.1, momentum: 0.9, nesterov: true });
 * opt.step(model.params());
 * ```
 */
export const sgd: OptimizerFactory<SgdOptions> = /* @__PURE__ */ defineOptimizer({
  name: "sgd",
  defaults: { lr: 0.01, momentum: 0, nesterov: false, weightDecay: 0 },
  ranges: { momentum: { min: 0, max: 1 }, weightDecay: { min: 0 } },
  validate(hp) {
    if (hp.nesterov && hp.momentum === 0) {
      throw new BackpropError("INVALID_CONFIG", "sgd: nesterov needs momentum (got momentum 0, expected > 0)", {
        hint: "pass e.g. { momentum: 0.9, nesterov: true }",
      });
    }
  },
  slots: [{ name: "momentumBuffer", when: (hp) => hp.momentum !== 0 }],
  // Without momentum the update below is exactly the plain rule fused kernels apply.
  plainSgd: (hp) => (hp.momentum === 0 ? { weightDecay: hp.weightDecay } : undefined),
  // Both forms below are the kernels' rules (the backend's sgdUpdate and momentumUpdate run them too).
  fusedUpdate: ({ slots, lr, hp }) =>
    hp.momentum === 0
      ? { rule: "sgd", lr, weightDecay: hp.weightDecay }
      : { rule: "momentum", lr, momentum: hp.momentum, weightDecay: hp.weightDecay, nesterov: hp.nesterov, buffer: slots.momentumBuffer },
  update({ value, grad, slots, lr, hp }) {
    const mu = hp.momentum;
    const wd = hp.weightDecay;
    if (mu === 0) {
      // A kernel backend may run the same formula in WASM (same bits): large arrays only.
      if (getBackend().sgdUpdate?.(value, grad, lr, wd) === true) return;
      // One loop per dtype, so each stays monomorphic (V8 optimises a typed-array loop for the
      // element kinds it has seen; one shared loop for both is several times slower).
      if (value instanceof Float32Array && grad instanceof Float32Array) descendF32(value, grad, lr, wd);
      else if (value instanceof Float64Array && grad instanceof Float64Array) descendF64(value, grad, lr, wd);
      else descendMixed(value, grad, lr, wd);
      return;
    }
    const nesterov = hp.nesterov;
    const buf = slots.momentumBuffer;
    if (getBackend().momentumUpdate?.(value, grad, buf, lr, mu, wd, nesterov) === true) return;
    for (let i = 0; i < value.length; i++) {
      const p = value[i] as number;
      const d = (grad[i] as number) + wd * p;
      const b = mu * (buf[i] as number) + d;
      buf[i] = b;
      value[i] = p - lr * (nesterov ? d + mu * b : b);
    }
  },
});

// NOTE: `g + wd·p` is kept even when wd is 0: it is what the general rule computes (0·p is NaN
// for a non-finite p), so every path gives the same bits as the formula above.

function descendF32(value: Float32Array, grad: Float32Array, lr: number, wd: number): void {
  const n = value.length;
  for (let i = 0; i < n; i++) {
    const p = value[i] as number;
    value[i] = p - lr * ((grad[i] as number) + wd * p);
  }
}

function descendF64(value: Float64Array, grad: Float64Array, lr: number, wd: number): void {
  const n = value.length;
  for (let i = 0; i < n; i++) {
    const p = value[i] as number;
    value[i] = p - lr * ((grad[i] as number) + wd * p);
  }
}

function descendMixed(value: FloatArray, grad: FloatArray, lr: number, wd: number): void {
  const n = value.length;
  for (let i = 0; i < n; i++) {
    const p = value[i] as number;
    value[i] = p - lr * ((grad[i] as number) + wd * p);
  }
}
