import { Matrix, Rng, Tensor, type DType, type Shape } from "@backprop/linalg";
import { adam } from "@backprop/optimizers";
import { errorCode } from "@backprop/testing";
import { describe, expect, it } from "vitest";
import { Dense } from "./dense.js";
import { gradientCheck } from "./gradient-check.js";
import { LayerNormalization, type LayerNormalizationConfig } from "./layer-normalization.js";
import { Sequential } from "./model/sequential.js";

const RANDOM_AFFINE: LayerNormalizationConfig = {
  gammaInitializer: { name: "randomNormal", config: { mean: 1, stddev: 0.5 } },
  betaInitializer: { name: "randomNormal", config: { mean: 0, stddev: 0.5 } },
};

function built(config: LayerNormalizationConfig, shape: Shape, dtype: DType = "float64", seed = 1): LayerNormalization {
  const layer = new LayerNormalization(config);
  layer.build(shape, { dtype, rng: new Rng(seed), prefix: "ln" });
  return layer;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs((a[i] as number) - (b[i] as number)));
  return d;
}

/** y by hand: each row of the last axis standardised over its own features (biased variance). */
function byHand(x: Tensor, gamma: ArrayLike<number>, beta: ArrayLike<number>, epsilon: number): number[] {
  const c = x.shape[x.rank - 1] as number;
  const out: number[] = [];
  for (let r = 0; r < x.size / c; r++) {
    const row = Array.from(x.data.subarray(r * c, (r + 1) * c));
    const mean = row.reduce((s, v) => s + v, 0) / c;
    const variance = row.reduce((s, v) => s + (v - mean) ** 2, 0) / c;
    row.forEach((v, j) => out.push(((gamma[j] as number) * (v - mean)) / Math.sqrt(variance + epsilon) + (beta[j] as number)));
  }
  return out;
}

