import type { Callback, Logs } from "@backprop/layers";

/** How training progress is shown. */
export type ProgressMode = "bar" | "lines" | "json" | "quiet";

/** Picks the mode from the flags and the terminal: a bar on a TTY, plain lines in CI and pipes. */
export function progressMode(flags: { quiet?: boolean; json?: boolean }, stream: NodeJS.WriteStream): ProgressMode {
  if (flags.json) return "json";
  if (flags.quiet) return "quiet";
  return stream.isTTY && !process.env["CI"] ? "bar" : "lines";
}

const fmt = (v: number | undefined): string =>
  v === undefined ? "—" : Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(3) : v.toFixed(4);

function duration(ms: number): string {
  if (!Number.isFinite(ms)) return "…";
  const s = Math.round(ms / 1000);
  return s >= 3600 ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m` : s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s` : `${s}s`;
}

/** Batches the ETA waits for after the first one of a run (which pays for compilation and warm-up). */
const ETA_MIN_BATCHES = 3;
/** Milliseconds of training after the first batch that the ETA waits for before it is shown. */
const ETA_MIN_MS = 1000;

/**
 * How many batches were done when, at up to 64 moments spread evenly over a run (when full, every
 * other moment is dropped and the spacing doubles): enough to measure the speed of the latest
 * half of a run of any length in O(1) memory.
 */
class Progression {
  private readonly times: number[] = [];
  private readonly counts: number[] = [];
  private spacing = 25;

  add(time: number, batches: number): void {
    const last = this.times[this.times.length - 1];
    if (last !== undefined && time - last < this.spacing) return;
    this.times.push(time);
    this.counts.push(batches);
    if (this.times.length <= 64) return;
    for (let i = 0; i < 32; i++) {
      this.times[i] = this.times[2 * i] as number;
      this.counts[i] = this.counts[2 * i] as number;
    }
    this.times.length = this.counts.length = 32;
    this.spacing *= 2;
  }

  /** Milliseconds per batch since the latest moment at or before `since` (NaN without one). */
  msPerBatch(since: number, now: number, batches: number): number {
    let i = this.times.length - 1;
    while (i > 0 && (this.times[i] as number) > since) i--;
    const t = this.times[i];
    const n = this.counts[i];
    return t === undefined || n === undefined || batches <= n ? Number.NaN : (now - t) / (batches - n);
  }
}

/**
 * A training callback that reports each epoch: a redrawn progress bar with loss, metric, ETA and
 * samples/s on a terminal, one plain line per epoch otherwise, or one JSON record per epoch (with
 * `elapsed`, the seconds since training began).
 *
 * The ETA is the time per batch over the latest half of the run so far times the batches left:
 * the first batches pay for JIT compilation, WASM tier-up and buffer allocation, and estimated
 * from them the first epoch's ETA was several times the run's length. It shows `…` until
 * {@link ETA_MIN_BATCHES} batches after the first and {@link ETA_MIN_MS} ms are in. Finished
 * epochs' validation and callbacks are part of the measured time. Everything per batch and per
 * epoch is O(1): nothing here grows with the history.
 */
export function progressCallback(options: {
  mode: ProgressMode;
  epochs: number;
  initialEpoch: number;
  samplesPerEpoch: number;
  batchSize: number;
  metric: string;
  out: NodeJS.WritableStream;
}): Callback {
  const { mode, epochs, initialEpoch, samplesPerEpoch, batchSize, metric, out } = options;
  const batches = Math.ceil(samplesPerEpoch / batchSize);
  const runBatches = Math.max(0, epochs - initialEpoch) * batches;
  let epochStart = 0;
  let trainStart = 0;
  let lastDraw = 0;
  let runningLoss = 0;
  let seen = 0;
  let batchesDone = 0; // in this run
  let warmEnd = 0; // when the run's first batch ended
  const progression = new Progression();
  let current = initialEpoch; // the epoch being trained: one past the last finished one
  const width = 24;
  const eta = (now: number): number => {
    const ms = now - warmEnd;
    if (batchesDone - 1 < ETA_MIN_BATCHES || ms < ETA_MIN_MS) return Number.NaN;
    // The speed of the latest half: what warm-up (JIT tiers, WASM tier-up) cost early on fades out.
    return progression.msPerBatch(now - ms / 2, now, batchesDone) * Math.max(0, runBatches - batchesDone);
  };
  const bar = (done: number, epoch: number, logs: Logs, final: boolean) => {
    const now = performance.now();
    const elapsed = now - epochStart;
    const fraction = done / batches;
    const filled = Math.round(fraction * width);
    const perSample = elapsed / Math.max(1, seen);
    const rate = perSample > 0 ? Math.round(1000 / perSample) : 0;
    const parts = [
      `epoch ${String(epoch + 1).padStart(String(epochs).length)}/${epochs}`,
      `[${"=".repeat(Math.max(0, filled - 1))}${filled > 0 ? (final ? "=" : ">") : ""}${" ".repeat(width - filled)}]`,
      `loss ${fmt(logs["loss"])}`,
      ...(logs[metric] !== undefined ? [`${metric} ${fmt(logs[metric])}`] : []),
      ...(logs["val_loss"] !== undefined ? [`val_loss ${fmt(logs["val_loss"])}`] : []),
      ...(logs[`val_${metric}`] !== undefined ? [`val_${metric} ${fmt(logs[`val_${metric}`])}`] : []),
      `ETA ${duration(eta(now))}`,
      `${rate.toLocaleString("en-US")} samples/s`,
    ];
    out.write(`\r\x1b[2K${parts.join("  ")}${final ? "\n" : ""}`);
  };
  return {
    onTrainBegin() {
      trainStart = performance.now();
    },
    onEpochBegin() {
      epochStart = performance.now();
      runningLoss = 0;
      seen = 0;
    },
    onBatchEnd(batch, logs) {
      const size = logs["size"] ?? 0;
      runningLoss += (logs["loss"] ?? 0) * size;
      seen += size;
      batchesDone++;
      if (mode !== "bar") return;
      const now = performance.now();
      if (batchesDone === 1) warmEnd = now;
      progression.add(now, batchesDone);
      if (now - lastDraw < 100 && batch + 1 < batches) return;
      lastDraw = now;
      bar(batch + 1, current, { loss: runningLoss / Math.max(1, seen) }, false);
    },
    onEpochEnd(epoch, logs) {
      current = epoch + 1;
      const now = performance.now();
      const ms = now - epochStart;
      const rate = Math.round((samplesPerEpoch / ms) * 1000);
      if (mode === "bar") bar(batches, epoch, logs, true);
      else if (mode === "lines") {
        const values = Object.entries(logs).map(([k, v]) => `${k} ${fmt(v)}`).join("  ");
        out.write(`epoch ${epoch + 1}/${epochs}  ${values}  ${Math.round(ms)}ms  ${rate} samples/s\n`);
      } else if (mode === "json") {
        const elapsed = Math.round(now - trainStart) / 1000;
        out.write(`${JSON.stringify({ event: "epoch", epoch: epoch + 1, epochs, ...logs, ms: Math.round(ms), samplesPerSecond: rate, elapsed })}\n`);
      }
    },
  };
}
