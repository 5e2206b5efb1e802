import { readConfig, sizeOf, type JsonObject, type Shape } from "@backprop/linalg";
import { checkInputShape } from "./input-shape.js";
import { ViewLayer, inputShapeField } from "./reshape.js";

/**
 * Options of {@link Flatten}.
 * @example
 * ```ts
 * const config: FlattenConfig = { inputShape: [28, 28, 1] };
 * ```
 */
export interface FlattenConfig {
  /** Per-sample input shape, when this is the model's first layer. */
  readonly inputShape?: readonly number[] | null;
  /** Layer name, assigned by the model when omitted. */
  readonly name?: string;
}

/**
 * Flattens each sample to one axis, in row-major order as Keras / TensorFlow.js with channels last:
 * `[d₁, d₂, …, dₖ]` → `[d₁·d₂·…·dₖ]`, so element `(i, j, k)` of an `[h, w, c]` image lands at
 * `(i·w + j)·c + k`. The batch axis is left alone.
 *
 * Forward and backward are views (`Tensor.reshape`): no copy; `dL/dx` is `dL/dy` read in the input's
 * shape. The bridge from convolution and pooling layers to `Dense`.
 *
 * @example
 * ```ts
 * const model = new Sequential([
 *   new MaxPooling2D({ inputShape: [28, 28, 1] }), // → [14, 14, 1]
 *   new Flatten(),                                 // → [196]
 *   new Dense({ units: 10, activation: "softmax" }),
 * ]);
 * ```
 */
export class Flatten extends ViewLayer {
  /** Registry name of this layer type. */
  readonly className = "flatten";

  constructor(config: FlattenConfig = {}) {
    const c = readConfig("Flatten", config, {
      inputShape: inputShapeField("Flatten"),
      name: { type: "string", optional: true, nullable: true },
    });
    super(c.name ?? "flatten", c.inputShape);
  }

  /** `[product of the input shape]`. */
  computeOutputShape(inputShape: Shape): Shape {
    checkInputShape(this.name, inputShape, 1);
    return [sizeOf(inputShape)];
  }

  /** `{ name, inputShape? }`. */
  getConfig(): JsonObject {
    return { name: this.name, ...(this.inputShape ? { inputShape: [...this.inputShape] } : {}) };
  }
}
