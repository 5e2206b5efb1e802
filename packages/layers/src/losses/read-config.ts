import { readConfig, readField, type NumberRange } from "@backprop/linalg";

/*
 * The per-key helpers the metrics and initializers call, as thin uses of linalg's readConfig (the
 * one config reader): same checks, same INVALID_CONFIG messages. New code passes readConfig a
 * schema instead.
 */

/** Bounds accepted by {@link readNumber}: linalg's `NumberRange`. */
export type NumberConstraint = NumberRange;

const ANY_VALUE = { type: "custom", optional: true, read: (value: unknown): unknown => value } as const;

/**
 * Checks that a factory's `config` is a plain object whose keys are all in `allowed`, and returns
 * it as a record to read from. `undefined` is an empty config.
 *
 * @param where - the factory name, prefixed to messages
 * @throws BackpropError `INVALID_CONFIG` for a non-object or an unknown key
 * @example
 * ```ts
 * const c = checkConfigKeys("huber", options, ["delta"]);
 * ```
 */
export function checkConfigKeys(where: string, config: unknown, allowed: readonly string[]): Readonly<Record<string, unknown>> {
  return readConfig(where, config, Object.fromEntries(allowed.map((key) => [key, ANY_VALUE])));
}

/**
 * Reads a finite number from a config, or `fallback` when the key is absent.
 * @throws BackpropError `INVALID_CONFIG` when the value is not a finite number within `constraint`
 * @example
 * ```ts
 * const delta = readNumber("huber", c, "delta", 1, { min: 0, minExclusive: true });
 * ```
 */
export function readNumber(
  where: string,
  config: Readonly<Record<string, unknown>>,
  key: string,
  fallback: number,
  constraint: NumberConstraint = {},
): number {
  return readField(where, key, config[key], { type: "number", default: fallback, ...constraint });
}

/**
 * Reads a boolean from a config, or `fallback` when the key is absent.
 * @throws BackpropError `INVALID_CONFIG` when the value is not a boolean
 * @example
 * ```ts
 * const fromLogits = readBoolean("binaryCrossentropy", c, "fromLogits", false);
 * ```
 */
export function readBoolean(where: string, config: Readonly<Record<string, unknown>>, key: string, fallback: boolean): boolean {
  return readField(where, key, config[key], { type: "boolean", default: fallback });
}

/**
 * Reads one of a fixed set of strings from a config, or `fallback` when the key is absent.
 * @throws BackpropError `INVALID_CONFIG` when the value is not one of `choices`
 * @example
 * ```ts
 * const mode = readChoice("varianceScaling", c, "mode", "fanIn", ["fanIn", "fanOut", "fanAvg"]);
 * ```
 */
export function readChoice<T extends string>(
  where: string,
  config: Readonly<Record<string, unknown>>,
  key: string,
  fallback: T,
  choices: readonly T[],
): T {
  return readField(where, key, config[key], { type: "string", default: fallback, oneOf: choices }) as T;
}

/** The options of a component that takes none: only `{}` (or nothing) is accepted. */
export type EmptyOptions = Readonly<Record<string, never>>;
