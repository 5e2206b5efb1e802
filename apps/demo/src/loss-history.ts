/** A down-sampled loss curve: the epochs kept and the training and test loss at each. */
export interface LossCurve {
  /** Epoch of each point, increasing; the first is 0 (before training). */
  readonly epochs: readonly number[];
  readonly train: readonly number[];
  readonly test: readonly number[];
}

/** Points a {@link LossHistory} keeps at most by default: plenty for a chart 600 px wide. */
export const HISTORY_POINTS = 512;

/**
 * The loss per epoch, kept at a bounded size however long training runs: it records every
 * `stride`-th epoch, and when full drops every other point and doubles the stride. So it holds
 * between `capacity / 2` and `capacity` points spread evenly over all epochs so far, and copying
 * it to the page costs the same at epoch 100 and at epoch 10⁶.
 *
 * @example
 * ```ts
 * const h = new LossHistory(4);
 * for (let e = 0; e <= 10; e++) h.push(e, 1 / (e + 1), 1 / (e + 1));
 * h.curve().epochs; // [0, 4, 8]
 * ```
 */
export class LossHistory {
  private epochs: number[] = [];
  private train: number[] = [];
  private test: number[] = [];
  private stride = 1;

  constructor(readonly capacity = HISTORY_POINTS) {
    if (!Number.isInteger(capacity) || capacity < 2) throw new RangeError(`LossHistory: capacity must be an integer ≥ 2 (got ${capacity})`);
  }

  /** Records the losses after `epoch` (kept when the epoch falls on the current stride). */
  push(epoch: number, train: number, test: number): void {
    if (epoch % this.stride !== 0) return;
    if (this.epochs.length >= this.capacity) {
      this.stride *= 2;
      const keep = (_: number, i: number): boolean => (this.epochs[i] as number) % this.stride === 0;
      this.train = this.train.filter(keep);
      this.test = this.test.filter(keep);
      this.epochs = this.epochs.filter((e) => e % this.stride === 0);
      if (epoch % this.stride !== 0) return;
    }
    this.epochs.push(epoch);
    this.train.push(train);
    this.test.push(test);
  }

  /** Number of points held. */
  get length(): number {
    return this.epochs.length;
  }

  /** A copy of the points, for a message to the page. */
  curve(): LossCurve {
    return { epochs: this.epochs.slice(), train: this.train.slice(), test: this.test.slice() };
  }
}
