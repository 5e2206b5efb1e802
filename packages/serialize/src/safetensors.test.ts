import { parseSafetensorsMetadata } from "@huggingface/hub";
import { isBackpropError } from "@backprop/linalg";
import { Matrix } from "@backprop/linalg";
import { referenceExample } from "@backprop/layers";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { modelFromSafetensors, modelToSafetensors } from "./model-safetensors.js";
import { decodeSafetensors, encodeSafetensors } from "./safetensors.js";
import { classifier, twoClassData, weightsOf } from "./test-models.test-util.js";

/** A fetch serving one in-memory file, with HEAD and Range support, as a hub would. */
function memoryFetch(bytes: Uint8Array): typeof fetch {
  return (async (_input: unknown, init?: RequestInit) => {
    const headers = new Headers(init?.headers);
    const method = init?.method ?? "GET";
    const range = headers.get("Range") ?? headers.get("range");
    const base = { "Accept-Ranges": "bytes", "Content-Type": "application/octet-stream", ETag: '"x"' };
    if (method === "HEAD") return new Response(null, { status: 200, headers: { ...base, "Content-Length": String(bytes.length) } });
    if (range) {
      const [, a, b] = /bytes=(\d+)-(\d*)/.exec(range) ?? [];
      const start = Number(a);
      const end = Math.min(b ? Number(b) : bytes.length - 1, bytes.length - 1);
      const body = bytes.slice(start, end + 1);
      return new Response(body, {
        status: 206,
        headers: { ...base, "Content-Length": String(body.length), "Content-Range": `bytes ${start}-${end}/${bytes.length}` },
      });
    }
    return new Response(bytes.slice(), { status: 200, headers: { ...base, "Content-Length": String(bytes.length) } });
  }) as typeof fetch;
}

describe("safetensors writer", () => {
  it("writes the exact bytes derived by hand from the spec", () => {
    const bytes = encodeSafetensors(
      [
        { name: "a", dtype: "F32", shape: [2], data: new Float32Array([1, -2]) },
        { name: "b", dtype: "F64", shape: [1], data: new Float64Array([0.5]) },
      ],
      { k: "v" },
    );
    const header =
      '{"__metadata__":{"k":"v"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F64","shape":[1],"data_offsets":[8,16]}}';
    // 133 header bytes + 8 = 141 → padded with 3 spaces to 144, so N = 136 = 0x88.
    const expected = [
      0x88, 0, 0, 0, 0, 0, 0, 0,
      ...Array.from(header, (c) => c.charCodeAt(0)), 0x20, 0x20, 0x20,
      0x00, 0x00, 0x80, 0x3f, // 1.0f
      0x00, 0x00, 0x00, 0xc0, // -2.0f
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xe0, 0x3f, // 0.5
    ];
    expect(Array.from(bytes)).toEqual(expected);
    const back = decodeSafetensors(bytes);
    expect(back.metadata).toEqual({ k: "v" });
    expect(Array.from(back.tensors.get("a")!.data)).toEqual([1, -2]);
    expect(back.tensors.get("b")!.data).toBeInstanceOf(Float64Array);
  });

  it("@huggingface/hub's header parser reads our model files (second opinion)", async () => {
    for (const dtype of ["float32", "float64"] as const) {
      const model = classifier(dtype).build();
      const bytes = modelToSafetensors(model);
      const parsed = await parseSafetensorsMetadata({
        repo: "backprop/test",
        path: "model.safetensors",
        fetch: memoryFetch(bytes),
        hubUrl: "http://hub.invalid",
      });
      expect(parsed.sharded).toBe(false);
      if (parsed.sharded) return;
      const names = model.params().map((p) => p.name);
      expect(Object.keys(parsed.header).filter((k) => k !== "__metadata__")).toEqual(names);
      for (const p of model.params()) {
        const entry = parsed.header[p.name] as { dtype: string; shape: number[] };
        expect(entry.dtype).toBe(dtype === "float32" ? "F32" : "F64");
        expect(entry.shape).toEqual([...p.value.shape]);
      }
      expect(parsed.header.__metadata__?.["format"]).toBe("backprop-model");
    }
  });
});

describe("safetensors model files", () => {
  for (const dtype of ["float32", "float64"] as const) {
    it(`save → load → predict is bit-identical and resumes exactly (${dtype})`, () => {
      const { x, y } = twoClassData(dtype);
      const straight = classifier(dtype);
      straight.fit(x, y, { epochs: 4, batchSize: 8 });
      const first = classifier(dtype);
      first.fit(x, y, { epochs: 2, batchSize: 8 });
      const loaded = modelFromSafetensors(modelToSafetensors(first));
      expect(Array.from(loaded.predict(x).data)).toEqual(Array.from(first.predict(x).data));
      loaded.fit(x, y, { epochs: 4, batchSize: 8, initialEpoch: loaded.epoch });
      expect(weightsOf(loaded)).toEqual(weightsOf(straight));
    });
  }

  it("validates before allocating: lengths, offsets, holes, overlaps, dtypes", () => {
    const good = encodeSafetensors([
      { name: "a", dtype: "F32", shape: [2], data: new Float32Array([1, 2]) },
      { name: "b", dtype: "F32", shape: [1], data: new Float32Array([3]) },
    ]);
    const withHeader = (header: string, data: number[] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]) => {
      const h = new TextEncoder().encode(header);
      const out = new Uint8Array(8 + h.length + data.length);
      new DataView(out.buffer).setUint32(0, h.length, true);
      out.set(h, 8);
      out.set(data, 8 + h.length);
      return out;
    };
    const message = (bytes: Uint8Array) => {
      try {
        decodeSafetensors(bytes, { file: "w.safetensors" });
      } catch (error) {
        expect(isBackpropError(error) && error.code === "INVALID_FILE").toBe(true);
        return (error as Error).message;
      }
      return "loaded";
    };
    expect(message(good)).toBe("loaded");
    const huge = good.slice();
    huge[4] = 1;
    expect(message(huge)).toMatch(/exceeds 100000000/);
    expect(message(good.slice(0, 20))).toMatch(/runs past the end/);
    expect(message(withHeader('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}'))).toMatch(/w.safetensors: b.data_offsets: covers 4 bytes|overlaps/);
    expect(message(withHeader('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}'))).toMatch(/b.data_offsets: leaves a hole/);
    expect(message(withHeader('{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,12]},"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}'))).toMatch(/overlaps/);
    expect(message(withHeader('{"a":{"dtype":"F16","shape":[6],"data_offsets":[0,12]}}'))).toMatch(/a.dtype: dtype F16 is not supported/);
    expect(message(withHeader('{"a":{"dtype":"F32","shape":[1e9,1e9],"data_offsets":[0,12]}}'))).toMatch(/a.shape/);
    expect(message(withHeader('{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,12],"x":1}}'))).toMatch(/a/);
    expect(message(withHeader('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}'))).toMatch(/4 bytes after the last tensor/);
    expect(message(withHeader('{"__metadata__":{"k":1}}', []))).toMatch(/__metadata__.k/);
  });
});

describe("frozen safetensors fixture", () => {
  it("fixtures/safetensors/v1-reference.safetensors keeps loading and predicts the worked example's published outputs", () => {
    const model = modelFromSafetensors(readFileSync(new URL("../fixtures/safetensors/v1-reference.safetensors", import.meta.url)));
    const out = model.predict(Matrix.fromArray([referenceExample.inputs as number[]], "float64")).asMatrix();
    expect(out.get(0, 0)).toBeCloseTo(0.75136507, 8);
    expect(out.get(0, 1)).toBeCloseTo(0.772928465, 8);
  });
});
