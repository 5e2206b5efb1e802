import type { Point } from "./datasets.js";

// NOTE: the layout (version 1), all little-endian, deflate-raw compressed, then base64url:
//   u8 version · u8 flags (1 = weights, 2 = points)
//   weights: u8 L (Dense layers) · u16 × (L + 1) layer sizes n₀ (inputs) … n_L (outputs)
//   points:  u32 N
//   then every number as float32, byte-shuffled: first byte 0 of every float, then byte 1, … —
//   weights layer by layer (kernel row-major, then bias), then the points' x's, y's and labels
//   u32 CRC-32 of every byte before it (kept in every version, so damage is told from newness)
// Shuffled bytes compress better: sign and exponent bytes of similar numbers repeat, and class
// labels stored column by column are runs of a few distinct values. The CRC is there because
// deflate-raw has no check of its own: a link with one character changed (by hand, or by an app
// that "fixes" text) would otherwise open with silently different weights.

/** The format version {@link encodeShareBlob} writes and {@link decodeShareBlob} reads. */
export const SHARE_BLOB_VERSION = 1;

/**
 * Longest link (in characters) the page shares as is. Browsers and most chat apps accept far
 * longer ones, but some mail clients, QR codes and older proxies stop near 8 k, so beyond it the
 * page drops the weights or warns.
 */
export const MAX_LINK_LENGTH = 8000;

/** Decompressed data beyond this is not a playground's (whose weights and 5 000 points are ~70 KB). */
const MAX_DECODED_BYTES = 4 * 1024 * 1024;

const FLAG_WEIGHTS = 1;
const FLAG_POINTS = 2;
/** Layer sizes are stored as u16, layer counts as u8. */
const MAX_SIZE = 0xffff;
const MAX_LAYERS = 0xff;

/** Share-link data that cannot be written or read; the message says what is wrong with it. */
export class ShareBlobError extends Error {
  override readonly name = "ShareBlobError";
}

/** One Dense layer's weights, as the page holds them: `kernel[input][unit]` and `bias[unit]`. */
export interface ShareLayerWeights {
  readonly kernel: readonly (readonly number[])[];
  readonly bias: readonly number[];
}

/** What a share link may carry besides its configuration. */
export interface ShareData {
  /** The trained weights of the network's Dense layers, inputs first (each takes the previous one's units). */
  readonly weights?: readonly ShareLayerWeights[];
  /** The user's own points. */
  readonly points?: readonly Point[];
}

/** What {@link decodeShareBlob} returns: fresh arrays, numbers as float32 gave them back. */
export interface DecodedShareData {
  weights?: { kernel: number[][]; bias: number[] }[];
  points?: Point[];
}

/**
 * Whether a link of this many characters is short enough to share as is ({@link MAX_LINK_LENGTH});
 * pass the whole link's length (its hash is nearly all of it).
 *
 * @example
 * ```ts
 * if (!fitsInLink(url.length)) notify("This link may not open everywhere.");
 * ```
 */
export function fitsInLink(hashLength: number): boolean {
  return hashLength <= MAX_LINK_LENGTH;
}

/**
 * Packs weights and points for a share link: a float32 binary payload with a small header,
 * compressed with deflate-raw (`CompressionStream`, in browsers and Node ≥ 20) and written as
 * base64url without padding (safe in a URL hash as is).
 *
 * Numbers are rounded to float32 (`Math.fround`): ~7 significant digits, plenty to redraw a
 * network and its decision boundary, and half the size of float64. Measured: a 7-8-8-8-8-8-8-5
 * network (469 numbers) takes ≈ 2.4 k characters, 500 points ≈ 5.5 k, both ≈ 7.9 k — trained
 * weights and point coordinates are float32 noise that deflate barely shrinks, so a link with both
 * may exceed {@link MAX_LINK_LENGTH}.
 *
 * @throws ShareBlobError when the layers do not chain (a layer's kernel rows ≠ the previous
 * layer's units), a kernel is ragged, a size is 0 or above 65 535, there are more than 255 layers,
 * or a number is not finite in float32 (a diverged network: NaN weights are not worth sharing).
 * @example
 * ```ts
 * const blob = await encodeShareBlob({ weights: snapshot.weights, points });
 * location.hash = `${encodeState(state)}&blob=${blob}`;
 * ```
 */
