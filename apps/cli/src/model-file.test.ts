import { mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync, copyFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectCleanFailure, runIn } from "./cli-runner.test-util.js";
import { measureIn } from "./model-file-measure.test-util.js";

const dir = mkdtempSync(join(tmpdir(), "backprop-model-file-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const run = (args: string[]) => runIn(dir, args);

type Doc = { metadata: { backpropCli: Record<string, unknown> } } & Record<string, unknown>;
const read = (name: string): Doc => JSON.parse(readFileSync(join(dir, name), "utf8")) as Doc;
/** A copy of good.json with its CLI metadata changed by `edit`. */
function variant(name: string, edit: (meta: Record<string, unknown>) => void): string {
  const doc = read("good.json");
  edit(doc.metadata.backpropCli);
  writeFileSync(join(dir, name), JSON.stringify(doc));
  return name;
}

beforeAll(() => {
  const r = run(["train", "xor", "--layers", "4", "--activation", "tanh", "--epochs", "200", "--lr", "0.05", "--seed", "3", "--save", "good.json"]);
  expect(r.status, r.stderr).toBe(0);
});

describe("the CLI's metadata in a model file is validated (valibot, like the rest of the file)", () => {
  const cases: [string, (m: Record<string, unknown>) => void, string][] = [
    ["classes", (m) => (m["classes"] = 3), "metadata.backpropCli.classes: expected an array of strings (got number)"],
    ["class", (m) => (m["classes"] = ["0", 1]), "metadata.backpropCli.classes[1]: expected a string (got number)"],
    ["features", (m) => (m["features"] = "a,b"), "metadata.backpropCli.features: expected an array of strings (got string)"],
    ["history", (m) => (m["history"] = [1, 2]), "metadata.backpropCli.history: expected an object of arrays of numbers (got array)"],
    ["series-values", (m) => (m["history"] = { loss: "0.5" }), "metadata.backpropCli.history.loss: expected an array of numbers (got string)"],
    ["value", (m) => ((m["history"] as Record<string, unknown[]>)["loss"]![3] = "x"), "metadata.backpropCli.history.loss[3]: expected a number or null (got string)"],
    ["task", (m) => (m["task"] = "banana"), 'metadata.backpropCli.task: expected "classification" or "regression" (got "banana")'],
    ["training", (m) => ((m["training"] as Record<string, unknown>)["batchSize"] = "32"), "metadata.backpropCli.training.batchSize: expected a number (got string)"],
    ["window", (m) => (m["series"] = { window: -1 }), "metadata.backpropCli.series.window: expected a positive integer (got -1)"],
    ["vocab", (m) => (m["text"] = { tokens: "chars", vocab: "abc", seqLength: 4, step: 1, start: "a" }), "metadata.backpropCli.text.vocab: expected an array of strings (got string)"],
  ];
  for (const [name, edit, message] of cases) {
    it(`${name}: refused with the field named, as one line`, () => {
      const file = variant(`bad-${name}.json`, edit);
      const r = run(["inspect", file]);
      expectCleanFailure(r, new RegExp(`${file}: ${message.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`));
    });
  }

  it("predict, evaluate and convert refuse it too (it is checked where every command loads a model)", () => {
    const file = variant("bad-classes.json", (m) => (m["classes"] = 3));
    const data = join(dir, "rows.csv");
    writeFileSync(data, "a,b,label\n0,1,1\n1,1,0\n");
    for (const args of [["predict", file, data], ["evaluate", file, data], ["convert", file, "out.onnx"]]) {
      expectCleanFailure(run(args), /bad-classes\.json: metadata\.backpropCli\.classes: expected an array of strings \(got number\)/);
    }
  });

  it("keys it does not know (a newer CLI's) are kept, and a diverged loss (null in JSON) reads as NaN", () => {
    const file = variant("extra.json", (m) => {
      m["encodings"] = { a: { kind: "oneHot", categories: ["x", "y"] } };
      m["futureKey"] = [1, { deep: true }];
      (m["history"] as Record<string, unknown[]>)["loss"]!.push(null);
    });
    const r = run(["inspect", file]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/history: 201 epochs; last: loss NaN/);
    const json = run(["inspect", file, "--json"]);
    expect((JSON.parse(json.stdout) as { metadata: { backpropCli: { encodings: unknown } } }).metadata.backpropCli.encodings).toEqual({ a: { kind: "oneHot", categories: ["x", "y"] } });
  });
});

describe("inspect: epochs trained", () => {
  it("a JSON file reports its training state's epochs; ONNX and TF.js copies the length of the saved history", () => {
    expect(run(["inspect", "good.json"]).stdout).toMatch(/^epochs trained\s+200$/m);
    for (const [out, format] of [["good.onnx", "onnx"], ["good.tfjs", "tfjs"]] as const) {
      const c = run(["convert", "good.json", out]);
      expect(c.status, c.stderr).toBe(0);
      const r = run(["inspect", out]);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^epochs trained\\s+200 \\(from the saved history; ${format} files keep no training state\\)$`, "m"));
      expect(r.stdout).toMatch(/history: 200 epochs/);
      expect((JSON.parse(run(["inspect", out, "--json"]).stdout) as { epochs: number }).epochs).toBe(200);
    }
  });

  it("converting a file saved before the Normalization layer keeps its epochs", () => {
    copyFileSync(new URL("../fixtures/legacy-iris.json", import.meta.url), join(dir, "legacy.json"));
    const before = /^epochs trained\s+(\d+)/m.exec(run(["inspect", "legacy.json"]).stdout)?.[1];
    expect(Number(before)).toBeGreaterThan(0);
    const c = run(["convert", "legacy.json", "legacy-v2.json"]);
    expect(c.status, c.stderr).toBe(0);
    expect(run(["inspect", "legacy-v2.json"]).stdout).toMatch(new RegExp(`^epochs trained\\s+${before}$`, "m"));
  });
});

describe("large model files", () => {
  it("a 20 MB JSON model loads within 3× its size above the CLI's own memory, and converts to every format and back within 4×", () => {
    const t = run(["train", "xor", "--layers", "600,600", "--epochs", "1", "--save", "big.json"]);
    expect(t.status, t.stderr).toBe(0);
    const size = statSync(join(dir, "big.json")).size;
    expect(size).toBeGreaterThan(19e6);
    // Node and the CLI's code, loaded: a command that fails before reading any model. Garbage is
    // collected on the main thread, so the peaks do not depend on the machine's load.
    const gc = { mainThreadGc: true };
    const baseline = measureIn(dir, ["inspect", "missing.json"], gc).peakRss;
    const load = measureIn(dir, ["inspect", "big.json"], gc);
    expect(load.status, load.stderr).toBe(0);
    expect(load.stdout).toMatch(/Total params: 363606/);
    expect(load.peakRss - baseline).toBeLessThan(3 * size);
    for (const out of ["big.safetensors", "big.onnx", "big.tfjs", "big-again.json"]) {
      const c = measureIn(dir, ["convert", "big.json", out], gc);
      expect(c.status, c.stderr).toBe(0);
      // Writing holds the model, its optimizer state as plain arrays (Optimizer.stateDict) and the new file.
      expect(c.peakRss - baseline, out).toBeLessThan(4 * size);
      const back = run(["inspect", out]);
      expect(back.status, back.stderr).toBe(0);
      expect(back.stdout).toMatch(/Total params: 363606/);
    }
    // The same bytes as the file converted from: the writer is exact.
    expect(readFileSync(join(dir, "big-again.json")).equals(readFileSync(join(dir, "big.json")))).toBe(true);
  });

  it("a JSON file over the loader's limit is refused from its size, before it is read, naming the limit", () => {
    const path = join(dir, "huge.json");
    writeFileSync(path, '{"format":"backprop-model","formatVersion":2,"model":');
    truncateSync(path, 300_000_000);
    const r = measureIn(dir, ["inspect", "huge.json"]);
    expectCleanFailure(r as never, /^backprop: huge\.json: a json model file of 300000000 bytes \(286 MiB\) is larger than this loader reads \(got 300000000 bytes, expected at most 268435456 = 256 MiB\)/);
    // Nothing was read: a 300 MB file would show in the peak memory.
    expect(r.peakRss).toBeLessThan(200e6);
  });
});
