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

/** What the performance page shows. */
export interface BenchData {
  readonly rows: readonly BenchRow[];
  readonly ratios: readonly BenchRatio[];
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

export default {
  watch: ["../data/bench-results.jsonl", "../data/bench-meta.json"],
  load(): BenchData {
    if (!existsSync(results)) return { rows: [], ratios: [], meta: null };
    const { rows, ratios } = parseBench(readFileSync(results, "utf8"));
    const meta = existsSync(metaFile) ? (JSON.parse(readFileSync(metaFile, "utf8")) as Record<string, string>) : null;
    return { rows, ratios, meta };
  },
};
