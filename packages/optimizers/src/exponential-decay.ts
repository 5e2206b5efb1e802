import { readConfig } from "@backprop/linalg";
import type { Schedule } from "./schedule.js";

/**
 * Options of {@link exponentialDecay}.
 *
 * @example
 * ```ts
 * const options: ExponentialDecayOptions = { initial: 0.1, gamma: 0.96, decaySteps: 100 };
 * ```
 */
export interface ExponentialDecayOptions {
  /** The rate at step 0. Required, ≥ 0. */
  readonly initial: number;
  /** Factor applied every `decaySteps` steps. Required, > 0. */
  readonly gamma: number;
  /** Steps over which the rate is multiplied by `gamma` once. Default 1, > 0. */
  readonly decaySteps?: number;
}

// NOTE: null reads as absent for the keys with a default, as `??` always did.
const SCHEMA = {
  initial: { type: "number", min: 0 },
  gamma: { type: "number", min: 0, minExclusive: true },
  decaySteps: { type: "number", default: 1, nullable: true, min: 0, minExclusive: true },
} as const;

/**
 * Smooth exponential decay.
 *
 * `lr(step) = initial · gamma^(step / decaySteps)`; with `decaySteps = 1` this is PyTorch's
 * `ExponentialLR`, otherwise Keras' `ExponentialDecay` without staircase (use
 * {@link stepDecay} for the staircase form).
 *
 * @example
 * ```ts
 * const s = exponentialDecay({ initial: 0.1, gamma: 0.5, decaySteps: 100 });
 * s.at(100); // 0.05
 * s.at(50);  // 0.1 · √0.5
 * ```
 */
export function exponentialDecay(options: ExponentialDecayOptions): Schedule {
  return exponentialDecayFromConfig(options);
}

/** {@link exponentialDecay} from an unchecked config (the registry entry). */
export function exponentialDecayFromConfig(options: unknown): Schedule {
  const where = "exponentialDecay";
  const { initial, gamma, decaySteps } = readConfig(where, options ?? undefined, SCHEMA);
  return Object.freeze({
    name: "exponentialDecay",
    config: Object.freeze({ initial, gamma, decaySteps }),
    at: (step: number): number => initial * gamma ** (step / decaySteps),
  });
}
