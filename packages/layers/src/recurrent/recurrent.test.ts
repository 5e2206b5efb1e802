import { Rng, Tensor } from "@backprop/linalg";
import { adam } from "@backprop/optimizers";
import { describe, expect, it } from "vitest";
import { Dense } from "../dense.js";
import { Embedding } from "../embedding.js";
import { Masking } from "../masking.js";
import { gradientCheck } from "../gradient-check.js";
import type { TimeMask } from "../layer.js";
import { layerFromConfig } from "../layer-registry.js";
import { Sequential } from "../model/sequential.js";
import { Bidirectional, type MergeMode } from "./bidirectional.js";
import { LSTMCell } from "./lstm-cell.js";
import { GRU, LSTM, SimpleRNN } from "./recurrent-layers.js";
import { RNN } from "./rnn.js";

function built<T extends RNN | Bidirectional>(layer: T, shape: [number, number], seed = 1, dtype: "float32" | "float64" = "float64"): T {
  layer.build(shape, { dtype, rng: new Rng(seed), prefix: layer.name });
  return layer;
}

function randomInput(shape: number[], seed: number, dtype: "float32" | "float64" = "float64"): Tensor {
  return new Rng(seed).fillNormal(new Tensor(shape, dtype));
}

/** x with its time axis reversed, sample by sample. */
function reversedInTime(x: Tensor): Tensor {
  const [batch, steps, features] = x.shape as [number, number, number];
  const out = new Tensor(x.shape, x.dtype);
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t < steps; t++) {
      out.data.set(x.data.subarray((b * steps + t) * features, (b * steps + t + 1) * features), (b * steps + steps - 1 - t) * features);
    }
  }
  return out;
}

describe("recurrent layers: configuration", () => {
  it("shapes, parameter shapes and the Keras layouts", () => {
    expect(new LSTM({ units: 4 }).computeOutputShape([7, 3])).toEqual([4]);
    expect(new LSTM({ units: 4, returnSequences: true }).computeOutputShape([7, 3])).toEqual([7, 4]);
    expect(new LSTM({ units: 4 }).paramShapes([7, 3]).map((p) => [p.name, p.shape])).toEqual([
      ["kernel", [3, 16]],
      ["recurrentKernel", [4, 16]],
      ["bias", [16]],
    ]);
    expect(new GRU({ units: 4 }).paramShapes([7, 3]).map((p) => p.shape)).toEqual([[3, 12], [4, 12], [2, 12]]);
    expect(new GRU({ units: 4, resetAfter: false }).paramShapes([7, 3]).map((p) => p.shape)).toEqual([[3, 12], [4, 12], [12]]);
    expect(new SimpleRNN({ units: 4, useBias: false }).paramShapes([7, 3]).map((p) => p.shape)).toEqual([[3, 4], [4, 4]]);
    expect(new Bidirectional({ layer: new GRU({ units: 4, returnSequences: true }) }).computeOutputShape([7, 3])).toEqual([7, 8]);
    expect(new Bidirectional({ layer: new GRU({ units: 4 }), mergeMode: "sum" }).computeOutputShape([7, 3])).toEqual([4]);
  });

  it("the forget gate's bias starts at 1 (unitForgetBias), and the recurrent kernel is orthogonal", () => {
    const lstm = built(new LSTM({ units: 3 }), [2, 2]);
    expect(Array.from(lstm.params()[2]!.value.data)).toEqual([0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0]);
    const u = lstm.params()[1]!.value.data; // 3×12: orthonormal rows
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) {
        let dot = 0;
        for (let k = 0; k < 12; k++) dot += (u[i * 12 + k] as number) * (u[j * 12 + k] as number);
        expect(dot).toBeCloseTo(i === j ? 1 : 0, 12);
      }
    }
    expect(Array.from(built(new LSTM({ units: 2, unitForgetBias: false }), [2, 2]).params()[2]!.value.data)).toEqual(new Array(8).fill(0));
  });

  it("rejects bad options and bad inputs with typed errors naming the layer", () => {
    expect(() => new LSTM({ units: 0 })).toThrow(/LSTM: invalid units/);
    expect(() => new GRU({ units: 2, resetAfter: "yes" as unknown as boolean })).toThrow(/GRU: invalid resetAfter/);
    expect(() => new LSTM({ units: 2, activation: "softmax" })).toThrow(/elementwise activation/);
    expect(() => new SimpleRNN({ units: 2, inputShape: [5] })).toThrow(/expected \[time, features\]/);
    expect(() => new LSTM({ units: 2, dropout: 0.2 } as never)).toThrow(/unknown config key "dropout"/);
    expect(() => new RNN({ cell: { className: "nopeCell", config: {} } })).toThrow(/unknown cell "nopeCell"/);
    const lstm = built(new LSTM({ units: 2, name: "enc" }), [4, 3]);
    expect(() => lstm.forward(new Tensor([2, 4, 2], "float64"))).toThrow(/enc: input is \[2, 4, 2\] \(expected \[batch, time, 3\]\)/);
    expect(() => lstm.backward(new Tensor([2, 2], "float64"))).toThrow(/called before forward/);
    expect(() => new Sequential([new LSTM({ units: 2, returnState: true, inputShape: [3, 1] })]).build().predict(new Tensor([1, 3, 1]))).toThrow(/returnState/);
    expect(() => built(new LSTM({ units: 2 }), [3, 1]).call(new Tensor([2, 3, 1], "float64"), { initialState: [new Tensor([2, 2], "float64")] })).toThrow(
      /initialState has 1 tensors \(expected 2: h, c\)/,
    );
  });

  it.each([
    ["lstm", () => new LSTM({ units: 3, returnSequences: true, goBackwards: true, recurrentActivation: "hardSigmoid", unitForgetBias: false })],
    ["gru", () => new GRU({ units: 3, resetAfter: false, kernelRegularizer: { l2: 0.01 } })],
    ["simpleRnn", () => new SimpleRNN({ units: 3, activation: "relu", stateful: true })],
    ["rnn", () => new RNN({ cell: new LSTMCell({ units: 3 }), returnSequences: true })],
    ["bidirectional", () => new Bidirectional({ layer: new LSTM({ units: 3, returnSequences: true }), mergeMode: "ave" })],
  ])("%s: the config rebuilds the same layer (same weights from the same seed, same outputs)", (className, make) => {
    const original = built(make(), [5, 2], 4);
    const copy = built(layerFromConfig({ className, config: JSON.parse(JSON.stringify(original.getConfig())) }) as RNN | Bidirectional, [5, 2], 4);
    expect(copy.className).toBe(className);
    expect(copy.getConfig()).toEqual(original.getConfig());
    const x = randomInput([2, 5, 2], 8);
    expect(Array.from(copy.forward(x).data)).toEqual(Array.from(original.forward(x).data));
  });
});

