import { spawnSync } from "node:child_process";
import { toUnit, type Row, type Unit } from "./harness.js";
import { summarize } from "./stats.js";

/*
 * The benchmark rule of issue 17: every library runs in a fresh process of its own per round,
 * rounds interleaved (round r starts r libraries further along the list), and a row is the median
 * (and min–max) of its rounds — so every ratio compares medians of the same run.
 */

/** What a round's child prints: one JSON line. */
export interface ChildSample {
  readonly lib: string;
  /** Median of the child's timed runs, ms. */
  readonly ms: number;
  /** Samples or iterations per run. */
  readonly work: number;
  /** The child's process id: every sample must come from a process of its own. */
  readonly pid: number;
  /** W1, ours: ms per step spent in the step's matrix products alone (see w1-w3.ts). */
  readonly gemmMsPerStep?: number;
}

/** The result line of a child's stdout, or undefined when it printed none. */
export function parseSample(stdout: string): ChildSample | undefined {
  const line = firstJsonLine(stdout);
  if (!line) return undefined;
  const r = JSON.parse(line) as ChildSample;
  if (typeof r.lib !== "string" || !(r.ms > 0) || !(r.work > 0) || !Number.isInteger(r.pid)) {
    throw new Error(`child: malformed result ${line} (help: a child prints { lib, ms, work, pid })`);
  }
  return r;
}

/** A child's result line: the first line of its stdout that opens a JSON object (notes may come before). */
export function firstJsonLine(stdout: string): string | undefined {
  return stdout.split("\n").find((l) => l.startsWith("{"));
}

/** How a child is started: this script, node's flags and the size flags passed on. */
export interface Launcher {
  readonly script: string;
  readonly execArgv: readonly string[];
  /** `--smoke`, `--quick`, `--samples=…`, passed on to every child. */
  readonly flags: readonly string[];
  /** Runs node with these arguments; returns its stdout and stderr (spawnSync by default). */
  readonly spawn?: (args: readonly string[]) => { stdout: string; stderr: string };
}

/** Library `q` of round `r`: the list rotated by `r` (round 1: A, B, C; round 2: B, C, A; …). */
export function roundOrder<T>(libs: readonly T[], r: number): T[] {
  return libs.map((_, q) => libs[(q + r) % libs.length] as T);
}

/** Every child's sample of one workload, per library, in round order. */
export type Samples = ReadonlyMap<string, readonly ChildSample[]>;

/**
 * Runs `rounds` rounds of `childWorkload`: in each, every library in a fresh process
 * (`--child=<lib> --child-workload=<childWorkload>`), in {@link roundOrder}. A library whose
 * child prints no result fails the run, except those in `optional` (the two-thread row, which
 * needs shared memory and workers); a pid seen twice fails it too.
 */
export function runRounds(
  launch: Launcher,
  name: string,
  childWorkload: string,
  libs: readonly string[],
  rounds: number,
  log: (s: string) => void,
  optional: readonly string[] = ["backprop-wasm-2w"],
): Samples {
  const spawn =
    launch.spawn ??
    ((args: readonly string[]) => {
      const r = spawnSync(process.execPath, [...args], { encoding: "utf8" });
      return { stdout: r.stdout, stderr: r.stderr };
    });
  const samples = new Map<string, ChildSample[]>(libs.map((l) => [l, []]));
  const pids = new Set<number>();
  for (let r = 0; r < rounds; r++) {
    for (const lib of roundOrder(libs, r)) {
      const run = spawn([...launch.execArgv, launch.script, `--child=${lib}`, `--child-workload=${childWorkload}`, ...launch.flags]);
      const s = parseSample(run.stdout);
      if (!s) {
        if (optional.includes(lib)) continue;
        throw new Error(`${name}: ${lib} failed in its child process: ${run.stderr.slice(0, 600)}`);
      }
      if (s.lib !== lib) throw new Error(`${name}: the child for ${lib} answered for ${s.lib}`);
      if (pids.has(s.pid)) throw new Error(`${name}: pid ${s.pid} answered twice: not a fresh process per sample`);
      pids.add(s.pid);
      samples.get(lib)?.push(s);
    }
    log(`  ${name}: round ${r + 1}/${rounds}`);
  }
  return samples;
}

/** One row per library with samples: median and min–max over its rounds, in `unit`. */
export function rowsOf(name: string, unit: Unit, samples: Samples): Row[] {
  const rows: Row[] = [];
  for (const [lib, ss] of samples) {
    if (ss.length === 0) continue;
    rows.push({ workload: name, lib, unit, ours: lib.startsWith("backprop-"), ...summarize(ss.map((s) => toUnit(unit, s.work, s.ms))) });
  }
  return rows;
}
