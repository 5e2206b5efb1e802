import { defineOptimizer, type CommonOptimizerOptions, type OptimizerFactory } from "./define-optimizer.js";

/**
 * Options of {@link nadam}.
 *
 * @example
 * ```ts
 * const options: NadamOptions = { lr: 0.002, momentumDecay: 0.004 };
 * ```
 */
export interface NadamOptions extends CommonOptimizerOptions {
  /** Base decay β₁ of the first moment, in [0, 1). Default 0.9. */
  readonly beta1?: number;
  /** Decay β₂ of the second moment, in [0, 1). Default 0.999. */
  readonly beta2?: number;
  /** Added to the denominator, outside the square root, ≥ 0. Default 1e-8. */
  readonly eps?: number;
  /** L2 penalty λ added to the gradient, ≥ 0. Default 0. */
  readonly weightDecay?: number;
  /** ψ of the momentum schedule μₜ = β₁(1 − ½·0.96^(tψ)), ≥ 0. Default 0.004. */
  readonly momentumDecay?: number;
}

/**
 * Nadam: Adam with Nesterov momentum, using Dozat's momentum schedule. We follow PyTorch `NAdam`:
 * the moment average uses the constant β₁ (Dozat's Algorithm 2 uses μₜ there), and the schedule
 * is 0.96^(tψ) (Keras uses 0.96^t, so Keras' Nadam takes different steps).
 *
 * Per element, at the parameter's t-th update, with Π the running product of the μ's:
 * ```
 * g  ← g + λ·p
 * μₜ = β₁·(1 − ½·0.96^(t·ψ)),   μₜ₊₁ = β₁·(1 − ½·0.96^((t+1)·ψ)),   Π ← Π·μₜ   (Π starts at 1)
 * m  ← β₁·m + (1 − β₁)·g
 * v  ← β₂·v + (1 − β₂)·g²
 * d  = √(v / (1 − β₂ᵗ)) + ε
 * p  ← p − η·(1 − μₜ)/(1 − Π) · g/d − η·μₜ₊₁/(1 − Π·μₜ₊₁) · m/d
 * ```
 * Defaults: lr 0.002, beta1 0.9, beta2 0.999, eps 1e-8, weightDecay 0, momentumDecay 0.004.
 * Slots: `expAvg` (m), `expAvgSq` (v), `muProduct` (Π, one number per parameter).
 *
 * @see Dozat 2016, "Incorporating Nesterov Momentum into Adam", https://openreview.net/forum?id=OM0jvwB8jIp57ZJjtNEZ
 * @example
 * ```ts
 * const opt = nadam({ lr: 0.002 });
 * ```
 */
export const nadam: OptimizerFactory<NadamOptions> = /* @__PURE__ */ defineOptimizer({
  name: "nadam",
  defaults: { lr: 0.002, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, momentumDecay: 0.004 },
  ranges: {
    beta1: { min: 0, max: 1, maxExclusive: true },
    beta2: { min: 0, max: 1, maxExclusive: true },
    eps: { min: 0 },
    weightDecay: { min: 0 },
    momentumDecay: { min: 0 },
  },
  slots: ["expAvg", "expAvgSq", { name: "muProduct", scalar: true, init: 1 }],
  update({ value, grad, slots, lr, t, hp }) {
    const { beta1, beta2, eps, weightDecay: wd, momentumDecay: psi } = hp;
    const { expAvg, expAvgSq, muProduct } = slots;
    const mu = beta1 * (1 - 0.5 * 0.96 ** (t * psi));
    const muNext = beta1 * (1 - 0.5 * 0.96 ** ((t + 1) * psi));
    const product = (muProduct[0] as number) * mu;
    muProduct[0] = product;
    const gradStep = (lr * (1 - mu)) / (1 - product);
    const momentumStep = (lr * muNext) / (1 - product * muNext);
    const correction2 = 1 - beta2 ** t;
    for (let i = 0; i < value.length; i++) {
      const p = value[i] as number;
      const g = (grad[i] as number) + wd * p;
      const m = beta1 * (expAvg[i] as number) + (1 - beta1) * g;
      const v = beta2 * (expAvgSq[i] as number) + (1 - beta2) * g * g;
      expAvg[i] = m;
      expAvgSq[i] = v;
      const d = Math.sqrt(v / correction2) + eps;
      value[i] = p - (gradStep * g) / d - (momentumStep * m) / d;
    }
  },
});
