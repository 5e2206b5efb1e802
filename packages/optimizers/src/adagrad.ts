import { defineOptimizer, type CommonOptimizerOptions, type OptimizerFactory } from "./define-optimizer.js";

/**
 * Options of {@link adagrad}.
 *
 * @example
 * ```ts
 * const options: AdagradOptions = { lr: 0.05, initialAccumulatorValue: 0.1 };
 * ```
 */
export interface AdagradOptions extends CommonOptimizerOptions {
  /** Added to the denominator for stability, ≥ 0. Default 1e-10. */
  readonly eps?: number;
  /** L2 penalty λ added to the gradient, ≥ 0. Default 0. */
  readonly weightDecay?: number;
  /** Starting value of the squared-gradient sum, ≥ 0. Default 0. */
  readonly initialAccumulatorValue?: number;
}

/**
 * Adagrad: per-element rates shrinking with the sum of past squared gradients.
 *
 * Per element (PyTorch `Adagrad` without `lr_decay`; use a schedule instead):
 * ```
 * g ← g + λ·p
 * s ← s + g²                      (s starts at initialAccumulatorValue)
 * p ← p − η · g / (√s + ε)
 * ```
 * Defaults: lr 0.01, eps 1e-10, weightDecay 0, initialAccumulatorValue 0. Slot: `sum`.
 *
 * @see Duchi, Hazan & Singer 2011, "Adaptive Subgradient Methods for Online Learning and Stochastic Optimization", https://jmlr.org/papers/v12/duchi11a.html
 * @example
 * ```ts
 * const opt = adagrad({ lr: 0.05, initialAccumulatorValue: 0.1 });
 * ```
 */
export const adagrad: OptimizerFactory<AdagradOptions> = /* @__PURE__ */ defineOptimizer({
  name: "adagrad",
  defaults: { lr: 0.01, eps: 1e-10, weightDecay: 0, initialAccumulatorValue: 0 },
  ranges: { eps: { min: 0 }, weightDecay: { min: 0 }, initialAccumulatorValue: { min: 0 } },
  slots: [{ name: "sum", init: (hp) => hp.initialAccumulatorValue }],
  update({ value, grad, slots, lr, hp }) {
    const { eps, weightDecay: wd } = hp;
    const sum = slots.sum;
    for (let i = 0; i < value.length; i++) {
      const p = value[i] as number;
      const g = (grad[i] as number) + wd * p;
      const s = (sum[i] as number) + g * g;
      sum[i] = s;
      value[i] = p - (lr * g) / (Math.sqrt(s) + eps);
    }
  },
});
