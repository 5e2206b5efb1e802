import { isBackpropError, Tensor, type DType } from "@backprop/linalg";
import { BatchNormalization, Conv2D, Dense, Dropout, Flatten, LayerNormalization, Normalization, Sequential } from "@backprop/layers";
import * as ort from "onnxruntime-node";
import { afterAll, describe, expect, it } from "vitest";
import { maxDiff } from "./peer-agreement.test-util.js";
import { modelToOnnx } from "./onnx-export.js";
import { modelFromOnnx } from "./onnx-import.js";
import { decodeOnnxModel, encodeOnnxModel, ONNX_ATTRIBUTE_TYPE, ONNX_DATA_TYPE, type OnnxAttribute, type OnnxGraph, type OnnxModel, type OnnxNode } from "./onnx-proto.js";
import { batchNormCnn, lenet, paddedStridedCnn, randomBatch, randomizeWeights, reshapeCnn } from "./test-models.test-util.js";

/*
 * Convolutional models in onnxruntime-node against `predict`, on random NHWC batches: the graph
 * takes and gives our layout, with Transpose nodes around its NCHW convolutions and pools.
 */

const measured: { model: string; maxDiff: number }[] = [];
afterAll(() => {
  // ONNX_AGREEMENT_REPORT=1 prints the measured differences (the numbers quoted in reviews).
  if (process.env["ONNX_AGREEMENT_REPORT"]) console.table(measured);
});

async function runOrt(bytes: Uint8Array, x: Tensor): Promise<{ data: Float32Array | Float64Array; dims: readonly number[] }> {
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  const result = await session.run({ input: new ort.Tensor(x.dtype === "float64" ? "float64" : "float32", x.data, [...x.shape]) });
  await session.release();
  const out = result["output"]!;
  return { data: out.data as Float32Array | Float64Array, dims: out.dims };
}

/** onnxruntime's answer against predict's, same shape; records the difference. */
async function agreement(label: string, model: Sequential, batch = 5, dtype: DType = "float32"): Promise<number> {
  const x = randomBatch(batch, model.inputShape!, dtype);
  const y = model.predict(x);
  const out = await runOrt(modelToOnnx(model), x);
  expect(out.dims).toEqual(y.shape);
  const d = maxDiff(out.data, y.data);
  measured.push({ model: label, maxDiff: d });
  return d;
}

/** Normalization of images (Sub/Div on NHWC), leakyRelu conv, LayerNormalization after a conv, dropout, a softmax conv last. */
function endsOnConv(): Sequential {
  const norm = new Normalization({ inputShape: [6, 7, 3] });
  const model = randomizeWeights(new Sequential([
    norm,
    new Conv2D({ filters: 4, kernelSize: 3, padding: "same", activation: { name: "leakyRelu", config: { alpha: 0.1 } } }),
    new LayerNormalization(),
    new Dropout({ rate: 0.5 }),
    new Conv2D({ filters: 3, kernelSize: 1, activation: "softmax" }),
  ], { seed: 9 }).build(), 9);
  // randomizeWeights drew the statistics too: adapt them again (variances > 0).
  return norm.adapt(randomBatch(20, [6, 7, 3], "float64", 4)), model;
}

/** BatchNormalization (no γ) of flattened conv features. */
function flatBatchNorm(): Sequential {
  return randomizeWeights(new Sequential([
    new Conv2D({ filters: 2, kernelSize: 2, inputShape: [4, 4, 1] }),
    new Flatten(),
    new BatchNormalization({ scale: false }),
    new Dense({ units: 3, activation: "tanh" }),
  ], { seed: 10 }).build(), 10);
}

/** BatchNormalization (no β) of [time, features] samples. */
function sequenceBatchNorm(): Sequential {
  return randomizeWeights(new Sequential([
    new Dense({ units: 4, inputShape: [5, 3] }),
    new BatchNormalization({ center: false }),
    new Dense({ units: 2 }),
  ], { seed: 11 }).build(), 11);
}

const ops = (bytes: Uint8Array) => decodeOnnxModel(bytes).graph!.node!.map((n) => n.opType);

