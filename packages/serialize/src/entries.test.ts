import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import * as codec from "./codec.js";
import * as main from "./index.js";
import * as node from "./node.js";
import * as onnx from "./onnx.js";
import * as tfjs from "./tfjs.js";

/*
 * The package's entries (issue 16): what each one's module graph holds decides what tsup puts in
 * its chunks, and so what a bundle of `import { modelToJSON } from "@backprop/serialize"` carries.
 */

const SRC = new URL("./", import.meta.url);

/** The modules `file` loads at run time, following relative imports (type-only ones are erased). */
function closure(file: string): Set<string> {
  const seen = new Set<string>();
  const queue = [file];
  for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
    if (seen.has(name)) continue;
    seen.add(name);
    const source = readFileSync(new URL(name, SRC), "utf8");
    for (const m of source.matchAll(/^(?:import|export)\s+(type\s+)?(?:[^;]*?\s+from\s+)?"\.\/([\w.-]+)\.js";/gm)) {
      if (m[1] === undefined) queue.push(`${m[2]}.ts`);
    }
  }
  return seen;
}

describe("the entries of @backprop/serialize", () => {
  it("the main entry's modules hold no ONNX, TF.js or all-format code", () => {
    const modules = [...closure("index.ts")];
    expect(modules.filter((m) => /onnx|protobuf|tfjs|^formats\.ts$|^codec\.ts$|^node\.ts$/.test(m))).toEqual([]);
    expect(modules).toContain("model-file.ts");
    expect(modules).toContain("model-safetensors.ts");
  });

  it("the codec and node entries hold every format", () => {
    for (const entry of ["codec.ts", "node.ts"]) {
      const modules = closure(entry);
      for (const m of ["onnx-export.ts", "onnx-import.ts", "protobuf-wire.ts", "tfjs.ts", "model-safetensors.ts", "model-file.ts"]) expect(modules, entry).toContain(m);
    }
  });

  it("the ONNX entry holds no TF.js code, the TF.js entry no ONNX code", () => {
    expect([...closure("onnx.ts")].filter((m) => /tfjs|^formats\.ts$/.test(m))).toEqual([]);
    expect([...closure("tfjs.ts")].filter((m) => /onnx|protobuf|^formats\.ts$/.test(m))).toEqual([]);
  });

  it("every public name is exported by one entry only (so @backprop/all can re-export them all)", () => {
    const entries = { main, onnx, tfjs, codec, node } as Record<string, Record<string, unknown>>;
    const owners = new Map<string, string[]>();
    for (const [entry, mod] of Object.entries(entries)) for (const key of Object.keys(mod)) owners.set(key, [...(owners.get(key) ?? []), entry]);
    expect([...owners].filter(([, list]) => list.length > 1)).toEqual([]);
    expect(Object.keys(onnx).sort()).toEqual(["ONNX_ACTIVATIONS", "ONNX_IMPORT_OPS", "ONNX_OPSET", "modelFromOnnx", "modelToOnnx", "readOnnxMetadata"]);
    expect(Object.keys(codec).sort()).toEqual(["decodeModel", "encodeModel", "encodeModelBlobs"]);
  });

  it("package.json maps each entry to its build, and depends on no protobuf library", () => {
    const manifest = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
      exports: Record<string, unknown>;
      dependencies: Record<string, string>;
    };
    expect(Object.keys(manifest.exports)).toEqual([".", "./onnx", "./tfjs", "./codec", "./node", "./package.json"]);
    for (const name of ["onnx", "tfjs", "codec", "node"]) expect(manifest.exports[`./${name}`]).toEqual({ types: `./dist/${name}.d.ts`, default: `./dist/${name}.js` });
    expect(Object.keys(manifest.dependencies).filter((d) => !d.startsWith("@backprop/"))).toEqual(["valibot"]);
  });
});
