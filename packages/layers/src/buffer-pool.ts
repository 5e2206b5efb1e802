import { Matrix, Tensor, type DType, type Shape } from "@backprop/linalg";

/**
 * Per-batch-size scratch tensors of one per-sample shape, owned by a layer or the model. A training
 * run sees one or two batch sizes (full batches and the last partial one), so after the first
 * epoch nothing is allocated. Each tensor comes with its 2-D view (`matrix`), made once: for a
 * one-axis sample shape the two are the same Matrix.
 */
export class BufferPool {
  private readonly sampleShape: Shape;
  private readonly sampleSize: number;
  private readonly byRows = new Map<number, { tensor: Tensor; matrix: Matrix }>();
  // The last size asked for: a training loop asks for the same one every batch, so this skips the map.
  private lastRows = -1;
  private lastTensor: Tensor | undefined;
  private lastMatrix: Matrix | undefined;

  /**
   * @param sample - the shape of one sample, or its width for `[width]`
   * @param dtype - element type of every buffer
   */
  constructor(
    sample: Shape | number,
    private readonly dtype: DType,
  ) {
    this.sampleShape = typeof sample === "number" ? [sample] : sample.slice();
    this.sampleSize = this.sampleShape.reduce((n, d) => n * d, 1);
  }

  /** A `[batch, ...sample]` tensor, reused for every call with the same batch size. */
  get(batch: number): Tensor {
    if (batch !== this.lastRows) this.select(batch);
    return this.lastTensor as Tensor;
  }

  /** The 2-D view (last axis as columns) of {@link BufferPool.get}'s tensor for this batch size. */
  matrix(batch: number): Matrix {
    if (batch !== this.lastRows) this.select(batch);
    return this.lastMatrix as Matrix;
  }

  private select(batch: number): void {
    let entry = this.byRows.get(batch);
    if (!entry) {
      const tensor =
        this.sampleShape.length === 1
          ? new Matrix(batch, this.sampleSize, this.dtype)
          : new Tensor([batch, ...this.sampleShape], this.dtype);
      entry = { tensor, matrix: tensor.asMatrix() };
      this.byRows.set(batch, entry);
    }
    this.lastRows = batch;
    this.lastTensor = entry.tensor;
    this.lastMatrix = entry.matrix;
  }
}
