import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { jsonLines, table } from "./harness.js";
import {
  parseSample,
  peakRssMB,
  roundOrder,
  rowsOf,
  rssLines,
  rssOf,
  runRounds,
  vmHwmMB,
  w1RssTargetLines,
  W1_RSS_TARGET_MB,
  type ChildSample,
  type Launcher,
} from "./rounds.js";
import { w1StepFigures, w123Libs, W1_BATCH } from "./w1-w3.js";

/**
 * A fake launcher: every spawn is a new "process" (a new pid) answering with `ms(lib, round)` and,
 * when `rss` is given, `peakRssMB: rss(lib, round)`.
 */
function fakeLauncher(ms: (lib: string, round: number) => number | undefined, work = 6400, reusePid = false, rss?: (lib: string, round: number) => number) {
  const calls: string[][] = [];
  const seen = new Map<string, number>();
  let pid = 1000;
  const launch: Launcher = {
    script: "/x/main.js",
    execArgv: ["--experimental-wasm-relaxed-simd"],
    flags: ["--samples=6400"],
    spawn: (args) => {
      calls.push([...args]);
      const lib = (args.find((a) => a.startsWith("--child=")) as string).slice(8);
      const round = seen.get(lib) ?? 0;
      seen.set(lib, round + 1);
      const t = ms(lib, round);
      if (t === undefined) return { stdout: "", stderr: `${lib} broke` };
      const sample: ChildSample = {
        lib,
        ms: t,
        work,
        pid: reusePid ? 1 : pid++,
        gemmMsPerStep: lib.startsWith("backprop-") ? 0.5 : undefined,
        ...(rss ? { peakRssMB: rss(lib, round) } : {}),
      };
      return { stdout: `note: loading\n${JSON.stringify(sample)}\n`, stderr: "" };
    },
  };
  return { calls, launch };
}

const libOf = (args: readonly string[]): string => (args.find((a) => a.startsWith("--child=")) as string).slice(8);

describe("roundOrder", () => {
  it("rotates the list by one library per round", () => {
    expect(roundOrder(["A", "B", "C"], 0)).toEqual(["A", "B", "C"]);
    expect(roundOrder(["A", "B", "C"], 1)).toEqual(["B", "C", "A"]);
    expect(roundOrder(["A", "B", "C"], 2)).toEqual(["C", "A", "B"]);
    expect(roundOrder(["A", "B", "C"], 3)).toEqual(["A", "B", "C"]);
  });
});

describe("runRounds", () => {
  const libs = ["backprop-wasm", "tfjs-wasm fit", "brain.js"];

  it("spawns one child per library per round, interleaved, each sample from its own process", () => {
    const { calls, launch } = fakeLauncher(() => 100);
    const samples = runRounds(launch, "W1 train 784-128-10", "W1-round", libs, 5, () => {});
    expect(calls).toHaveLength(15);
    expect(calls[0]).toEqual(["--experimental-wasm-relaxed-simd", "/x/main.js", "--child=backprop-wasm", "--child-workload=W1-round", "--samples=6400"]);
    expect(calls.map(libOf)).toEqual([
      ...["backprop-wasm", "tfjs-wasm fit", "brain.js"],
      ...["tfjs-wasm fit", "brain.js", "backprop-wasm"],
      ...["brain.js", "backprop-wasm", "tfjs-wasm fit"],
      ...["backprop-wasm", "tfjs-wasm fit", "brain.js"],
      ...["tfjs-wasm fit", "brain.js", "backprop-wasm"],
    ]);
    const pids = [...samples.values()].flat().map((s) => s.pid);
    expect(pids).toHaveLength(15);
    expect(new Set(pids).size).toBe(15);
    for (const lib of libs) expect(samples.get(lib)).toHaveLength(5);
  });

  it("refuses a sample from a process that already answered", () => {
    const { launch } = fakeLauncher(() => 100, 6400, true);
    expect(() => runRounds(launch, "W", "W1-round", libs, 1, () => {})).toThrow(/not a fresh process per sample/);
  });

  it("skips a missing two-thread row, and fails on any other missing one", () => {
    const ok = fakeLauncher((lib) => (lib === "backprop-wasm-2w" ? undefined : 100));
    const samples = runRounds(ok.launch, "W", "W1-round", ["backprop-wasm", "backprop-wasm-2w", "brain.js"], 2, () => {});
    expect(rowsOf("W", "samples/s", samples).map((r) => r.lib)).toEqual(["backprop-wasm", "brain.js"]);
    const bad = fakeLauncher((lib) => (lib === "brain.js" ? undefined : 100));
    expect(() => runRounds(bad.launch, "W", "W1-round", libs, 1, () => {})).toThrow(/W: brain.js failed in its child process: brain.js broke/);
  });

  it("makes rows of medians and min–max over the rounds, and ratio lines from those medians", () => {
    // Rounds (ms for 6400 samples): ours 100, 80, 120, 90, 110 → median 100; brain.js 4000, 2000, 3000, 6000, 5000 → 4000.
    const ours = [100, 80, 120, 90, 110];
    const brain = [4000, 2000, 3000, 6000, 5000];
    const { launch } = fakeLauncher((lib, r) => (lib === "brain.js" ? brain[r] : ours[r]));
    const samples = runRounds(launch, "W1 train 784-128-10", "W1-round", ["backprop-wasm", "brain.js"], 5, () => {});
    const rows = rowsOf("W1 train 784-128-10", "samples/s", samples);
    expect(rows[0]).toMatchObject({ lib: "backprop-wasm", ours: true, median: 64_000, min: 6400 / 0.12, max: 80_000, n: 5 });
    expect(rows[1]).toMatchObject({ lib: "brain.js", ours: false, median: 1600, min: 6400 / 6, max: 3200, n: 5 });
    const ratios = jsonLines(rows)
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => "ratio" in l);
    expect(ratios).toEqual([{ workload: "W1 train 784-128-10", lib: "backprop-wasm", ratio_vs: "brain.js", ratio: 40 }]);
    // ms and µs rows: the median time (ms) and time per iteration (µs).
    expect(rowsOf("W2", "ms", samples)[0]).toMatchObject({ median: 100, min: 80, max: 120 });
    expect(rowsOf("W3", "µs", samples)[1]).toMatchObject({ median: (4000 * 1000) / 6400 });
  });

  it("gives W1's step figures: whole step and GEMM GFLOP/s, and the fraction outside GEMM, per round", () => {
    // 6400 samples in 100 ms: 100 steps of 1 ms; the products alone take 0.5 ms per step.
    const { launch } = fakeLauncher(() => 100);
    const samples = runRounds(launch, "W1", "W1-round", w123Libs("W1", true), 5, () => {});
    const figures = w1StepFigures(samples);
    const wasm = figures.find((f) => f.lib === "backprop-wasm");
    const flops = 26_181_632;
    expect(6400 / W1_BATCH).toBe(100);
    expect(wasm?.step.median).toBeCloseTo(flops / 1e-3 / 1e9, 9);
    expect(wasm?.gemm?.median).toBeCloseTo(flops / 0.5e-3 / 1e9, 9);
    expect(wasm?.outside?.median).toBeCloseTo(0.5, 12);
    const brain = figures.find((f) => f.lib === "brain.js");
    expect(brain?.gemm).toBeUndefined();
    expect(brain?.step.n).toBe(5);
  });
});