describe("ONNX export of convolutional networks, checked by onnxruntime-node (float32, within 1e-5)", () => {
  it("LeNet-style: conv valid relu → max pool → conv same → average pool same (odd sizes) → flatten → dense softmax", async () => {
    const model = lenet();
    expect(await agreement("lenet", model)).toBeLessThan(1e-5);
    // One Transpose in (NHWC → NCHW) and one back before Flatten, so the flattened order is ours.
    expect(ops(modelToOnnx(model))).toEqual(["Transpose", "Conv", "Relu", "MaxPool", "Conv", "Tanh", "AveragePool", "Transpose", "Flatten", "Gemm", "Softmax", "Identity"]);
  });

  it("explicit pads from our geometry, the kernel as [out, in, kh, kw], count_include_pad = 0", () => {
    const graph = decodeOnnxModel(modelToOnnx(lenet())).graph!;
    const attrs = (op: string) => Object.fromEntries(graph.node!.find((n) => n.opType === op)!.attribute!.map((a) => [a.name, a.ints?.length ? a.ints.map(Number) : Number(a.i)]));
    expect(graph.node![0]!.attribute![0]!.ints!.map(Number)).toEqual([0, 3, 1, 2]);
    expect(attrs("AveragePool")).toMatchObject({ kernel_shape: [2, 2], strides: [2, 2], pads: [0, 0, 1, 1], count_include_pad: 0 });
    expect(attrs("MaxPool")).toMatchObject({ kernel_shape: [2, 2], strides: [2, 2], pads: [0, 0, 0, 0] });
    const kernels = graph.initializer!.filter((t) => t.name!.endsWith(".kernel")).map((t) => t.dims!.map(Number));
    expect(kernels).toEqual([[4, 2, 3, 3], [6, 4, 3, 3], [54, 3]]);
  });

  it("batch normalisation (moving statistics, ε 0.01) and global average pooling", async () => {
    const model = batchNormCnn();
    expect(await agreement("batch norm + global average pool", model)).toBeLessThan(1e-5);
    const found = ops(modelToOnnx(model));
    expect(found).toContain("BatchNormalization");
    expect(found).toContain("GlobalAveragePool");
    // Conv, BN, relu, conv and the pool all run NCHW: one Transpose, none after the global pool.
    expect(found.filter((op) => op === "Transpose")).toHaveLength(1);
  });

  it("global max pooling", async () => {
    const model = batchNormCnn("float32", "max");
    expect(await agreement("batch norm + global max pool", model)).toBeLessThan(1e-5);
    expect(ops(modelToOnnx(model))).toContain("GlobalMaxPool");
  });

  it("ZeroPadding2D (asymmetric), strides 2 with same padding, dilation 2 (same and valid), strided same max pool", async () => {
    const model = paddedStridedCnn();
    expect(await agreement("zero padding + strides + dilation", model)).toBeLessThan(1e-5);
    expect(ops(modelToOnnx(model)).slice(0, 3)).toEqual(["Pad", "Transpose", "Conv"]);
  });

  it("Reshape (flat rows → images, images → positions) and LayerNormalization (composed, opset 13)", async () => {
    const model = reshapeCnn();
    expect(await agreement("reshape + layer norm", model)).toBeLessThan(1e-5);
    const found = ops(modelToOnnx(model));
    expect(found.filter((op) => op === "Reshape")).toHaveLength(2);
    expect(found).toContain("ReduceMean");
  });

  it("a model that ends on a convolution gives NHWC, with softmax over the channels", async () => {
    const model = endsOnConv();
    expect(await agreement("ends on conv softmax", model)).toBeLessThan(1e-5);
    const graph = decodeOnnxModel(modelToOnnx(model)).graph!;
    expect(graph.output![0]!.type!.tensorType!.shape!.dim!.map((d) => d.dimParam || Number(d.dimValue))).toEqual(["batch", 6, 7, 3]);
    const softmax = graph.node!.find((n) => n.opType === "Softmax")!;
    expect(Number(softmax.attribute![0]!.i)).toBe(1);
  });

  it("batch normalisation of flat features and of [time, features] sequences", async () => {
    expect(await agreement("flat batch norm", flatBatchNorm())).toBeLessThan(1e-5);
    expect(await agreement("sequence batch norm", sequenceBatchNorm())).toBeLessThan(1e-5);
  });

  it("float64: DOUBLE tensors; onnxruntime agrees within 1e-10 where it has double kernels", async () => {
    const graph = decodeOnnxModel(modelToOnnx(lenet("float64"))).graph!;
    expect(graph.initializer!.filter((t) => t.name!.endsWith(".kernel")).every((t) => t.dataType === ONNX_DATA_TYPE.DOUBLE)).toBe(true);
    expect(graph.input![0]!.type!.tensorType!.elemType).toBe(ONNX_DATA_TYPE.DOUBLE);
    // NOTE: onnxruntime's CPU provider has no double Conv; the other ops are checked here.
    const model = randomizeWeights(new Sequential([
      new Dense({ units: 4, inputShape: [5, 3] }),
      new BatchNormalization(),
      new LayerNormalization(),
      new Flatten(),
      new Dense({ units: 2, activation: "softmax" }),
    ], { seed: 12, dtype: "float64" }).build(), 12);
    // NOTE: 1e-10, not 1e-12: BatchNormalization's epsilon is a FLOAT attribute in ONNX, so 1e-3
    // becomes 1e-3 + 4.7e-11 (the weights and LayerNormalization's ε constant are DOUBLE).
    expect(await agreement("float64 BN + LN", model, 4, "float64")).toBeLessThan(1e-10);
  });
});

