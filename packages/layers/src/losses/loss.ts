import type { JsonObject, Matrix } from "@backprop/linalg";

/**
 * A loss: a scalar measure of how far predictions are from targets, and its gradient.
 *
 * Shapes: `yPred` and `yTrue` are batch×outputs (sparse categorical: `yTrue` is batch×1 of class
 * indices). Losses are averaged over the batch (Keras' default `sum_over_batch_size` reduction),
 * so the gradient carries the 1/batch factor.
 */
export interface Loss {
  /** Registry key, e.g. `"categoricalCrossentropy"`. */
  readonly name: string;
  /** Hyperparameters, e.g. `{ fromLogits: false }`. */
  readonly config: Readonly<JsonObject>;
  /**
   * When true, the loss expects probabilities from a softmax output layer and
   * {@link Loss.softmaxGradient} gives dLoss/dLogits directly (fused, stable: `(p − y)/batch`).
   */
  readonly fusesSoftmax: boolean;
  /** The mean loss of the batch. */
  compute(yPred: Matrix, yTrue: Matrix): number;
  /** dLoss/dyPred into `out` (same shape as yPred), including the 1/batch factor. */
  gradient(yPred: Matrix, yTrue: Matrix, out: Matrix): Matrix;
  /**
   * Only when `fusesSoftmax`: dLoss/dLogits given the softmax probabilities `probs`, into `out`.
   * Skips the softmax Jacobian, which is both faster and stable when a probability underflows.
   */
  softmaxGradient?(probs: Matrix, yTrue: Matrix, out: Matrix): Matrix;
  /**
   * When true, the loss expects probabilities from a sigmoid output layer and
   * {@link Loss.sigmoidGradient} gives dLoss/dLogits directly. Optional: absent means false.
   */
  readonly fusesSigmoid?: boolean;
  /**
   * Only when `fusesSigmoid`: dLoss/dLogits given the sigmoid probabilities `probs`, into `out`
   * (binary cross-entropy: `(p − y)/(batch·outputs)`). A saturated sigmoid has derivative 0, so the
   * unfused chain `dL/dp · p(1−p)` stops learning exactly where the prediction is most wrong.
   */
  sigmoidGradient?(probs: Matrix, yTrue: Matrix, out: Matrix): Matrix;
}
