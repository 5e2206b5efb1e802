// The troubleshooting page (src/guide/troubleshooting.md): every sample shows the symptom and the
// fix it describes, and the page quotes the numbers the samples compute.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DOCS, SRC } from "./site.js";
import { quietSamples } from "./samples.js";

const page = readFileSync(join(SRC, "guide/troubleshooting.md"), "utf8");
const prose = page.replace(/\s*\n\s*/g, " ");
const onPage = (text: string): void => {
  expect(prose, `expected the page to say "${text}"`).toContain(text);
};
const percent = (v: number | undefined): string => `${(100 * (v ?? Number.NaN)).toFixed(1)} %`;

quietSamples();

describe("troubleshooting: the loss is NaN or Infinity", () => {
  it("a learning rate too large diverges; clipping, a tiny rate and normalisation compare as the table says", async () => {
    const t = await import("../examples/troubleshooting-nan.js");
    expect(t.diverged.code).toBe("NON_FINITE");
    expect(t.diverged.message).toBe("sequential.fit (epoch 1, batch 1): the loss is Infinity at step 12\nhelp: lower the learning rate, normalise the inputs, or clip gradients (clipNorm)");
    onPage("the loss reaches Infinity at step 12, in the second epoch (epoch 1, batch 1, counting from 0)");
    // SGD on the MSE of w·x + b overshoots above lr = 2 / (largest curvature) ≈ 1 / mean(x²)
    const meanSquare = Array.from(t.x.data).reduce((s, v) => s + v * v, 0) / t.x.rows;
    const limit = Number((1 / meanSquare).toPrecision(2));
    expect(limit).toBe(2.5e-5);
    onPage("that limit is about 2.5e-5, and 0.01 is hundreds of times too large");
    expect(0.01 / limit).toBeGreaterThan(200);
    for (const r of [t.clipped, t.tiny, t.normalised]) expect(Number.isFinite(r.mae)).toBe(true);
    onPage(`| ${Math.round(t.clipped.mae as number)} g |`);
    onPage(`| ${Math.round(t.tiny.mae as number)} g |`);
    onPage(`| ${Math.round(t.normalised.mae as number)} g |`);
    // the ranking the page draws from them
    expect(t.normalised.mae).toBeLessThan(t.tiny.mae as number);
    expect(t.tiny.mae).toBeLessThan(t.clipped.mae as number);
  });

  it("a NaN in the data is reported with its row and column before any step", async () => {
    const t = await import("../examples/troubleshooting-nan.js");
    expect(t.gap).toEqual({ code: "NON_FINITE", message: "sequential.fit: x: row 3, column 0 is NaN (expected a finite number)" });
    onPage("names the first bad cell (row 3, column 0)");
  });

  it("a hand-written log(0) is NaN at step 0; the built-in clipped loss stays finite, and learns once normalised", async () => {
    const t = await import("../examples/troubleshooting-nan.js");
    expect(t.logZero.code).toBe("NON_FINITE");
    expect(t.logZero.message).toMatch(/^sequential\.fit \(epoch 0, batch 0\): the loss is NaN at step 0\n/);
    onPage("the loss is `NaN` at the very first step");
    expect(Number.isFinite(t.clippedLog.loss)).toBe(true);
    expect(t.fixedLog.loss).toBeLessThan(0.4);
    onPage(`the loss stays finite: ${(t.clippedLog.loss as number).toFixed(2)} after 50 epochs`);
    onPage(`normalised, ${(t.fixedLog.loss as number).toFixed(3)}`);
  });
});

describe("troubleshooting: the network does not learn", () => {
  it("each symptom and its fix, with the numbers on the page", async () => {
    const t = await import("../examples/troubleshooting-learning.js");

    expect(t.shuffled).toHaveLength(333); // the birds of known sex ("0 for all 333 penguins")
    // learning rate
    const loss = (r: typeof t.slow, at: number) => (r.history.history["loss"]?.at(at) as number).toFixed(3);
    onPage(`the loss has gone from ${loss(t.slow, 0)} to ${loss(t.slow, -1)} and the validation accuracy is ${percent(t.slow.valAccuracy)}`);
    onPage(`the loss falls from ${loss(t.good, 0)} to ${loss(t.good, -1)} and the accuracy reaches ${percent(t.good.valAccuracy)}`);
    expect(t.good.valAccuracy - t.slow.valAccuracy).toBeGreaterThan(0.25);

    // dead ReLUs: all 16 dead, a constant answer near ln 2, a coin toss; leakyRelu learns
    expect(t.dead).toBe(16);
    expect(Math.abs(t.dying.loss - Math.LN2)).toBeLessThan(0.01);
    expect(t.dying.valAccuracy).toBeLessThan(0.55);
    expect(t.leaky.valAccuracy).toBeGreaterThan(0.8);
    onPage(`kills ${t.dead} of the 16 units`);
    onPage(`the loss sits at ${t.dying.loss.toFixed(4)}`);
    onPage(`the validation accuracy is ${percent(t.dying.valAccuracy)}`);
    onPage(`reaches ${percent(t.leaky.valAccuracy)} at the same rate`);

    // a softmax over one unit: the loss never moves, the accuracy is the share of males
    const losses = t.oneSoftmax.history.history["loss"] ?? [];
    expect(Math.max(...losses) - Math.min(...losses)).toBeLessThan(1e-9);
    // fit validates on the last 20 % of the rows (Math.floor(n · 0.8) train), as the page says
    const nTrain = Math.floor(t.shuffled.length * 0.8);
    const heldOut = t.shuffled.slice(nTrain);
    expect(t.oneSoftmax.valAccuracy).toBeCloseTo(heldOut.filter((r) => r["Sex"] === "MALE").length / heldOut.length, 12);
    onPage(`the loss is ${(losses[0] as number).toFixed(3)} in the first epoch and in the last, and the accuracy (${percent(t.oneSoftmax.valAccuracy)})`);

    // sigmoid + MSE against sigmoid + cross-entropy
    expect(t.withBce.valAccuracy - t.withMse.valAccuracy).toBeGreaterThan(0.1);
    onPage(`reaches ${percent(t.withMse.valAccuracy)} with the mean squared error and ${percent(t.withBce.valAccuracy)} with binary cross-entropy`);

    // rows sorted by the target
    expect(t.onlyMales).toBe(true);
    expect(t.sorted.slice(0, nTrain).filter((r) => r["Species"] === "Gentoo" && r["Sex"] === "MALE")).toHaveLength(0);
    expect(t.unshuffled.valAccuracy).toBeLessThan(0.2);
    expect(t.reshuffled.valAccuracy).toBeGreaterThan(0.9);
    onPage(`It scores ${percent(t.unshuffled.accuracy)} on the rows it trains on and ${percent(t.unshuffled.valAccuracy)} on the validation rows`);
    onPage(`before the split, gives ${percent(t.reshuffled.valAccuracy)}`);

    // capacity
    expect(t.wide.valAccuracy).toBe(1);
    expect(t.narrow.valAccuracy).toBeLessThan(0.9);
    onPage(`Two units cannot enclose the inner ring: ${percent(t.narrow.valAccuracy)} of the validation points. Sixteen units: 100 %`);
  });
});