describe("ONNX import of convolutional networks (our exports read back)", () => {
  const cases: [string, () => Sequential, number?][] = [
    ["LeNet-style", () => lenet()],
    ["batch norm + global average pool", () => batchNormCnn()],
    ["batch norm + global max pool", () => batchNormCnn("float32", "max")],
    ["zero padding + strides + dilation", () => paddedStridedCnn()],
    ["reshape + layer norm", () => reshapeCnn()],
    ["float64 LeNet-style", () => lenet("float64")],
    // NOTE: Normalization is written as Div by √variance: float32 √v, squared again, is not v.
    ["normalized images, conv softmax last (within 1e-6)", endsOnConv, 1e-6],
    ["flat batch norm (no γ: read back as γ = 1)", flatBatchNorm],
    ["sequence batch norm (no β: read back as β = 0)", sequenceBatchNorm],
  ];
  for (const [label, build, tolerance] of cases) {
    it(`${label}: the same layers, ${tolerance === undefined ? "bit-identical predictions" : "the same predictions"}`, () => {
      const model = build();
      const back = modelFromOnnx(modelToOnnx(model));
      expect(back.dtype).toBe(model.dtype);
      expect(back.inputShape).toEqual(model.inputShape);
      // Dropout is not in the inference graph.
      expect(back.layers.map((l) => l.className)).toEqual(model.layers.map((l) => l.className).filter((c) => c !== "dropout"));
      const x = randomBatch(3, model.inputShape!, model.dtype);
      if (tolerance !== undefined) expect(maxDiff(back.predict(x).data, model.predict(x).data)).toBeLessThan(tolerance);
      else expect(Array.from(back.predict(x).data)).toEqual(Array.from(model.predict(x).data));
    });
  }
});