describe("recurrent layers: the loop", () => {
  it.each([
    ["LSTM", () => new LSTM({ units: 3, returnSequences: true })],
    ["GRU", () => new GRU({ units: 3, returnSequences: true })],
  ])("%s: goBackwards equals running the reversed sequence", (_n, make) => {
    const forwards = built(make(), [6, 2], 3);
    const backwards = built(new (forwards.constructor as new (c: object) => RNN)({ ...forwards.getConfig(), goBackwards: true }), [6, 2], 3);
    const x = randomInput([2, 6, 2], 5);
    expect(Array.from(backwards.forward(x).data)).toEqual(Array.from(forwards.forward(reversedInTime(x)).data));
  });

  it.each([
    ["LSTM", () => new LSTM({ units: 3 })],
    ["GRU reset before", () => new GRU({ units: 3, resetAfter: false })],
    ["SimpleRNN", () => new SimpleRNN({ units: 3 })],
  ])("%s: a sequence padded at the end (masked) gives the bits of the unpadded one", (_n, make) => {
    const layer = built(make(), [5, 2], 2);
    const x = randomInput([1, 5, 2], 9);
    const short = new Tensor([1, 3, 2], "float64", x.data.slice(0, 6));
    const mask: TimeMask = { batch: 1, steps: 5, data: Uint8Array.from([1, 1, 1, 0, 0]) };
    const expected = Array.from(layer.forward(short).data);
    expect(Array.from(layer.forward(x, { mask }).data)).toEqual(expected);
    // Padding values are ignored entirely.
    x.data.fill(1e6, 6);
    expect(Array.from(layer.forward(x, { mask }).data)).toEqual(expected);
  });

  it("stateful: two halves of a sequence equal the whole; resetStates starts over", () => {
    const whole = built(new LSTM({ units: 3 }), [8, 2], 6);
    const halves = built(new LSTM({ units: 3, stateful: true }), [4, 2], 6);
    const x = randomInput([2, 8, 2], 1);
    const first = new Tensor([2, 4, 2], "float64");
    const second = new Tensor([2, 4, 2], "float64");
    for (let b = 0; b < 2; b++) {
      first.data.set(x.data.subarray(b * 16, b * 16 + 8), b * 8);
      second.data.set(x.data.subarray(b * 16 + 8, b * 16 + 16), b * 8);
    }
    halves.forward(first);
    const carried = halves.states!;
    expect(carried.map((s) => s.shape)).toEqual([[2, 3], [2, 3]]);
    const y = halves.forward(second);
    const expected = whole.forward(x);
    for (let i = 0; i < y.size; i++) expect(y.data[i]).toBeCloseTo(expected.data[i] as number, 14);
    expect(() => halves.forward(randomInput([3, 4, 2], 2))).toThrow(/carries states for batches of 2/);
    halves.resetStates();
    expect(halves.states).toBeUndefined();
    const fresh = built(new LSTM({ units: 3 }), [4, 2], 6);
    expect(Array.from(halves.forward(second).data)).toEqual(Array.from(fresh.forward(second).data));
    halves.resetStates(carried);
    expect(Array.from(halves.forward(second).data)).toEqual(Array.from(y.data));
  });

  it("call() returns the final states and starts from given ones", () => {
    const lstm = built(new LSTM({ units: 2, returnSequences: true }), [3, 1], 1);
    const x = randomInput([1, 6, 1], 3);
    const { output, states } = lstm.call(x);
    const whole = Array.from(output.data);
    const head = lstm.call(new Tensor([1, 4, 1], "float64", x.data.slice(0, 4)));
    const h = head.states.map((s) => s.clone());
    const tail = lstm.call(new Tensor([1, 2, 1], "float64", x.data.slice(4)), { initialState: h });
    expect(Array.from(tail.output.data)).toEqual(whole.slice(8));
    expect(Array.from(tail.states[0]!.data)).toEqual(Array.from(states[0]!.data));
  });

  it("inspect() shows every gate at every step and backpropagation through time", () => {
    const lstm = built(new LSTM({ units: 2, returnSequences: true }), [3, 1], 1);
    const x = randomInput([2, 3, 1], 3);
    const y = lstm.forward(x, { training: true });
    const seen = lstm.inspect();
    expect(Object.keys(seen.timeSteps ?? {}).sort()).toEqual(["candidate", "cell", "cellOutput", "forget", "hidden", "input", "output"]);
    expect(seen.timeSteps!["hidden"]!.shape).toEqual([2, 3, 2]);
    expect(Array.from(seen.timeSteps!["hidden"]!.data)).toEqual(Array.from(y.data));
    const i = seen.timeSteps!["input"]!.data;
    for (const v of i) expect(v > 0 && v < 1).toBe(true);
    expect(seen.timeStepGradients).toBeUndefined();
    lstm.backward(new Tensor([2, 3, 2], "float64").fill(1));
    const grads = lstm.inspect().timeStepGradients!;
    expect(Object.keys(grads).sort()).toEqual(["candidate", "forget", "initialCell", "initialHidden", "input", "output"]);
    expect(grads["forget"]!.shape).toEqual([2, 3, 2]);
    // The first step's forget gate multiplies c₀ = 0, so its gradient is exactly 0.
    expect(grads["forget"]!.data[0]).toBe(0);
    expect(grads["output"]!.data[0]).not.toBe(0);
  });
});

