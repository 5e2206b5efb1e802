import { Matrix, type DType } from "@backprop/linalg";

/**
 * Per-batch-size scratch matrices owned by a layer. A training run sees one or two batch sizes
 * (full batches and the last partial one), so after the first epoch nothing is allocated.
 */
export class BufferPool {
  private readonly byRows = new Map<number, Matrix>();
  // The last size asked for: a training loop asks for the same one every batch, so this skips the map.
  private lastRows = -1;
  private last: Matrix | undefined;

  constructor(
    private readonly cols: number,
    private readonly dtype: DType,
  ) {}

  /** The rows×cols buffer of this pool, allocated on first use. Contents are stale. */
  get(rows: number): Matrix {
    if (rows === this.lastRows) return this.last as Matrix;
    let m = this.byRows.get(rows);
    if (!m) {
      m = new Matrix(rows, this.cols, this.dtype);
      this.byRows.set(rows, m);
    }
    this.lastRows = rows;
    this.last = m;
    return m;
  }
}
