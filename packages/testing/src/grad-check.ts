import { finiteDifferenceCheck, type FiniteDifferenceResult } from "@backprop/linalg";

/** Result of a finite-difference check: the worst relative error and where it happened. */
export type GradCheckResult = FiniteDifferenceResult;

/** {@link finiteDifferenceCheck} under the name the workspace's tests use. */
export const gradCheck = finiteDifferenceCheck;

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