describe("troubleshooting: an activation that is linear near zero", () => {
  it("f(x) = x and tanh with tiny weights stay at ln 2 on XOR; glorot and Adam solve it", async () => {
    const t = await import("../examples/troubleshooting-linear.js");
    expect(Math.abs(t.linear.loss - Math.LN2)).toBeLessThan(1e-6);
    for (const p of t.linear.predictions) expect(Math.abs(p - 0.5)).toBeLessThan(1e-6);
    expect(Math.abs(t.flat.loss - Math.LN2)).toBeLessThan(1e-6);
    expect(t.deviation).toBeLessThan(1e-4);
    onPage("every hidden unit works within 0.01 % of `tanh z = z`");
    onPage(`the loss is still ${t.flat.loss.toFixed(4)}`);
    expect(t.glorot.predictions.map((p) => Math.round(p))).toEqual([0, 1, 1, 0]);
    onPage(`reaches a loss of ${t.glorot.loss.toFixed(4)}`);
    onPage(`escapes the flat start (${t.rescaled.loss.toFixed(4)})`);
  });
});

describe("troubleshooting: questions", () => {
  it("the same seed gives the same bits, another seed another model; float64 agrees with float32", async () => {
    const t = await import("../examples/troubleshooting-determinism.js");
    expect(t.sameBits(t.first.weights, t.again.weights)).toBe(true);
    expect(t.sameBits(t.first.weights, t.other.weights)).toBe(false);
    expect([t.bytes(t.first), t.bytes(t.double)]).toEqual([132, 264]);
    onPage("half the memory (132 bytes of weights here, against 264)");
    expect(t.largestGap).toBeLessThan(1e-5);
    onPage(`by at most ${t.largestGap.toPrecision(2)} here`);
    expect(t.accuracies[0]).toBe(t.accuracies[1]);
    onPage(`its validation accuracy is the same, ${percent(t.accuracies[0])}`);
  });

  it("speed: wasm kernels, fewer steps with larger batches, fast paths that give the same bits", async () => {
    const t = await import("../examples/troubleshooting-speed.js");
    const { getBackend, isWasmSimdSupported } = await import("@backprop/linalg");
    expect(getBackend().name).toBe(isWasmSimdSupported() ? "wasm" : "typescript");
    expect([t.perSample.steps, t.perBatch.steps]).toEqual([4096, 16]);
    onPage("take 4096 steps with `batchSize: 1` and 16 with `batchSize: 256`");
    // "several times sooner": a margin wide enough for a busy machine
    expect(t.perSample.seconds).toBeGreaterThan(2 * t.perBatch.seconds);
    expect(t.fast).toEqual(t.portable);
    expect(t.fused).toEqual(t.layerByLayer);
  });

  it("require() loads every entry point of every package, as the page's command does", async () => {
    const t = await import("../examples/troubleshooting-require.js");
    expect(t.output).toBe(11.5);
    const require = createRequire(join(DOCS, "package.json"));
    for (const entry of ["linalg", "linalg/threads", "activations", "optimizers", "layers", "serialize", "serialize/node", "serialize/onnx", "serialize/codec", "all"]) {
      expect(Object.keys(require(`@backprop/${entry}`) as object).length, entry).toBeGreaterThan(0);
    }
    const command = /^node -p '(.*)'$/m.exec(page)?.[1] as string;
    expect(command).toContain("require(");
    expect(execFileSync(process.execPath, ["-p", command], { cwd: DOCS, encoding: "utf8" }).trim()).toBe("[ [ 1, 0 ], [ 0, 1 ] ]");
    const [major = 0, minor = 0] = process.versions.node.split(".").map(Number);
    expect(major > 20 || (major === 20 && minor >= 19)).toBe(true);
  });
});
