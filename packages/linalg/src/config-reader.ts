import { BackpropError } from "./errors.js";

/*
 * The one validator of component configs (activations, optimizers, schedules, losses, metrics,
 * initializers). Configs arrive from user code and from model files, so every message names the
 * component, the key, what it got and what it expected, and unknown keys are rejected rather than
 * ignored: a typo in a file (`detla`) would otherwise silently fall back to the default.
 */

/**
 * Allowed interval of a number. Bounds are inclusive unless marked exclusive; values are always
 * finite.
 *
 * @example
 * ```ts
 * const beta: NumberRange = { min: 0, max: 1, maxExclusive: true }; // [0, 1)
 * ```
 */
export interface NumberRange {
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

/**
 * What every field shares. A field is required unless it has a `default` or is `optional`; a
 * required field that is absent fails like a wrong value (`got undefined`). Defaults are checked
 * like given values, so a bad default is found too.
 */
interface FieldBase<V> {
  /** The value used when the key is absent. */
  readonly default?: V;
  /** Absent reads as `undefined` instead of failing. Default false. */
  readonly optional?: boolean;
  /** `null` counts as absent (for options typed `number | null`). Default false. */
  readonly nullable?: boolean;
}

/**
 * A finite number, optionally within a range.
 * @example
 * ```ts
 * const delta: NumberField = { type: "number", default: 1, min: 0, minExclusive: true };
 * ```
 */
export interface NumberField extends FieldBase<number>, NumberRange {
  readonly type: "number";
}

/**
 * `true` or `false`.
 * @example
 * ```ts
 * const fromLogits: BooleanField = { type: "boolean", default: false };
 * ```
 */
export interface BooleanField extends FieldBase<boolean> {
  readonly type: "boolean";
}

/**
 * A string, optionally one of a fixed set.
 * @example
 * ```ts
 * const mode: StringField<"fanIn" | "fanOut"> = { type: "string", default: "fanIn", oneOf: ["fanIn", "fanOut"] };
 * ```
 */
export interface StringField<T extends string = string> extends FieldBase<T> {
  readonly type: "string";
  /** The accepted values; omitted means any string. */
  readonly oneOf?: readonly T[];
}

/**
 * A value read by the component's own function (e.g. a number or a schedule); `read` throws its
 * own `INVALID_CONFIG` for a bad value. A required custom field that is absent is passed to `read`
 * as `undefined`.
 * @example
 * ```ts
 * const then: CustomField<number | Schedule> = { type: "custom", read: (value) => toRate(value) };
 * ```
 */
export interface CustomField<T = unknown> extends FieldBase<unknown> {
  readonly type: "custom";
  /** Checks and converts the value. */
  read(value: unknown, key: string): T;
}

/** One key of a {@link ConfigSchema}. */
export type ConfigField = NumberField | BooleanField | StringField | CustomField;

/**
 * Every key a component's config accepts, in the order messages list them.
 * @example
 * ```ts
 * const schema = { alpha: { type: "number", default: 0.01 } } satisfies ConfigSchema;
 * ```
 */
export type ConfigSchema = { readonly [key: string]: ConfigField };

type FieldValue<F> = F extends { readonly type: "number" }
  ? number
  : F extends { readonly type: "boolean" }
    ? boolean
    : F extends StringField<infer T>
      ? T
      : F extends CustomField<infer T>
        ? T
        : never;

type AbsentValue<F> = F extends { readonly default: unknown }
  ? never
  : F extends { readonly optional: true }
    ? undefined
    : never;

/**
 * What {@link readConfig} returns for a schema: every key, with its checked value or default.
 * @example
 * ```ts
 * type V = ConfigValues<{ alpha: { type: "number"; default: 1 } }>; // { readonly alpha: number }
 * ```
 */
export type ConfigValues<S extends ConfigSchema> = {
  readonly [K in keyof S]: FieldValue<S[K]> | AbsentValue<S[K]>;
};

/**
 * A short, printable rendering of any value for error messages (strings quoted, long JSON cut).
 * @example
 * ```ts
 * describeValue("0.2"); // "\"0.2\""
 * describeValue(NaN);   // "NaN"
 * ```
 */
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

/**
 * True for `{}`-style objects: not null, not an array, not a class instance.
 * @example
 * ```ts
 * isPlainObject({ alpha: 1 }); // true
 * isPlainObject([1]);          // false
 * ```
 */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * The expectation a range puts into words, as messages print it.
 * @example
 * ```ts
 * describeRange({ min: 0, max: 1, maxExclusive: true }); // "a finite number in [0, 1)"
 * describeRange({ min: 0, minExclusive: true, integer: true }); // "an integer > 0"
 * ```
 */
export function describeRange(range: NumberRange): string {
  const kind = range.integer === true ? "an integer" : "a finite number";
  const { min, max } = range;
  if (min !== undefined && max !== undefined) {
    return `${kind} in ${range.minExclusive === true ? "(" : "["}${min}, ${max}${range.maxExclusive === true ? ")" : "]"}`;
  }
  if (min !== undefined) return `${kind} ${range.minExclusive === true ? ">" : "≥"} ${min}`;
  if (max !== undefined) return `${kind} ${range.maxExclusive === true ? "<" : "≤"} ${max}`;
  return kind;
}

function inRange(value: number, range: NumberRange): boolean {
  if (!Number.isFinite(value)) return false;
  if (range.integer === true && !Number.isInteger(value)) return false;
  if (range.min !== undefined && (range.minExclusive === true ? value <= range.min : value < range.min)) return false;
  if (range.max !== undefined && (range.maxExclusive === true ? value >= range.max : value > range.max)) return false;
  return true;
}

function invalid(where: string, key: string, value: unknown, expected: string): BackpropError {
  return new BackpropError("INVALID_CONFIG", `${where}: invalid ${key} (got ${describeValue(value)}, expected ${expected})`);
}

/**
 * Checks one value against its field: the default when absent, then the type and range.
 * {@link readConfig} calls it for every key; call it alone for a single option.
 *
 * @param where - the component, prefixed to messages (`"huber"`, `"clipGradNorm"`)
 * @throws BackpropError `INVALID_CONFIG` `"<where>: invalid <key> (got X, expected Y)"`
 * @example
 * ```ts
 * readField("clipGradNorm", "maxNorm", 0, { type: "number", min: 0, minExclusive: true });
 * // throws: clipGradNorm: invalid maxNorm (got 0, expected a finite number > 0)
 * ```
 */
export function readField<F extends ConfigField>(
  where: string,
  key: string,
  value: unknown,
  field: F,
): FieldValue<F> | AbsentValue<F> {
  return checkField(where, key, value, field) as FieldValue<F> | AbsentValue<F>;
}

function checkField(where: string, key: string, given: unknown, field: ConfigField): unknown {
  const absent = given === undefined || (given === null && field.nullable === true);
  if (absent && field.default === undefined && field.optional === true) return undefined;
  const value = absent && field.default !== undefined ? field.default : given;
  switch (field.type) {
    case "number":
      if (typeof value !== "number" || !inRange(value, field)) throw invalid(where, key, value, describeRange(field));
      return value;
    case "boolean":
      if (typeof value !== "boolean") throw invalid(where, key, value, "true or false");
      return value;
    case "string": {
      const choices: readonly string[] | undefined = field.oneOf;
      if (typeof value !== "string" || (choices !== undefined && !choices.includes(value))) {
        throw invalid(where, key, value, choices === undefined ? "a string" : `one of: ${choices.map((c) => JSON.stringify(c)).join(", ")}`);
      }
      return value;
    }
    case "custom":
      return field.read(value, key);
  }
}

/**
 * Validates a component's `config` against its schema and fills in defaults: absent (`undefined`)
 * is an empty config; anything but a plain object, any key not in the schema, and any value of
 * the wrong type or outside its range throws.
 *
 * @param where - the component, prefixed to messages (`"leakyRelu"`, `"adam"`)
 * @param config - the config as given by a caller or read from a file, unchecked
 * @returns every schema key with its checked value (or default)
 * @throws BackpropError `INVALID_CONFIG`: `"<where>: config must be an object (got X, expected { alpha? })"`,
 *   `"<where>: unknown config key "k" (expected one of: alpha)"` with a hint, or `"<where>: invalid alpha (got X, expected Y)"`
 * @example
 * ```ts
 * const { alpha } = readConfig("leakyRelu", config, { alpha: { type: "number", default: 0.01 } });
 * readConfig("huber", { detla: 1 }, { delta: { type: "number", default: 1 } });
 * // throws: huber: unknown config key "detla" (expected one of: delta)
 * ```
 */
export function readConfig<const S extends ConfigSchema>(where: string, config: unknown, schema: S): ConfigValues<S> {
  const keys = Object.keys(schema);
  if (config !== undefined && !isPlainObject(config)) {
    const shape = keys.map((k) => {
      const field = schema[k] as ConfigField;
      return field.default !== undefined || field.optional === true ? `${k}?` : k;
    });
    throw new BackpropError(
      "INVALID_CONFIG",
      `${where}: config must be an object (got ${describeValue(config)}, expected ${shape.length === 0 ? "{}" : `{ ${shape.join(", ")} }`})`,
    );
  }
  const given: Readonly<Record<string, unknown>> = config ?? {};
  for (const key of Object.keys(given)) {
    if (!Object.hasOwn(schema, key)) {
      throw new BackpropError(
        "INVALID_CONFIG",
        `${where}: unknown config key "${key}" (expected ${keys.length === 0 ? "no keys" : `one of: ${keys.join(", ")}`})`,
        {
          hint: keys.length === 0
            ? `${where} takes no config: pass nothing or {}`
            : "config keys are case-sensitive lowerCamel; check the spelling",
        },
      );
    }
  }
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    out[key] = checkField(where, key, Object.hasOwn(given, key) ? given[key] : undefined, schema[key] as ConfigField);
  }
  return out as ConfigValues<S>;
}
