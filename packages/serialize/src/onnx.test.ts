import { Matrix, Rng, Tensor, isBackpropError, type DType } from "@backprop/linalg";
import type { ActivationSpec } from "@backprop/activations";
import { ActivationLayer, Dense, Dropout, Normalization, Sequential } from "@backprop/layers";
import { defineActivation } from "@backprop/activations";
import { readFileSync } from "node:fs";
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { maxDiff } from "./peer-agreement.test-util.js";
import { modelFromOnnx, readOnnxMetadata } from "./onnx-import.js";
import { modelToOnnx } from "./onnx-export.js";
import { decodeOnnxModel, decodeOnnxTensor } from "./onnx-proto.js";
import { normalizedClassifier, rawData } from "./test-models.test-util.js";

function model(dtype: DType, activations: ActivationSpec[], seed = 7): Sequential {
  const layers = activations.map((activation, i) => new Dense({ units: i === activations.length - 1 ? 3 : 5, activation, ...(i === 0 ? { inputDim: 4 } : {}) }));
  return new Sequential(layers, { dtype, seed }).build();
}

async function runOrt(bytes: Uint8Array, x: Matrix): Promise<Float32Array | Float64Array> {
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  const type = x.dtype === "float64" ? "float64" : "float32";
  const result = await session.run({ input: new ort.Tensor(type, x.data, [x.rows, x.cols]) });
  await session.release();
  return result["output"]!.data as Float32Array | Float64Array;
}

function inputs(dtype: DType, rows = 9, cols = 4): Matrix {
  return new Rng(3).fillNormal(new Matrix(rows, cols, dtype), 0, 2);
}

describe("ONNX export, checked by onnxruntime-node", () => {
  const float32Stacks: ActivationSpec[][] = [
    ["relu", "sigmoid", "softmax"],
    ["tanh", { name: "leakyRelu", config: { alpha: 0.2 } }, "identity"],
    [{ name: "elu", config: { alpha: 0.7 } }, "selu", "softplus"],
    ["softsign", "hardSigmoid", "hardTanh"],
    ["relu6", "silu", "mish"],
    ["gelu", { name: "gelu", config: { approximate: true } }, "sinusoid"],
    ["gaussian", "relu", "softmax"],
  ];
  for (const stack of float32Stacks) {
    const label = stack.map((s) => (typeof s === "string" ? s : (s as { name: string }).name)).join(" → ");
    it(`float32 ${label}: same outputs within 1e-5`, async () => {
      const m = model("float32", stack);
      const x = inputs("float32");
      expect(maxDiff(await runOrt(modelToOnnx(m), x), m.predict(x).data)).toBeLessThan(1e-5);
    });
  }

  it("float64 relu → tanh → sigmoid and softmax: same outputs within 1e-12", async () => {
    for (const stack of [["relu", "tanh", "sigmoid"], ["tanh", "relu", "softmax"]] as ActivationSpec[][]) {
      const m = model("float64", stack);
      const x = inputs("float64");
      expect(maxDiff(await runOrt(modelToOnnx(m), x), m.predict(x).data)).toBeLessThan(1e-12);
    }
  });

  it("exports Dense without bias (MatMul), activation layers, and skips dropout", async () => {
    const m = new Sequential([
      new Dense({ units: 6, inputDim: 4, useBias: false }),
      new ActivationLayer({ activation: "tanh" }),
      new Dropout({ rate: 0.5 }),
      new Dense({ units: 2, activation: "softmax" }),
    ], { seed: 2 }).build();
    const x = inputs("float32");
    const bytes = modelToOnnx(m, { metadata: { columns: ["a", "b", "c", "d"] } });
    expect(maxDiff(await runOrt(bytes, x), m.predict(x).data)).toBeLessThan(1e-6);
    expect(readOnnxMetadata(bytes)).toEqual({ columns: ["a", "b", "c", "d"] });
    const back = modelFromOnnx(bytes);
    expect(Array.from(back.predict(x).data)).toEqual(Array.from(m.predict(x).data));
  });

  it("refuses a custom activation ONNX lacks with a clear error", () => {
    const cube = defineActivation({ name: "acme>cube", f: (x) => x ** 3, df: (x) => 3 * x * x });
    const m = new Sequential([new Dense({ units: 2, inputDim: 2, activation: cube })]).build();
    expect(() => modelToOnnx(m)).toThrow(/"acme>cube", which ONNX lacks \(supported: identity, relu/);
  });
});

describe("ONNX import", () => {
  it("loads PyTorch's exported test_Linear (Gemm, transB = 1, from Debian's libonnx-testdata) and predicts its recorded output", () => {
    const dir = new URL("../fixtures/onnx/pytorch-linear/", import.meta.url);
    const m = modelFromOnnx(readFileSync(new URL("model.onnx", dir)));
    const tensor = (name: string) => {
      const t = decodeOnnxTensor(readFileSync(new URL(`test_data_set_0/${name}`, dir)));
      const dims = (t.dims ?? []).map(Number);
      const raw = t.rawData as Uint8Array;
      return Matrix.fromFlat(dims[0]!, dims[1]!, new Float32Array(Uint8Array.from(raw).buffer));
    };
    const x = tensor("input_0.pb");
    const expected = tensor("output_0.pb");
    expect(m.inputDim).toBe(10);
    expect(m.outputDim).toBe(8);
    expect(maxDiff(m.predict(x).data, expected.data)).toBeLessThan(1e-5);
  });

  it("round-trips our own exports bit for bit (float32 and float64)", () => {
    for (const dtype of ["float32", "float64"] as const) {
      const m = model(dtype, ["relu", { name: "leakyRelu", config: { alpha: 0.25 } }, "softmax"]);
      const back = modelFromOnnx(modelToOnnx(m));
      expect(back.dtype).toBe(dtype);
      const x = inputs(dtype);
      expect(Array.from(back.predict(x).data)).toEqual(Array.from(m.predict(x).data));
    }
  });

  it("rejects what it cannot read with INVALID_FILE naming the node", () => {
    const bytes = modelToOnnx(model("float32", ["relu", "silu", "identity"]));
    try {
      modelFromOnnx(bytes, { file: "silu.onnx" });
      throw new Error("loaded");
    } catch (error) {
      expect(isBackpropError(error) && error.code).toBe("INVALID_FILE");
      expect((error as Error).message).toMatch(/silu.onnx: graph.node\[\d+\] \(Mul\)/);
    }
    expect(() => modelFromOnnx(new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0x0f]), { file: "junk.onnx" })).toThrow(/^junk\.onnx: irVersion: not a valid ONNX file: at byte 0, /);
  });
});

