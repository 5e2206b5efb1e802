import { describe, expect, it } from "vitest";
import { jsonLines } from "./harness.js";
import { parseSample, roundOrder, rowsOf, runRounds, type ChildSample, type Launcher } from "./rounds.js";
import { w1StepFigures, w123Libs, W1_BATCH } from "./w1-w3.js";

/** A fake launcher: every spawn is a new "process" (a new pid) answering with `ms(lib, round)`. */
function fakeLauncher(ms: (lib: string, round: number) => number | undefined, work = 6400, reusePid = false) {
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
      const sample: ChildSample = { lib, ms: t, work, pid: reusePid ? 1 : pid++, gemmMsPerStep: lib.startsWith("backprop-") ? 0.5 : undefined };
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
});
