import type { JsonObject } from "@backprop/linalg";

/**
 * A learning-rate schedule: the rate to use at a given step.
 *
 * Schedules are plain `{ name, config, at }` objects so an optimizer whose `lr` is a schedule
 * still serializes to `{ name, config }` and is rebuilt by {@link getSchedule}.
 *
 * @example
 * ```ts
 * const s = cosineDecay({ initial: 0.1, decaySteps: 1000 });
 * s.at(0);    // 0.1
 * s.at(500);  // 0.05
 * const opt = sgd({ lr: s, momentum: 0.9 });
 * ```
 */
export interface Schedule {
  /** Registry key, e.g. `"cosineDecay"`. */
  readonly name: string;
  /** Everything needed to rebuild it, e.g. `{ initial: 0.1, decaySteps: 1000, alpha: 0 }`. */
  readonly config: Readonly<JsonObject>;
  /**
   * The learning rate for the update that follows `step` completed steps (so `at(0)` is the
   * first update's rate, as in PyTorch's `StepLR` and Keras' `LearningRateSchedule`).
   */
  at(step: number): number;
}

/**
 * What a file stores to name a schedule: `{ name, config }`.
 * @example
 * ```ts
 * const stored: ScheduleConfig = { name: "stepDecay", config: { initial: 0.1, stepSize: 30 } };
 * ```
 */
export interface ScheduleConfig {
  /** Registry name, e.g. `"stepDecay"`. */
  readonly name: string;
  /** The schedule's config; omitted means `{}`. */
  readonly config?: JsonObject;
}

/**
 * Anything {@link resolveSchedule} accepts: a stored `{ name, config }` or a schedule object.
 * @example
 * ```ts
 * const specs: ScheduleSpec[] = [{ name: "cosineDecay", config: { initial: 0.1, decaySteps: 100 } }, stepDecay({ initial: 0.1, stepSize: 10 })];
 * ```
 */
export type ScheduleSpec = ScheduleConfig | Schedule;

/**
 * Builds a schedule from its stored config; what the schedule registry holds for each name.
 * It validates `config` itself and throws `INVALID_CONFIG`.
 * @example
 * ```ts
 * const constant: ScheduleFactory = (config) => ({ name: "acme>constant", config: config ?? {}, at: () => 0.1 });
 * ```
 */
export type ScheduleFactory = (config?: JsonObject) => Schedule;

/**
 * Whether `value` looks like a {@link Schedule} object (has `name`, `config` and `at`).
 * @example
 * ```ts
 * isSchedule(cosineDecay({ initial: 0.1, decaySteps: 10 })); // true
 * isSchedule(0.1);                                            // false
 * ```
 */
export function isSchedule(value: unknown): value is Schedule {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { at?: unknown }).at === "function" &&
    typeof (value as { name?: unknown }).name === "string" &&
    typeof (value as { config?: unknown }).config === "object"
  );
}