export async function encodeShareBlob(data: ShareData): Promise<string> {
  const { weights, points } = data;
  const sizes = weights ? layerSizes(weights) : [];
  const header: number[] = [SHARE_BLOB_VERSION, (weights ? FLAG_WEIGHTS : 0) | (points ? FLAG_POINTS : 0)];
  if (weights) {
    header.push(weights.length);
    for (const size of sizes) header.push(size & 0xff, size >>> 8);
  }
  if (points) {
    if (points.length > 0xffffffff) throw new ShareBlobError(`too many points to share (got ${points.length})`);
    const n = points.length;
    header.push(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24);
  }

  const numbers: number[] = [];
  const push = (v: number, what: () => string): void => {
    const f = Math.fround(v);
    if (!Number.isFinite(f)) throw new ShareBlobError(`${what()} is ${v}, which a link cannot carry (it must be finite in float32)`);
    numbers.push(f);
  };
  weights?.forEach((layer, l) => {
    layer.kernel.forEach((row, i) => row.forEach((v, j) => push(v, () => `weight kernel[${i}][${j}] of layer ${l}`)));
    layer.bias.forEach((v, j) => push(v, () => `bias[${j}] of layer ${l}`));
  });
  if (points) {
    for (const key of ["x", "y", "label"] as const) points.forEach((p, i) => push(p[key], () => `point ${i}'s ${key}`));
  }

  const floats = new DataView(new ArrayBuffer(numbers.length * 4));
  numbers.forEach((v, i) => floats.setFloat32(i * 4, v, true));
  const bytes = new Uint8Array(header.length + numbers.length * 4 + 4);
  bytes.set(header);
  shuffle(new Uint8Array(floats.buffer), bytes.subarray(header.length), numbers.length);
  new DataView(bytes.buffer).setUint32(bytes.length - 4, crc32(bytes.subarray(0, bytes.length - 4)), true);
  return toBase64Url(await transform(bytes, new CompressionStream("deflate-raw"), Infinity));
}

/**
 * Reads what {@link encodeShareBlob} wrote, checking everything: the text, the compression, the
 * version, the header and that the numbers fill exactly the shapes it announces.
 *
 * @throws ShareBlobError (and nothing else) with a message fit for the page, e.g.
 * `the data ends early: the header announces 1,969 numbers (7,876 bytes), found 7,000 bytes`.
 * @example
 * ```ts
 * const { weights, points } = await decodeShareBlob(new URLSearchParams(hash).get("blob") ?? "");
 * ```
 */
