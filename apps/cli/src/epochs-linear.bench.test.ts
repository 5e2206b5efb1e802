// A benchmark, run by `npx -y pnpm@10.34.9 bench:cli` (never by `pnpm test`): it times `train xor`
// at N and 10N epochs. `fit-run.test.ts` checks, without a clock, that an epoch end serializes nothing.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CLI_MAIN } from "./cli-runner.test-util.js";

const dir = mkdtempSync(join(tmpdir(), "backprop-epochs-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** What one `train --json` run reports: when each epoch ended, and the training time. */
interface Timed {
  /** Seconds since training began at the end of epoch i + 1. */
  readonly elapsed: Float64Array;
  /** The end record's training time (no start-up, no final evaluation). */
  readonly seconds: number;
}

/**
 * Trains xor for `epochs` epochs with a save path (so every epoch-end cost a checkpointing run
 * pays is paid), reading the JSON records as they stream (the output is megabytes long).
 */
function trainXor(epochs: number): Promise<Timed> {
  const args = ["train", "xor", "--epochs", String(epochs), "--layers", "8", "--seed", "1", "--save", `xor-${epochs}.json`, "--json"];
  const child = spawn(process.execPath, [CLI_MAIN, ...args], { cwd: dir, env: { ...process.env, CI: "1" } });
  const elapsed = new Float64Array(epochs);
  let seconds = Number.NaN;
  let rest = "";
  let stderr = "";
  const read = (line: string) => {
    if (line === "") return;
    const record = JSON.parse(line) as { event: string; epoch: number; elapsed: number; seconds: number };
    if (record.event === "epoch") elapsed[record.epoch - 1] = record.elapsed;
    else if (record.event === "end") seconds = record.seconds;
  };
  child.stdout.setEncoding("utf8");
  child.stdout.on("data", (chunk: string) => {
    const lines = (rest + chunk).split("\n");
    rest = lines.pop() ?? "";
    lines.forEach(read);
  });
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("exit", (code) => {
      read(rest);
      if (code !== 0 || !Number.isFinite(seconds)) reject(new Error(`train xor --epochs ${epochs}: exit ${code}\n${stderr}`));
      else resolve({ elapsed, seconds });
    });
  });
}

const median = (values: readonly number[]): number => {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

/** Median time of the chunks of `size` epochs in [from, to) (epoch indices). */
function chunkMedian(elapsed: Float64Array, from: number, to: number, size: number): number {
  const chunks: number[] = [];
  for (let start = from; start + size <= to; start += size) chunks.push((elapsed[start + size - 1] as number) - (elapsed[start - 1] as number));
  return median(chunks);
}

describe("every epoch costs the same, however long the history", () => {
  it("10× the epochs takes ≤ 12× the time, and the last epochs cost what the early ones did", { timeout: 900_000 }, async () => {
    // N such that a run trains ~2 s whatever an epoch costs on this machine: long enough that
    // start-up noise does not count and that a cost growing with the history shows (serializing
    // the model and its history at every epoch end, as before, gave 23 and 2.5 below at N = 1100).
    const probe = await trainXor(500);
    const perEpoch = probe.seconds / 500;
    const n = Math.min(20_000, Math.max(1000, Math.ceil(2 / perEpoch / 100) * 100));
    // Interleaved, so a burst of load on this shared machine hits both sizes alike; medians (of
    // 5 short runs, which one burst disturbs most, and 3 long ones).
    const small: Timed[] = [];
    const large: Timed[] = [];
    for (let i = 0; i < 5; i++) {
      small.push(await trainXor(n));
      if (i < 3) large.push(await trainXor(10 * n));
    }
    const tN = median(small.map((r) => r.seconds));
    const t10N = median(large.map((r) => r.seconds));
    // Within each 10N run: epochs [N, 2N) (warm) against [9N, 10N), in chunks of N/10 epochs.
    const chunk = n / 10;
    const growth = median(large.map((r) => chunkMedian(r.elapsed, 9 * n, 10 * n, chunk) / chunkMedian(r.elapsed, n, 2 * n, chunk)));
    console.log(
      `train xor: N = ${n} epochs (probe: ${(perEpoch * 1e3).toFixed(3)} ms/epoch)\n` +
        `  time(N)   = ${tN.toFixed(3)} s  (runs: ${small.map((r) => r.seconds.toFixed(3)).join(", ")})\n` +
        `  time(10N) = ${t10N.toFixed(3)} s  (runs: ${large.map((r) => r.seconds.toFixed(3)).join(", ")})\n` +
        `  time(10N) / time(N) = ${(t10N / tN).toFixed(2)} (≤ 12)\n` +
        `  cost of an epoch in [9N, 10N) / in [N, 2N) = ${growth.toFixed(2)} (≤ 1.5)`,
    );
    expect(t10N / tN).toBeLessThanOrEqual(12);
    expect(growth).toBeLessThanOrEqual(1.5);
  });
});
