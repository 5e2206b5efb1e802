import { checkConfigKeys, readBoolean, readNumber } from "./read-config.js";

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

/**
 * Validates cross-entropy options and fills in defaults.
 * @throws BackpropError `INVALID_CONFIG` for unknown keys, a non-boolean `fromLogits` or an `eps` outside (0, 0.5)
 */
export function readCrossentropyOptions(where: string, options: CrossentropyOptions | undefined): CrossentropyConfig {
  const c = checkConfigKeys(where, options, ["fromLogits", "eps"]);
  const fromLogits = readBoolean(where, c, "fromLogits", false);
  const eps = readNumber(where, c, "eps", 1e-7, { min: 0, max: 0.5, minExclusive: true, maxExclusive: true });
  return { fromLogits, eps };
}
