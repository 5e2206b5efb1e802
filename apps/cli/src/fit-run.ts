import type { Callback, Sequential } from "@backprop/layers";
import type { Tensor } from "@backprop/linalg";
import { EXIT, cliError } from "./cli-error.js";
import { CheckpointWriter } from "./checkpoint-writer.js";
import { EpochSnapshot } from "./epoch-snapshot.js";
import { saveWithMetadata, snapshotFormatFor, snapshotModel, writeAtomic, type CliMetadata } from "./model-file.js";
import { progressCallback, type ProgressMode } from "./progress.js";
import { removeStaleTempFiles } from "./temp-files.js";

/** What {@link fitWithCheckpoints} needs: the compiled network, its data and the run's options. */
export interface FitRun {
  readonly net: Sequential;
  readonly x: Tensor;
  readonly y: Tensor;
  readonly validation?: [Tensor, Tensor] | undefined;
  readonly epochs: number;
  readonly batchSize: number;
  readonly shuffle: boolean;
  /** Saved with every checkpoint, with the loss history so far. */
  readonly meta: CliMetadata;
  readonly savePath?: string | undefined;
  readonly checkpointEvery?: number | undefined;
  readonly mode: ProgressMode;
  /** The metric the progress output shows besides the loss. */
  readonly metric: string;
  /** Callbacks run after the progress output of each epoch (e.g. printing a text sample). */
  readonly callbacks?: Callback[];
  /** The command that continues an interrupted run from its checkpoint, for the Ctrl-C/SIGTERM message. */
  readonly resumeCommand?: string;
  readonly io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream };
}

/** How a run ended: the history (previous runs' included) and, after Ctrl-C or SIGTERM, the exit code. */
export interface FitResult {
  readonly history: Record<string, number[]>;
  readonly seconds: number;
  /**
   * Set when a signal stopped the run — {@link EXIT}.interrupted (130) after Ctrl-C,
   * {@link EXIT}.terminated (143) after SIGTERM; the last finished epoch was saved if there is a
   * save path.
   */
  readonly interrupted?: number;
  /** The metadata with the full history, as saved. */
  readonly meta: CliMetadata;
}

/** The signals that stop a run the way Ctrl-C does, with their exit codes and words. */
const STOP_SIGNALS = [
  { signal: "SIGINT", code: EXIT.interrupted, word: "interrupted" },
  { signal: "SIGTERM", code: EXIT.terminated, word: "terminated" },
] as const;

/**
 * Trains with progress output and checkpoints, as every `backprop train*` command does.
 *
 * Per epoch the work is O(parameters), whatever the history's length: the end of each epoch is
 * kept in an {@link EpochSnapshot} (copies of the weights and optimizer state, nothing
 * serialized), so that a run stopped mid-epoch by Ctrl-C or SIGTERM saves a consistent epoch
 * boundary and exits 130 or 143. Every `checkpointEvery` epochs the model is serialized and
 * written atomically in the background ({@link CheckpointWriter}: one write at a time, the newest
 * wins), and a line (a JSON record with `--json`) says so. Temporary files that killed writers
 * left beside the save path are removed before the first write.
 */
