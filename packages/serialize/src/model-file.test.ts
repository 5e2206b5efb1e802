import { defineActivation, registerActivation, unregisterActivation } from "@backprop/activations";
import { BackpropError, isBackpropError, Matrix, Param, Tensor, type JsonObject, type Shape } from "@backprop/linalg";
import {
  Dense,
  referenceExample,
  referenceModel,
  Sequential,
  type BuildContext,
  type Layer,
  type LayerInspection,
  type Loss,
  type ParamShape,
} from "@backprop/layers";
import { defineOptimizer, registerOptimizer, unregisterOptimizer } from "@backprop/optimizers";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { modelFromJSON, modelToJSON, readModelMetadata } from "./model-file.js";
import { classifier, normalizedClassifier, twoClassData, weightsOf } from "./test-models.test-util.js";

const viaText = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

function thrown(fn: () => unknown): BackpropError {
  try {
    fn();
  } catch (error) {
    if (isBackpropError(error)) return error;
    throw error;
  }
  throw new Error("expected an error");
}

describe("native JSON model file", () => {
  for (const dtype of ["float32", "float64"] as const) {
    it(`save → load → predict is bit-identical (${dtype})`, () => {
      const { x, y } = twoClassData(dtype);
      const model = classifier(dtype);
      model.fit(x, y, { epochs: 2, batchSize: 8 });
      const loaded = modelFromJSON(viaText(modelToJSON(model)));
      expect(loaded.dtype).toBe(dtype);
      expect(Array.from(loaded.predict(x).data)).toEqual(Array.from(model.predict(x).data));
      expect(weightsOf(loaded)).toEqual(weightsOf(model));
      expect(loaded.getConfig()).toEqual(model.getConfig());
    });
  }

  it("save mid-fit → load → continue gives the same weights and losses as an uninterrupted run", () => {
    const { x, y } = twoClassData();
    const straight = classifier();
    const straightHistory = straight.fit(x, y, { epochs: 7, batchSize: 8 });
    const first = classifier();
    first.fit(x, y, { epochs: 3, batchSize: 8 });
    const resumed = modelFromJSON(JSON.stringify(modelToJSON(first)));
    expect(resumed.epoch).toBe(3);
    const rest = resumed.fit(x, y, { epochs: 7, batchSize: 8, initialEpoch: resumed.epoch });
    expect(rest.epoch).toEqual([3, 4, 5, 6]);
    expect(weightsOf(resumed)).toEqual(weightsOf(straight));
    expect(rest.history["loss"]).toEqual(straightHistory.history["loss"]!.slice(3));
  });

  it("without optimizer and training state the continuation differs (so the test above can fail)", () => {
    const { x, y } = twoClassData();
    const straight = classifier();
    straight.fit(x, y, { epochs: 4, batchSize: 8 });
    const first = classifier();
    first.fit(x, y, { epochs: 2, batchSize: 8 });
    const resumed = modelFromJSON(viaText(modelToJSON(first, { includeOptimizer: false, includeTrainingState: false })));
    expect(resumed.epoch).toBe(0);
    resumed.fit(x, y, { epochs: 4, batchSize: 8, initialEpoch: 2 });
    expect(weightsOf(resumed)).not.toEqual(weightsOf(straight));
  });

  it("keeps user metadata and the trainable flags", () => {
    const model = referenceModel({ frozenBias: true }).model.build();
    model.params()[0]!.trainable = false;
    const file = modelToJSON(model, { metadata: { columns: ["a", "b"], mean: [0.5, 1.5] } });
    expect(readModelMetadata(viaText(file))).toEqual({ columns: ["a", "b"], mean: [0.5, 1.5] });
    const loaded = modelFromJSON(viaText(file));
    expect(loaded.params().map((p) => p.trainable)).toEqual(model.params().map((p) => p.trainable));
    expect(() => modelToJSON(model, { metadata: { bad: Number.NaN } })).toThrow(/metadata/);
  });

  it("refuses an unbuilt model", () => {
    expect(thrown(() => modelToJSON(new Sequential([new Dense({ units: 1 })]))).code).toBe("NOT_BUILT");
  });
});

describe("frozen fixtures", () => {
  it("fixtures/json/v1-reference.json (the worked example's network) keeps loading and predicts the published outputs", () => {
    const text = readFileSync(new URL("../fixtures/json/v1-reference.json", import.meta.url), "utf8");
    const model = modelFromJSON(text);
    const out = model.predict(Matrix.fromArray([referenceExample.inputs as number[]], "float64")).asMatrix();
    // Published values of the worked example: out_o1 = 0.75136507, out_o2 = 0.772928465.
    expect(out.get(0, 0)).toBeCloseTo(0.75136507, 8);
    expect(out.get(0, 1)).toBeCloseTo(0.772928465, 8);
    expect(readModelMetadata(JSON.parse(text))).toEqual({ source: "the worked backpropagation example" });
  });
});

