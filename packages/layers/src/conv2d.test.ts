import { softmax } from "@backprop/activations";
import { Rng, Tensor, createWasmBackend, getBackend, setBackend, useBackend, type DType } from "@backprop/linalg";
import { createThreadedWasmBackend } from "@backprop/linalg/threads";
import { sgd } from "@backprop/optimizers";
import { errorCode } from "@backprop/testing";
import { describe, expect, it } from "vitest";
import { Conv2D, type Conv2DConfig } from "./conv2d.js";
import { Flatten } from "./flatten.js";
import { MaxPooling2D } from "./pooling/max-pooling2d.js";
import { gradientCheck } from "./gradient-check.js";
import { Sequential } from "./model/sequential.js";

/** A built layer on float64 (or float32) weights drawn from a seed. */
function built(config: Conv2DConfig, inputShape: number[], dtype: DType = "float64", seed = 3): Conv2D {
  const layer = new Conv2D(config);
  layer.build(inputShape, { dtype, rng: new Rng(seed), prefix: "layers.0" });
  return layer;
}

/**
 * The convolution from its definition, in float64, reading the layer's own kernel and bias and
 * TensorFlow's "same" offsets worked out here independently: y before the activation.
 */
function direct(layer: Conv2D, x: Tensor): Float64Array {
  const [n, H, W, C] = x.shape as [number, number, number, number];
  const [KH, KW] = layer.kernelSize;
  const [SH, SW] = layer.strides;
  const [DH, DW] = layer.dilationRate;
  const F = layer.filters;
  const same = layer.padding === "same";
  const spanH = (KH - 1) * DH + 1;
  const spanW = (KW - 1) * DW + 1;
  const OH = same ? Math.ceil(H / SH) : Math.floor((H - spanH) / SH) + 1;
  const OW = same ? Math.ceil(W / SW) : Math.floor((W - spanW) / SW) + 1;
  const top = same ? Math.floor(Math.max(0, (OH - 1) * SH + spanH - H) / 2) : 0;
  const left = same ? Math.floor(Math.max(0, (OW - 1) * SW + spanW - W) / 2) : 0;
  const k = layer.kernel.value.data;
  const bias = layer.bias?.value.data;
  const y = new Float64Array(n * OH * OW * F);
  for (let b = 0; b < n; b++)
    for (let i = 0; i < OH; i++)
      for (let j = 0; j < OW; j++)
        for (let f = 0; f < F; f++) {
          let s = bias ? (bias[f] as number) : 0;
          for (let ky = 0; ky < KH; ky++)
            for (let kx = 0; kx < KW; kx++) {
              const iy = i * SH - top + ky * DH;
              const ix = j * SW - left + kx * DW;
              if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
              for (let c = 0; c < C; c++) s += (x.data[((b * H + iy) * W + ix) * C + c] as number) * (k[((ky * KW + kx) * C + c) * F + f] as number);
            }
          y[((b * OH + i) * OW + j) * F + f] = s;
        }
  return y;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs((a[i] as number) - (b[i] as number)));
  return d;
}

describe("Conv2D gradients (finite differences, float64)", () => {
  const cases: [string, Conv2DConfig, number[]][] = [
    ["valid 3×3", { filters: 3, kernelSize: 3 }, [6, 5, 2]],
    ['"same" 3×3', { filters: 2, kernelSize: 3, padding: "same" }, [5, 6, 2]],
    ['"same" 4×3, stride 2 (odd padding at the bottom)', { filters: 2, kernelSize: [4, 3], strides: 2, padding: "same" }, [7, 6, 3]],
    ["valid, strides [2, 3]", { filters: 3, kernelSize: [2, 3], strides: [2, 3] }, [7, 8, 2]],
    ["dilation 2, valid", { filters: 2, kernelSize: 3, dilationRate: 2 }, [7, 6, 2]],
    ['dilation [2, 1], "same"', { filters: 2, kernelSize: [3, 2], dilationRate: [2, 1], padding: "same" }, [5, 5, 2]],
    ["no bias", { filters: 3, kernelSize: 2, useBias: false }, [4, 5, 2]],
    ["tanh", { filters: 3, kernelSize: 3, padding: "same", activation: "tanh" }, [5, 4, 2]],
    ["softmax over the channels", { filters: 4, kernelSize: 2, strides: 2, activation: "softmax" }, [5, 6, 2]],
    ["1×1 kernel (no unfolding)", { filters: 3, kernelSize: 1, activation: "sigmoid" }, [3, 4, 5]],
    ["L1/L2 regularizers", { filters: 2, kernelSize: 3, kernelRegularizer: { l1: 0.01, l2: 0.02 }, biasRegularizer: { l2: 0.1 } }, [5, 5, 1]],
  ];
  it.each(cases)("%s", (_, config, inputShape) => {
    const report = gradientCheck(new Conv2D({ biasInitializer: { name: "randomNormal", config: { stddev: 0.5 } }, ...config }), { inputShape });
    for (const e of report.entries) expect(e.maxRelativeError, `${e.name}: analytic ${e.analytic} vs numeric ${e.numeric}`).toBeLessThan(1e-6);
    expect(report.ok).toBe(true);
  });
});

