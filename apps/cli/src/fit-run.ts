import type { Callback, Sequential } from "@backprop/layers";
import type { Tensor } from "@backprop/linalg";
import { EXIT, cliError } from "./cli-error.js";
import { snapshotModel, writeAtomic, type CliMetadata } from "./model-file.js";
import { progressCallback, type ProgressMode } from "./progress.js";

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
  /** The command that continues an interrupted run from its checkpoint, for the Ctrl-C message. */
  readonly resumeCommand?: string;
  readonly io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream };
}

/** How a run ended: the history (previous runs' included) and, after Ctrl-C, the exit code. */
export interface FitResult {
  readonly history: Record<string, number[]>;
  readonly seconds: number;
  /** Set after Ctrl-C (the last finished epoch was saved if there is a save path). */
  readonly interrupted?: number;
  /** The metadata with the full history, as saved. */
  readonly meta: CliMetadata;
}

/**
 * Trains with progress output and checkpoints, as every `backprop train*` command does: an
 * in-memory snapshot at each epoch end (so Ctrl-C can save a consistent epoch boundary), written
 * atomically every `checkpointEvery` epochs; the writes are chained so two never race on one file.
 */
export async function fitWithCheckpoints(run: FitRun): Promise<FitResult> {
  const { net, io, savePath, checkpointEvery } = run;
  if (checkpointEvery !== undefined && !savePath) throw cliError("--checkpoint-every needs --save <path> (checkpoints are written there)");
  const history: Record<string, number[]> = Object.fromEntries(Object.entries(run.meta.history).map(([k, v]) => [k, [...v]]));
  const withHistory = (): CliMetadata => ({ ...run.meta, history });
  let snapshot: { epoch: number; bytes: Uint8Array } | undefined;
  let writes: Promise<unknown> = Promise.resolve();
  const checkpoints: Callback = {
    onEpochEnd(_epoch, logs) {
      for (const [k, v] of Object.entries(logs)) (history[k] ??= []).push(v);
      snapshot = { epoch: net.epoch, bytes: snapshotModel(net, withHistory()) };
      if (savePath && checkpointEvery && net.epoch % checkpointEvery === 0) {
        const bytes = snapshot.bytes;
        writes = writes.then(() => writeAtomic(savePath, bytes));
      }
    },
  };
  let interrupted = false;
  const onSigint = () => {
    if (interrupted) process.exit(EXIT.interrupted);
    interrupted = true;
    net.stopTraining = true;
  };
  process.on("SIGINT", onSigint);
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
        progressCallback({ mode: run.mode, epochs: run.epochs, initialEpoch: net.epoch, samplesPerEpoch: samples, batchSize: run.batchSize, metric: run.metric, out: io.stdout }),
        checkpoints,
        ...(run.callbacks ?? []),
      ],
    });
  } finally {
    process.off("SIGINT", onSigint);
  }
  await writes;
  const seconds = (performance.now() - started) / 1000;
  if (!interrupted) return { history, seconds, meta: withHistory() };
  if (run.mode === "bar") io.stdout.write("\n");
  if (savePath && snapshot) {
    await writeAtomic(savePath, snapshot.bytes);
    const resume = run.resumeCommand ? `; continue with: ${run.resumeCommand}` : "";
    io.stderr.write(`interrupted: checkpoint of epoch ${snapshot.epoch} saved to ${savePath}${resume}\n`);
  } else {
    io.stderr.write(`interrupted${savePath ? " before the first epoch ended: nothing saved" : ": nothing saved (no --save path)"}\n`);
  }
  return { history, seconds, interrupted: EXIT.interrupted, meta: withHistory() };
}
