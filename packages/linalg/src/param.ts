import { BackpropError } from "./errors.js";
import type { Tensor } from "./tensor.js";

/**
 * A trainable tensor of any shape and its gradient: what layers expose and optimizers update.
 *
 * `value` is updated in place by optimizers; `grad` is filled by `backward` (and zeroed before
 * each batch). `name` is a stable path such as `"layers.0.kernel"` under which optimizer state
 * and saved weights are keyed. Set `trainable = false` to freeze it (as the biases of the
 * original step-by-step example are).
 *
 * @example
 * ```ts
 * const w = new Param("layers.0.kernel", Matrix.zeros(2, 3));
 * w.trainable = false; // optimizers skip it
 * ```
 */
export class Param<T extends Tensor = Tensor> {
  /** Stable name used to key optimizer state and saved weights. */
  readonly name: string;
  /** The current value; optimizers update it in place. */
  readonly value: T;
  /** dLoss/dValue, same shape and dtype as `value` (and the same class: a Matrix for a Matrix). */
  readonly grad: T;
  /** When false, optimizers leave this parameter unchanged. */
  trainable: boolean;

  constructor(name: string, value: T, trainable = true) {
    if (typeof name !== "string" || name.length === 0) {
      throw new BackpropError("INVALID_ARGUMENT", "Param: name must be a non-empty string");
    }
    this.name = name;
    this.value = value;
    // NOTE: zerosLike keeps the class, so a Matrix parameter's gradient is a Matrix too.
    this.grad = value.zerosLike() as T;
    this.trainable = trainable;
  }

  /** Sets the gradient to zero. */
  zeroGrad(): void {
    this.grad.data.fill(0);
  }
}
