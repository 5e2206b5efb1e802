// Runs every code sample the guides show. The pages include these files with VitePress snippet
// includes (`<<< @/../examples/x.ts#example`), so what a reader sees is what runs here.
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { referenceExample } from "@backprop/layers";
import { Matrix, Rng, rowsOf, type NestedArray } from "@backprop/linalg";
import { describe, expect, it } from "vitest";
import { DOCS, SRC, filesUnder } from "./site.js";
import { maxAbsDiff, quietSamples } from "./samples.js";

/** The first row of a traced value's 2-D view (the first sample), or none. */
function firstRow(value: NestedArray | undefined): number[] {
  return value === undefined ? [] : (rowsOf(value)[0] ?? []);
}

quietSamples();

/** The examples this file runs; the coverage test below checks it against the pages and the folder. */
const TESTED = new Set<string>();
const sample = (name: string, fn: () => Promise<void>): void => {
  TESTED.add(name);
  it(`examples/${name}.ts`, fn);
};

describe("the guides' code samples run and do what the pages say", () => {
  sample("xor", async () => {
    const { history, model, x, y } = await import("../examples/xor.js");
    expect(history.history["accuracy"]?.at(-1)).toBe(1);
    const p = model.predict(x).data;
    for (let i = 0; i < 4; i++) expect(Math.abs((p[i] as number) - (y.data[i] as number))).toBeLessThan(0.1);
  });

  sample("all-in-one", async () => {
    const { file, model, x, y } = await import("../examples/all-in-one.js");
    expect(file.format).toBe("backprop-model");
    const p = model.predict(x).data;
    for (let i = 0; i < 4; i++) expect(Math.abs((p[i] as number) - (y.data[i] as number))).toBeLessThan(0.1);
  });

  sample("trace", async () => {
    const { trace } = await import("../examples/trace.js");
    const ref = referenceExample.biasesUpdated;
    expect(maxAbsDiff(firstRow(trace.layers[0]?.output), ref.hiddenOut)).toBeLessThan(1e-12);
    expect(maxAbsDiff(firstRow(trace.layers[1]?.output), ref.output)).toBeLessThan(1e-12);
    expect(maxAbsDiff(firstRow(trace.layers[1]?.delta), ref.outputDelta)).toBeLessThan(1e-12);
    expect(Math.abs(trace.loss - ref.totalError)).toBeLessThan(1e-12);
  });

  sample("matrices", async () => {
    const { x, w, b, z, a, dw, db } = await import("../examples/matrices.js");
    // Recomputed with plain loops: z = x·w + b, a = relu(z), dw = xᵀ·a, db = Σ rows of a.
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 2; j++) {
        let s = b.get(0, j);
        for (let k = 0; k < 2; k++) s += x.get(i, k) * w.get(k, j);
        expect(z.get(i, j)).toBeCloseTo(s, 12);
        expect(a.get(i, j)).toBe(Math.max(0, z.get(i, j)));
      }
    }
    for (let i = 0; i < 2; i++) {
      for (let j = 0; j < 2; j++) {
        let s = 0;
        for (let r = 0; r < 3; r++) s += x.get(r, i) * a.get(r, j);
        expect(dw.get(i, j)).toBeCloseTo(s, 12);
      }
      expect(db.get(0, i)).toBeCloseTo(a.get(0, i) + a.get(1, i) + a.get(2, i), 12);
    }
  });

  sample("rng", async () => {
    const { w, order, next } = await import("../examples/rng.js");
    const again = new Rng(42);
    expect(again.fillNormal(Matrix.zeros(2, 3), 0, 0.1).data).toEqual(w.data);
    expect([...order].sort()).toEqual([0, 1, 2, 3, 4]);
    expect(next).toBeGreaterThanOrEqual(0);
    expect(next).toBeLessThan(1);
  });

  sample("backends", async () => {
    const { fast, reference } = await import("../examples/backends.js");
    expect(Array.from(fast.data)).toEqual(Array.from(reference.data));
  });

  sample("activations", async () => {
    const { y, grad, again } = await import("../examples/activations.js");
    expect(Array.from(y)).toEqual([-0.4, 3]);
    expect(Array.from(grad)).toEqual([0.2, 1]);
    expect(again.f(-1)).toBeCloseTo(-0.2, 15);
  });

  sample("tensors", async () => {
    const { images, pixels, rows, second } = await import("../examples/tensors.js");
    expect(second.toArray()).toEqual([[[[0], [1]], [[2], [3]]]]);
    expect(second.data.buffer).toBe(images.data.buffer);
    expect([rows.rows, rows.cols, rows.get(1, 3)]).toEqual([4, 4, 3]);
    expect([pixels.rows, pixels.cols]).toEqual([16, 1]);
  });

  sample("cnn-mnist", async () => {
    const { history, model, scores, test, train } = await import("../examples/cnn-mnist.js");
    expect([train.length, test.length]).toEqual([3000, 500]);
    expect(model.params().map((p) => p.value.shape)).toEqual([[5, 5, 1, 8], [8], [5, 5, 8, 16], [16], [256, 10], [10]]);
    expect(model.summary()).toContain("[null, 4, 4, 16]");
    expect(history.history["accuracy"]?.at(-1)).toBeGreaterThan(0.95);
    // Images the network never saw.
    expect(scores["accuracy"]).toBeGreaterThan(0.9);
  });

  sample("time-series", async () => {
    const { forecast, loss, series } = await import("../examples/time-series.js");
    // The noise alone has variance 0.01: the LSTM has learned the signal, not memorised noise.
    expect(loss).toBeLessThan(0.03);
    // The 24-step forecast follows the next period of the clean sine (fed its own predictions).
    forecast.forEach((v, k) => expect(Math.abs(v - Math.sin((2 * Math.PI * (series.length + k)) / 24))).toBeLessThan(0.35));
  });

  sample("text-generation", async () => {
    const { chars, generate, history, sample, text } = await import("../examples/text-generation.js");
    expect(history.history["loss"]?.at(-1)).toBeLessThan(0.2);
    expect([...sample].every((c) => chars.includes(c))).toBe(true);
    expect(sample).toHaveLength(40);
    // It learned the sentence: what follows the prompt is the text that follows it.
    expect(text).toContain(`the quick ${sample.slice(0, 20)}`);
    expect(generate("the quick ", 40, 0.5, 7)).toBe(sample);
  });

  sample("rnn-trace", async () => {
    const { lstm, trace } = await import("../examples/rnn-trace.js");
    const hidden = (lstm.timeSteps?.["hidden"] as number[][][])[0]!.map((s) => s[0]!);
    const cell = (lstm.timeSteps?.["cell"] as number[][][])[0]!.map((s) => s[0]!);
    const gate = (name: string) => (lstm.timeSteps?.[name] as number[][][])[0]!.map((s) => s[0]!);
    // The page's equations, recomputed from the printed gates: c = f·c₋₁ + i·g, h = o·tanh(c).
    let c = 0;
    for (let t = 0; t < 3; t++) {
      c = gate("forget")[t]! * c + gate("input")[t]! * gate("candidate")[t]!;
      expect(cell[t]).toBeCloseTo(c, 14);
      expect(hidden[t]).toBeCloseTo(gate("output")[t]! * Math.tanh(c), 14);
    }
    // c₀ = 0, so the first forget gate gets no gradient.
    expect((lstm.timeStepGradients?.["forget"] as number[][][])[0]![0]![0]).toBe(0);
    expect(trace.lossAfter).toBeLessThan(trace.loss);
  });

  sample("custom-layer", async () => {
    const { check, model, restored, x } = await import("../examples/custom-layer.js");
    expect(check.ok).toBe(true);
    expect(check.entries.map((e) => e.name)).toEqual(["input", "acme>scale.scale"]);
    expect(restored.layers.map((l) => l.className)).toEqual(["acme>scale", "dense"]);
    expect(restored.params().map((p) => [p.name, p.value.shape])).toEqual([["layers.0.scale", [3]], ["layers.1.kernel", [3, 1]], ["layers.1.bias", [1]]]);
    expect(Array.from(restored.predict(x).data)).toEqual(Array.from(model.predict(x).data));
  });

  sample("custom-activation", async () => {
    const { json, model, restored, x } = await import("../examples/custom-activation.js");
    expect(json).toContain('"acme>swishBeta"');
    expect(json).toContain('"beta":1.5');
    expect(Array.from(restored.predict(x).data)).toEqual(Array.from(model.predict(x).data));
    const { getActivation } = await import("@backprop/activations");
    const act = getActivation("acme>swishBeta", { beta: 1.5 });
    for (const v of [-2, -0.3, 0.7, 3]) {
      const h = 1e-5;
      const numeric = (act.f(v + h) - act.f(v - h)) / (2 * h);
      expect(Math.abs(act.df(v, act.f(v)) - numeric)).toBeLessThan(1e-8);
    }
  });

  sample("optimizers", async () => {
    const { opt, p, resumed } = await import("../examples/optimizers.js");
    expect(p.value.get(0, 0)).toBeCloseTo(3, 3);
    expect(p.value.get(0, 1)).toBeCloseTo(-1, 3);
    expect(resumed.config).toEqual(opt.config);
    expect(resumed.stateDict()).toEqual(opt.stateDict());
  });

  sample("schedules", async () => {
    const { cosine, steps, warm, opt } = await import("../examples/schedules.js");
    expect(cosine.at(0)).toBeCloseTo(0.1, 15);
    expect(cosine.at(100)).toBeCloseTo(0.001, 15);
    expect(steps.at(29)).toBe(0.1);
    expect(steps.at(30)).toBeCloseTo(0.05, 15);
    expect(warm.at(0)).toBeCloseTo(0.001, 15);
    expect(warm.at(9)).toBeCloseTo(0.01, 15);
    expect(warm.at(110)).toBeCloseTo(0.005, 15);
    expect(opt.learningRate).toBeCloseTo(0.001, 15);
  });

  sample("clipping", async () => {
    const { norm, p } = await import("../examples/clipping.js");
    expect(norm).toBe(5);
    expect(p.value.get(0, 0)).toBeCloseTo(-0.06, 6);
    expect(p.value.get(0, 1)).toBeCloseTo(-0.08, 6);
  });

  sample("custom-optimizer", async () => {
    const { p } = await import("../examples/custom-optimizer.js");
    expect(p.value.get(0, 0)).toBeCloseTo(0.9, 12);
    expect(p.value.get(0, 1)).toBeCloseTo(-0.9, 12);
  });

  sample("training", async () => {
    const { history, model, stopper, x, y } = await import("../examples/training.js");
    expect(model.evaluate(x, y)["accuracy"]).toBeGreaterThan(0.95);
    const epochs = history.epoch.length;
    expect(epochs).toBeGreaterThan(0);
    expect(epochs).toBeLessThanOrEqual(200);
    if (stopper.stoppedEpoch >= 0) expect(epochs).toBe(stopper.stoppedEpoch + 1);
    expect(stopper.best).toBe(Math.min(...(history.history["val_loss"] ?? [])));
  });

  sample("save-load", async () => {
    const { again, metadata, model, x } = await import("../examples/save-load.js");
    expect(metadata).toEqual({ task: "xor" });
    expect(again.epoch).toBe(150);
    expect(Array.from(again.predict(x).data)).toEqual(Array.from(model.predict(x).data));
  });

  sample("predictor", async () => {
    const { after, before, model, sample: x, stale } = await import("../examples/predictor.js");
    expect(Array.from(stale.data)).toEqual(Array.from(before.data));
    expect(Array.from(after.data)).toEqual(Array.from(model.predict(x, { batchSize: 1 }).data));
    expect(Array.from(after.data)).not.toEqual(Array.from(before.data));
  });

  sample("onnx", async () => {
    const { ours, theirs } = await import("../examples/onnx.js");
    expect(maxAbsDiff(ours, theirs)).toBeLessThan(1e-5);
  });

  sample("tfjs", async () => {
    const { ours, theirs } = await import("../examples/tfjs.js");
    expect(maxAbsDiff(ours, theirs)).toBeLessThan(1e-5);
  });
});

