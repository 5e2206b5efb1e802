import { writeAtomic } from "./model-file.js";
import { removeStaleTempFiles } from "./temp-files.js";

/**
 * Writes a run's checkpoints to one path in the background, one write at a time: a checkpoint
 * queued while another is being written replaces any older one still waiting, so a slow disk
 * holds at most two checkpoints in memory and the file always ends at the newest. Before each
 * write, the temporary files that killed writers left beside the path are removed.
 * @example
 * ```ts
 * const writer = new CheckpointWriter("m.json", (epoch) => console.error(`checkpoint: epoch ${epoch}`));
 * writer.write(5, bytes);
 * await writer.flush();
 * ```
 */
export class CheckpointWriter {
  private waiting: { epoch: number; bytes: Uint8Array } | undefined;
  private running: Promise<void> | undefined;
  private failure: { error: unknown } | undefined;

  /**
   * @param path - the file the checkpoints replace
   * @param written - called after each completed write with the checkpoint's epoch
   */
  constructor(
    readonly path: string,
    private readonly written: (epoch: number) => void = () => {},
  ) {}

  /** Queues the bytes of the checkpoint after `epoch` epochs (dropped after a failed write). */
  write(epoch: number, bytes: Uint8Array): void {
    if (this.failure) return;
    this.waiting = { epoch, bytes };
    this.running ??= this.drain();
  }

  /**
   * Resolves when every queued checkpoint is written.
   * @throws the error of the first write that failed (e.g. the disk is full)
   */
  async flush(): Promise<void> {
    await this.running;
    if (this.failure) throw this.failure.error;
  }

  private async drain(): Promise<void> {
    try {
      for (let next = this.waiting; next; next = this.waiting) {
        this.waiting = undefined;
        await removeStaleTempFiles(this.path);
        await writeAtomic(this.path, next.bytes);
        this.written(next.epoch);
      }
    } catch (error) {
      this.failure = { error };
      this.waiting = undefined;
    } finally {
      this.running = undefined;
    }
  }
}
