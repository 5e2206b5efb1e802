import { readConfig } from "@backprop/linalg";
import type { Schedule } from "./schedule.js";

/**
 * Options of {@link cosineDecay}.
 *
 * @example
 * ```ts
 * const options: CosineDecayOptions = { initial: 0.1, decaySteps: 1000, alpha: 0.01 };
 * ```
 */
export interface CosineDecayOptions {
  /** The rate at step 0. Required, ≥ 0. */
  readonly initial: number;
  /** Steps over which the rate falls to `alpha · initial`. Required, a positive integer. */
  readonly decaySteps: number;
  /** Final rate as a fraction of `initial`, held after `decaySteps`. Default 0, in [0, 1]. */
  readonly alpha?: number;
}

// NOTE: null reads as absent for the keys with a default, as `??` always did.
const SCHEMA = {
  initial: { type: "number", min: 0 },
  decaySteps: { type: "number", min: 0, minExclusive: true, integer: true },
  alpha: { type: "number", default: 0, nullable: true, min: 0, max: 1 },
} as const;

/**
 * Cosine annealing without restarts.
 *
 * `lr(step) = initial · ((1 − alpha) · ½(1 + cos(π · min(step, decaySteps) / decaySteps)) + alpha)`
 * (Keras `CosineDecay`).
 *
 * @see Loshchilov & Hutter 2017, "SGDR: Stochastic Gradient Descent with Warm Restarts", https://arxiv.org/abs/1608.03983
 * @example
 * ```ts
 * const s = cosineDecay({ initial: 0.1, decaySteps: 100, alpha: 0.01 });
 * s.at(0);   // 0.1
 * s.at(100); // 0.001
 * ```
 */
export function cosineDecay(options: CosineDecayOptions): Schedule {
  return cosineDecayFromConfig(options);
}

/** {@link cosineDecay} from an unchecked config (the registry entry). */
export function cosineDecayFromConfig(options: unknown): Schedule {
  const where = "cosineDecay";
  const { initial, decaySteps, alpha } = readConfig(where, options ?? undefined, SCHEMA);
  return Object.freeze({
    name: "cosineDecay",
    config: Object.freeze({ initial, decaySteps, alpha }),
    at: (step: number): number => {
      const progress = Math.min(step, decaySteps) / decaySteps;
      return initial * ((1 - alpha) * 0.5 * (1 + Math.cos(Math.PI * progress)) + alpha);
    },
  });
}
