import type { Tensor, Rng } from "@backprop/linalg";
import { checkConfigKeys, readNumber } from "../losses/read-config.js";
import type { Initializer } from "./initializer.js";

/** Options of {@link randomNormal} and {@link truncatedNormal}. */
export interface NormalOptions {
  /** Mean of the distribution. Default 0. */
  readonly mean?: number;
  /** Standard deviation (before any truncation); ≥ 0. Default 0.05 (Keras). */
  readonly stddev?: number;
}

/**
 * Reads `{ mean, stddev }` with their defaults.
 * @throws BackpropError `INVALID_CONFIG` for unknown keys, a non-finite value or a negative stddev
 */
export function readNormalOptions(where: string, options: NormalOptions | undefined): { mean: number; stddev: number } {
  const c = checkConfigKeys(where, options, ["mean", "stddev"]);
  const mean = readNumber(where, c, "mean", 0);
  const stddev = readNumber(where, c, "stddev", 0.05, { min: 0 });
  return { mean, stddev };
}

/**
 * Independent draws from the normal distribution `N(mean, stddev²)`, one per element in row-major
 * order. Registry name `"randomNormal"`, config `{ mean, stddev }`.
 *
 * @example
 * ```ts
 * randomNormal({ stddev: 0.1 }).init(Matrix.zeros(3, 4), new Rng(0), { fanIn: 3, fanOut: 4 });
 * ```
 */
export function randomNormal(options: NormalOptions = {}): Initializer {
  const config = readNormalOptions("randomNormal", options);
  const { mean, stddev } = config;
  return {
    name: "randomNormal",
    config,
    init<T extends Tensor>(target: T, rng: Rng): T {
      return rng.fillNormal(target, mean, stddev);
    },
  };
}
