import type { Activation } from "@backprop/activations";
import { BackpropError, type Matrix } from "@backprop/linalg";
import { checkOutShape, checkSparseShape } from "./check-shapes.js";
import { readCrossentropyOptions, type CrossentropyConfig, type CrossentropyOptions } from "./crossentropy-options.js";
import type { Loss } from "./loss.js";

/**
 * Categorical cross-entropy with integer class targets: `yTrue` is batch×1 and row i holds the
 * class index cᵢ of sample i. `L = −(1/B) Σᵢ log pᵢ,cᵢ` — the same value as
 * {@link categoricalCrossentropy} with one-hot targets, without building them.
 *
 * - probabilities (default): `p̂ = clip(p, eps, 1 − eps)`; gradient `−1/(p̂·B)` at the target
 *   class, 0 elsewhere. It fuses with a softmax output: `fusedGradient(softmax)` gives `(p − onehot(c))/B`.
 * - `fromLogits: true`: stable log-softmax inside; gradient `(softmax(z) − onehot(c))/B`.
 *
 * Every label is checked on each call (an O(batch) pass): an index that is not an integer in
 * `0 … classes−1` throws `INVALID_ARGUMENT` naming the row. Registry name
 * `"sparseCategoricalCrossentropy"`; config `{ fromLogits, eps }`. An empty batch has loss 0.
 *
 * @example
 * ```ts
 * const loss = sparseCategoricalCrossentropy({ fromLogits: true });
 * loss.compute(Matrix.fromArray([[0, 0, 0]]), Matrix.fromArray([[2]])); // log 3
 * ```
 */
export function sparseCategoricalCrossentropy(options: CrossentropyOptions = {}): Loss {
  const config = readCrossentropyOptions("sparseCategoricalCrossentropy", options);
  return config.fromLogits ? fromLogitsForm(config) : probabilityForm(config);
}

function checkLabels(where: string, yPred: Matrix, yTrue: Matrix): void {
  checkSparseShape(where, yPred, yTrue);
  const t = yTrue.data;
  const classes = yPred.cols;
  for (let i = 0; i < t.length; i++) {
    const c = t[i] as number;
    if (!(Number.isInteger(c) && c >= 0 && c < classes)) {
      throw new BackpropError(
        "INVALID_ARGUMENT",
        `${where}: yTrue row ${i} is not a class index (got ${c}, expected an integer in 0…${classes - 1})`,
        { hint: "sparse targets hold one class index per row; for one-hot rows use categoricalCrossentropy" },
      );
    }
  }
}

function probabilityForm(config: CrossentropyConfig): Loss {
  const lo = config.eps;
  const hi = 1 - config.eps;
  // dLoss/dNet after a softmax output: the fused gradient (see the top of this file).
  const softmaxGradient = (probs: Matrix, yTrue: Matrix, out: Matrix): Matrix => {
    checkLabels("sparseCategoricalCrossentropy.softmaxGradient", probs, yTrue);
    checkOutShape("sparseCategoricalCrossentropy.softmaxGradient", out, probs);
    const p = probs.data;
    const t = yTrue.data;
    const g = out.data;
    const b = probs.rows;
    const cols = probs.cols;
    for (let i = 0; i < b; i++) {
      const base = i * cols;
      for (let j = 0; j < cols; j++) g[base + j] = (p[base + j] as number) / b;
      const k = base + (t[i] as number);
      g[k] = ((p[k] as number) - 1) / b;
    }
    return out;
  };
  return {
    name: "sparseCategoricalCrossentropy",
    config,
    compute(yPred: Matrix, yTrue: Matrix): number {
      checkLabels("sparseCategoricalCrossentropy", yPred, yTrue);
      const b = yPred.rows;
      if (b === 0) return 0;
      const o = yPred.data;
      const t = yTrue.data;
      const cols = yPred.cols;
      let s = 0;
      for (let i = 0; i < b; i++) {
        const v = o[i * cols + (t[i] as number)] as number;
        s -= Math.log(v < lo ? lo : v > hi ? hi : v);
      }
      return s / b;
    },
    gradient(yPred: Matrix, yTrue: Matrix, out: Matrix): Matrix {
      checkLabels("sparseCategoricalCrossentropy.gradient", yPred, yTrue);
      checkOutShape("sparseCategoricalCrossentropy.gradient", out, yPred);
      const o = yPred.data;
      const t = yTrue.data;
      const g = out.data;
      const b = yPred.rows;
      const cols = yPred.cols;
      for (let i = 0; i < b; i++) {
        const k = i * cols + (t[i] as number);
        const v = o[k] as number;
        g.fill(0, i * cols, (i + 1) * cols);
        g[k] = -1 / ((v < lo ? lo : v > hi ? hi : v) * b);
      }
      return out;
    },
    fusedGradient: (activation: Activation) => (activation.name === "softmax" ? softmaxGradient : undefined),
  };
}

function fromLogitsForm(config: CrossentropyConfig): Loss {
  return {
    name: "sparseCategoricalCrossentropy",
    config,
    compute(yPred: Matrix, yTrue: Matrix): number {
      checkLabels("sparseCategoricalCrossentropy", yPred, yTrue);
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
        s += m - (z[base + (t[i] as number)] as number) + Math.log(e);
      }
      return s / b;
    },
    gradient(yPred: Matrix, yTrue: Matrix, out: Matrix): Matrix {
      checkLabels("sparseCategoricalCrossentropy.gradient", yPred, yTrue);
      checkOutShape("sparseCategoricalCrossentropy.gradient", out, yPred);
      const z = yPred.data;
      const t = yTrue.data;
      const g = out.data;
      const b = yPred.rows;
      const cols = yPred.cols;
      for (let i = 0; i < b; i++) {
        const base = i * cols;
        const label = t[i] as number;
        let m = -Infinity;
        for (let j = 0; j < cols; j++) {
          const v = z[base + j] as number;
          if (v > m) m = v;
        }
        let e = 0;
        for (let j = 0; j < cols; j++) {
          const x = Math.exp((z[base + j] as number) - m);
          g[base + j] = x;
          e += x;
        }
        for (let j = 0; j < cols; j++) g[base + j] = (g[base + j] as number) / (e * b);
        g[base + label] = (g[base + label] as number) - 1 / b;
      }
      return out;
    },
  };
}
