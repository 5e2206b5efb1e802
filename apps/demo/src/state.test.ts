import { describe, expect, it } from "vitest";
import { FEATURES } from "./features.js";
import { defaultLearningRate, optimizerDefaults } from "./optimizer-catalog.js";
import { DEFAULT_STATE, decodeState, encodeState, outputKind, stateClasses, type DemoState } from "./state.js";

const custom: DemoState = {
  problem: "regression",
  dataset: "custom",
  noise: 35,
  trainRatio: 70,
  batchSize: 3,
  dataSeed: 42,
  seed: 7,
  features: ["x1", "x2sq", "sinx2"],
  hidden: [8, 1, 3, 5, 2, 6],
  activations: ["formula", "relu", "tanh", "formula", "sigmoid", "elu"],
  dropout: [0.1, 0, 0.5, 0, 0, 0.2],
  initializer: "heNormal",
  formulaF: "x > 0 ? x : 0.1 * x & more = #?",
  formulaDf: "x > 0 ? 1 : 0.1",
  optimizer: "rmsprop",
  hyper: { ...optimizerDefaults("rmsprop"), momentum: 0.5, centered: true },
  lr: 0.003,
  regularization: "l1",
  regRate: 0.0001,
  customClasses: 1,
  compare: "sgd",
  discretize: true,
  logLoss: true,
};

describe("the URL state", () => {
  it("round-trips the default and a state that differs in every field", () => {
    expect(decodeState(encodeState(DEFAULT_STATE))).toEqual(DEFAULT_STATE);
    const decoded = decodeState(`#${encodeState(custom)}`);
    expect(decoded).toEqual(custom);
    for (const key of Object.keys(custom) as (keyof DemoState)[]) {
      if (key === "formulaDf") continue; // empty by default, so it may be left out of the URL
      expect(custom[key], key).not.toEqual(DEFAULT_STATE[key]);
    }
  });

  it("keeps special characters of formulas intact", () => {
    const text = encodeState({ ...DEFAULT_STATE, formulaF: "x^2 + 1/(1+e^-x) % 3 & x" });
    expect(text).not.toContain(" ");
    expect(decodeState(text).formulaF).toBe("x^2 + 1/(1+e^-x) % 3 & x");
  });

  it("opens an empty or garbage URL as the defaults", () => {
    expect(decodeState("")).toEqual(DEFAULT_STATE);
    expect(decodeState("#")).toEqual(DEFAULT_STATE);
    expect(
      decodeState("#noise=99&train=5&batch=0&hidden=3,9&features=nope&activation=eval&optimizer=magic&lr=-1&reg=l3&regRate=abc&seed=1.5"),
    ).toEqual(DEFAULT_STATE);
  });

  it("takes each valid field and falls back field by field", () => {
    const s = decodeState("noise=20&hidden=&features=x1x2,x1&optimizer=sgd&hp.momentum=0.9&hp.nesterov=true&hp.bogus=3&lr=abc");
    expect(s.noise).toBe(20);
    expect(s.hidden).toEqual([]);
    // features come back in display order whatever the URL order
    expect(s.features).toEqual(["x1", "x1x2"]);
    expect(s.hyper).toEqual({ ...optimizerDefaults("sgd"), momentum: 0.9, nesterov: true });
    expect(s.lr).toBe(defaultLearningRate("sgd")); // no lr in the link: the optimizer's own
  });

  it("rejects more than 6 hidden layers or more than 8 neurons", () => {
    expect(decodeState("hidden=1,1,1,1,1,1,1").hidden).toEqual(DEFAULT_STATE.hidden);
    expect(decodeState("hidden=8,8,8,8,8,8").hidden).toEqual([8, 8, 8, 8, 8, 8]);
    expect(decodeState("hidden=9").hidden).toEqual(DEFAULT_STATE.hidden);
  });

  it("makes the problem type agree with the data set", () => {
    expect(decodeState("problem=classification&dataset=plane").problem).toBe("regression");
    expect(decodeState("problem=regression&dataset=xor").problem).toBe("classification");
    expect(decodeState("problem=regression").dataset).toBe("plane");
  });

  it("gives each optimizer its own hyperparameters with their defaults", () => {
    expect(decodeState("optimizer=adadelta").hyper).toEqual({ rho: 0.9, eps: 1e-6, weightDecay: 0 });
    expect(Object.keys(decodeState("optimizer=adam&hp.rho=0.5").hyper)).not.toContain("rho");
  });

  it("reads one activation for every layer (older links), or one per layer", () => {
    expect(decodeState("hidden=4,3,2&activation=relu").activations).toEqual(["relu", "relu", "relu"]);
    expect(decodeState("hidden=4,3&activation=relu,sigmoid").activations).toEqual(["relu", "sigmoid"]);
    // a wrong count or an unknown name falls back, layer by layer, to the first name
    expect(decodeState("hidden=4,3,2&activation=relu,sigmoid").activations).toEqual(["relu", "relu", "relu"]);
    expect(decodeState("hidden=4,3&activation=relu,eval").activations).toEqual(["relu", "relu"]);
    expect(encodeState({ ...DEFAULT_STATE, activations: ["relu", "relu"] })).toContain("activation=relu&");
  });

  it("reads dropout per layer within [0, 0.9], and the initializer by name", () => {
    expect(decodeState("hidden=4,3&dropout=0.2,0").dropout).toEqual([0.2, 0]);
    expect(decodeState("hidden=4,3&dropout=0.95,0").dropout).toEqual([0, 0]);
    expect(decodeState("hidden=4,3").dropout).toEqual([0, 0]);
    expect(encodeState(DEFAULT_STATE)).not.toContain("dropout");
    expect(decodeState("init=heNormal").initializer).toBe("heNormal");
    expect(decodeState("init=eval").initializer).toBe(DEFAULT_STATE.initializer);
  });

  it("knows multiclass and custom data: classes, output kind", () => {
    const blobs = decodeState("problem=regression&dataset=blobs4");
    expect([blobs.problem, stateClasses(blobs), outputKind(blobs)]).toEqual(["classification", 4, "multiclass"]);
    expect(outputKind(DEFAULT_STATE)).toBe("binary");
    expect(outputKind(decodeState("dataset=plane"))).toBe("regression");
    const custom3 = decodeState("dataset=custom&classes=3");
    expect([custom3.problem, stateClasses(custom3)]).toEqual(["classification", 3]);
    expect(decodeState("dataset=custom&classes=1").problem).toBe("regression");
    expect(decodeState("dataset=custom&classes=9").customClasses).toBe(DEFAULT_STATE.customClasses);
  });

  it("lists every feature key once in the URL", () => {
    const text = encodeState({ ...DEFAULT_STATE, features: [...FEATURES] });
    expect(new URLSearchParams(text).get("features")).toBe("x1,x2,x1sq,x2sq,x1x2,sinx1,sinx2");
  });
});
