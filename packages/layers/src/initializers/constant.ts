import type { Tensor } from "@backprop/linalg";
import { checkConfigKeys, readNumber, type EmptyOptions } from "../losses/read-config.js";
import type { Initializer } from "./initializer.js";

/** Options of {@link constant}. */
export interface ConstantOptions {
  /** The value of every element; finite. Default 0. */
  readonly value?: number;
}

/**
 * Fills every element with `value` (no randomness: the rng is not touched).
 * Registry name `"constant"`, config `{ value }`.
 *
 * @example
 * ```ts
 * constant({ value: 0.35 }).init(bias, rng, { fanIn: 2, fanOut: 2 }); // every bias 0.35
 * ```
 */
export function constant(options: ConstantOptions = {}): Initializer {
  const c = checkConfigKeys("constant", options, ["value"]);
  const value = readNumber("constant", c, "value", 0);
  return fill("constant", { value }, value);
}

/**
 * Fills every element with 0 — the usual bias initializer. Registry name `"zeros"`, no options.
 * @example
 * ```ts
 * zeros().init(Matrix.ones(1, 3), rng, { fanIn: 3, fanOut: 3 }).toArray(); // [[0, 0, 0]]
 * ```
 */
export function zeros(options: EmptyOptions = {}): Initializer {
  checkConfigKeys("zeros", options, []);
  return fill("zeros", {}, 0);
}

/**
 * Fills every element with 1. Registry name `"ones"`, no options.
 * @example
 * ```ts
 * ones().init(Matrix.zeros(1, 2), rng, { fanIn: 2, fanOut: 2 }).toArray(); // [[1, 1]]
 * ```
 */
export function ones(options: EmptyOptions = {}): Initializer {
  checkConfigKeys("ones", options, []);
  return fill("ones", {}, 1);
}

function fill(name: string, config: Initializer["config"], value: number): Initializer {
  return {
    name,
    config,
    init<T extends Tensor>(target: T): T {
      target.data.fill(value);
      return target;
    },
  };
}
