import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { isBackpropError, Tensor } from "@backprop/linalg";
import { Dense, GRU, LSTM, Sequential } from "@backprop/layers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { maxDiff } from "./peer-agreement.test-util.js";
import { loadInTfjs, savedByTfjs, tfjsPredict, type Files } from "./tfjs-peer.test-util.js";
import {
  bidirectional,
  embeddingLstm,
  grus,
  idBatch,
  ID_STEPS,
  lstmBackwards,
  lstmHardSigmoid,
  lstmLast,
  lstmSequences,
  maskedSequences,
  paddedSequences,
  rnnOfLstmCell,
  sequences,
  simpleRnns,
  VOCABULARY,
} from "./rnn-models.test-util.js";
import { randomizeWeights } from "./test-models.test-util.js";
import { modelFromTfjs, modelToTfjs } from "./tfjs.js";

/*
 * Recurrent models both ways between us and @tensorflow/tfjs-layers 4.22 (cpu backend), in
 * float32: tfjs predicts what `predict` does on our exports (LSTM, GRU, SimpleRNN, Embedding,
 * Masking, Bidirectional, TimeDistributed), and we predict what tfjs does on models it built and
 * saved itself. TFJS_AGREEMENT_REPORT=1 prints the measured differences.
 */

const measured: { case: string; maxDiff: number }[] = [];
beforeAll(async () => {
  await tf.setBackend("cpu");
});
afterAll(() => {
  if (process.env["TFJS_AGREEMENT_REPORT"]) console.table(measured);
});

const decoder = new TextDecoder();
const encoder = new TextEncoder();

type LayerJson = { class_name: string; config: Record<string, unknown> };

function topology(files: Files): LayerJson[] {
  return JSON.parse(decoder.decode(files["model.json"])).modelTopology.config.layers;
}

function manifest(files: Files): { name: string; shape: number[] }[] {
  return JSON.parse(decoder.decode(files["model.json"])).weightsManifest[0].weights;
}

/** Edits a model.json. */
function editJson(files: Files, edit: (json: { modelTopology: { config: { layers: LayerJson[] } }; weightsManifest: { weights: { name: string; shape: number[] }[] }[] }) => void): Files {
  const json = JSON.parse(decoder.decode(files["model.json"]));
  edit(json);
  return { ...files, "model.json": encoder.encode(JSON.stringify(json)) };
}

function refusal(run: () => unknown, code = "INVALID_FILE"): string {
  try {
    run();
  } catch (error) {
    expect(isBackpropError(error) && error.code).toBe(code);
    return (error as Error).message + ((error as { hint?: string }).hint ? `\nhelp: ${(error as { hint?: string }).hint}` : "");
  }
  throw new Error("no error");
}

/** Configs as stored, but for the first layer's inputShape (the file keeps it as batch_input_shape). */
const configs = (m: Sequential) => m.layers.map((l) => ({ className: l.className, config: { ...l.getConfig(), inputShape: null } }));

