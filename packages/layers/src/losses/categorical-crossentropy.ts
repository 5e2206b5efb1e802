import type { Activation } from "@backprop/activations";
import type { Matrix } from "@backprop/linalg";
import { checkOutShape, checkSameShape } from "./check-shapes.js";
import { readCrossentropyOptions, type CrossentropyConfig, type CrossentropyOptions } from "./crossentropy-options.js";
import type { Loss } from "./loss.js";

/**
 * Categorical cross-entropy with one-hot (or soft) targets, averaged over the batch:
 * `L = −(1/B) Σᵢ Σⱼ tᵢⱼ·log pᵢⱼ`.
 *
 * - probabilities (default): `p̂ = clip(p, eps, 1 − eps)` as Keras (rows are not renormalized:
 *   feed a softmax output); gradient `−t/(p̂·B)`. it fuses with a softmax output: there
 *   `fusedGradient(softmax)` gives dLoss/dz = `(p·Σⱼtⱼ − t)/B`, which is `(p − t)/B` for one-hot rows
 *   and never divides by a probability.
 * - `fromLogits: true`: a stable log-softmax inside (row maximum subtracted), gradient
 *   `(softmax(z)·Σⱼtⱼ − t)/B` — finite for any finite logits.
 *
 * Targets whose entry is 0 contribute nothing (so `0·log 0` is 0, not NaN). Registry name
 * `"categoricalCrossentropy"`, alias `"ce"`; config `{ fromLogits, eps }`. An empty batch has loss 0.
 *
 * @example
 * ```ts
 * const ce = categoricalCrossentropy();
 * ce.compute(Matrix.fromArray([[0.25, 0.75]]), Matrix.fromArray([[0, 1]])); // −log 0.75
 * ```
 */
export function categoricalCrossentropy(options: CrossentropyOptions = {}): Loss {
  const config = readCrossentropyOptions("categoricalCrossentropy", options);
  return config.fromLogits ? fromLogitsForm(config) : probabilityForm(config);
}

function probabilityForm(config: CrossentropyConfig): Loss {
  const lo = config.eps;
  const hi = 1 - config.eps;
  // dLoss/dNet after a softmax output: the fused gradient (see the top of this file).
  const softmaxGradient = (probs: Matrix, yTrue: Matrix, out: Matrix): Matrix => {
    checkSameShape("categoricalCrossentropy.softmaxGradient", probs, yTrue);
    checkOutShape("categoricalCrossentropy.softmaxGradient", out, probs);
    const p = probs.data;
    const t = yTrue.data;
    const g = out.data;
    const b = probs.rows;
    const cols = probs.cols;
    for (let i = 0; i < b; i++) {
      const base = i * cols;
      let sumT = 0;
      for (let j = 0; j < cols; j++) sumT += t[base + j] as number;
      for (let j = 0; j < cols; j++) {
        g[base + j] = ((p[base + j] as number) * sumT - (t[base + j] as number)) / b;
      }
    }
    return out;
  };
  return {
    name: "categoricalCrossentropy",
    config,
    compute(yPred: Matrix, yTrue: Matrix): number {
      checkSameShape("categoricalCrossentropy", yPred, yTrue);
      if (yPred.rows === 0) return 0;
      const o = yPred.data;
      const t = yTrue.data;
      let s = 0;
      for (let i = 0; i < o.length; i++) {
        const y = t[i] as number;
        if (y === 0) continue;
        const v = o[i] as number;
        s -= y * Math.log(v < lo ? lo : v > hi ? hi : v);
      }
      return s / yPred.rows;
    },
    gradient(yPred: Matrix, yTrue: Matrix, out: Matrix): Matrix {
      checkSameShape("categoricalCrossentropy.gradient", yPred, yTrue);
      checkOutShape("categoricalCrossentropy.gradient", out, yPred);
      const o = yPred.data;
      const t = yTrue.data;
      const g = out.data;
      const b = yPred.rows;
      for (let i = 0; i < o.length; i++) {
        const y = t[i] as number;
        const v = o[i] as number;
        g[i] = y === 0 ? 0 : -y / ((v < lo ? lo : v > hi ? hi : v) * b);
      }
      return out;
    },
    fusedGradient: (activation: Activation) => (activation.name === "softmax" ? softmaxGradient : undefined),
  };
}

function fromLogitsForm(config: CrossentropyConfig): Loss {
  return {
    name: "categoricalCrossentropy",
    config,
    compute(yPred: Matrix, yTrue: Matrix): number {
      checkSameShape("categoricalCrossentropy", yPred, yTrue);
      const b = yPred.rows;
      if (b === 0) return 0;
      const z = yPred.data;
      const t = yTrue.data;
      const cols = yPred.cols;
      let s = 0;
      for (let i = 0; i < b; i++) {
        const base = i * cols;
        let m = -Infinity;
        for (let j = 0; j < cols; j++) {
          const v = z[base + j] as number;
          if (v > m) m = v;
        }
        let e = 0;
        for (let j = 0; j < cols; j++) e += Math.exp((z[base + j] as number) - m);
        const logE = Math.log(e);
        for (let j = 0; j < cols; j++) {
          const y = t[base + j] as number;
          // −log softmax(z)ⱼ = (m − zⱼ) + log Σ exp(z − m), each part ≥ 0.
          if (y !== 0) s += y * (m - (z[base + j] as number) + logE);
        }
      }
      return s / b;
    },
    gradient(yPred: Matrix, yTrue: Matrix, out: Matrix): Matrix {
      checkSameShape("categoricalCrossentropy.gradient", yPred, yTrue);
      checkOutShape("categoricalCrossentropy.gradient", out, yPred);
      const z = yPred.data;
      const t = yTrue.data;
      const g = out.data;
      const b = yPred.rows;
      const cols = yPred.cols;
      for (let i = 0; i < b; i++) {
        const base = i * cols;
        let m = -Infinity;
        let sumT = 0;
        for (let j = 0; j < cols; j++) {
          const v = z[base + j] as number;
          if (v > m) m = v;
          sumT += t[base + j] as number;
        }
        let e = 0;
        for (let j = 0; j < cols; j++) {
          const x = Math.exp((z[base + j] as number) - m);
          g[base + j] = x;
          e += x;
        }
        const k = sumT / e;
        for (let j = 0; j < cols; j++) {
          g[base + j] = ((g[base + j] as number) * k - (t[base + j] as number)) / b;
        }
      }
      return out;
    },
  };
}
