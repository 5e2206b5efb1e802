import { isBackpropError } from "@backprop/linalg";
import fc from "fast-check";
import { mkdtemp, readFile } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { modelToOnnx } from "./onnx-export.js";
import { modelFromOnnx } from "./onnx-import.js";
import { decodeOnnxModel, decodeOnnxTensor, encodeOnnxModel, encodeOnnxTensor, ONNX_ATTRIBUTE_TYPE, ONNX_DATA_TYPE, type OnnxModel } from "./onnx-proto.js";
import { lenet, normalizedClassifier, randomBatch, rawData } from "./test-models.test-util.js";

/*
 * Our protobuf codec (protobuf-wire.ts) for ONNX's messages: round trips of any message, the
 * encodings other writers use (unpacked lists, unknown fields, groups, long varints), files written
 * by PyTorch and by onnxruntime, and malformed bytes, which throw INVALID_FILE naming the field and
 * the byte — never anything else.
 */

// --- Arbitrary messages, in the shape the decoder gives them: absent scalars left out, lists present.
const int64 = fc.maxSafeInteger();
const int32 = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
// NOTE: well-formed strings (a lone surrogate is written as U+FFFD, tested on its own below).
const text = fc.string({ unit: "binary", maxLength: 6 });
const bytes = fc.uint8Array({ maxLength: 12 });
const few = { maxLength: 3 };
const optional = { requiredKeys: [] as [] };
const entry = fc.record({ key: text, value: text }, optional);
const tensor = fc.record(
  {
    dims: fc.array(int64, few),
    dataType: int32,
    floatData: fc.float32Array(few),
    int32Data: fc.array(int32, few),
    int64Data: fc.array(int64, few),
    name: text,
    rawData: bytes,
    doubleData: fc.float64Array(few),
    docString: text,
    externalData: fc.array(entry, few),
    dataLocation: int32,
  },
  { requiredKeys: ["dims", "floatData", "int32Data", "int64Data", "doubleData", "externalData"] },
);
const valueInfo = fc.record(
  {
    name: text,
    type: fc.record(
      {
        tensorType: fc.record({ elemType: int32, shape: fc.record({ dim: fc.array(fc.record({ dimValue: int64, dimParam: text, denotation: text }, optional), few) }) }, optional),
        denotation: text,
      },
      optional,
    ),
    docString: text,
  },
  optional,
);
const attribute = fc.record(
  {
    name: text,
    f: fc.float(),
    i: int64,
    s: bytes,
    t: tensor,
    floats: fc.float32Array(few),
    ints: fc.array(int64, few),
    strings: fc.array(bytes, few),
    tensors: fc.array(tensor, { maxLength: 2 }),
    docString: text,
    type: int32,
    refAttrName: text,
  },
  { requiredKeys: ["floats", "ints", "strings", "tensors"] },
);
const node = fc.record(
  { input: fc.array(text, few), output: fc.array(text, few), name: text, opType: text, attribute: fc.array(attribute, few), docString: text, domain: text },
  { requiredKeys: ["input", "output", "attribute"] },
);
const graph = fc.record(
  {
    node: fc.array(node, few),
    name: text,
    initializer: fc.array(tensor, few),
    docString: text,
    input: fc.array(valueInfo, few),
    output: fc.array(valueInfo, few),
    valueInfo: fc.array(valueInfo, few),
  },
  { requiredKeys: ["node", "initializer", "input", "output", "valueInfo"] },
);
const model: fc.Arbitrary<OnnxModel> = fc.record(
  {
    irVersion: int64,
    producerName: text,
    producerVersion: text,
    domain: text,
    modelVersion: int64,
    docString: text,
    graph,
    opsetImport: fc.array(fc.record({ domain: text, version: int64 }, optional), few),
    metadataProps: fc.array(entry, few),
  },
  { requiredKeys: ["opsetImport", "metadataProps"] },
);

// --- Bytes written by hand, as other protobuf writers may lay them out.
function varint(v: number | bigint): number[] {
  let big = BigInt.asUintN(64, BigInt(v));
  const out: number[] = [];
  do {
    const low = Number(big & 0x7fn);
    big >>= 7n;
    out.push(big > 0n ? low | 0x80 : low);
  } while (big > 0n);
  return out;
}
const tag = (field: number, wireType: number) => varint(field * 8 + wireType);
const lengthDelimited = (field: number, payload: readonly number[]) => [...tag(field, 2), ...varint(payload.length), ...payload];

