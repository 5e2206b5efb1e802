import { Matrix, Rng, Tensor, finiteDifferenceCheck, type DType, type Shape } from "@backprop/linalg";
import { sgd } from "@backprop/optimizers";
import { errorCode } from "@backprop/testing";
import { describe, expect, it } from "vitest";
import { BatchNormalization, type BatchNormalizationConfig } from "./batch-normalization.js";
import { Dense } from "./dense.js";
import { gradientCheck } from "./gradient-check.js";
import { Sequential } from "./model/sequential.js";

// γ around 1 and β around 0 but not exactly, so the checks see both parameters at work.
const RANDOM_AFFINE: BatchNormalizationConfig = {
  gammaInitializer: { name: "randomNormal", config: { mean: 1, stddev: 0.5 } },
  betaInitializer: { name: "randomNormal", config: { mean: 0, stddev: 0.5 } },
};

function built(config: BatchNormalizationConfig, shape: Shape, dtype: DType = "float64", seed = 1): BatchNormalization {
  const layer = new BatchNormalization(config);
  layer.build(shape, { dtype, rng: new Rng(seed), prefix: "bn" });
  return layer;
}

/** Per-channel batch mean and biased variance over every position of every sample, by hand. */
function channelStats(x: Tensor): { mean: number[]; variance: number[] } {
  const c = x.shape[x.rank - 1] as number;
  const rows = x.size / c;
  const mean = Array.from({ length: c }, (_, j) => {
    let s = 0;
    for (let r = 0; r < rows; r++) s += x.data[r * c + j] as number;
    return s / rows;
  });
  const variance = Array.from({ length: c }, (_, j) => {
    let s = 0;
    for (let r = 0; r < rows; r++) s += ((x.data[r * c + j] as number) - (mean[j] as number)) ** 2;
    return s / rows;
  });
  return { mean, variance };
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs((a[i] as number) - (b[i] as number)));
  return d;
}