describe("custom components round-trip by name", () => {
  const cube = defineActivation({ name: "acme>cube", f: (x) => x * x * x, df: (x) => 3 * x * x });

  function cubeModel(): Sequential {
    return new Sequential([new Dense({ units: 3, inputDim: 2, activation: cube }), new Dense({ units: 1 })], { seed: 3 }).build();
  }

  it("a registered activation loads back by name; the file stores only the name", () => {
    const file = modelToJSON(cubeModel());
    expect(JSON.stringify(file)).not.toContain("=>");
    registerActivation(cube);
    try {
      const x = Matrix.fromArray([[0.5, -1], [2, 0.25]]);
      expect(Array.from(modelFromJSON(viaText(file)).predict(x).data)).toEqual(Array.from(cubeModel().predict(x).data));
    } finally {
      unregisterActivation("acme>cube");
    }
  });

  it("an activation passed in options.custom loads without registering", () => {
    const model = modelFromJSON(viaText(modelToJSON(cubeModel())), { custom: { activations: { "acme>cube": cube } } });
    expect(model.layers[0]!.getConfig()["activation"]).toEqual({ name: "acme>cube", config: {} });
  });

  it("an unregistered name fails with UNKNOWN_COMPONENT, the path inside the file, the registered names and how to register", () => {
    const error = thrown(() => modelFromJSON(viaText(modelToJSON(cubeModel())), { file: "cube.json" }));
    expect(error.code).toBe("UNKNOWN_COMPONENT");
    expect(error.message).toContain("cube.json: model.layers[0].config.activation.name");
    expect(error.message).toContain('"acme>cube"');
    expect(error.message).toContain("relu");
    expect(error.message).toMatch(/registerActivation/);
  });

  it("a defineOptimizer rule registered by the user round-trips with its state", () => {
    const plain = defineOptimizer({
      name: "acme>plain",
      defaults: { lr: 0.1 },
      slots: [{ name: "count" }],
      update({ value, grad, lr, slots }) {
        for (let i = 0; i < value.length; i++) {
          value[i] = value[i]! - lr * grad[i]!;
          slots.count![i] = slots.count![i]! + 1;
        }
      },
    });
    const { x, y } = twoClassData();
    const make = () => {
      const m = classifier();
      m.compile({ loss: "categoricalCrossentropy", optimizer: plain({ lr: 0.05 }) });
      return m;
    };
    const straight = make();
    straight.fit(x, y, { epochs: 3, batchSize: 10 });
    const first = make();
    first.fit(x, y, { epochs: 1, batchSize: 10 });
    const file = viaText(modelToJSON(first));
    expect(thrown(() => modelFromJSON(file)).message).toContain("training.optimizer");
    registerOptimizer(plain);
    try {
      const resumed = modelFromJSON(file);
      expect(resumed.optimizer!.name).toBe("acme>plain");
      expect(resumed.optimizer!.stateDict()).toEqual(first.optimizer!.stateDict());
      resumed.fit(x, y, { epochs: 3, batchSize: 10, initialEpoch: 1 });
      expect(weightsOf(resumed)).toEqual(weightsOf(straight));
    } finally {
      unregisterOptimizer("acme>plain");
    }
  });
});

describe("bad files", () => {
  const good = () => viaText(modelToJSON(classifier().build())) as Record<string, any>;

  it("a newer formatVersion is refused with UNSUPPORTED_FORMAT_VERSION", () => {
    const error = thrown(() => modelFromJSON({ ...good(), formatVersion: 99 }));
    expect(error.code).toBe("UNSUPPORTED_FORMAT_VERSION");
    expect(error.message).toMatch(/99/);
  });

  it("names the path inside the file", () => {
    const f = good();
    f.model.layers[2].config.units = 1e9;
    const error = thrown(() => modelFromJSON(f, { file: "m.json" }));
    expect(error.code).toBe("INVALID_FILE");
    expect(error.message).toContain("m.json: model.layers[2].config.units");

    const g = good();
    g.weights[1].data.pop();
    expect(thrown(() => modelFromJSON(g)).message).toContain("weights[1].data");

    const h = good();
    h.model.layers[1].className = "nope";
    const e2 = thrown(() => modelFromJSON(h));
    expect(e2.code).toBe("UNKNOWN_COMPONENT");
    expect(e2.message).toContain("model.layers[1].className");
  });

  it("rejects prototype keys, deep nesting, non-JSON text and non-finite numbers", () => {
    const text = JSON.stringify(good()).replace('"metadata":{}', '"metadata":{"__proto__":{"x":1}}');
    expect(thrown(() => modelFromJSON(text)).message).toContain("metadata.__proto__");
    expect(thrown(() => modelFromJSON("[".repeat(100000))).message).toMatch(/deeper than/);
    expect(thrown(() => modelFromJSON("{nope")).code).toBe("INVALID_FILE");
    expect(thrown(() => modelFromJSON(JSON.stringify(good()).replace(/"seed":\d+/, '"seed":1e999'))).message).toContain("model.seed");
    expect(thrown(() => modelFromJSON(new Uint8Array([0xff, 0xfe]))).message).toMatch(/UTF-8/);
    expect(thrown(() => modelFromJSON({ format: "other" })).code).toBe("INVALID_FILE");
  });
});