describe("every sample on the guide pages is one of the tested files", () => {
  const pages = filesUnder(SRC, ".md").filter((f) => !f.includes(`${join("src", "reference")}`));
  const included = new Map<string, string[]>();
  for (const page of pages) {
    for (const m of readFileSync(page, "utf8").matchAll(/^<<< @\/\.\.\/examples\/([\w-]+)\.ts(?:#(\w+))?/gm)) {
      included.set(m[1] as string, [...(included.get(m[1] as string) ?? []), page]);
    }
  }

  it("the pages include every example, and only examples a test runs", () => {
    const onDisk = readdirSync(join(DOCS, "examples")).filter((f) => f.endsWith(".ts")).map((f) => f.replace(/\.ts$/, ""));
    // NOTE: a test file runs an example by importing it dynamically from ../examples/; the
    // samples of this file are registered through `sample` as well, so a name typed there but never
    // imported is caught too
    const run = new Set<string>(TESTED);
    for (const file of readdirSync(join(DOCS, "test")).filter((f) => f.endsWith(".test.ts"))) {
      for (const m of readFileSync(join(DOCS, "test", file), "utf8").matchAll(/import\("\.\.\/examples\/([\w-]+)\.js"\)/g)) run.add(m[1] as string);
    }
    expect([...included.keys()].sort()).toEqual([...run].sort());
    expect(onDisk.sort()).toEqual([...run].sort());
  });

  it("no guide page has an inline TypeScript or JavaScript block that no test runs", () => {
    for (const page of pages) {
      expect(readFileSync(page, "utf8"), page).not.toMatch(/^```(ts|js|typescript|javascript|mjs)\b/m);
    }
  });

  it("each included region exists in its file", () => {
    for (const page of pages) {
      for (const m of readFileSync(page, "utf8").matchAll(/^<<< @\/\.\.\/examples\/([\w-]+)\.ts#(\w+)/gm)) {
        const source = readFileSync(join(DOCS, "examples", `${m[1]}.ts`), "utf8");
        expect(source, `${m[1]}.ts`).toContain(`// #region ${m[2]}`);
        expect(source, `${m[1]}.ts`).toContain(`// #endregion ${m[2]}`);
      }
    }
  });
});