export async function decodeShareBlob(text: string): Promise<DecodedShareData> {
  let unpacked: Uint8Array<ArrayBuffer>;
  try {
    unpacked = await transform(fromBase64Url(text), new DecompressionStream("deflate-raw"), MAX_DECODED_BYTES);
  } catch (error) {
    if (error instanceof ShareBlobError) throw error;
    throw new ShareBlobError(`the data is damaged: it does not decompress (${error instanceof Error ? error.message : String(error)})`, { cause: error });
  }
  if (unpacked.length < 4) throw new ShareBlobError(`the data is damaged: ${unpacked.length} bytes is too short for its checksum`);
  const bytes = unpacked.subarray(0, unpacked.length - 4);
  if (new DataView(unpacked.buffer).getUint32(bytes.length, true) !== crc32(bytes)) {
    throw new ShareBlobError("the data is damaged: its checksum does not match (was the link cut or edited?)");
  }

  let at = 0;
  const byte = (what: string): number => {
    const b = bytes[at++];
    if (b === undefined) throw new ShareBlobError(`the data ends early: the header stops before ${what}`);
    return b;
  };
  const version = byte("the version");
  if (version !== SHARE_BLOB_VERSION) {
    throw new ShareBlobError(`format version ${version} is not one this page reads (it reads version ${SHARE_BLOB_VERSION}); the link may come from a newer playground`);
  }
  const flags = byte("the flags");
  if ((flags & ~(FLAG_WEIGHTS | FLAG_POINTS)) !== 0) throw new ShareBlobError(`unknown flags ${flags} in the header (expected a combination of 1 = weights and 2 = points)`);

  const sizes: number[] = [];
  if (flags & FLAG_WEIGHTS) {
    const layers = byte("the layer count");
    // L layers have L + 1 sizes (inputs, then each layer's units); no layers, no sizes
    for (let i = 0; i < (layers === 0 ? 0 : layers + 1); i++) {
      const size = byte(`layer size ${i}`) | (byte(`layer size ${i}`) << 8);
      if (size === 0) throw new ShareBlobError(`layer size ${i} is 0 (a layer needs at least one input and one unit)`);
      sizes.push(size);
    }
  }
  let count = 0;
  if (flags & FLAG_POINTS) {
    count = (byte("the point count") | (byte("the point count") << 8) | (byte("the point count") << 16)) + byte("the point count") * 2 ** 24;
  }

  let expected = 3 * count;
  for (let l = 0; l + 1 < sizes.length; l++) expected += ((sizes[l] ?? 0) + 1) * (sizes[l + 1] ?? 0);
  const found = bytes.length - at;
  if (found !== expected * 4) {
    const announced = `the header announces ${expected.toLocaleString("en")} numbers (${(expected * 4).toLocaleString("en")} bytes)`;
    throw new ShareBlobError(found < expected * 4
      ? `the data ends early: ${announced}, found ${found.toLocaleString("en")} bytes`
      : `the shapes do not add up: ${announced}, found ${found.toLocaleString("en")} bytes`);
  }

  const plain = new Uint8Array(expected * 4);
  unshuffle(bytes.subarray(at), plain, expected);
  const view = new DataView(plain.buffer);
  let k = 0;
  const next = (what: () => string): number => {
    const v = view.getFloat32(4 * k++, true);
    if (!Number.isFinite(v)) throw new ShareBlobError(`${what()} is ${v}; a shared link only carries finite numbers`);
    return v;
  };

  const result: DecodedShareData = {};
  if (flags & FLAG_WEIGHTS) {
    result.weights = [];
    for (let l = 0; l + 1 < sizes.length; l++) {
      const inputs = sizes[l] ?? 0;
      const units = sizes[l + 1] ?? 0;
      const kernel = Array.from({ length: inputs }, (_, i) => Array.from({ length: units }, (_, j) => next(() => `weight kernel[${i}][${j}] of layer ${l}`)));
      const bias = Array.from({ length: units }, (_, j) => next(() => `bias[${j}] of layer ${l}`));
      result.weights.push({ kernel, bias });
    }
  }
  if (flags & FLAG_POINTS) {
    const column = (key: string): number[] => Array.from({ length: count }, (_, i) => next(() => `point ${i}'s ${key}`));
    const xs = column("x");
    const ys = column("y");
    const labels = column("label");
    result.points = xs.map((x, i) => ({ x, y: ys[i] ?? 0, label: labels[i] ?? 0 }));
  }
  return result;
}

