import type { Activation } from "@backprop/activations";
import { readConfig, type Matrix } from "@backprop/linalg";
import { checkOutShape, checkSameShape } from "./check-shapes.js";
import type { Loss } from "./loss.js";
import { CROSSENTROPY_SCHEMA } from "./crossentropy-options.js";

/** Options of {@link binaryCrossentropy}. */
export interface BinaryCrossentropyOptions {
  /** When true, `yPred` holds logits z (any real) rather than probabilities. Default false. */
  readonly fromLogits?: boolean;
  /** Probabilities are clipped to `[eps, 1 − eps]` so the logarithms stay finite. Default 1e-7 (Keras). */
  readonly eps?: number;
}

/**
 * Binary cross-entropy, averaged over every element as Keras (B rows, K independent outputs,
 * `n = B·K`), for targets t in [0, 1].
 *
 * - probabilities (default): with `p̂ = clip(p, eps, 1 − eps)`,
 *   `L = −(1/n) Σ [t·log p̂ + (1 − t)·log(1 − p̂)]`, gradient `(p̂ − t)/(p̂(1 − p̂)·n)`.
 *   The gradient uses the clipped `p̂` everywhere, so beyond the bounds it keeps the value it has
 *   at the bound (not the true derivative 0 of the clip): a saturated wrong prediction is still
 *   pushed back. The loss also fuses with a sigmoid output:
 *   `fusedGradient(sigmoid)` gives dLoss/dz = `(p − t)/n`.
 * - `fromLogits: true`: the stable form `L = (1/n) Σ [max(z, 0) − z·t + log1p(exp(−|z|))]`,
 *   gradient `(σ(z) − t)/n` — finite for any finite z.
 *
 * Registry name `"binaryCrossentropy"`, alias `"bce"`; config `{ fromLogits, eps }`. An empty
 * batch has loss 0.
 *
 * @example
 * ```ts
 * const bce = binaryCrossentropy({ fromLogits: true });
 * bce.compute(Matrix.fromArray([[0]]), Matrix.fromArray([[1]])); // log 2
 * ```
 */
export function binaryCrossentropy(options: BinaryCrossentropyOptions = {}): Loss {
  const { fromLogits, eps } = readConfig("binaryCrossentropy", options, CROSSENTROPY_SCHEMA);
  const config = { fromLogits, eps };
  return fromLogits ? fromLogitsForm(config) : probabilityForm(config, eps);
}

function probabilityForm(config: { fromLogits: boolean; eps: number }, eps: number): Loss {
  const lo = eps;
  const hi = 1 - eps;
  // dLoss/dNet after a sigmoid output: the fused gradient (see the top of this file).
  const sigmoidGradient = (probs: Matrix, yTrue: Matrix, out: Matrix): Matrix => {
    checkSameShape("binaryCrossentropy.sigmoidGradient", probs, yTrue);
    checkOutShape("binaryCrossentropy.sigmoidGradient", out, probs);
    const o = probs.data;
    const t = yTrue.data;
    const g = out.data;
    const n = o.length;
    for (let i = 0; i < n; i++) g[i] = ((o[i] as number) - (t[i] as number)) / n;
    return out;
  };
  return {
    name: "binaryCrossentropy",
    config,
    compute(yPred: Matrix, yTrue: Matrix): number {
      checkSameShape("binaryCrossentropy", yPred, yTrue);
      const o = yPred.data;
      const t = yTrue.data;
      const n = o.length;
      if (n === 0) return 0;
      let s = 0;
      for (let i = 0; i < n; i++) {
        const v = o[i] as number;
        const p = v < lo ? lo : v > hi ? hi : v;
        const y = t[i] as number;
        s -= y * Math.log(p) + (1 - y) * Math.log1p(-p);
      }
      return s / n;
    },
    gradient(yPred: Matrix, yTrue: Matrix, out: Matrix): Matrix {
      checkSameShape("binaryCrossentropy.gradient", yPred, yTrue);
      checkOutShape("binaryCrossentropy.gradient", out, yPred);
      const o = yPred.data;
      const t = yTrue.data;
      const g = out.data;
      const n = o.length;
      for (let i = 0; i < n; i++) {
        const v = o[i] as number;
        const p = v < lo ? lo : v > hi ? hi : v;
        g[i] = (p - (t[i] as number)) / (p * (1 - p) * n);
      }
      return out;
    },
    fusedGradient: (activation: Activation) => (activation.name === "sigmoid" ? sigmoidGradient : undefined),
  };
}

function fromLogitsForm(config: { fromLogits: boolean; eps: number }): Loss {
  return {
    name: "binaryCrossentropy",
    config,
    compute(yPred: Matrix, yTrue: Matrix): number {
      checkSameShape("binaryCrossentropy", yPred, yTrue);
      const z = yPred.data;
      const t = yTrue.data;
      const n = z.length;
      if (n === 0) return 0;
      let s = 0;
      for (let i = 0; i < n; i++) {
        const v = z[i] as number;
        // NOTE: log(1 + e^z) − z·t rewritten so exp never sees a positive argument.
        s += (v > 0 ? v : 0) - v * (t[i] as number) + Math.log1p(Math.exp(-Math.abs(v)));
      }
      return s / n;
    },
    gradient(yPred: Matrix, yTrue: Matrix, out: Matrix): Matrix {
      checkSameShape("binaryCrossentropy.gradient", yPred, yTrue);
      checkOutShape("binaryCrossentropy.gradient", out, yPred);
      const z = yPred.data;
      const t = yTrue.data;
      const g = out.data;
      const n = z.length;
      for (let i = 0; i < n; i++) {
        const v = z[i] as number;
        let sig: number;
        if (v >= 0) {
          sig = 1 / (1 + Math.exp(-v));
        } else {
          const e = Math.exp(v);
          sig = e / (1 + e);
        }
        g[i] = (sig - (t[i] as number)) / n;
      }
      return out;
    },
  };
}
