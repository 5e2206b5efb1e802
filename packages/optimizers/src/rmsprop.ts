import { defineOptimizer, type CommonOptimizerOptions, type OptimizerFactory } from "./define-optimizer.js";

/**
 * Options of {@link rmsprop}.
 *
 * @example
 * ```ts
 * const options: RmspropOptions = { lr: 0.001, rho: 0.9, centered: true };
 * ```
 */
export interface RmspropOptions extends CommonOptimizerOptions {
  /** Decay ρ of the squared-gradient average (PyTorch `alpha`), in [0, 1). Default 0.99. */
  readonly rho?: number;
  /** Momentum factor μ, in [0, 1]. Default 0. */
  readonly momentum?: number;
  /** Divide by the centered second moment (an estimate of the variance). Default false. */
  readonly centered?: boolean;
  /** Added to the denominator for stability, ≥ 0. Default 1e-8. */
  readonly eps?: number;
  /** L2 penalty λ added to the gradient, ≥ 0. Default 0. */
  readonly weightDecay?: number;
}

/**
 * RMSprop: divide the gradient by a running root mean square of recent gradients.
 *
 * Per element (PyTorch `RMSprop`):
 * ```
 * g ← g + λ·p
 * s ← ρ·s + (1 − ρ)·g²
 * ḡ ← ρ·ḡ + (1 − ρ)·g                              (centered only)
 * r ← centered ? √(s − ḡ²) + ε : √s + ε
 * momentum > 0:  b ← μ·b + g / r;  p ← p − η·b
 * otherwise:     p ← p − η·g / r
 * ```
 * Defaults: lr 0.01, rho 0.99, momentum 0, centered false, eps 1e-8, weightDecay 0.
 * Slots: `squareAvg`, `gradAvg` (centered), `momentumBuffer` (momentum > 0).
 *
 * @see Hinton, Srivastava & Swersky 2012, "Neural Networks for Machine Learning", lecture 6e, https://www.cs.toronto.edu/~tijmen/csc321/slides/lecture_slides_lec6.pdf
 * @see Graves 2013, "Generating Sequences With Recurrent Neural Networks" (centered form), https://arxiv.org/abs/1308.0850
 * @example
 * ```ts
 * const opt = rmsprop({ lr: 0.001, momentum: 0.9, centered: true });
 * ```
 */
export const rmsprop: OptimizerFactory<RmspropOptions> = /* @__PURE__ */ defineOptimizer({
  name: "rmsprop",
  defaults: { lr: 0.01, rho: 0.99, momentum: 0, centered: false, eps: 1e-8, weightDecay: 0 },
  ranges: {
    rho: { min: 0, max: 1, maxExclusive: true },
    momentum: { min: 0, max: 1 },
    eps: { min: 0 },
    weightDecay: { min: 0 },
  },
  slots: [
    "squareAvg",
    { name: "gradAvg", when: (hp) => hp.centered },
    { name: "momentumBuffer", when: (hp) => hp.momentum !== 0 },
  ],
  update({ value, grad, slots, lr, hp }) {
    const { rho, momentum: mu, centered, eps, weightDecay: wd } = hp;
    const { squareAvg, gradAvg, momentumBuffer: buf } = slots;
    for (let i = 0; i < value.length; i++) {
      const p = value[i] as number;
      const g = (grad[i] as number) + wd * p;
      const s = rho * (squareAvg[i] as number) + (1 - rho) * g * g;
      squareAvg[i] = s;
      let r: number;
      if (centered) {
        const a = rho * (gradAvg[i] as number) + (1 - rho) * g;
        gradAvg[i] = a;
        r = Math.sqrt(s - a * a) + eps;
      } else {
        r = Math.sqrt(s) + eps;
      }
      if (mu !== 0) {
        const b = mu * (buf[i] as number) + g / r;
        buf[i] = b;
        value[i] = p - lr * b;
      } else {
        value[i] = p - (lr * g) / r;
      }
    }
  },
});
