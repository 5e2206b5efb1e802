import type { Json } from "@backprop/linalg";
import { formatPath, invalidFile, type FileLocation } from "./file-error.js";

/** Deepest nesting a loader accepts; model files need about 8 levels. */
export const MAX_JSON_DEPTH = 64;
/**
 * Longest JSON array a loader accepts (2^26 elements). V8 holds at most about 2^27 numbers in one
 * array; a tensor this large belongs in a safetensors file (4 bytes a number, not ~18).
 */
export const MAX_JSON_ARRAY = 2 ** 26;

/** Keys that would reach an object's prototype if the value were ever merged or spread. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(["__proto__", "constructor", "prototype"]);

/**
 * Where more bytes come from when the reader runs out: fills `buffer` from `offset` with at most
 * `length` bytes and returns how many it wrote (0 at the end). A file read a chunk at a time.
 */
export type ByteSource = (buffer: Uint8Array, offset: number, length: number) => number;

/** Options of {@link readJson} and {@link readJsonFrom}. */
export interface ReadJsonOptions {
  /** `inner` of messages: the place of the JSON text in its file (a safetensors header). */
  readonly inner?: string;
  /**
   * Arrays of numbers to return as a `Float64Array` rather than a `number[]`, by their path
   * (`["weights", 0, "data"]`): a model's weights, copied into the model right away.
   */
  readonly floatArrayAt?: (path: readonly (string | number)[]) => boolean;
}

// NOTE: a run of numbers is parsed a window of at most this many bytes at a time (cut at a
// comma), each by JSON.parse: native speed and correct rounding, and only small arrays are ever
// built by it, so its temporary boxed numbers die young instead of filling the old generation.
const WINDOW = 1 << 16;
/** Bytes read from a source at a time. */
const CHUNK = 1 << 22;

const utf8 = /* @__PURE__ */ new TextDecoder("utf-8", { fatal: true });
const ascii = /* @__PURE__ */ new TextDecoder("utf-8");

/** Bytes of a number: digits and `-+.eE`. */
const IN_NUMBER = /* @__PURE__ */ (() => {
  const t = new Uint8Array(256);
  for (const c of "0123456789-+.eE") t[c.charCodeAt(0)] = 1;
  return t;
})();

/** The first character that cannot be part of a run of numbers (digits, `-+.eE`, commas, spaces). */
const NOT_IN_RUN = /[^0-9eE+\-., \t\n\r]/g;
/** One JSON number, with the spaces around it. */
const JSON_NUMBER = /^[ \t\n\r]*-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?[ \t\n\r]*$/;

const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
const isSpace = (c: number): boolean => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
const startsNumber = (c: number | undefined): boolean => c === 0x2d || (c !== undefined && c >= 0x30 && c <= 0x39);

/** One array from the windows of a run of numbers: one native copy (`concat` of packed doubles). */
function joinParts(parts: readonly number[][]): number[] {
  if (parts.length === 1) return parts[0] as number[];
  let out: number[] = [];
  // NOTE: spread arguments live on the stack; a few thousand parts at a time.
  for (let k = 0; k < parts.length; k += 4096) out = out.concat(...parts.slice(k, k + 4096));
  return out;
}

/**
 * The numbers of `text` when it is a comma-separated list of finite JSON numbers, else
 * undefined. `JSON.parse` checks the grammar; only the types are left to check.
 */
function onlyNumbers(text: string): number[] | undefined {
  let values: unknown[];
  try {
    values = JSON.parse(`[${text}]`) as unknown[];
  } catch {
    return undefined;
  }
  for (let k = 0; k < values.length; k++) if (!Number.isFinite(values[k])) return undefined;
  return values as number[];
}

/** Whether `bytes` start with one whole UTF-8 character. */
function startsUtf8(bytes: Uint8Array): boolean {
  for (let k = 1; k <= bytes.length; k++) {
    try {
      utf8.decode(bytes.subarray(0, k));
      return true;
    } catch {
      // a longer sequence, or not UTF-8
    }
  }
  return false;
}

function describeByte(c: number | undefined): string {
  if (c === undefined) return "end of the text";
  return c >= 0x20 && c < 0x7f ? `"${String.fromCharCode(c)}"` : `byte 0x${c.toString(16).padStart(2, "0")}`;
}