describe("parseSample", () => {
  it("reads the one JSON line a child prints, ignoring other output", () => {
    const s: ChildSample = { lib: "brain.js", ms: 12, work: 64, pid: 7 };
    expect(parseSample(`warning\n${JSON.stringify(s)}\n`)).toEqual(s);
    expect(parseSample("nothing\n")).toBeUndefined();
    expect(() => parseSample('{"lib":"x","ms":1,"work":1}')).toThrow(/malformed/);
  });

  it("reads the peak RSS a child reports, and refuses one that is not a positive number", () => {
    expect(parseSample('{"lib":"x","ms":1,"work":1,"pid":3,"peakRssMB":61.5}')?.peakRssMB).toBe(61.5);
    expect(() => parseSample('{"lib":"x","ms":1,"work":1,"pid":3,"peakRssMB":0}')).toThrow(/malformed/);
    expect(() => parseSample('{"lib":"x","ms":1,"work":1,"pid":3,"peakRssMB":"61"}')).toThrow(/malformed/);
  });
});

describe("peak RSS per library over rounds", () => {
  const libs = ["backprop-wasm", "backprop-ts", "tfjs-wasm fit", "brain.js"];
  // MB per round: ours 60, 64, 62 (backprop-ts 20 more); tfjs 150, 170, 160; brain.js 90, 95, 100.
  const rss = (lib: string, r: number): number =>
    lib === "backprop-wasm" ? [60, 64, 62][r]! : lib === "backprop-ts" ? [80, 84, 82][r]! : lib === "brain.js" ? [90, 95, 100][r]! : [150, 170, 160][r]!;

  it("keeps each child's peak RSS per library and round, and puts median and min–max on the rows", () => {
    const { launch } = fakeLauncher(() => 100, 6400, false, rss);
    const samples = runRounds(launch, "W1 train 784-128-10", "W1-round", libs, 3, () => {});
    expect(samples.get("backprop-wasm")?.map((s) => s.peakRssMB)).toEqual([60, 64, 62]);
    // round 2 ran tfjs first (rotation), but each library's values stay its own, in its round order
    expect(samples.get("tfjs-wasm fit")?.map((s) => s.peakRssMB)).toEqual([150, 170, 160]);
    const rows = rowsOf("W1 train 784-128-10", "samples/s", samples);
    expect(rows.map((r) => [r.lib, r.peakRssMB])).toEqual([
      ["backprop-wasm", { median: 62, min: 60, max: 64, n: 3 }],
      ["backprop-ts", { median: 82, min: 80, max: 84, n: 3 }],
      ["tfjs-wasm fit", { median: 160, min: 150, max: 170, n: 3 }],
      ["brain.js", { median: 95, min: 90, max: 100, n: 3 }],
    ]);
  });

  it("has no figure unless every round reported one", () => {
    expect(rssOf([{ lib: "a", ms: 1, work: 1, pid: 1 }])).toBeUndefined();
    expect(rssOf([{ lib: "a", ms: 1, work: 1, pid: 1, peakRssMB: 50 }, { lib: "a", ms: 1, work: 1, pid: 2 }])).toBeUndefined();
    const { launch } = fakeLauncher(() => 100);
    expect(rowsOf("W", "ms", runRounds(launch, "W", "W1-round", libs, 1, () => {}))[0]).not.toHaveProperty("peakRssMB");
  });

  it("adds the figures to the JSON row lines as a field (the older fields unchanged), not to the ratio lines", () => {
    const { launch } = fakeLauncher((lib) => (lib === "brain.js" ? 4000 : 100), 6400, false, rss);
    const rows = rowsOf("W1 train 784-128-10", "samples/s", runRounds(launch, "W1 train 784-128-10", "W1-round", libs, 3, () => {}));
    const lines = jsonLines(rows).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines[0]).toEqual({
      workload: "W1 train 784-128-10",
      lib: "backprop-wasm",
      unit: "samples/s",
      median: 64_000,
      min: 64_000,
      max: 64_000,
      n: 3,
      peakRssMB: { median: 62, min: 60, max: 64, n: 3 },
    });
    for (const l of lines.filter((l) => "ratio" in l)) expect(Object.keys(l)).toEqual(["workload", "lib", "ratio_vs", "ratio"]);
    // the table is the speed table, as before
    expect(table(rows)).not.toMatch(/MB/);
  });

  it("prints one line per library (median and max, MB) and the W1 target for ours", () => {
    const { launch } = fakeLauncher(() => 100, 6400, false, rss);
    const rows = rowsOf("W1 train 784-128-10", "samples/s", runRounds(launch, "W1", "W1-round", libs, 3, () => {}));
    const lines = rssLines(rows);
    expect(lines).toHaveLength(5);
    expect(lines[0]).toMatch(/^peak RSS of each round's child process \(VmHWM/);
    expect(lines[1]).toBe("peak RSS, W1 train 784-128-10, backprop-wasm: median  62.0 MB, max  64.0 MB (3 rounds)");
    expect(lines[3]).toBe("peak RSS, W1 train 784-128-10, tfjs-wasm fit: median 160.0 MB, max 170.0 MB (3 rounds)");
    expect(W1_RSS_TARGET_MB).toBe(80);
    expect(w1RssTargetLines(rows, "W1 train 784-128-10")).toEqual([
      "target W1 peak RSS ≤ 80 MB: backprop-wasm 64.0 MB (max over 3 rounds) — met",
      "target W1 peak RSS ≤ 80 MB: backprop-ts 84.0 MB (max over 3 rounds) — not met",
    ]);
    expect(rssLines(rowsOf("W", "ms", runRounds(fakeLauncher(() => 100).launch, "W", "W1-round", libs, 1, () => {})))).toEqual([]);
  });
});

