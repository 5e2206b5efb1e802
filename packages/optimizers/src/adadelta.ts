import { defineOptimizer, type CommonOptimizerOptions, type OptimizerFactory } from "./define-optimizer.js";

/**
 * Options of {@link adadelta}.
 *
 * @example
 * ```ts
 * const options: AdadeltaOptions = { rho: 0.95, eps: 1e-6 };
 * ```
 */
export interface AdadeltaOptions extends CommonOptimizerOptions {
  /** Decay ρ of both running averages, in [0, 1]. Default 0.9. */
  readonly rho?: number;
  /** Added inside both square roots, > 0. Default 1e-6. */
  readonly eps?: number;
  /** L2 penalty λ added to the gradient, ≥ 0. Default 0. */
  readonly weightDecay?: number;
}

/**
 * Adadelta: the step is the ratio of the RMS of past updates to the RMS of past gradients, so
 * it needs no base rate (`lr` scales it and defaults to 1, as in PyTorch).
 *
 * Per element (Zeiler's Algorithm 1, PyTorch `Adadelta`):
 * ```
 * g ← g + λ·p
 * s ← ρ·s + (1 − ρ)·g²
 * Δ ← √(u + ε) / √(s + ε) · g
 * u ← ρ·u + (1 − ρ)·Δ²
 * p ← p − η·Δ
 * ```
 * Defaults: lr 1, rho 0.9, eps 1e-6, weightDecay 0. Slots: `squareAvg` (s), `accDelta` (u).
 *
 * @see Zeiler 2012, "ADADELTA: An Adaptive Learning Rate Method", https://arxiv.org/abs/1212.5701
 * @example
 * ```ts
 * const opt = adadelta({ rho: 0.95 });
 * ```
 */
export const adadelta: OptimizerFactory<AdadeltaOptions> = /* @__PURE__ */ defineOptimizer({
  name: "adadelta",
  defaults: { lr: 1, rho: 0.9, eps: 1e-6, weightDecay: 0 },
  ranges: { rho: { min: 0, max: 1 }, eps: { min: 0, minExclusive: true }, weightDecay: { min: 0 } },
  slots: ["squareAvg", "accDelta"],
  update({ value, grad, slots, lr, hp }) {
    const { rho, eps, weightDecay: wd } = hp;
    const { squareAvg, accDelta } = slots;
    for (let i = 0; i < value.length; i++) {
      const p = value[i] as number;
      const g = (grad[i] as number) + wd * p;
      const s = rho * (squareAvg[i] as number) + (1 - rho) * g * g;
      squareAvg[i] = s;
      const delta = (Math.sqrt((accDelta[i] as number) + eps) / Math.sqrt(s + eps)) * g;
      accDelta[i] = rho * (accDelta[i] as number) + (1 - rho) * delta * delta;
      value[i] = p - lr * delta;
    }
  },
});
