import { BackpropError } from "@backprop/linalg";

/** Bounds accepted by {@link readNumber}; all optional, all inclusive unless marked exclusive. */
export interface NumberConstraint {
  /** Smallest allowed value. */
  readonly min?: number;
  /** Largest allowed value. */
  readonly max?: number;
  /** When true, `min` itself is rejected. */
  readonly minExclusive?: boolean;
  /** When true, `max` itself is rejected. */
  readonly maxExclusive?: boolean;
}

/**
 * Checks that a factory's `config` is a plain object whose keys are all in `allowed`, and returns
 * it as a record to read from. `undefined` is an empty config.
 *
 * Unknown keys are rejected rather than ignored: a typo in a model file (`detla`) would otherwise
 * silently fall back to the default.
 *
 * @param where - the factory name, prefixed to messages
 * @throws BackpropError `INVALID_CONFIG` for a non-object or an unknown key
 * @example
 * ```ts
 * const c = checkConfigKeys("huber", options, ["delta"]);
 * ```
 */
export function checkConfigKeys(
  where: string,
  config: unknown,
  allowed: readonly string[],
): Readonly<Record<string, unknown>> {
  if (config === undefined) return {};
  if (typeof config !== "object" || config === null || Array.isArray(config)) {
    throw new BackpropError(
      "INVALID_CONFIG",
      `${where}: config must be an object (got ${describe(config)}, expected { ${allowed.join(", ")} })`,
    );
  }
  for (const key of Object.keys(config)) {
    if (!allowed.includes(key)) {
      throw new BackpropError(
        "INVALID_CONFIG",
        `${where}: unknown config key "${key}" (expected ${allowed.length === 0 ? "no keys" : `one of: ${allowed.join(", ")}`})`,
        { hint: "config keys are lowerCamel and case-sensitive; check the spelling" },
      );
    }
  }
  return config as Readonly<Record<string, unknown>>;
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
  const value = config[key];
  if (value === undefined) return fallback;
  const { min, max, minExclusive = false, maxExclusive = false } = constraint;
  const ok =
    typeof value === "number" &&
    Number.isFinite(value) &&
    (min === undefined || (minExclusive ? value > min : value >= min)) &&
    (max === undefined || (maxExclusive ? value < max : value <= max));
  if (!ok) {
    const parts: string[] = [];
    if (min !== undefined) parts.push(`${minExclusive ? ">" : "≥"} ${min}`);
    if (max !== undefined) parts.push(`${maxExclusive ? "<" : "≤"} ${max}`);
    throw new BackpropError(
      "INVALID_CONFIG",
      `${where}: invalid ${key} (got ${describe(value)}, expected a finite number${parts.length > 0 ? ` ${parts.join(" and ")}` : ""})`,
    );
  }
  return value;
}

/**
 * Reads a boolean from a config, or `fallback` when the key is absent.
 * @throws BackpropError `INVALID_CONFIG` when the value is not a boolean
 * @example
 * ```ts
 * const fromLogits = readBoolean("binaryCrossentropy", c, "fromLogits", false);
 * ```
 */
export function readBoolean(
  where: string,
  config: Readonly<Record<string, unknown>>,
  key: string,
  fallback: boolean,
): boolean {
  const value = config[key];
  if (value === undefined) return fallback;
  if (typeof value !== "boolean") {
    throw new BackpropError(
      "INVALID_CONFIG",
      `${where}: invalid ${key} (got ${describe(value)}, expected true or false)`,
    );
  }
  return value;
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
  const value = config[key];
  if (value === undefined) return fallback;
  if (typeof value !== "string" || !(choices as readonly string[]).includes(value)) {
    throw new BackpropError(
      "INVALID_CONFIG",
      `${where}: invalid ${key} (got ${describe(value)}, expected one of: ${choices.map((c) => `"${c}"`).join(", ")})`,
    );
  }
  return value as T;
}

function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) return "an array";
  if (value === null) return "null";
  if (typeof value === "object") return "an object";
  return String(value);
}

/** The options of a component that takes none: only `{}` (or nothing) is accepted. */
export type EmptyOptions = Readonly<Record<string, never>>;