export async function fitWithCheckpoints(run: FitRun): Promise<FitResult> {
  const { net, io, savePath, checkpointEvery, mode } = run;
  if (checkpointEvery !== undefined && !savePath) throw cliError("--checkpoint-every needs --save <path> (checkpoints are written there)");
  const snapshotFormat = savePath ? snapshotFormatFor(savePath) : "json";
  if (checkpointEvery !== undefined && savePath && !snapshotFormat) {
    throw cliError(`--checkpoint-every: ${savePath} is an ONNX or TF.js path, formats that keep no training state to resume from`, "INVALID_ARGUMENT", "save checkpoints as .json or .safetensors, and convert the result afterwards");
  }
  const history: Record<string, number[]> = Object.fromEntries(Object.entries(run.meta.history).map(([k, v]) => [k, [...v]]));
  const withHistory = (): CliMetadata => ({ ...run.meta, history });
  /** After each checkpoint write: a line of the progress output, or a JSON record. */
  const written = (path: string) => (epoch: number) => {
    if (mode === "json") io.stdout.write(`${JSON.stringify({ event: "checkpoint", epoch, path })}\n`);
    // NOTE: in bar mode the line replaces the bar being drawn; the next batch redraws the bar.
    else if (mode !== "quiet") io.stdout.write(`${mode === "bar" ? "\r\x1b[2K" : ""}checkpoint: epoch ${epoch} saved to ${path}\n`);
  };
  if (savePath) await removeStaleTempFiles(savePath);
  const writer = savePath ? new CheckpointWriter(savePath, written(savePath)) : undefined;
  // Only a run that saves needs the last epoch boundary.
  const boundary = savePath ? new EpochSnapshot(net) : undefined;
  const checkpoints: Callback = {
    onEpochEnd(_epoch, logs) {
      for (const k in logs) (history[k] ??= []).push(logs[k] as number);
      boundary?.take();
      if (writer && checkpointEvery && net.epoch % checkpointEvery === 0) {
        // The live model is at the epoch boundary now: serialize it before the next batch.
        writer.write(net.epoch, snapshotModel(net, withHistory(), snapshotFormat));
      }
    },
  };
  let stoppedBy: (typeof STOP_SIGNALS)[number] | undefined;
  const handlers = STOP_SIGNALS.map((s) => {
    const handler = () => {
      // A second signal does not wait for the save.
      if (stoppedBy) process.exit(s.code);
      stoppedBy = s;
      net.stopTraining = true;
    };
    process.on(s.signal, handler);
    return () => process.off(s.signal, handler);
  });
  const samples = run.x.shape[0] as number;
  const started = performance.now();
  try {
    await net.fitAsync(run.x, run.y, {
      epochs: run.epochs,
      initialEpoch: net.epoch,
      batchSize: run.batchSize,
      shuffle: run.shuffle,
      yieldEvery: "batch",
      ...(run.validation ? { validationData: run.validation } : {}),
      callbacks: [
        progressCallback({ mode, epochs: run.epochs, initialEpoch: net.epoch, samplesPerEpoch: samples, batchSize: run.batchSize, metric: run.metric, out: io.stdout }),
        checkpoints,
        ...(run.callbacks ?? []),
      ],
    });
  } finally {
    handlers.forEach((off) => off());
  }
  await writer?.flush();
  const seconds = (performance.now() - started) / 1000;
  if (!stoppedBy) return { history, seconds, meta: withHistory() };
  const { word, code, signal } = stoppedBy;
  if (mode === "bar") io.stdout.write("\n");
  // The history holds the finished epochs only, as the snapshot does.
  if (savePath && boundary?.restore()) {
    await removeStaleTempFiles(savePath);
    // ONNX and TF.js (a folder) are written by the format's own saver; they keep the weights only.
    if (snapshotFormat) await writeAtomic(savePath, snapshotModel(net, withHistory(), snapshotFormat));
    else await saveWithMetadata(net, savePath, withHistory());
    const resume = run.resumeCommand ? `; continue with: ${run.resumeCommand}` : "";
    if (mode === "json") io.stdout.write(`${JSON.stringify({ event: word, signal, epoch: net.epoch, saved: [savePath] })}\n`);
    io.stderr.write(`${word}: checkpoint of epoch ${net.epoch} saved to ${savePath}${resume}\n`);
  } else {
    if (mode === "json") io.stdout.write(`${JSON.stringify({ event: word, signal, epoch: net.epoch, saved: [] })}\n`);
    io.stderr.write(`${word}${savePath ? " before the first epoch ended: nothing saved" : ": nothing saved (no --save path)"}\n`);
  }
  return { history, seconds, interrupted: code, meta: withHistory() };
}
