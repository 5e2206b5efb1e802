import { BackpropError, type FloatArray, type JsonObject, type Shape, type Tensor } from "@backprop/linalg";
import type { BuildContext } from "../layer.js";
import {
  IndexPool,
  PoolingLayer,
  maxPool2dBackward,
  maxPool2dForward,
  poolGeometry,
  readPooling2DConfig,
  type PoolGeometry,
  type PoolPadding,
  type Pooling2DConfig,
} from "./pool2d.js";

/**
 * Options of {@link MaxPooling2D}: `poolSize` (default 2), `strides` (default the pool size),
 * `padding` (default `"valid"`), `inputShape`, `name`.
 * @example
 * ```ts
 * const config: MaxPooling2DConfig = { poolSize: [2, 2], strides: 1, padding: "same" };
 * ```
 */
export type MaxPooling2DConfig = Pooling2DConfig;

/**
 * Max pooling over 2-D windows of channels-last images (Keras' / TensorFlow.js' `MaxPooling2D`):
 * `[h, w, c]` per sample → `[oh, ow, c]`, each channel on its own.
 *
 * - Forward: `y[i, j, c] = max_{(p, q) ∈ window(i, j)} x[p, q, c]`, where window (i, j) starts at
 *   row `i·strideH − padTop` and column `j·strideW − padLeft`. The index of the winner is recorded
 *   (the first maximum in row-major window order on ties, as TensorFlow).
 * - Backward: `dL/dx[p, q, c] = Σ dL/dy[i, j, c]` over the windows whose winner is `(p, q, c)`;
 *   every other input gets 0.
 *
 * With `padding: "same"` the output is `⌈in/stride⌉` and padded cells never win (see
 * {@link PoolPadding}); with `"valid"` (default) it is `⌊(in − pool)/stride⌋ + 1`. No parameters;
 * output, gradient and argmax buffers are allocated once per batch size.
 *
 * @see Scherer, Müller & Behnke 2010, "Evaluation of Pooling Operations in Convolutional Architectures for Object Recognition"
 * @example
 * ```ts
 * const model = new Sequential([
 *   new MaxPooling2D({ poolSize: 2, inputShape: [28, 28, 1] }), // → [14, 14, 1]
 *   new Flatten(),                                              // → [196]
 *   new Dense({ units: 10, activation: "softmax" }),
 * ]);
 * ```
 */
export class MaxPooling2D extends PoolingLayer {
  /** Registry name of this layer type. */
  readonly className = "maxPooling2d";
  /** Window size `[height, width]`. */
  readonly poolSize: readonly [number, number];
  /** Step between windows `[height, width]`. */
  readonly strides: readonly [number, number];
  /** Border mode. */
  readonly padding: PoolPadding;
  private indices: IndexPool | undefined;
  private argmax: Int32Array | undefined;

  constructor(config: MaxPooling2DConfig = {}) {
    const options = readPooling2DConfig("MaxPooling2D", config);
    super(options.name ?? "maxPooling2d", options.inputShape);
    this.poolSize = options.poolSize;
    this.strides = options.strides;
    this.padding = options.padding;
    // A configured input shape is checked now, not when the model is built.
    if (this.inputShape) this.geometryFor(this.inputShape);
  }

  protected geometryFor(inputShape: Shape): PoolGeometry {
    return poolGeometry(this.name, inputShape, this.poolSize, this.strides, this.padding);
  }

  protected outputShapeOf(g: PoolGeometry): Shape {
    return [g.outHeight, g.outWidth, g.channels];
  }

  protected setUp(g: PoolGeometry, _ctx: BuildContext): void {
    this.indices = new IndexPool(g.outHeight * g.outWidth * g.channels);
  }

  protected poolForward(x: FloatArray, y: FloatArray, batch: number, g: PoolGeometry, inference: boolean): void {
    // Inference needs the maxima only: no winners to remember for a backward pass.
    const argmax = inference ? undefined : (this.indices as IndexPool).get(batch);
    maxPool2dForward(x, y, argmax, batch, g);
    this.argmax = argmax;
  }

  /**
   * The geometry and output buffer for `batch` samples of a fused inference pass that fills the
   * buffer itself (the convolution before this layer, see `Conv2D.inferThrough`), which then
   * stands as this layer's last output; undefined before the layer is built. Internal.
   */
  fusedInferenceTarget(batch: number): { geometry: PoolGeometry; output: Tensor } | undefined {
    const geometry = this.geometry;
    if (!geometry) return undefined;
    const output = this.acceptOutput(batch);
    this.argmax = undefined;
    return { geometry, output };
  }

  protected poolBackward(dy: FloatArray, dx: FloatArray, _batch: number, _g: PoolGeometry): void {
    if (!this.argmax) {
      throw new BackpropError("INVALID_STATE", `${this.name}.backward: the last forward was an inference pass (training: false)`, {
        hint: "run forward(x, { training: true }) before backward, as fit and trainOnBatch do",
      });
    }
    maxPool2dBackward(dy, this.argmax, dx);
  }

  /** `{ name, poolSize, strides, padding, inputShape? }`, sizes as `[height, width]`. */
  getConfig(): JsonObject {
    return {
      name: this.name,
      poolSize: [...this.poolSize],
      strides: [...this.strides],
      padding: this.padding,
      ...(this.inputShape ? { inputShape: [...this.inputShape] } : {}),
    };
  }
}
