import { readConfig } from "@backprop/linalg";

/** Options of {@link categoricalCrossentropy} and {@link sparseCategoricalCrossentropy}. */
export interface CrossentropyOptions {
  /** When true, `yPred` holds logits (any real) rather than softmax probabilities. Default false. */
  readonly fromLogits?: boolean;
  /**
   * Probabilities are clipped to `[eps, 1 − eps]` before the logarithm, so a probability of 0
   * gives a large finite loss instead of Infinity. Unused with `fromLogits`. Default 1e-7 (Keras).
   */
  readonly eps?: number;
}

/** The validated config of a cross-entropy loss, as stored in `Loss.config`. */
export interface CrossentropyConfig {
  /** Whether `yPred` holds logits. */
  readonly fromLogits: boolean;
  /** The probability clipping bound. */
  readonly eps: number;
  readonly [key: string]: boolean | number;
}

/** The config keys of every cross-entropy loss (categorical, sparse and binary). */
export const CROSSENTROPY_SCHEMA = {
  fromLogits: { type: "boolean", default: false },
  eps: { type: "number", default: 1e-7, min: 0, max: 0.5, minExclusive: true, maxExclusive: true },
} as const;

/**
 * Validates cross-entropy options and fills in defaults.
 * @throws BackpropError `INVALID_CONFIG` for unknown keys, a non-boolean `fromLogits` or an `eps` outside (0, 0.5)
 */
export function readCrossentropyOptions(where: string, options: CrossentropyOptions | undefined): CrossentropyConfig {
  const { fromLogits, eps } = readConfig(where, options, CROSSENTROPY_SCHEMA);
  return { fromLogits, eps };
}
