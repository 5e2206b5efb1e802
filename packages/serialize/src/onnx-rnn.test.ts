import { isBackpropError, type Tensor } from "@backprop/linalg";
import { Bidirectional, Dense, Embedding, GRU, LSTM, Masking, Sequential, SimpleRNN, TimeDistributed, Conv2D, Flatten } from "@backprop/layers";
import * as ort from "onnxruntime-node";
import { afterAll, describe, expect, it } from "vitest";
import { maxDiff } from "./peer-agreement.test-util.js";
import { modelToOnnx } from "./onnx-export.js";
import { modelFromOnnx } from "./onnx-import.js";
import { decodeOnnxModel, ONNX_ATTRIBUTE_TYPE, ONNX_DATA_TYPE } from "./onnx-proto.js";
import {
  bidirectional,
  embeddingLstm,
  grus,
  idBatch,
  KERAS2_HARD_SIGMOID,
  lstmBackwards,
  lstmHardSigmoid,
  lstmLast,
  lstmSequences,
  paddedSequences,
  rnnOfLstmCell,
  sequences,
  simpleRnns,
} from "./rnn-models.test-util.js";
import { randomBatch, randomizeWeights } from "./test-models.test-util.js";

/*
 * Recurrent models in onnxruntime-node against `predict`: ONNX's LSTM, GRU and RNN ops with our
 * weights re-laid (transposed, LSTM gates i,f,c,o → i,o,f,c, biases split into input and
 * recurrent halves), the time axis turned to ONNX's [time, batch, features] and back.
 * ONNX_AGREEMENT_REPORT=1 prints the measured differences.
 */

const measured: { model: string; maxDiff: number }[] = [];
afterAll(() => {
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
async function agreement(label: string, model: Sequential, x: Tensor): Promise<number> {
  const y = model.predict(x);
  const out = await runOrt(modelToOnnx(model), x);
  expect(out.dims).toEqual(y.shape);
  const d = maxDiff(out.data, y.data);
  measured.push({ model: label, maxDiff: d });
  return d;
}

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(isBackpropError(error) && error.code).toBe("INVALID_ARGUMENT");
    return (error as Error).message + ((error as { hint?: string }).hint ? `\nhelp: ${(error as { hint?: string }).hint}` : "");
  }
  throw new Error("no error");
}

function nodes(bytes: Uint8Array): { opType: string; attributes: Record<string, unknown> }[] {
  const graph = decodeOnnxModel(bytes).graph!;
  const decoder = new TextDecoder();
  return graph.node!.map((n) => ({
    opType: n.opType!,
    attributes: Object.fromEntries(
      (n.attribute ?? []).map((a) => [
        a.name!,
        a.type === ONNX_ATTRIBUTE_TYPE.STRING ? decoder.decode(a.s!)
          : a.type === ONNX_ATTRIBUTE_TYPE.STRINGS ? a.strings!.map((s) => decoder.decode(s))
          : a.type === ONNX_ATTRIBUTE_TYPE.FLOATS ? [...a.floats!]
          : a.type === ONNX_ATTRIBUTE_TYPE.INTS ? a.ints!.map(Number)
          : a.type === ONNX_ATTRIBUTE_TYPE.INT ? Number(a.i)
          : a.f,
      ]),
    ),
  }));
}

