import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { getBackend } from "@backprop/linalg";
import { irisLike, mnistLike, xor, type Dataset } from "./data.js";
import { CONV_FLOPS, convPassBench, type ConvPassRow } from "./conv-bench.js";
import { gemmBackends, gemmBench, type GemmRow } from "./gemm-bench.js";
import { bestOurs, jsonLines, measure, ratio, table, warmThenTime, type Entry, type Row, type Workload } from "./harness.js";
import { brainInfer, brainTrain } from "./libs/brain.js";
import { infer, loadTfjs, trainFit, trainMinimize, trainTiny, type TfBackend } from "./libs/tfjs.js";
import { W4_INFER, W4_TRAIN, w4InferMakers, w4Notes, w4Sizes, w4TargetLines, w4TrainMakers, w4Work, type Ours, type W4Sizes } from "./w4.js";
import { summarize } from "./stats.js";

/*
 * `pnpm bench [--json] [--quick] [--smoke] [--only=W1,W2,W3,W4,W5,gemm,conv,rss]` (`W5` is W5a and
 * W5b; `W5a` or `W5b` selects one)
 * Everything runs in this process except the peak-RSS measurements, which run each library's W1
 * (and W4 train) in a child process of its own (`--child=<lib> [--child-workload=W4]`), so one
 * library's heap does not count for another. W4 includes the GFLOP/s of its convolution passes
 * (`conv` alone selects just those). W5 (recurrent) runs like W4, each library in a fresh process per
 * round (`--child=<lib> --child-workload=W5a-round|W5b-round`, see w5.ts).
 */

interface Options {
  json: boolean;
  quick: boolean;
  reps: number;
  samples: number;
  epochs: number;
  only: Set<string>;
  child: string | undefined;
  childWorkload: string;
  smoke: boolean;
  w4: W4Sizes;
}

function parseArgs(argv: readonly string[]): Options {
  const flag = (name: string): boolean => argv.includes(`--${name}`);
  const value = (name: string): string | undefined =>
    argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  const smoke = flag("smoke");
  const quick = flag("quick");
  const only = value("only");
  const samples = value("samples");
  return {
    json: flag("json"),
    quick,
    smoke,
    reps: smoke ? 1 : quick ? 3 : 5,
    samples: samples !== undefined ? Number(samples) : smoke ? 128 : quick ? 3200 : 6400,
    epochs: smoke ? 20 : quick ? 2000 : 10000,
    only: new Set((only ?? "W1,W2,W3,W4,W5,gemm,rss").split(",")),
    child: value("child"),
    childWorkload: value("child-workload") ?? "W1",
    w4: w4Sizes(smoke ? "smoke" : quick ? "quick" : "full"),
  };
}

const log = (s: string): void => {
  process.stderr.write(`${s}\n`);
};

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

/**
 * In a child: one round of one library on W4 train or infer (`--child-workload=W4-train-round` or
 * `W4-infer-round`): setup and warm-up runs untimed, then the median of three timed runs (one when
 * a run takes a second or more); prints `{ lib, ms, work }`.
 */
async function childRound(lib: string, o: Options): Promise<void> {
  const d = mnistLike(o.samples);
  const ours = lib.startsWith("backprop-") ? await loadOurs() : undefined;
  const makers = o.childWorkload === "W4-train-round" ? w4TrainMakers(ours, d, o.w4) : w4InferMakers(ours, d, o.w4);
  const make = makers.get(lib);
  if (!make) throw new Error(`no W4 library ${lib}`);
  const entry = await make();
  await entry.setup?.();
  const { ms } = await warmThenTime(() => entry.run());
  const work = entry.work ?? (o.childWorkload === "W4-train-round" ? w4Work(d, o.w4).train : w4Work(d, o.w4).infer);
  process.stdout.write(`${JSON.stringify({ lib, ms, work })}\n`);
  // The two-thread backend's helper must not keep the child alive.
  process.exit(0);
}

/**
 * W4 train or infer with every library in a fresh process per round (see childRound), rounds
 * rotating the order: no library's threads, heap or detached buffers touch another's numbers.
 */