describe("masks through a model", () => {
  it.each([
    ["Embedding(maskZero)", () => new Embedding({ inputDim: 6, outputDim: 3, maskZero: true })],
  ])("%s → LSTM: zero-padded id sequences predict what the unpadded ones do", (_n, first) => {
    const model = new Sequential([first(), new LSTM({ units: 4 }), new Dense({ units: 2 })], { seed: 2, dtype: "float64" });
    const padded = Tensor.fromArray([[0, 0, 3, 1, 5], [2, 4, 0, 1, 0]]);
    const a = Array.from(model.predict(padded).data);
    // The same weights (same seed; no weight depends on the length) on the unpadded sequences.
    const twin = new Sequential([first(), new LSTM({ units: 4 }), new Dense({ units: 2 })], { seed: 2, dtype: "float64" });
    const alone = (ids: number[]) => Array.from(twin.predict(Tensor.fromArray([ids])).data);
    expect(a.slice(0, 2)).toEqual(alone([3, 1, 5]));
    expect(a.slice(2, 4)).toEqual(alone([2, 4, 1]));
  });

  it("Masking → GRU(returnSequences) → Dense trains like the model on the real steps only", () => {
    const model = new Sequential([new Masking({ inputShape: [4, 2] }), new GRU({ units: 3, returnSequences: true }), new LSTM({ units: 2 })], { seed: 2, dtype: "float64" });
    const x = Tensor.fromArray([[[1, 2], [0, 0], [3, -1], [0, 0]]]);
    const alone = Tensor.fromArray([[[1, 2], [3, -1]]]);
    const twin = new Sequential([new GRU({ units: 3, returnSequences: true, inputShape: [2, 2] }), new LSTM({ units: 2 })], { seed: 2, dtype: "float64" });
    expect(Array.from(model.predict(x).data)).toEqual(Array.from(twin.predict(alone).data));
  });
});