/**
 * A layer this package has never heard of: each feature i is copied twice, scaled by `w[0][i]`
 * and `w[1][i]` (output [2·d]). Its weights are checked through its own paramShapes.
 */
class Pairs implements Layer {
  readonly className = "acme>pairs";
  name: string;
  constructor(config: JsonObject = {}) {
    this.name = typeof config["name"] === "string" ? config["name"] : "acme>pairs";
  }
  private w: Param | undefined;
  private d = 0;
  get built(): boolean {
    return this.w !== undefined;
  }
  build(inputShape: Shape, ctx: BuildContext): void {
    this.d = inputShape[inputShape.length - 1] as number;
    this.w = new Param(`${ctx.prefix}.w`, Tensor.full([2, this.d], 0.5, ctx.dtype));
  }
  computeOutputShape(inputShape: Shape): Shape {
    return [2 * (inputShape[inputShape.length - 1] as number)];
  }
  paramShapes(inputShape: Shape): readonly ParamShape[] {
    return [{ name: "w", shape: [2, inputShape[inputShape.length - 1] as number] }];
  }
  forward(x: Tensor): Tensor {
    const n = x.shape[0] as number;
    const w = (this.w as Param).value.data;
    const y = new Tensor([n, 2 * this.d], x.dtype);
    for (let r = 0; r < n; r++) {
      for (let k = 0; k < 2; k++) for (let i = 0; i < this.d; i++) y.data[r * 2 * this.d + k * this.d + i] = x.data[r * this.d + i]! * w[k * this.d + i]!;
    }
    return y;
  }
  backward(dy: Tensor): Tensor {
    return dy;
  }
  params(): readonly Param[] {
    return this.w ? [this.w] : [];
  }
  regularizationLoss(): number {
    return 0;
  }
  getConfig(): JsonObject {
    return { name: this.name };
  }
  inspect(): LayerInspection {
    return {};
  }
}