describe("BatchNormalization", () => {
  it("has Keras' parameters, order and shapes; the moving statistics are not trainable", () => {
    const layer = built({}, [4, 4, 3]);
    expect(layer.params().map((p) => [p.name, p.value.shape, p.trainable])).toEqual([
      ["bn.gamma", [3], true],
      ["bn.beta", [3], true],
      ["bn.movingMean", [3], false],
      ["bn.movingVariance", [3], false],
    ]);
    expect(layer.paramShapes([4, 4, 3])).toEqual([
      { name: "gamma", shape: [3] },
      { name: "beta", shape: [3] },
      { name: "movingMean", shape: [3] },
      { name: "movingVariance", shape: [3] },
    ]);
    // Keras' initial values: gamma 1, beta 0, moving mean 0, moving variance 1.
    expect(layer.params().map((p) => Array.from(p.value.data))).toEqual([[1, 1, 1], [0, 0, 0], [0, 0, 0], [1, 1, 1]]);
    expect(layer.computeOutputShape([4, 4, 3])).toEqual([4, 4, 3]);
    expect(new BatchNormalization({ center: false, scale: false }).paramShapes([5]).map((s) => s.name)).toEqual(["movingMean", "movingVariance"]);
    expect(new BatchNormalization({ scale: false }).paramShapes([5]).map((s) => s.name)).toEqual(["beta", "movingMean", "movingVariance"]);
    expect(layer.regularizationLoss()).toBe(0);
  });

  it("training mode normalises with the batch statistics over every position of every sample", () => {
    const layer = built(RANDOM_AFFINE, [3, 2, 4]);
    const x = new Rng(2).fillNormal(new Tensor([5, 3, 2, 4], "float64"), 3, 2);
    const y = layer.forward(x, { training: true });
    const { mean, variance } = channelStats(x);
    const gamma = layer.gamma!.value.data;
    const beta = layer.beta!.value.data;
    const expected = x.data.map((v, i) => {
      const j = i % 4;
      return ((gamma[j] as number) * (v - (mean[j] as number))) / Math.sqrt((variance[j] as number) + 1e-3) + (beta[j] as number);
    });
    expect(maxAbsDiff(y.data, expected)).toBeLessThan(1e-13);
  });

  it("the moving statistics after k training steps follow moving·momentum + batchStat·(1 − momentum), biased variance", () => {
    const momentum = 0.8;
    const layer = built({ ...RANDOM_AFFINE, momentum }, [2, 2, 3]);
    const rng = new Rng(3);
    const mm = [0, 0, 0];
    const mv = [1, 1, 1];
    for (let k = 0; k < 4; k++) {
      const x = rng.fillNormal(new Tensor([3, 2, 2, 3], "float64"), k - 1, 1 + k);
      layer.forward(x, { training: true });
      const { mean, variance } = channelStats(x);
      for (let j = 0; j < 3; j++) {
        mm[j] = (mm[j] as number) * momentum + (mean[j] as number) * (1 - momentum);
        mv[j] = (mv[j] as number) * momentum + (variance[j] as number) * (1 - momentum);
      }
    }
    expect(maxAbsDiff(layer.movingMean.value.data, mm)).toBeLessThan(1e-14);
    expect(maxAbsDiff(layer.movingVariance.value.data, mv)).toBeLessThan(1e-13);

    // Inference uses them, and leaves them alone.
    const x = rng.fillNormal(new Tensor([2, 2, 2, 3], "float64"));
    const y = layer.forward(x, { training: false });
    const gamma = layer.gamma!.value.data;
    const beta = layer.beta!.value.data;
    const expected = x.data.map((v, i) => {
      const j = i % 3;
      return ((gamma[j] as number) * (v - (mm[j] as number))) / Math.sqrt((mv[j] as number) + 1e-3) + (beta[j] as number);
    });
    expect(maxAbsDiff(y.data, expected)).toBeLessThan(1e-13);
    expect(Array.from(layer.forward(x).data)).toEqual(Array.from(y.data)); // no ctx = inference
    expect(maxAbsDiff(layer.movingMean.value.data, mm)).toBeLessThan(1e-14);
  });

  for (const [label, shape] of [["[features]", [4]], ["[h, w, c]", [3, 2, 2]]] as const) {
    for (const options of [RANDOM_AFFINE, { ...RANDOM_AFFINE, center: false }, { ...RANDOM_AFFINE, scale: false }, { ...RANDOM_AFFINE, gammaRegularizer: { l2: 0.1 }, betaRegularizer: { l1: 0.01, l2: 0.2 } }]) {
      it(`training mode passes the gradient check (input, gamma, beta) on ${label} ${JSON.stringify(Object.keys(options))}`, () => {
        const layer = built(options, shape, "float64", 5);
        // NOTE: gradientCheck calls forward with training: true for every finite difference, so it
        // moves the moving statistics; the training output does not read them, so the check is exact.
        const saved = [layer.movingMean.value.clone(), layer.movingVariance.value.clone()];
        const report = gradientCheck(layer, { inputShape: shape, batch: 4 });
        expect(report.entries.map((e) => e.name)).toEqual(["input", ...(options.scale === false ? [] : ["bn.gamma"]), ...(options.center === false ? [] : ["bn.beta"])]);
        for (const e of report.entries) expect(e.maxRelativeError, e.name).toBeLessThan(1e-6);
        expect(report.ok).toBe(true);
        expect(Array.from(layer.movingMean.value.data)).not.toEqual(Array.from(saved[0]!.data));
        layer.movingMean.value.copyFrom(saved[0]!);
        layer.movingVariance.value.copyFrom(saved[1]!);
      });
    }

    it(`inference mode: dx = dy·γ/√(movingVariance + ε), dγ and dβ match finite differences of the inference forward on ${label}`, () => {
      const layer = built(RANDOM_AFFINE, shape, "float64", 6);
      const rng = new Rng(7);
      rng.fillNormal(layer.movingMean.value, 0.5, 1);
      rng.fillUniform(layer.movingVariance.value, 0.2, 3);
      const statsBefore = [Array.from(layer.movingMean.value.data), Array.from(layer.movingVariance.value.data)];
      const x = rng.fillNormal(new Tensor([3, ...shape], "float64"));
      const r = rng.fillNormal(new Tensor([3, ...shape], "float64"));
      const lossOf = (): number => {
        const y = layer.forward(x, { training: false });
        let s = 0;
        for (let i = 0; i < y.size; i++) s += (y.data[i] as number) * (r.data[i] as number);
        return s;
      };
      lossOf();
      for (const p of layer.params()) p.grad.fill(0);
      const dx = Float64Array.from(layer.backward(r).data);
      const c = shape[shape.length - 1] as number;
      const gamma = layer.gamma!.value.data;
      const variance = layer.movingVariance.value.data;
      expect(maxAbsDiff(dx, r.data.map((g, i) => (g * (gamma[i % c] as number)) / Math.sqrt((variance[i % c] as number) + 1e-3)))).toBeLessThan(1e-15);
      expect(finiteDifferenceCheck(x.data, dx, lossOf).maxRelativeError).toBeLessThan(1e-6);
      for (const p of [layer.gamma!, layer.beta!]) {
        const grad = Float64Array.from(p.grad.data);
        expect(finiteDifferenceCheck(p.value.data, grad, lossOf).maxRelativeError, p.name).toBeLessThan(1e-6);
      }
      // The statistics got no gradient and did not move.
      expect(Array.from(layer.movingMean.grad.data)).toEqual(new Array(c).fill(0));
      expect([Array.from(layer.movingMean.value.data), Array.from(layer.movingVariance.value.data)]).toEqual(statsBefore);
    });
  }

  it("inside a model: fit moves the statistics (not the optimizer), predict uses them; same seed, same bits", () => {
    const rng = new Rng(11);
    const x = rng.fillNormal(new Matrix(32, 3, "float64"), 2, 3);
    const y = new Matrix(32, 1, "float64");
    for (let i = 0; i < 32; i++) y.data[i] = (x.get(i, 0) - 2) / 3 - 0.5 * ((x.get(i, 2) - 2) / 3);
    const make = () => {
      const m = new Sequential([new BatchNormalization({ inputShape: [3], momentum: 0.9 }), new Dense({ units: 1 })], { seed: 3, dtype: "float64" });
      m.compile({ loss: "meanSquaredError", optimizer: sgd({ lr: 0.1 }) });
      return m.build();
    };
    const model = make();
    const bn = model.layers[0] as BatchNormalization;
    expect(model.params().map((p) => [p.name, p.trainable])).toEqual([
      ["layers.0.gamma", true],
      ["layers.0.beta", true],
      ["layers.0.movingMean", false],
      ["layers.0.movingVariance", false],
      ["layers.1.kernel", true],
      ["layers.1.bias", true],
    ]);
    const h = model.fit(x, y, { epochs: 30, batchSize: 32, shuffle: false });
    expect(h.history["loss"]!.at(-1)!).toBeLessThan(h.history["loss"]![0]! / 10);
    // Full batches in order: every step saw the whole set, so the moving statistics after 30 steps are
    // 0.9³⁰·initial + (1 − 0.9³⁰)·batchStat.
    const { mean, variance } = channelStats(x);
    const w = 0.9 ** 30;
    expect(maxAbsDiff(bn.movingMean.value.data, mean.map((m) => (1 - w) * m))).toBeLessThan(1e-12);
    expect(maxAbsDiff(bn.movingVariance.value.data, variance.map((v) => w + (1 - w) * v))).toBeLessThan(1e-12);
    // predict normalises with the moving statistics.
    const out = model.predict(x.rowSlice(0, 2)).data;
    const kernel = model.params()[4]!.value.data;
    const bias = model.params()[5]!.value.data[0] as number;
    const g = bn.gamma!.value.data;
    const b = bn.beta!.value.data;
    const mm = bn.movingMean.value.data;
    const mv = bn.movingVariance.value.data;
    for (let i = 0; i < 2; i++) {
      let s = bias;
      for (let j = 0; j < 3; j++) s += (kernel[j] as number) * (((g[j] as number) * (x.get(i, j) - (mm[j] as number))) / Math.sqrt((mv[j] as number) + 1e-3) + (b[j] as number));
      expect(out[i]).toBeCloseTo(s, 12);
    }
    // Determinism: the same seed gives the same bits.
    const again = make();
    const h2 = again.fit(x, y, { epochs: 30, batchSize: 32, shuffle: false });
    expect(h2.history["loss"]).toEqual(h.history["loss"]);
    expect(again.getWeights().map((t) => Array.from(t.data))).toEqual(model.getWeights().map((t) => Array.from(t.data)));
    // The moving statistics are weights: a fresh model given the weights predicts the same bits.
    const fresh = make();
    fresh.setWeights(model.getWeights());
    expect(Array.from(fresh.predict(x).data)).toEqual(Array.from(model.predict(x).data));
  });

  it("float32 and float64 agree; buffers are reused per batch size", () => {
    const x64 = new Rng(4).fillNormal(new Tensor([6, 2, 3], "float64"), 1, 2);
    const x32 = x64.clone("float32");
    const a = built(RANDOM_AFFINE, [2, 3], "float64", 9);
    const b = built(RANDOM_AFFINE, [2, 3], "float32", 9);
    const ya = a.forward(x64, { training: true });
    const yb = b.forward(x32, { training: true });
    expect(yb.dtype).toBe("float32");
    expect(maxAbsDiff(ya.data, yb.data)).toBeLessThan(1e-5);
    const dy = new Rng(5).fillNormal(new Tensor([6, 2, 3], "float64"));
    expect(maxAbsDiff(a.backward(dy).data, b.backward(dy.clone("float32")).data)).toBeLessThan(1e-5);
    expect(maxAbsDiff(a.movingVariance.value.data, b.movingVariance.value.data)).toBeLessThan(1e-6);
    expect(b.forward(x32, { training: true })).toBe(yb);
    expect(b.forward(x32.batchSlice(0, 2), { training: true })).not.toBe(yb);
  });

  it("getConfig round-trips through the constructor, before and after build", () => {
    const config: BatchNormalizationConfig = {
      name: "bn1",
      momentum: 0.5,
      epsilon: 1e-5,
      center: false,
      scale: true,
      gammaInitializer: { name: "constant", config: { value: 2 } },
      movingVarianceInitializer: "zeros",
      gammaRegularizer: { l2: 0.01 },
      inputShape: [4, 4, 2],
    };
    const layer = new BatchNormalization(config);
    const json = JSON.parse(JSON.stringify(layer.getConfig())) as BatchNormalizationConfig;
    expect(json).toMatchObject({ name: "bn1", axis: -1, momentum: 0.5, epsilon: 1e-5, center: false, scale: true, inputShape: [4, 4, 2] });
    const copy = new BatchNormalization(json);
    expect(copy.getConfig()).toEqual(layer.getConfig());
    const plain = new BatchNormalization();
    expect(plain.getConfig()).toEqual({
      name: "batchNormalization",
      axis: -1,
      momentum: 0.99,
      epsilon: 1e-3,
      center: true,
      scale: true,
      betaInitializer: { name: "zeros", config: {} },
      gammaInitializer: { name: "ones", config: {} },
      movingMeanInitializer: { name: "zeros", config: {} },
      movingVarianceInitializer: { name: "ones", config: {} },
      betaRegularizer: null,
      gammaRegularizer: null,
    });
    plain.build([5], { dtype: "float32", rng: new Rng(0), prefix: "p" });
    expect(new BatchNormalization(plain.getConfig() as BatchNormalizationConfig).getConfig()).toEqual(plain.getConfig());
    // The regularizer is in the loss.
    const reg = built({ ...config, inputShape: null }, [4, 4, 2]);
    expect(reg.regularizationLoss()).toBeCloseTo(0.01 * 2 * 2 * 2, 14);
  });

  it("bad configs, shapes and calls throw typed errors", () => {
    const cfg = (c: unknown) => () => new BatchNormalization(c as BatchNormalizationConfig);
    expect(errorCode(cfg({ axis: 1 }))).toBe("INVALID_CONFIG");
    expect(errorCode(cfg({ axis: 3 }))).toBe("INVALID_CONFIG");
    expect(errorCode(cfg({ momentum: 1.5 }))).toBe("INVALID_CONFIG");
    expect(errorCode(cfg({ momentum: "0.9" }))).toBe("INVALID_CONFIG");
    expect(errorCode(cfg({ epsilon: -1e-3 }))).toBe("INVALID_CONFIG");
    expect(errorCode(cfg({ epsilon: Number.NaN }))).toBe("INVALID_CONFIG");
    expect(errorCode(cfg({ center: 1 }))).toBe("INVALID_CONFIG");
    expect(errorCode(cfg({ momentun: 0.9 }))).toBe("INVALID_CONFIG");
    expect(errorCode(cfg({ inputShape: [0, 3] }))).toBe("INVALID_CONFIG");
    expect(errorCode(cfg({ gammaRegularizer: { l2: -1 } }))).toBe("INVALID_CONFIG");
    expect(errorCode(cfg({ betaInitializer: "nope" }))).toBe("UNKNOWN_COMPONENT");
    expect(errorCode(cfg(7))).toBe("INVALID_CONFIG");
  });

  it("rejects wrong shapes and out-of-order calls with typed errors", () => {
    const fresh = new BatchNormalization({ inputShape: [2, 3] });
    expect(errorCode(() => fresh.movingMean)).toBe("NOT_BUILT");
    expect(errorCode(() => fresh.forward(new Tensor([1, 2, 3])))).toBe("NOT_BUILT");
    expect(errorCode(() => fresh.computeOutputShape([2, 4]))).toBe("SHAPE_MISMATCH");
    expect(errorCode(() => fresh.paramShapes([]))).toBe("SHAPE_MISMATCH");
    const layer = built({}, [2, 3]);
    expect(errorCode(() => layer.backward(new Tensor([1, 2, 3])))).toBe("INVALID_STATE");
    expect(errorCode(() => layer.forward(new Tensor([1, 3, 2])))).toBe("SHAPE_MISMATCH");
    expect(errorCode(() => layer.forward(new Tensor([6, 3])))).toBe("SHAPE_MISMATCH");
    layer.forward(new Tensor([2, 2, 3]), { training: true });
    expect(errorCode(() => layer.backward(new Tensor([2, 3, 2])))).toBe("SHAPE_MISMATCH");
    expect(errorCode(() => layer.backward(new Tensor([1, 2, 3])))).toBe("SHAPE_MISMATCH");
  });

  it("a batch of one in training mode outputs beta (zero variance, ε keeps it finite); an empty batch leaves the statistics alone", () => {
    const layer = built(RANDOM_AFFINE, [3]);
    const y = layer.forward(Matrix.fromArray([[1, 2, 3]]), { training: true });
    expect(Array.from(y.data)).toEqual(Array.from(layer.beta!.value.data));
    const before = Array.from(layer.movingVariance.value.data);
    const empty = layer.forward(new Matrix(0, 3), { training: true });
    expect(empty.size).toBe(0);
    expect(Array.from(layer.movingVariance.value.data)).toEqual(before);
  });
});
