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
  if (!Number.isFinite(ms)) return "?";
  const s = Math.round(ms / 1000);
  return s >= 3600 ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m` : s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s` : `${s}s`;
}

/**
 * A training callback that reports each epoch: a redrawn progress bar with loss, metric, ETA and
 * samples/s on a terminal, one plain line per epoch otherwise, or one JSON record per epoch.
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
  let epochStart = 0;
  let trainStart = 0;
  let lastDraw = 0;
  let runningLoss = 0;
  let seen = 0;
  let current = initialEpoch; // the epoch being trained: one past the last finished one
  const width = 24;
  const bar = (done: number, epoch: number, logs: Logs, final: boolean) => {
    const elapsed = performance.now() - epochStart;
    const fraction = done / batches;
    const filled = Math.round(fraction * width);
    const perSample = elapsed / Math.max(1, seen);
    const total = performance.now() - trainStart;
    const epochsDone = epoch - initialEpoch + fraction;
    const eta = epochsDone > 0 ? (total / epochsDone) * (epochs - initialEpoch - epochsDone) : Number.NaN;
    const rate = perSample > 0 ? Math.round(1000 / perSample) : 0;
    const parts = [
      `epoch ${String(epoch + 1).padStart(String(epochs).length)}/${epochs}`,
      `[${"=".repeat(Math.max(0, filled - 1))}${filled > 0 ? (final ? "=" : ">") : ""}${" ".repeat(width - filled)}]`,
      `loss ${fmt(logs["loss"])}`,
      ...(logs[metric] !== undefined ? [`${metric} ${fmt(logs[metric])}`] : []),
      ...(logs["val_loss"] !== undefined ? [`val_loss ${fmt(logs["val_loss"])}`] : []),
      ...(logs[`val_${metric}`] !== undefined ? [`val_${metric} ${fmt(logs[`val_${metric}`])}`] : []),
      `ETA ${duration(eta)}`,
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
      if (mode !== "bar") return;
      const now = performance.now();
      if (now - lastDraw < 100 && batch + 1 < batches) return;
      lastDraw = now;
      bar(batch + 1, current, { loss: runningLoss / Math.max(1, seen) }, false);
    },
    onEpochEnd(epoch, logs) {
      current = epoch + 1;
      const ms = performance.now() - epochStart;
      const rate = Math.round((samplesPerEpoch / ms) * 1000);
      if (mode === "bar") bar(batches, epoch, logs, true);
      else if (mode === "lines") {
        const values = Object.entries(logs).map(([k, v]) => `${k} ${fmt(v)}`).join("  ");
        out.write(`epoch ${epoch + 1}/${epochs}  ${values}  ${Math.round(ms)}ms  ${rate} samples/s\n`);
      } else if (mode === "json") {
        out.write(`${JSON.stringify({ event: "epoch", epoch: epoch + 1, epochs, ...logs, ms: Math.round(ms), samplesPerSecond: rate })}\n`);
      }
    },
  };
}