/** An unknown field of any wire type (a group holds more of them). */
const unknownField: fc.Arbitrary<number[]> = fc.letrec<{ field: number[] }>((tie) => ({
  field: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.tuple(fc.integer({ min: 20, max: 5000 }), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 64n - 1n })).map(([n, v]) => [...tag(n, 0), ...varint(v)]),
    fc.tuple(fc.integer({ min: 20, max: 5000 }), fc.uint8Array({ minLength: 8, maxLength: 8 })).map(([n, b]) => [...tag(n, 1), ...b]),
    fc.tuple(fc.integer({ min: 20, max: 5000 }), fc.uint8Array({ maxLength: 10 })).map(([n, b]) => lengthDelimited(n, [...b])),
    fc.tuple(fc.integer({ min: 20, max: 5000 }), fc.uint8Array({ minLength: 4, maxLength: 4 })).map(([n, b]) => [...tag(n, 5), ...b]),
    fc.tuple(fc.integer({ min: 20, max: 5000 }), fc.array(tie("field"), { maxLength: 3 })).map(([n, inner]) => [...tag(n, 3), ...inner.flat(), ...tag(n, 4)]),
  ),
})).field;

/** The decoder's error: INVALID_FILE, naming the file, a field path and a byte offset. */
function decodeError(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(isBackpropError(error) && error.code, String(error)).toBe("INVALID_FILE");
    return (error as Error).message;
  }
  throw new Error("decoded");
}

describe("the ONNX protobuf codec: round trips", () => {
  it("property: any ModelProto decodes to what was encoded, and re-encodes to the same bytes", () => {
    fc.assert(
      fc.property(model, (m) => {
        const encoded = encodeOnnxModel(m);
        const decoded = decodeOnnxModel(encoded);
        expect(decoded).toEqual(m);
        expect(encodeOnnxModel(decoded)).toEqual(encoded);
      }),
      { numRuns: 300 },
    );
  });

  it("property: a lone TensorProto round-trips (ONNX's test data .pb files)", () => {
    fc.assert(
      fc.property(tensor, (t) => {
        expect(decodeOnnxTensor(encodeOnnxTensor(t))).toEqual(t);
      }),
    );
  });

  it("property: unknown fields of every wire type, groups included, are skipped wherever they are", () => {
    fc.assert(
      fc.property(tensor, fc.array(unknownField, { maxLength: 4 }), fc.array(unknownField, { maxLength: 4 }), (t, before, after) => {
        const known = encodeOnnxTensor(t);
        const withUnknown = Uint8Array.from([...before.flat(), ...known, ...after.flat()]);
        expect(decodeOnnxTensor(withUnknown)).toEqual(t);
      }),
    );
  });

  it("property: repeated numbers read the same packed (as we write them) or one tag each (proto2's default)", () => {
    fc.assert(
      fc.property(fc.array(int64, { maxLength: 6 }), fc.array(fc.float({ noNaN: true }), { maxLength: 6 }), (dims, floats) => {
        const unpacked = [
          ...dims.flatMap((d) => [...tag(1, 0), ...varint(d)]),
          ...floats.flatMap((f) => [...tag(4, 5), ...new Uint8Array(new Float32Array([f]).buffer)]),
        ];
        const t = decodeOnnxTensor(Uint8Array.from(unpacked));
        expect(t.dims).toEqual(dims);
        expect(Array.from(t.floatData)).toEqual(floats);
        // Both forms in one message: the values follow each other.
        const mixed = decodeOnnxTensor(Uint8Array.from([...encodeOnnxTensor({ dims }), ...unpacked]));
        expect(mixed.dims).toEqual([...dims, ...dims]);
      }),
    );
  });

  it("varints: negative int64 as 10 bytes, the ±2^53 edges, beyond 2^53 an unsafe number, 11 bytes refused", () => {
    const dims = (...values: (number | bigint)[]) => decodeOnnxTensor(Uint8Array.from(values.flatMap((v) => [...tag(1, 0), ...varint(v)]))).dims;
    expect(varint(-1)).toHaveLength(10);
    expect(dims(-1, 0, 1, 2 ** 53 - 1, -(2 ** 53 - 1), 2 ** 31, -(2 ** 31))).toEqual([-1, 0, 1, 2 ** 53 - 1, -(2 ** 53 - 1), 2 ** 31, -(2 ** 31)]);
    const [big] = dims(2n ** 63n - 1n);
    expect(Number.isSafeInteger(big)).toBe(false);
    expect(encodeOnnxTensor({ dims: [-1] })).toEqual(Uint8Array.from(lengthDelimited(1, varint(-1))));
    const eleven = Uint8Array.from([...tag(1, 0), ...Array(10).fill(0x80), 0x01]);
    expect(decodeError(() => decodeOnnxTensor(eleven, { file: "x.pb" }))).toBe("x.pb: dims: not a valid ONNX tensor file: at byte 1, a varint is longer than 10 bytes");
  });

  it("strings: UTF-8 both ways; a lone surrogate is written as U+FFFD, its length counted right", () => {
    const names = ["", "héllo", "日本", "😀 grin", "a\uD800b"];
    const decoded = decodeOnnxModel(encodeOnnxModel({ graph: { node: names.map((name) => ({ name })) } }));
    expect(decoded.graph?.node.map((n) => n.name)).toEqual(["", "héllo", "日本", "😀 grin", "a\uFFFDb"]);
  });

  it("refuses values their field cannot hold, naming the field (INVALID_ARGUMENT)", () => {
    const refusal = (run: () => unknown) => {
      try {
        run();
      } catch (error) {
        expect(isBackpropError(error) && error.code).toBe("INVALID_ARGUMENT");
        return (error as Error).message;
      }
      throw new Error("encoded");
    };
    expect(refusal(() => encodeOnnxModel({ graph: { node: [{ attribute: [{ name: "axis", i: 1.5 }] }] } }))).toBe("encodeOnnx: graph.node[0].attribute[0].i: expected an integer within ±2^53 (got 1.5)");
    expect(refusal(() => encodeOnnxTensor({ dataType: 2 ** 31 }))).toBe("encodeOnnx: dataType: expected a 32-bit integer (got 2147483648)");
    expect(refusal(() => encodeOnnxTensor({ dims: [2 ** 53] }))).toMatch(/^encodeOnnx: dims\[0\]: expected an integer/);
  });
});