describe("ONNX import of graphs other exporters write", () => {
  /** Our export of `model`, edited (nodes, attributes, opset), re-encoded. */
  function edited(model: Sequential, edit: (graph: OnnxGraph, proto: OnnxModel) => void): Uint8Array {
    const proto = decodeOnnxModel(modelToOnnx(model));
    edit(proto.graph!, proto);
    return encodeOnnxModel(proto);
  }
  /** An attribute as the decoder gives one: its lists present, if empty. */
  const attribute = (a: Partial<OnnxAttribute>): OnnxAttribute => ({ floats: new Float32Array(0), ints: [], strings: [], tensors: [], ...a });
  const intsAttr = (name: string, ints: number[]) => attribute({ name, type: ONNX_ATTRIBUTE_TYPE.INTS, ints });

  it("Conv pads that are neither valid nor same (PyTorch's padding=1 on a strided conv) read as ZeroPadding2D + valid Conv2D; onnxruntime agrees", async () => {
    const model = randomizeWeights(new Sequential([
      new Conv2D({ filters: 3, kernelSize: 3, strides: 2, inputShape: [8, 7, 2], activation: "relu" }),
      new Flatten(),
      new Dense({ units: 2 }),
    ], { seed: 13 }).build(), 13);
    const bytes = edited(model, (graph) => {
      const conv = graph.node.find((n) => n.opType === "Conv")!;
      conv.attribute = conv.attribute!.map((a) => (a.name === "pads" ? intsAttr("pads", [1, 1, 1, 1]) : a));
      // [8, 7] padded to [10, 9], 3×3 stride 2: [4, 4] outputs — the Flatten and Dense change size.
      const flat = graph.initializer.find((t) => t.name === "layers.2.kernel")!;
      flat.dims = [48, 2];
      flat.rawData = new Uint8Array(new Float32Array(Array.from({ length: 96 }, (_, i) => Math.sin(i))).buffer);
      graph.output[0]!.type!.tensorType!.shape!.dim![1]!.dimValue = 2;
    });
    const back = modelFromOnnx(bytes);
    expect(back.layers.map((l) => l.className)).toEqual(["zeroPadding2d", "conv2d", "flatten", "dense"]);
    expect(back.layers[0]!.getConfig()["padding"]).toEqual([[1, 1], [1, 1]]);
    const x = randomBatch(3, [8, 7, 2]);
    const out = await runOrt(bytes, x);
    expect(maxDiff(out.data, back.predict(x).data)).toBeLessThan(1e-5);
  });

  it("opset 17 LayerNormalization (one node) reads as LayerNormalization; onnxruntime agrees", async () => {
    const model = randomizeWeights(new Sequential([new Dense({ units: 4, inputShape: [3, 5] }), new LayerNormalization({ epsilon: 1e-3 }), new Dense({ units: 2 })], { seed: 14 }).build(), 14);
    const bytes = edited(model, (graph, proto) => {
      proto.opsetImport = [{ domain: "", version: 17 }];
      const start = graph.node.findIndex((n) => n.opType === "ReduceMean");
      const end = graph.node.findIndex((n, i) => i > start && n.opType === "Add" && n.input![1] === "layers.1.beta");
      const ln: OnnxNode = {
        opType: "LayerNormalization",
        input: [graph.node[start]!.input![0]!, "layers.1.gamma", "layers.1.beta"],
        output: [graph.node[end]!.output![0]!],
        attribute: [attribute({ name: "axis", type: ONNX_ATTRIBUTE_TYPE.INT, i: -1 }), attribute({ name: "epsilon", type: ONNX_ATTRIBUTE_TYPE.FLOAT, f: 1e-3 })],
      };
      graph.node.splice(start, end - start + 1, ln);
    });
    const back = modelFromOnnx(bytes);
    expect(back.layers.map((l) => l.className)).toEqual(["dense", "layerNormalization", "dense"]);
    expect(back.layers[1]!.getConfig()["epsilon"]).toBe(1e-3);
    const x = randomBatch(3, [3, 5]);
    expect(maxDiff((await runOrt(bytes, x)).data, back.predict(x).data)).toBeLessThan(1e-5);
    expect(Array.from(back.predict(x).data)).toEqual(Array.from(model.predict(x).data));
  });

  it("refuses what it cannot compute, naming the node: NCHW inputs, grouped Conv, auto_pad, other transposes, a global pool without Flatten", () => {
    const refusal = (bytes: Uint8Array): string => {
      try {
        modelFromOnnx(bytes);
      } catch (error) {
        expect(isBackpropError(error) && error.code).toBe("INVALID_FILE");
        return (error as Error).message;
      }
      throw new Error("loaded");
    };
    const model = batchNormCnn();
    expect(refusal(edited(model, (g) => void g.node.shift()))).toMatch(/graph\.node\[\d+\] \(Conv\)/);
    expect(refusal(edited(model, (g) => g.node[1]!.attribute.push(attribute({ name: "group", type: ONNX_ATTRIBUTE_TYPE.INT, i: 3 }))))).toMatch(/\(Conv\)\.attribute\.group: grouped convolutions are not supported \(got 3, expected 1\)/);
    expect(refusal(edited(model, (g) => g.node[1]!.attribute.push(attribute({ name: "auto_pad", type: ONNX_ATTRIBUTE_TYPE.STRING, s: new TextEncoder().encode("SAME_LOWER") }))))).toMatch(/auto_pad: is not supported \(got "SAME_LOWER"/);
    expect(refusal(edited(model, (g) => (g.node[0]!.attribute = [intsAttr("perm", [0, 2, 1, 3])])))).toMatch(/\(Transpose\)\.attribute\.perm/);
    const unflattened = edited(model, (g) => {
      const at = g.node.findIndex((n) => n.opType === "Flatten");
      g.node[at + 1]!.input![0] = g.node[at]!.input![0]!;
      g.node.splice(at, 1);
    });
    expect(refusal(unflattened)).toMatch(/\(Gemm\): follows a global pool, whose \[batch, channels, 1, 1\] output we read only through a Flatten/);
  });
});
