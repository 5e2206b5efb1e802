import type { Activation } from "@backprop/activations";
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
  /** The mean loss of the batch. */
  compute(yPred: Matrix, yTrue: Matrix): number;
  /** dLoss/dyPred into `out` (same shape as yPred), including the 1/batch factor. */
  gradient(yPred: Matrix, yTrue: Matrix, out: Matrix): Matrix;
  /**
   * Optional: dLoss/dNet of the output layer when it ends in `activation` and this loss fuses with
   * it — cross-entropy after softmax or sigmoid gives `(p − t)/n`, which skips the activation's
   * Jacobian: faster, and stable where a probability saturates (the unfused chain `dL/dp · p(1−p)`
   * stops learning exactly where the prediction is most wrong). Undefined for any other activation.
   * The model asks once per loss; nothing else in the library special-cases an activation.
   */
  fusedGradient?(activation: Activation): FusedGradient | undefined;
}

/** dLoss/dNet into `out` (same shape as `outputs`), given the output activation's values. */
export type FusedGradient = (outputs: Matrix, yTrue: Matrix, out: Matrix) => Matrix;
