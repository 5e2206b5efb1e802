import { isBackpropError } from "@backprop/linalg";
import { defineOptimizer } from "@backprop/optimizers";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { decodeModel, encodeModel } from "./codec.js";
import { detectFormat, FORMATS, formatForExtension, type ModelFormat } from "./format-info.js";
import { loadModel, saveModel } from "./node.js";
import { classifier, normalizedClassifier, rawData, twoClassData } from "./test-models.test-util.js";

describe("the format table (one entry per file format)", () => {
  it("lists json, safetensors, onnx and tfjs, each with an extension of its own", () => {
    expect(FORMATS.map((f) => f.name)).toEqual(["json", "safetensors", "onnx", "tfjs"]);
    const extensions = FORMATS.flatMap((f) => [...f.extensions]);
    expect(new Set(extensions).size).toBe(extensions.length);
    for (const f of FORMATS) for (const ext of f.extensions) expect(formatForExtension(ext.toUpperCase())).toBe(f.name);
    expect(formatForExtension(".txt")).toBeUndefined();
  });

  for (const f of FORMATS) {
    it(`${f.name}: encode → detect (by name, and by content alone) → decode gives the model back`, async () => {
      const model = normalizedClassifier();
      const x = rawData(10);
      const { files } = encodeModel(model, { format: f.name, metadata: { k: 1 } });
      expect(detectFormat(files)).toBe(f.name);
      const main = Object.keys(files).find((n) => n.endsWith(f.mainFile)) as string;
      // Content alone: the main file under a name that says nothing.
      expect(detectFormat({ blob: files[main]! })).toBe(f.name);
      const decoded = decodeModel(files);
      expect(decoded.format).toBe(f.name);
      expect(decoded.metadata).toEqual({ k: 1 });
      const ours = Array.from(model.predict(x).data);
      const back = Array.from(decoded.model.predict(x).data);
      expect(Math.max(...back.map((v, i) => Math.abs(v - ours[i]!)))).toBeLessThan(1e-6);
      // saveModel picks the format from the path's extension, loadModel finds it again.
      const dir = await mkdtemp(join(tmpdir(), "bp-formats-"));
      const path = join(dir, `m${f.extensions[0]}`);
      const written = await saveModel(model, path);
      expect(written.length).toBe(Object.keys(files).length);
      expect((await loadModel(path)).format).toBe(f.name);
    });
  }

  it("an unknown format is refused, naming every format of the table", () => {
    for (const call of [() => encodeModel(classifier().build(), { format: "pickle" as ModelFormat }), () => decodeModel({ "m.json": new Uint8Array([0x7b, 0x7d]) }, "pickle" as ModelFormat)]) {
      try {
        call();
        throw new Error("accepted");
      } catch (error) {
        expect(isBackpropError(error) && error.code).toBe("INVALID_FILE");
        expect((error as Error).message).toContain('(got "pickle", expected json, safetensors, onnx or tfjs)');
      }
    }
  });
});

describe("{ compile: false } through every loader of native files", () => {
  const unknown = defineOptimizer({
    name: "acme>nowhere",
    defaults: { lr: 0.1 },
    update({ value, grad, lr }) {
      for (let i = 0; i < value.length; i++) value[i] = value[i]! - lr * grad[i]!;
    },
  });
  const model = () => {
    const { x, y } = twoClassData();
    const m = classifier();
    m.compile({ loss: "categoricalCrossentropy", optimizer: unknown({ lr: 0.1 }) });
    m.fit(x, y, { epochs: 1, batchSize: 10 });
    return { m, x };
  };

  it("decodeModel (JSON and safetensors) and loadModel load and predict without the optimizer registered", async () => {
    const { m, x } = model();
    const expected = Array.from(m.predict(x).data);
    for (const format of ["json", "safetensors"] as const) {
      const { files } = encodeModel(m, { format });
      const error = (() => {
        try {
          decodeModel(files);
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(isBackpropError(error) && error.code).toBe("UNKNOWN_COMPONENT");
      expect(Array.from(decodeModel(files, undefined, { compile: false }).model.predict(x).data)).toEqual(expected);
    }
    const dir = await mkdtemp(join(tmpdir(), "bp-compile-"));
    await saveModel(m, join(dir, "m.safetensors"));
    expect(Array.from((await loadModel(join(dir, "m.safetensors"), { compile: false })).model.predict(x).data)).toEqual(expected);
  });
});