describe("TF.js export of recurrent models: tfjs-layers predicts what predict does (within 1e-5)", () => {
  const cases: [string, () => Sequential, () => Tensor, boolean][] = [
    ["LSTM, last step → Dense", () => lstmLast(), () => sequences(5), true],
    ["LSTM returnSequences → Dense per step", () => lstmSequences(), () => sequences(5), true],
    ["LSTM goBackwards (every step, then the last)", () => lstmBackwards(), () => sequences(5), true],
    ["LSTM on TF.js' hard_sigmoid, unitForgetBias false, no bias, relu", () => lstmHardSigmoid(), () => sequences(5), true],
    ["GRU resetAfter: false (every step, then goBackwards)", () => grus(false), () => sequences(5), true],
    ["SimpleRNN tanh → SimpleRNN relu, no bias", () => simpleRnns(), () => sequences(5), true],
    ["Embedding (maskZero, padded ids) → LSTM → Dense softmax", () => embeddingLstm(true), () => idBatch(8, true), true],
    ["Embedding → LSTM → Dense softmax", () => embeddingLstm(false), () => idBatch(4, false), true],
    ["Bidirectional LSTM concat → Bidirectional GRU sum", () => bidirectional("sum"), () => sequences(5), true],
    ["Bidirectional LSTM concat → Bidirectional GRU mul", () => bidirectional("mul"), () => sequences(3), true],
    ["Bidirectional LSTM concat → Bidirectional GRU ave", () => bidirectional("ave"), () => sequences(3), true],
    ["Masking → LSTM → TimeDistributed(Dense leakyRelu) → tanh, padded sequences", () => maskedSequences(), () => paddedSequences(6), false],
    ["RNN of an LSTMCell (written as an LSTM)", () => rnnOfLstmCell(), () => sequences(4), false],
  ];
  for (const [label, build, input, sameConfigs] of cases) {
    it(`${label}; modelFromTfjs reads it back bit for bit`, async () => {
      const model = build();
      const x = input();
      const files = modelToTfjs(model);
      const ours = model.predict(x).data;
      const d = maxDiff(tfjsPredict(await loadInTfjs(files), x), ours);
      measured.push({ case: `export: ${label}`, maxDiff: d });
      expect(d).toBeLessThan(1e-5);
      const back = modelFromTfjs(files);
      if (sameConfigs) expect(configs(back)).toEqual(configs(model));
      expect(Array.from(back.predict(x).data)).toEqual(Array.from(ours));
    });
  }

  it("writes Keras' keys and TF.js' weight names (recurrent_kernel, forward_<inner>/…, the wrapper's scope)", () => {
    const lstm = topology(modelToTfjs(lstmHardSigmoid()));
    expect(lstm[0]).toMatchObject({
      class_name: "LSTM",
      config: {
        units: 4, activation: "tanh", recurrent_activation: "hard_sigmoid", use_bias: true, unit_forget_bias: false,
        return_sequences: true, return_state: false, go_backwards: false, stateful: false, dropout: 0, recurrent_dropout: 0,
        batch_input_shape: [null, 6, 3],
      },
    });
    expect(lstm[1]!.config).toMatchObject({ activation: "relu", recurrent_activation: "sigmoid", use_bias: false });
    expect(topology(modelToTfjs(grus(false)))[1]!.config).toMatchObject({ reset_after: false, go_backwards: true });
    const bi = modelToTfjs(bidirectional("sum"));
    expect(topology(bi)[1]).toMatchObject({ class_name: "Bidirectional", config: { merge_mode: "sum", layer: { class_name: "GRU", config: { units: 2 } } } });
    expect(manifest(bi).map((w) => `${w.name} [${w.shape.join(",")}]`)).toEqual([
      "bidirectional_0/forward_lstm/kernel [3,12]",
      "bidirectional_0/forward_lstm/recurrent_kernel [3,12]",
      "bidirectional_0/forward_lstm/bias [12]",
      "bidirectional_0/backward_lstm/kernel [3,12]",
      "bidirectional_0/backward_lstm/recurrent_kernel [3,12]",
      "bidirectional_0/backward_lstm/bias [12]",
      "bidirectional_1/forward_gru/kernel [6,6]",
      "bidirectional_1/forward_gru/recurrent_kernel [2,6]",
      "bidirectional_1/forward_gru/bias [6]",
      "bidirectional_1/backward_gru/kernel [6,6]",
      "bidirectional_1/backward_gru/recurrent_kernel [2,6]",
      "bidirectional_1/backward_gru/bias [6]",
      "dense_2/kernel [2,2]", // sum: 2 units
      "dense_2/bias [2]",
    ]);
    const masked = modelToTfjs(maskedSequences());
    expect(topology(masked).map((l) => l.class_name)).toEqual(["Masking", "LSTM", "TimeDistributed", "LeakyReLU", "Activation"]);
    expect(topology(masked)[2]!.config).toMatchObject({ layer: { class_name: "Dense", config: { units: 3, activation: "linear" } } });
    expect(manifest(masked).map((w) => w.name).slice(3)).toEqual(["timeDistributed_2/kernel", "timeDistributed_2/bias"]);
    const embedding = topology(modelToTfjs(embeddingLstm(true)))[0]!;
    expect(embedding).toMatchObject({ class_name: "Embedding", config: { input_dim: VOCABULARY, output_dim: 5, mask_zero: true, input_length: ID_STEPS, batch_input_shape: [null, ID_STEPS] } });
  });

  it("a stateful model needs its batch size; with it tfjs carries the states from call to call as we do", async () => {
    const model = randomizeWeights(new Sequential([new LSTM({ units: 3, stateful: true, inputShape: [6, 3] }), new Dense({ units: 2 })]).build(), 3);
    const message = refusal(() => modelToTfjs(model), "INVALID_ARGUMENT");
    expect(message).toMatch(/layer "lstm_0" is stateful/);
    expect(message).toMatch(/modelToTfjs\(model, \{ batchSize: 32 \}\)/);
    const files = modelToTfjs(model, { batchSize: 4 });
    expect(topology(files)[0]!.config).toMatchObject({ stateful: true, batch_input_shape: [4, 6, 3] });
    const tfjsModel = await loadInTfjs(files);
    for (const seed of [1, 2, 3]) {
      const x = sequences(4, "float32", seed);
      const d = maxDiff(tfjsPredict(tfjsModel, x), model.predict(x).data);
      measured.push({ case: `export: stateful LSTM, batch ${seed}`, maxDiff: d });
      expect(d).toBeLessThan(1e-5);
    }
    // The states did carry over: a fresh copy answers the last batch otherwise.
    const back = modelFromTfjs(files);
    expect(maxDiff(back.predict(sequences(4, "float32", 3)).data, model.predict(sequences(4, "float32", 3)).data)).toBeGreaterThan(1e-3);
    expect((back.layers[0]!.getConfig() as { stateful: boolean }).stateful).toBe(true);
    expect(() => modelToTfjs(model, { batchSize: 0 })).toThrow(/invalid batchSize \(got 0, expected a positive integer\)/);
  });

  it("refuses what TF.js cannot run, naming the layer: GRU resetAfter: true, our default hardSigmoid, leakyRelu in a cell, returnState", () => {
    expect(refusal(() => modelToTfjs(grus(true)), "INVALID_ARGUMENT")).toMatch(/layer "gru_0" is a GRU with resetAfter: true, which TensorFlow\.js 4 lacks[^]*help: train a GRU with resetAfter: false/);
    const keras3 = new Sequential([new LSTM({ units: 2, recurrentActivation: "hardSigmoid", inputShape: [3, 2] })]).build();
    expect(refusal(() => modelToTfjs(keras3), "INVALID_ARGUMENT")).toMatch(/"hardSigmoid" with config \{\}, which TensorFlow\.js lacks[^]*help: TF\.js' hard_sigmoid is clip\(0\.2·x \+ 0\.5, 0, 1\)/);
    const leaky = new Sequential([new GRU({ units: 2, resetAfter: false, activation: { name: "leakyRelu", config: { alpha: 0.1 } }, inputShape: [3, 2] })]).build();
    expect(refusal(() => modelToTfjs(leaky), "INVALID_ARGUMENT")).toMatch(/layer "gru_0" uses leakyRelu as its activation/);
    const states = new Sequential([new LSTM({ units: 2, returnState: true, inputShape: [3, 2] })]).build();
    expect(refusal(() => modelToTfjs(states), "INVALID_ARGUMENT")).toMatch(/layer "lstm_0" has returnState/);
  });

  it("a Dense on TF.js' hard_sigmoid goes both ways too", async () => {
    const model = randomizeWeights(new Sequential([new Dense({ units: 5, activation: { name: "hardSigmoid", config: { slope: 0.2, offset: 0.5 } }, inputDim: 3 })]).build(), 4, 2);
    const x = sequences(4).reshape([24, 3]);
    const files = modelToTfjs(model);
    expect(topology(files)[0]!.config["activation"]).toBe("hard_sigmoid");
    expect(maxDiff(tfjsPredict(await loadInTfjs(files), x), model.predict(x).data)).toBeLessThan(1e-6);
    expect(modelFromTfjs(files).layers[0]!.activation?.config).toEqual({ slope: 0.2, offset: 0.5 });
  });
});

/** A tfjs initializer with a seed, so every weight (biases too) is non-trivial and reproducible. */
const init = (seed: number, stddev = 0.5) => tfl.initializers.randomNormal({ mean: 0, stddev, seed });
const rnnInit = (seed: number) => ({ kernelInitializer: init(seed), recurrentInitializer: init(seed + 1), biasInitializer: init(seed + 2) });

describe("TF.js models saved by tfjs-layers load with modelFromTfjs and predict what tfjs does", () => {
  const cases: [string, () => tfl.Sequential, () => Tensor][] = [
    [
      "LSTM returnSequences (TF.js defaults: hard_sigmoid gates) → LSTM → Dense",
      () => {
        const m = tfl.sequential();
        m.add(tfl.layers.lstm({ units: 4, returnSequences: true, inputShape: [6, 3], ...rnnInit(1) }));
        m.add(tfl.layers.lstm({ units: 3, recurrentActivation: "sigmoid", unitForgetBias: true, ...rnnInit(4) }));
        m.add(tfl.layers.dense({ units: 2, kernelInitializer: init(7) }));
        return m;
      },
      () => sequences(5),
    ],
    [
      "GRU (reset_after false) → GRU goBackwards → Dense",
      () => {
        const m = tfl.sequential();
        m.add(tfl.layers.gru({ units: 4, returnSequences: true, inputShape: [6, 3], ...rnnInit(11) }));
        m.add(tfl.layers.gru({ units: 3, goBackwards: true, recurrentActivation: "sigmoid", ...rnnInit(14) }));
        m.add(tfl.layers.dense({ units: 2, kernelInitializer: init(17) }));
        return m;
      },
      () => sequences(5),
    ],
    [
      "SimpleRNN returnSequences → SimpleRNN relu",
      () => {
        const m = tfl.sequential();
        m.add(tfl.layers.simpleRNN({ units: 4, returnSequences: true, inputShape: [6, 3], ...rnnInit(21) }));
        m.add(tfl.layers.simpleRNN({ units: 3, activation: "relu", ...rnnInit(24) }));
        return m;
      },
      () => sequences(5),
    ],
    [
      "Embedding mask_zero (padded ids) → LSTM → Dense softmax",
      () => {
        const m = tfl.sequential();
        m.add(tfl.layers.embedding({ inputDim: VOCABULARY, outputDim: 5, maskZero: true, inputLength: ID_STEPS, embeddingsInitializer: init(31, 1) }));
        m.add(tfl.layers.lstm({ units: 4, ...rnnInit(32) }));
        m.add(tfl.layers.dense({ units: 3, activation: "softmax", kernelInitializer: init(35) }));
        return m;
      },
      () => idBatch(8, true),
    ],
    [
      "Bidirectional(LSTM) concat (every step) → Bidirectional(GRU) ave → Dense",
      () => {
        const m = tfl.sequential();
        m.add(tfl.layers.bidirectional({ layer: tfl.layers.lstm({ units: 3, returnSequences: true, ...rnnInit(41) }), inputShape: [6, 3], mergeMode: "concat" }));
        m.add(tfl.layers.bidirectional({ layer: tfl.layers.gru({ units: 2, goBackwards: true, ...rnnInit(44) }) as tfl.RNN, mergeMode: "ave" }));
        m.add(tfl.layers.dense({ units: 2, kernelInitializer: init(47) }));
        return m;
      },
      () => sequences(5),
    ],
    [
      "Masking → GRU returnSequences → TimeDistributed(Dense), padded sequences",
      () => {
        const m = tfl.sequential();
        m.add(tfl.layers.masking({ maskValue: 0, inputShape: [6, 3] }));
        m.add(tfl.layers.gru({ units: 4, returnSequences: true, ...rnnInit(51) }));
        m.add(tfl.layers.timeDistributed({ layer: tfl.layers.dense({ units: 2, activation: "tanh", kernelInitializer: init(54), biasInitializer: init(55) }) }));
        return m;
      },
      () => paddedSequences(6),
    ],
  ];
  for (const [label, build, input] of cases) {
    it(label, async () => {
      const theirs = build();
      const files = await savedByTfjs(theirs);
      const model = modelFromTfjs(files);
      const x = input();
      const d = maxDiff(model.predict(x).data, tfjsPredict(theirs, x));
      measured.push({ case: `import: ${label}`, maxDiff: d });
      expect(d).toBeLessThan(1e-5);
      // And back to TF.js: the same predictions again.
      const again = modelToTfjs(model);
      expect(maxDiff(tfjsPredict(await loadInTfjs(again), x), model.predict(x).data)).toBeLessThan(1e-5);
    });
  }

  it("reads TF.js' defaults: recurrent_activation hard_sigmoid, unit_forget_bias null (false)", async () => {
    const m = tfl.sequential();
    m.add(tfl.layers.lstm({ units: 2, inputShape: [4, 3], recurrentInitializer: "glorotUniform" }));
    const files = await savedByTfjs(m);
    expect(topology(files)[0]!.config).toMatchObject({ recurrent_activation: "hard_sigmoid", unit_forget_bias: null });
    const config = modelFromTfjs(files).layers[0]!.getConfig();
    expect(config).toMatchObject({ recurrentActivation: { name: "hardSigmoid", config: { slope: 0.2, offset: 0.5 } }, unitForgetBias: false, activation: { name: "tanh" } });
  });

  it("an open time axis ([null, null, 3]) loads with a sequenceLength, and is refused without one", async () => {
    const m = tfl.sequential();
    m.add(tfl.layers.lstm({ units: 3, inputShape: [null, 3], ...rnnInit(61) }));
    const files = await savedByTfjs(m);
    expect(topology(files)[0]!.config["batch_input_shape"]).toEqual([null, null, 3]);
    expect(refusal(() => modelFromTfjs(files))).toMatch(
      /^model\.json: modelTopology\.config\.layers\[0\]\.config\.batch_input_shape: the time axis \(a sample's first\) is open \(got \[null,null,3\]\)[^]*help: pass it: modelFromTfjs\(files, \{ sequenceLength: 20 \}\)/,
    );
    const model = modelFromTfjs(files, { sequenceLength: 6 });
    expect(model.inputShape).toEqual([6, 3]);
    const x = sequences(3);
    expect(maxDiff(model.predict(x).data, tfjsPredict(m, x))).toBeLessThan(1e-5);
    expect(() => modelFromTfjs(files, { sequenceLength: 0 })).toThrow(/invalid sequenceLength \(got 0/);
  });

  it("reads Keras' GRU with reset_after: true (bias [2, 3·units]), which TF.js 4 itself cannot load", () => {
    const model = grus(true);
    // Keras writes this model as our export of the same GRUs with reset_after: false would be,
    // but for reset_after and the bias shapes: edit one into the other.
    const files = editJson(modelToTfjs(grus(false)), (json) => {
      for (const layer of json.modelTopology.config.layers) if (layer.class_name === "GRU") layer.config["reset_after"] = true;
      json.weightsManifest[0]!.weights.forEach((w, k) => (w.shape = [...model.params()[k]!.value.shape]));
    });
    const values = model.params().flatMap((p) => Array.from(p.value.data));
    files["model.weights.bin"] = new Uint8Array(new Float32Array(values).buffer);
    const back = modelFromTfjs(files);
    expect(back.layers.map((l) => (l.getConfig() as { resetAfter?: boolean }).resetAfter)).toEqual([true, true, undefined]);
    const x = sequences(4);
    expect(Array.from(back.predict(x).data)).toEqual(Array.from(model.predict(x).data));
  });

  describe("refuses what it cannot compute, naming the file, the layer and the key", () => {
    const exported = () => modelToTfjs(lstmSequences());
    const edited = (edit: (config: Record<string, unknown>) => void, layer = 0) => editJson(exported(), (json) => edit(json.modelTopology.config.layers[layer]!.config));

    it("dropout and recurrent_dropout (we have none)", () => {
      expect(refusal(() => modelFromTfjs(edited((c) => (c["dropout"] = 0.2))))).toMatch(
        /^model\.json: modelTopology\.config\.layers\[0\]\.config\.dropout: layer "lstm_0" \(LSTM\): dropout is not supported \(got 0\.2, expected 0\)/,
      );
      expect(refusal(() => modelFromTfjs(edited((c) => (c["recurrent_dropout"] = 0.5))))).toMatch(/config\.recurrent_dropout: layer "lstm_0" \(LSTM\): recurrent_dropout is not supported \(got 0\.5, expected 0\)[^]*help: our recurrent layers have no dropout/);
    });

    it("return_state, time_major, constraints, unknown keys, bad flags", () => {
      expect(refusal(() => modelFromTfjs(edited((c) => (c["return_state"] = true))))).toMatch(/config\.return_state: layer "lstm_0" \(LSTM\): return_state true is not supported/);
      expect(refusal(() => modelFromTfjs(edited((c) => (c["time_major"] = true))))).toMatch(/config\.time_major: .*expected false/);
      expect(refusal(() => modelFromTfjs(edited((c) => (c["recurrent_constraint"] = { class_name: "MaxNorm", config: {} }))))).toMatch(/config\.recurrent_constraint: layer "lstm_0" \(LSTM\)/);
      expect(refusal(() => modelFromTfjs(edited((c) => (c["zoneout"] = 0.1))))).toMatch(/config\.zoneout: layer "lstm_0" \(LSTM\): the option "zoneout" is not supported/);
      expect(refusal(() => modelFromTfjs(edited((c) => (c["go_backwards"] = "yes"))))).toMatch(/config\.go_backwards: must be true or false \(got "yes"\)/);
      expect(refusal(() => modelFromTfjs(edited((c) => (c["units"] = 1e9))))).toMatch(/config\.units: must be an integer in \[1, /);
      expect(refusal(() => modelFromTfjs(edited((c) => (c["recurrent_activation"] = "gelu"))))).toMatch(/config\.recurrent_activation: activation "gelu" is not supported/);
    });

    it("missing and misshapen weights", () => {
      const noRecurrent = editJson(exported(), (json) => (json.weightsManifest[0]!.weights[1]!.name = "lstm_0/other"));
      expect(refusal(() => modelFromTfjs(noRecurrent))).toMatch(/layers\[0\]: weight "lstm_0\/recurrent_kernel" is missing from the weights manifest/);
      const transposed = editJson(exported(), (json) => (json.weightsManifest[0]!.weights[0]!.shape = [16, 3]));
      expect(refusal(() => modelFromTfjs(transposed))).toMatch(/layers\[0\]: weight "lstm_0\/kernel" does not fit the layer on inputs \[6, 3\] \(got \[16, 3\], expected \[3, 16\]\)/);
    });

    it("wrappers: merge_mode null, a Bidirectional around a Dense, a nameless wrapped layer, dropout inside", () => {
      const bi = () => modelToTfjs(bidirectional("sum"));
      const biEdited = (edit: (config: Record<string, unknown>) => void) => editJson(bi(), (json) => edit(json.modelTopology.config.layers[1]!.config));
      expect(refusal(() => modelFromTfjs(biEdited((c) => (c["merge_mode"] = null))))).toMatch(/layers\[1\]\.config\.merge_mode: layer "bidirectional_1" \(Bidirectional\): merge_mode null is not supported \(expected one of: concat, sum, mul, ave\)/);
      expect(refusal(() => modelFromTfjs(biEdited((c) => ((c["layer"] as LayerJson).class_name = "Dense"))))).toMatch(/layers\[1\]\.config\.layer\.class_name: layer "bidirectional_1" \(Bidirectional\): wraps "Dense" \(expected one of: LSTM, GRU, SimpleRNN\)/);
      expect(refusal(() => modelFromTfjs(biEdited((c) => delete (c["layer"] as LayerJson).config["name"])))).toMatch(/layers\[1\]\.config\.layer\.config\.name: .*has no name/);
      expect(refusal(() => modelFromTfjs(biEdited((c) => ((c["layer"] as LayerJson).config["dropout"] = 0.1))))).toMatch(
        /layers\[1\]\.config\.layer\.config\.dropout: layer "bidirectional_1\/forward_gru" \(GRU in Bidirectional\): dropout is not supported/,
      );
      const td = editJson(modelToTfjs(maskedSequences()), (json) => ((json.modelTopology.config.layers[2]!.config["layer"] as LayerJson).class_name = "Conv1D"));
      expect(refusal(() => modelFromTfjs(td))).toMatch(/layers\[2\]\.config\.layer\.class_name: layer "timeDistributed_2" \(TimeDistributed\): wraps "Conv1D", which is not supported/);
    });
  });
});
