import { Matrix, type DType } from "@backprop/linalg";

/**
 * Per-batch-size scratch matrices owned by a layer. A training run sees one or two batch sizes
 * (full batches and the last partial one), so after the first epoch nothing is allocated.
 */
export class BufferPool {
  private readonly byRows = new Map<number, Matrix>();

  constructor(
    private readonly cols: number,
    private readonly dtype: DType,
  ) {}

  /** The rows×cols buffer of this pool, allocated on first use. Contents are stale. */
  get(rows: number): Matrix {
    let m = this.byRows.get(rows);
    if (!m) {
      m = new Matrix(rows, this.cols, this.dtype);
      this.byRows.set(rows, m);
    }
    return m;
  }
}