describe("Conv2D forward", () => {
  it.each<[string, Conv2DConfig, number[]]>([
    ["valid", { filters: 4, kernelSize: 3 }, [7, 6, 3]],
    ['"same", stride 2', { filters: 3, kernelSize: [3, 4], strides: 2, padding: "same" }, [8, 7, 2]],
    ['"same", dilation 2', { filters: 2, kernelSize: 3, dilationRate: 2, padding: "same" }, [6, 7, 1]],
    ["1×1", { filters: 5, kernelSize: 1 }, [3, 3, 4]],
  ])("matches the convolution written from its definition (%s), in float64 and float32", (_, config, shape) => {
    const layer64 = built({ biasInitializer: "ones", ...config }, shape, "float64");
    const layer32 = built({ biasInitializer: "ones", ...config }, shape, "float32");
    const x = new Rng(1).fillNormal(new Tensor([3, ...shape], "float64"));
    const want = direct(layer64, x);
    const y64 = layer64.forward(x);
    expect(y64.shape).toEqual([3, ...layer64.computeOutputShape(shape)]);
    expect(maxAbsDiff(y64.data, want)).toBeLessThan(1e-12);
    const y32 = layer32.forward(x.clone("float32"));
    expect(y32.dtype).toBe("float32");
    // Same seed, same draws: the float32 kernel is the float64 one rounded.
    expect(maxAbsDiff(layer32.kernel.value.data, layer64.kernel.value.data)).toBeLessThan(1e-7);
    expect(maxAbsDiff(y32.data, want)).toBeLessThan(1e-5);
  });

  it("computes output shapes as Keras: valid ⌊(in − span)/s⌋ + 1, same ⌈in/s⌉; kernel [kh, kw, in, filters]", () => {
    const layer = new Conv2D({ filters: 8, kernelSize: 5 });
    expect(layer.computeOutputShape([28, 28, 1])).toEqual([24, 24, 8]);
    expect(new Conv2D({ filters: 8, kernelSize: 5, strides: 2, padding: "same" }).computeOutputShape([28, 27, 1])).toEqual([14, 14, 8]);
    expect(new Conv2D({ filters: 2, kernelSize: 3, strides: [2, 3] }).computeOutputShape([9, 10, 4])).toEqual([4, 3, 2]);
    expect(new Conv2D({ filters: 2, kernelSize: 3, dilationRate: 3 }).computeOutputShape([9, 7, 4])).toEqual([3, 1, 2]);
    expect(layer.paramShapes([28, 28, 3])).toEqual([
      { name: "kernel", shape: [5, 5, 3, 8] },
      { name: "bias", shape: [8] },
    ]);
    expect(new Conv2D({ filters: 2, kernelSize: [1, 2], useBias: false }).paramShapes([4, 4, 3])).toEqual([{ name: "kernel", shape: [1, 2, 3, 2] }]);
  });

  it("works in a Sequential model: shapes flow, parameters are named, training lowers the loss", () => {
    const model = new Sequential(
      [
        new Conv2D({ filters: 4, kernelSize: 3, padding: "same", activation: "relu", inputShape: [6, 6, 1] }),
        new Conv2D({ filters: 2, kernelSize: 2, strides: 2, activation: "softmax" }),
      ],
      { seed: 5, dtype: "float64" },
    ).build();
    expect(model.outputShape).toEqual([3, 3, 2]);
    expect(model.params().map((p) => [p.name, p.value.shape])).toEqual([
      ["layers.0.kernel", [3, 3, 1, 4]],
      ["layers.0.bias", [4]],
      ["layers.1.kernel", [2, 2, 4, 2]],
      ["layers.1.bias", [2]],
    ]);
    // A per-pixel two-class problem: is the pixel's 2×2 block brighter than 0?
    const rng = new Rng(2);
    const x = rng.fillNormal(new Tensor([16, 6, 6, 1], "float64"));
    const y = new Tensor([16, 3, 3, 2], "float64");
    for (let b = 0; b < 16; b++)
      for (let i = 0; i < 3; i++)
        for (let j = 0; j < 3; j++) {
          let s = 0;
          for (let dy = 0; dy < 2; dy++) for (let dx = 0; dx < 2; dx++) s += x.data[(b * 6 + 2 * i + dy) * 6 + 2 * j + dx] as number;
          y.data[((b * 3 + i) * 3 + j) * 2 + (s > 0 ? 1 : 0)] = 1;
        }
    model.compile({ loss: "categoricalCrossentropy", optimizer: sgd({ lr: 0.5 }) });
    const history = model.fit(x, y, { epochs: 40, batchSize: 8 });
    const loss = history.history["loss"] as number[];
    expect(loss.at(-1) as number).toBeLessThan((loss[0] as number) / 2);
  });

  it("inference through a convolution and its max pooling in one kernel call gives the layer-by-layer bits (wasm, two threads)", async () => {
    const threaded = await createThreadedWasmBackend({ threads: 2, minParallelWork: 0 });
    const previous = getBackend();
    try {
      for (const [name, backend] of [["wasm", createWasmBackend()], ["wasm-threads", threaded]] as const) {
        setBackend(backend);
        for (const [activation, pool] of [["relu", { poolSize: 2 }], [undefined, { poolSize: 3, strides: 2, padding: "same" as const }]] as const) {
          const model = new Sequential(
            [
              new Conv2D({ filters: 12, kernelSize: 3, activation, inputShape: [13, 11, 3] }),
              new MaxPooling2D(pool),
              new Conv2D({ filters: 8, kernelSize: 2, strides: 2, activation: "relu" }),
              new MaxPooling2D({ poolSize: 1 }),
              new Flatten(),
            ],
            { seed: 4, dtype: "float32" },
          ).build();
          const x = new Rng(5).fillNormal(new Tensor([9, 13, 11, 3], "float32"));
          // Layer by layer, as training runs it (no fusion).
          let h = x;
          for (const layer of model.layers) h = layer.forward(h, { training: true });
          const [conv, pooling] = model.layers as [Conv2D, MaxPooling2D];
          let fused = 0;
          const through = conv.inferThrough.bind(conv);
          conv.inferThrough = (input, next) => {
            const out = through(input, next);
            if (out) fused++;
            return out;
          };
          const predicted = model.predict(x);
          expect(fused, `${name}: the fused pass ran`).toBe(1);
          expect(Array.from(predicted.data).map(String), name).toEqual(Array.from(h.data).map(String));
          // Neither layer can run backward after it.
          expect(errorCode(() => pooling.backward(Tensor.zeros(pooling.inspect().output?.shape ?? [1], "float32")))).toBe("INVALID_STATE");
          expect(() => conv.backward(Tensor.zeros([9, 11, 9, 12], "float32"))).toThrow(/the last forward was an inference pass/);
        }
      }
    } finally {
      setBackend(previous);
      await threaded.close();
    }
  });

  it("is deterministic: the same seed gives the same bits (weights, outputs, trained weights)", () => {
    const run = (): number[][] => {
      const model = new Sequential(
        [new Conv2D({ filters: 3, kernelSize: 3, strides: 2, padding: "same", activation: "tanh", inputShape: [7, 7, 2] }), new Conv2D({ filters: 2, kernelSize: 2 })],
        { seed: 11 },
      );
      const x = new Rng(4).fillNormal(new Tensor([5, 7, 7, 2], "float32"));
      const y = new Rng(5).fillNormal(new Tensor([5, 3, 3, 2], "float32"));
      const before = model.predict(x);
      model.compile({ loss: "meanSquaredError", optimizer: sgd({ lr: 0.1, momentum: 0.9 }) });
      model.fit(x, y, { epochs: 3, batchSize: 2 });
      return [Array.from(before.data), ...model.getWeights().map((w) => Array.from(w.data))];
    };
    expect(run()).toEqual(run());
  });

  it("draws the kernel with Keras' fans: glorotUniform limit √(6 / (kh·kw·in + kh·kw·filters))", () => {
    const layer = built({ filters: 16, kernelSize: 5 }, [12, 12, 8]);
    const limit = Math.sqrt(6 / (5 * 5 * 8 + 5 * 5 * 16));
    const k = layer.kernel.value.data;
    const max = Array.from(k, Math.abs).reduce((m, v) => Math.max(m, v), 0);
    expect(max).toBeLessThanOrEqual(limit);
    expect(max).toBeGreaterThan(0.99 * limit);
    expect(Array.from(layer.bias?.value.data ?? [])).toEqual(new Array(16).fill(0));
  });
});