/** The layer sizes n₀ … n_L of chained Dense layers, or a ShareBlobError saying where they do not chain. */
function layerSizes(weights: readonly ShareLayerWeights[]): number[] {
  if (weights.length > MAX_LAYERS) throw new ShareBlobError(`too many layers to share (got ${weights.length}, at most ${MAX_LAYERS})`);
  const sizes: number[] = [];
  weights.forEach((layer, l) => {
    const inputs = layer.kernel.length;
    const units = layer.bias.length;
    const previous = sizes[l];
    if (previous !== undefined && inputs !== previous) {
      throw new ShareBlobError(`layer ${l} takes ${inputs} inputs but layer ${l - 1} has ${previous} units (the layers must chain)`);
    }
    if (inputs < 1 || units < 1 || inputs > MAX_SIZE || units > MAX_SIZE) {
      throw new ShareBlobError(`layer ${l} is ${inputs} × ${units}; sizes must be 1–${MAX_SIZE}`);
    }
    layer.kernel.forEach((row, i) => {
      if (row.length !== units) throw new ShareBlobError(`layer ${l}: kernel row ${i} has ${row.length} values, but the bias has ${units}`);
    });
    if (l === 0) sizes.push(inputs);
    sizes.push(units);
  });
  return sizes;
}

let crcTable: Uint32Array | undefined;

/** CRC-32 (IEEE 802.3, as zip and PNG), the table built on first use (no work at import time). */
function crc32(bytes: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (const b of bytes) crc = (crcTable[(crc ^ b) & 0xff] ?? 0) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** Byte b of float k goes to `dst[b·n + k]`. */
function shuffle(src: Uint8Array, dst: Uint8Array, n: number): void {
  for (let k = 0; k < n; k++) for (let b = 0; b < 4; b++) dst[b * n + k] = src[4 * k + b] ?? 0;
}

/** The inverse of {@link shuffle}. */
function unshuffle(src: Uint8Array, dst: Uint8Array, n: number): void {
  for (let k = 0; k < n; k++) for (let b = 0; b < 4; b++) dst[4 * k + b] = src[b * n + k] ?? 0;
}

/** Runs bytes through a (de)compression stream, stopping once the output passes `limit` bytes. */
async function transform(bytes: Uint8Array<ArrayBuffer>, stream: CompressionStream | DecompressionStream, limit: number): Promise<Uint8Array<ArrayBuffer>> {
  const writer = stream.writable.getWriter();
  // NOTE: a failure shows on the reading side; this catch only keeps the writer's copy of it from
  // becoming an unhandled rejection
  writer.write(bytes).then(() => writer.close()).catch(() => undefined);
  const reader = stream.readable.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel().catch(() => undefined);
      throw new ShareBlobError(`the data unpacks to more than ${limit.toLocaleString("en")} bytes, far more than a playground link holds`);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const VALUES = new Map([...ALPHABET].map((ch, i) => [ch, i]));

/** Bytes as base64url without padding (RFC 4648 §5). */
function toBase64Url(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i += 3) {
    const n = ((bytes[i] ?? 0) << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    const chars = Math.min(4, Math.ceil(((bytes.length - i) * 8) / 6));
    for (let c = 0; c < chars; c++) out += ALPHABET[(n >>> (18 - 6 * c)) & 63];
  }
  return out;
}

/** base64url without padding back to bytes; only the canonical form (unused bits zero) is accepted. */
function fromBase64Url(text: string): Uint8Array<ArrayBuffer> {
  if (text.length === 0) throw new ShareBlobError("the data is empty");
  // NOTE: ceil, so a text cut to a length no encoder writes (4k + 1) still has room until its
  // length is checked below, after its characters (a wrong character is the likelier fault)
  const out = new Uint8Array(Math.ceil((text.length * 6) / 8));
  let bits = 0;
  let value = 0;
  let o = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] ?? "";
    const v = VALUES.get(ch);
    if (v === undefined) throw new ShareBlobError(`the data is not base64url: ${JSON.stringify(ch)} at character ${i + 1} (links carry A–Z a–z 0–9 - _ only)`);
    value = ((value << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (value >>> bits) & 0xff;
    }
  }
  if (text.length % 4 === 1) throw new ShareBlobError(`the data is cut off: ${text.length} characters is not a whole number of bytes in base64url`);
  if ((value & ((1 << bits) - 1)) !== 0) throw new ShareBlobError("the data is damaged: its last character is not one base64url ends with");
  return out.subarray(0, o);
}