describe("peakRssMB", () => {
  it("reads VmHWM (kB) of /proc/<pid>/status as MB", () => {
    expect(vmHwmMB("Name:\tnode\nVmPeak:\t 1234 kB\nVmHWM:\t   61440 kB\nVmRSS:\t   51200 kB\n")).toBe(60);
    expect(vmHwmMB("Name:\tnode\n")).toBeUndefined();
  });

  it("is this process's peak: at least its current RSS", () => {
    expect(peakRssMB()).toBeGreaterThanOrEqual(process.memoryUsage().rss / 2 ** 20 - 1);
  });

  // Why not process.resourceUsage().maxRSS: a spawned child's starts at its parent's RSS (Linux).
  it.runIf(existsSync("/proc/self/status"))("in a spawned child, is the child's own peak, not its parent's RSS", () => {
    const hold = Buffer.alloc(200 * 2 ** 20, 1);
    const parentMB = process.memoryUsage().rss / 2 ** 20;
    const code = 'console.log(JSON.stringify({ status: require("fs").readFileSync("/proc/self/status", "utf8"), maxRSS: process.resourceUsage().maxRSS }))';
    const r = spawnSync(process.execPath, ["-e", code], { encoding: "utf8" });
    const { status, maxRSS } = JSON.parse(r.stdout) as { status: string; maxRSS: number };
    const own = vmHwmMB(status) as number;
    expect(own).toBeGreaterThan(10);
    expect(own).toBeLessThan(parentMB - 150);
    // maxRSS there is about the parent's RSS (here: parent ~270 MB, child VmHWM ~40 MB, child maxRSS
    // ~210 MB); not asserted, it is the kernel's behaviour, but it is at least the child's own peak.
    expect(maxRSS / 1024).toBeGreaterThanOrEqual(own - 1);
    expect(hold[hold.length - 1]).toBe(1);
  });
});
