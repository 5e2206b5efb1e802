import { softmax as softmaxActivation } from "@backprop/activations";
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
  // NOTE: one definition of softmax, the activation's: the losses' log-softmax paths use it too.
  if (logits.cols > 0) softmaxActivation.apply(logits.data, o.data, logits.cols);
  return o;
}
