import { BackpropError, type Json, type JsonObject } from "@backprop/linalg";

/*
 * Config validation shared by the factories. Configs arrive from user code and from model files,
 * so every check names the activation, the key, what it got and what it expected.
 */

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
 * Checks that `config` is absent or a plain object whose keys are all in `keys`, and returns it.
 * @param where - the activation name, for messages
 * @param keys - the accepted keys; empty for activations without hyperparameters
 */
export function readConfig(where: string, config: unknown, keys: readonly string[]): Readonly<Record<string, unknown>> {
  if (config === undefined) return {};
  const expected = keys.length === 0 ? "{}" : `{ ${keys.map((k) => `${k}?`).join(", ")} }`;
  if (!isPlainObject(config)) {
    throw new BackpropError(
      "INVALID_CONFIG",
      `${where}: config must be an object (got ${describeValue(config)}, expected ${expected})`,
    );
  }
  for (const key of Object.keys(config)) {
    if (!keys.includes(key)) {
      throw new BackpropError(
        "INVALID_CONFIG",
        `${where}: unknown config key "${key}" (got ${describeValue(config)}, expected ${expected})`,
        { hint: keys.length === 0 ? `${where} has no hyperparameters: pass no config` : `check the spelling; accepted keys: ${keys.join(", ")}` },
      );
    }
  }
  return config;
}

/** The finite number under `key`, or `fallback` when it is absent. */
export function finiteNumber(where: string, key: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new BackpropError(
      "INVALID_CONFIG",
      `${where}: ${key} must be a finite number (got ${describeValue(value)}, expected e.g. ${fallback})`,
    );
  }
  return value;
}

/** The boolean under `key`, or `fallback` when it is absent. */
export function booleanOption(where: string, key: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== "boolean") {
    throw new BackpropError(
      "INVALID_CONFIG",
      `${where}: ${key} must be a boolean (got ${describeValue(value)}, expected true or false)`,
    );
  }
  return value;
}

/**
 * A deep-frozen copy of `value` if it is JSON (finite numbers only: JSON cannot store NaN or
 * Infinity, so a config holding one would not survive a save); otherwise undefined.
 */
export function freezeJson(value: unknown): Json | undefined {
  if (value === null || typeof value === "boolean" || typeof value === "string") return value;
  if (typeof value === "number") return Number.isFinite(value) ? value : undefined;
  if (Array.isArray(value)) {
    const out: Json[] = [];
    for (const item of value) {
      const frozen = freezeJson(item);
      if (frozen === undefined) return undefined;
      out.push(frozen);
    }
    return Object.freeze(out);
  }
  if (isPlainObject(value)) {
    const out: Record<string, Json> = {};
    for (const [key, item] of Object.entries(value)) {
      const frozen = freezeJson(item);
      if (frozen === undefined) return undefined;
      out[key] = frozen;
    }
    return Object.freeze(out);
  }
  return undefined;
}

/** Deep equality of two JSON values; object key order does not matter. */
export function jsonEqual(a: Json | undefined, b: Json | undefined): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    const bs: readonly Json[] = b;
    return (a as readonly Json[]).every((item, i) => jsonEqual(item, bs[i]));
  }
  const ao = a as JsonObject;
  const bo = b as JsonObject;
  const keys = Object.keys(ao);
  if (keys.length !== Object.keys(bo).length) return false;
  return keys.every((key) => Object.hasOwn(bo, key) && jsonEqual(ao[key], bo[key]));
}
