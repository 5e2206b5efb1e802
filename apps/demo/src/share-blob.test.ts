import { Rng } from "@backprop/linalg";
import { crc32, deflateRawSync, inflateRawSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { generateDataset, type Point } from "./datasets.js";
import { MAX_LINK_LENGTH, SHARE_BLOB_VERSION, ShareBlobError, decodeShareBlob, encodeShareBlob, fitsInLink, type ShareLayerWeights } from "./share-blob.js";

/** Random weights of a Dense stack with these layer sizes (inputs first), ~N(0, 0.5) as after training. */
function network(sizes: readonly number[], seed: number): ShareLayerWeights[] {
  const rng = new Rng(seed);
  return sizes.slice(1).map((units, l) => ({
    kernel: Array.from({ length: sizes[l] ?? 0 }, () => Array.from({ length: units }, () => rng.normal(0, 0.5))),
    bias: Array.from({ length: units }, () => rng.normal(0, 0.1)),
  }));
}

const fround = (weights: readonly ShareLayerWeights[]): ShareLayerWeights[] =>
  weights.map((w) => ({ kernel: w.kernel.map((row) => row.map(Math.fround)), bias: w.bias.map(Math.fround) }));
const froundPoints = (points: readonly Point[]): Point[] => points.map((p) => ({ x: Math.fround(p.x), y: Math.fround(p.y), label: Math.fround(p.label) }));

/** A payload as the format lays it out, with its CRC, compressed and in base64url (by node:zlib, not the code under test). */
function pack(bytes: readonly number[] | Uint8Array, crc = true): string {
  const body = Buffer.from(bytes as number[]);
  const sum = Buffer.alloc(4);
  sum.writeUInt32LE(crc32(body));
  return deflateRawSync(crc ? Buffer.concat([body, sum]) : body).toString("base64url");
}

/** Float32 numbers laid out byte-shuffled, as the format stores them. */
function shuffled(values: readonly number[]): number[] {
  const plain = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => plain.writeFloatLE(v, i * 4));
  const out: number[] = [];
  for (let b = 0; b < 4; b++) for (let k = 0; k < values.length; k++) out.push(plain[4 * k + b] ?? 0);
  return out;
}

async function rejection(text: string): Promise<ShareBlobError> {
  try {
    await decodeShareBlob(text);
  } catch (error) {
    if (error instanceof ShareBlobError) return error;
    throw new Error(`${JSON.stringify(text.slice(0, 60))} threw ${String(error)}, not a ShareBlobError`);
  }
  throw new Error(`${JSON.stringify(text.slice(0, 60))} decoded without an error`);
}

const BIG = [7, 8, 8, 8, 8, 8, 8, 5];

