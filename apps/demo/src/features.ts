/** The input features a network can use, in display order. */
export const FEATURES = ["x1", "x2", "x1sq", "x2sq", "x1x2", "sinx1", "sinx2"] as const;

/** One input feature's key. */
export type FeatureName = (typeof FEATURES)[number];

/** How each feature is written on the page. */
export const FEATURE_LABELS: Readonly<Record<FeatureName, string>> = {
  x1: "x₁",
  x2: "x₂",
  x1sq: "x₁²",
  x2sq: "x₂²",
  x1x2: "x₁x₂",
  sinx1: "sin x₁",
  sinx2: "sin x₂",
};

const FEATURE_FUNCTIONS: Readonly<Record<FeatureName, (x1: number, x2: number) => number>> = {
  x1: (x1) => x1,
  x2: (_x1, x2) => x2,
  x1sq: (x1) => x1 * x1,
  x2sq: (_x1, x2) => x2 * x2,
  x1x2: (x1, x2) => x1 * x2,
  sinx1: (x1) => Math.sin(x1),
  sinx2: (_x1, x2) => Math.sin(x2),
};

/**
 * The feature vectors of points, one row per point, flattened row-major (`n × features.length`).
 *
 * @example
 * ```ts
 * featureMatrix([[1, 2]], ["x1", "x1x2"]); // Float64Array [1, 2]
 * ```
 */
export function featureMatrix(points: readonly (readonly [number, number])[], features: readonly FeatureName[]): Float64Array {
  const out = new Float64Array(points.length * features.length);
  const fns = features.map((f) => FEATURE_FUNCTIONS[f]);
  points.forEach(([x1, x2], r) => {
    fns.forEach((fn, c) => {
      out[r * fns.length + c] = fn(x1, x2);
    });
  });
  return out;
}