/**
 * A JSON parser for untrusted model files, reading UTF-8 bytes in one pass (the RFC 8259 grammar
 * `JSON.parse` accepts): nesting at most {@link MAX_JSON_DEPTH} deep, arrays at most
 * {@link MAX_JSON_ARRAY} long, finite numbers only, no `__proto__` / `constructor` / `prototype`
 * keys. Every error is an `INVALID_FILE` naming the path inside the document or the byte.
 *
 * Why not `JSON.parse` of the whole text: it needs the file as one string (a second copy of a
 * 200 MB file, near V8's string limit), then a second walk to check keys and numbers, and on
 * arrays of millions of numbers its temporary boxed numbers had loading spend most of its time
 * collecting garbage. Here bytes come from memory or, a chunk at a time, from a
 * {@link ByteSource} (a file is never held whole); runs of numbers are parsed a window at a time
 * and joined once per array.
 */
class JsonReader {
  /** Next byte to read, in `b`. */
  private i = 0;
  /** Bytes of `b` that hold data. */
  private n: number;
  /** Position in the whole text of `b[0]`, for messages. */
  private base = 0;
  private eof: boolean;
  /** Bytes the next window of numbers may take (grows per array, so a short array decodes little). */
  private window = 256;
  /** Keys and indices from the root to the value being read, for messages only. */
  private readonly path: (string | number)[] = [];

  /** Numbers of the array being read as a Float64Array (grown as needed, kept for the next one). */
  private floats = new Float64Array(0);
  private readonly inner: string;
  private readonly floatArrayAt: ((path: readonly (string | number)[]) => boolean) | undefined;

  constructor(
    private b: Uint8Array,
    private readonly source: ByteSource | undefined,
    private readonly loc: FileLocation,
    options: ReadJsonOptions,
  ) {
    this.n = source === undefined ? b.length : 0;
    this.eof = source === undefined;
    this.inner = options.inner ?? "";
    this.floatArrayAt = options.floatArrayAt;
  }

  parse(): Json {
    this.skipSpace();
    const value = this.readValue(0);
    this.skipSpace();
    if (this.i < this.n) throw this.syntax("after the JSON value");
    return value;
  }

  /**
   * Makes `need` bytes from `i` on available when the source has them: the unread bytes move to
   * the start of the buffer (grown if needed), and the rest of it is filled.
   */
  private fill(need: number): boolean {
    if (this.n - this.i >= need) return true;
    if (this.eof || this.source === undefined) return false;
    const keep = this.n - this.i;
    // The buffer doubles from 64 KiB up to CHUNK (a small file needs no 4 MiB), more for a long string.
    const size = Math.max(need + 4096, Math.min(CHUNK, Math.max(1 << 16, 2 * this.b.length)));
    const next = size > this.b.length ? new Uint8Array(size) : this.b;
    if (next === this.b) next.copyWithin(0, this.i, this.n);
    else next.set(this.b.subarray(this.i, this.n));
    this.b = next;
    this.base += this.i;
    this.i = 0;
    this.n = keep;
    while (this.n < next.length) {
      const got = this.source(next, this.n, next.length - this.n);
      if (got <= 0) {
        this.eof = true;
        break;
      }
      this.n += got;
    }
    return this.n >= need;
  }

  private peek(): number | undefined {
    return this.i < this.n || this.fill(1) ? this.b[this.i] : undefined;
  }

  private where(): string {
    const at = formatPath(this.path);
    if (this.inner === "") return at;
    return at === "" ? this.inner : `${this.inner}.${at}`;
  }

  private syntax(context: string, pos = this.i): Error {
    const c = pos < this.n ? this.b[pos] : undefined;
    if (c !== undefined && c >= 0x80 && !startsUtf8(this.b.subarray(pos, Math.min(this.n, pos + 4)))) {
      return invalidFile(this.loc, this.inner, `not valid UTF-8 text (byte 0x${c.toString(16)} at byte ${this.base + pos})`);
    }
    return invalidFile(this.loc, this.inner, `not valid JSON (unexpected ${describeByte(c)} ${context}, at byte ${this.base + pos})`);
  }

  private skipSpace(): void {
    for (;;) {
      const b = this.b;
      const n = this.n;
      let i = this.i;
      while (i < n && isSpace(b[i] as number)) i++;
      this.i = i;
      if (i < n || !this.fill(1)) return;
    }
  }

  private readValue(depth: number): Json {
    const c = this.peek();
    if (c === 0x7b) return this.readObject(depth + 1);
    if (c === 0x5b) return this.readArray(depth + 1);
    if (c === 0x22) return this.readString();
    if (startsNumber(c)) return this.readNumber();
    if (c === 0x74) return this.readLiteral("true", true);
    if (c === 0x66) return this.readLiteral("false", false);
    if (c === 0x6e) return this.readLiteral("null", null);
    throw this.syntax("where a value should start");
  }

  private enter(depth: number): void {
    if (depth > MAX_JSON_DEPTH) throw invalidFile(this.loc, this.where(), `JSON nested deeper than ${MAX_JSON_DEPTH} levels`);
  }

