import { Dense, Flatten, Sequential } from "@backprop/layers";
import { modelToJSON } from "@backprop/serialize";
import { describe, expect, it } from "vitest";
import { buildModel } from "./model.js";
import { modelFile } from "./model-file.js";
import { ModelImportError, denseWeights, readPlaygroundModel } from "./model-import.js";
import { DEFAULT_STATE, decodeState, type DemoState } from "./state.js";

const text = (model: Sequential, state?: DemoState): string =>
  JSON.stringify(state ? modelFile(model, state) : modelToJSON(model));

function refusal(f: () => unknown): string {
  try {
    f();
  } catch (error) {
    expect(error).toBeInstanceOf(ModelImportError);
    return (error as Error).message;
  }
  throw new Error("expected a ModelImportError");
}

describe("readPlaygroundModel", () => {
  it("opens a playground export exactly: its configuration and its weights", () => {
    const state: DemoState = { ...DEFAULT_STATE, dataset: "xor", hidden: [5, 3], activations: ["relu", "tanh"], dropout: [0.2, 0] };
    const model = buildModel(state);
    const imported = readPlaygroundModel(text(model, state), "xor.json");
    expect(decodeState(imported.hash)).toEqual(state);
    expect(imported.weights).toEqual(denseWeights(model));
    expect(imported.note).toMatch(/exported by the playground/);
  });

  it("opens another Dense model that fits: inputs as the first features, the output decides the problem", () => {
    const model = new Sequential([new Dense({ units: 4, activation: "relu", inputDim: 2 }), new Dense({ units: 3, activation: "softmax" })], { seed: 3 });
    model.build(2);
    const imported = readPlaygroundModel(text(model), "foreign.json");
    const state = decodeState(imported.hash);
    expect([state.features, state.hidden, state.activations, state.problem, state.dataset]).toEqual([["x1", "x2"], [4], ["relu"], "classification", "blobs3"]);
    expect(imported.weights).toEqual(denseWeights(model));
    expect(imported.note).toMatch(/inputs read as x1, x2/);
  });

  it("refuses, in one sentence naming the file, what the playground cannot show", () => {
    expect(refusal(() => readPlaygroundModel("{ not json", "a.json"))).toMatch(/^a\.json: not a JSON model file/);
    expect(refusal(() => readPlaygroundModel('{"hello": 1}', "b.json"))).toMatch(/b\.json/);
    const wide = new Sequential([new Dense({ units: 1, activation: "sigmoid", inputDim: 9 })]);
    wide.build(9);
    expect(refusal(() => readPlaygroundModel(text(wide), "wide.json"))).toBe("wide.json: 9 inputs; the playground has 1–7 input features");
    const big = new Sequential([new Dense({ units: 12, activation: "tanh", inputDim: 2 }), new Dense({ units: 1, activation: "sigmoid" })]);
    big.build(2);
    expect(refusal(() => readPlaygroundModel(text(big), "big.json"))).toMatch(/^big\.json: hidden layers of 12 units; the playground shows at most 6 layers of 8$/);
    const out = new Sequential([new Dense({ units: 2, activation: "sigmoid", inputDim: 2 })]);
    out.build(2);
    expect(refusal(() => readPlaygroundModel(text(out), "out.json"))).toMatch(/^out\.json: the output is 2 "sigmoid" units/);
    const flat = new Sequential([new Flatten({ inputShape: [2, 1] }), new Dense({ units: 1, activation: "sigmoid" })]);
    flat.build([2, 1]);
    expect(refusal(() => readPlaygroundModel(text(flat), "flat.json"))).toMatch(/^flat\.json: layer 1 is a flatten layer/);
    expect(refusal(() => readPlaygroundModel("x".repeat(3 * 1024 * 1024), "huge.json"))).toMatch(/^huge\.json: 3\.0 MB is too large/);
  });
});
