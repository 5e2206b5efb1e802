// The browser guide's samples: the training worker and its page (run on real threads through
// node:worker_threads), the threaded backend, and what bundlers make of the imports: esbuild for
// the sizes and the contents, Vite (the one VitePress brings) for the workers.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { DOCS } from "./site.js";
import { quietSamples } from "./samples.js";

const require = createRequire(import.meta.url);

/** The part of esbuild's API these tests use. */
interface Esbuild {
  build(options: Record<string, unknown>): Promise<{
    outputFiles?: { path: string; contents: Uint8Array; text: string }[];
    metafile: { inputs: Record<string, { bytes: number }> };
  }>;
}
// NOTE: esbuild comes with tsx (a devDependency of the docs), and Vite with VitePress: the tests
// use those copies rather than adding bundlers of their own.
const esbuild = createRequire(require.resolve("tsx/package.json"))("esbuild") as Esbuild;
interface Vite {
  build(config: Record<string, unknown>): Promise<unknown>;
}
async function loadVite(): Promise<Vite> {
  const pkg = createRequire(require.resolve("vitepress")).resolve("vite/package.json");
  return (await import(pathToFileURL(join(dirname(pkg), "dist/node/index.js")).href)) as Vite;
}

const scratch = mkdtempSync(join(tmpdir(), "docs-browser-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Every file under a folder. */
const filesIn = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesIn(join(dir, e.name)) : [join(dir, e.name)]));

quietSamples();

