import { mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isBackpropError } from "@backprop/linalg";
import { describe, expect, it } from "vitest";
import { decodeModel, encodeModel, encodeModelBlobs } from "./codec.js";
import { loadModel, saveModel } from "./node.js";
import { classifier, twoClassData, weightsOf } from "./test-models.test-util.js";

describe("saveModel / loadModel (Node)", () => {
  for (const [format, file] of [["json", "m.json"], ["safetensors", "m.safetensors"], ["onnx", "m.onnx"], ["tfjs", "tfjs-dir"]] as const) {
    it(`${format}: saves atomically (no temp files left), loads back with metadata, predicts the same`, async () => {
      const dir = await mkdtemp(join(tmpdir(), "bp-serialize-"));
      const { x, y } = twoClassData();
      const model = classifier();
      model.fit(x, y, { epochs: 1, batchSize: 10 });
      const path = join(dir, file);
      const written = await saveModel(model, path, { format, metadata: { columns: ["a", "b", "c"] } });
      expect(written.length).toBe(format === "tfjs" ? 2 : 1);
      const all = [...(await readdir(dir)), ...(format === "tfjs" ? await readdir(path) : [])];
      expect(all.some((n) => n.endsWith(".tmp"))).toBe(false);
      const loaded = await loadModel(path);
      expect(loaded.format).toBe(format);
      expect(loaded.metadata).toEqual({ columns: ["a", "b", "c"] });
      const ours = Array.from(model.predict(x).data);
      const theirs = Array.from(loaded.model.predict(x).data);
      if (format === "json" || format === "safetensors") {
        expect(theirs).toEqual(ours);
        expect(weightsOf(loaded.model)).toEqual(weightsOf(model));
        expect(loaded.model.epoch).toBe(1);
      } else {
        expect(Math.max(...theirs.map((v, i) => Math.abs(v - ours[i]!)))).toBeLessThan(1e-6);
      }
    });
  }

  it("names the file in errors and detects the format from content", async () => {
    const dir = await mkdtemp(join(tmpdir(), "bp-serialize-"));
    const bad = join(dir, "bad.json");
    await writeFile(bad, '{"format":"backprop-model","formatVersion":1,"model":{}}');
    const error = await loadModel(bad).catch((e: unknown) => e);
    expect(isBackpropError(error) && error.code).toBe("INVALID_FILE");
    expect((error as Error).message).toContain(`${bad}: model.`);
    const noExt = join(dir, "weights");
    await writeFile(noExt, encodeModel(classifier().build(), { format: "safetensors" }).files["model.safetensors"]!);
    expect((await loadModel(noExt)).format).toBe("safetensors");
    expect(isBackpropError(await loadModel(join(dir, "missing.json")).catch((e: unknown) => e))).toBe(true);
  });
});

describe("browser path (bytes and Blobs, no file system)", () => {
  it("encodeModel → decodeModel round-trips every format; encodeModelBlobs gives Blobs", async () => {
    const model = classifier().build();
    for (const format of ["json", "safetensors", "onnx", "tfjs"] as const) {
      const { files } = encodeModel(model, { format });
      expect(decodeModel(files).format).toBe(format);
    }
    const blobs = encodeModelBlobs(model, { format: "safetensors" });
    const blob = blobs["model.safetensors"]!;
    expect(blob).toBeInstanceOf(Blob);
    const back = decodeModel({ "model.safetensors": new Uint8Array(await blob.arrayBuffer()) });
    expect(weightsOf(back.model)).toEqual(weightsOf(model));
    expect(await readFile(new URL("../package.json", import.meta.url), "utf8")).toContain('"./node"');
  });
});
