import { BackpropError } from "@backprop/linalg";

/*
 * Config validation shared by the optimizer and schedule factories. Configs arrive from user code
 * and from model files, so every check names the component, the key, what it got and what it
 * expected (Keras validates hyperparameters in the constructor; so do we).
 */

/**
 * Allowed interval of a numeric hyperparameter, used by {@link defineOptimizer}'s `ranges` and
 * the built-in schedules. Bounds are inclusive unless marked exclusive; values must be finite.
 *
 * @example
 * ```ts
 * const beta: HyperparameterRange = { min: 0, max: 1, maxExclusive: true }; // [0, 1)
 * ```
 */
export interface HyperparameterRange {
  /** Lower bound, inclusive unless `minExclusive`. */
  readonly min?: number;
  /** Upper bound, inclusive unless `maxExclusive`. */
  readonly max?: number;
  /** Whether `min` itself is rejected. Default false. */
  readonly minExclusive?: boolean;
  /** Whether `max` itself is rejected. Default false. */
  readonly maxExclusive?: boolean;
  /** Whether the value must be an integer. Default false. */
  readonly integer?: boolean;
}

/** A short, printable rendering of any value for error messages. */
export function describeValue(value: unknown): string {
  if (value === undefined) return "undefined";
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return String(value);
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "function") return "a function";
  if (typeof value === "symbol") return value.toString();
  try {
    const text = JSON.stringify(value);
    return text.length > 60 ? `${text.slice(0, 57)}...` : text;
  } catch {
    return Array.isArray(value) ? "an array" : "an object";
  }
}

/** True for `{}`-style objects: not null, not an array, not a class instance. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Checks that `options` is absent or a plain object whose keys are all in `keys`, and returns it.
 * @param where - the component name, for messages
 */
export function readOptions(where: string, options: unknown, keys: readonly string[]): Readonly<Record<string, unknown>> {
  if (options === undefined || options === null) return {};
  const expected = `{ ${keys.map((k) => `${k}?`).join(", ")} }`;
  if (!isPlainObject(options)) {
    throw new BackpropError(
      "INVALID_CONFIG",
      `${where}: config must be an object (got ${describeValue(options)}, expected ${expected})`,
    );
  }
  for (const key of Object.keys(options)) {
    if (!keys.includes(key)) {
      throw new BackpropError(
        "INVALID_CONFIG",
        `${where}: unknown config key "${key}" (got ${describeValue(options)}, expected ${expected})`,
        { hint: `check the spelling; accepted keys: ${keys.join(", ")}` },
      );
    }
  }
  return options;
}

/** "a finite number in [0, 1)", "a positive integer", … */
export function describeRange(range: HyperparameterRange): string {
  const kind = range.integer === true ? "integer" : "finite number";
  const { min, max } = range;
  if (min !== undefined && max !== undefined) {
    return `${range.integer === true ? "an" : "a"} ${kind} in ${range.minExclusive === true ? "(" : "["}${min}, ${max}${range.maxExclusive === true ? ")" : "]"}`;
  }
  const article = range.integer === true ? "an" : "a";
  if (min !== undefined) {
    if (min === 0) return range.minExclusive === true ? `a positive ${kind}` : `a non-negative ${kind}`;
    return `${article} ${kind} ${range.minExclusive === true ? ">" : "≥"} ${min}`;
  }
  if (max !== undefined) return `${article} ${kind} ${range.maxExclusive === true ? "<" : "≤"} ${max}`;
  return `${article} ${kind}`;
}

/** Whether `value` is a finite number inside `range`. */
export function inRange(value: number, range: HyperparameterRange): boolean {
  if (!Number.isFinite(value)) return false;
  if (range.integer === true && !Number.isInteger(value)) return false;
  if (range.min !== undefined && (range.minExclusive === true ? value <= range.min : value < range.min)) return false;
  if (range.max !== undefined && (range.maxExclusive === true ? value >= range.max : value > range.max)) return false;
  return true;
}

/**
 * The number `value`, checked against `range`.
 * @throws BackpropError `INVALID_CONFIG` naming `where`, `key` and the value
 */
export function checkNumber(
  where: string,
  key: string,
  value: unknown,
  range: HyperparameterRange = {},
  hint?: string,
): number {
  if (typeof value !== "number" || !inRange(value, range)) {
    throw new BackpropError(
      "INVALID_CONFIG",
      `${where}: invalid ${key} (got ${describeValue(value)}, expected ${describeRange(range)})`,
      hint === undefined ? {} : { hint },
    );
  }
  return value;
}

/**
 * The boolean `value`.
 * @throws BackpropError `INVALID_CONFIG` naming `where`, `key` and the value
 */
export function checkBoolean(where: string, key: string, value: unknown): boolean {
  if (typeof value !== "boolean") {
    throw new BackpropError(
      "INVALID_CONFIG",
      `${where}: invalid ${key} (got ${describeValue(value)}, expected true or false)`,
    );
  }
  return value;
}
