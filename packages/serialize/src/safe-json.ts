import type { Json } from "@backprop/linalg";
import { formatPath, invalidFile, type FileLocation } from "./file-error.js";
import { FORBIDDEN_KEYS, MAX_JSON_DEPTH, readJson, type ReadJsonOptions } from "./json-reader.js";

export { MAX_JSON_ARRAY, MAX_JSON_DEPTH } from "./json-reader.js";

/**
 * Largest JSON text a loader accepts (256 MiB). Loading takes about 1.5× the file in memory (the
 * bytes, and 8 bytes for each number of ~18 characters); a model this large belongs in a
 * safetensors file, which holds a float32 weight in 4 bytes.
 */
export const MAX_JSON_BYTES = 256 * 1024 * 1024;

/** The message of a file refused by {@link MAX_JSON_BYTES}, before it is read. */
export function tooLargeProblem(size: number, limit: number, what: string): string {
  const mib = (n: number) => `${(n / 2 ** 20).toFixed(n < 2 ** 20 ? 3 : 0)} MiB`;
  return `${what} of ${size} bytes (${mib(size)}) is larger than this loader reads (got ${size} bytes, expected at most ${limit} = ${mib(limit)})`;
}

/** A place in a value being checked: its parent's place and its key, so paths cost nothing until an error. */
interface Place {
  readonly v: unknown;
  readonly parent: Place | undefined;
  readonly key: string | number;
  readonly depth: number;
}

function pathOf(place: Place | undefined, last?: string | number): string {
  const keys: (string | number)[] = last === undefined ? [] : [last];
  for (let p = place; p?.parent !== undefined; p = p.parent) keys.push(p.key);
  return formatPath(keys.reverse());
}

/**
 * Checks a value handed in as an object (not read from text) is plain JSON: finite numbers, plain
 * objects and arrays, nesting at most {@link MAX_JSON_DEPTH} deep, no key that would reach an
 * object's prototype if the value were ever merged with `Object.assign` or spread into a class
 * (`__proto__`, `constructor`, `prototype`). Iterative, so even a hostile object cannot overflow
 * the stack; the numbers of an array are checked in place, with no allocation per element.
 */
export function checkJsonValue(value: unknown, loc: FileLocation): void {
  const stack: Place[] = [{ v: value, parent: undefined, key: "", depth: 0 }];
  /** False for a container (to be walked); checks a number is finite, throws for a non-JSON value. */
  const isLeaf = (v: unknown, parent: Place | undefined, key: string | number | undefined): boolean => {
    if (typeof v === "number") {
      if (!Number.isFinite(v)) throw invalidFile(loc, pathOf(parent, key), `not a finite number (got ${String(v)})`);
      return true;
    }
    if (v === null || typeof v === "string" || typeof v === "boolean") return true;
    if (typeof v !== "object") throw invalidFile(loc, pathOf(parent, key), `not a JSON value (got ${typeof v})`);
    return false;
  };
  while (stack.length > 0) {
    const place = stack.pop() as Place;
    const v = place.v;
    if (place.parent === undefined && isLeaf(v, undefined, undefined)) continue;
    if (place.depth > MAX_JSON_DEPTH) throw invalidFile(loc, pathOf(place), `nested deeper than ${MAX_JSON_DEPTH} levels`);
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const item: unknown = v[i];
        if (!isLeaf(item, place, i)) stack.push({ v: item, parent: place, key: i, depth: place.depth + 1 });
      }
      continue;
    }
    const proto: unknown = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null) throw invalidFile(loc, pathOf(place), "not a plain JSON object");
    for (const key of Object.keys(v as object)) {
      if (FORBIDDEN_KEYS.has(key)) throw invalidFile(loc, pathOf(place, key), `the key "${key}" is not allowed`);
      const item: unknown = (v as Record<string, unknown>)[key];
      if (!isLeaf(item, place, key)) stack.push({ v: item, parent: place, key, depth: place.depth + 1 });
    }
  }
}

const encoder = /* @__PURE__ */ new TextEncoder();

/**
 * Parses untrusted JSON text or UTF-8 bytes: bounded size, depth and array length, finite numbers
 * only, no prototype-reaching keys. One pass over the bytes (see `json-reader.ts`).
 * @throws BackpropError `INVALID_FILE`, never a `SyntaxError`
 */
export function parseJson(input: string | Uint8Array, loc: FileLocation, inner = "", options: Omit<ReadJsonOptions, "inner"> = {}): Json {
  const size = typeof input === "string" ? input.length : input.byteLength;
  if (size > MAX_JSON_BYTES) throw invalidFile(loc, inner, tooLargeProblem(size, MAX_JSON_BYTES, "JSON text"));
  return readJson(typeof input === "string" ? encoder.encode(input) : input, loc, { ...options, inner });
}

/** Where a native model file keeps weight values: `weights[i].data`, read as float arrays. */
export const isWeightData = (path: readonly (string | number)[]): boolean =>
  path.length === 3 && path[0] === "weights" && path[2] === "data";