describe("ONNX export of recurrent models, checked by onnxruntime-node (within 1e-5)", () => {
  const cases: [string, () => Sequential, () => Tensor][] = [
    ["LSTM, last step → Dense", () => lstmLast(), () => sequences(5)],
    ["LSTM returnSequences → Dense per step", () => lstmSequences(), () => sequences(5)],
    ["LSTM goBackwards, every step then the last (direction reverse)", () => lstmBackwards(), () => sequences(5)],
    ["LSTM on hardSigmoid { slope 0.2, offset 0.5 } gates; relu, no bias", () => lstmHardSigmoid(), () => sequences(5)],
    ["GRU resetAfter: true (linear_before_reset 1), every step then goBackwards", () => grus(true), () => sequences(5)],
    ["GRU resetAfter: false (linear_before_reset 0), every step then goBackwards", () => grus(false), () => sequences(5)],
    ["SimpleRNN tanh → SimpleRNN relu, no bias", () => simpleRnns(), () => sequences(5)],
    ["RNN of an LSTMCell", () => rnnOfLstmCell(), () => sequences(4)],
    ["Embedding → LSTM → Dense softmax (Gather)", () => embeddingLstm(false), () => idBatch(6, false)],
    ["Bidirectional LSTM concat (every step) → Bidirectional GRU sum", () => bidirectional("sum"), () => sequences(5)],
    ["Bidirectional LSTM concat → Bidirectional GRU (resetAfter) mul", () => bidirectional("mul", true), () => sequences(5)],
    ["Bidirectional LSTM concat → Bidirectional GRU ave", () => bidirectional("ave"), () => sequences(5)],
    ["Bidirectional LSTM concat → Bidirectional GRU concat (last step)", () => bidirectional("concat"), () => sequences(5)],
  ];
  for (const [label, build, input] of cases) {
    it(label, async () => {
      expect(await agreement(label, build(), input())).toBeLessThan(1e-5);
    });
  }

  it("one LSTM step, batch of one, a long sequence (60 steps)", async () => {
    const model = randomizeWeights(new Sequential([new LSTM({ units: 5, returnSequences: true, inputShape: [60, 2] }), new LSTM({ units: 2 })], { seed: 3 }).build(), 3, 0.4);
    expect(await agreement("LSTM, 60 steps, batch 1", model, randomBatch(1, [60, 2]))).toBeLessThan(1e-5);
    const oneStep = randomizeWeights(new Sequential([new GRU({ units: 3, inputShape: [1, 4] })], { seed: 4 }).build(), 4);
    expect(await agreement("GRU, one step", oneStep, randomBatch(7, [1, 4]))).toBeLessThan(1e-5);
  });

  it("every activation ONNX's recurrent ops take: identity (Affine), leakyRelu, elu, softsign, softplus, Keras 3's hardSigmoid", async () => {
    const model = randomizeWeights(new Sequential([
      new LSTM({ units: 3, returnSequences: true, activation: { name: "leakyRelu", config: { alpha: 0.2 } }, recurrentActivation: "hardSigmoid", inputShape: [6, 3] }),
      new GRU({ units: 3, returnSequences: true, activation: { name: "elu", config: { alpha: 0.5 } }, recurrentActivation: KERAS2_HARD_SIGMOID, resetAfter: false }),
      new SimpleRNN({ units: 3, returnSequences: true, activation: "identity" }),
      new GRU({ units: 2, activation: "softsign", recurrentActivation: "softplus" }),
    ], { seed: 5 }).build(), 5, 0.4);
    const bytes = modelToOnnx(model);
    const lstm = nodes(bytes).find((n) => n.opType === "LSTM")!;
    expect(lstm.attributes).toMatchObject({ activations: ["HardSigmoid", "LeakyRelu", "LeakyRelu"], direction: "forward", hidden_size: 3 });
    // ORT reads alphas (and betas) only for the functions that take them, in order.
    expect((lstm.attributes["activation_alpha"] as number[]).map((a) => Math.fround(a))).toEqual([Math.fround(1 / 6), Math.fround(0.2), Math.fround(0.2)]);
    expect(lstm.attributes["activation_beta"]).toEqual([0.5]);
    expect(nodes(bytes).find((n) => n.opType === "RNN")!.attributes).toMatchObject({ activations: ["Affine"], activation_alpha: [1], activation_beta: [0] });
    expect(await agreement("activations", model, sequences(5))).toBeLessThan(1e-5);
  });

  it("float64 models: DOUBLE in and out, the recurrent ops in float32 between Casts (onnxruntime has them in float32 only)", async () => {
    for (const [label, model] of [["GRU float64", grus(true, "float64")], ["LSTM float64", lstmBackwards("float64")], ["SimpleRNN float64", simpleRnns("float64")]] as const) {
      const bytes = modelToOnnx(model);
      const graph = decodeOnnxModel(bytes).graph!;
      expect(graph.input![0]!.type!.tensorType!.elemType).toBe(ONNX_DATA_TYPE.DOUBLE);
      expect(graph.initializer!.filter((t) => /\.[WRB]$/.test(t.name!)).every((t) => t.dataType === ONNX_DATA_TYPE.FLOAT)).toBe(true);
      expect(await agreement(label, model, sequences(4, "float64"))).toBeLessThan(1e-5);
    }
  });

  it("TimeDistributed (any wrapped layer, folded into the batch) and Masking where no recurrent layer reads the mask", async () => {
    const model = randomizeWeights(new Sequential([
      new Masking({ maskValue: 0, inputShape: [6, 3] }),
      new TimeDistributed({ layer: new Dense({ units: 4, activation: "relu" }) }),
      new LSTM({ units: 3, returnSequences: true }),
    ], { seed: 6 }).build(), 6);
    // The LSTM reads the Masking layer's mask: refused (below). Without the LSTM, Masking zeroes the padding steps.
    expect(() => modelToOnnx(model)).toThrow(/reaches the recurrent layer "lstm_2"/);
    const masked = randomizeWeights(new Sequential([
      new Masking({ maskValue: 0, inputShape: [6, 3] }),
      new TimeDistributed({ layer: new Dense({ units: 4, activation: "softmax" }) }),
      new Flatten(),
      new Dense({ units: 2 }),
    ], { seed: 7 }).build(), 7);
    expect(await agreement("Masking → TimeDistributed(Dense softmax) → Flatten → Dense", masked, paddedSequences(6))).toBeLessThan(1e-5);
    const images = randomizeWeights(new Sequential([
      new TimeDistributed({ layer: new Conv2D({ filters: 2, kernelSize: 2, activation: "tanh" }), inputShape: [4, 5, 5, 3] }),
      new TimeDistributed({ layer: new Flatten() }),
      new LSTM({ units: 3 }),
    ], { seed: 8 }).build(), 8, 0.3);
    expect(await agreement("TimeDistributed(Conv2D) → TimeDistributed(Flatten) → LSTM", images, randomBatch(3, [4, 5, 5, 3]))).toBeLessThan(1e-5);
  });

  it("writes the ops as ONNX defines them: gates re-laid, linear_before_reset, direction, Transposes around", () => {
    const ops = nodes(modelToOnnx(grus(true)));
    expect(ops.map((n) => n.opType)).toEqual(["Transpose", "GRU", "Reshape", "Transpose", "Transpose", "GRU", "Reshape", "Gemm", "Identity"]);
    expect(ops[1]!.attributes).toMatchObject({ linear_before_reset: 1, direction: "forward", activations: ["Sigmoid", "Tanh"] });
    expect(ops[5]!.attributes).toMatchObject({ direction: "reverse" });
    expect(nodes(modelToOnnx(grus(false)))[1]!.attributes).toMatchObject({ linear_before_reset: 0 });
    const bi = nodes(modelToOnnx(bidirectional("concat")));
    expect(bi.filter((n) => n.opType === "LSTM" || n.opType === "GRU").map((n) => n.attributes["direction"])).toEqual(["bidirectional", "bidirectional"]);
    // A reversed sequence (goBackwards with every step) is put back in processing order with a Gather.
    expect(nodes(modelToOnnx(lstmBackwards())).map((n) => n.opType)).toContain("Gather");
    const graph = decodeOnnxModel(modelToOnnx(lstmLast())).graph!;
    expect(graph.initializer!.map((t) => `${t.name} [${t.dims!.map(Number).join(",")}]`)).toEqual([
      "layers.0.W [1,16,3]", "layers.0.R [1,16,4]", "layers.0.B [1,32]", "layers.0.shape [2]", "layers.1.kernel [4,2]", "layers.1.bias [2]",
    ]);
  });

  it("moves LSTM gates i,f,c,o to ONNX's i,o,f,c, transposed, with a zero recurrent bias", () => {
    const model = lstmLast();
    const kernel = model.params()[0]!.value;
    const bias = model.params()[2]!.value.data;
    const graph = decodeOnnxModel(modelToOnnx(model)).graph!;
    const read = (name: string) => {
      const t = graph.initializer!.find((i) => i.name === name)!;
      const raw = t.rawData!;
      return new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
    };
    const W = read("layers.0.W");
    const B = read("layers.0.B");
    const units = 4;
    const ours = [0, 3, 1, 2]; // ONNX gate g is our gate ours[g]
    for (let g = 0; g < 4; g++) {
      for (let j = 0; j < units; j++) {
        for (let k = 0; k < 3; k++) expect(W[(g * units + j) * 3 + k]).toBe(kernel.data[k * 16 + ours[g]! * units + j]);
        expect(B[g * units + j]).toBe(bias[ours[g]! * units + j]);
        expect(B[16 + g * units + j]).toBe(0);
      }
    }
  });

  it("a hardSigmoid with a slope and offset is HardSigmoid(alpha, beta), both ways", async () => {
    const model = randomizeWeights(new Sequential([
      new Dense({ units: 4, inputDim: 3, activation: KERAS2_HARD_SIGMOID }),
      new Dense({ units: 2, activation: "hardSigmoid" }),
    ]).build(), 2, 2);
    const bytes = modelToOnnx(model);
    const hard = nodes(bytes).filter((n) => n.opType === "HardSigmoid").map((n) => n.attributes);
    expect(hard).toEqual([{ alpha: Math.fround(0.2), beta: 0.5 }, { alpha: Math.fround(1 / 6), beta: 0.5 }]);
    const x = randomBatch(6, [3]);
    expect(await agreement("Dense hardSigmoid { slope 0.2 } → Dense hardSigmoid", model, x)).toBeLessThan(1e-6);
    const back = modelFromOnnx(bytes);
    expect(back.layers.map((l) => l.activation?.config)).toEqual([{ slope: 0.2, offset: 0.5 }, {}]);
    expect(Array.from(back.predict(x).data)).toEqual(Array.from(model.predict(x).data));
  });

  it("modelFromOnnx names the recurrent op it does not read (typed INVALID_FILE)", () => {
    try {
      modelFromOnnx(modelToOnnx(bidirectional("sum")), { file: "model.onnx" });
      expect.unreachable();
    } catch (error) {
      expect(isBackpropError(error) && error.code).toBe("INVALID_FILE");
      expect((error as Error).message).toMatch(/^model\.onnx: graph\.node\[1\] \(LSTM\)\.opType: operator "LSTM" is not supported: recurrent models are exported to ONNX, not read back/);
    }
  });

  it("refuses what an ONNX graph cannot compute, naming the layer", () => {
    const maskZero = embeddingLstm(true);
    expect(refusal(() => modelToOnnx(maskZero))).toMatch(
      /^modelToOnnx: the time mask of layer "embedding_0" \(Embedding with maskZero\) reaches the recurrent layer "lstm_1", and ONNX's recurrent ops cannot skip padded steps[^]*help: export a copy without the mask/,
    );
    const masking = new Sequential([new Masking({ inputShape: [4, 2] }), new Bidirectional({ layer: new GRU({ units: 2 }) })]).build();
    expect(refusal(() => modelToOnnx(masking))).toMatch(/the time mask of layer "masking_0" \(Masking\) reaches the recurrent layer "bidirectional_1"/);
    // A mask ended by a recurrent layer without returnSequences reaches no later one.
    const ended = new Sequential([new Embedding({ inputDim: 5, outputDim: 2, maskZero: true, inputLength: 3 }), new Dense({ units: 2 })]).build();
    expect(() => modelToOnnx(ended)).not.toThrow();
    const stateful = new Sequential([new LSTM({ units: 2, stateful: true, inputShape: [3, 2] })]).build();
    expect(refusal(() => modelToOnnx(stateful))).toMatch(/layer "lstm_0" is stateful, and an ONNX graph keeps no states[^]*help: export a copy built with stateful: false/);
    const gelu = new Sequential([new GRU({ units: 2, activation: "gelu", inputShape: [3, 2] })]).build();
    expect(refusal(() => modelToOnnx(gelu))).toMatch(/layer "gru_0" uses "gelu" as its activation, which ONNX's recurrent ops lack/);
    const backwardsInside = new Sequential([new Bidirectional({ layer: new LSTM({ units: 2, goBackwards: true }), inputShape: [3, 2] })]).build();
    expect(refusal(() => modelToOnnx(backwardsInside))).toMatch(/layer "bidirectional_0" is a Bidirectional around a goBackwards layer/);
  });
});