describe("one step at a time (generation)", () => {
  it("Embedding → LSTM(returnSequences) → Dense give, step by step with carried states, the whole sequence's outputs", () => {
    const embedding = new Embedding({ inputDim: 5, outputDim: 3, inputLength: 6 });
    const lstm = new LSTM({ units: 4, returnSequences: true });
    const dense = new Dense({ units: 5, activation: "softmax" });
    const model = new Sequential([embedding, lstm, dense], { seed: 3, dtype: "float64" });
    const ids = [1, 4, 0, 2, 3, 3];
    const whole = Array.from(model.predict(Tensor.fromArray([ids])).data);
    let states: Tensor[] | undefined;
    const stepwise: number[] = [];
    for (const id of ids) {
      const run = lstm.call(embedding.forward(Tensor.fromArray([[id]])), states ? { initialState: states } : {});
      states = run.states.map((s) => s.clone());
      stepwise.push(...dense.forward(run.output).data);
    }
    expect(stepwise).toEqual(whole);
    // And back to the built length: the model's own buffers are used again.
    expect(Array.from(model.predict(Tensor.fromArray([ids])).data)).toEqual(whole);
  });
});

describe("Bidirectional", () => {
  it.each(["concat", "sum", "mul", "ave"] as MergeMode[])("%s: gradient check in float64", (mergeMode) => {
    const layer = new Bidirectional({ layer: new LSTM({ units: 2, returnSequences: true, biasInitializer: "ones" }), mergeMode });
    const report = gradientCheck(layer, { inputShape: [4, 2], batch: 2, seed: 5 });
    expect(report.entries.map((e) => e.name)).toContain("bidirectional.backward.recurrentKernel");
    for (const e of report.entries) expect(e.maxRelativeError, e.name).toBeLessThan(1e-6);
  });

  it("concat of the forward layer's output and the backward layer's, realigned to input time", () => {
    const bi = built(new Bidirectional({ layer: new GRU({ units: 2, returnSequences: true }) }), [4, 1], 2);
    const x = randomInput([1, 4, 1], 1);
    const y = bi.forward(x).data;
    const f = bi.forwardLayer.forward(x).data;
    const b = bi.backwardLayer.forward(x).data;
    for (let t = 0; t < 4; t++) {
      expect([y[4 * t], y[4 * t + 1]]).toEqual([f[2 * t], f[2 * t + 1]]);
      expect([y[4 * t + 2], y[4 * t + 3]]).toEqual([b[2 * (3 - t)], b[2 * (3 - t) + 1]]);
    }
  });
});

describe("recurrent models train", () => {
  it.each([
    ["LSTM", () => new LSTM({ units: 8, inputShape: [12, 1] })],
    ["GRU", () => new GRU({ units: 8, inputShape: [12, 1] })],
    ["SimpleRNN", () => new SimpleRNN({ units: 8, inputShape: [12, 1] })],
    ["Bidirectional", () => new Bidirectional({ layer: new LSTM({ units: 4 }), inputShape: [12, 1] })],
  ])("%s → Dense learns to predict the next value of a sine (float32, Adam)", (_n, make) => {
    const n = 64;
    const x = new Tensor([n, 12, 1], "float32");
    const y = new Tensor([n, 1], "float32");
    for (let i = 0; i < n; i++) {
      for (let t = 0; t < 12; t++) x.data[i * 12 + t] = Math.sin(0.5 * (i + t));
      y.data[i] = Math.sin(0.5 * (i + 12));
    }
    const model = new Sequential([make(), new Dense({ units: 1 })], { seed: 3 });
    model.compile({ loss: "meanSquaredError", optimizer: adam({ lr: 0.02 }) });
    const history = model.fit(x, y, { epochs: 40, batchSize: 16 });
    const loss = history.history["loss"] as number[];
    expect(loss[0]).toBeGreaterThan(0.1);
    expect(loss.at(-1)).toBeLessThan(0.02);
    // Same seed, same bits.
    const again = new Sequential([make(), new Dense({ units: 1 })], { seed: 3 });
    again.compile({ loss: "meanSquaredError", optimizer: adam({ lr: 0.02 }) });
    expect(again.fit(x, y, { epochs: 40, batchSize: 16 }).history["loss"]).toEqual(loss);
  });

  it("traceStep carries the per-step gates of a recurrent layer", () => {
    const model = new Sequential([new GRU({ units: 2, inputShape: [3, 1] }), new Dense({ units: 1 })], { seed: 1, dtype: "float64" });
    model.compile({ loss: "meanSquaredError", optimizer: adam({ lr: 0.01 }) });
    const trace = model.traceStep(randomInput([2, 3, 1], 1), new Tensor([2, 1], "float64").fill(0.5));
    const gru = trace.layers[0]!;
    expect(Object.keys(gru.timeSteps ?? {}).sort()).toEqual(["candidate", "hidden", "reset", "update"]);
    expect(Object.keys(gru.timeStepGradients ?? {}).sort()).toEqual(["candidate", "initialHidden", "reset", "update"]);
    expect((gru.timeSteps!["update"] as number[][][]).length).toBe(2);
  });
});
