import { isPlainObject } from "@backprop/linalg";
import type { Json, JsonObject } from "@backprop/linalg";

// NOTE: configs are validated by linalg's readConfig, shared by every package; these two are
// re-exported because the activation files print and check values with them too.
export { describeValue, isPlainObject } from "@backprop/linalg";

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