describe("share blob round trip", () => {
  it("carries a 7-8-8-8-8-8-8-5 network and 500 points exactly as float32", async () => {
    const weights = network(BIG, 1);
    const points = generateDataset("spiral5", { noise: 0.2, seed: 1 });
    const blob = await encodeShareBlob({ weights, points });
    expect(blob).toMatch(/^[A-Za-z0-9_-]+$/);
    const decoded = await decodeShareBlob(blob);
    expect(decoded.weights).toEqual(fround(weights));
    expect(decoded.points).toEqual(froundPoints(points));

    const weightsOnly = await encodeShareBlob({ weights });
    const pointsOnly = await encodeShareBlob({ points });
    const regression = await encodeShareBlob({ weights, points: generateDataset("multiGauss", { noise: 0.2, seed: 1 }) });
    const numbers = 7 * 8 + 8 + 5 * (8 * 8 + 8) + 8 * 5 + 5;
    console.log(
      `share blob, 7-8-8-8-8-8-8-5 (${numbers} weights) + 500 spiral5 points (${(numbers + 1500) * 4} float32 bytes): ${blob.length} characters; ` +
        `weights only ${weightsOnly.length}, points only ${pointsOnly.length}; with 500 regression points ${regression.length}`,
    );
    // float32 noise hardly compresses: the gain is the labels' column and the shuffled sign and
    // exponent bytes; uncompressed base64 would take 4/3 of the float bytes
    expect(blob.length).toBeLessThan(((numbers + 1500) * 4 * 4) / 3 * 0.8);
    // the configuration part of a link is ~400 characters: 500 points fit, and so do the weights alone
    expect(fitsInLink(pointsOnly.length + 400)).toBe(true);
    expect(fitsInLink(weightsOnly.length + 400)).toBe(true);
    expect((await decodeShareBlob(weightsOnly)).points).toBeUndefined();
    expect((await decodeShareBlob(pointsOnly)).weights).toBeUndefined();
  });

  it("carries what it is given: nothing, empty lists, tiny networks, signed zeros, float32 extremes", async () => {
    expect(await decodeShareBlob(await encodeShareBlob({}))).toEqual({});
    expect(await decodeShareBlob(await encodeShareBlob({ weights: [], points: [] }))).toEqual({ weights: [], points: [] });
    const tiny = [{ kernel: [[-0]], bias: [3.4e38] }, { kernel: [[1e-45]], bias: [0.1] }];
    const decoded = await decodeShareBlob(await encodeShareBlob({ weights: tiny, points: [{ x: -6, y: 6, label: 4 }] }));
    expect(decoded.weights).toEqual(fround(tiny));
    expect(Object.is(decoded.weights?.[0]?.kernel[0]?.[0], -0)).toBe(true);
    expect(decoded.points).toEqual([{ x: -6, y: 6, label: 4 }]);
  });

  it("property: random networks and point sets read back as their float32 rounding", async () => {
    const rng = new Rng(21);
    for (let n = 0; n < 60; n++) {
      const sizes = Array.from({ length: 1 + rng.int(6) }, () => 1 + rng.int(9));
      const weights = sizes.length > 1 ? network(sizes, n) : undefined;
      const points = rng.int(3) > 0 ? Array.from({ length: rng.int(80) }, () => ({ x: rng.uniform(-6, 6), y: rng.uniform(-6, 6), label: rng.int(2) ? rng.int(5) : rng.uniform(-1, 1) })) : undefined;
      const decoded = await decodeShareBlob(await encodeShareBlob({ ...(weights ? { weights } : {}), ...(points ? { points } : {}) }));
      expect(decoded).toEqual({ ...(weights ? { weights: fround(weights) } : {}), ...(points ? { points: froundPoints(points) } : {}) });
    }
  });

  it("writes the documented layout: version, flags, sizes, count, shuffled float32, CRC-32, deflate-raw", async () => {
    const weights = [{ kernel: [[1, 2]], bias: [3, 4] }];
    const points = [{ x: 0.5, y: -0.5, label: 1 }];
    const raw = inflateRawSync(Buffer.from(await encodeShareBlob({ weights, points }), "base64url"));
    const body = [SHARE_BLOB_VERSION, 3, 1, 1, 0, 2, 0, 1, 0, 0, 0, ...shuffled([1, 2, 3, 4, 0.5, -0.5, 1])];
    expect([...raw.subarray(0, raw.length - 4)]).toEqual(body);
    expect(raw.readUInt32LE(raw.length - 4)).toBe(crc32(Buffer.from(body)));
    // and what another implementation packs the same way reads back
    expect(await decodeShareBlob(pack(body))).toEqual({ weights, points });
  });
});

