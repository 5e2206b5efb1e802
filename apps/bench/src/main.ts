import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { getBackend } from "@backprop/linalg";
import { mnistLike } from "./data.js";
import { CONV_FLOPS, convPassBench, type ConvPassRow } from "./conv-bench.js";
import { gemmBackends, gemmBench, type GemmRow } from "./gemm-bench.js";
import { bestOurs, jsonLines, ratio, table, warmThenTime, type Entry, type Row } from "./harness.js";
import { brainTrain } from "./libs/brain.js";
import { loadTfjs, trainMinimize } from "./libs/tfjs.js";
import { peakRssMB, rowsOf, rssLines, runRounds, w1RssTargetLines, type Launcher } from "./rounds.js";
import { W123_KEYS, w123ChildRound, w123Libs, w123Sizes, w123Workload, w1StepFigures, w1StepJson, w1StepLines, type W123Key } from "./w1-w3.js";
import { W4_INFER, W4_TRAIN, w4InferMakers, w4Notes, w4Sizes, w4TargetLines, w4TrainMakers, w4Work, type Ours, type W4Sizes } from "./w4.js";

/*
 * `pnpm bench [--json] [--quick] [--smoke] [--rounds=N] [--only=W1,W2,W3,W4,W5,gemm,conv,rss]` (`W5` is
 * W5a and W5b; `W5a` or `W5b` selects one)
 * Every timed workload (W1–W5) runs each library in a fresh process per round, rounds rotating the
 * order (round 1: A, B, C; round 2: B, C, A; …), `--rounds` rounds (default 5; `--quick` 3,
 * `--smoke` 1); a row is the median and min–max of its rounds, so every ratio compares medians of
 * one run. W1–W3: `--child=<lib> --child-workload=W1-round|W2-xor-round|…` (w1-w3.ts, rounds.ts);
 * W4: `W4-train-round|W4-infer-round`; W5: `W5a-round|W5b-round` (w5.ts); every round's child
 * also reports its peak RSS, printed per library (median, max over rounds) under the table. The matmul and conv
 * GFLOP/s run in this process. Peak RSS runs each library's W1 (and W4 train) in a child of its own
 * (`--child=<lib> [--child-workload=W4]`), so one library's heap does not count for another.
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
  const rounds = value("rounds");
  return {
    json: flag("json"),
    quick,
    smoke,
    reps: rounds !== undefined ? Math.max(1, Number(rounds)) : smoke ? 1 : quick ? 3 : 5,
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

/**
 * In a child: one round of one library on W4 train or infer (`--child-workload=W4-train-round` or
 * `W4-infer-round`): setup and warm-up runs untimed, then the median of three timed runs (one when
 * a run takes a second or more); prints `{ lib, ms, work, pid, peakRssMB }`.
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
  process.stdout.write(`${JSON.stringify({ lib, ms, work, pid: process.pid, peakRssMB: peakRssMB() })}\n`);
  // The two-thread backend's helper must not keep the child alive.
  process.exit(0);
}

/**
 * W4 train or infer with every library in a fresh process per round (see childRound), rounds
 * rotating the order (rounds.ts): no library's threads, heap or detached buffers touch another's numbers.
 */
function measureInChildren(o: Options, name: string, childWorkload: string, libs: readonly string[]): Row[] {
  const launch: Launcher = {
    script: fileURLToPath(import.meta.url),
    execArgv: process.execArgv,
    flags: [`--samples=${o.samples}`, ...(o.smoke ? ["--smoke"] : []), ...(o.quick ? ["--quick"] : [])],
  };
  return rowsOf(name, "samples/s", runRounds(launch, name, childWorkload, libs, o.reps, log));
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
  const key = o.childWorkload.slice(0, -"-round".length) as W123Key;
  if (W123_KEYS.includes(key)) {
    const ours = lib.startsWith("backprop-") ? await loadOurs() : undefined;
    const sizes = w123Sizes(o.smoke ? "smoke" : o.quick ? "quick" : "full", o.samples);
    process.stdout.write(`${JSON.stringify(await w123ChildRound(key, lib, sizes, ours))}\n`);
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
  // VmHWM, not resourceUsage().maxRSS: a spawned child's maxRSS starts at its parent's RSS (rounds.ts).
  process.stdout.write(`${JSON.stringify({ lib, maxRssMB: peakRssMB() })}\n`);
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
  const notes: string[] = [];
  // W1–W3: every library in a fresh process per round, rounds rotating (rounds.ts, w1-w3.ts).
  const launch: Launcher = {
    script: fileURLToPath(import.meta.url),
    execArgv: process.execArgv,
    flags: [`--samples=${o.samples}`, ...(o.smoke ? ["--smoke"] : []), ...(o.quick ? ["--quick"] : [])],
  };
  const sizes = w123Sizes(o.smoke ? "smoke" : o.quick ? "quick" : "full", o.samples);
  const w1Step: string[] = [];
  const w1StepJsonLines: string[] = [];
  for (const key of W123_KEYS) {
    if (!o.only.has(key.slice(0, 2))) continue;
    const { name, unit } = w123Workload(key, sizes);
    log(`${name} … (each library in a fresh process per round, ${o.reps} rounds)`);
    const samples = runRounds(launch, name, `${key}-round`, w123Libs(key, ours !== undefined), o.reps, log);
    rows.push(...rowsOf(name, unit, samples));
    if (key === "W1") {
      const figures = w1StepFigures(samples);
      w1Step.push(...w1StepLines(figures));
      w1StepJsonLines.push(...w1StepJson(figures));
    }
  }
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
    for (const l of w1StepJsonLines) process.stdout.write(`${l}\n`);
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
    if (w1Step.length) out.write(`${w1Step.join("\n")}\n\n`);
    const rss = rssLines(rows);
    if (rss.length) out.write(`${rss.join("\n")}\n\n`);
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
    const rssTargets = w1RssTargetLines(rows, w123Workload("W1", sizes).name);
    if (rssTargets.length) out.write(`${rssTargets.join("\n")}\n`);
  }
}

await main();
