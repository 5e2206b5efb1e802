// Reads the benchmark's own JSON output (captured into data/bench-results.jsonl by
// `pnpm bench --json`, see the performance page), so the table is never retyped.
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** One measured row of the benchmark. */
export interface BenchRow {
  readonly workload: string;
  readonly lib: string;
  readonly unit: string;
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly n: number;
}

/** A Backprop-vs-peer speed ratio (> 1: Backprop is faster). */
export interface BenchRatio {
  readonly workload: string;
  readonly lib: string;
  readonly ratio_vs: string;
  readonly ratio: number;
}

/** One bar of a chart: a ratio (Backprop `group` vs peer `label`) or a median with its min–max. */
export interface ChartBar {
  /** The Backprop variant a ratio belongs to (ratio charts), or the library (median charts). */
  readonly group: string;
  /** The peer a ratio compares with (ratio charts), or the library again (median charts). */
  readonly label: string;
  readonly value: number;
  readonly min?: number;
  readonly max?: number;
}

/**
 * The chart next to one workload's table: the speed ratios against the peers where the benchmark
 * prints them (`kind: "ratio"`, > 1: Backprop is faster), else every library's median with its
 * min–max (`kind: "median"`, in `unit`).
 */
export interface BenchChart {
  readonly workload: string;
  readonly kind: "ratio" | "median";
  readonly unit: string;
  /** Whether a larger median is better (samples/s, GFLOP/s) or worse (ms, µs, MB). Ratios: always higher. */
  readonly better: "higher" | "lower";
  readonly bars: readonly ChartBar[];
}

/** What the performance page shows. */
export interface BenchData {
  readonly rows: readonly BenchRow[];
  readonly ratios: readonly BenchRatio[];
  readonly charts: readonly BenchChart[];
  readonly meta: Readonly<Record<string, string>> | null;
}

const results = fileURLToPath(new URL("../data/bench-results.jsonl", import.meta.url));
const metaFile = fileURLToPath(new URL("../data/bench-meta.json", import.meta.url));

/** Splits the benchmark's JSON lines into measurements and ratios. */
export function parseBench(text: string): { rows: BenchRow[]; ratios: BenchRatio[] } {
  const rows: BenchRow[] = [];
  const ratios: BenchRatio[] = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    const record = JSON.parse(line) as Record<string, unknown>;
    if (typeof record["ratio"] === "number") ratios.push(record as unknown as BenchRatio);
    else if (typeof record["median"] === "number") rows.push(record as unknown as BenchRow);
  }
  return { rows, ratios };
}

/** Units where less is better: times and memory. */
const LOWER_IS_BETTER = new Set(["ms", "µs", "us", "s", "MB", "MiB", "KB", "bytes"]);

/**
 * One chart per workload of the table, in the table's order, from the same rows and ratios: the
 * ratios as printed when the workload has any, else the medians with their min–max.
 */
export function benchCharts(rows: readonly BenchRow[], ratios: readonly BenchRatio[]): BenchChart[] {
  const workloads = [...new Set(rows.map((r) => r.workload))];
  return workloads.map((workload): BenchChart => {
    const own = ratios.filter((r) => r.workload === workload);
    const measured = rows.filter((r) => r.workload === workload);
    const unit = measured[0]?.unit ?? "";
    if (own.length > 0) {
      return { workload, kind: "ratio", unit: "×", better: "higher", bars: own.map((r) => ({ group: r.lib, label: r.ratio_vs, value: r.ratio })) };
    }
    return {
      workload,
      kind: "median",
      unit,
      better: LOWER_IS_BETTER.has(unit) ? "lower" : "higher",
      bars: measured.map((r) => ({ group: r.lib, label: r.lib, value: r.median, min: r.min, max: r.max })),
    };
  });
}

export default {
  watch: ["../data/bench-results.jsonl", "../data/bench-meta.json"],
  load(): BenchData {
    if (!existsSync(results)) return { rows: [], ratios: [], charts: [], meta: null };
    const { rows, ratios } = parseBench(readFileSync(results, "utf8"));
    const meta = existsSync(metaFile) ? (JSON.parse(readFileSync(metaFile, "utf8")) as Record<string, string>) : null;
    return { rows, ratios, charts: benchCharts(rows, ratios), meta };
  },
};
