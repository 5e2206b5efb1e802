import { isBackpropError, type Json } from "@backprop/linalg";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MAX_JSON_DEPTH, readJson, readJsonFrom, type ByteSource } from "./json-reader.js";
import { joinChunks, writeJsonChunks } from "./json-writer.js";
import { checkJsonValue, isWeightData, parseJson } from "./safe-json.js";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The bytes handed out `size` at a time, as a file read in small chunks would be. */
function chunked(bytes: Uint8Array, size: number): ByteSource {
  let at = 0;
  return (buffer, offset, length) => {
    const n = Math.min(size, length, bytes.length - at);
    buffer.set(bytes.subarray(at, at + n), offset);
    at += n;
    return n;
  };
}

/** The error message, or "" when `fn` returns; anything but our error fails the test. */
function failure(fn: () => unknown): string {
  try {
    fn();
    return "";
  } catch (error) {
    if (isBackpropError(error) && error.code === "INVALID_FILE") return error.message;
    throw error;
  }
}

/** Whether JSON.parse would give a value our reader must refuse: a prototype key, a non-finite number, deep nesting. */
function refused(value: unknown): boolean {
  try {
    checkJsonValue(value, {});
    return false;
  } catch {
    return true;
  }
}

const json = fc.jsonValue({ maxDepth: 6 }) as fc.Arbitrary<Json>;
const numbers = fc.array(fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer(), fc.float({ noNaN: true, noDefaultInfinity: true }).map(Math.fround)), { maxLength: 300 });

