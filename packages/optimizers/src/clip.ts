import { readField, type NumberField, type Param } from "@backprop/linalg";

const POSITIVE: NumberField = { type: "number", min: 0, minExclusive: true };

/**
 * Clamps every gradient element of the trainable params to `[−clipValue, clipValue]`, in place.
 *
 * Frozen params (`trainable = false`) are left alone. Same as PyTorch
 * `torch.nn.utils.clip_grad_value_` and Keras' `clipvalue`.
 *
 * @param clipValue - the bound, a positive finite number
 * @throws BackpropError `INVALID_CONFIG` for a bad bound
 * @example
 * ```ts
 * model.backward(dLoss);
 * clipGradValue(model.params(), 1);
 * opt.step(model.params());
 * ```
 */
export function clipGradValue(params: readonly Param[], clipValue: number): void {
  readField("clipGradValue", "clipValue", clipValue, POSITIVE);
  clampGradients(params, clipValue);
}

/**
 * Rescales the gradients of the trainable params so their global L2 norm is at most `maxNorm`,
 * in place, and returns the norm before clipping.
 *
 * `norm = √(Σ_params Σ_i g_i²)`; when `norm > maxNorm` every gradient is multiplied by
 * `maxNorm / (norm + 1e-6)` (PyTorch `torch.nn.utils.clip_grad_norm_`; the 1e-6 keeps the result
 * strictly under the bound). A non-finite norm leaves the gradients untouched and is returned so
 * the caller can skip the step. Frozen params neither count nor change.
 *
 * @param maxNorm - the bound, a positive finite number
 * @returns the global gradient norm before clipping
 * @throws BackpropError `INVALID_CONFIG` for a bad bound
 * @see Pascanu et al. 2013, "On the difficulty of training recurrent neural networks", https://arxiv.org/abs/1211.5063
 * @example
 * ```ts
 * const norm = clipGradNorm(model.params(), 5);
 * if (!Number.isFinite(norm)) console.warn("skipping a step with non-finite gradients");
 * ```
 */
export function clipGradNorm(params: readonly Param[], maxNorm: number): number {
  readField("clipGradNorm", "maxNorm", maxNorm, POSITIVE);
  return rescaleGradients(params, maxNorm);
}

/** {@link clipGradValue} without the argument check (the optimizer validated it once). */
export function clampGradients(params: readonly Param[], clipValue: number): void {
  for (const p of params) {
    if (!p.trainable) continue;
    const g = p.grad.data;
    for (let i = 0; i < g.length; i++) {
      const v = g[i] as number;
      if (v > clipValue) g[i] = clipValue;
      else if (v < -clipValue) g[i] = -clipValue;
    }
  }
}

/** {@link clipGradNorm} without the argument check (the optimizer validated it once). */
export function rescaleGradients(params: readonly Param[], maxNorm: number): number {
  let sumSquares = 0;
  for (const p of params) {
    if (!p.trainable) continue;
    const g = p.grad.data;
    for (let i = 0; i < g.length; i++) {
      const v = g[i] as number;
      sumSquares += v * v;
    }
  }
  const norm = Math.sqrt(sumSquares);
  if (!Number.isFinite(norm) || norm <= maxNorm) return norm;
  const factor = maxNorm / (norm + 1e-6);
  for (const p of params) {
    if (!p.trainable) continue;
    const g = p.grad.data;
    for (let i = 0; i < g.length; i++) g[i] = (g[i] as number) * factor;
  }
  return norm;
}
