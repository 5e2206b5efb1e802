import { Rng, Tensor, type DType, type JsonObject, type Shape } from "@backprop/linalg";
import { adam } from "@backprop/optimizers";
import { errorCode } from "@backprop/testing";
import { describe, expect, it } from "vitest";
import { Conv2D } from "./conv2d.js";
import { Dense } from "./dense.js";
import { Dropout } from "./dropout.js";
import { Embedding } from "./embedding.js";
import { Flatten } from "./flatten.js";
import { gradientCheck } from "./gradient-check.js";
import type { Layer } from "./layer.js";
import { LayerNormalization } from "./layer-normalization.js";
import { Sequential } from "./model/sequential.js";
import { TimeDistributed, type TimeDistributedConfig } from "./time-distributed.js";

function built(layer: Layer, shape: Shape, dtype: DType = "float64", seed = 1): TimeDistributed {
  const td = new TimeDistributed({ layer });
  td.build(shape, { dtype, rng: new Rng(seed), prefix: "layers.1" });
  return td;
}

/** Records the time mask each forward of `layer` is handed. */
function recordMasks(layer: Layer): (number[] | undefined)[] {
  const seen: (number[] | undefined)[] = [];
  const forward = layer.forward.bind(layer);
  layer.forward = (x, ctx) => {
    seen.push(ctx?.mask ? [...ctx.mask.data] : undefined);
    return forward(x, ctx);
  };
  return seen;
}

