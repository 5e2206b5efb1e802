/**
 * σ(x) = 1 / (1 + e^(−x)) without overflow: for x < 0 it uses e^x / (1 + e^x), so exp only ever
 * sees a non-positive argument and σ(±1000) is exactly 1 or 0 instead of NaN.
 */
export function logistic(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}
