import { BackpropError, formatShape, type Shape } from "@backprop/linalg";

/**
 * The per-sample input shape a layer's config declares: `inputShape` (Keras), or `inputDim` as the
 * shorthand for `[inputDim]`; undefined when neither is given (the model learns it from data).
 * @throws BackpropError `INVALID_CONFIG` for a malformed value, or both given and disagreeing
 */
export function readInputShape(
  where: string,
  config: { readonly inputShape?: readonly number[] | null; readonly inputDim?: number | null },
): Shape | undefined {
  const { inputShape, inputDim } = config;
  const dim = inputDim === undefined || inputDim === null ? undefined : positive(`${where}.inputDim`, inputDim);
  if (inputShape === undefined || inputShape === null) return dim === undefined ? undefined : [dim];
  if (!Array.isArray(inputShape) || inputShape.length === 0) {
    throw new BackpropError("INVALID_CONFIG", `${where}.inputShape: expected a non-empty list of positive integers (got ${JSON.stringify(inputShape)})`, {
      hint: "give the shape of one sample, without the batch axis: [28, 28, 1], or [4] for 4 features",
    });
  }
  const shape = inputShape.map((d, i) => positive(`${where}.inputShape[${i}]`, d));
  if (dim !== undefined && shape[shape.length - 1] !== dim) {
    throw new BackpropError(
      "INVALID_CONFIG",
      `${where}: inputDim ${dim} disagrees with inputShape ${formatShape(shape)} (its last axis is the input width)`,
    );
  }
  return shape;
}

function positive(where: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value <= 0) {
    throw new BackpropError("INVALID_CONFIG", `${where}: must be a positive integer (got ${JSON.stringify(value)})`);
  }
  return value;
}

/**
 * Checks a per-sample shape handed to a layer: positive integer axes, at least `minRank` of them.
 * @throws BackpropError `SHAPE_MISMATCH` naming the layer
 */
export function checkInputShape(layer: string, shape: Shape, minRank: number): void {
  if (!Array.isArray(shape) || shape.length < minRank || !shape.every((d) => Number.isSafeInteger(d) && d > 0)) {
    throw new BackpropError(
      "SHAPE_MISMATCH",
      `${layer}: input shape ${Array.isArray(shape) ? formatShape(shape) : JSON.stringify(shape)} is not valid (expected at least ${minRank} positive axes per sample)`,
    );
  }
}

/** How a batch of samples of this shape reads in messages: `n×4` for features, `[n, 28, 28, 1]` otherwise. */
export function batchShapeText(sample: Shape): string {
  return sample.length === 1 ? `n×${String(sample[0])}` : `[n, ${sample.join(", ")}]`;
}

/**
 * A config reader for a layer that works on the last axis only (`axis: -1`, Keras' default for
 * the normalization layers): any other value is an `INVALID_CONFIG` naming the layer, with `hint`.
 */
export function lastAxisOnly(where: string, hint: string): (value: unknown) => -1 {
  return (value) => {
    if (value !== -1) {
      throw new BackpropError("INVALID_CONFIG", `${where}: invalid axis (got ${JSON.stringify(value) ?? typeof value}, expected -1)`, { hint });
    }
    return -1;
  };
}
