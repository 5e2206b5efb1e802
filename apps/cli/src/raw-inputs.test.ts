import "@tensorflow/tfjs-backend-cpu";
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import * as ort from "onnxruntime-node";
import { afterAll, describe, expect, it } from "vitest";
import { runIn } from "./cli-runner.test-util.js";

// The model owns its input scaling (a Normalization layer), so a model converted to ONNX or
// TF.js answers raw CSV values exactly as `backprop predict` does: checked here with the real
// engines, onnxruntime and TensorFlow.js. Models saved before that change kept the scaling in the
// CLI's metadata; `predict` still honours it and `convert` moves it into the graph.

const fixtures = fileURLToPath(new URL("../fixtures/", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "backprop-raw-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = (args: string[]) => runIn(dir, args);

/** Raw iris measurements (the CSV's feature columns, unscaled). */
const probe = readFileSync(join(fixtures, "legacy-iris-probe.csv"), "utf8");
const rawRows = probe.trim().split("\n").slice(1).map((line) => line.split(",").map(Number));

/** The probabilities `backprop predict` prints, one row per input row. */
function predicted(model: string): number[][] {
  const r = run(["predict", model, join(fixtures, "legacy-iris-probe.csv")]);
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.trim().split("\n").slice(1).map((line) => line.split(",").slice(2).map(Number));
}

async function onnxruntime(path: string): Promise<number[][]> {
  const session = await ort.InferenceSession.create(readFileSync(path), { intraOpNumThreads: 1, interOpNumThreads: 1 });
  const input = new ort.Tensor("float32", Float32Array.from(rawRows.flat()), [rawRows.length, 4]);
  const out = (await session.run({ [session.inputNames[0] as string]: input }))[session.outputNames[0] as string] as ort.Tensor;
  await session.release();
  const data = Array.from(out.data as Float32Array);
  return rawRows.map((_, i) => data.slice(i * 3, i * 3 + 3));
}

async function tensorflow(folder: string): Promise<number[][]> {
  await tf.setBackend("cpu");
  const json = JSON.parse(readFileSync(join(folder, "model.json"), "utf8"));
  const weights = readFileSync(join(folder, json.weightsManifest[0].paths[0]));
  const model = await tfl.loadLayersModel(
    tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData: Uint8Array.from(weights).buffer }),
  );
  const y = model.predict(tf.tensor2d(rawRows)) as tf.Tensor;
  const out = (await y.array()) as number[][];
  y.dispose();
  return out;
}

function maxDiff(a: number[][], b: number[][]): number {
  expect(a.length).toBe(b.length);
  return Math.max(...a.flatMap((row, i) => row.map((v, j) => Math.abs(v - (b[i]?.[j] ?? Number.NaN)))));
}

describe("converted models take raw inputs and agree with predict", () => {
  it("a model trained now: ONNX (onnxruntime) and TF.js (tfjs-layers) give predict's probabilities on raw rows", async () => {
    const t = run(["train", "iris", "--layers", "8", "--epochs", "30", "--seed", "2", "--save", "iris.json", "--quiet"]);
    expect(t.status, t.stderr).toBe(0);
    expect(run(["convert", "iris.json", "iris.onnx"]).status).toBe(0);
    expect(run(["convert", "iris.json", "iris-tfjs", "--to", "tfjs"]).status).toBe(0);
    const ours = predicted("iris.json");
    // The inputs vary over a range the scaling matters for: without it, the answers would differ.
    expect(maxDiff(await onnxruntime(join(dir, "iris.onnx")), ours)).toBeLessThan(1e-5);
    expect(maxDiff(await tensorflow(join(dir, "iris-tfjs")), ours)).toBeLessThan(1e-5);
  });

  it("a model saved before the Normalization layer still predicts exactly what it did, and converts with its scaling", async () => {
    copyFileSync(join(fixtures, "legacy-iris.json"), join(dir, "legacy.json"));
    // What the CLI of that time printed for the probe rows (fixtures/legacy-iris-predictions.csv).
    const before = readFileSync(join(fixtures, "legacy-iris-predictions.csv"), "utf8");
    const now = run(["predict", "legacy.json", join(fixtures, "legacy-iris-probe.csv")]);
    // The CLI now leads with the row number and prints the shortest digits of each float32: the
    // same class and, read back as float32, the very same probabilities.
    const oldRows = before.trim().split("\n").slice(1).map((line) => line.split(","));
    const newRows = now.stdout.trim().split("\n").slice(1).map((line) => line.split(","));
    expect(newRows.map((r) => r.slice(0, 2))).toEqual(oldRows.map((r, i) => [String(i + 1), r[0]]));
    expect(newRows.map((r) => r.slice(2).map((v) => Math.fround(Number(v))))).toEqual(oldRows.map((r) => r.slice(1).map(Number)));
    expect(run(["convert", "legacy.json", "legacy.onnx"]).status).toBe(0);
    expect(run(["convert", "legacy.json", "legacy-tfjs", "--to", "tfjs"]).status).toBe(0);
    const ours = predicted("legacy.json");
    expect(maxDiff(await onnxruntime(join(dir, "legacy.onnx")), ours)).toBeLessThan(1e-5);
    expect(maxDiff(await tensorflow(join(dir, "legacy-tfjs")), ours)).toBeLessThan(1e-5);
    // The converted file carries the scaling in the graph, not in metadata any more.
    const inspected = JSON.parse(run(["inspect", "legacy.onnx", "--json"]).stdout) as { config: { layers: { className: string }[] }; metadata: { backpropCli?: { normalizer?: unknown } } };
    expect(inspected.config.layers[0]?.className).toBe("normalization");
    expect(inspected.metadata.backpropCli?.normalizer).toBeUndefined();
  });
});
