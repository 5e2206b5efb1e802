import * as v from "valibot";
import { BackpropError, type FloatArray } from "@backprop/linalg";
import { formatPath, invalidFile, type FileLocation } from "./file-error.js";
import { parseJson } from "./safe-json.js";
import { MAX_TENSOR_ELEMENTS } from "./schema.js";
import { littleEndian } from "./endian.js";

/** Element types this package reads and writes. */
export type SafetensorsDType = "F32" | "F64";

/** One tensor of a safetensors file. */
export interface SafetensorsTensor {
  /** `"F32"` or `"F64"`. */
  readonly dtype: SafetensorsDType;
  /** Dimensions, outermost first; `[]` is a scalar. */
  readonly shape: readonly number[];
  /** Values, row-major (C order). */
  readonly data: FloatArray;
}

/** What {@link decodeSafetensors} returns. */
export interface SafetensorsContents {
  /** Tensors by name, in file order. */
  readonly tensors: ReadonlyMap<string, SafetensorsTensor>;
  /** The `__metadata__` string map (`{}` when absent). */
  readonly metadata: Readonly<Record<string, string>>;
}

/** The spec's limit on the JSON header: 100 MB. */
export const MAX_SAFETENSORS_HEADER = 100_000_000;

const BYTES: Readonly<Record<SafetensorsDType, number>> = { F32: 4, F64: 8 };
const KNOWN_DTYPES = ["BOOL", "U8", "I8", "F8_E5M2", "F8_E4M3", "I16", "U16", "F16", "BF16", "I32", "U32", "F32", "F64", "I64", "U64"];
const encoder = /* @__PURE__ */ new TextEncoder();
// NOTE: safetensors is little-endian; on such a host (every common one) values are copied as they are.
const LITTLE_ENDIAN = /* @__PURE__ */ littleEndian();

/**
 * Writes a safetensors file: an 8-byte little-endian header length N, N bytes of JSON header
 * (`{"__metadata__": {…}, "name": {"dtype", "shape", "data_offsets": [begin, end]}, …}`, padded
 * with spaces so the data starts 8-byte aligned), then every tensor's little-endian bytes,
 * back to back in the order given, with no holes.
 *
 * @throws BackpropError `INVALID_ARGUMENT` for a duplicate or reserved name, or data whose length
 *   does not match the shape
 * @example
 * ```ts
 * const bytes = encodeSafetensors([{ name: "w", dtype: "F32", shape: [2], data: new Float32Array([1, 2]) }]);
 * ```
 */
export function encodeSafetensors(
  tensors: readonly (SafetensorsTensor & { readonly name: string })[],
  metadata?: Readonly<Record<string, string>>,
): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata !== undefined) header["__metadata__"] = { ...metadata };
  let offset = 0;
  for (const t of tensors) {
    if (t.name === "__metadata__" || Object.hasOwn(header, t.name)) {
      throw new BackpropError("INVALID_ARGUMENT", `encodeSafetensors: tensor name "${t.name}" is reserved or repeated`);
    }
    const elements = t.shape.reduce((a, b) => a * b, 1);
    if (elements !== t.data.length || !(t.dtype in BYTES)) {
      throw new BackpropError(
        "INVALID_ARGUMENT",
        `encodeSafetensors: tensor "${t.name}" has ${t.data.length} values (expected ${elements} for shape [${t.shape.join(", ")}], dtype F32 or F64)`,
      );
    }
    const end = offset + elements * BYTES[t.dtype];
    header[t.name] = { dtype: t.dtype, shape: [...t.shape], data_offsets: [offset, end] };
    offset = end;
  }
  const json = encoder.encode(JSON.stringify(header));
  const headerSize = Math.ceil((8 + json.length) / 8) * 8 - 8;
  const out = new Uint8Array(8 + headerSize + offset);
  const view = new DataView(out.buffer);
  view.setUint32(0, headerSize, true);
  view.setUint32(4, 0, true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerSize);
  let pos = 8 + headerSize;
  for (const t of tensors) {
    const size = BYTES[t.dtype];
    if (LITTLE_ENDIAN && pos % size === 0) new (t.dtype === "F32" ? Float32Array : Float64Array)(out.buffer, pos, t.data.length).set(t.data);
    else if (t.dtype === "F32") for (let i = 0; i < t.data.length; i++) view.setFloat32(pos + i * 4, t.data[i] as number, true);
    else for (let i = 0; i < t.data.length; i++) view.setFloat64(pos + i * 8, t.data[i] as number, true);
    pos += t.data.length * size;
  }
  return out;
}

const count = v.pipe(v.number(), v.safeInteger(), v.minValue(0));
const tensorEntry = v.strictObject({
  dtype: v.string(),
  shape: v.pipe(v.array(count), v.maxLength(8)),
  data_offsets: v.tuple([count, count]),
});
const metadataEntry = v.record(v.string(), v.string());

/**
 * Reads a safetensors file (F32 and F64 tensors), validating everything before allocating: the
 * header length (≤ 100 MB and inside the file), the JSON, each dtype, shape × element size =
 * byte length, offsets in range, sorted, non-overlapping and covering the data with no holes.
 *
 * @throws BackpropError `INVALID_FILE` naming the tensor and field that is wrong
 * @example
 * ```ts
 * const { tensors, metadata } = decodeSafetensors(bytes);
 * tensors.get("layers.0.kernel")?.data;
 * ```
 */
