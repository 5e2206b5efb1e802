import { isBackpropError } from "@backprop/linalg";
import { mkdtemp, readFile, truncate, writeFile } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { decodeModel, encodeModel } from "./codec.js";
import { MAX_BINARY_BYTES } from "./format-info.js";
import { modelFromSafetensors, modelToSafetensors } from "./model-safetensors.js";
import { loadModel, saveModel } from "./node.js";
import { checkJsonValue, MAX_JSON_BYTES } from "./safe-json.js";
import { decodeSafetensors } from "./safetensors.js";
import { classifier, twoClassData, weightsOf } from "./test-models.test-util.js";

async function rejection(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { code?: string };
  }
  throw new Error("expected a rejection");
}

describe("large model files", () => {
  it("loadModel refuses a file larger than its format's loader reads, from its size alone (sparse files: nothing is read)", async () => {
    const dir = await mkdtemp(join(tmpdir(), "bp-large-"));
    const json = join(dir, "huge.json");
    await writeFile(json, '{"format":"backprop-model","formatVersion":2,"model":');
    await truncate(json, MAX_JSON_BYTES + 1);
    const a = await rejection(loadModel(json));
    expect(isBackpropError(a) && a.code).toBe("INVALID_FILE");
    expect(a.message).toBe(
      `${json}: a json model file of ${MAX_JSON_BYTES + 1} bytes (256 MiB) is larger than this loader reads (got ${MAX_JSON_BYTES + 1} bytes, expected at most ${MAX_JSON_BYTES} = 256 MiB)\n` +
        "help: a JSON model file spends ~18 bytes a number: save large models as safetensors (a .safetensors path; 4 bytes a float32 weight)",
    );
    const binary = join(dir, "huge.safetensors");
    await writeFile(binary, "");
    await truncate(binary, MAX_BINARY_BYTES + 1);
    const b = await rejection(loadModel(binary));
    expect(isBackpropError(b) && b.code).toBe("INVALID_FILE");
    expect(b.message).toContain(`a safetensors model file of ${MAX_BINARY_BYTES + 1} bytes (2048 MiB) is larger than this loader reads (got ${MAX_BINARY_BYTES + 1} bytes, expected at most ${MAX_BINARY_BYTES} = 2048 MiB)`);
  });

  it("saveModel writes the JSON file in chunks, the same bytes encodeModel gives", async () => {
    const dir = await mkdtemp(join(tmpdir(), "bp-large-"));
    const { x, y } = twoClassData();
    const model = classifier();
    model.fit(x, y, { epochs: 2, batchSize: 8 });
    const path = join(dir, "m.json");
    await saveModel(model, path, { metadata: { note: "é" } });
    const bytes = new Uint8Array(await readFile(path));
    expect(bytes).toEqual(encodeModel(model, { metadata: { note: "é" } }).files["model.json"]);
    const loaded = await loadModel(path);
    expect(weightsOf(loaded.model)).toEqual(weightsOf(model));
    expect(loaded.model.optimizer?.stateDict()).toEqual(model.optimizer?.stateDict());
  });

  it("safetensors keeps optimizer slots as F64 tensors, so the JSON header stays small however large the model", () => {
    const { x, y } = twoClassData();
    const model = classifier();
    model.fit(x, y, { epochs: 2, batchSize: 8 });
    const bytes = modelToSafetensors(model);
    const { tensors, metadata } = decodeSafetensors(bytes);
    const slots = [...tensors.keys()].filter((k) => k.startsWith("optimizer/"));
    const trainable = model.params().filter((p) => p.trainable).map((p) => p.name);
    expect(slots.sort()).toEqual(trainable.flatMap((n) => [`optimizer/${n}/expAvg`, `optimizer/${n}/expAvgSq`]).sort());
    for (const k of slots) expect(tensors.get(k)!.dtype).toBe("F64");
    const rest = JSON.parse(metadata["backprop.model"]!) as { training: { optimizerState: { slots: Record<string, Record<string, number[]>> } } };
    for (const byName of Object.values(rest.training.optimizerState.slots)) for (const values of Object.values(byName)) expect(values).toEqual([]);
    const loaded = modelFromSafetensors(bytes);
    expect(loaded.optimizer?.stateDict()).toEqual(model.optimizer?.stateDict());
  });

  it("a safetensors file written before slots were tensors (slots in the JSON) still loads with its optimizer state", () => {
    const old = readFileSync(new URL("../fixtures/safetensors/v2-classifier.safetensors", import.meta.url));
    const { tensors } = decodeSafetensors(old);
    expect([...tensors.keys()].some((k) => k.startsWith("optimizer/"))).toBe(false);
    const model = modelFromSafetensors(old);
    const state = model.optimizer?.stateDict();
    expect(Object.keys(state?.slots ?? {}).length).toBeGreaterThan(0);
    expect(modelFromSafetensors(modelToSafetensors(model)).optimizer?.stateDict()).toEqual(state);
  });

  it("a trained model's files (JSON, safetensors with slot tensors): byte mutations load or throw our error, never anything else", () => {
    const { x, y } = twoClassData();
    const model = classifier();
    model.fit(x, y, { epochs: 1, batchSize: 8 });
    for (const format of ["json", "safetensors"] as const) {
      const [name, bytes] = Object.entries(encodeModel(model, { format }).files)[0] as [string, Uint8Array];
      fc.assert(
        fc.property(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom("set", "insert", "delete"), fc.option(fc.nat(), { freq: 4 }), (at, value, kind, cut) => {
          let out = Array.from(bytes);
          const k = at % out.length;
          if (kind === "set") out[k] = value;
          else if (kind === "insert") out.splice(k, 0, value);
          else out.splice(k, 1);
          if (cut !== null) out = out.slice(0, cut % out.length);
          try {
            decodeModel({ [name]: Uint8Array.from(out) }, format);
          } catch (error) {
            if (!isBackpropError(error) || !["INVALID_FILE", "UNSUPPORTED_FORMAT_VERSION", "UNKNOWN_COMPONENT"].includes(error.code)) throw error;
          }
        }),
        { numRuns: 1500, seed: 21 },
      );
    }
  }, 120_000);

  it("checkJsonValue names the element of a long array that is not finite", () => {
    const data = Array.from({ length: 100_000 }, (_, i) => i / 7);
    data[76_543] = Number.NaN;
    try {
      checkJsonValue({ weights: [{ data }] }, { file: "m" });
      throw new Error("expected an error");
    } catch (error) {
      expect((error as Error).message).toBe("m: weights[0].data[76543]: not a finite number (got NaN)");
    }
  });
});
