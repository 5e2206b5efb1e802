import { Registry, isPlainObject, type JsonObject, type RegisterOptions } from "@backprop/linalg";
import { cosineDecayFromConfig } from "./cosine-decay.js";
import { exponentialDecayFromConfig } from "./exponential-decay.js";
import { linearWarmupFromConfig } from "./linear-warmup.js";
import { isSchedule, type Schedule, type ScheduleFactory, type ScheduleSpec } from "./schedule.js";
import { stepDecayFromConfig } from "./step-decay.js";

const BUILTINS: Readonly<Record<string, ScheduleFactory>> = {
  stepDecay: stepDecayFromConfig,
  exponentialDecay: exponentialDecayFromConfig,
  cosineDecay: cosineDecayFromConfig,
  // NOTE: a stored warm-up names its follower as { name, config }; resolve it here so
  // linear-warmup.ts needs no registry (and no import cycle).
  linearWarmup: (config) =>
    linearWarmupFromConfig(
      isPlainObject(config) && isPlainObject(config.then) && !isSchedule(config.then)
        ? { ...config, then: resolveSchedule(config.then as unknown as ScheduleSpec) }
        : config,
    ),
};

const schedules = /* @__PURE__ */ new Registry<ScheduleFactory>({
  kind: "schedule",
  builtins: BUILTINS,
  registerHint:
    'register it first: registerSchedule("myproject>mySchedule", (config) => ({ name: "myproject>mySchedule", config, at: (step) => … }))',
  where: { get: "getSchedule", resolve: "resolveSchedule", register: "registerSchedule" },
  component: { label: "a Schedule", is: isSchedule },
});

/**
 * Builds the schedule registered under `name` from its config.
 * @throws BackpropError `UNKNOWN_COMPONENT` listing the registered names; `INVALID_CONFIG`
 * @example
 * ```ts
 * getSchedule("stepDecay", { initial: 0.1, stepSize: 10 }).at(10); // 0.01
 * ```
 */
export function getSchedule(name: string, config?: JsonObject): Schedule {
  return schedules.create(name, config);
}

/**
 * Turns a stored `{ name, config }` into a schedule; schedule objects pass through.
 * @throws BackpropError `UNKNOWN_COMPONENT`, `INVALID_CONFIG`; `INVALID_ARGUMENT` for anything else
 * @example
 * ```ts
 * const s = resolveSchedule({ name: "cosineDecay", config: { initial: 0.1, decaySteps: 100 } });
 * ```
 */
export function resolveSchedule(spec: ScheduleSpec): Schedule {
  return schedules.resolve(spec);
}

/**
 * Makes a custom schedule loadable by name (e.g. from an optimizer config saved in a file).
 * Built-in names cannot be replaced; pass `{ override: true }` to replace a custom one.
 * @throws BackpropError `DUPLICATE_COMPONENT`; `INVALID_ARGUMENT` when `factory` is not a function
 * @example
 * ```ts
 * registerSchedule("acme>halving", (config) => ({
 *   name: "acme>halving", config: config ?? {}, at: (step) => 0.1 / 2 ** step,
 * }));
 * ```
 */
export function registerSchedule(name: string, factory: ScheduleFactory, options: RegisterOptions = {}): void {
  schedules.register(name, factory, options);
}

/**
 * Every registered schedule name: built-ins first, then custom ones, each group sorted.
 * @example
 * ```ts
 * scheduleNames(); // ["cosineDecay", "exponentialDecay", "linearWarmup", "stepDecay", …]
 * ```
 */
export function scheduleNames(): string[] {
  return schedules.names();
}