describe("ONNX export of Normalization: the graph takes raw inputs, as predict does", () => {
  async function runOrtTensor(bytes: Uint8Array, x: Tensor): Promise<Float32Array | Float64Array> {
    const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });
    const result = await session.run({ input: new ort.Tensor(x.dtype === "float64" ? "float64" : "float32", x.data, [...x.shape]) });
    await session.release();
    return result["output"]!.data as Float32Array | Float64Array;
  }

  it("float32: Sub(x, mean) and Div(·, √variance) nodes, and onnxruntime agrees with predict within 1e-5", async () => {
    const m = normalizedClassifier("float32");
    const x = rawData(40, "float32");
    const bytes = modelToOnnx(m);
    const graph = decodeOnnxModel(bytes).graph!;
    expect(graph.node!.slice(0, 2).map((n) => n.opType)).toEqual(["Sub", "Div"]);
    const constants = new Map(graph.initializer!.map((t) => [t.name, (t.dims ?? []).map(Number)]));
    expect(constants.get("layers.0.mean")).toEqual([4]);
    expect(constants.get("layers.0.std")).toEqual([4]);
    expect(maxDiff(await runOrtTensor(bytes, x), m.predict(x).data)).toBeLessThan(1e-5);
  });

  it("float64: onnxruntime agrees with predict within 1e-12", async () => {
    // NOTE: onnxruntime has no double LeakyRelu kernel, so this stack avoids it.
    const norm = new Normalization({ inputDim: 4 }).adapt(rawData(64, "float64", 99));
    const m = new Sequential([norm, new Dense({ units: 6, activation: "relu" }), new Dense({ units: 5, activation: "tanh" }), new Dense({ units: 3, activation: "softmax" })], { seed: 3, dtype: "float64" }).build();
    const x = rawData(40, "float64");
    expect(maxDiff(await runOrtTensor(modelToOnnx(m), x), m.predict(x).data)).toBeLessThan(1e-12);
  });

  it("samples of several axes ([time, features]): the [features] constants broadcast over the last axis", async () => {
    const series = new Rng(4).fillNormal(new Tensor([30, 3, 4], "float32"), 5, 10);
    const m = new Sequential(
      [new Normalization({ inputShape: [3, 4] }).adapt(series), new Dense({ units: 5, activation: "relu" }), new Dense({ units: 2, activation: "softmax" })],
      { seed: 6 },
    ).build();
    const bytes = modelToOnnx(m);
    const graph = decodeOnnxModel(bytes).graph!;
    expect(graph.input![0]!.type!.tensorType!.shape!.dim!.map((d) => d.dimParam || Number(d.dimValue))).toEqual(["batch", 3, 4]);
    expect(graph.node!.map((n) => n.opType)).toContain("MatMul");
    const y = m.predict(series);
    expect(y.shape).toEqual([30, 3, 2]);
    expect(maxDiff(await runOrtTensor(bytes, series), y.data)).toBeLessThan(1e-5);
    // …and it reads back as the same layers.
    const back = modelFromOnnx(bytes);
    expect(back.inputShape).toEqual([3, 4]);
    expect(back.layers.map((l) => l.className)).toEqual(["normalization", "dense", "dense"]);
    expect(maxDiff(back.predict(series).data, y.data)).toBeLessThan(1e-6);
  });

  it("modelFromOnnx reads Sub + Div back as a Normalization layer", () => {
    const m = normalizedClassifier("float32");
    const back = modelFromOnnx(modelToOnnx(m));
    expect(back.layers.map((l) => l.className)).toEqual(["normalization", "dense", "dense", "activation", "dense"]);
    const x = rawData(40, "float32");
    expect(maxDiff(back.predict(x).data, m.predict(x).data)).toBeLessThan(1e-6);
  });
});
