import { BackpropError } from "@backprop/linalg";
import { invalidFile, type FileLocation } from "./file-error.js";

/*
 * The protobuf wire format (https://protobuf.dev/programming-guides/encoding/), driven by a small
 * table per message: enough for the ONNX messages this package reads and writes (onnx-proto.ts),
 * without protobufjs and its code generation. What it does:
 * - varints (int64 and int32, negative ones as 10-byte two's complement; no zigzag: ONNX has no
 *   sint fields), fixed32 floats, fixed64 doubles, length-delimited strings, bytes and messages;
 * - repeated numbers read packed or not (protobuf parsers must accept both), written packed, as
 *   protobufjs and onnx's own tools write them;
 * - fields a table does not list are skipped (groups too), so files from newer ONNX versions read;
 * - a field absent from the bytes is absent from the object (proto2 presence: an INT attribute
 *   whose `i` is 0 is written, which ONNX's checker requires), repeated fields are always arrays;
 * - every read is checked against the end of its message: a malformed file throws INVALID_FILE
 *   naming the file, the field and the byte offset, never a RangeError, and allocates nothing
 *   larger than the bytes it has.
 */

/** Wire types: the low three bits of a field's tag. */
const VARINT = 0;
const I64 = 1;
const LEN = 2;
const SGROUP = 3;
const EGROUP = 4;
const I32 = 5;

/** A scalar field's type; `int32` covers protobuf enums, which ONNX writes as int32. */
export type ScalarKind = "int64" | "int32" | "float" | "double" | "string" | "bytes";

/** One field of a message table. */
export interface FieldSpec {
  /** The field number in the `.proto` file. */
  readonly number: number;
  /** The property of the JS object (camelCase, as protobufjs named them). */
  readonly key: string;
  readonly kind: ScalarKind | MessageSpec;
  readonly repeated?: boolean;
}

/** A message: its fields, by number. */
export interface MessageSpec {
  readonly fields: readonly FieldSpec[];
}

/** What a decoded message is before the typed wrappers (onnx-proto.ts) name its fields. */
export type WireMessage = Record<string, unknown>;

const WIRE_TYPE_OF: Readonly<Record<ScalarKind, number>> = { int64: VARINT, int32: VARINT, float: I32, double: I64, string: LEN, bytes: LEN };
const WIRE_NAMES = ["varint", "64-bit", "length-delimited", "group start", "group end", "32-bit", "6 (invalid)", "7 (invalid)"] as const;
// NOTE: unknown fields may nest groups; a bound keeps a hostile file from exhausting the stack.
const MAX_GROUP_DEPTH = 64;
const TWO_32 = 2 ** 32;

// NOTE: ignoreBOM keeps a leading U+FEFF in a string field: it is part of the value.
const utf8 = /* @__PURE__ */ new TextDecoder("utf-8", { ignoreBOM: true });
const utf8Encoder = /* @__PURE__ */ new TextEncoder();

const fieldPath = (path: string, key: string) => (path === "" ? key : `${path}.${key}`);
const isNumeric = (kind: ScalarKind | MessageSpec): kind is "int64" | "int32" | "float" | "double" =>
  kind === "int64" || kind === "int32" || kind === "float" || kind === "double";

/** Reads a message's bytes; every method checks the end of the message it reads in. */
class WireReader {
  pos = 0;
  private readonly view: DataView;

