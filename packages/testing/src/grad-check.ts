import type { FloatArray } from "@backprop/linalg";

/** Result of a finite-difference check: the worst relative error and where it happened. */
export interface GradCheckResult {
  readonly maxRelativeError: number;
  readonly worstIndex: number;
  readonly analytic: number;
  readonly numeric: number;
}

/**
 * Compares an analytic gradient with central differences, one coordinate at a time.
 *
 * relative error = |a − n| / max(|a| + |n|, floor). The floor (default 1e-8) keeps coordinates whose
 * true gradient is ~0 from dividing noise by noise: there the absolute difference is what counts.
 *
 * @param values - the inputs being perturbed (perturbed in place and restored)
 * @param analytic - dLoss/dValues computed by the code under test, same length as `values`
 * @param loss - recomputes the scalar loss from the current `values`
 * @param h - step, default 1e-5
 */
export function gradCheck(
  values: FloatArray,
  analytic: ArrayLike<number>,
  loss: () => number,
  h = 1e-5,
  floor = 1e-8,
): GradCheckResult {
  if (analytic.length !== values.length) {
    throw new Error(`gradCheck: analytic gradient has ${analytic.length} entries, values have ${values.length}`);
  }
  let worst: GradCheckResult = { maxRelativeError: 0, worstIndex: -1, analytic: 0, numeric: 0 };
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

/**
 * Checks the derivative of a scalar function at the given points: `df(x)` against
 * `(f(x+h) − f(x−h)) / 2h`. Returns the worst relative error.
 */
export function scalarGradCheck(
  f: (x: number) => number,
  df: (x: number) => number,
  points: readonly number[],
  h = 1e-5,
  floor = 1e-8,
): GradCheckResult {
  let worst: GradCheckResult = { maxRelativeError: 0, worstIndex: -1, analytic: 0, numeric: 0 };
  points.forEach((x, i) => {
    const numeric = (f(x + h) - f(x - h)) / (2 * h);
    const a = df(x);
    const rel = Math.abs(a - numeric) / Math.max(Math.abs(a) + Math.abs(numeric), floor);
    if (!(rel <= worst.maxRelativeError)) worst = { maxRelativeError: rel, worstIndex: i, analytic: a, numeric };
  });
  return worst;
}
