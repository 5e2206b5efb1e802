import { Matrix } from "@backprop/linalg";
import { checkOutShape } from "./check-shapes.js";

/**
 * Row-wise softmax, stable for any finite logits: `softmax(z)ⱼ = exp(zⱼ − m) / Σₖ exp(zₖ − m)`
 * with `m = maxₖ zₖ` per row.
 *
 * Subtracting the row maximum changes nothing mathematically but keeps every exponent ≤ 0, so
 * nothing overflows and the denominator is ≥ 1. `out` may be `logits` itself (in place).
 *
 * @param logits - batch×classes scores
 * @param out - where to write the probabilities, same shape; allocated (same dtype) when omitted
 * @returns `out`, each row in [0, 1] summing to 1
 * @throws ShapeMismatchError when `out` has another shape
 * @example
 * ```ts
 * softmax(Matrix.fromArray([[1000, 1000]])).toArray(); // [[0.5, 0.5]]
 * ```
 */
export function softmax(logits: Matrix, out?: Matrix): Matrix {
  const o = out ?? new Matrix(logits.rows, logits.cols, logits.dtype);
  checkOutShape("softmax", o, logits);
  const z = logits.data;
  const d = o.data;
  const cols = logits.cols;
  for (let i = 0; i < logits.rows; i++) {
    const base = i * cols;
    let m = -Infinity;
    for (let j = 0; j < cols; j++) {
      const v = z[base + j] as number;
      if (v > m) m = v;
    }
    let s = 0;
    for (let j = 0; j < cols; j++) {
      const e = Math.exp((z[base + j] as number) - m);
      d[base + j] = e;
      s += e;
    }
    for (let j = 0; j < cols; j++) d[base + j] = (d[base + j] as number) / s;
  }
  return o;
}