  private readLiteral(word: string, value: true | false | null): Json {
    this.fill(word.length);
    for (let k = 0; k < word.length; k++) {
      if (this.i + k >= this.n || this.b[this.i + k] !== word.charCodeAt(k)) throw this.syntax(`in "${word}"`, this.i + k);
    }
    this.i += word.length;
    return value;
  }

  private readObject(depth: number): Json {
    this.enter(depth);
    const out: Record<string, Json> = {};
    this.i++;
    this.skipSpace();
    if (this.peek() === 0x7d) {
      this.i++;
      return out;
    }
    for (;;) {
      if (this.peek() !== 0x22) throw this.syntax("where a key in double quotes should be");
      const key = this.readString();
      this.path.push(key);
      if (FORBIDDEN_KEYS.has(key)) throw invalidFile(this.loc, this.where(), `the key "${key}" is not allowed`);
      this.skipSpace();
      if (this.peek() !== 0x3a) throw this.syntax('after a key (expected ":")');
      this.i++;
      this.skipSpace();
      out[key] = this.readValue(depth);
      this.path.pop();
      this.skipSpace();
      const c = this.peek();
      if (c === 0x2c) {
        this.i++;
        this.skipSpace();
        continue;
      }
      if (c === 0x7d) {
        this.i++;
        return out;
      }
      throw this.syntax('in an object (expected "," or "}")');
    }
  }

  private readArray(depth: number): Json {
    this.enter(depth);
    this.i++;
    this.skipSpace();
    if (this.peek() === 0x5d) {
      this.i++;
      return [];
    }
    const typed = this.floatArrayAt?.(this.path) === true;
    const slot = this.path.length;
    this.path.push(0);
    // Numbers only so far: the windows of numbers (or, for a float array, the numbers in
    // `floats`), joined at the end. Else the elements.
    let parts: number[][] | undefined = [];
    let out: Json[] = [];
    let count = 0;
    this.window = 256;
    for (;;) {
      if (count >= MAX_JSON_ARRAY) throw invalidFile(this.loc, this.where(), `array of more than ${MAX_JSON_ARRAY} elements`);
      this.path[slot] = count;
      if (startsNumber(this.peek())) {
        const part = this.readNumbers(count);
        if (parts === undefined) for (const value of part) out.push(value);
        else if (typed) this.keepFloats(part, count);
        else parts.push(part);
        count += part.length;
        if (count > MAX_JSON_ARRAY) throw invalidFile(this.loc, this.where(), `array of more than ${MAX_JSON_ARRAY} elements`);
      } else {
        if (typed) throw invalidFile(this.loc, this.where(), "expected a number");
        if (parts !== undefined) {
          out = joinParts(parts);
          parts = undefined;
        }
        out.push(this.readValue(depth));
        count++;
      }
      this.skipSpace();
      const next = this.peek();
      if (next === 0x2c) {
        this.i++;
        this.skipSpace();
        continue;
      }
      if (next === 0x5d) {
        this.i++;
        this.path.pop();
        if (typed) return this.floats.slice(0, count) as unknown as Json;
        return parts === undefined ? out : joinParts(parts);
      }
      throw this.syntax('in an array (expected "," or "]")');
    }
  }

  /** Copies a window of numbers into `floats` at `at` (so the window's array dies young). */
  private keepFloats(part: readonly number[], at: number): void {
    if (at + part.length > this.floats.length) {
      const grown = new Float64Array(Math.max(2 * this.floats.length, at + part.length, 1 << 12));
      grown.set(this.floats.subarray(0, at));
      this.floats = grown;
    }
    this.floats.set(part, at);
  }

  /** A number outside an array (an object's value): its few bytes are decoded alone. */
  private readNumber(): number {
    let end = this.i;
    for (;;) {
      while (end < this.n && IN_NUMBER[this.b[end] as number] === 1) end++;
      if (end < this.n || this.eof) break;
      const offset = end - this.i;
      this.fill(offset + 64);
      end = this.i + offset;
    }
    const text = ascii.decode(this.b.subarray(this.i, end));
    const value = this.parseNumbers(text, this.i, 0)[0] as number;
    this.i = end;
    return value;
  }