describe("LayerNormalization", () => {
  it("has gamma and beta [c] (Keras order, initial 1 and 0) and keeps the shape", () => {
    const layer = built({}, [5, 4]);
    expect(layer.params().map((p) => [p.name, p.value.shape, p.trainable, Array.from(p.value.data)])).toEqual([
      ["ln.gamma", [4], true, [1, 1, 1, 1]],
      ["ln.beta", [4], true, [0, 0, 0, 0]],
    ]);
    expect(layer.paramShapes([5, 4])).toEqual([
      { name: "gamma", shape: [4] },
      { name: "beta", shape: [4] },
    ]);
    expect(new LayerNormalization({ center: false }).paramShapes([3]).map((s) => s.name)).toEqual(["gamma"]);
    expect(new LayerNormalization({ scale: false, center: false }).paramShapes([3])).toEqual([]);
    expect(layer.computeOutputShape([5, 4])).toEqual([5, 4]);
    expect(layer.regularizationLoss()).toBe(0);
  });

  it("normalises each position over its last axis, the same in training and inference", () => {
    const layer = built({ ...RANDOM_AFFINE, epsilon: 1e-5 }, [3, 2, 4]);
    const x = new Rng(2).fillNormal(new Tensor([2, 3, 2, 4], "float64"), 3, 2);
    const expected = byHand(x, layer.gamma!.value.data, layer.beta!.value.data, 1e-5);
    const yTrain = Array.from(layer.forward(x, { training: true }).data);
    expect(maxAbsDiff(yTrain, expected)).toBeLessThan(1e-13);
    expect(Array.from(layer.forward(x, { training: false }).data)).toEqual(yTrain);
    expect(Array.from(layer.forward(x).data)).toEqual(yTrain);
    // Samples do not interact: the first sample alone gives the same rows.
    expect(Array.from(layer.forward(x.batchSlice(0, 1)).data)).toEqual(yTrain.slice(0, 24));
  });

  for (const [label, shape] of [["[features]", [5]], ["[h, w, c]", [2, 3, 4]]] as const) {
    for (const options of [RANDOM_AFFINE, { ...RANDOM_AFFINE, center: false }, { ...RANDOM_AFFINE, scale: false }, { ...RANDOM_AFFINE, gammaRegularizer: { l2: 0.1 }, betaRegularizer: { l1: 0.01 } }]) {
      it(`passes the gradient check (input, gamma, beta) on ${label} ${JSON.stringify(Object.keys(options))}`, () => {
        const report = gradientCheck(built(options, shape, "float64", 5), { inputShape: shape, batch: 3 });
        expect(report.entries.map((e) => e.name)).toEqual(["input", ...(options.scale === false ? [] : ["ln.gamma"]), ...(options.center === false ? [] : ["ln.beta"])]);
        for (const e of report.entries) expect(e.maxRelativeError, e.name).toBeLessThan(1e-6);
        expect(report.ok).toBe(true);
      });
    }
  }

  it("float32 and float64 agree; a model with it trains, deterministically", () => {
    const x64 = new Rng(4).fillNormal(new Tensor([6, 2, 3], "float64"), 1, 2);
    const a = built(RANDOM_AFFINE, [2, 3], "float64", 9);
    const b = built(RANDOM_AFFINE, [2, 3], "float32", 9);
    const yb = b.forward(x64.clone("float32"));
    expect(yb.dtype).toBe("float32");
    expect(maxAbsDiff(a.forward(x64).data, yb.data)).toBeLessThan(1e-5);
    const dy = new Rng(5).fillNormal(new Tensor([6, 2, 3], "float64"));
    // NOTE: dx reaches ~20 here (a 3-feature row of small variance divides by a small σ), so the
    // float32 rounding of x and γ shows at ~1e-5; with identical inputs the two agree to ~3e-8 relative.
    expect(maxAbsDiff(a.backward(dy).data, b.backward(dy.clone("float32")).data)).toBeLessThan(1e-4);
    // The output buffer is reused per batch size.
    expect(b.forward(x64.clone("float32"))).toBe(yb);

    const rng = new Rng(8);
    const x = rng.fillNormal(new Matrix(40, 4, "float32"), 0, 3);
    const y = new Matrix(40, 1, "float32");
    for (let i = 0; i < 40; i++) y.data[i] = Math.tanh(x.get(i, 0) - x.get(i, 1));
    const make = () => {
      const m = new Sequential([new Dense({ units: 8, inputDim: 4 }), new LayerNormalization(), new Dense({ units: 1 })], { seed: 2 });
      m.compile({ loss: "meanSquaredError", optimizer: adam({ lr: 0.02 }) });
      return m;
    };
    const m1 = make();
    const h1 = m1.fit(x, y, { epochs: 40, batchSize: 8 });
    expect(h1.history["loss"]!.at(-1)!).toBeLessThan(h1.history["loss"]![0]! / 3);
    const m2 = make();
    expect(m2.fit(x, y, { epochs: 40, batchSize: 8 }).history["loss"]).toEqual(h1.history["loss"]);
    expect(Array.from(m2.predict(x).data)).toEqual(Array.from(m1.predict(x).data));
    expect(m1.params().map((p) => p.name)).toEqual(["layers.0.kernel", "layers.0.bias", "layers.1.gamma", "layers.1.beta", "layers.2.kernel", "layers.2.bias"]);
  });

  it("getConfig round-trips through the constructor, before and after build", () => {
    const layer = new LayerNormalization({
      name: "ln1",
      epsilon: 1e-6,
      center: false,
      gammaInitializer: { name: "constant", config: { value: 0.5 } },
      gammaRegularizer: { l1: 0.1 },
      inputShape: [7, 3],
    });
    const json = JSON.parse(JSON.stringify(layer.getConfig())) as LayerNormalizationConfig;
    expect(json).toMatchObject({ name: "ln1", axis: -1, epsilon: 1e-6, center: false, scale: true, inputShape: [7, 3], gammaRegularizer: { l1: 0.1, l2: 0 } });
    expect(new LayerNormalization(json).getConfig()).toEqual(layer.getConfig());
    const plain = new LayerNormalization();
    expect(plain.getConfig()).toEqual({
      name: "layerNormalization",
      axis: -1,
      epsilon: 1e-3,
      center: true,
      scale: true,
      betaInitializer: { name: "zeros", config: {} },
      gammaInitializer: { name: "ones", config: {} },
      betaRegularizer: null,
      gammaRegularizer: null,
    });
    plain.build([2, 5], { dtype: "float32", rng: new Rng(0), prefix: "p" });
    expect(new LayerNormalization(plain.getConfig() as LayerNormalizationConfig).getConfig()).toEqual(plain.getConfig());
    const reg = built({ gammaInitializer: { name: "constant", config: { value: -2 } }, gammaRegularizer: { l1: 0.1 } }, [3]);
    expect(reg.regularizationLoss()).toBeCloseTo(0.1 * 6, 14);
  });

  it("bad configs, shapes and calls throw typed errors", () => {
    const cfg = (c: unknown) => () => new LayerNormalization(c as LayerNormalizationConfig);
    expect(errorCode(cfg({ axis: 1 }))).toBe("INVALID_CONFIG");
    expect(errorCode(cfg({ axis: [-1] }))).toBe("INVALID_CONFIG");
    expect(errorCode(cfg({ epsilon: -1 }))).toBe("INVALID_CONFIG");
    expect(errorCode(cfg({ scale: "yes" }))).toBe("INVALID_CONFIG");
    expect(errorCode(cfg({ momentum: 0.9 }))).toBe("INVALID_CONFIG"); // not a LayerNormalization option
    expect(errorCode(cfg({ inputShape: [] }))).toBe("INVALID_CONFIG");
    expect(errorCode(cfg({ gammaInitializer: "nope" }))).toBe("UNKNOWN_COMPONENT");
    expect(errorCode(cfg([1]))).toBe("INVALID_CONFIG");

    const fresh = new LayerNormalization({ inputShape: [4] });
    expect(errorCode(() => fresh.gamma)).toBe("NOT_BUILT");
    expect(errorCode(() => fresh.forward(new Matrix(2, 4)))).toBe("NOT_BUILT");
    expect(errorCode(() => fresh.computeOutputShape([5]))).toBe("SHAPE_MISMATCH");
    expect(errorCode(() => fresh.build([0], { dtype: "float64", rng: new Rng(0), prefix: "x" }))).toBe("SHAPE_MISMATCH");
    const layer = built({}, [2, 3]);
    expect(errorCode(() => layer.backward(new Tensor([1, 2, 3])))).toBe("INVALID_STATE");
    expect(errorCode(() => layer.forward(new Tensor([1, 3, 2])))).toBe("SHAPE_MISMATCH");
    expect(errorCode(() => layer.forward(new Matrix(2, 6)))).toBe("SHAPE_MISMATCH");
    layer.forward(new Tensor([2, 2, 3]));
    expect(errorCode(() => layer.backward(new Tensor([2, 3, 2])))).toBe("SHAPE_MISMATCH");
  });

  it("a constant row maps to beta (ε keeps it finite) and a larger batch after a smaller one works", () => {
    const layer = built(RANDOM_AFFINE, [3]);
    const y = layer.forward(Matrix.fromArray([[2, 2, 2]]));
    expect(Array.from(y.data)).toEqual(Array.from(layer.beta!.value.data));
    const x = new Rng(1).fillNormal(new Matrix(5, 3, "float64"));
    expect(maxAbsDiff(layer.forward(x).data, byHand(x, layer.gamma!.value.data, layer.beta!.value.data, 1e-3))).toBeLessThan(1e-13);
    expect(layer.backward(x).shape).toEqual([5, 3]);
  });
});
