import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { getBackend } from "@backprop/linalg";
import { irisLike, mnistLike, xor, type Dataset } from "./data.js";
import { gemmBench, type GemmRow } from "./gemm-bench.js";
import { bestOurs, jsonLines, measure, ratio, table, type Entry, type Row, type Workload } from "./harness.js";
import { brainInfer, brainTrain } from "./libs/brain.js";
import { infer, loadTfjs, trainFit, trainMinimize, trainTiny, type TfBackend } from "./libs/tfjs.js";

/*
 * `pnpm bench [--json] [--quick] [--smoke] [--only=W1,W2,W3,gemm,rss]`
 * Everything runs in this process except the peak-RSS measurements, which run each library's W1
 * in a child process of its own (`--child=<lib>`), so one library's heap does not count for another.
 */

interface Options {
  json: boolean;
  reps: number;
  samples: number;
  epochs: number;
  only: Set<string>;
  child: string | undefined;
  smoke: boolean;
}

function parseArgs(argv: readonly string[]): Options {
  const flag = (name: string): boolean => argv.includes(`--${name}`);
  const value = (name: string): string | undefined =>
    argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  const smoke = flag("smoke");
  const quick = flag("quick");
  const only = value("only");
  return {
    json: flag("json"),
    smoke,
    reps: smoke ? 1 : quick ? 3 : 5,
    samples: smoke ? 128 : quick ? 3200 : 6400,
    epochs: smoke ? 20 : quick ? 2000 : 10000,
    only: new Set((only ?? "W1,W2,W3,gemm,rss").split(",")),
    child: value("child"),
  };
}

const log = (s: string): void => {
  process.stderr.write(`${s}\n`);
};

type Ours = typeof import("./libs/backprop.js");

async function loadOurs(): Promise<Ours | undefined> {
  try {
    return await import("./libs/backprop.js");
  } catch (e) {
    log(`note: @backprop/layers is not usable yet (${(e as Error).message.split("\n")[0]}); our model rows are skipped`);
    return undefined;
  }
}

const BATCH = 64;
const TF_BACKENDS: readonly TfBackend[] = ["wasm", "cpu"];

async function w1(o: Options, ours: Ours | undefined, d: Dataset): Promise<Workload> {
  const tfm = await loadTfjs();
  const entries: Entry[] = [];
  if (ours) {
    entries.push({ lib: "backprop-wasm", ours: true, ...ours.oursTrain(ours.backendNamed("wasm"), d, BATCH) });
    try {
      const two = await ours.twoThreadBackend();
      entries.push({ lib: "backprop-wasm-2w", ours: true, ...ours.oursTrain(two, d, BATCH) });
    } catch (e) {
      log(`note: no two-thread backend here (${(e as Error).message.split("\n")[0]})`);
    }
    entries.push({ lib: "backprop-ts", ours: true, ...ours.oursTrain(ours.backendNamed("typescript"), d, BATCH) });
  }
  for (const b of TF_BACKENDS) {
    entries.push({ lib: `tfjs-${b} fit`, ours: false, ...trainFit(tfm, b, d, BATCH) });
    entries.push({ lib: `tfjs-${b} minimize`, ours: false, ...trainMinimize(tfm, b, d, BATCH) });
  }
  entries.push({ lib: "brain.js", ours: false, ...brainTrain(d, 128, "relu", 1, 0.01) });
  return { name: "W1 train 784-128-10", unit: "samples/s", work: d.x.rows, entries };
}

async function w2(o: Options, ours: Ours | undefined, name: string, d: Dataset, sizes: number[]): Promise<Workload> {
  const tfm = await loadTfjs();
  const softmax = (sizes[sizes.length - 1] as number) > 1;
  const entries: Entry[] = [];
  if (ours) {
    entries.push({ lib: "backprop-wasm", ours: true, ...ours.oursTiny(ours.backendNamed("wasm"), d, sizes, o.epochs) });
    entries.push({ lib: "backprop-ts", ours: true, ...ours.oursTiny(ours.backendNamed("typescript"), d, sizes, o.epochs) });
  }
  for (const b of TF_BACKENDS) {
    entries.push({
      lib: `tfjs-${b}`,
      ours: false,
      ...trainTiny(tfm, b, d, sizes, softmax ? "softmaxCrossEntropy" : "sigmoidMse", o.epochs),
    });
  }
  entries.push({ lib: "brain.js", ours: false, ...brainTrain(d, sizes[1] as number, "sigmoid", o.epochs, softmax ? 0.1 : 0.5) });
  return { name, unit: "ms", work: o.epochs, entries };
}

async function w3(o: Options, ours: Ours | undefined, d: Dataset, batch: number, iterations: number): Promise<Workload> {
  const tfm = await loadTfjs();
  const x = d.x.rowSlice(0, batch);
  const entries: Entry[] = [];
  if (ours) {
    entries.push({ lib: "backprop-wasm", ours: true, ...ours.oursInfer(ours.backendNamed("wasm"), x, iterations) });
    entries.push({ lib: "backprop-ts", ours: true, ...ours.oursInfer(ours.backendNamed("typescript"), x, iterations) });
  }
  for (const b of TF_BACKENDS) entries.push({ lib: `tfjs-${b}`, ours: false, ...infer(tfm, b, x, iterations) });
  entries.push({ lib: "brain.js", ours: false, ...brainInfer(x, d, iterations) });
  return batch === 1
    ? { name: "W3 latency batch 1", unit: "µs", work: iterations, entries }
    : { name: `W3 infer batch ${batch}`, unit: "samples/s", work: batch * iterations, entries };
}

