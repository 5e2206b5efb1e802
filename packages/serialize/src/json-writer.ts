import { BackpropError } from "@backprop/linalg";

/** Bytes per chunk of output. */
const CHUNK = 1 << 20;
/** Numbers turned into text per `JSON.stringify` call. */
const BLOCK = 4096;
/** Deeper than any model file; only a cycle gets here. */
const MAX_DEPTH = 1000;

const encoder = /* @__PURE__ */ new TextEncoder();

type NumberList = readonly number[] | Float32Array | Float64Array;

const isTypedArray = (value: unknown): value is Float32Array | Float64Array =>
  value instanceof Float32Array || value instanceof Float64Array;

/**
 * Writes JSON as UTF-8 bytes in chunks of 1 MiB: the same text as `JSON.stringify` (keys in
 * order, `undefined` members left out, a non-finite number as `null`), except that a
 * `Float32Array` / `Float64Array` is written as the array of its numbers. A model's weights go
 * out from the model's own buffers, a block of numbers at a time, and no string of the whole file
 * is ever built: a 200 MB file needs its 200 MB of chunks, not three copies.
 */
class JsonWriter {
  readonly chunks: Uint8Array[] = [];
  private buf = new Uint8Array(CHUNK);
  private pos = 0;

  finish(): Uint8Array[] {
    if (this.pos > 0) this.chunks.push(this.buf.subarray(0, this.pos));
    return this.chunks;
  }

  private text(s: string): void {
    for (;;) {
      const { read, written } = encoder.encodeInto(s, this.buf.subarray(this.pos));
      this.pos += written;
      if (read === s.length) return;
      s = s.slice(read);
      this.chunks.push(this.buf.subarray(0, this.pos));
      this.buf = new Uint8Array(CHUNK);
      this.pos = 0;
    }
  }

  private byte(c: number): void {
    if (this.pos === this.buf.length) {
      this.chunks.push(this.buf);
      this.buf = new Uint8Array(CHUNK);
      this.pos = 0;
    }
    this.buf[this.pos++] = c;
  }

  value(v: unknown, depth: number): void {
    if (depth > MAX_DEPTH) throw new BackpropError("INVALID_ARGUMENT", `writeJson: nested deeper than ${MAX_DEPTH} levels (a cycle?)`);
    if (v === null) return this.text("null");
    switch (typeof v) {
      case "number":
        return this.text(Number.isFinite(v) ? String(v) : "null");
      case "string":
        return this.text(JSON.stringify(v));
      case "boolean":
        return this.text(v ? "true" : "false");
      case "object":
        break;
      default:
        return this.text("null");
    }
    if (isTypedArray(v)) return this.numbers(v);
    if (Array.isArray(v)) {
      if (v.every((x) => typeof x === "number")) return this.numbers(v as number[]);
      this.byte(0x5b);
      for (let i = 0; i < v.length; i++) {
        if (i > 0) this.byte(0x2c);
        this.value(v[i], depth + 1);
      }
      return this.byte(0x5d);
    }
    this.byte(0x7b);
    let first = true;
    for (const key of Object.keys(v as object)) {
      const item: unknown = (v as Record<string, unknown>)[key];
      if (item === undefined || typeof item === "function" || typeof item === "symbol") continue;
      if (!first) this.byte(0x2c);
      first = false;
      this.text(JSON.stringify(key));
      this.byte(0x3a);
      this.value(item, depth + 1);
    }
    this.byte(0x7d);
  }

  /**
   * `[1.5,-2,0]`, a block of numbers at a time. NOTE: `JSON.stringify` of a block is some three
   * times faster than `join` (its number formatting skips the number-string cache) and writes a
   * non-finite number as `null`, as for the whole array.
   */
  private numbers(list: NumberList): void {
    this.byte(0x5b);
    for (let start = 0; start < list.length; start += BLOCK) {
      const end = Math.min(list.length, start + BLOCK);
      if (start > 0) this.byte(0x2c);
      const block = isTypedArray(list) ? Array.from(list.subarray(start, end)) : list.slice(start, end);
      const text = JSON.stringify(block);
      this.text(text.slice(1, -1));
    }
    this.byte(0x5d);
  }
}

/**
 * JSON as UTF-8 bytes, in chunks (see {@link JsonWriter}); write them one after the other, or
 * join them with {@link joinChunks}.
 */
export function writeJsonChunks(value: unknown): Uint8Array[] {
  const writer = new JsonWriter();
  writer.value(value, 0);
  return writer.finish();
}

/** The chunks as one array of exactly their length (a copy: the chunks are views of 1 MiB buffers). */
export function joinChunks(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
