import { BackpropError, readConfig } from "@backprop/linalg";
import { describeValue } from "./config.js";
import { isSchedule, type Schedule } from "./schedule.js";

/**
 * Options of {@link linearWarmup}.
 *
 * @example
 * ```ts
 * const options: LinearWarmupOptions = { warmupSteps: 100, then: 0.1 };
 * ```
 */
export interface LinearWarmupOptions {
  /** Number of warm-up steps. Required, a positive integer. */
  readonly warmupSteps: number;
  /** The rate after warm-up: a constant (≥ 0) or a schedule that starts counting when warm-up ends. */
  readonly then: number | Schedule;
}

const SCHEMA = {
  warmupSteps: { type: "number", min: 0, minExclusive: true, integer: true },
  // NOTE: checked below, where a schedule and a constant take different paths.
  then: { type: "custom", read: (value: unknown): unknown => value },
} as const;

/**
 * Linear warm-up to a target, then a constant or another schedule.
 *
 * With `target = then.at(0)` (or the constant):
 * `lr(step) = target · (step + 1) / warmupSteps` for `step < warmupSteps`, else
 * `then.at(step − warmupSteps)`. The first update already uses `target / warmupSteps` (not 0,
 * which would waste a step), and the last warm-up step reaches `target`.
 *
 * @see Goyal et al. 2017, "Accurate, Large Minibatch SGD: Training ImageNet in 1 Hour", https://arxiv.org/abs/1706.02677
 * @example
 * ```ts
 * const s = linearWarmup({ warmupSteps: 100, then: cosineDecay({ initial: 0.1, decaySteps: 900 }) });
 * s.at(0);   // 0.001
 * s.at(99);  // 0.1
 * s.at(550); // 0.05
 * ```
 */
export function linearWarmup(options: LinearWarmupOptions): Schedule {
  return linearWarmupFromConfig(options);
}

/** {@link linearWarmup} from an unchecked config whose `then` is already a schedule or a number. */
export function linearWarmupFromConfig(options: unknown): Schedule {
  const where = "linearWarmup";
  const { warmupSteps, then } = readConfig(where, options ?? undefined, SCHEMA);
  if (isSchedule(then)) {
    const target = then.at(0);
    return Object.freeze({
      name: "linearWarmup",
      config: Object.freeze({ warmupSteps, then: Object.freeze({ name: then.name, config: then.config }) }),
      at: (step: number): number =>
        step < warmupSteps ? (target * (step + 1)) / warmupSteps : then.at(step - warmupSteps),
    });
  }
  if (typeof then !== "number" || !Number.isFinite(then) || then < 0) {
    throw new BackpropError(
      "INVALID_CONFIG",
      `${where}: invalid then (got ${describeValue(then)}, expected a non-negative finite number or a Schedule)`,
      { hint: "a stored { name, config } must be turned into a schedule first: resolveSchedule(spec)" },
    );
  }
  return Object.freeze({
    name: "linearWarmup",
    config: Object.freeze({ warmupSteps, then }),
    at: (step: number): number => (step < warmupSteps ? (then * (step + 1)) / warmupSteps : then),
  });
}
