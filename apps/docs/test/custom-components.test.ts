// Runs the samples of "Extending Backprop": a custom loss and a custom metric, each checked,
// trained in a model, saved, and loaded back through its registry.
import { binaryCrossentropy, getMetric, registerLoss, unregisterLoss } from "@backprop/layers";
import { Matrix, Rng, finiteDifferenceCheck, isBackpropError } from "@backprop/linalg";
import { modelFromJSON } from "@backprop/serialize";
import { describe, expect, it } from "vitest";
import { quietSamples } from "./samples.js";

quietSamples();

/** The error a call throws, or undefined. */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

describe("a custom loss (examples/custom-loss.ts)", () => {
  it("its gradient matches central differences, trains a model, and survives save and load", async () => {
    const { check, history, json, model, restored, x, y } = await import("../examples/custom-loss.js");
    expect(check.maxRelativeError).toBeLessThan(1e-6);
    // It learned the rare class: better than always answering 0 (about 89% of the points)
    expect(history.history["accuracy"]?.at(-1)).toBeGreaterThan(0.95);
    expect(history.history["loss"]?.at(-1)).toBeLessThan((history.history["loss"]?.[0] as number) / 5);
    // The file names it with its config; the registry rebuilds it
    expect(JSON.parse(json).training.loss).toEqual({ name: "acme>binaryFocal", config: { gamma: 2, alpha: 0.75, eps: 1e-7 } });
    expect(restored.loss?.name).toBe("acme>binaryFocal");
    expect(Array.from(restored.predict(x).data)).toEqual(Array.from(model.predict(x).data));
    expect(restored.evaluate(x, y)).toEqual(model.evaluate(x, y));
    // Training resumes exactly: the loss, the optimizer state and the generator were all saved
    model.fit(x, y, { epochs: 101, initialEpoch: 100, batchSize: 32 });
    restored.fit(x, y, { epochs: 101, initialEpoch: 100, batchSize: 32 });
    expect(Array.from(restored.predict(x).data)).toEqual(Array.from(model.predict(x).data));
  });

  it("has the right gradient for other γ and α, and is half the BCE at γ = 0, α = ½", async () => {
    const { binaryFocal } = await import("../examples/custom-loss.js");
    const rng = new Rng(7);
    for (const [gamma, alpha] of [[0, 0.5], [0.5, 0.25], [1, 0.9], [3, 0.5], [5, 0.1]] as const) {
      const loss = binaryFocal({ gamma, alpha });
      for (let round = 0; round < 3; round++) {
        const p = rng.fillUniform(Matrix.zeros(5, 2), 0.02, 0.98);
        const t = rng.fillUniform(Matrix.zeros(5, 2), 0, 1);
        const g = loss.gradient(p, t, Matrix.zeros(5, 2)).data;
        expect(finiteDifferenceCheck(p.data, g, () => loss.compute(p, t)).maxRelativeError, `γ ${gamma}, α ${alpha}`).toBeLessThan(1e-6);
      }
    }
    const p = rng.fillUniform(Matrix.zeros(4, 3), 0.05, 0.95);
    const t = rng.fillUniform(Matrix.zeros(4, 3), 0, 1);
    const half = binaryFocal({ gamma: 0, alpha: 0.5 });
    const bce = binaryCrossentropy();
    expect(half.compute(p, t)).toBeCloseTo(bce.compute(p, t) / 2, 14);
    const a = half.gradient(p, t, Matrix.zeros(4, 3)).data;
    const b = bce.gradient(p, t, Matrix.zeros(4, 3)).data;
    a.forEach((v, i) => expect(v).toBeCloseTo((b[i] as number) / 2, 12));
  });

  it("rejects a bad config; an unregistered name fails to load unless given to the loader or not compiled", async () => {
    const { binaryFocal, json, x } = await import("../examples/custom-loss.js");
    const bad = thrown(() => binaryFocal({ gama: 2 } as never));
    expect(isBackpropError(bad) && bad.code).toBe("INVALID_CONFIG");
    expect((bad as Error).message).toContain('unknown config key "gama"');

    const file = JSON.parse(json);
    expect(unregisterLoss("acme>binaryFocal")).toBe(true);
    try {
      const unknown = thrown(() => modelFromJSON(file));
      expect(isBackpropError(unknown) && unknown.code).toBe("UNKNOWN_COMPONENT");
      expect((unknown as Error).message).toContain("acme>binaryFocal");
      const custom = modelFromJSON(file, { custom: { losses: { "acme>binaryFocal": (config) => binaryFocal(config) } } });
      expect(custom.loss?.config).toEqual({ gamma: 2, alpha: 0.75, eps: 1e-7 });
      const inference = modelFromJSON(file, { compile: false });
      expect(inference.loss).toBeUndefined();
      expect(Array.from(inference.predict(x).data)).toEqual(Array.from(custom.predict(x).data));
    } finally {
      registerLoss("acme>binaryFocal", (config) => binaryFocal(config));
    }
  });
});

describe("a custom metric (examples/custom-metric.ts)", () => {
  it("is a per-sample mean: top-k on known scores, top-1 is sparse categorical accuracy", async () => {
    const { model, topKAccuracy, x, y } = await import("../examples/custom-metric.js");
    const scores = Matrix.fromArray([[0.1, 0.5, 0.4], [0.6, 0.3, 0.1], [0.2, 0.2, 0.6]]);
    const classes = Matrix.fromArray([[2], [2], [0]]);
    // row 0: class 2 is second (hit for k = 2); row 1: third (miss); row 2: tied second (hit)
    expect(topKAccuracy({ k: 1 }).compute(scores, classes)).toBe(0);
    expect(topKAccuracy({ k: 2 }).compute(scores, classes)).toBeCloseTo(2 / 3, 15);
    expect(topKAccuracy({ k: 3 }).compute(scores, classes)).toBe(1);
    const p = model.predict(x).asMatrix();
    expect(topKAccuracy({ k: 1 }).compute(p, y)).toBe(getMetric("sparseCategoricalAccuracy").compute(p, y));
    expect(topKAccuracy({ k: 5 }).compute(p, y)).toBe(1);
    const bad = thrown(() => topKAccuracy({ k: 1.5 }));
    expect(isBackpropError(bad) && bad.code).toBe("INVALID_CONFIG");
  });

  it("is logged under its name while training, and a loaded model evaluates the same", async () => {
    const { history, model, restored, x, y } = await import("../examples/custom-metric.js");
    const top1 = history.history["accuracy"] as number[];
    const top2 = history.history["acme>topKAccuracy"] as number[];
    expect(top2).toHaveLength(50);
    top2.forEach((v, i) => expect(v).toBeGreaterThanOrEqual(top1[i] as number));
    expect(top1.at(-1)).toBeGreaterThan(0.7);
    expect(top2.at(-1)).toBeGreaterThan(0.9);
    expect(restored.metrics.map((m) => [m.name, m.config])).toEqual([["accuracy", {}], ["acme>topKAccuracy", { k: 2 }]]);
    const scores = model.evaluate(x, y);
    expect(restored.evaluate(x, y)).toEqual(scores);
    // batches are weighted by their size, so the batch size does not change the value
    expect(model.evaluate(x, y, { batchSize: 7 })["acme>topKAccuracy"]).toBeCloseTo(scores["acme>topKAccuracy"] as number, 12);
  });
});
