import { summarize, type Summary } from "./stats.js";

/** What one timed run of a library measures. */
export type Unit = "samples/s" | "ms" | "µs";

/** One library's side of a workload: `run` does the whole timed piece of work once. */
export interface Entry {
  readonly lib: string;
  /** True for our own rows (they get ratio lines against every peer). */
  readonly ours: boolean;
  run(): void | Promise<void>;
  /** Optional one-off setup before the warm-up (model creation, backend switch is in `run`). */
  setup?(): void | Promise<void>;
  /**
   * Samples or iterations per run of this entry, when not the workload's `work`: a peer orders of
   * magnitude slower runs on a subset, so a round takes seconds, not minutes; its rate is still
   * comparable (samples/s, µs per iteration).
   */
  readonly work?: number;
}

/** A workload: entries timed alternately, turned into `unit` with `work` (samples or iterations per run). */
export interface Workload {
  readonly name: string;
  readonly unit: Unit;
  /** Samples per run (samples/s) or iterations per run (µs per iteration); unused for ms. */
  readonly work: number;
  readonly entries: readonly Entry[];
}

/** One library's result on one workload. */
export interface Row extends Summary {
  readonly workload: string;
  readonly lib: string;
  readonly unit: Unit;
  readonly ours: boolean;
  /** Peak RSS of the library's child processes over the same rounds, MB (rows of the round loop, rounds.ts). */
  readonly peakRssMB?: Summary;
}

/** A run of `work` samples or iterations in `ms`, in `unit`. */
export function toUnit(unit: Unit, work: number, ms: number): number {
  if (unit === "samples/s") return work / (ms / 1000);
  if (unit === "µs") return (ms * 1000) / work;
  return ms;
}

/**
 * Warm-up (one run each), then `reps` rounds; each round runs every library once, in an order
 * that rotates each round, so slow drifts of the machine hit every library alike.
 */
export async function measure(w: Workload, reps: number, log: (s: string) => void): Promise<Row[]> {
  for (const e of w.entries) {
    await e.setup?.();
    await e.run();
  }
  const times = w.entries.map((): number[] => []);
  for (let r = 0; r < reps; r++) {
    for (let q = 0; q < w.entries.length; q++) {
      const idx = (q + r) % w.entries.length;
      const e = w.entries[idx] as Entry;
      const t0 = performance.now();
      await e.run();
      (times[idx] as number[]).push(performance.now() - t0);
    }
    log(`  ${w.name}: round ${r + 1}/${reps}`);
  }
  return w.entries.map((e, i) => {
    const s = summarize((times[i] as number[]).map((ms) => toUnit(w.unit, e.work ?? w.work, ms)));
    return { workload: w.name, lib: e.lib, unit: w.unit, ours: e.ours, ...s };
  });
}

/** How many times faster `ours` is than `peer` (> 1: we are faster), from the medians. */
export function ratio(ours: Row, peer: Row): number {
  return ours.unit === "samples/s" ? ours.median / peer.median : peer.median / ours.median;
}

function fmt(v: number): string {
  if (v >= 1000) return Math.round(v).toLocaleString("en-US");
  if (v >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

/** A plain-text table of rows, with our best row's speed-up against each peer. */
export function table(rows: readonly Row[]): string {
  const lines: string[] = [];
  const header = ["workload", "lib", "unit", "median", "min", "max", "n", "best ours ×"];
  const body = rows.map((r) => {
    const best = bestOurs(rows, r.workload);
    const x = !r.ours && best ? ratio(best, r).toFixed(2) + "×" : "";
    return [r.workload, r.lib, r.unit, fmt(r.median), fmt(r.min), fmt(r.max), String(r.n), x];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] as string).length)));
  const line = (cells: string[]): string =>
    cells.map((c, i) => (i >= 3 ? c.padStart(widths[i] as number) : c.padEnd(widths[i] as number))).join("  ");
  lines.push(line(header));
  lines.push(widths.map((w) => "-".repeat(w)).join("  "));
  for (const b of body) lines.push(line(b));
  return lines.join("\n");
}

/** Our fastest row of a workload. */
export function bestOurs(rows: readonly Row[], workload: string): Row | undefined {
  let best: Row | undefined;
  for (const r of rows) {
    if (r.workload !== workload || !r.ours) continue;
    if (!best || ratio(r, best) > 1) best = r;
  }
  return best;
}

/**
 * The JSON lines: one per row, then one ratio line per (our row, peer row) pair. A row measured in
 * child processes also carries `peakRssMB: { median, min, max, n }` (MB, over the same rounds): an
 * added field, so readers of the older lines read these unchanged.
 */
export function jsonLines(rows: readonly Row[]): string[] {
  const out: string[] = [];
  for (const r of rows) {
    const rss = r.peakRssMB ? { peakRssMB: { median: r.peakRssMB.median, min: r.peakRssMB.min, max: r.peakRssMB.max, n: r.peakRssMB.n } } : {};
    out.push(JSON.stringify({ workload: r.workload, lib: r.lib, unit: r.unit, median: r.median, min: r.min, max: r.max, n: r.n, ...rss }));
  }
  for (const o of rows) {
    if (!o.ours) continue;
    for (const p of rows) {
      if (p.ours || p.workload !== o.workload) continue;
      out.push(JSON.stringify({ workload: o.workload, lib: o.lib, ratio_vs: p.lib, ratio: ratio(o, p) }));
    }
  }
  return out;
}

/**
 * A child round's timing: warm-up runs, untimed (at least one and half a second: a short run's
 * first calls compile kernels, in tfjs-wasm as in ours), then three timed runs when a run is
 * short (one when it takes a second or more). `afterWarmRun` sees each warm-up run.
 * @returns the median of the timed runs and how many runs there were in all
 */
export async function warmThenTime(run: () => unknown, afterWarmRun?: () => void): Promise<{ ms: number; runs: number }> {
  const warmStart = performance.now();
  let last = 0;
  let runs = 0;
  do {
    const t = performance.now();
    await run();
    runs++;
    last = performance.now() - t;
    afterWarmRun?.();
  } while (performance.now() - warmStart < 500);
  const times: number[] = [];
  for (let i = 0; i < (last < 1000 ? 3 : 1); i++) {
    const t0 = performance.now();
    await run();
    times.push(performance.now() - t0);
    runs++;
  }
  return { ms: summarize(times).median, runs };
}