  /**
   * Reads numbers separated by commas from a number on, at most a window of bytes: stops after
   * the last whole number of the window, or before the first thing that is not a number, comma
   * or space. `index` is the count of elements the array already has.
   */
  private readNumbers(index: number): number[] {
    for (;;) {
      const size = this.window;
      this.fill(size);
      const end = Math.min(this.n, this.i + size);
      const text = ascii.decode(this.b.subarray(this.i, end));
      const more = !(this.eof && end === this.n);
      // Most runs are a whole array of numbers: tried first is the text up to the first "]" (the
      // array's end) or, when there is none yet, up to the window's last comma (native searches,
      // and JSON.parse checks the rest). Anything else (a string or an object in the array, a bad
      // number) takes the careful way below, which finds where the run ends or the culprit.
      const close = text.indexOf("]");
      const cut = close >= 0 ? close : more ? text.lastIndexOf(",") : -1;
      const quick = cut > 0 ? onlyNumbers(text.slice(0, cut)) : undefined;
      if (quick !== undefined) {
        this.i += cut;
        if (size < WINDOW) this.window = size * 4;
        return quick;
      }
      NOT_IN_RUN.lastIndex = 0;
      const stop = NOT_IN_RUN.exec(text)?.index ?? text.length;
      let run = stop;
      if (stop === text.length && more) {
        // The run may go on past the window: cut at its last comma, so no number is split.
        run = text.lastIndexOf(",");
        // No comma in the window: one number, whole if spaces follow it.
        if (run <= 0) run = text.search(/[ \t\n\r]/);
        if (run <= 0) {
          if (size >= WINDOW) throw invalidFile(this.loc, this.where(), `a number longer than ${WINDOW} characters`);
          this.window = size * 4;
          continue;
        }
      }
      while (run > 0 && (text.charCodeAt(run - 1) === 0x2c || isSpace(text.charCodeAt(run - 1)))) run--;
      const part = this.parseNumbers(run === text.length ? text : text.slice(0, run), this.i, index);
      this.i += run;
      if (size < WINDOW) this.window = size * 4;
      return part;
    }
  }

  /**
   * The numbers of `text` (`1.5, -2e-3, 0`), at byte `at` of the buffer, element `index` on of
   * the array being read. Every one must be a finite JSON number.
   */
  private parseNumbers(text: string, at: number, index: number): number[] {
    let values: number[];
    try {
      values = JSON.parse(`[${text}]`) as number[];
    } catch {
      // Find the culprit for the message: the first piece between commas that is no JSON number.
      let offset = 0;
      for (const piece of text.split(",")) {
        if (!JSON_NUMBER.test(piece)) {
          offset += piece.length - piece.trimStart().length;
          break;
        }
        offset += piece.length + 1;
      }
      throw this.syntax("in a number", at + Math.min(offset, text.length));
    }
    for (let k = 0; k < values.length; k++) {
      if (!Number.isFinite(values[k])) {
        const last = this.path.length - 1;
        if (typeof this.path[last] === "number") this.path[last] = index + k;
        throw invalidFile(this.loc, this.where(), `not a finite number (got ${String(values[k])})`);
      }
    }
    return values;
  }

  private readString(): string {
    let k = this.i + 1;
    let plain = true;
    for (;;) {
      if (k >= this.n) {
        const offset = k - this.i;
        if (!this.fill(offset + 1)) throw this.syntax("in a string (no closing quote)", this.n);
        k = this.i + offset;
        continue;
      }
      const c = this.b[k] as number;
      if (c === 0x22) break;
      if (c === 0x5c) {
        plain = false;
        k += 2;
        continue;
      }
      if (c < 0x20) throw this.syntax("in a string (control characters must be escaped)", k);
      if (c >= 0x80) plain = false;
      k++;
    }
    const start = this.i + 1;
    this.i = k + 1;
    if (plain && k - start <= 32) {
      let s = "";
      for (let j = start; j < k; j++) s += String.fromCharCode(this.b[j] as number);
      return s;
    }
    let raw: string;
    try {
      raw = utf8.decode(this.b.subarray(start, k));
    } catch {
      throw invalidFile(this.loc, this.where(), "not valid UTF-8 text");
    }
    if (plain || !raw.includes("\\")) return raw;
    try {
      return JSON.parse(`"${raw}"`) as string;
    } catch {
      throw this.syntax("in a string (a bad escape sequence)", start - 1);
    }
  }
}

/**
 * Parses untrusted JSON bytes (see {@link JsonReader}).
 * @throws BackpropError `INVALID_FILE`, never a `SyntaxError` or `RangeError`
 */
export function readJson(bytes: Uint8Array, loc: FileLocation, options: ReadJsonOptions = {}): Json {
  return new JsonReader(bytes, undefined, loc, options).parse();
}

/**
 * Parses untrusted JSON read from `source` a chunk at a time (a file of any size is never held
 * whole: the buffer grows only to the longest string or window).
 * @throws BackpropError `INVALID_FILE`
 */
export function readJsonFrom(source: ByteSource, loc: FileLocation, options: ReadJsonOptions = {}): Json {
  return new JsonReader(new Uint8Array(0), source, loc, options).parse();
}
