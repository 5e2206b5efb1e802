import type { NumberRange } from "@backprop/linalg";

// NOTE: configs are validated by linalg's readConfig, shared by every package; these two are
// re-exported because the optimizer files print and check values with them too.
export { describeValue, isPlainObject } from "@backprop/linalg";

/**
 * Allowed interval of a numeric hyperparameter, used by {@link defineOptimizer}'s `ranges`: the
 * shared {@link NumberRange}. Bounds are inclusive unless marked exclusive; values must be finite.
 *
 * @example
 * ```ts
 * const beta: HyperparameterRange = { min: 0, max: 1, maxExclusive: true }; // [0, 1)
 * ```
 */
export type HyperparameterRange = NumberRange;
