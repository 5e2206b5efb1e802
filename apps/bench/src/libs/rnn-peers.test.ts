import { Rng } from "@backprop/linalg";
import { describe, expect, it } from "vitest";
import {
  SINE_NOISE,
  SINE_PERIOD,
  W5A_LENGTH,
  brainCharLstm,
  brainLstmTimeStepTrain,
  lstmModel,
  sineSeries,
  tfjsLstmTrain,
  w5bStrings,
  windows,
} from "./rnn-peers.js";
import { loadTfjs } from "./tfjs.js";

const COUNT = 64;

function w5aData(count = COUNT, seed = 3) {
  return windows(sineSeries(count + W5A_LENGTH, seed), W5A_LENGTH, count);
}

/** `run()` `runs` times; the loss after each. */
async function losses(t: { run(): void | Promise<void>; lastLoss(): number }, runs: number): Promise<number[]> {
  const out: number[] = [];
  for (let r = 0; r < runs; r++) {
    await t.run();
    out.push(t.lastLoss());
  }
  return out;
}

describe("sineSeries", () => {
  it("is the documented noisy sine, reproducible per seed", () => {
    const s = sineSeries(200, 7);
    expect(s).toBeInstanceOf(Float32Array);
    expect(s).toHaveLength(200);
    expect(sineSeries(200, 7)).toEqual(s);
    expect(sineSeries(200, 8)).not.toEqual(s);
    const rng = new Rng(7);
    const phase = 2 * Math.PI * rng.uniform();
    for (let t = 0; t < 200; t++) {
      const want = Math.fround(Math.sin((2 * Math.PI * t) / SINE_PERIOD + phase) + SINE_NOISE * rng.normal());
      expect(s[t]).toBe(want);
    }
  });
});

describe("windows", () => {
  it("cuts stride-1 windows of the series with the next value as target", () => {
    const series = sineSeries(100, 1);
    const d = windows(series, W5A_LENGTH, 60);
    expect(d.xShape).toEqual([60, 32, 1]);
    expect(d.yShape).toEqual([60, 1]);
    expect(d.x).toHaveLength(60 * 32);
    expect(d.y).toHaveLength(60);
    for (let i = 0; i < 60; i++) {
      for (let t = 0; t < 32; t++) expect(d.x[i * 32 + t]).toBe(series[i + t]);
      expect(d.y[i]).toBe(series[i + 32]);
      // the next window ends with this window's target
      if (i + 1 < 60) expect(d.y[i]).toBe(d.x[(i + 1) * 32 + 31]);
    }
    expect(windows(sineSeries(100, 1), W5A_LENGTH, 60)).toEqual(d);
  });

  it("needs count + length values", () => {
    expect(() => windows(new Float32Array(91), 32, 60)).toThrow(/need 92 values/);
    expect(windows(new Float32Array(92), 32, 60).y).toHaveLength(60);
  });
});

describe("w5bStrings", () => {
  it("makes 50 short strings of 2–4 words, reproducible per seed", () => {
    const s = w5bStrings(5);
    expect(s).toHaveLength(50);
    expect(w5bStrings(5)).toEqual(s);
    expect(w5bStrings(6)).not.toEqual(s);
    for (const str of s) {
      expect(str).toMatch(/^[a-z]+( [a-z]+){1,3}$/);
      expect(str.length).toBeGreaterThanOrEqual(3);
      expect(str.length).toBeLessThanOrEqual(15);
    }
    expect(new Set(s.map((x) => x.split(" ").length))).toEqual(new Set([2, 3, 4]));
  });
});

describe("tfjs W5a (LSTM 32 → Dense 1)", () => {
  it("builds the W5a model: 4 385 parameters, orthogonal recurrent kernel", async () => {
    const tfm = await loadTfjs();
    await tfm.tf.setBackend("cpu");
    const model = lstmModel(tfm);
    expect(model.countParams()).toBe(4 * (32 * (1 + 32) + 32) + 33);
    expect(model.outputShape).toEqual([null, 1]);
    const [, rec] = model.layers[0]!.getWeights();
    expect(rec!.shape).toEqual([32, 128]);
    // rows orthonormal: R·Rᵀ = I
    const g = tfm.tf.matMul(rec!, rec!, false, true).arraySync() as number[][];
    for (let i = 0; i < 32; i++) for (let j = 0; j < 32; j++) expect(g[i]![j]).toBeCloseTo(i === j ? 1 : 0, 4);
    model.dispose();
  });

  it("tfjs-cpu: one run is one epoch and the loss falls over 5 epochs", async () => {
    const tfm = await loadTfjs();
    const t = tfjsLstmTrain(tfm, "cpu", w5aData(), 32);
    await t.setup();
    const l = await losses(t, 4);
    const tensors = tfm.tf.memory().numTensors;
    l.push(...(await losses(t, 1)));
    expect(tfm.tf.memory().numTensors).toBe(tensors); // an epoch leaks no tensor
    for (const v of l) expect(Number.isFinite(v)).toBe(true);
    expect(l[4]!).toBeLessThan(l[0]! * 0.9);
  });

  it("needs setup before run", async () => {
    const tfm = await loadTfjs();
    await expect(tfjsLstmTrain(tfm, "cpu", w5aData(8), 4).run()).rejects.toThrow(/before setup/);
  });

  it("tfjs-wasm trains an LSTM (no missing gradient kernel) and matches tfjs-cpu", async () => {
    const tfm = await loadTfjs();
    const d = w5aData();
    const cpu = tfjsLstmTrain(tfm, "cpu", d, 32, 11);
    const wasm = tfjsLstmTrain(tfm, "wasm", d, 32, 11);
    await cpu.setup();
    await wasm.setup();
    const lc = await losses(cpu, 2);
    const lw = await losses(wasm, 2);
    expect(tfm.tf.getBackend()).toBe("wasm");
    for (let i = 0; i < 2; i++) {
      expect(Number.isFinite(lw[i]!)).toBe(true);
      expect(lw[i]!).toBeCloseTo(lc[i]!, 3);
    }
    await tfm.tf.setBackend("cpu");
  });
});

describe("brain.js W5a (LSTMTimeStep)", () => {
  it("one run is one pass over the sequences and the error falls over 5 passes", () => {
    const t = brainLstmTimeStepTrain(w5aData());
    const l: number[] = [];
    for (let r = 0; r < 5; r++) {
      t.run();
      l.push(t.lastLoss());
    }
    for (const v of l) expect(Number.isFinite(v)).toBe(true);
    expect(l[4]!).toBeLessThan(l[0]! * 0.9);
  });
});

describe("brain.js W5b (char-LSTM)", () => {
  it("uses brain.js's default two hidden layers of 20 and trains on the strings", () => {
    const t = brainCharLstm(w5bStrings(1), 3);
    expect(t.hiddenLayers).toEqual([20, 20]);
    expect(Number.isNaN(t.lastLoss())).toBe(true);
    t.run();
    const first = t.lastLoss();
    t.run();
    expect(Number.isFinite(first)).toBe(true);
    expect(Number.isFinite(t.lastLoss())).toBe(true);
    expect(t.lastLoss()).toBeGreaterThan(0);
    expect(t.lastLoss()).toBeLessThan(first);
  });

  it("rejects strings brain.js cannot score", () => {
    expect(() => brainCharLstm(["ab", "c"], 1)).toThrow(/2\+ characters/);
  });
});