/** In a child: run one library's W1 (warm-up + one epoch) and print its peak RSS. */
async function child(lib: string, o: Options): Promise<void> {
  const d = mnistLike(o.samples);
  let entry: Pick<Entry, "run" | "setup">;
  if (lib.startsWith("backprop-")) {
    const ours = await import("./libs/backprop.js");
    entry = ours.oursTrain(ours.backendNamed(lib === "backprop-wasm" ? "wasm" : "typescript"), d, BATCH);
  } else if (lib.startsWith("tfjs-")) {
    entry = trainMinimize(await loadTfjs(), lib === "tfjs-wasm" ? "wasm" : "cpu", d, BATCH);
  } else {
    entry = brainTrain(d, 128, "relu", 1, 0.01);
  }
  await entry.setup?.();
  await entry.run();
  await entry.run();
  process.stdout.write(`${JSON.stringify({ lib, maxRssMB: process.resourceUsage().maxRSS / 1024 })}\n`);
}

function rss(o: Options, withOurs: boolean): Row[] {
  const libs = [...(withOurs ? ["backprop-wasm", "backprop-ts"] : []), "tfjs-wasm", "tfjs-cpu", "brain.js"];
  const script = fileURLToPath(import.meta.url);
  const rows: Row[] = [];
  for (const lib of libs) {
    const r = spawnSync(process.execPath, [...process.execArgv, script, `--child=${lib}`, ...(o.smoke ? ["--smoke"] : [])], {
      encoding: "utf8",
    });
    const line = r.stdout.split("\n").find((l) => l.startsWith("{"));
    if (!line) {
      log(`rss: ${lib} failed: ${r.stderr.slice(0, 400)}`);
      continue;
    }
    const mb = (JSON.parse(line) as { maxRssMB: number }).maxRssMB;
    rows.push({ workload: "peak RSS (W1, own process)", lib, unit: "MB" as never, ours: lib.startsWith("backprop"), median: mb, min: mb, max: mb, n: 1 });
    log(`  rss: ${lib} ${mb.toFixed(1)} MB`);
  }
  return rows;
}

function gemmTable(rows: readonly GemmRow[]): string {
  const out = ["backend         product                  GFLOP/s median (min–max)"];
  for (const r of rows) {
    out.push(`${r.backend.padEnd(15)} ${r.shape.padEnd(24)} ${r.median.toFixed(2).padStart(7)} (${r.min.toFixed(2)}–${r.max.toFixed(2)})`);
  }
  return out.join("\n");
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  if (o.child) return child(o.child, o);
  const ours = await loadOurs();
  log(`backprop default backend: ${getBackend().name}; node ${process.version}; reps ${o.reps}`);
  const rows: Row[] = [];
  const d = mnistLike(o.samples);
  const run = async (w: Workload): Promise<void> => {
    log(`${w.name} …`);
    rows.push(...(await measure(w, o.reps, log)));
  };
  if (o.only.has("W1")) await run(await w1(o, ours, d));
  if (o.only.has("W2")) {
    await run(await w2(o, ours, "W2 XOR 2-4-1", xor(), [2, 4, 1]));
    await run(await w2(o, ours, "W2 Iris 4-8-3", irisLike(), [4, 8, 3]));
  }
  if (o.only.has("W3")) {
    await run(await w3(o, ours, d, Math.min(256, d.x.rows), o.smoke ? 2 : 20));
    await run(await w3(o, ours, d, 1, o.smoke ? 10 : 2000));
  }
  let gemm: GemmRow[] = [];
  if (o.only.has("gemm")) {
    log("matmul GFLOP/s …");
    const extra = [];
    if (ours) {
      try {
        const two = await ours.twoThreadBackend();
        extra.push({ label: two.fused ? "wasm-fma-2thr" : "wasm-simd-2thr", backend: two });
      } catch {
        // no shared memory here: the one-thread rows stand alone
      }
    }
    gemm = gemmBench(o.reps, o.smoke ? 5 : 100, extra);
  }
  const memory = o.only.has("rss") ? (log("peak RSS …"), rss(o, ours !== undefined)) : [];

  const all = [...rows, ...memory];
  if (o.json) {
    for (const l of jsonLines(rows)) process.stdout.write(`${l}\n`);
    for (const g of gemm) {
      process.stdout.write(
        `${JSON.stringify({ workload: `matmul ${g.shape}`, lib: `backprop-${g.backend}`, unit: "GFLOP/s", median: g.median, min: g.min, max: g.max, n: g.n })}\n`,
      );
    }
    for (const m of memory) {
      process.stdout.write(`${JSON.stringify({ workload: m.workload, lib: m.lib, unit: "MB", median: m.median, min: m.min, max: m.max, n: m.n })}\n`);
    }
  }
  // The table goes to stdout, or to stderr when stdout carries the JSON lines.
  {
    const out = o.json ? process.stderr : process.stdout;
    out.write(`${table(all)}\n\n`);
    if (gemm.length) out.write(`${gemmTable(gemm)}\n\n`);
    const summary: string[] = [];
    for (const w of new Set(rows.map((r) => r.workload))) {
      const best = bestOurs(rows, w);
      if (!best) continue;
      const peers = rows.filter((r) => r.workload === w && !r.ours);
      summary.push(`${w}: ${best.lib} vs ${peers.map((p) => `${p.lib} ${ratio(best, p).toFixed(2)}×`).join(", ")}`);
    }
    if (summary.length) out.write(`${summary.join("\n")}\n`);
  }
}

await main();