describe("readJson: the same values as JSON.parse, or an INVALID_FILE", () => {
  it("agrees with JSON.parse on any JSON value, from memory and from a source in chunks of 1, 7 and 4096 bytes", () => {
    fc.assert(
      fc.property(json, fc.constantFrom(1, 7, 4096), fc.boolean(), (value, size, spaced) => {
        const text = JSON.stringify(value, null, spaced ? 2 : undefined);
        const bytes = encoder.encode(text);
        const expected = JSON.parse(text) as unknown;
        if (refused(expected)) return failure(() => readJson(bytes, {})) !== "";
        expect(readJson(bytes, {})).toEqual(expected);
        expect(readJsonFrom(chunked(bytes, size), {})).toEqual(expected);
        return true;
      }),
      { numRuns: 2000, seed: 14 },
    );
  });

  it("reads every number bit for bit as JSON.parse does (windows of numbers cut at commas)", () => {
    fc.assert(
      fc.property(numbers, fc.constantFrom(", ", ",", " ,\n "), (list, comma) => {
        const text = `[${list.map((x) => JSON.stringify(x)).join(comma)}]`;
        const ours = readJson(encoder.encode(text), {}) as number[];
        const theirs = JSON.parse(text) as number[];
        expect(ours.length).toBe(theirs.length);
        ours.forEach((x, i) => expect(Object.is(x, theirs[i])).toBe(true));
      }),
      { numRuns: 1000, seed: 15 },
    );
  });

  it("reads arrays far longer than a window, and arrays of numbers mixed with other values", () => {
    const long = Array.from({ length: 200_000 }, (_, i) => (i % 7 === 0 ? -i / 3 : Math.fround(Math.sin(i))));
    const mixed: Json = [1, 2.5, "a,b]", [3, [4]], { k: [5, 6] }, -0, 7e-300, null, true, 8];
    const text = JSON.stringify({ long, mixed, tail: [1, 2, 3] });
    const bytes = encoder.encode(text);
    for (const read of [() => readJson(bytes, {}), () => readJsonFrom(chunked(bytes, 1000), {})]) {
      const back = read() as { long: number[]; mixed: Json[]; tail: number[] };
      expect(back.long).toEqual(JSON.parse(JSON.stringify(long)));
      expect(back.mixed).toEqual(JSON.parse(JSON.stringify(mixed)));
      expect(back.tail).toEqual([1, 2, 3]);
    }
  });

  it("reads spaces longer than a window between and after numbers", () => {
    const gap = " ".repeat(200_000);
    const text = `{"a":[1${gap},${gap}2${gap}],"b":[-3${gap}]}`;
    for (const read of [() => readJson(encoder.encode(text), {}), () => readJsonFrom(chunked(encoder.encode(text), 4096), {})]) {
      expect(read()).toEqual({ a: [1, 2], b: [-3] });
    }
    expect(failure(() => readJson(encoder.encode(`[${"1".repeat(70_000)}]`), {}))).toMatch(/a number longer than 65536 characters/);
  });

  it("rejects whatever JSON.parse rejects (mutated texts)", () => {
    const base = JSON.stringify({ a: [1, -2.5e-3, 3], b: { c: "x\\u00e9\"y", d: [true, false, null] }, e: [0.1, [2, "z"]] });
    fc.assert(
      fc.property(fc.nat(base.length), fc.constantFrom("", ",", "]", "}", "[", "{", "-", "+", ".", "e", "0", "01", '"', "\\", "\n", "x", "1e999", "\u0001", "é"), fc.nat(3), (at, insert, cut) => {
        const text = base.slice(0, at) + insert + base.slice(at + cut);
        let expected: unknown;
        let valid = true;
        try {
          expected = JSON.parse(text);
        } catch {
          valid = false;
        }
        const bytes = encoder.encode(text);
        if (!valid || refused(expected)) {
          expect(failure(() => readJson(bytes, {}))).not.toBe("");
          expect(failure(() => readJsonFrom(chunked(bytes, 5), {}))).not.toBe("");
        } else {
          expect(readJson(bytes, {})).toEqual(expected);
          expect(readJsonFrom(chunked(bytes, 5), {})).toEqual(expected);
        }
      }),
      { numRuns: 3000, seed: 16 },
    );
  });

  it("names the place of what it refuses", () => {
    const at = (text: string) => failure(() => parseJson(text, { file: "m.json" }));
    expect(at('{"weights":[{"data":[1,2,1e999]}]}')).toBe("m.json: weights[0].data[2]: not a finite number (got Infinity)");
    expect(at('{"a":{"__proto__":{"x":1}}}')).toBe('m.json: a.__proto__: the key "__proto__" is not allowed');
    expect(at('{"a":[1,2,+3]}')).toBe('m.json: (root): not valid JSON (unexpected "+" in a number, at byte 10)');
    expect(at('{"a":[1,2')).toMatch(/^m\.json: \(root\): not valid JSON \(unexpected end of the text .*, at byte 9\)$/);
    expect(at("[".repeat(MAX_JSON_DEPTH + 1))).toMatch(new RegExp(`nested deeper than ${MAX_JSON_DEPTH} levels`));
    expect(at('"\u0001"')).toMatch(/control characters must be escaped/);
    expect(failure(() => readJson(new Uint8Array([0x22, 0xff, 0x22]), {}))).toMatch(/UTF-8/);
  });

  it("hands weights[i].data back as float arrays when asked, everything else as plain arrays", () => {
    const text = JSON.stringify({ weights: [{ name: "w", shape: [3], data: [1, 0.5, -2] }], other: [1, 2] });
    const back = parseJson(text, {}, "", { floatArrayAt: isWeightData }) as unknown as { weights: { shape: number[]; data: Float64Array }[]; other: number[] };
    expect(back.weights[0]!.data).toEqual(new Float64Array([1, 0.5, -2]));
    expect(Array.isArray(back.weights[0]!.shape)).toBe(true);
    expect(Array.isArray(back.other)).toBe(true);
    expect(failure(() => parseJson('{"weights":[{"data":[1,"x"]}]}', {}, "", { floatArrayAt: isWeightData }))).toMatch(/weights\[0\]\.data\[1\]: expected a number/);
  });
});

describe("writeJsonChunks: the bytes of JSON.stringify, in chunks", () => {
  it("matches JSON.stringify byte for byte on any JSON value", () => {
    fc.assert(
      fc.property(json, (value) => {
        expect(decoder.decode(joinChunks(writeJsonChunks(value)))).toBe(JSON.stringify(value));
      }),
      { numRuns: 2000, seed: 17 },
    );
  });

  it("writes float arrays as arrays of numbers, non-finite numbers as null, and text across chunk boundaries", () => {
    const f32 = new Float32Array([0.1, -2, 1e-8, -0]);
    const f64 = new Float64Array(10_000).map((_, i) => Math.sin(i) / 3);
    const long = "é€😀".repeat(200_000);
    const value = { f32, f64, odd: [1, Number.NaN, Number.POSITIVE_INFINITY, 2], long, skipped: undefined };
    const chunks = writeJsonChunks(value);
    expect(chunks.length).toBeGreaterThan(1);
    const text = decoder.decode(joinChunks(chunks));
    expect(text).toBe(JSON.stringify({ f32: Array.from(f32), f64: Array.from(f64), odd: [1, null, null, 2], long }));
  });
});