function measureInChildren(o: Options, name: string, childWorkload: string, libs: readonly string[]): Row[] {
  const script = fileURLToPath(import.meta.url);
  const samples = new Map<string, number[]>(libs.map((l) => [l, []]));
  const flags = [`--samples=${o.samples}`, ...(o.smoke ? ["--smoke"] : []), ...(o.quick ? ["--quick"] : [])];
  for (let r = 0; r < o.reps; r++) {
    for (let q = 0; q < libs.length; q++) {
      const lib = libs[(q + r) % libs.length] as string;
      const args = [script, `--child=${lib}`, `--child-workload=${childWorkload}`, ...flags];
      const run = spawnSync(process.execPath, [...process.execArgv, ...args], { encoding: "utf8" });
      const line = run.stdout.split("\n").find((l) => l.startsWith("{"));
      if (!line) {
        // Only the two-thread row may be missing (no shared memory or workers in this runtime).
        if (lib === "backprop-wasm-2w") continue;
        throw new Error(`${name}: ${lib} failed in its child process: ${run.stderr.slice(0, 600)}`);
      }
      const { ms, work } = JSON.parse(line) as { ms: number; work: number };
      samples.get(lib)?.push(work / (ms / 1000));
    }
    log(`  ${name}: round ${r + 1}/${o.reps}`);
  }
  return libs
    .filter((lib) => (samples.get(lib) as number[]).length > 0)
    .map((lib) => ({ workload: name, lib, unit: "samples/s" as const, ours: lib.startsWith("backprop-"), ...summarize(samples.get(lib) as number[]) }));
}

