import type { Json } from "@backprop/linalg";
import { invalidFile, type FileLocation } from "./file-error.js";

/** Largest JSON text a loader accepts (256 MiB): beyond it V8 strings get close to their limit. */
export const MAX_JSON_BYTES = 256 * 1024 * 1024;
/** Deepest nesting a loader accepts; model files need about 8 levels. */
export const MAX_JSON_DEPTH = 64;

const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(["__proto__", "constructor", "prototype"]);

/**
 * Checks nesting depth with one scan over the text, before `JSON.parse` (whose recursion, or a
 * reviver's, would otherwise end in a `RangeError` on `[[[[…` ten thousand deep).
 */
function checkDepth(text: string, loc: FileLocation): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > MAX_JSON_DEPTH) {
        throw invalidFile(loc, "", `JSON nested deeper than ${MAX_JSON_DEPTH} levels`);
      }
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
}

/**
 * Rejects keys that would reach an object's prototype if the value were ever merged with
 * `Object.assign` or spread into a class: `__proto__`, `constructor`, `prototype`. Iterative, so
 * even a hostile object handed in directly cannot overflow the stack.
 */
export function checkJsonValue(value: unknown, loc: FileLocation): void {
  const stack: { v: unknown; path: string; depth: number }[] = [{ v: value, path: "", depth: 0 }];
  while (stack.length > 0) {
    const { v, path, depth } = stack.pop() as { v: unknown; path: string; depth: number };
    if (typeof v === "number") {
      if (!Number.isFinite(v)) throw invalidFile(loc, path, `not a finite number (got ${String(v)})`);
      continue;
    }
    if (v === null || typeof v === "string" || typeof v === "boolean") continue;
    if (depth > MAX_JSON_DEPTH) throw invalidFile(loc, path, `nested deeper than ${MAX_JSON_DEPTH} levels`);
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) stack.push({ v: v[i], path: `${path}[${i}]`, depth: depth + 1 });
      continue;
    }
    if (typeof v !== "object") throw invalidFile(loc, path, `not a JSON value (got ${typeof v})`);
    const proto: unknown = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null) {
      throw invalidFile(loc, path, "not a plain JSON object");
    }
    for (const key of Object.keys(v)) {
      const child = path === "" ? key : `${path}.${key}`;
      if (FORBIDDEN_KEYS.has(key)) throw invalidFile(loc, child, `the key "${key}" is not allowed`);
      stack.push({ v: (v as Record<string, unknown>)[key], path: child, depth: depth + 1 });
    }
  }
}

const decoder = /* @__PURE__ */ new TextDecoder("utf-8", { fatal: true });

/** UTF-8 bytes → text, as `INVALID_FILE` when the bytes are not UTF-8. */
export function decodeUtf8(bytes: Uint8Array, loc: FileLocation, inner = ""): string {
  try {
    return decoder.decode(bytes);
  } catch {
    throw invalidFile(loc, inner, "not valid UTF-8 text");
  }
}

/**
 * Parses untrusted JSON text or bytes: bounded size and depth, finite numbers only, no
 * prototype-reaching keys. Throws `INVALID_FILE`, never a `SyntaxError`.
 */
export function parseJson(input: string | Uint8Array, loc: FileLocation, inner = ""): Json {
  const size = typeof input === "string" ? input.length : input.byteLength;
  if (size > MAX_JSON_BYTES) {
    throw invalidFile(loc, inner, `JSON text of ${size} bytes is too large (expected at most ${MAX_JSON_BYTES})`);
  }
  const text = typeof input === "string" ? input : decodeUtf8(input, loc, inner);
  checkDepth(text, loc);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw invalidFile(loc, inner, `not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  checkJsonValue(value, loc);
  return value as Json;
}