describe("training in a Web Worker", () => {
  it("the worker script answers a train message with every epoch's loss, then the model file", async () => {
    const sent: unknown[] = [];
    const listeners: ((event: { data: unknown }) => void)[] = [];
    const fake = { postMessage: (m: unknown) => sent.push(m), addEventListener: (_: string, f: (event: { data: unknown }) => void) => listeners.push(f) };
    (globalThis as { self?: unknown }).self = fake;
    try {
      await import("../examples/browser-worker.js");
    } finally {
      delete (globalThis as { self?: unknown }).self;
    }
    expect(listeners).toHaveLength(1);
    listeners[0]?.({ data: { type: "train", x: [[0, 0], [0, 1], [1, 0], [1, 1]], y: [[0], [1], [1], [0]], epochs: 50 } });
    const epochs = sent.filter((m) => (m as { type: string }).type === "epoch") as { epoch: number; loss: number }[];
    expect(epochs.map((m) => m.epoch)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(epochs.every((m) => Number.isFinite(m.loss))).toBe(true);
    expect((sent.at(-1) as { type: string; model: { format: string } }).model.format).toBe("backprop-model");
    listeners[0]?.({ data: { type: "train", x: [[0, 0]], y: [[0, 1, 2]], epochs: -1 } });
    expect((sent.at(-1) as { type: string }).type).toBe("error");
  });

  it("the page trains XOR in a real thread (node:worker_threads behind the adapter) and predicts with the model it gets back", async () => {
    const { NodeWebWorker } = await import("../examples/node-worker-adapter.js");
    // The worker script is TypeScript: the thread registers tsx's loader first.
    const preload = [new URL("./tsx-register.mjs", import.meta.url).href];
    const Worker = class extends NodeWebWorker {
      constructor(url: URL) {
        super(url, { preload });
      }
    };
    (globalThis as { Worker?: unknown }).Worker = Worker;
    try {
      const { file, losses, model } = await import("../examples/browser-page.js");
      expect(file.format).toBe("backprop-model");
      expect(losses).toHaveLength(300);
      expect(losses.at(-1)).toBeLessThan((losses[0] as number) / 10);
      const { Matrix } = await import("@backprop/linalg");
      const p = model.predict(Matrix.fromArray([[0, 0], [0, 1], [1, 0], [1, 1]])).data;
      expect(Array.from(p, (v) => Math.round(v))).toEqual([0, 1, 1, 0]);
    } finally {
      delete (globalThis as { Worker?: unknown }).Worker;
    }
  });
});

describe("@backprop/linalg/threads", () => {
  it("the sample trains on the threaded backend, bit for bit as on one WASM thread", async () => {
    const { model, threads, usedBackend, x, y } = await import("../examples/browser-threads.js");
    expect(usedBackend).toBe("wasm-threads");
    expect(threads).toBeGreaterThanOrEqual(2);
    const { Dense, Sequential } = await import("@backprop/layers");
    const { createWasmBackend, setBackend } = await import("@backprop/linalg");
    // The same model and step on the one-thread backend (both use relaxed SIMD where available).
    const again = new Sequential([new Dense({ units: 64, inputDim: 784, activation: "relu" }), new Dense({ units: 10, activation: "softmax" })], { seed: 3, dtype: "float32" });
    again.compile({ loss: "categoricalCrossentropy", optimizer: "sgd" });
    const previous = setBackend(createWasmBackend());
    try {
      again.fit(x, y, { epochs: 1, batchSize: 64 });
    } finally {
      setBackend(previous);
    }
    const a = model.params().map((p) => Array.from(p.value.data));
    const b = again.params().map((p) => Array.from(p.value.data));
    expect(a).toEqual(b);
  });
});

describe("bundling for the browser", () => {
  it("esbuild: the page sample bundles without Node built-ins, threads or ONNX, within budget, and runs", async () => {
    const result = await esbuild.build({
      entryPoints: [join(DOCS, "examples/browser-bundle.ts")],
      absWorkingDir: DOCS,
      bundle: true,
      format: "esm",
      platform: "browser",
      target: "es2022",
      minify: true,
      metafile: true,
      write: false,
      outfile: join(scratch, "esbuild/page.mjs"),
      logLevel: "silent",
    });
    const out = result.outputFiles?.[0];
    if (!out) throw new Error("esbuild wrote nothing");
    const inputs = Object.keys(result.metafile.inputs);
    const packages = new Set(inputs.map((f) => /packages\/([^/]+)\/dist\//.exec(f)?.[1] ?? /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/.exec(f)?.[1] ?? "(app)"));
    expect([...packages].sort()).toEqual(["(app)", "activations", "layers", "linalg", "optimizers", "serialize", "valibot"]);
    expect(inputs.some((f) => /onnx|protobuf/i.test(f))).toBe(false);
    // The threads entry and its shared-memory modules stay out of a bundle that does not import it.
    expect(inputs.some((f) => f.endsWith("linalg/dist/threads.js"))).toBe(false);
    expect(out.text).not.toContain("backend-wasm-worker");
    const gzip = gzipSync(out.contents, { level: 9 }).length;
    expect(gzip).toBeLessThan(130 * 1024);
    // It runs as it is (Node has every API the bundle uses).
    mkdirSync(dirname(out.path), { recursive: true });
    writeFileSync(out.path, out.contents);
    const { restored, x } = (await import(pathToFileURL(out.path).href)) as typeof import("../examples/browser-bundle.js");
    expect(Array.from(restored.predict(x).data, (v) => Math.round(v))).toEqual([0, 1]);
  });

  it("the page sample itself trains and round-trips the model through JSON", async () => {
    const { model, restored, x } = await import("../examples/browser-bundle.js");
    expect(Array.from(restored.predict(x).data)).toEqual(Array.from(model.predict(x).data));
  });

  it("esbuild: the threads sample works with worker_threads external and the helper script copied beside it", async () => {
    const dir = join(scratch, "esbuild-threads");
    await esbuild.build({
      entryPoints: [join(DOCS, "examples/browser-threads.ts")],
      absWorkingDir: DOCS,
      bundle: true,
      format: "esm",
      platform: "browser",
      target: "es2022",
      external: ["worker_threads"],
      outfile: join(dir, "threads.mjs"),
      logLevel: "silent",
    });
    // esbuild leaves `new URL("./backend-wasm-worker.js", import.meta.url)` as it is: the file goes next to the bundle.
    expect(readFileSync(join(dir, "threads.mjs"), "utf8")).toContain('new URL("./backend-wasm-worker.js", import.meta.url)');
    copyFileSync(require.resolve("@backprop/linalg/package.json").replace(/package\.json$/, "dist/backend-wasm-worker.js"), join(dir, "backend-wasm-worker.js"));
    const { usedBackend } = (await import(pathToFileURL(join(dir, "threads.mjs")).href)) as { usedBackend: string };
    expect(usedBackend).toBe("wasm-threads");
  });

  it("Vite (with the guide's config) bundles the page's worker and the threads backend's helper thread", async () => {
    const { default: config } = await import("../examples/browser-vite-config.js");
    const vite = await loadVite();
    const outDir = join(scratch, "vite");
    await vite.build({
      ...config,
      root: DOCS,
      configFile: false,
      logLevel: "silent",
      build: {
        outDir,
        emptyOutDir: true,
        target: "es2022",
        rollupOptions: { input: { page: join(DOCS, "examples/browser-page.ts"), threads: join(DOCS, "examples/browser-threads.ts") } },
      },
    });
    const files = filesIn(outDir).map((f) => ({ name: f.slice(outDir.length + 1), text: readFileSync(f, "utf8") }));
    const page = files.find((f) => /^assets\/page-.*\.js$/.test(f.name));
    const worker = files.find((f) => /^assets\/browser-worker-.*\.js$/.test(f.name));
    expect(page?.text).toMatch(/new Worker\(new URL\("\/assets\/browser-worker-[\w-]+\.js",import\.meta\.url\),\{type:"module"\}\)/);
    // The worker is a module of its own that trains (the model file and the loss name are in it).
    expect(worker?.text).toContain("binaryCrossentropy");
    // The helper thread's script is either inlined (a data: URL, under Vite's 4 KiB asset limit) or emitted.
    const threads = files.find((f) => /^assets\/threads-.*\.js$/.test(f.name));
    const inlined = threads?.text.includes('new URL("data:text/javascript;base64,') === true;
    const emitted = files.some((f) => /backend-wasm-worker/.test(f.name));
    expect(inlined || emitted).toBe(true);
  });
});
