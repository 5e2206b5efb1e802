import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { irisLike, mnistLike, xor, type Dataset } from "./data.js";
import { summarize } from "./stats.js";

/*
 * `node --experimental-wasm-relaxed-simd apps/bench/dist/compare-builds.js --against=<other checkout> [--rounds=5] [--only=W1,W2]`
 *
 * Our W1–W3 workloads, run from two builds of Backprop side by side: this checkout and another one
 * (e.g. a `git worktree` of the commit before a change, installed and built). Each measurement is
 * a fresh process of its own; rounds interleave the two builds (and alternate which goes first),
 * and the medians of the rounds are compared. Both builds are driven through the same few public
 * calls (Sequential, Dense, sgd, fit/predict, useBackend), so any two versions that have them compare.
 */

type Backend = "wasm" | "typescript";
type Unit = "samples/s" | "ms" | "µs";

interface Workload {
  readonly name: string;
  readonly unit: Unit;
  /** Samples, epochs or calls per run, to turn milliseconds into the unit. */
  readonly work: number;
}

const SAMPLES = 6400;
const EPOCHS = 10000;
const WORKLOADS: readonly Workload[] = [
  { name: "W1 train 784-128-10", unit: "samples/s", work: SAMPLES },
  { name: "W2 XOR 2-4-1", unit: "ms", work: EPOCHS },
  { name: "W2 Iris 4-8-3", unit: "ms", work: EPOCHS },
  { name: "W3 infer batch 256", unit: "samples/s", work: 256 * 20 },
  { name: "W3 latency batch 1", unit: "µs", work: 2000 },
];
const BACKENDS: readonly Backend[] = ["wasm", "typescript"];

interface Api {
  readonly Sequential: new (layers: unknown[], options: object) => {
    compile(o: object): void;
    fit(x: unknown, y: unknown, o: object): unknown;
    predict(x: unknown, o?: object): unknown;
  };
  readonly Dense: new (config: object) => unknown;
  readonly sgd: (o: object) => unknown;
  readonly useBackend: (name: Backend) => unknown;
  readonly Matrix: new (rows: number, cols: number, dtype: string, data: Float32Array | Float64Array) => unknown;
}

async function loadApi(root: string): Promise<Api> {
  const dist = (pkg: string) => pathToFileURL(resolve(root, "packages", pkg, "dist", "index.js")).href;
  const layers = (await import(dist("layers"))) as Pick<Api, "Sequential" | "Dense">;
  const optimizers = (await import(dist("optimizers"))) as Pick<Api, "sgd">;
  const linalg = (await import(dist("linalg"))) as Pick<Api, "useBackend" | "Matrix">;
  return { Sequential: layers.Sequential, Dense: layers.Dense, sgd: optimizers.sgd, useBackend: linalg.useBackend, Matrix: linalg.Matrix };
}

function mlp(api: Api, sizes: readonly number[], act: string, outAct: string) {
  const layers = sizes.slice(1).map(
    (units, i) => new api.Dense({ units, activation: i === sizes.length - 2 ? outAct : act, ...(i === 0 ? { inputDim: sizes[0] } : {}) }),
  );
  return new api.Sequential(layers, { dtype: "float32", seed: 1 });
}

/** The same numbers as a matrix of the measured build (its models check `instanceof` its own Matrix). */
function theirs(api: Api, m: Dataset["x"]): unknown {
  return new api.Matrix(m.rows, m.cols, m.dtype, m.data);
}

