import type { Sequential, TrainingState } from "@backprop/layers";
import type { OptimizerState } from "@backprop/optimizers";

type Values = Float32Array | Float64Array;

/**
 * The state of a network at the end of its last finished epoch — weights, optimizer state,
 * epoch, step and generator states — kept so that a run stopped mid-epoch (Ctrl-C, SIGTERM) can
 * still save a consistent epoch boundary.
 *
 * Taking it costs O(parameters): the weights are copied into buffers allocated once, and nothing
 * is serialized (the file is written only if the run is stopped). Serializing the model and its
 * history at every epoch end made each epoch cost O(epochs so far), and a run O(epochs²).
 *
 * @example
 * ```ts
 * const boundary = new EpochSnapshot(net);
 * // in onEpochEnd: boundary.take();
 * // after a stop mid-epoch: boundary.restore(); then save net
 * ```
 */
export class EpochSnapshot {
  private readonly weights: Values[] = [];
  private optimizer: OptimizerState | undefined;
  private training: TrainingState | undefined;

  constructor(private readonly net: Sequential) {}

  /** Copies the network's state now (call it at an epoch end). */
  take(): void {
    const params = this.net.params();
    params.forEach((p, i) => {
      const src = p.value.data;
      let dst = this.weights[i];
      if (dst === undefined || dst.length !== src.length || dst.constructor !== src.constructor) {
        dst = src instanceof Float32Array ? new Float32Array(src.length) : new Float64Array(src.length);
        this.weights[i] = dst;
      }
      dst.set(src);
    });
    this.weights.length = params.length;
    this.optimizer = this.net.optimizer?.stateDict();
    this.training = this.net.getTrainingState();
  }

  /**
   * Puts the network back in the state of the last {@link take}: what a file saved now holds.
   * @returns false (and changes nothing) when no snapshot was taken
   */
  restore(): boolean {
    const { training } = this;
    if (training === undefined) return false;
    this.net.params().forEach((p, i) => {
      const saved = this.weights[i];
      if (saved !== undefined) p.value.data.set(saved);
    });
    if (this.optimizer !== undefined) this.net.optimizer?.loadStateDict(this.optimizer);
    this.net.setTrainingState(training);
    return true;
  }
}