describe("share blob errors", () => {
  it("refuses text that is not base64url, with the character", async () => {
    expect((await rejection("")).message).toBe("the data is empty");
    expect((await rejection("abc+def")).message).toBe('the data is not base64url: "+" at character 4 (links carry A–Z a–z 0–9 - _ only)');
    expect((await rejection("abcd/A")).message).toMatch(/"\/" at character 5/);
    expect((await rejection("abcdef==")).message).toMatch(/"=" at character 7/);
    expect((await rejection("ab cd")).message).toMatch(/" " at character 3/);
    expect((await rejection("abcde")).message).toBe("the data is cut off: 5 characters is not a whole number of bytes in base64url");
    expect((await rejection("AB")).message).toBe("the data is damaged: its last character is not one base64url ends with");
  });

  it("refuses every cut of a real link", async () => {
    const blob = await encodeShareBlob({ weights: network([2, 3, 1], 4), points: generateDataset("xor", { noise: 0, seed: 1, samples: 12 }) });
    for (let length = 0; length < blob.length; length++) {
      const error = await rejection(blob.slice(0, length));
      expect(error.message).toMatch(/^the data (is empty|is cut off|is damaged|ends early)/);
    }
  });

  // NOTE: deflate has a little slack — the padding bits of its last byte, some code-length
  // entries no symbol uses — and Node's DecompressionStream ignores bytes after the end (Chrome's
  // refuses them). A change there gives back the very same bytes, which the CRC then confirms: it
  // damages nothing. What must never happen is different data without an error.
  it("never reads a changed character as different data", async () => {
    const data = { weights: network([2, 3, 1], 5), points: generateDataset("blobs3", { noise: 0, seed: 1, samples: 9 }) };
    const blob = await encodeShareBlob(data);
    const original = await decodeShareBlob(blob);
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let refused = 0;
    let harmless = 0;
    for (let i = 0; i < blob.length; i++) {
      for (const ch of alphabet) {
        if (ch === blob[i]) continue;
        const changed = blob.slice(0, i) + ch + blob.slice(i + 1);
        try {
          expect(await decodeShareBlob(changed), changed).toEqual(original);
          harmless++;
        } catch (error) {
          if (!(error instanceof ShareBlobError)) throw error;
          refused++;
        }
      }
    }
    expect(refused).toBeGreaterThan(0.97 * (refused + harmless));
  });

  it("never reads extra text after a real link as different data", async () => {
    const blob = await encodeShareBlob({ points: [{ x: 1, y: 2, label: 0 }] });
    for (const extra of ["A", "AA", "AAAA", "xyzw1234"]) {
      try {
        expect(await decodeShareBlob(blob + extra)).toEqual({ points: [{ x: 1, y: 2, label: 0 }] });
      } catch (error) {
        expect(error).toBeInstanceOf(ShareBlobError);
      }
    }
    await rejection(`${blob}.`); // punctuation a chat app glued on
  });

  it("refuses a payload with the wrong checksum or too short for one", async () => {
    const body = [SHARE_BLOB_VERSION, 2, 0, 0, 0, 0];
    expect(await decodeShareBlob(pack(body))).toEqual({ points: [] });
    expect((await rejection(pack([...body, 0, 0, 0, 0], false))).message).toBe("the data is damaged: its checksum does not match (was the link cut or edited?)");
    expect((await rejection(pack([1, 2, 3], false))).message).toBe("the data is damaged: 3 bytes is too short for its checksum");
  });

  it.each([
    ["a newer version", [2, 1, 0], /^format version 2 is not one this page reads \(it reads version 1\); the link may come from a newer playground$/],
    ["version 0", [0], /^format version 0/],
    ["unknown flags", [1, 4], /^unknown flags 4 in the header/],
    ["no flags byte", [1], /^the data ends early: the header stops before the flags$/],
    ["no layer count", [1, 1], /^the data ends early: the header stops before the layer count$/],
    ["a missing size", [1, 1, 2, 7, 0, 8, 0], /^the data ends early: the header stops before layer size 2$/],
    ["half a size", [1, 1, 1, 7, 0, 8], /^the data ends early: the header stops before layer size 1$/],
    ["a zero size", [1, 1, 1, 7, 0, 0, 0], /^layer size 1 is 0 \(a layer needs at least one input and one unit\)$/],
    ["a short count", [1, 2, 5, 0, 0], /^the data ends early: the header stops before the point count$/],
    ["numbers missing", [1, 1, 1, 1, 0, 1, 0, ...shuffled([0.5])], /^the data ends early: the header announces 2 numbers \(8 bytes\), found 4 bytes$/],
    ["numbers to spare", [1, 2, 1, 0, 0, 0, ...shuffled([1, 2, 3, 4])], /^the shapes do not add up: the header announces 3 numbers \(12 bytes\), found 16 bytes$/],
    ["a count far beyond the data", [1, 2, 255, 255, 255, 255, ...shuffled([1, 2, 3])], /^the data ends early: the header announces 12,884,901,885 numbers/],
    ["a point that is NaN", [1, 2, 1, 0, 0, 0, ...shuffled([1, Number.NaN, 0])], /^point 0's y is NaN; a shared link only carries finite numbers$/],
    ["an infinite weight", [1, 1, 1, 1, 0, 1, 0, ...shuffled([0, Number.POSITIVE_INFINITY])], /^bias\[0\] of layer 0 is Infinity/],
  ])("refuses %s", async (_, body, message) => {
    expect((await rejection(pack(body))).message).toMatch(message);
  });

  it("refuses a payload that unpacks to more than a playground's", async () => {
    const bomb = deflateRawSync(Buffer.alloc(5 * 1024 * 1024)).toString("base64url");
    expect(bomb.length).toBeLessThan(MAX_LINK_LENGTH);
    expect((await rejection(bomb)).message).toBe("the data unpacks to more than 4,194,304 bytes, far more than a playground link holds");
  });

  it("fuzz: random text only ever gives data or a ShareBlobError", async () => {
    const rng = new Rng(8);
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    for (let n = 0; n < 300; n++) {
      const text = Array.from({ length: rng.int(40) }, () => alphabet[rng.int(64)]).join("");
      await rejection(text);
    }
  });

  it("refuses to write what a link cannot carry", async () => {
    const write = async (data: Parameters<typeof encodeShareBlob>[0]): Promise<string> => {
      try {
        await encodeShareBlob(data);
      } catch (error) {
        if (error instanceof ShareBlobError) return error.message;
        throw error;
      }
      throw new Error("encoded without an error");
    };
    const [a, b] = network([2, 3, 1], 1);
    if (!a || !b) throw new Error("no layers");
    expect(await write({ weights: [a, a] })).toBe("layer 1 takes 2 inputs but layer 0 has 3 units (the layers must chain)");
    expect(await write({ weights: [{ kernel: [[1, 2], [3]], bias: [0, 0] }] })).toBe("layer 0: kernel row 1 has 1 values, but the bias has 2");
    expect(await write({ weights: [{ kernel: [], bias: [] }] })).toBe("layer 0 is 0 × 0; sizes must be 1–65535");
    expect(await write({ weights: [a, { kernel: b.kernel, bias: [Number.NaN] }] })).toBe("bias[0] of layer 1 is NaN, which a link cannot carry (it must be finite in float32)");
    expect(await write({ weights: [{ kernel: [[1e39]], bias: [0] }] })).toMatch(/^weight kernel\[0\]\[0\] of layer 0 is 1e\+39/);
    expect(await write({ points: [{ x: 0, y: Number.POSITIVE_INFINITY, label: 0 }] })).toMatch(/^point 0's y is Infinity/);
    expect(await write({ weights: Array.from({ length: 256 }, () => ({ kernel: [[1]], bias: [0] })) })).toBe("too many layers to share (got 256, at most 255)");
  });

  it("knows how long a link may be", () => {
    expect(MAX_LINK_LENGTH).toBe(8000);
    expect(fitsInLink(8000)).toBe(true);
    expect(fitsInLink(8001)).toBe(false);
  });
});
