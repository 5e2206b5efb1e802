import { Matrix, Rng, Tensor, type DType } from "@backprop/linalg";
import { Bidirectional, Dense, Embedding, GRU, LSTM, Sequential, SimpleRNN, type Layer } from "@backprop/layers";
import { adam } from "@backprop/optimizers";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeModel, encodeModel } from "./codec.js";
import { modelFromJSON, modelToJSON } from "./model-file.js";
import {
  bidirectional,
  embeddingLstm,
  grus,
  idBatch,
  ID_STEPS,
  KERAS2_HARD_SIGMOID,
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
import { randomizeWeights, weightsOf } from "./test-models.test-util.js";

/*
 * Recurrent models in the native formats (JSON, safetensors): nothing in the loaders knows the
 * recurrent layers — every weight is checked through the layers' own `paramShapes` — so a round
 * trip that predicts bit for bit is the test, over the fixed test models and random ones.
 */

const FORMATS = ["json", "safetensors"] as const;

function roundTrip(model: Sequential, format: (typeof FORMATS)[number]): Sequential {
  return decodeModel(encodeModel(model, { format }).files, format).model;
}

const bits = (t: Tensor) => Array.from(t.data);

describe("recurrent models in the native formats (JSON, safetensors)", () => {
  const models: [string, (dtype: DType) => Sequential, (dtype: DType) => Tensor][] = [
    ["LSTM, last step", (d) => lstmLast(d), (d) => sequences(4, d)],
    ["LSTM returnSequences", (d) => lstmSequences(d), (d) => sequences(4, d)],
    ["LSTM goBackwards", (d) => lstmBackwards(d), (d) => sequences(4, d)],
    ["LSTM on hardSigmoid { slope 0.2, offset 0.5 }", (d) => lstmHardSigmoid(d), (d) => sequences(4, d)],
    ["GRU resetAfter: true", (d) => grus(true, d), (d) => sequences(4, d)],
    ["GRU resetAfter: false", (d) => grus(false, d), (d) => sequences(4, d)],
    ["SimpleRNN", (d) => simpleRnns(d), (d) => sequences(4, d)],
    ["RNN of an LSTMCell", (d) => rnnOfLstmCell(d), (d) => sequences(4, d)],
    ["Embedding (maskZero) → LSTM, padded ids", (d) => embeddingLstm(true, d), (d) => idBatch(6, true, d)],
    ["Bidirectional LSTM → Bidirectional GRU mul", (d) => bidirectional("mul", true, d), (d) => sequences(4, d)],
    ["Masking → LSTM → TimeDistributed(Dense) → Activation, padded sequences", (d) => maskedSequences(d), (d) => paddedSequences(6, d)],
  ];
  for (const format of FORMATS) {
    for (const dtype of ["float32", "float64"] as const) {
      it(`${format}, ${dtype}: every test model keeps its configs and weights, and predicts bit for bit`, () => {
        for (const [label, build, input] of models) {
          const model = build(dtype);
          const loaded = roundTrip(model, format);
          expect(loaded.dtype, label).toBe(dtype);
          expect(loaded.layers.map((l) => ({ className: l.className, config: l.getConfig() })), label).toEqual(model.layers.map((l) => ({ className: l.className, config: l.getConfig() })));
          expect(weightsOf(loaded), label).toEqual(weightsOf(model));
          const x = input(dtype);
          expect(bits(loaded.predict(x)), label).toEqual(bits(model.predict(x)));
        }
      });
    }

    it(`${format}: a trained stack of LSTMs (goBackwards) resumes training exactly (Adam's moments of the recurrent kernels included)`, () => {
      const x = sequences(16);
      const y = new Rng(5).fillNormal(new Matrix(16, 2));
      const model = lstmBackwards().compile({ loss: "meanSquaredError", optimizer: adam({ lr: 0.01 }) });
      model.fit(x, y, { epochs: 2, batchSize: 4 });
      const loaded = roundTrip(model, format);
      expect(weightsOf(loaded)).toEqual(weightsOf(model));
      model.fit(x, y, { epochs: 1, batchSize: 4, initialEpoch: model.epoch });
      loaded.fit(x, y, { epochs: 1, batchSize: 4, initialEpoch: loaded.epoch });
      expect(weightsOf(loaded)).toEqual(weightsOf(model));
    });

    it(`${format}: a stateful layer stays stateful — the loaded copy carries its states from batch to batch as the original did`, () => {
      const build = () => randomizeWeights(new Sequential([new LSTM({ units: 3, stateful: true, returnSequences: true, inputShape: [6, 3] }), new GRU({ units: 2, stateful: true })], { seed: 8 }).build(), 8);
      const model = build();
      const loaded = roundTrip(model, format);
      expect(loaded.layers.map((l) => l.getConfig()["stateful"])).toEqual([true, true]);
      const batches = [1, 2, 3].map((seed) => sequences(4, "float32", seed));
      const ours = batches.map((x) => bits(model.predict(x)));
      expect(batches.map((x) => bits(loaded.predict(x)))).toEqual(ours);
      // States did carry: a fresh model on the third batch alone answers otherwise.
      expect(bits(build().predict(batches[2]!))).not.toEqual(ours[2]);
    });
  }

  it("the stored form names each recurrent parameter after Keras' layout (kernel, recurrentKernel, bias [2, 3·units])", () => {
    const file = modelToJSON(bidirectional("sum", true));
    expect(file.weights.map((w) => `${w.name} [${w.shape.join(",")}]`)).toEqual([
      "layers.0.forward.kernel [3,12]", "layers.0.forward.recurrentKernel [3,12]", "layers.0.forward.bias [12]",
      "layers.0.backward.kernel [3,12]", "layers.0.backward.recurrentKernel [3,12]", "layers.0.backward.bias [12]",
      "layers.1.forward.kernel [6,6]", "layers.1.forward.recurrentKernel [2,6]", "layers.1.forward.bias [2,6]",
      "layers.1.backward.kernel [6,6]", "layers.1.backward.recurrentKernel [2,6]", "layers.1.backward.bias [2,6]",
      "layers.2.kernel [2,2]", "layers.2.bias [2]",
    ]);
    // And a file whose GRU bias has the other variant's shape is refused, naming it.
    const json = JSON.parse(JSON.stringify(file));
    for (const k of [8, 11]) {
      json.weights[k].shape = [6];
      json.weights[k].data = json.weights[k].data.slice(0, 6);
    }
    expect(() => modelFromJSON(json)).toThrow(/layers\.1\.forward\.bias.*\[6\].*\[2, 6\]|\[2, 6\].*\[6\]/);
  });
});

/** A random recurrent stack: an optional Embedding, one to three recurrent layers (any cell, options, activations), maybe bidirectional. */
const recurrentModel = fc.record({
  embedding: fc.option(fc.record({ maskZero: fc.boolean(), outputDim: fc.integer({ min: 1, max: 4 }) }), { nil: undefined }),
  layers: fc.array(
    fc.record({
      kind: fc.constantFrom("lstm", "gru", "simpleRnn"),
      units: fc.integer({ min: 1, max: 5 }),
      goBackwards: fc.boolean(),
      useBias: fc.boolean(),
      resetAfter: fc.boolean(),
      unitForgetBias: fc.boolean(),
      activation: fc.constantFrom<unknown>("tanh", "relu", "identity", "softsign", { name: "elu", config: { alpha: 0.5 } }),
      recurrentActivation: fc.constantFrom<unknown>("sigmoid", "hardSigmoid", KERAS2_HARD_SIGMOID, { name: "hardSigmoid", config: { slope: 0.3, offset: 0.4 } }),
      bidirectional: fc.option(fc.constantFrom("concat", "sum", "mul", "ave"), { nil: undefined }),
    }),
    { minLength: 1, maxLength: 3 },
  ),
  lastSequences: fc.boolean(),
  dtype: fc.constantFrom<DType>("float32", "float64"),
  seed: fc.integer({ min: 1, max: 1000 }),
});

function buildRandom(spec: typeof recurrentModel extends fc.Arbitrary<infer T> ? T : never): { model: Sequential; x: Tensor } {
  const layers: Layer[] = [];
  if (spec.embedding) layers.push(new Embedding({ inputDim: VOCABULARY, outputDim: spec.embedding.outputDim, maskZero: spec.embedding.maskZero, inputLength: ID_STEPS }));
  spec.layers.forEach((l, i) => {
    const last = i === spec.layers.length - 1;
    const common = {
      units: l.units,
      goBackwards: l.goBackwards,
      useBias: l.useBias,
      activation: l.activation as never,
      returnSequences: !last || spec.lastSequences,
      ...(i === 0 && !spec.embedding && !l.bidirectional ? { inputShape: [5, 3] } : {}),
    };
    const rnn =
      l.kind === "lstm" ? new LSTM({ ...common, recurrentActivation: l.recurrentActivation as never, unitForgetBias: l.unitForgetBias })
        : l.kind === "gru" ? new GRU({ ...common, recurrentActivation: l.recurrentActivation as never, resetAfter: l.resetAfter })
          : new SimpleRNN(common);
    layers.push(l.bidirectional ? new Bidirectional({ layer: rnn, mergeMode: l.bidirectional as never, ...(i === 0 && !spec.embedding ? { inputShape: [5, 3] } : {}) }) : rnn);
  });
  const model = randomizeWeights(new Sequential(layers, { dtype: spec.dtype, seed: spec.seed }).build(), spec.seed);
  const x = spec.embedding ? idBatch(3, true, spec.dtype, spec.seed) : new Rng(spec.seed).fillNormal(new Tensor([3, 5, 3], spec.dtype));
  return { model, x };
}

describe("random recurrent models round-trip bit for bit (fast-check)", () => {
  for (const format of FORMATS) {
    it(`${format}: save → load gives the same configs, weights and predictions`, () => {
      fc.assert(
        fc.property(recurrentModel, (spec) => {
          const { model, x } = buildRandom(spec);
          const loaded = roundTrip(model, format);
          expect(loaded.layers.map((l) => l.getConfig())).toEqual(model.layers.map((l) => l.getConfig()));
          expect(bits(loaded.predict(x))).toEqual(bits(model.predict(x)));
        }),
        { numRuns: 60, seed: 20261202 },
      );
    });
  }
});
