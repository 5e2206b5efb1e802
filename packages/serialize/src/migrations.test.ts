import { isBackpropError, Matrix, type Json } from "@backprop/linalg";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { migrate, MIGRATIONS, type RawModelFile } from "./migrations.js";
import { modelFromJSON } from "./model-file.js";
import { FORMAT_VERSION } from "./schema.js";

/** A version-1 file as version 1 wrote it: 2-D weights, the bias as a 1×units row, inputDim only. */
function v1File(): RawModelFile {
  return {
    format: "backprop-model",
    formatVersion: 1,
    model: {
      name: "m",
      dtype: "float64",
      seed: 0,
      inputDim: 2,
      layers: [
        { className: "dense", config: { name: "d0", units: 3, activation: { name: "tanh", config: {} }, useBias: true, inputDim: 2 } },
        { className: "dropout", config: { name: "drop", rate: 0.5 } },
        { className: "dense", config: { name: "d2", units: 1, useBias: false } },
        { className: "dense", config: { name: "d3", units: 2 } },
      ],
    },
    weights: [
      { name: "layers.0.kernel", shape: [2, 3], trainable: true, data: [1, 2, 3, 4, 5, 6] },
      { name: "layers.0.bias", shape: [1, 3], trainable: false, data: [0.1, 0.2, 0.3] },
      { name: "layers.2.kernel", shape: [3, 1], trainable: true, data: [1, -1, 0.5] },
      { name: "layers.3.kernel", shape: [1, 2], trainable: true, data: [2, -2] },
      { name: "layers.3.bias", shape: [1, 2], trainable: true, data: [0.5, -0.5] },
    ],
    metadata: { note: "kept" },
  };
}

describe("migrations", () => {
  it("there is one step per older version, up to the current one", () => {
    expect(FORMAT_VERSION).toBe(2);
    for (let n = 1; n < FORMAT_VERSION; n++) expect(typeof MIGRATIONS[n]).toBe("function");
  });

  it("1 → 2: inputShape from inputDim, Dense biases [1, u] → [u], kernels and values untouched", () => {
    const before = v1File();
    const after = migrate(before, 1) as { formatVersion: number; model: Record<string, Json>; weights: { name: string; shape: number[]; data: number[]; trainable: boolean }[]; metadata: Json };
    expect(after.formatVersion).toBe(2);
    expect(after.model["inputShape"]).toEqual([2]);
    expect(after.model["inputDim"]).toBe(2);
    expect(after.weights.map((w) => [w.name, w.shape])).toEqual([
      ["layers.0.kernel", [2, 3]],
      ["layers.0.bias", [3]],
      ["layers.2.kernel", [3, 1]],
      // A Dense kernel of [1, 2] is not a bias: it keeps its shape.
      ["layers.3.kernel", [1, 2]],
      ["layers.3.bias", [2]],
    ]);
    expect(after.weights.map((w) => w.data)).toEqual((before["weights"] as { data: number[] }[]).map((w) => w.data));
    expect(after.weights[1]?.trainable).toBe(false);
    expect(after.metadata).toEqual({ note: "kept" });
    // Pure: the input is not modified.
    expect(before).toEqual(v1File());
  });

  it("1 → 2 leaves a custom layer's 2-D weights as version 1 stored them (its Params were matrices then)", () => {
    const file = v1File() as { model: { layers: Json[] }; weights: Json[] };
    file.model.layers.push({ className: "acme>gain", config: {} });
    file.weights.push({ name: "layers.4.bias", shape: [1, 2], trainable: true, data: [1, 1] });
    const after = migrate(file as unknown as RawModelFile, 1) as { weights: { shape: number[] }[] };
    expect(after.weights[5]?.shape).toEqual([1, 2]);
  });

  it("a migrated v1 file loads and predicts x·W + b with the stored numbers", () => {
    const model = modelFromJSON(v1File());
    expect(model.inputShape).toEqual([2]);
    const x = [[0.5, -1]];
    const h = [0, 1, 2].map((j) => Math.tanh(0.5 * [1, 2, 3][j]! - 1 * [4, 5, 6][j]! + [0.1, 0.2, 0.3][j]!));
    const z = h[0]! * 1 + h[1]! * -1 + h[2]! * 0.5;
    const out = Array.from(model.predict(Matrix.fromArray(x, "float64")).data);
    expect(out[0]).toBeCloseTo(z * 2 + 0.5, 12);
    expect(out[1]).toBeCloseTo(z * -2 - 0.5, 12);
  });

  it("never throws on malformed input: it passes it through for the schema to report (property)", () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), fc.jsonValue({ maxDepth: 4 }), (model, weights) => {
        const file = { format: "backprop-model", formatVersion: 1, model, weights } as RawModelFile;
        const after = migrate(file, 1);
        expect(after["formatVersion"]).toBe(2);
        try {
          modelFromJSON(after);
        } catch (error) {
          if (!isBackpropError(error)) throw error;
        }
      }),
      { numRuns: 2000, seed: 42 },
    );
  });
});
