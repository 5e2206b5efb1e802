import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runIn } from "./cli-runner.test-util.js";
import { measureIn, type Measured } from "./model-file-measure.test-util.js";

/**
 * Bench, not a timed test: how fast the built CLI loads (and writes) model files and how much
 * memory it takes, recorded in `.vitest/model-files.bench.json` and printed as a table. Only the
 * memory bound of issue 14 is asserted (peak RSS above what the CLI takes without a model ≤ 3× the
 * file); times depend on the machine and are recorded, never compared.
 *
 * 20 and 40 MB JSON files, and their safetensors copies; `BACKPROP_BENCH_LARGE=1` adds 200 MB.
 * A safetensors copy is a third of the JSON's size, while loading it still needs the model, its
 * optimizer state twice (`Optimizer.loadStateDict` reads plain arrays, 8 bytes a number) and V8's
 * own young generation (~30 MB at any size): its ratio is recorded, not bounded.
 * Rates are the file size over the time beyond that of a run that loads no model (Node and the
 * CLI's code), in wall time and in CPU time (the steadier figure on a busy machine).
 */
const SIZES: readonly { readonly mb: number; readonly units: number }[] = [
  { mb: 20, units: 600 },
  { mb: 40, units: 850 },
  ...(process.env["BACKPROP_BENCH_LARGE"] === "1" ? [{ mb: 200, units: 1900 }] : []),
];

interface Row {
  readonly file: string;
  readonly operation: "load (inspect)" | "load + write (convert)";
  readonly bytes: number;
  readonly seconds: number;
  readonly cpuSeconds: number;
  readonly mbPerSecond: number;
  readonly mbPerCpuSecond: number;
  readonly peakRssMb: number;
  readonly aboveBaselineMb: number;
  /** Peak RSS above the baseline, over the file size. */
  readonly ratio: number;
}

const dir = mkdtempSync(join(tmpdir(), "backprop-bench-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const rows: Row[] = [];

function row(file: string, operation: Row["operation"], m: Measured, base: Measured): Row {
  const bytes = statSync(join(dir, file)).size;
  const seconds = Math.max(1e-3, (m.ms - base.ms) / 1000);
  const cpuSeconds = Math.max(1e-3, (m.cpuMs - base.cpuMs) / 1000);
  const above = m.peakRss - base.peakRss;
  return {
    file,
    operation,
    bytes,
    seconds: round(seconds),
    cpuSeconds: round(cpuSeconds),
    mbPerSecond: round(bytes / 1e6 / seconds),
    mbPerCpuSecond: round(bytes / 1e6 / cpuSeconds),
    peakRssMb: round(m.peakRss / 1e6),
    aboveBaselineMb: round(above / 1e6),
    ratio: round(above / bytes),
  };
}

const round = (x: number) => Math.round(x * 100) / 100;

describe("model files bench (records load rate and peak memory; asserts only the memory bound)", () => {
  for (const { mb, units } of SIZES) {
    it(`${mb} MB JSON model and its safetensors copy`, () => {
      const json = `m${mb}.json`;
      const trained = runIn(dir, ["train", "xor", "--layers", `${units},${units}`, "--epochs", "1", "--save", json]);
      expect(trained.status, trained.stderr).toBe(0);
      // Node and the CLI's code, loaded, and no model read: what every run costs anyway.
      const base = measureIn(dir, ["inspect", "missing.json"]);
      const load = measureIn(dir, ["inspect", json]);
      expect(load.status, load.stderr).toBe(0);
      rows.push(row(json, "load (inspect)", load, base));
      const copy = `m${mb}-copy.json`;
      const rewrite = measureIn(dir, ["convert", json, copy]);
      expect(rewrite.status, rewrite.stderr).toBe(0);
      rows.push(row(json, "load + write (convert)", rewrite, base));
      const st = `m${mb}.safetensors`;
      const convert = measureIn(dir, ["convert", json, st]);
      expect(convert.status, convert.stderr).toBe(0);
      const stLoad = measureIn(dir, ["inspect", st]);
      expect(stLoad.status, stLoad.stderr).toBe(0);
      rows.push(row(st, "load (inspect)", stLoad, base));
      // The bound is the JSON file's (~18 bytes a number). A safetensors file is 4 bytes a float32
      // weight, 8 an optimizer slot value; its load is recorded, not bounded (see the note above).
      const jsonLoad = rows.at(-3) as Row;
      expect(jsonLoad.ratio, `${json}: peak RSS above the CLI's own over the file size`).toBeLessThan(3);
    }, 900_000);
  }

  afterAll(() => {
    if (rows.length === 0) return;
    const out = new URL("../.vitest/", import.meta.url);
    mkdirSync(out, { recursive: true });
    writeFileSync(new URL("model-files.bench.json", out), `${JSON.stringify({ node: process.version, recorded: new Date().toISOString(), rows }, null, 2)}\n`);
    const table = [
      "| file | operation | MB | s | MB/s | CPU s | MB/CPU s | peak RSS MB | above baseline MB | × file |",
      "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
      ...rows.map((r) => `| ${r.file} | ${r.operation} | ${round(r.bytes / 1e6)} | ${r.seconds} | ${r.mbPerSecond} | ${r.cpuSeconds} | ${r.mbPerCpuSecond} | ${r.peakRssMb} | ${r.aboveBaselineMb} | ${r.ratio} |`),
    ].join("\n");
    console.log(`model files bench (.vitest/model-files.bench.json):\n${table}`);
  });
});
