import { getBackend, type AdamMoments, type AdamStep } from "@backprop/linalg";
import { defineOptimizer, type CommonOptimizerOptions, type OptimizerFactory } from "./define-optimizer.js";

/**
 * Options of {@link adam}.
 *
 * @example
 * ```ts
 * const options: AdamOptions = { lr: 3e-4, beta2: 0.99, amsgrad: true };
 * ```
 */
export interface AdamOptions extends CommonOptimizerOptions {
  /** Decay β₁ of the first moment, in [0, 1). Default 0.9. */
  readonly beta1?: number;
  /** Decay β₂ of the second moment, in [0, 1). Default 0.999. */
  readonly beta2?: number;
  /** Added to the denominator, outside the square root, ≥ 0. Default 1e-8. */
  readonly eps?: number;
  /** L2 penalty λ added to the gradient (coupled; see {@link adamw} for decoupled), ≥ 0. Default 0. */
  readonly weightDecay?: number;
  /** Use the running maximum of the second moment (AMSGrad). Default false. */
  readonly amsgrad?: boolean;
}

// The arguments of the kernel backend's adamUpdate, filled per parameter (one pair for all steps).
type Mutable<T> = { -readonly [K in keyof T]: T[K] };
const EMPTY = new Float64Array(0);
const MOMENTS: Mutable<AdamMoments> = { expAvg: EMPTY, expAvgSq: EMPTY, maxExpAvgSq: undefined };
const STEP: Mutable<AdamStep> = { stepSize: 0, sqrtCorrection2: 1, beta1: 0, beta2: 0, eps: 0, weightDecay: 0 };

/**
 * Adam: bias-corrected running averages of the gradient and its square.
 *
 * Per element, at the parameter's t-th update (Kingma & Ba, Algorithm 1; PyTorch `Adam`):
 * ```
 * g ← g + λ·p
 * m ← β₁·m + (1 − β₁)·g
 * v ← β₂·v + (1 − β₂)·g²
 * v̄ ← amsgrad ? max(v̄, v) : v
 * p ← p − η · (m / (1 − β₁ᵗ)) / (√(v̄ / (1 − β₂ᵗ)) + ε)
 * ```
 * AMSGrad keeps the bias correction, as PyTorch does. Defaults: lr 0.001, beta1 0.9,
 * beta2 0.999, eps 1e-8, weightDecay 0, amsgrad false. Slots: `expAvg` (m), `expAvgSq` (v),
 * `maxExpAvgSq` (v̄, amsgrad only).
 *
 * @see Kingma & Ba 2015, "Adam: A Method for Stochastic Optimization", https://arxiv.org/abs/1412.6980
 * @see Reddi, Kale & Kumar 2018, "On the Convergence of Adam and Beyond" (AMSGrad), https://openreview.net/forum?id=ryQu7f-RZ
 * @example
 * ```ts
 * const opt = adam({ lr: 3e-4, amsgrad: true });
 * ```
 */
export const adam: OptimizerFactory<AdamOptions> = /* @__PURE__ */ defineOptimizer({
  name: "adam",
  defaults: { lr: 0.001, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, amsgrad: false },
  ranges: {
    beta1: { min: 0, max: 1, maxExclusive: true },
    beta2: { min: 0, max: 1, maxExclusive: true },
    eps: { min: 0 },
    weightDecay: { min: 0 },
  },
  slots: ["expAvg", "expAvgSq", { name: "maxExpAvgSq", when: (hp) => hp.amsgrad }],
  // The update below is exactly the kernels' Adam (the backend's adamUpdate runs it too).
  fusedUpdate({ slots, lr, t, hp }) {
    const { beta1, beta2, eps, weightDecay, amsgrad } = hp;
    return {
      rule: "adam",
      moments: { expAvg: slots.expAvg, expAvgSq: slots.expAvgSq, maxExpAvgSq: amsgrad ? slots.maxExpAvgSq : undefined },
      step: { stepSize: stepSizeAt(lr, beta1, t), sqrtCorrection2: sqrtCorrection2At(beta2, t), beta1, beta2, eps, weightDecay },
    };
  },
  update({ value, grad, slots, lr, t, hp }) {
    const { beta1, beta2, eps, weightDecay: wd, amsgrad } = hp;
    const { expAvg, expAvgSq, maxExpAvgSq } = slots;
    const stepSize = stepSizeAt(lr, beta1, t);
    const sqrtCorrection2 = sqrtCorrection2At(beta2, t);
    const backend = getBackend();
    if (backend.adamUpdate) {
      // A kernel backend may run the same formula in WASM (same bits): large arrays only. The
      // argument objects are reused, not made per step.
      MOMENTS.expAvg = expAvg;
      MOMENTS.expAvgSq = expAvgSq;
      MOMENTS.maxExpAvgSq = amsgrad ? maxExpAvgSq : undefined;
      STEP.stepSize = stepSize;
      STEP.sqrtCorrection2 = sqrtCorrection2;
      STEP.beta1 = beta1;
      STEP.beta2 = beta2;
      STEP.eps = eps;
      STEP.weightDecay = wd;
      if (backend.adamUpdate(value, grad, MOMENTS, STEP)) return;
    }
    for (let i = 0; i < value.length; i++) {
      const p = value[i] as number;
      const g = (grad[i] as number) + wd * p;
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

/** lr / (1 − β₁ᵗ): the step size with the first moment's bias correction. */
function stepSizeAt(lr: number, beta1: number, t: number): number {
  return lr / (1 - beta1 ** t);
}

/** √(1 − β₂ᵗ): the second moment's bias correction, under the square root. */
function sqrtCorrection2At(beta2: number, t: number): number {
  return Math.sqrt(1 - beta2 ** t);
}
