import { Tensor } from "@backprop/linalg";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { decodeModel } from "./codec.js";
import { modelFromJSON, modelToJSON, readModelMetadata } from "./model-file.js";
import { modelFromSafetensors } from "./model-safetensors.js";
import { FORMAT_VERSION } from "./schema.js";

const fixture = (path: string) => readFileSync(new URL(`../fixtures/${path}`, import.meta.url));

interface Recorded {
  readonly generatedBy: string;
  readonly fixtures: Record<string, { input: number[][] | number[][][]; output: number[][] | number[][][] }>;
}

const load = (path: string) => (path.endsWith(".json") ? modelFromJSON(fixture(path).toString("utf8")) : modelFromSafetensors(fixture(path)));

describe("frozen version-1 fixtures (written before format version 2)", () => {
  // Recorded by fixtures/generate-v1.mjs with the code of git revision ebce811 (format version 1).
  const recorded = JSON.parse(fixture("v1-predictions.json").toString("utf8")) as Recorded;

  it("the recording covers every v1 fixture, JSON and safetensors", () => {
    expect(recorded.generatedBy).toContain("ebce811");
    expect(Object.keys(recorded.fixtures).sort()).toEqual([
      "json/v1-classifier.json",
      "json/v1-reference.json",
      "safetensors/v1-classifier.safetensors",
      "safetensors/v1-reference.safetensors",
    ]);
  });

  for (const [path, { input, output }] of Object.entries(recorded.fixtures)) {
    it(`${path} loads through the migration and predicts the same bits as version 1 did`, () => {
      expect(JSON.parse(path.endsWith(".json") ? fixture(path).toString("utf8") : "{}").formatVersion ?? 1).toBe(1);
      const model = load(path);
      expect(model.predict(Tensor.fromArray(input, model.dtype)).toArray()).toEqual(output);
    });
  }

  it("the v1 classifier keeps its biases as [units], its training progress and optimizer state, and resaves as version 2", () => {
    const model = load("json/v1-classifier.json");
    expect(model.inputShape).toEqual([3]);
    expect(model.params().map((p) => [p.name, [...p.value.shape]])).toEqual([
      ["layers.0.kernel", [3, 6]],
      ["layers.0.bias", [6]],
      ["layers.2.kernel", [6, 5]],
      ["layers.2.bias", [5]],
      ["layers.3.kernel", [5, 4]],
      ["layers.5.kernel", [4, 2]],
      ["layers.5.bias", [2]],
    ]);
    expect(model.epoch).toBe(2);
    expect(model.iterations).toBe(14);
    expect(model.optimizer?.stateDict().step).toBe(14);
    const again = modelToJSON(model);
    expect(again.formatVersion).toBe(FORMAT_VERSION);
    expect(again.model["inputShape"]).toEqual([3]);
    expect(again.weights.find((w) => w.name === "layers.0.bias")?.shape).toEqual([6]);
    expect(readModelMetadata(again)).toEqual({});
    expect(readModelMetadata(JSON.parse(fixture("json/v1-classifier.json").toString("utf8")))).toEqual({ columns: ["a", "b", "c"] });
  });

  it("the JSON and safetensors copies of a v1 model load to the same weights", () => {
    for (const name of ["reference", "classifier"]) {
      const a = load(`json/v1-${name}.json`);
      const b = load(`safetensors/v1-${name}.safetensors`);
      expect(b.params().map((p) => Array.from(p.value.data))).toEqual(a.params().map((p) => Array.from(p.value.data)));
      expect(b.getConfig()).toEqual(a.getConfig());
    }
  });
});

describe("frozen version-2 fixtures", () => {
  // Recorded by fixtures/generate-v2.mjs when format version 2 was introduced.
  const recorded = JSON.parse(fixture("v2-predictions.json").toString("utf8")) as Recorded;

  for (const [path, { input, output }] of Object.entries(recorded.fixtures)) {
    it(`${path} keeps loading and predicts its recorded outputs bit for bit`, () => {
      const model = load(path);
      expect(model.predict(Tensor.fromArray(input, model.dtype)).toArray()).toEqual(output);
    });
  }

  it("v2-classifier stores true shapes (bias [units], normalization [features]) and the per-sample inputShape", () => {
    const file = JSON.parse(fixture("json/v2-classifier.json").toString("utf8")) as ReturnType<typeof modelToJSON>;
    expect(file.formatVersion).toBe(2);
    expect(file.model["inputShape"]).toEqual([3]);
    expect(file.weights.map((w) => [w.name, w.shape])).toEqual([
      ["layers.0.mean", [3]],
      ["layers.0.variance", [3]],
      ["layers.1.kernel", [3, 6]],
      ["layers.1.bias", [6]],
      ["layers.3.kernel", [6, 5]],
      ["layers.3.bias", [5]],
      ["layers.4.kernel", [5, 4]],
      ["layers.6.kernel", [4, 2]],
      ["layers.6.bias", [2]],
    ]);
  });

  it("v2-sequence has samples of two axes ([2, 3]) and loads through decodeModel as well", () => {
    const { model, format } = decodeModel({ "v2-sequence.safetensors": new Uint8Array(fixture("safetensors/v2-sequence.safetensors")) });
    expect(format).toBe("safetensors");
    expect(model.inputShape).toEqual([2, 3]);
    expect(model.outputShape).toEqual([2, 2]);
  });
});
