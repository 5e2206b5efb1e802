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
 * Values per epoch (one or more series), kept at a bounded size however long training runs: it
 * records every `stride`-th epoch, and when full drops every other point and doubles the stride.
 * So it holds between `capacity / 2` and `capacity` points spread evenly over all epochs so far,
 * and copying it to the page costs the same at epoch 100 and at epoch 10⁶.
 *
 * @example
 * ```ts
 * const h = new BoundedSeries(2, 4);
 * for (let e = 0; e <= 10; e++) h.push(e, [e, -e]);
 * h.epochs(); // [0, 4, 8]
 * h.series(1); // [-0, -4, -8]
 * ```
 */
export class BoundedSeries {
  private kept: number[] = [];
  private values: number[][];
  private stride = 1;

  constructor(
    readonly count: number,
    readonly capacity = HISTORY_POINTS,
  ) {
    if (!Number.isInteger(capacity) || capacity < 2) throw new RangeError(`BoundedSeries: capacity must be an integer ≥ 2 (got ${capacity})`);
    this.values = Array.from({ length: count }, () => []);
  }

  /** Records the values after `epoch` (kept when the epoch falls on the current stride). */
  push(epoch: number, values: readonly number[]): void {
    if (epoch % this.stride !== 0) return;
    if (this.kept.length >= this.capacity) {
      this.stride *= 2;
      const keep = (_: number, i: number): boolean => (this.kept[i] as number) % this.stride === 0;
      this.values = this.values.map((series) => series.filter(keep));
      this.kept = this.kept.filter((e) => e % this.stride === 0);
      if (epoch % this.stride !== 0) return;
    }
    this.kept.push(epoch);
    this.values.forEach((series, i) => series.push(values[i] ?? Number.NaN));
  }

  /** Number of points held. */
  get length(): number {
    return this.kept.length;
  }

  /** A copy of the epochs kept. */
  epochs(): number[] {
    return this.kept.slice();
  }

  /** A copy of series `i`. */
  series(i: number): number[] {
    return (this.values[i] ?? []).slice();
  }
}

/** The training and test loss per epoch, bounded in size (see {@link BoundedSeries}). */
export class LossHistory {
  private readonly points: BoundedSeries;

  constructor(readonly capacity = HISTORY_POINTS) {
    if (!Number.isInteger(capacity) || capacity < 2) throw new RangeError(`LossHistory: capacity must be an integer ≥ 2 (got ${capacity})`);
    this.points = new BoundedSeries(2, capacity);
  }

  /** Records the losses after `epoch` (kept when the epoch falls on the current stride). */
  push(epoch: number, train: number, test: number): void {
    this.points.push(epoch, [train, test]);
  }

  /** Number of points held. */
  get length(): number {
    return this.points.length;
  }

  /** A copy of the points, for a message to the page. */
  curve(): LossCurve {
    return { epochs: this.points.epochs(), train: this.points.series(0), test: this.points.series(1) };
  }
}