/** In a child: run one library's W1 or W4 train (warm-up + one epoch) and print its peak RSS. */
async function child(lib: string, o: Options): Promise<void> {
  if (o.childWorkload === "W5a-round" || o.childWorkload === "W5b-round") {
    const w5 = await import("./w5.js");
    const result = await w5.w5ChildRound(lib, o.childWorkload, w5.w5Sizes(o.smoke ? "smoke" : o.quick ? "quick" : "full"));
    process.stdout.write(`${JSON.stringify(result)}\n`);
    // The two-thread backend's helper must not keep the child alive.
    process.exit(0);
  }
  if (o.childWorkload.endsWith("-round")) return childRound(lib, o);
  const d = mnistLike(o.samples);
  let entry: Pick<Entry, "run" | "setup">;
  if (o.childWorkload === "W4") {
    const ours = lib.startsWith("backprop-") ? await import("./libs/backprop.js") : undefined;
    const make = w4TrainMakers(ours, d, o.w4).get(lib);
    if (!make) throw new Error(`no W4 library ${lib}`);
    entry = await make();
  } else if (lib.startsWith("backprop-")) {
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

function rss(o: Options, withOurs: boolean, workload: "W1" | "W4"): Row[] {
  const peers = workload === "W4" ? ["tfjs-wasm", "tfjs-cpu", "ConvNetJS"] : ["tfjs-wasm", "tfjs-cpu", "brain.js"];
  const libs = [...(withOurs ? ["backprop-wasm", "backprop-ts"] : []), ...peers];
  const script = fileURLToPath(import.meta.url);
  const rows: Row[] = [];
  const name = workload === "W4" ? `peak RSS (${W4_TRAIN}, own process)` : "peak RSS (W1, own process)";
  for (const lib of libs) {
    const args = [script, `--child=${lib}`, `--child-workload=${workload}`, ...(o.smoke ? ["--smoke"] : [])];
    const r = spawnSync(process.execPath, [...process.execArgv, ...args], { encoding: "utf8" });
    const line = r.stdout.split("\n").find((l) => l.startsWith("{"));
    if (!line) {
      log(`rss: ${lib} failed: ${r.stderr.slice(0, 400)}`);
      continue;
    }
    const mb = (JSON.parse(line) as { maxRssMB: number }).maxRssMB;
    rows.push({ workload: name, lib, unit: "MB" as never, ours: lib.startsWith("backprop"), median: mb, min: mb, max: mb, n: 1 });
    log(`  rss ${workload}: ${lib} ${mb.toFixed(1)} MB`);
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

function convTable(rows: readonly ConvPassRow[]): string {
  const out = ["backend         conv layer (batch 32)            pass             GFLOP/s median (min–max)"];
  for (const r of rows) {
    out.push(
      `${r.backend.padEnd(15)} ${r.layer.padEnd(32)} ${r.pass.padEnd(16)} ${r.median.toFixed(2).padStart(7)} (${r.min.toFixed(2)}–${r.max.toFixed(2)})`,
    );
  }
  out.push(CONV_FLOPS);
  return out.join("\n");
}

/** The two-thread backend as an extra kernel-backend row, when this runtime can make one. */
async function twoThreadRow(ours: Ours | undefined) {
  if (!ours) return [];
  try {
    const two = await ours.twoThreadBackend();
    return [{ label: two.fused ? "wasm-fma-2thr" : "wasm-simd-2thr", backend: two }];
  } catch {
    // no shared memory here: the one-thread rows stand alone
    return [];
  }
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
  const notes: string[] = [];
  if (o.only.has("W4")) {
    const ourLibs = ours ? ["backprop-wasm", "backprop-wasm-2w", "backprop-ts"] : [];
    const libs = [...ourLibs, "tfjs-wasm", "tfjs-cpu", "ConvNetJS"];
    log(`${W4_TRAIN} … (each library in a fresh process per round)`);
    rows.push(...measureInChildren(o, W4_TRAIN, "W4-train-round", libs));
    log(`${W4_INFER} … (each library in a fresh process per round)`);
    rows.push(...measureInChildren(o, W4_INFER, "W4-infer-round", libs));
    notes.push(...(await w4Notes(o.w4, d)));
  }
  const w5Targets: string[] = [];
  const w5a = o.only.has("W5") || o.only.has("W5a");
  const w5b = o.only.has("W5") || o.only.has("W5b");
  if (ours && (w5a || w5b)) {
    // Loaded only here: the recurrent workloads need @backprop/layers' recurrent layers.
    const w5 = await import("./w5.js");
    const sizes = w5.w5Sizes(o.smoke ? "smoke" : o.quick ? "quick" : "full");
    const launch = {
      script: fileURLToPath(import.meta.url),
      execArgv: process.execArgv,
      flags: [...(o.smoke ? ["--smoke"] : []), ...(o.quick ? ["--quick"] : [])],
    };
    if (w5a) {
      log(`${w5.W5A} … (each library in a fresh process per round)`);
      const m = w5.measureW5(launch, "W5a", w5.W5A_LIBS, o.reps, log);
      rows.push(...m.rows);
      notes.push(...w5.w5LossLines("W5a", m, sizes));
    }
    if (w5b) {
      log(`${w5.W5B} … (each library in a fresh process per round)`);
      const m = w5.measureW5(launch, "W5b", w5.W5B_LIBS, o.reps, log);
      rows.push(...m.rows);
      notes.push(...w5.w5LossLines("W5b", m, sizes));
    }
    notes.push(...w5.w5Notes(sizes, { w5a, w5b }));
    w5Targets.push(...w5.w5TargetLines(rows));
  }
  let gemm: GemmRow[] = [];
  if (o.only.has("gemm")) {
    log("matmul GFLOP/s …");
    gemm = gemmBench(o.reps, o.smoke ? 5 : 100, await twoThreadRow(ours));
  }
  let conv: ConvPassRow[] = [];
  if (ours && (o.only.has("W4") || o.only.has("conv"))) {
    log("conv pass GFLOP/s …");
    conv = convPassBench([...gemmBackends(), ...(await twoThreadRow(ours))], o.reps, o.smoke ? 5 : 100);
  }
  const memory: Row[] = [];
  if (o.only.has("rss")) {
    log("peak RSS …");
    if (o.only.has("W1") || !o.only.has("W4")) memory.push(...rss(o, ours !== undefined, "W1"));
    if (o.only.has("W4")) memory.push(...rss(o, ours !== undefined, "W4"));
  }

  const all = [...rows, ...memory];
  if (o.json) {
    for (const l of jsonLines(rows)) process.stdout.write(`${l}\n`);
    for (const g of gemm) {
      process.stdout.write(
        `${JSON.stringify({ workload: `matmul ${g.shape}`, lib: `backprop-${g.backend}`, unit: "GFLOP/s", median: g.median, min: g.min, max: g.max, n: g.n })}\n`,
      );
    }
    for (const c of conv) {
      process.stdout.write(
        `${JSON.stringify({ workload: `conv2d ${c.layer} ${c.pass} batch 32`, lib: `backprop-${c.backend}`, unit: "GFLOP/s", median: c.median, min: c.min, max: c.max, n: c.n })}\n`,
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
    if (notes.length) out.write(`${notes.map((n) => `note: ${n}`).join("\n")}\n\n`);
    if (gemm.length) out.write(`${gemmTable(gemm)}\n\n`);
    if (conv.length) out.write(`${convTable(conv)}\n\n`);
    const summary: string[] = [];
    for (const w of new Set(rows.map((r) => r.workload))) {
      const best = bestOurs(rows, w);
      if (!best) continue;
      const peers = rows.filter((r) => r.workload === w && !r.ours);
      summary.push(`${w}: ${best.lib} vs ${peers.map((p) => `${p.lib} ${ratio(best, p).toFixed(2)}×`).join(", ")}`);
    }
    if (summary.length) out.write(`${summary.join("\n")}\n`);
    const targets = w4TargetLines(rows);
    if (targets.length) out.write(`${targets.join("\n")}\n`);
    if (w5Targets.length) out.write(`${w5Targets.join("\n")}\n`);
  }
}

await main();