describe("the ONNX protobuf codec: files other tools wrote", () => {
  const fixture = new URL("../fixtures/onnx/pytorch-linear/", import.meta.url);

  it("PyTorch's test_Linear (ONNX's own test data): every field as written", () => {
    const m = decodeOnnxModel(readFileSync(new URL("model.onnx", fixture)));
    expect(m).toMatchObject({ irVersion: 3, producerName: "pytorch", producerVersion: "0.3", opsetImport: [{ version: 6 }] });
    const g = m.graph!;
    expect(g.node).toHaveLength(1);
    const gemm = g.node[0]!;
    expect([gemm.opType, gemm.input, gemm.output]).toEqual(["Gemm", ["0", "1", "2"], ["3"]]);
    const attrs = Object.fromEntries(gemm.attribute.map((a) => [a.name, a.type === ONNX_ATTRIBUTE_TYPE.FLOAT ? a.f : a.i]));
    expect(attrs).toEqual({ alpha: 1, beta: 1, broadcast: 1, transB: 1 });
    expect(g.initializer.map((t) => [t.name, t.dims, t.dataType, t.rawData?.length])).toEqual([
      ["1", [8, 10], ONNX_DATA_TYPE.FLOAT, 320],
      ["2", [8], ONNX_DATA_TYPE.FLOAT, 32],
    ]);
    expect(g.input.map((i) => [i.name, i.type?.tensorType?.shape?.dim.map((d) => d.dimValue)])).toEqual([
      ["0", [4, 10]],
      ["1", [8, 10]],
      ["2", [8]],
    ]);
    expect(g.output.map((o) => o.name)).toEqual(["3"]);
    const input = decodeOnnxTensor(readFileSync(new URL("test_data_set_0/input_0.pb", fixture)));
    expect([input.dims, input.dataType, input.rawData?.length]).toEqual([[4, 10], ONNX_DATA_TYPE.FLOAT, 160]);
  });

  it("raw_data stays a view of the file's bytes (no copy of the weights)", () => {
    const file = readFileSync(new URL("model.onnx", fixture));
    const raw = decodeOnnxModel(file).graph!.initializer[0]!.rawData!;
    expect(raw.buffer).toBe(file.buffer);
  });

  it("a model onnxruntime re-wrote (its own protobuf writer, more opsets and fields) reads back to the same model", async () => {
    const dir = await mkdtemp(join(tmpdir(), "onnx-ort-"));
    for (const [label, original, x] of [
      ["normalized classifier", normalizedClassifier("float32"), rawData(7, "float32")],
      ["lenet", lenet(), randomBatch(3, [13, 13, 2])],
    ] as const) {
      const path = join(dir, `${label}.onnx`);
      const session = await ort.InferenceSession.create(modelToOnnx(original), {
        optimizedModelFilePath: path,
        graphOptimizationLevel: "disabled",
        intraOpNumThreads: 1,
        interOpNumThreads: 1,
      });
      await session.release();
      const written = new Uint8Array(await readFile(path));
      expect(written, label).not.toEqual(modelToOnnx(original));
      const proto = decodeOnnxModel(written);
      expect(proto.opsetImport.length, label).toBeGreaterThan(1);
      expect(proto.graph?.node.map((n) => n.opType)).toEqual(decodeOnnxModel(modelToOnnx(original)).graph?.node.map((n) => n.opType));
      // The same layers and weights as from our own bytes (a Normalization's variance comes back as
      // std², so compare with our own round trip, not with the original).
      const back = modelFromOnnx(written);
      const ours = modelFromOnnx(modelToOnnx(original));
      expect(back.layers.map((l) => l.className)).toEqual(ours.layers.map((l) => l.className));
      expect(Array.from(back.predict(x).data), label).toEqual(Array.from(ours.predict(x).data));
    }
  });
});