export function decodeSafetensors(bytes: Uint8Array, loc: FileLocation = {}): SafetensorsContents {
  return readSafetensors(bytes, loc, false);
}

/**
 * {@link decodeSafetensors}; with `share`, a tensor whose bytes are aligned is a view of `bytes`
 * (no copy: for a loader that copies the values into a model right away).
 */
export function readSafetensors(bytes: Uint8Array, loc: FileLocation, share: boolean): SafetensorsContents {
  if (!(bytes instanceof Uint8Array) || bytes.length < 8) {
    throw invalidFile(loc, "header", `too short for a safetensors file (got ${bytes?.length ?? 0} bytes, expected at least 8)`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const low = view.getUint32(0, true);
  const high = view.getUint32(4, true);
  if (high !== 0 || low > MAX_SAFETENSORS_HEADER) {
    throw invalidFile(loc, "header", `header length ${high * 2 ** 32 + low} exceeds ${MAX_SAFETENSORS_HEADER} bytes`);
  }
  if (8 + low > bytes.length) {
    throw invalidFile(loc, "header", `header length ${low} runs past the end of the file (${bytes.length} bytes)`);
  }
  if (low < 2 || bytes[8] !== 0x7b) throw invalidFile(loc, "header", "does not start with a JSON object");
  const parsed = parseJson(bytes.subarray(8, 8 + low), loc, "header");
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw invalidFile(loc, "header", "must be a JSON object");
  }
  const dataStart = 8 + low;
  const dataLength = bytes.length - dataStart;
  let metadata: Record<string, string> = {};
  const entries: { name: string; dtype: SafetensorsDType; shape: number[]; begin: number; end: number }[] = [];
  for (const [name, raw] of Object.entries(parsed)) {
    if (name === "__metadata__") {
      const m = v.safeParse(metadataEntry, raw);
      if (!m.success) throw invalidFile(loc, formatPath(["__metadata__", ...(m.issues[0].path ?? []).map((p) => p.key as string)]), m.issues[0].message);
      metadata = m.output;
      continue;
    }
    const r = v.safeParse(tensorEntry, raw);
    if (!r.success) throw invalidFile(loc, formatPath([name, ...(r.issues[0].path ?? []).map((p) => p.key as string | number)]), r.issues[0].message);
    const { dtype, shape, data_offsets: [begin, end] } = r.output;
    if (dtype !== "F32" && dtype !== "F64") {
      throw invalidFile(
        loc,
        formatPath([name, "dtype"]),
        KNOWN_DTYPES.includes(dtype) ? `dtype ${dtype} is not supported (expected F32 or F64)` : `unknown dtype ${JSON.stringify(dtype)}`,
      );
    }
    let elements = 1;
    for (const d of shape) {
      elements *= d;
      if (elements > MAX_TENSOR_ELEMENTS) throw invalidFile(loc, formatPath([name, "shape"]), `more than ${MAX_TENSOR_ELEMENTS} elements`);
    }
    if (end < begin || end > dataLength) {
      throw invalidFile(loc, formatPath([name, "data_offsets"]), `[${begin}, ${end}] is outside the data (${dataLength} bytes)`);
    }
    if (end - begin !== elements * BYTES[dtype]) {
      throw invalidFile(
        loc,
        formatPath([name, "data_offsets"]),
        `covers ${end - begin} bytes (expected ${elements} × ${BYTES[dtype]} = ${elements * BYTES[dtype]} for shape [${shape.join(", ")}])`,
      );
    }
    entries.push({ name, dtype, shape, begin, end });
  }
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expected = 0;
  for (const e of sorted) {
    if (e.begin !== expected) {
      throw invalidFile(
        loc,
        formatPath([e.name, "data_offsets"]),
        e.begin < expected ? `overlaps the previous tensor (starts at ${e.begin}, expected ${expected})` : `leaves a hole (starts at ${e.begin}, expected ${expected})`,
      );
    }
    expected = e.end;
  }
  if (expected !== dataLength) {
    throw invalidFile(loc, "data", `${dataLength - expected} bytes after the last tensor are not described by the header`);
  }
  const tensors = new Map<string, SafetensorsTensor>();
  for (const e of entries) {
    const n = (e.end - e.begin) / BYTES[e.dtype];
    const start = bytes.byteOffset + dataStart + e.begin;
    const Float = e.dtype === "F32" ? Float32Array : Float64Array;
    let data: Float32Array | Float64Array;
    if (LITTLE_ENDIAN && start % BYTES[e.dtype] === 0) {
      // The file's bytes are the values: a view, or one native copy.
      const values = new Float(bytes.buffer as ArrayBuffer, start, n);
      data = share ? values : values.slice();
    } else {
      data = new Float(n);
      let pos = dataStart + e.begin;
      if (e.dtype === "F32") for (let i = 0; i < n; i++, pos += 4) data[i] = view.getFloat32(pos, true);
      else for (let i = 0; i < n; i++, pos += 8) data[i] = view.getFloat64(pos, true);
    }
    tensors.set(e.name, { dtype: e.dtype, shape: e.shape, data });
  }
  return { tensors, metadata };
}