  constructor(
    readonly bytes: Uint8Array,
    private readonly loc: FileLocation,
    private readonly what: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  fail(path: string, problem: string, at: number = this.pos): never {
    throw invalidFile(this.loc, path, `not a valid ${this.what} file: at byte ${at}, ${problem}`);
  }

  /** Fails unless `n` more bytes lie before `end`. */
  need(n: number, end: number, path: string, what: string): void {
    if (n > end - this.pos) this.fail(path, `${what} runs past the end of its message (got ${end - this.pos} bytes left, expected ${n})`);
  }

  /**
   * A varint as a number: exact up to 2^53 in magnitude, negative for the two's complement of a
   * negative int64 or int32; beyond 2^53 a rounded number, which `Number.isSafeInteger` refuses.
   */
  varint(end: number, path: string): number {
    const start = this.pos;
    const bytes = this.bytes;
    let value = 0;
    let scale = 1;
    // NOTE: seven bytes hold 49 bits, exact in a double; longer varints (large or negative
    // values, rare in a model file) take the BigInt path.
    for (let i = 0; i < 7; i++) {
      if (this.pos >= end) this.fail(path, "a varint runs past the end of its message", start);
      const b = bytes[this.pos++] as number;
      value += (b & 0x7f) * scale;
      if (b < 0x80) return value;
      scale *= 128;
    }
    let big = BigInt(value);
    for (let i = 7; i < 10; i++) {
      if (this.pos >= end) this.fail(path, "a varint runs past the end of its message", start);
      const b = bytes[this.pos++] as number;
      big |= BigInt(b & 0x7f) << BigInt(7 * i);
      if (b < 0x80) return Number(BigInt.asIntN(64, big));
    }
    return this.fail(path, "a varint is longer than 10 bytes", start);
  }

  /** The length of a length-delimited field, checked to fit before `end`. */
  length(end: number, path: string): number {
    const at = this.pos;
    const n = this.varint(end, path);
    if (n < 0 || n > end - this.pos) this.fail(path, `a length-delimited field of ${n} bytes runs past the end of its message (got ${end - this.pos} bytes left)`, at);
    return n;
  }

  float(end: number, path: string): number {
    this.need(4, end, path, "a float");
    const v = this.view.getFloat32(this.pos, true);
    this.pos += 4;
    return v;
  }

  double(end: number, path: string): number {
    this.need(8, end, path, "a double");
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** Skips a field this table does not list; `at` is where its tag starts. */
  skip(wireType: number, field: number, end: number, path: string, at: number, depth = 0): void {
    switch (wireType) {
      case VARINT:
        this.varint(end, path);
        return;
      case I64:
        this.need(8, end, path, "a 64-bit field");
        this.pos += 8;
        return;
      case LEN: {
        // NOTE: not `this.pos += this.length(…)`, which would add to the position before the length.
        const n = this.length(end, path);
        this.pos += n;
        return;
      }
      case I32:
        this.need(4, end, path, "a 32-bit field");
        this.pos += 4;
        return;
      case SGROUP: {
        if (depth >= MAX_GROUP_DEPTH) this.fail(path, `groups nested more than ${MAX_GROUP_DEPTH} deep`, at);
        for (;;) {
          const tagAt = this.pos;
          if (this.pos >= end) this.fail(path, `group ${field} is not closed before the end of its message`, at);
          const tag = this.varint(end, path);
          if (tag < 8 || tag >= TWO_32) this.fail(path, `invalid field number ${Math.floor(tag / 8)}`, tagAt);
          if ((tag & 7) === EGROUP) {
            if (tag >>> 3 !== field) this.fail(path, `group ${field} is closed by an end-group tag of field ${tag >>> 3}`, tagAt);
            return;
          }
          this.skip(tag & 7, tag >>> 3, end, path, tagAt, depth + 1);
        }
      }
      default:
        this.fail(path, wireType === EGROUP ? `field ${field} ends a group that was not started` : `field ${field} has the invalid wire type ${wireType}`, at);
    }
  }
}

/** A repeated number read packed (one length-delimited run) or one at a time. */
function readNumber(r: WireReader, kind: "int64" | "int32" | "float" | "double", end: number, path: string): number {
  if (kind === "float") return r.float(end, path);
  if (kind === "double") return r.double(end, path);
  return r.varint(end, path);
}

function decodeMessage(r: WireReader, spec: MessageSpec, end: number, path: string): WireMessage {
  const out: WireMessage = {};
  for (const f of spec.fields) if (f.repeated) out[f.key] = [];
  while (r.pos < end) {
    const tagAt = r.pos;
    const tag = r.varint(end, path);
    const number = Math.floor(tag / 8);
    const wireType = tag & 7;
    if (number < 1 || tag >= TWO_32) r.fail(path, `invalid field number ${number}`, tagAt);
    const field = spec.fields.find((f) => f.number === number);
    if (field === undefined) {
      r.skip(wireType, number, end, path, tagAt);
      continue;
    }
    const at = fieldPath(path, field.key);
    const { kind } = field;
    if (typeof kind === "object") {
      if (wireType !== LEN) r.fail(at, `field ${number} (a message) has the wrong wire type (got ${WIRE_NAMES[wireType]}, expected length-delimited)`, tagAt);
      const n = r.length(end, at);
      const list = out[field.key] as WireMessage[] | undefined;
      const value = decodeMessage(r, kind, r.pos + n, field.repeated ? `${at}[${list?.length ?? 0}]` : at);
      if (field.repeated) (list as WireMessage[]).push(value);
      else out[field.key] = value;
      continue;
    }
    if (field.repeated && wireType === LEN && isNumeric(kind)) {
      // Packed: one run of values.
      const n = r.length(end, at);
      const runEnd = r.pos + n;
      if (kind === "float" || kind === "double") {
        const size = kind === "float" ? 4 : 8;
        if (n % size !== 0) r.fail(at, `a packed run of ${kind}s is ${n} bytes, not a multiple of ${size}`, tagAt);
        // Straight into a typed array (a weight tensor in float_data holds millions of values).
        const run = kind === "float" ? new Float32Array(n / 4) : new Float64Array(n / 8);
        for (let i = 0; i < run.length; i++) run[i] = readNumber(r, kind, runEnd, at);
        const sofar = out[field.key] as ArrayLike<number>;
        out[field.key] = sofar.length === 0 ? run : [...Array.from(sofar), ...run];
        continue;
      }
      const list = out[field.key] as number[];
      while (r.pos < runEnd) list.push(r.varint(runEnd, at));
      continue;
    }
    const expected = WIRE_TYPE_OF[kind];
    if (wireType !== expected) r.fail(at, `field ${number} (${field.repeated ? "repeated " : ""}${kind}) has the wrong wire type (got ${WIRE_NAMES[wireType]}, expected ${WIRE_NAMES[expected]})`, tagAt);
    let value: unknown;
    if (kind === "string" || kind === "bytes") {
      const n = r.length(end, at);
      const bytes = r.bytes.subarray(r.pos, r.pos + n);
      r.pos += n;
      // NOTE: bytes stay a view of the file (raw_data is used where it lies); strings are decoded
      // leniently (a bad UTF-8 sequence becomes U+FFFD), as protobufjs did.
      value = kind === "string" ? utf8.decode(bytes) : bytes;
    } else {
      value = readNumber(r, kind, end, at);
    }
    if (!field.repeated) out[field.key] = value;
    else if (Array.isArray(out[field.key])) (out[field.key] as unknown[]).push(value);
    else out[field.key] = [...Array.from(out[field.key] as ArrayLike<number>), value];
  }
  // Repeated floats and doubles are typed arrays, however they were written.
  for (const f of spec.fields) {
    const v = out[f.key];
    if (f.repeated && Array.isArray(v) && (f.kind === "float" || f.kind === "double")) out[f.key] = f.kind === "float" ? Float32Array.from(v as number[]) : Float64Array.from(v as number[]);
  }
  return out;
}

/**
 * Decodes the bytes of one message after `spec`.
 *
 * @throws BackpropError `INVALID_FILE` naming the file, the field path and the byte offset
 */
export function decodeWire(bytes: Uint8Array, spec: MessageSpec, loc: FileLocation, what: string): WireMessage {
  if (!(bytes instanceof Uint8Array)) throw invalidFile(loc, "", `expected the bytes of ${what === "" ? "a protobuf message" : `an ${what} file`}`);
  return decodeMessage(new WireReader(bytes, loc, what), spec, bytes.length, "");
}

/** Bytes of the UTF-8 form of `s`, as TextEncoder writes it (a lone surrogate as U+FFFD, 3 bytes). */
function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/** Bytes of a varint of `v` (a negative one takes 10: int64 two's complement). */
function varintSize(v: number): number {
  if (v < 0) return 10;
  let n = 1;
  while (v >= 128) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

function badValue(path: string, problem: string): BackpropError {
  return new BackpropError("INVALID_ARGUMENT", `encodeOnnx: ${path}: ${problem}`);
}

/** Checks a number for its field; the writer trusts what this passed. */
function checkNumber(kind: "int64" | "int32" | "float" | "double", v: unknown, path: string): number {
  if (typeof v !== "number") throw badValue(path, `expected a number (got ${typeof v})`);
  if (kind === "int64" && !Number.isSafeInteger(v)) throw badValue(path, `expected an integer within ±2^53 (got ${v})`);
  if (kind === "int32" && !(Number.isInteger(v) && v >= -(2 ** 31) && v < 2 ** 31)) throw badValue(path, `expected a 32-bit integer (got ${v})`);
  return v;
}

/** A present value: protobuf writes a set field even when it holds its default. */
const present = (v: unknown) => v !== undefined && v !== null;

/** The encoded sizes of the messages of one tree, computed once and used when writing. */
type Sizes = Map<object, number>;

function payloadSize(kind: ScalarKind, v: unknown, path: string): number {
  switch (kind) {
    case "float":
      checkNumber(kind, v, path);
      return 4;
    case "double":
      checkNumber(kind, v, path);
      return 8;
    case "string":
      if (typeof v !== "string") throw badValue(path, `expected a string (got ${typeof v})`);
      return utf8Length(v);
    case "bytes":
      if (!(v instanceof Uint8Array)) throw badValue(path, "expected a Uint8Array");
      return v.length;
    default:
      return varintSize(checkNumber(kind, v, path));
  }
}

/** The bytes of `values` packed, for a repeated number field. */
function packedSize(kind: "int64" | "int32" | "float" | "double", values: ArrayLike<number>, path: string): number {
  if (kind === "float" || kind === "double") {
    for (let i = 0; i < values.length; i++) checkNumber(kind, values[i], path);
    return values.length * (kind === "float" ? 4 : 8);
  }
  let n = 0;
  for (let i = 0; i < values.length; i++) n += varintSize(checkNumber(kind, values[i], `${path}[${i}]`));
  return n;
}

function listOf(v: unknown, path: string): ArrayLike<unknown> {
  if (Array.isArray(v) || ArrayBuffer.isView(v)) return v as ArrayLike<unknown>;
  throw badValue(path, "expected an array");
}

function messageSize(spec: MessageSpec, msg: unknown, path: string, sizes: Sizes): number {
  if (typeof msg !== "object" || msg === null) throw badValue(path, "expected an object");
  const cached = sizes.get(msg);
  if (cached !== undefined) return cached;
  const m = msg as WireMessage;
  let total = 0;
  for (const f of spec.fields) {
    const v = m[f.key];
    if (!present(v)) continue;
    const at = fieldPath(path, f.key);
    const tag = varintSize(f.number * 8);
    const { kind } = f;
    if (f.repeated) {
      const list = listOf(v, at);
      if (list.length === 0) continue;
      if (isNumeric(kind)) {
        const n = packedSize(kind, list as ArrayLike<number>, at);
        total += tag + varintSize(n) + n;
        continue;
      }
      for (let i = 0; i < list.length; i++) {
        const n = typeof kind === "object" ? messageSize(kind, list[i], `${at}[${i}]`, sizes) : payloadSize(kind, list[i], `${at}[${i}]`);
        total += tag + (typeof kind === "object" || kind === "string" || kind === "bytes" ? varintSize(n) : 0) + n;
      }
      continue;
    }
    if (typeof kind === "object") {
      const n = messageSize(kind, v, at, sizes);
      total += tag + varintSize(n) + n;
    } else {
      const n = payloadSize(kind, v, at);
      total += tag + (kind === "string" || kind === "bytes" ? varintSize(n) : 0) + n;
    }
  }
  sizes.set(msg, total);
  return total;
}

/** Writes into one buffer of the exact size: each byte of a weight is copied once. */
class WireWriter {
  pos = 0;
  readonly bytes: Uint8Array;
  private readonly view: DataView;

  constructor(size: number) {
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
  }

  varint(v: number): void {
    const bytes = this.bytes;
    if (v < 0) {
      // Two's complement over 64 bits, as protobuf writes a negative int64 or int32.
      let big = BigInt.asUintN(64, BigInt(v));
      for (let i = 0; i < 9; i++) {
        bytes[this.pos++] = Number(big & 0x7fn) | 0x80;
        big >>= 7n;
      }
      bytes[this.pos++] = Number(big);
      return;
    }
    while (v >= 128) {
      bytes[this.pos++] = (v % 128) | 0x80;
      v = Math.floor(v / 128);
    }
    bytes[this.pos++] = v;
  }

  scalar(kind: ScalarKind, v: unknown): void {
    switch (kind) {
      case "float":
        this.view.setFloat32(this.pos, v as number, true);
        this.pos += 4;
        return;
      case "double":
        this.view.setFloat64(this.pos, v as number, true);
        this.pos += 8;
        return;
      case "string": {
        const s = v as string;
        const n = utf8Length(s);
        this.varint(n);
        utf8Encoder.encodeInto(s, this.bytes.subarray(this.pos, this.pos + n));
        this.pos += n;
        return;
      }
      case "bytes": {
        const b = v as Uint8Array;
        this.varint(b.length);
        this.bytes.set(b, this.pos);
        this.pos += b.length;
        return;
      }
      default:
        this.varint(v as number);
    }
  }

  message(spec: MessageSpec, m: WireMessage, sizes: Sizes): void {
    for (const f of spec.fields) {
      const v = m[f.key];
      if (!present(v)) continue;
      const { kind } = f;
      const wireType = typeof kind === "object" ? LEN : WIRE_TYPE_OF[kind];
      if (f.repeated) {
        const list = v as ArrayLike<unknown>;
        if (list.length === 0) continue;
        if (isNumeric(kind)) {
          this.varint(f.number * 8 + LEN);
          this.varint(packedSize(kind, list as ArrayLike<number>, ""));
          for (let i = 0; i < list.length; i++) this.scalar(kind, list[i]);
          continue;
        }
        for (let i = 0; i < list.length; i++) {
          this.varint(f.number * 8 + wireType);
          this.value(kind, list[i], sizes);
        }
        continue;
      }
      this.varint(f.number * 8 + wireType);
      this.value(kind, v, sizes);
    }
  }

  private value(kind: ScalarKind | MessageSpec, v: unknown, sizes: Sizes): void {
    if (typeof kind !== "object") return this.scalar(kind, v);
    this.varint(sizes.get(v as object) as number);
    this.message(kind, v as WireMessage, sizes);
  }
}

/**
 * Encodes `message` after `spec`: fields in the table's order (by number), absent ones left out,
 * repeated numbers packed.
 *
 * @throws BackpropError `INVALID_ARGUMENT` naming the field of a value its type cannot hold
 */
export function encodeWire(message: object, spec: MessageSpec): Uint8Array {
  const sizes: Sizes = new Map();
  const w = new WireWriter(messageSize(spec, message, "", sizes));
  w.message(spec, message as WireMessage, sizes);
  return w.bytes;
}
