import { defineOptimizer, type CommonOptimizerOptions, type OptimizerFactory } from "./define-optimizer.js";

/**
 * Options of {@link adamw}.
 *
 * @example
 * ```ts
 * const options: AdamwOptions = { lr: 1e-3, weightDecay: 0.05 };
 * ```
 */
export interface AdamwOptions extends CommonOptimizerOptions {
  /** Decay β₁ of the first moment, in [0, 1). Default 0.9. */
  readonly beta1?: number;
  /** Decay β₂ of the second moment, in [0, 1). Default 0.999. */
  readonly beta2?: number;
  /** Added to the denominator, outside the square root, ≥ 0. Default 1e-8. */
  readonly eps?: number;
  /** Decoupled decay λ: each step shrinks p by η·λ·p, apart from the gradient, ≥ 0. Default 0.01. */
  readonly weightDecay?: number;
  /** Use the running maximum of the second moment (AMSGrad). Default false. */
  readonly amsgrad?: boolean;
}

/**
 * AdamW: Adam with weight decay decoupled from the gradient.
 *
 * Per element, at the parameter's t-th update (PyTorch `AdamW`; the decay is scaled by the
 * learning rate η, so a schedule on η schedules it too):
 * ```
 * p ← p − η·λ·p
 * m ← β₁·m + (1 − β₁)·g
 * v ← β₂·v + (1 − β₂)·g²
 * v̄ ← amsgrad ? max(v̄, v) : v
 * p ← p − η · (m / (1 − β₁ᵗ)) / (√(v̄ / (1 − β₂ᵗ)) + ε)
 * ```
 * Defaults: lr 0.001, beta1 0.9, beta2 0.999, eps 1e-8, weightDecay 0.01, amsgrad false.
 * Slots: `expAvg`, `expAvgSq`, `maxExpAvgSq` (amsgrad only).
 *
 * @see Loshchilov & Hutter 2019, "Decoupled Weight Decay Regularization", https://arxiv.org/abs/1711.05101
 * @example
 * ```ts
 * const opt = adamw({ lr: 1e-3, weightDecay: 0.05 });
 * ```
 */
export const adamw: OptimizerFactory<AdamwOptions> = /* @__PURE__ */ defineOptimizer({
  name: "adamw",
  defaults: { lr: 0.001, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, amsgrad: false },
  ranges: {
    beta1: { min: 0, max: 1, maxExclusive: true },
    beta2: { min: 0, max: 1, maxExclusive: true },
    eps: { min: 0 },
    weightDecay: { min: 0 },
  },
  slots: ["expAvg", "expAvgSq", { name: "maxExpAvgSq", when: (hp) => hp.amsgrad }],
  update({ value, grad, slots, lr, t, hp }) {
    const { beta1, beta2, eps, weightDecay: wd, amsgrad } = hp;
    const { expAvg, expAvgSq, maxExpAvgSq } = slots;
    const shrink = 1 - lr * wd;
    const stepSize = lr / (1 - beta1 ** t);
    const sqrtCorrection2 = Math.sqrt(1 - beta2 ** t);
    for (let i = 0; i < value.length; i++) {
      const p = (value[i] as number) * shrink;
      const g = grad[i] as number;
      const m = beta1 * (expAvg[i] as number) + (1 - beta1) * g;
      let v = beta2 * (expAvgSq[i] as number) + (1 - beta2) * g * g;
      expAvg[i] = m;
      expAvgSq[i] = v;
      if (amsgrad) {
        v = Math.max(maxExpAvgSq[i] as number, v);
        maxExpAvgSq[i] = v;
      }
      value[i] = p - (stepSize * m) / (Math.sqrt(v) / sqrtCorrection2 + eps);
    }
  },
});
