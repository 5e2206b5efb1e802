import { modelFromJSON } from "@backprop/serialize";
import { describe, expect, it } from "vitest";
import { generateDataset, splitDataset } from "./datasets.js";
import { buildModel, pointsToMatrices } from "./model.js";
import { FORMULA_ACTIVATIONS, modelFile } from "./model-file.js";
import { DEFAULT_STATE, decodeState, type DemoState } from "./state.js";

describe("the exported model file", () => {
  const state: DemoState = { ...DEFAULT_STATE, activations: ["formula"], dropout: [0], formulaF: "x / (1 + abs(x))", formulaDf: "1 / (1 + abs(x))^2", hidden: [3] };
  const { train } = splitDataset(generateDataset("circle", { noise: 0, seed: 1 }), 0.5);
  const data = pointsToMatrices(train, state);

  it("is a native JSON model file that reloads bit for bit, formula activation included", () => {
    const model = buildModel(state);
    model.fit(data.x, data.y, { epochs: 3, batchSize: 10 });
    const text = JSON.stringify(modelFile(model, state));
    const file = JSON.parse(text);
    expect(file.format).toBe("backprop-model");
    expect(file.model.layers[0].config.activation).toEqual({ name: "demo>formula", config: { f: "x / (1 + abs(x))", df: "1 / (1 + abs(x))^2" } });
    expect(decodeState(file.metadata.playground)).toEqual(state);

    const loaded = modelFromJSON(text, { custom: { activations: FORMULA_ACTIVATIONS } });
    expect(Array.from(loaded.predict(data.x).data)).toEqual(Array.from(model.predict(data.x).data));
  });

  it("names the formula activation when it is not provided", () => {
    const text = JSON.stringify(modelFile(buildModel(state), state));
    expect(() => modelFromJSON(text)).toThrow(/demo>formula/);
  });
});
