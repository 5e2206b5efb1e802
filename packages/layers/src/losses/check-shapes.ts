import { ShapeMismatchError, shapeString, type Matrix } from "@backprop/linalg";

/**
 * Throws unless `yPred` and `yTrue` have the same shape.
 * @throws ShapeMismatchError naming both shapes
 */
export function checkSameShape(where: string, yPred: Matrix, yTrue: Matrix): void {
  if (yPred.rows !== yTrue.rows || yPred.cols !== yTrue.cols) {
    throw new ShapeMismatchError(
      `${where}: yPred and yTrue shapes differ (got yPred ${shapeString(yPred)}, yTrue ${shapeString(yTrue)})`,
      { hint: "targets must have one row per sample and one column per output" },
    );
  }
}

/**
 * Throws unless `yTrue` is batch×1 (one class index per row of `yPred`).
 * @throws ShapeMismatchError naming both shapes
 */
export function checkSparseShape(where: string, yPred: Matrix, yTrue: Matrix): void {
  if (yTrue.cols !== 1 || yTrue.rows !== yPred.rows) {
    throw new ShapeMismatchError(
      `${where}: yTrue must hold one class index per row (got yTrue ${shapeString(yTrue)}, expected ${yPred.rows}×1 for yPred ${shapeString(yPred)})`,
      { hint: "for one-hot targets use the categorical (non-sparse) form" },
    );
  }
}

/**
 * Throws unless the gradient buffer `out` has the shape of `like`.
 * @throws ShapeMismatchError naming both shapes
 */
export function checkOutShape(where: string, out: Matrix, like: Matrix): void {
  if (out.rows !== like.rows || out.cols !== like.cols) {
    throw new ShapeMismatchError(
      `${where}: out has the wrong shape (got ${shapeString(out)}, expected ${shapeString(like)}, the shape of yPred)`,
    );
  }
}
