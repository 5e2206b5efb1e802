import type { Matrix } from "@backprop/linalg";

/**
 * How many elements of `yPred`, thresholded (`> threshold` ↦ 1, else 0), equal `yTrue`.
 * Shapes are the caller's to check.
 */
export function countBinaryMatches(yPred: Matrix, yTrue: Matrix, threshold: number): number {
  const p = yPred.data;
  const t = yTrue.data;
  let hits = 0;
  for (let i = 0; i < p.length; i++) {
    if (((p[i] as number) > threshold ? 1 : 0) === (t[i] as number)) hits++;
  }
  return hits;
}

/**
 * How many rows have their largest entry (first on ties) in the same column in `yPred` and `yTrue`.
 * Shapes are the caller's to check.
 */
export function countArgmaxMatches(yPred: Matrix, yTrue: Matrix): number {
  const cols = yPred.cols;
  let hits = 0;
  for (let i = 0; i < yPred.rows; i++) {
    if (argmaxRow(yPred, i * cols, cols) === argmaxRow(yTrue, i * cols, cols)) hits++;
  }
  return hits;
}

/**
 * How many rows of `yPred` have their largest entry (first on ties) at the class index stored in
 * the same row of the batch×1 `yTrue`. Labels outside the classes simply never match.
 */
export function countSparseMatches(yPred: Matrix, yTrue: Matrix): number {
  const cols = yPred.cols;
  const t = yTrue.data;
  let hits = 0;
  for (let i = 0; i < yPred.rows; i++) {
    if (argmaxRow(yPred, i * cols, cols) === (t[i] as number)) hits++;
  }
  return hits;
}

function argmaxRow(m: Matrix, base: number, cols: number): number {
  const d = m.data;
  let best = 0;
  let bestValue = d[base] as number;
  for (let j = 1; j < cols; j++) {
    const v = d[base + j] as number;
    if (v > bestValue) {
      bestValue = v;
      best = j;
    }
  }
  return best;
}
