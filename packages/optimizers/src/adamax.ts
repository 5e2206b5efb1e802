import { defineOptimizer, type CommonOptimizerOptions, type OptimizerFactory } from "./define-optimizer.js";

/**
 * Options of {@link adamax}.
 *
 * @example
 * ```ts
 * const options: AdamaxOptions = { lr: 0.002, beta1: 0.9 };
 * ```
 */
export interface AdamaxOptions extends CommonOptimizerOptions {
  /** Decay β₁ of the first moment, in [0, 1). Default 0.9. */
  readonly beta1?: number;
  /** Decay β₂ of the infinity norm, in [0, 1). Default 0.999. */
  readonly beta2?: number;
  /** Added to |g| before the maximum, ≥ 0. Default 1e-8. */
  readonly eps?: number;
  /** L2 penalty λ added to the gradient, ≥ 0. Default 0. */
  readonly weightDecay?: number;
}

/**
 * Adamax: Adam with the second moment replaced by an exponentially weighted infinity norm.
 *
 * Per element, at the parameter's t-th update (Kingma & Ba, Algorithm 2; PyTorch `Adamax`,
 * which puts ε inside the maximum):
 * ```
 * g ← g + λ·p
 * m ← β₁·m + (1 − β₁)·g
 * u ← max(β₂·u, |g| + ε)
 * p ← p − (η / (1 − β₁ᵗ)) · m / u
 * ```
 * Defaults: lr 0.002, beta1 0.9, beta2 0.999, eps 1e-8, weightDecay 0. Slots: `expAvg` (m),
 * `expInf` (u).
 *
 * @see Kingma & Ba 2015, "Adam: A Method for Stochastic Optimization", section 7.1, https://arxiv.org/abs/1412.6980
 * @example
 * ```ts
 * const opt = adamax({ lr: 0.002 });
 * ```
 */
export const adamax: OptimizerFactory<AdamaxOptions> = /* @__PURE__ */ defineOptimizer({
  name: "adamax",
  defaults: { lr: 0.002, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 },
  ranges: {
    beta1: { min: 0, max: 1, maxExclusive: true },
    beta2: { min: 0, max: 1, maxExclusive: true },
    eps: { min: 0 },
    weightDecay: { min: 0 },
  },
  slots: ["expAvg", "expInf"],
  update({ value, grad, slots, lr, t, hp }) {
    const { beta1, beta2, eps, weightDecay: wd } = hp;
    const { expAvg, expInf } = slots;
    const stepSize = lr / (1 - beta1 ** t);
    for (let i = 0; i < value.length; i++) {
      const p = value[i] as number;
      const g = (grad[i] as number) + wd * p;
      const m = beta1 * (expAvg[i] as number) + (1 - beta1) * g;
      const u = Math.max(beta2 * (expInf[i] as number), Math.abs(g) + eps);
      expAvg[i] = m;
      expInf[i] = u;
      value[i] = p - (stepSize * m) / u;
    }
  },
});