/** The run of one workload: a closure timed by the child, after one warm-up call. */
function workloadRun(api: Api, name: string, d: Dataset): () => void {
  if (name.startsWith("W1")) {
    const model = mlp(api, [784, 128, 10], "relu", "softmax");
    model.compile({ loss: "categoricalCrossentropy", optimizer: api.sgd({ lr: 0.01 }) });
    const [x, y] = [theirs(api, d.x), theirs(api, d.y)];
    return () => model.fit(x, y, { epochs: 1, batchSize: 64, shuffle: false });
  }
  if (name.startsWith("W2")) {
    const iris = name.includes("Iris");
    const data = iris ? irisLike() : xor();
    const model = mlp(api, iris ? [4, 8, 3] : [2, 4, 1], "sigmoid", iris ? "softmax" : "sigmoid");
    model.compile({ loss: iris ? "categoricalCrossentropy" : "meanSquaredError", optimizer: api.sgd({ lr: iris ? 0.1 : 0.5 }) });
    const [x, y] = [theirs(api, data.x), theirs(api, data.y)];
    return () => model.fit(x, y, { epochs: EPOCHS, batchSize: data.x.rows, shuffle: false });
  }
  const batch = name.includes("256") ? 256 : 1;
  const iterations = batch === 1 ? 2000 : 20;
  const x = theirs(api, d.x.rowSlice(0, batch));
  const model = mlp(api, [784, 128, 10], "relu", "softmax");
  return () => {
    for (let i = 0; i < iterations; i++) model.predict(x, { batchSize: batch });
  };
}

async function child(root: string, name: string, backend: Backend): Promise<void> {
  const api = await loadApi(root);
  api.useBackend(backend);
  const run = workloadRun(api, name, mnistLike(SAMPLES));
  // Two warm-up runs, then the median of five: a tiny workload's first runs measure the JIT.
  run();
  run();
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    run();
    times.push(performance.now() - t0);
  }
  process.stdout.write(`${JSON.stringify({ ms: summarize(times).median })}\n`);
}

function toUnit(w: Workload, ms: number): number {
  if (w.unit === "samples/s") return w.work / (ms / 1000);
  if (w.unit === "µs") return (ms * 1000) / w.work;
  return ms;
}

function measureOnce(root: string, w: Workload, backend: Backend): number {
  const script = fileURLToPath(import.meta.url);
  const r = spawnSync(process.execPath, [...process.execArgv, script, `--child`, `--root=${root}`, `--workload=${w.name}`, `--backend=${backend}`], {
    encoding: "utf8",
  });
  const line = r.stdout.split("\n").find((l) => l.startsWith("{"));
  if (!line) throw new Error(`${w.name} ${backend} from ${root} failed: ${r.stderr.slice(0, 600)}`);
  return toUnit(w, (JSON.parse(line) as { ms: number }).ms);
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const value = (name: string): string | undefined => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  if (argv.includes("--child")) {
    return child(value("root") as string, value("workload") as string, value("backend") as Backend);
  }
  const against = value("against");
  if (!against || !existsSync(resolve(against, "packages", "layers", "dist", "index.js"))) {
    throw new Error("--against=<path of another checkout, installed and built> is required");
  }
  const here = resolve(fileURLToPath(new URL("../../../", import.meta.url)));
  const rounds = Number(value("rounds") ?? 5);
  const only = value("only")?.split(",");
  const builds = [
    { label: "this", root: here },
    { label: "other", root: resolve(against) },
  ];
  const lines = ["workload                    backend      unit        this median  other median  this/other (>1: this is better)"];
  for (const w of WORKLOADS.filter((x) => !only || only.some((o) => x.name.startsWith(o)))) {
    for (const backend of BACKENDS) {
      const figures: Record<string, number[]> = { this: [], other: [] };
      for (let r = 0; r < rounds; r++) {
        const order = r % 2 === 0 ? builds : [...builds].reverse();
        for (const b of order) (figures[b.label] as number[]).push(measureOnce(b.root, w, backend));
      }
      const mine = summarize(figures["this"] as number[]).median;
      const theirs = summarize(figures["other"] as number[]).median;
      const better = w.unit === "samples/s" ? mine / theirs : theirs / mine;
      const line = `${w.name.padEnd(27)} ${backend.padEnd(12)} ${w.unit.padEnd(10)} ${mine.toFixed(2).padStart(12)}  ${theirs.toFixed(2).padStart(12)}  ${better.toFixed(3)}`;
      process.stderr.write(`${line}\n`);
      lines.push(line);
    }
  }
  process.stdout.write(`${lines.join("\n")}\n`);
}

await main();
