import { describe, expect, it } from "vitest";
import { jsonLines, measure, ratio, table, type Row } from "./harness.js";
import { summarize } from "./stats.js";

const row = (lib: string, ours: boolean, unit: Row["unit"], median: number): Row => ({
  workload: "w",
  lib,
  unit,
  ours,
  median,
  min: median,
  max: median,
  n: 5,
});

describe("summarize", () => {
  it("takes the middle value, or the mean of the middle two", () => {
    expect(summarize([5, 1, 3])).toEqual({ median: 3, min: 1, max: 5, n: 3 });
    expect(summarize([4, 1, 3, 10])).toEqual({ median: 3.5, min: 1, max: 10, n: 4 });
  });
});

describe("ratio", () => {
  it("is > 1 when we are faster, for throughput and for time alike", () => {
    expect(ratio(row("ours", true, "samples/s", 300), row("peer", false, "samples/s", 100))).toBe(3);
    expect(ratio(row("ours", true, "ms", 50), row("peer", false, "ms", 200))).toBe(4);
    expect(ratio(row("ours", true, "µs", 20), row("peer", false, "µs", 10))).toBe(0.5);
  });
});

describe("measure", () => {
  it("warms up once, then runs every entry once per round in a rotating order", async () => {
    const calls: string[] = [];
    const entry = (lib: string) => ({ lib, ours: lib === "a", run: () => void calls.push(lib) });
    const rows = await measure({ name: "w", unit: "ms", work: 1, entries: [entry("a"), entry("b"), entry("c")] }, 3, () => {});
    expect(calls).toEqual(["a", "b", "c", "a", "b", "c", "b", "c", "a", "c", "a", "b"]);
    expect(rows.map((r) => [r.lib, r.n])).toEqual([["a", 3], ["b", 3], ["c", 3]]);
  });

  it("converts elapsed time to samples per second", async () => {
    const busy = (ms: number) => () => {
      const end = performance.now() + ms;
      while (performance.now() < end);
    };
    const [r] = await measure({ name: "w", unit: "samples/s", work: 1000, entries: [{ lib: "x", ours: true, run: busy(20) }] }, 3, () => {});
    // 1000 samples in ≥ 20 ms is at most 50 000 samples/s; well above 5 000 unless the machine stalls.
    expect(r!.median).toBeLessThanOrEqual(50_000);
    expect(r!.median).toBeGreaterThan(5_000);
    expect(r!.min).toBeLessThanOrEqual(r!.median);
    expect(r!.max).toBeGreaterThanOrEqual(r!.median);
  });

  it("converts with an entry's own work when it runs a subset", async () => {
    const busy = (ms: number) => () => {
      const end = performance.now() + ms;
      while (performance.now() < end);
    };
    const w = { name: "w", unit: "samples/s" as const, work: 1000, entries: [{ lib: "few", ours: false, work: 10, run: busy(20) }] };
    const [r] = await measure(w, 3, () => {});
    // 10 samples in ≥ 20 ms: at most 500 samples/s (1000 would give ≤ 50 000).
    expect(r!.median).toBeLessThanOrEqual(500);
    expect(r!.median).toBeGreaterThan(50);
  });
});

describe("output", () => {
  const rows = [row("ours", true, "samples/s", 200), row("peer", false, "samples/s", 100)];

  it("prints one JSON line per row and one ratio line per peer", () => {
    const lines = jsonLines(rows).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toEqual([
      { workload: "w", lib: "ours", unit: "samples/s", median: 200, min: 200, max: 200, n: 5 },
      { workload: "w", lib: "peer", unit: "samples/s", median: 100, min: 100, max: 100, n: 5 },
      { workload: "w", lib: "ours", ratio_vs: "peer", ratio: 2 },
    ]);
  });

  it("tabulates every row with the speed-up against peers", () => {
    const text = table(rows);
    expect(text.split("\n")).toHaveLength(4);
    expect(text).toMatch(/peer\s+samples\/s\s+100\.0\s+100\.0\s+100\.0\s+5\s+2\.00×/);
  });
});
