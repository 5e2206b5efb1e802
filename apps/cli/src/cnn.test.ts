import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { expectCleanFailure, fileIn, jsonLines, runIn } from "./cli-runner.test-util.js";

const dir = mkdtempSync(join(tmpdir(), "backprop-cnn-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const run = (args: string[]) => runIn(dir, args);

interface Inspected {
  config: { inputShape: number[]; layers: { className: string; config: Record<string, unknown> }[] };
}

describe("image data and convolutional networks from the CLI", () => {
  it("lists the image shape of the image datasets", () => {
    const r = run(["datasets", "--json"]);
    expect(r.status, r.stderr).toBe(0);
    const list = JSON.parse(r.stdout) as { name: string; imageShape?: number[] }[];
    expect(list.find((d) => d.name === "digits")?.imageShape).toEqual([8, 8, 1]);
    expect(list.find((d) => d.name === "mnist")?.imageShape).toEqual([28, 28, 1]);
    expect(list.find((d) => d.name === "iris")?.imageShape).toBeUndefined();
  });

  it("--model cnn trains a LeNet-style network on digits' 8×8×1 images", () => {
    const r = run(["train", "digits", "--model", "cnn", "--epochs", "6", "--batch-size", "32", "--lr", "0.003", "--json", "--save", "digits-cnn.json"]);
    expect(r.status, r.stderr).toBe(0);
    const end = jsonLines(r.stdout).at(-1) as { validation: { accuracy: number } };
    expect(end.validation.accuracy).toBeGreaterThan(0.9);
    const i = JSON.parse(run(["inspect", "digits-cnn.json", "--json"]).stdout) as Inspected;
    expect(i.config.inputShape).toEqual([8, 8, 1]);
    expect(i.config.layers.map((l) => l.className)).toEqual(["normalization", "conv2d", "maxPooling2d", "conv2d", "maxPooling2d", "flatten", "dropout", "dense"]);
    // The summary shows each layer's output shape, as Keras' summary() does.
    const text = run(["inspect", "digits-cnn.json"]).stdout;
    expect(text).toMatch(/\[null, 8, 8, 16\]/);
    expect(text).toMatch(/\[null, 2, 2, 32\]/);
    expect(text).toMatch(/\[null, 128\]/);
    // predict reads the same CSV-style rows of 64 pixels.
    const e = run(["evaluate", "digits-cnn.json", "digits"]);
    expect(e.status, e.stderr).toBe(0);
    expect(e.stdout).toMatch(/accuracy\s+9\d\.\d+%/);
  });

  it("a --config model spec describes any layer stack", () => {
    const spec = fileIn(
      dir,
      "conv-spec.json",
      JSON.stringify({
        epochs: 2,
        layers: [
          { className: "conv2d", config: { filters: 4, kernelSize: 3, activation: "relu" } },
          { className: "globalAveragePooling2d", config: {} },
          { className: "dense", config: { units: 10, activation: "softmax" } },
        ],
      }),
    );
    const r = run(["train", "digits", "--config", spec, "--json", "--save", "spec-cnn.json"]);
    expect(r.status, r.stderr).toBe(0);
    const i = JSON.parse(run(["inspect", "spec-cnn.json", "--json"]).stdout) as Inspected;
    expect(i.config.layers.map((l) => l.className)).toEqual(["normalization", "conv2d", "globalAveragePooling2d", "dense"]);
  });

  it("refuses what cannot work, in one line", () => {
    expectCleanFailure(run(["train", "iris", "--model", "cnn"]), /--model cnn: iris is not image data/);
    const wrongOutput = fileIn(dir, "wrong-out.json", JSON.stringify({ layers: [{ className: "flatten", config: {} }, { className: "dense", config: { units: 3 } }] }));
    expectCleanFailure(run(["train", "digits", "--config", wrongOutput, "--epochs", "1"]), /the last layer gives \[3\] per sample \(expected \[10\]/);
    const unknown = fileIn(dir, "unknown-layer.json", JSON.stringify({ layers: [{ className: "conv3d", config: {} }] }));
    expectCleanFailure(run(["train", "digits", "--config", unknown, "--epochs", "1"]), /layers\[0\]: .*unknown layer "conv3d"/);
    const malformed = fileIn(dir, "malformed.json", JSON.stringify({ layers: [{ className: "dense", config: { units: 10 } }, 5] }));
    expectCleanFailure(run(["train", "digits", "--config", malformed]), /malformed\.json: layers\[1\] must be \{ "className"/);
  });
});
