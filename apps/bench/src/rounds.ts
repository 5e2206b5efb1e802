import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { toUnit, type Row, type Unit } from "./harness.js";
import { summarize, type Summary } from "./stats.js";

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
  /**
   * The child's peak resident set size over its whole life (module load, setup, warm-up, timed
   * runs), MB of 2²⁰ bytes, read just before it prints ({@link peakRssMB}).
   */
  readonly peakRssMB?: number;
}

/**
 * This process's peak resident set size so far, in MB (2²⁰ bytes). On Linux it is `VmHWM` of
 * `/proc/self/status`: the high-water mark of this process's own memory. Not
 * `process.resourceUsage().maxRSS` (`ru_maxrss`, kB): in a child that a parent spawned, Linux keeps
 * the high-water mark of the copy of the parent's memory the child had between fork and exec, so a
 * child of a 150 MB parent reports at least ~150 MB however little it uses. That is the fallback
 * where there is no `/proc` (it is right there for a process started from a small shell).
 */
export function peakRssMB(): number {
  try {
    const mb = vmHwmMB(readFileSync("/proc/self/status", "utf8"));
    if (mb !== undefined) return mb;
  } catch {
    // no /proc here
  }
  return process.resourceUsage().maxRSS / 1024;
}

/** `VmHWM` of a `/proc/<pid>/status` text, in MB (2²⁰ bytes); undefined when it has none. */
export function vmHwmMB(status: string): number | undefined {
  const m = /^VmHWM:\s+(\d+) kB$/m.exec(status);
  return m ? Number(m[1]) / 1024 : undefined;
}

/** The result line of a child's stdout, or undefined when it printed none. */
export function parseSample(stdout: string): ChildSample | undefined {
  const line = firstJsonLine(stdout);
  if (!line) return undefined;
  const r = JSON.parse(line) as ChildSample;
  if (
    typeof r.lib !== "string" ||
    !(r.ms > 0) ||
    !(r.work > 0) ||
    !Number.isInteger(r.pid) ||
    (r.peakRssMB !== undefined && !(typeof r.peakRssMB === "number" && r.peakRssMB > 0))
  ) {
    throw new Error(`child: malformed result ${line} (help: a child prints { lib, ms, work, pid, peakRssMB? })`);
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
export type Samples<S extends ChildSample = ChildSample> = ReadonlyMap<string, readonly S[]>;

/**
 * Runs `rounds` rounds of `childWorkload`: in each, every library in a fresh process
 * (`--child=<lib> --child-workload=<childWorkload>`), in {@link roundOrder}. A library whose
 * child prints no result fails the run, except those in `optional` (the two-thread row, which
 * needs shared memory and workers); a pid seen twice fails it too. `S` is what the workload's
 * children print besides {@link ChildSample}'s fields (W5: its losses); {@link parseSample}
 * checks the common fields and keeps the rest as printed.
 */
export function runRounds<S extends ChildSample = ChildSample>(
  launch: Launcher,
  name: string,
  childWorkload: string,
  libs: readonly string[],
  rounds: number,
  log: (s: string) => void,
  optional: readonly string[] = ["backprop-wasm-2w"],
): Samples<S> {
  const spawn =
    launch.spawn ??
    ((args: readonly string[]) => {
      const r = spawnSync(process.execPath, [...args], { encoding: "utf8" });
      return { stdout: r.stdout, stderr: r.stderr };
    });
  const samples = new Map<string, S[]>(libs.map((l) => [l, []]));
  const pids = new Set<number>();
  for (let r = 0; r < rounds; r++) {
    for (const lib of roundOrder(libs, r)) {
      const run = spawn([...launch.execArgv, launch.script, `--child=${lib}`, `--child-workload=${childWorkload}`, ...launch.flags]);
      const s = parseSample(run.stdout) as S | undefined;
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

/**
 * One row per library with samples: median and min–max over its rounds, in `unit`; with the peak
 * RSS over the same rounds ({@link rssOf}) when every child reported one.
 */
export function rowsOf(name: string, unit: Unit, samples: Samples): Row[] {
  const rows: Row[] = [];
  for (const [lib, ss] of samples) {
    if (ss.length === 0) continue;
    const rss = rssOf(ss);
    rows.push({
      workload: name,
      lib,
      unit,
      ours: lib.startsWith("backprop-"),
      ...summarize(ss.map((s) => toUnit(unit, s.work, s.ms))),
      ...(rss ? { peakRssMB: rss } : {}),
    });
  }
  return rows;
}

/** Median and min–max of one library's peak RSS (MB) over its rounds; undefined unless every round reported one. */
export function rssOf(samples: readonly ChildSample[]): Summary | undefined {
  const values = samples.map((s) => s.peakRssMB).filter((v): v is number => v !== undefined);
  return values.length > 0 && values.length === samples.length ? summarize(values) : undefined;
}

const mb = (v: number): string => `${v.toFixed(1)} MB`;
const roundsText = (n: number): string => (n === 1 ? "1 round" : `${n} rounds`);

/** The printed peak RSS lines: one per row that has one, median and max over its rounds. */
export function rssLines(rows: readonly Row[]): string[] {
  const withRss = rows.filter((r) => r.peakRssMB);
  if (withRss.length === 0) return [];
  const out = [
    "peak RSS of each round's child process (VmHWM after its timed runs: Node, the library, setup, warm-up and timed runs; W1's GEMM-alone diagnostic runs after the reading), MB = 2²⁰ bytes, median and max over its rounds:",
  ];
  const wWidth = Math.max(...withRss.map((r) => r.workload.length));
  const lWidth = Math.max(...withRss.map((r) => r.lib.length));
  for (const r of withRss) {
    const s = r.peakRssMB as Summary;
    out.push(`peak RSS, ${`${r.workload},`.padEnd(wWidth + 1)} ${`${r.lib}:`.padEnd(lWidth + 1)} median ${mb(s.median).padStart(8)}, max ${mb(s.max).padStart(8)} (${roundsText(s.n)})`);
  }
  return out;
}

/** Issue 17's memory target: the W1 process's peak RSS at most this many MB. */
export const W1_RSS_TARGET_MB = 80;

/** The W1 memory target, per row of ours: the max over its rounds against {@link W1_RSS_TARGET_MB}. */
export function w1RssTargetLines(rows: readonly Row[], workload: string): string[] {
  return rows
    .filter((r) => r.workload === workload && r.ours && r.peakRssMB)
    .map((r) => {
      const max = (r.peakRssMB as Summary).max;
      return `target W1 peak RSS ≤ ${W1_RSS_TARGET_MB} MB: ${r.lib} ${mb(max)} (max over ${roundsText((r.peakRssMB as Summary).n)}) — ${max <= W1_RSS_TARGET_MB ? "met" : "not met"}`;
    });
}