describe("the ONNX protobuf codec: malformed bytes", () => {
  const exported = modelToOnnx(normalizedClassifier("float32"), { metadata: { columns: ["a", "b", "c", "d"] } });

  it("a truncated file: INVALID_FILE naming the file, the field being read and the byte", () => {
    const message = decodeError(() => decodeOnnxModel(exported.subarray(0, 40), { file: "cut.onnx" }));
    expect(message).toMatch(/^cut\.onnx: graph: not a valid ONNX file: at byte \d+, a length-delimited field of \d+ bytes runs past the end of its message \(got \d+ bytes left\)$/);
    const t = encodeOnnxTensor({ name: "w", dims: [2], rawData: new Uint8Array(8) });
    expect(decodeError(() => decodeOnnxTensor(t.subarray(0, t.length - 3), { file: "w.pb" }))).toBe(`w.pb: rawData: not a valid ONNX tensor file: at byte 7, a length-delimited field of 8 bytes runs past the end of its message (got 5 bytes left)`);
  });

  it("wrong wire types, bad packed lengths and stray group ends name the field", () => {
    expect(decodeError(() => decodeOnnxModel(Uint8Array.from([0x0a, 0xff, 0xff, 0xff, 0x0f])))).toBe(
      "irVersion: not a valid ONNX file: at byte 0, field 1 (int64) has the wrong wire type (got length-delimited, expected varint)",
    );
    expect(decodeError(() => decodeOnnxTensor(Uint8Array.from(lengthDelimited(4, [0, 0, 0]))))).toBe(
      "floatData: not a valid ONNX tensor file: at byte 0, a packed run of floats is 3 bytes, not a multiple of 4",
    );
    expect(decodeError(() => decodeOnnxTensor(Uint8Array.from(tag(30, 4))))).toBe("(root): not a valid ONNX tensor file: at byte 0, field 30 ends a group that was not started");
    expect(decodeError(() => decodeOnnxTensor(Uint8Array.from([...tag(30, 3), ...tag(31, 4)])))).toBe("(root): not a valid ONNX tensor file: at byte 2, group 30 is closed by an end-group tag of field 31");
    expect(decodeError(() => decodeOnnxTensor(Uint8Array.from([0x07])))).toBe("(root): not a valid ONNX tensor file: at byte 0, invalid field number 0");
  });

  it("property: any truncation, corrupted byte or junk either decodes or throws INVALID_FILE naming a byte — nothing else", () => {
    const mutation = fc.oneof(
      fc.nat({ max: exported.length }).map((n) => exported.subarray(0, n)),
      fc.tuple(fc.nat({ max: exported.length - 1 }), fc.integer({ min: 0, max: 255 })).map(([i, b]) => {
        const copy = exported.slice();
        copy[i] = b;
        return copy;
      }),
      fc.uint8Array({ maxLength: 64 }),
    );
    fc.assert(
      fc.property(mutation, (bytes) => {
        try {
          decodeOnnxModel(bytes);
        } catch (error) {
          expect(isBackpropError(error) && error.code, String(error)).toBe("INVALID_FILE");
          expect((error as Error).message).toMatch(/not a valid ONNX file: at byte \d+, /);
        }
        // …and the importer on top: a model, or INVALID_FILE.
        try {
          modelFromOnnx(bytes);
        } catch (error) {
          expect(isBackpropError(error) && error.code, String(error)).toBe("INVALID_FILE");
        }
      }),
      { numRuns: 400 },
    );
  });

  it("never allocates more than the bytes it has: a huge declared length is refused before any read", () => {
    const huge = Uint8Array.from([...tag(7, 2), ...varint(2 ** 40)]);
    expect(decodeError(() => decodeOnnxModel(huge))).toMatch(/^graph: .*at byte 1, a length-delimited field of 1099511627776 bytes runs past the end of its message \(got 0 bytes left\)$/);
  });
});