describe("Conv2D backward", () => {
  it("backwardFromDelta(δ) equals backward(dy) when δ is dy through the activation (the fused-loss path)", () => {
    const a = built({ filters: 3, kernelSize: 2, activation: "softmax" }, [4, 5, 2]);
    const b = built({ filters: 3, kernelSize: 2, activation: "softmax" }, [4, 5, 2]);
    const x = new Rng(8).fillNormal(new Tensor([2, 4, 5, 2], "float64"));
    const dy = new Rng(9).fillNormal(new Tensor([2, 3, 4, 3], "float64"));
    const ya = a.forward(x);
    b.forward(x);
    const delta = new Tensor(dy.shape, "float64");
    softmax.backward(a.inspect().preActivation?.data as Float64Array, ya.data, dy.data, delta.data, 3);
    const dxa = a.backward(dy).clone();
    const dxb = b.backwardFromDelta(delta).clone();
    expect(maxAbsDiff(dxa.data, dxb.data)).toBeLessThan(1e-14);
    expect(maxAbsDiff(a.kernel.grad.data, b.kernel.grad.data)).toBeLessThan(1e-14);
    expect(maxAbsDiff(a.bias?.grad.data ?? [], b.bias?.grad.data ?? [])).toBeLessThan(1e-14);
  });

  it("accumulates parameter gradients, skips dL/dx when inputGradient is false, and shows its values in inspect()", () => {
    const layer = built({ filters: 2, kernelSize: 3, padding: "same", activation: "tanh" }, [4, 4, 1]);
    const x = new Rng(1).fillNormal(new Tensor([2, 4, 4, 1], "float64"));
    const dy = new Rng(2).fillNormal(new Tensor([2, 4, 4, 2], "float64"));
    layer.forward(x);
    const dx = layer.backward(dy).clone();
    const once = Array.from(layer.kernel.grad.data);
    layer.forward(x);
    layer.backward(dy, { inputGradient: false });
    // Added to what was there (not rounded the same way as 2·g: the product accumulates into it).
    expect(maxAbsDiff(layer.kernel.grad.data, once.map((g) => 2 * g))).toBeLessThan(1e-12);
    const seen = layer.inspect();
    expect(seen.input).toBe(x);
    expect(seen.preActivation?.shape).toEqual([2, 4, 4, 2]);
    expect(seen.output?.shape).toEqual([2, 4, 4, 2]);
    expect(seen.outputGradient).toBe(dy);
    expect(seen.delta?.shape).toEqual([2, 4, 4, 2]);
    expect(seen.inputGradient).toBeUndefined();
    layer.forward(x);
    expect(Array.from(layer.backward(dy).data)).toEqual(Array.from(dx.data));
    expect(layer.inspect().inputGradient?.shape).toEqual([2, 4, 4, 1]);
  });

  it.each(["typescript", "wasm"] as const)(
    "an inference forward (training: false) with ReLU gives the training forward's bits on %s, and refuses a backward pass",
    (backendName) => {
      const previous = useBackend(backendName);
      try {
        for (const [dtype, padding] of [["float32", "valid"], ["float64", "valid"], ["float32", "same"]] as const) {
          const layer = built({ filters: 11, kernelSize: 3, padding, activation: "relu" }, [9, 8, 3], dtype);
          const x = new Rng(4).fillNormal(new Tensor([5, 9, 8, 3], dtype));
          const trained = layer.forward(x, { training: true }).clone();
          const inferred = layer.forward(x, { training: false });
          expect(Array.from(inferred.data).map(String)).toEqual(Array.from(trained.data).map(String));
          expect(inferred.data.some((v) => v === 0) && inferred.data.some((v) => v > 0)).toBe(true);
          expect(layer.inspect().preActivation).toBeUndefined();
          expect(errorCode(() => layer.backward(Tensor.zeros(inferred.shape, dtype)))).toBe("INVALID_STATE");
          expect(() => layer.backward(Tensor.zeros(inferred.shape, dtype))).toThrow(/the last forward was an inference pass/);
        }
      } finally {
        setBackend(previous);
      }
    },
  );

  it("leaves a frozen kernel's gradient alone", () => {
    const layer = built({ filters: 2, kernelSize: 2 }, [3, 3, 1]);
    layer.kernel.trainable = false;
    layer.forward(new Rng(1).fillNormal(new Tensor([1, 3, 3, 1], "float64")));
    layer.backward(Tensor.full([1, 2, 2, 2], 1, "float64"));
    expect(layer.kernel.grad.data.every((g) => g === 0)).toBe(true);
    expect(Array.from(layer.bias?.grad.data ?? [])).toEqual([4, 4]);
  });
});

