import { defineActivation, registerActivation, unregisterActivation } from "@backprop/activations";
import { BackpropError, isBackpropError, Matrix } from "@backprop/linalg";
import { Dense, referenceExample, referenceModel, Sequential } from "@backprop/layers";
import { defineOptimizer, registerOptimizer, unregisterOptimizer } from "@backprop/optimizers";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { modelFromJSON, modelToJSON, readModelMetadata } from "./model-file.js";
import { classifier, twoClassData, weightsOf } from "./test-models.test-util.js";

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
    const out = model.predict(Matrix.fromArray([referenceExample.inputs as number[]], "float64"));
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