describe("weights are checked against each layer's paramShapes (no list of known layer types)", () => {
  const pairsModel = () => {
    const m = new Sequential([new Dense({ units: 3, inputDim: 2, activation: "tanh" }), new Pairs(), new Dense({ units: 2 })], { seed: 4 }).build();
    m.params()[2]!.value.data.set([1, 2, 3, -1, -2, -3]);
    return m;
  };
  const custom = { layers: { "acme>pairs": (config: JsonObject) => new Pairs(config) } };

  it("a custom layer's weights load by name and shape, and the shapes flow through its computeOutputShape", () => {
    const file = viaText(modelToJSON(pairsModel())) as { weights: { name: string; shape: number[] }[] };
    expect(file.weights.map((w) => [w.name, w.shape])).toEqual([
      ["layers.0.kernel", [2, 3]],
      ["layers.0.bias", [3]],
      ["layers.1.w", [2, 3]],
      ["layers.2.kernel", [6, 2]],
      ["layers.2.bias", [2]],
    ]);
    const x = Matrix.fromArray([[0.5, -1], [2, 0.25]]);
    expect(Array.from(modelFromJSON(file, { custom }).predict(x).data)).toEqual(Array.from(pairsModel().predict(x).data));
  });

  it("a custom layer's weight of the wrong shape is refused before build, naming the file, the path and both shapes", () => {
    const file = viaText(modelToJSON(pairsModel())) as { weights: { shape: number[] }[] };
    file.weights[2]!.shape = [3, 2];
    const error = thrown(() => modelFromJSON(file, { custom, file: "pairs.json" }));
    expect(error.code).toBe("INVALID_FILE");
    expect(error.message).toContain("pairs.json: weights[2].shape");
    expect(error.message).toContain('"layers.1.w"');
    expect(error.message).toContain('layer 1 ("acme>pairs_1", acme>pairs)');
    expect(error.message).toContain("(got [3, 2], expected [2, 3])");
  });

  it("the layer after a custom one is checked with the shape the custom one computes", () => {
    const file = viaText(modelToJSON(pairsModel())) as { weights: { shape: number[]; data: number[] }[] };
    file.weights[3]!.shape = [3, 4];
    const error = thrown(() => modelFromJSON(file, { custom, file: "pairs.json" }));
    expect(error.message).toContain("pairs.json: weights[3].shape");
    expect(error.message).toContain("on inputs [6]");
    expect(error.message).toContain("(got [3, 4], expected [6, 2])");
  });

  it("Normalization's mean and variance are checked the same way", () => {
    const file = viaText(modelToJSON(normalizedClassifier())) as { weights: { name: string; shape: number[]; data: number[] }[] };
    expect(file.weights.slice(0, 2).map((w) => [w.name, w.shape])).toEqual([["layers.0.mean", [4]], ["layers.0.variance", [4]]]);
    file.weights[1]!.shape = [2, 2];
    const error = thrown(() => modelFromJSON(file, { file: "n.json" }));
    expect(error.message).toBe('n.json: weights[1].shape: weights[1] "layers.0.variance" has the wrong shape for layer 0 ("normalization_0", normalization) on inputs [4] (got [2, 2], expected [4])');
  });

  it("a wrong per-sample inputShape is reported at the first layer it does not fit", () => {
    const file = viaText(modelToJSON(pairsModel())) as { model: { inputShape: number[]; inputDim: number } };
    file.model.inputShape = [5];
    file.model.inputDim = 5;
    expect(thrown(() => modelFromJSON(file, { custom, file: "p.json" })).message).toMatch(/^p\.json: model\.layers\[0\]: dense_0: input has 5 features \(expected inputDim = 2\)/);
  });
});

describe("loading only to predict: { compile: false }", () => {
  const plain = defineOptimizer({
    name: "acme>unregisteredSgd",
    defaults: { lr: 0.1 },
    update({ value, grad, lr }) {
      for (let i = 0; i < value.length; i++) value[i] = value[i]! - lr * grad[i]!;
    },
  });
  const halfMse: Loss = {
    name: "acme>unregisteredLoss",
    config: {},
    compute: (p, t) => {
      let s = 0;
      for (let i = 0; i < p.data.length; i++) s += (p.data[i]! - t.data[i]!) ** 2;
      return s / 2;
    },
    gradient: (p, t, out) => {
      for (let i = 0; i < p.data.length; i++) out.data[i] = p.data[i]! - t.data[i]!;
      return out;
    },
  };
  const trained = () => {
    const { x, y } = twoClassData();
    const m = classifier();
    m.compile({ loss: halfMse, optimizer: plain({ lr: 0.05 }), metrics: ["accuracy"] });
    m.fit(x, y, { epochs: 1, batchSize: 10 });
    return { m, x };
  };

  it("a file naming an unregistered optimizer and loss loads and predicts with compile: false", () => {
    const { m, x } = trained();
    const file = viaText(modelToJSON(m)) as { training: { optimizer: { name: string }; loss: { name: string } } };
    expect(file.training.optimizer.name).toBe("acme>unregisteredSgd");
    expect(file.training.loss.name).toBe("acme>unregisteredLoss");
    const loaded = modelFromJSON(file, { compile: false });
    expect(Array.from(loaded.predict(x).data)).toEqual(Array.from(m.predict(x).data));
    expect(loaded.optimizer).toBeUndefined();
    expect(loaded.loss).toBeUndefined();
    expect(loaded.epoch).toBe(1);
  });

  it("without it, loading fails with UNKNOWN_COMPONENT listing the registered names", () => {
    const { m } = trained();
    const file = viaText(modelToJSON(m));
    const lossError = thrown(() => modelFromJSON(file, { file: "c.json" }));
    expect(lossError.code).toBe("UNKNOWN_COMPONENT");
    expect(lossError.message).toContain("c.json: training.loss");
    expect(lossError.message).toContain('"acme>unregisteredLoss"');
    expect(lossError.message).toContain("categoricalCrossentropy");
    // With the loss available, the optimizer is the next name that must resolve.
    const optError = thrown(() => modelFromJSON(file, { file: "c.json", custom: { losses: { "acme>unregisteredLoss": () => halfMse } } }));
    expect(optError.code).toBe("UNKNOWN_COMPONENT");
    expect(optError.message).toContain("c.json: training.optimizer");
    expect(optError.message).toContain('"acme>unregisteredSgd"');
    expect(optError.message).toContain("adam");
  });
});
