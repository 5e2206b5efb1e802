import { BackpropError } from "./errors.js";
import type { FloatArray } from "./dtype.js";

/** The worst coordinate of a finite-difference check. */
export interface FiniteDifferenceResult {
  /** max over coordinates of |a − n| / max(|a| + |n|, floor). */
  readonly maxRelativeError: number;
  /** The coordinate where it happened (−1 when there are none). */
  readonly worstIndex: number;
  /** The analytic derivative there. */
  readonly analytic: number;
  /** The central-difference estimate there. */
  readonly numeric: number;
}

/**
 * Compares an analytic gradient with central differences, one coordinate at a time:
 * `n = (L(v + h·eᵢ) − L(v − h·eᵢ)) / 2h`.
 *
 * relative error = |a − n| / max(|a| + |n|, floor). The floor (default 1e-8) keeps coordinates whose
 * true gradient is ~0 from dividing noise by noise: there the absolute difference is what counts.
 *
 * @param values - the inputs being perturbed (perturbed in place and restored)
 * @param analytic - dLoss/dValues computed by the code under test, same length as `values`
 * @param loss - recomputes the scalar loss from the current `values`
 * @param h - step, default 1e-5
 * @param floor - the denominator's floor, default 1e-8
 * @example
 * ```ts
 * const x = Float64Array.of(0.3, -1.2);
 * finiteDifferenceCheck(x, [2 * 0.3, 2 * -1.2], () => x[0]! ** 2 + x[1]! ** 2).maxRelativeError; // ~1e-11
 * ```
 */
export function finiteDifferenceCheck(
  values: FloatArray,
  analytic: ArrayLike<number>,
  loss: () => number,
  h = 1e-5,
  floor = 1e-8,
): FiniteDifferenceResult {
  if (analytic.length !== values.length) {
    throw new BackpropError(
      "SHAPE_MISMATCH",
      `finiteDifferenceCheck: the analytic gradient has ${analytic.length} entries (expected ${values.length}, one per value)`,
    );
  }
  let worst: FiniteDifferenceResult = { maxRelativeError: 0, worstIndex: -1, analytic: 0, numeric: 0 };
  for (let i = 0; i < values.length; i++) {
    const original = values[i] as number;
    values[i] = original + h;
    const plus = loss();
    values[i] = original - h;
    const minus = loss();
    values[i] = original;
    const numeric = (plus - minus) / (2 * h);
    const a = analytic[i] as number;
    const rel = Math.abs(a - numeric) / Math.max(Math.abs(a) + Math.abs(numeric), floor);
    if (!(rel <= worst.maxRelativeError)) {
      worst = { maxRelativeError: rel, worstIndex: i, analytic: a, numeric };
    }
  }
  return worst;
}
