import { readConfig } from "@backprop/linalg";
import type { Schedule } from "./schedule.js";

/**
 * Options of {@link stepDecay}.
 *
 * @example
 * ```ts
 * const options: StepDecayOptions = { initial: 0.1, stepSize: 30, gamma: 0.1 };
 * ```
 */
export interface StepDecayOptions {
  /** The rate for the first `stepSize` steps. Required, ≥ 0. */
  readonly initial: number;
  /** How many steps each plateau lasts. Required, a positive integer. */
  readonly stepSize: number;
  /** Factor applied at the end of every plateau. Default 0.1, > 0. */
  readonly gamma?: number;
}

// NOTE: null reads as absent for the keys with a default, as `??` always did.
const SCHEMA = {
  initial: { type: "number", min: 0 },
  stepSize: { type: "number", min: 0, minExclusive: true, integer: true },
  gamma: { type: "number", default: 0.1, nullable: true, min: 0, minExclusive: true },
} as const;

/**
 * Piecewise-constant decay: multiply the rate by `gamma` every `stepSize` steps.
 *
 * `lr(step) = initial · gamma^⌊step / stepSize⌋` (PyTorch `StepLR`).
 *
 * @example
 * ```ts
 * const s = stepDecay({ initial: 0.1, stepSize: 30, gamma: 0.5 });
 * s.at(29); // 0.1
 * s.at(30); // 0.05
 * ```
 */
export function stepDecay(options: StepDecayOptions): Schedule {
  return stepDecayFromConfig(options);
}

/** {@link stepDecay} from an unchecked config (the registry entry). */
export function stepDecayFromConfig(options: unknown): Schedule {
  const where = "stepDecay";
  const { initial, stepSize, gamma } = readConfig(where, options ?? undefined, SCHEMA);
  return Object.freeze({
    name: "stepDecay",
    config: Object.freeze({ initial, stepSize, gamma }),
    at: (step: number): number => initial * gamma ** Math.floor(step / stepSize),
  });
}