describe("Conv2D config", () => {
  it("getConfig round-trips through the constructor, before and after build", () => {
    const layer = new Conv2D({
      filters: 6,
      kernelSize: [3, 2],
      strides: 2,
      padding: "same",
      activation: { name: "leakyRelu", config: { alpha: 0.2 } },
      kernelInitializer: "heNormal",
      biasInitializer: { name: "constant", config: { value: 0.1 } },
      kernelRegularizer: { l2: 1e-4 },
      name: "conv",
    });
    const config = layer.getConfig();
    expect(config).toEqual({
      name: "conv",
      filters: 6,
      kernelSize: [3, 2],
      strides: [2, 2],
      padding: "same",
      dilationRate: [1, 1],
      useBias: true,
      activation: { name: "leakyRelu", config: { alpha: 0.2 } },
      kernelInitializer: { name: "heNormal", config: {} },
      biasInitializer: { name: "constant", config: { value: 0.1 } },
      kernelRegularizer: { l1: 0, l2: 1e-4 },
      biasRegularizer: null,
    });
    expect(new Conv2D(config as unknown as Conv2DConfig).getConfig()).toEqual(config);
    expect(JSON.parse(JSON.stringify(config))).toEqual(config);
    layer.build([8, 8, 3], { dtype: "float32", rng: new Rng(0), prefix: "layers.0" });
    const builtConfig = layer.getConfig();
    expect(builtConfig["inputShape"]).toEqual([8, 8, 3]);
    expect(new Conv2D(builtConfig as unknown as Conv2DConfig).getConfig()).toEqual(builtConfig);
    const defaults = new Conv2D({ filters: 1, kernelSize: 1, inputShape: [2, 2, 1] }).getConfig();
    expect(new Conv2D(defaults as unknown as Conv2DConfig).getConfig()).toEqual(defaults);
  });

  it("rejects bad configs with INVALID_CONFIG and a message naming the key", () => {
    const bad: unknown[] = [
      { kernelSize: 3 },
      { filters: 0, kernelSize: 3 },
      { filters: 2.5, kernelSize: 3 },
      { filters: 2 },
      { filters: 2, kernelSize: [3] },
      { filters: 2, kernelSize: [3, 0] },
      { filters: 2, kernelSize: 3, strides: 0 },
      { filters: 2, kernelSize: 3, strides: [1, -1] },
      { filters: 2, kernelSize: 3, dilationRate: 0 },
      { filters: 2, kernelSize: 3, padding: "full" },
      { filters: 2, kernelSize: 3, padding: "SAME" },
      { filters: 2, kernelSize: 3, useBias: "yes" },
      { filters: 2, kernelSize: 3, strides: 2, dilationRate: 2 },
      { filters: 2, kernelSize: 3, kernel_size: 3 },
      { filters: 2, kernelSize: 3, kernelInitializer: 42 },
      { filters: 2, kernelSize: 3, kernelRegularizer: { l2: -1 } },
      { filters: 2, kernelSize: 3, inputShape: [28, 28] },
      { filters: 2, kernelSize: 3, inputShape: [28, 0, 1] },
      null,
      "conv",
    ];
    for (const config of bad) expect(errorCode(() => new Conv2D(config as Conv2DConfig)), JSON.stringify(config)).toBe("INVALID_CONFIG");
    expect(errorCode(() => new Conv2D({ filters: 2, kernelSize: 3, activation: "nope" }))).toBe("UNKNOWN_COMPONENT");
    expect(() => new Conv2D({ filters: 2, kernelSize: 3, strides: 0 })).toThrow(
      "Conv2D: invalid strides (got 0, expected a positive integer or [height, width] of positive integers)",
    );
    expect(() => new Conv2D({ filters: 2, kernelSize: 3, kernel_size: 3 } as Conv2DConfig)).toThrow(/unknown config key "kernel_size"/);
  });

  it("rejects input shapes that do not fit with SHAPE_MISMATCH, and misuse with our errors", () => {
    const layer = new Conv2D({ filters: 2, kernelSize: 5, name: "c" });
    expect(errorCode(() => layer.computeOutputShape([4, 6, 1]))).toBe("SHAPE_MISMATCH");
    expect(() => layer.computeOutputShape([4, 6, 1])).toThrow(/^c: the 5×5 window does not fit the 4×6 input with "valid" padding \(got an output of 0×2, expected at least 1×1\)/);
    expect(errorCode(() => new Conv2D({ filters: 2, kernelSize: 3, dilationRate: 3 }).computeOutputShape([6, 9, 1]))).toBe("SHAPE_MISMATCH");
    expect(errorCode(() => layer.computeOutputShape([28, 28]))).toBe("SHAPE_MISMATCH");
    expect(errorCode(() => layer.paramShapes([28, 28, 1, 1]))).toBe("SHAPE_MISMATCH");
    expect(errorCode(() => layer.forward(new Tensor([1, 8, 8, 1])))).toBe("NOT_BUILT");
    expect(errorCode(() => layer.kernel)).toBe("NOT_BUILT");
    // "same" always fits, whatever the kernel.
    expect(new Conv2D({ filters: 1, kernelSize: 5, padding: "same" }).computeOutputShape([2, 3, 1])).toEqual([2, 3, 1]);
    layer.build([8, 8, 1], { dtype: "float64", rng: new Rng(0), prefix: "layers.0" });
    expect(errorCode(() => layer.backward(new Tensor([1, 4, 4, 2])))).toBe("INVALID_STATE");
    expect(errorCode(() => layer.forward(new Tensor([1, 8, 8, 2])))).toBe("SHAPE_MISMATCH");
    expect(() => layer.forward(new Tensor([1, 8, 7, 1]))).toThrow("c: input is [1, 8, 7, 1] (expected [n, 8, 8, 1])");
    expect(errorCode(() => layer.forward(new Tensor([8, 8, 1])))).toBe("SHAPE_MISMATCH");
    layer.forward(new Tensor([2, 8, 8, 1]));
    expect(errorCode(() => layer.backward(new Tensor([2, 4, 4, 3])))).toBe("SHAPE_MISMATCH");
    expect(errorCode(() => layer.backwardFromDelta(new Tensor([1, 4, 4, 2])))).toBe("SHAPE_MISMATCH");
    expect(errorCode(() => layer.forward(new Tensor([2, 8, 8, 1], "float32")))).toBe("INVALID_ARGUMENT");
    const model = new Sequential([new Conv2D({ filters: 2, kernelSize: 3, inputShape: [2, 2, 1] })]);
    expect(errorCode(() => model.build())).toBe("SHAPE_MISMATCH");
  });
});
