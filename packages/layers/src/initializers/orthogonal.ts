import { BackpropError, formatShape, type Rng, type Tensor } from "@backprop/linalg";
import { checkConfigKeys, readNumber } from "../losses/read-config.js";
import type { Initializer } from "./initializer.js";

/** Options of {@link orthogonal}. */
export interface OrthogonalOptions {
  /** Multiplier of the orthogonal matrix; finite. Default 1. */
  readonly gain?: number;
}

/**
 * Orthogonal (Saxe et al.): the weight, seen as a matrix of `rows = ∏ shape[0…−2]` by
 * `cols = shape[−1]`, gets orthonormal columns when `rows ≥ cols` (`WᵀW = I`) and orthonormal rows
 * otherwise (`WWᵀ = I`), times `gain` — as Keras: the Q of the QR decomposition of a standard
 * normal matrix (of the transpose when `rows < cols`), with R's diagonal made positive so that Q
 * is unique. Keras' and TensorFlow.js' default for the recurrent kernels of `SimpleRNN`, `LSTM`
 * and `GRU`, where repeated multiplication by an orthogonal matrix neither grows nor fades the
 * state. Registry name `"orthogonal"`, config `{ gain }`.
 *
 * Computed in float64 by Gram–Schmidt with a second orthogonalization pass (which keeps Q
 * orthonormal to ~1e-15), then stored in the target's dtype.
 *
 * @throws BackpropError `INVALID_ARGUMENT` (from `init`) for a weight of rank below 2
 * @see https://arxiv.org/abs/1312.6120
 * @see https://keras.io/api/layers/initializers/#orthogonal-class
 * @example
 * ```ts
 * const u = orthogonal().init(Matrix.zeros(32, 128), new Rng(1), { fanIn: 32, fanOut: 128 }); // rows orthonormal
 * ```
 */
export function orthogonal(options: OrthogonalOptions = {}): Initializer {
  const c = checkConfigKeys("orthogonal", options, ["gain"]);
  const gain = readNumber("orthogonal", c, "gain", 1);
  return {
    name: "orthogonal",
    config: { gain },
    init<T extends Tensor>(target: T, rng: Rng): T {
      const shape = target.shape;
      if (shape.length < 2) {
        throw new BackpropError(
          "INVALID_ARGUMENT",
          `orthogonal: the weight is ${formatShape(shape)} (expected rank 2 or more: an orthogonal matrix needs rows and columns)`,
          { hint: "use it for kernels, not biases" },
        );
      }
      const cols = shape[shape.length - 1] as number;
      const rows = target.size / cols;
      // Orthonormalize the columns of a tall m×n normal matrix (m ≥ n), then transpose if needed.
      const m = Math.max(rows, cols);
      const n = Math.min(rows, cols);
      // Draws in row-major order of the tall matrix, so a seed gives the same weights every time.
      const a = new Float64Array(m * n);
      for (let i = 0; i < a.length; i++) a[i] = rng.normal();
      const q = orthonormalColumns(a, m, n);
      const out = target.data;
      if (rows >= cols) {
        for (let i = 0; i < q.length; i++) out[i] = gain * (q[i] as number);
      } else {
        // q is cols×rows (m×n with m = cols): the weight is its transpose, rows × cols.
        for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[i * cols + j] = gain * (q[j * n + i] as number);
      }
      return target;
    },
  };
}

/**
 * The Q factor (m×n, row-major, orthonormal columns, positive R diagonal) of the m×n row-major
 * matrix `a`, m ≥ n, by modified Gram–Schmidt run twice per column. A column that is (numerically)
 * dependent on the earlier ones — probability zero for normal draws — is replaced by the unit basis
 * vector farthest from their span, orthogonalized.
 */
function orthonormalColumns(a: Float64Array, m: number, n: number): Float64Array {
  const q = new Float64Array(m * n);
  const v = new Float64Array(m);
  for (let j = 0; j < n; j++) {
    for (let i = 0; i < m; i++) v[i] = a[i * n + j] as number;
    let norm = removeProjections(v, q, m, n, j);
    if (!(norm > 1e-12)) {
      // Start again from the unit vector farthest from the span (j < m, so one is at least 1/√m away).
      let best = 0;
      let bestNorm = -1;
      for (let e = 0; e < m; e++) {
        v.fill(0);
        v[e] = 1;
        const r = removeProjections(v, q, m, n, j);
        if (r > bestNorm) {
          bestNorm = r;
          best = e;
        }
      }
      v.fill(0);
      v[best] = 1;
      norm = removeProjections(v, q, m, n, j);
    }
    for (let i = 0; i < m; i++) q[i * n + j] = (v[i] as number) / norm;
  }
  return q;
}

/** Removes from `v` its components along q's first `j` columns (twice), and returns its norm. */
function removeProjections(v: Float64Array, q: Float64Array, m: number, n: number, j: number): number {
  for (let pass = 0; pass < 2; pass++) {
    for (let k = 0; k < j; k++) {
      let dot = 0;
      for (let i = 0; i < m; i++) dot += (q[i * n + k] as number) * (v[i] as number);
      for (let i = 0; i < m; i++) v[i] = (v[i] as number) - dot * (q[i * n + k] as number);
    }
  }
  let norm = 0;
  for (let i = 0; i < m; i++) norm += (v[i] as number) ** 2;
  return Math.sqrt(norm);
}