describe("TimeDistributed", () => {
  it("builds the wrapped layer for one step, its parameters under <prefix>.layer", () => {
    const td = built(new Dense({ units: 3 }), [5, 4]);
    expect(td.computeOutputShape([5, 4])).toEqual([5, 3]);
    expect(td.params().map((p) => [p.name, p.value.shape])).toEqual([
      ["layers.1.layer.kernel", [4, 3]],
      ["layers.1.layer.bias", [3]],
    ]);
    expect(td.paramShapes([5, 4])).toEqual([
      { name: "layer.kernel", shape: [4, 3] },
      { name: "layer.bias", shape: [3] },
    ]);
    const conv = new TimeDistributed({ layer: new Conv2D({ filters: 2, kernelSize: 3 }) });
    expect(conv.computeOutputShape([6, 5, 5, 1])).toEqual([6, 3, 3, 2]);
  });

  it.each<DType>(["float32", "float64"])("gives each time step the wrapped layer's output for it alone, in %s", (dtype) => {
    const dense = new Dense({ units: 3, activation: "tanh", biasInitializer: "ones" });
    const td = built(dense, [5, 4], dtype);
    const x = new Rng(2).fillNormal(new Tensor([2, 5, 4], dtype));
    const y = Float64Array.from(td.forward(x).data);
    expect(td.inspect().output?.shape).toEqual([2, 5, 3]);
    for (let b = 0; b < 2; b++) {
      for (let t = 0; t < 5; t++) {
        const step = new Tensor([1, 4], dtype, x.data.slice((b * 5 + t) * 4, (b * 5 + t + 1) * 4));
        const alone = Array.from(dense.forward(step).data);
        expect(Array.from(y.subarray((b * 5 + t) * 3, (b * 5 + t + 1) * 3))).toEqual(alone);
      }
    }
  });

  it("folds and unfolds views of the same memory: no copy, and no new view per batch", () => {
    const dense = new Dense({ units: 3 });
    const td = built(dense, [5, 4]);
    const x = new Rng(2).fillNormal(new Tensor([2, 5, 4]));
    const y = td.forward(x);
    expect(dense.inspect().input?.data).toBe(x.data);
    expect(dense.inspect().input?.shape).toEqual([10, 4]);
    expect(y.data).toBe(dense.inspect().output?.data);
    expect(td.forward(x)).toBe(y);
    const dy = new Rng(3).fillNormal(new Tensor([2, 5, 3]));
    const dx = td.backward(dy);
    expect(dx.shape).toEqual([2, 5, 4]);
    expect(dx.data).toBe(dense.inspect().inputGradient?.data);
    expect(td.backward(dy)).toBe(dx);
    expect(td.inspect()).toEqual({ input: x, output: y, outputGradient: dy, inputGradient: dx });
  });

  it("matches central differences in float64 around Dense, Conv2D and LayerNormalization", () => {
    const cases: [Layer, Shape][] = [
      [new Dense({ units: 3, activation: "tanh", kernelRegularizer: { l2: 0.1 } }), [4, 5]],
      [new Conv2D({ filters: 2, kernelSize: 2, activation: "sigmoid" }), [3, 4, 4, 2]],
      [new LayerNormalization({ gammaInitializer: { name: "randomNormal", config: { mean: 1, stddev: 0.5 } } }), [3, 2, 4]],
    ];
    for (const [layer, inputShape] of cases) {
      const report = gradientCheck(new TimeDistributed({ layer }), { inputShape, batch: 2 });
      expect(report.ok, JSON.stringify(report.entries)).toBe(true);
      expect(report.entries.map((e) => e.name)[1]).toMatch(/\.layer\./);
    }
  });

  it("passes the training flag to the wrapped layer, and its generator state through getState/setState", () => {
    const td = built(new Dropout({ rate: 0.5 }), [4, 6]);
    const x = Tensor.full([3, 4, 6], 1);
    expect(Array.from(td.forward(x).data).every((v) => v === 1)).toBe(true);
    const state = td.getState();
    const first = Array.from(td.forward(x, { training: true }).data);
    expect(first.some((v) => v === 0)).toBe(true);
    expect(first.some((v) => v === 2)).toBe(true);
    td.setState(state as NonNullable<typeof state>);
    expect(Array.from(td.forward(x, { training: true }).data)).toEqual(first);
    expect(built(new Dense({ units: 2 }), [4, 6]).getState()).toBeUndefined();
    expect(errorCode(() => built(new Dense({ units: 2 }), [4, 6]).setState([1]))).toBe("INVALID_STATE");
  });

  it("names an unnamed wrapped layer after itself, and keeps a given name", () => {
    const model = new Sequential([
      new TimeDistributed({ layer: new Dense({ units: 3 }), inputShape: [5, 4] }),
      new TimeDistributed({ layer: new Dense({ units: 2 }) }),
      new TimeDistributed({ layer: new Dense({ units: 2, name: "head" }), name: "out" }),
    ]);
    expect(model.layers.map((l) => [l.name, (l as TimeDistributed).layer.name])).toEqual([
      ["timeDistributed_0", "timeDistributed_0/dense"],
      ["timeDistributed_1", "timeDistributed_1/dense"],
      ["out", "head"],
    ]);
    expect(new TimeDistributed({ layer: new Dense({ units: 3 }) }).layer.name).toBe("timeDistributed/dense");
  });

  it("getConfig is { name, layer: { className, config }, inputShape? } and rebuilds the same layer", () => {
    const td = new TimeDistributed({ layer: new Dense({ units: 3, activation: "relu" }), inputShape: [5, 4], name: "perStep" });
    const config = td.getConfig();
    expect(Object.keys(config)).toEqual(["name", "layer", "inputShape"]);
    expect(config["layer"]).toEqual({ className: "dense", config: td.layer.getConfig() });
    const copy = new TimeDistributed(config as unknown as TimeDistributedConfig);
    expect(copy.layer).toBeInstanceOf(Dense);
    expect(copy.getConfig()).toEqual(config);
    for (const layer of [td, copy]) layer.build([5, 4], { dtype: "float32", rng: new Rng(4), prefix: "layers.0" });
    const x = new Rng(5).fillNormal(new Tensor([3, 5, 4], "float32"));
    expect(Array.from(copy.forward(x).data)).toEqual(Array.from(td.forward(x).data));
    // The stored form is accepted directly; a built layer records its shape.
    const stored = new TimeDistributed({ layer: { className: "dense", config: { units: 2 } } as { className: string; config: JsonObject } });
    expect(stored.layer.className).toBe("dense");
    expect(stored.getConfig()).toEqual({ name: "timeDistributed", layer: { className: "dense", config: stored.layer.getConfig() } });
    stored.build([3, 7], { dtype: "float64", rng: new Rng(1), prefix: "l" });
    expect(stored.getConfig()["inputShape"]).toEqual([3, 7]);
  });

  it("rejects bad configs and shapes with typed errors", () => {
    const configs: [unknown, string][] = [
      [{}, "INVALID_CONFIG"],
      [{ layer: 5 }, "INVALID_CONFIG"],
      [{ layer: { units: 3 } }, "INVALID_CONFIG"],
      [{ layer: { className: "noSuchLayer", config: {} } }, "UNKNOWN_COMPONENT"],
      [{ layer: { className: "dense", config: { units: 0 } } }, "INVALID_CONFIG"],
      [{ layer: new Dense({ units: 2 }), inputShape: [] }, "INVALID_CONFIG"],
      [{ layer: new Dense({ units: 2 }), inputShape: [4] }, "SHAPE_MISMATCH"],
      [{ layer: new Dense({ units: 2 }), wrapped: true }, "INVALID_CONFIG"],
      [undefined, "INVALID_CONFIG"],
    ];
    for (const [config, code] of configs) {
      expect(errorCode(() => new TimeDistributed(config as TimeDistributedConfig)), JSON.stringify(config)).toBe(code);
    }
    const builtDense = new Dense({ units: 2 });
    builtDense.build([3], { dtype: "float64", rng: new Rng(1), prefix: "d" });
    expect(errorCode(() => new TimeDistributed({ layer: builtDense }))).toBe("INVALID_CONFIG");
    const td = new TimeDistributed({ layer: new Dense({ units: 2, inputDim: 3 }) });
    expect(errorCode(() => td.computeOutputShape([4]))).toBe("SHAPE_MISMATCH");
    expect(errorCode(() => td.computeOutputShape([4, 5]))).toBe("SHAPE_MISMATCH");
    expect(errorCode(() => td.forward(Tensor.zeros([1, 4, 3])))).toBe("NOT_BUILT");
    td.build([4, 3], { dtype: "float64", rng: new Rng(1), prefix: "l" });
    expect(errorCode(() => td.backward(Tensor.zeros([1, 4, 2])))).toBe("INVALID_STATE");
    expect(errorCode(() => td.forward(Tensor.zeros([1, 5, 3])))).toBe("SHAPE_MISMATCH");
    expect(errorCode(() => td.forward(Tensor.zeros([4, 3])))).toBe("SHAPE_MISMATCH");
    td.forward(Tensor.zeros([2, 4, 3]));
    expect(errorCode(() => td.backward(Tensor.zeros([2, 8])))).toBe("SHAPE_MISMATCH");
    expect(errorCode(() => td.backward(Tensor.zeros([2, 4, 3])))).toBe("SHAPE_MISMATCH");
  });

  it("hands a time mask on: Embedding(maskZero) → TimeDistributed(Dense) → Dense sees it", () => {
    const last = new Dense({ units: 1 });
    const seen = recordMasks(last);
    const model = new Sequential([
      new Embedding({ inputDim: 6, outputDim: 3, maskZero: true, inputLength: 4 }),
      new TimeDistributed({ layer: new Dense({ units: 2 }) }),
      last,
    ]);
    model.predict(Tensor.fromFlat([2, 4], [1, 2, 0, 0, 5, 0, 0, 0], "float32"));
    expect(seen).toEqual([[1, 1, 0, 0, 1, 0, 0, 0]]);
  });

  it("trains in a Sequential bit for bit as Dense on [batch, steps, features] (Dense works per step too)", () => {
    const rng = new Rng(6);
    const x = rng.fillNormal(new Tensor([24, 5, 3], "float32"));
    const w = rng.fillNormal(new Tensor([3, 2], "float32"));
    const y = new Tensor([24, 5, 2], "float32");
    for (let r = 0; r < 24 * 5; r++) {
      for (let j = 0; j < 2; j++) {
        let s = 0;
        for (let i = 0; i < 3; i++) s += (x.data[r * 3 + i] as number) * (w.data[i * 2 + j] as number);
        y.data[r * 2 + j] = Math.tanh(s);
      }
    }
    const fit = (first: Layer): { loss: number[]; model: Sequential } => {
      const model = new Sequential([first, new TimeDistributed({ layer: new Dense({ units: 2, activation: "tanh" }) })], { seed: 3 });
      model.compile({ loss: "meanSquaredError", optimizer: adam({ lr: 0.05 }) });
      return { loss: model.fit(x, y, { epochs: 40, batchSize: 8 }).history["loss"] ?? [], model };
    };
    const wrapped = fit(new TimeDistributed({ layer: new Dense({ units: 6, activation: "tanh" }), inputShape: [5, 3] }));
    const plain = fit(new Dense({ units: 6, activation: "tanh", inputShape: [5, 3] }));
    expect(wrapped.loss).toEqual(plain.loss);
    expect(wrapped.loss[wrapped.loss.length - 1]).toBeLessThan(0.1 * (wrapped.loss[0] as number));
    expect(wrapped.model.params().map((p) => p.name)).toEqual([
      "layers.0.layer.kernel",
      "layers.0.layer.bias",
      "layers.1.layer.kernel",
      "layers.1.layer.bias",
    ]);
    // Determinism: the same seed gives the same bits.
    expect(fit(new TimeDistributed({ layer: new Dense({ units: 6, activation: "tanh" }), inputShape: [5, 3] })).loss).toEqual(wrapped.loss);
  });

  it("feeds Flatten and works on a per-step image (TimeDistributed(Conv2D) → Flatten → Dense)", () => {
    const model = new Sequential(
      [new TimeDistributed({ layer: new Conv2D({ filters: 2, kernelSize: 2 }), inputShape: [3, 4, 4, 1] }), new Flatten(), new Dense({ units: 1 })],
      { seed: 1 },
    );
    const x = new Rng(1).fillNormal(new Tensor([6, 3, 4, 4, 1], "float32"));
    expect(model.predict(x).shape).toEqual([6, 1]);
    expect(model.outputShape).toEqual([1]);
    expect(model.layers[0]?.computeOutputShape([3, 4, 4, 1])).toEqual([3, 3, 3, 2]);
  });
});
