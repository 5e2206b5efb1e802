import { BackpropError, type Tensor, type Rng } from "@backprop/linalg";
import { checkConfigKeys, readNumber } from "../losses/read-config.js";
import type { Initializer } from "./initializer.js";

/** Options of {@link randomUniform}. */
export interface RandomUniformOptions {
  /** Lower bound (inclusive). Default −0.05 (Keras). */
  readonly minval?: number;
  /** Upper bound (exclusive); ≥ minval. Default 0.05 (Keras). */
  readonly maxval?: number;
}

/**
 * Independent draws from the uniform distribution on `[minval, maxval)`, one per element in
 * row-major order. Registry name `"randomUniform"`, config `{ minval, maxval }`.
 *
 * @example
 * ```ts
 * randomUniform({ minval: -1, maxval: 1 }).init(Matrix.zeros(3, 4), new Rng(0), { fanIn: 3, fanOut: 4 });
 * ```
 */
export function randomUniform(options: RandomUniformOptions = {}): Initializer {
  const c = checkConfigKeys("randomUniform", options, ["minval", "maxval"]);
  const minval = readNumber("randomUniform", c, "minval", -0.05);
  const maxval = readNumber("randomUniform", c, "maxval", 0.05);
  if (minval > maxval) {
    throw new BackpropError(
      "INVALID_CONFIG",
      `randomUniform: minval is above maxval (got minval ${minval}, maxval ${maxval}, expected minval ≤ maxval)`,
    );
  }
  return {
    name: "randomUniform",
    config: { minval, maxval },
    init<T extends Tensor>(target: T, rng: Rng): T {
      return rng.fillUniform(target, minval, maxval);
    },
  };
}
