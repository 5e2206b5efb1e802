import type { FloatArray, JsonObject, Shape } from "@backprop/linalg";
import type { BuildContext } from "../layer.js";
import {
  PoolingLayer,
  avgPool2dBackward,
  avgPool2dForward,
  poolGeometry,
  readPooling2DConfig,
  type PoolGeometry,
  type PoolPadding,
  type Pooling2DConfig,
} from "./pool2d.js";

/**
 * Options of {@link AveragePooling2D}: `poolSize` (default 2), `strides` (default the pool size),
 * `padding` (default `"valid"`), `inputShape`, `name`.
 * @example
 * ```ts
 * const config: AveragePooling2DConfig = { poolSize: 3, strides: 2, padding: "same" };
 * ```
 */
export type AveragePooling2DConfig = Pooling2DConfig;

/**
 * Average pooling over 2-D windows of channels-last images (Keras' / TensorFlow.js'
 * `AveragePooling2D`): `[h, w, c]` per sample → `[oh, ow, c]`, each channel on its own.
 *
 * - Forward: `y[i, j, c] = (1/n(i, j)) Σ_{(p, q) ∈ window(i, j)} x[p, q, c]`, where `n(i, j)` counts
 *   the window's cells inside the input.
 * - Backward: every cell of window (i, j) receives `dL/dy[i, j, c] / n(i, j)`, summed over the
 *   windows that cover it.
 *
 * With `padding: "same"`, windows at the edges overhang the input (the odd padded cell at the
 * bottom/right) and `n` is smaller than the window: padded cells are not counted, as TensorFlow does (not zeros averaged in, as
 * PyTorch's default `count_include_pad`). With `"valid"` (default) every window is full. No
 * parameters; output and gradient buffers are allocated once per batch size.
 *
 * @see LeCun et al. 1998, "Gradient-Based Learning Applied to Document Recognition" (subsampling layers)
 * @example
 * ```ts
 * const pool = new AveragePooling2D({ poolSize: [3, 3], strides: 2, padding: "same" });
 * pool.computeOutputShape([7, 7, 8]); // [4, 4, 8]
 * ```
 */
export class AveragePooling2D extends PoolingLayer {
  /** Registry name of this layer type. */
  readonly className = "averagePooling2d";
  /** Window size `[height, width]`. */
  readonly poolSize: readonly [number, number];
  /** Step between windows `[height, width]`. */
  readonly strides: readonly [number, number];
  /** Border mode. */
  readonly padding: PoolPadding;
  // Per-channel float64 sums (forward) and shares (backward) of one window, made at build.
  private scratch: Float64Array | undefined;

  constructor(config: AveragePooling2DConfig = {}) {
    const options = readPooling2DConfig("AveragePooling2D", config);
    super(options.name ?? "averagePooling2d", options.inputShape);
    this.poolSize = options.poolSize;
    this.strides = options.strides;
    this.padding = options.padding;
    if (this.inputShape) this.geometryFor(this.inputShape);
  }

  protected geometryFor(inputShape: Shape): PoolGeometry {
    return poolGeometry(this.name, inputShape, this.poolSize, this.strides, this.padding);
  }

  protected outputShapeOf(g: PoolGeometry): Shape {
    return [g.outHeight, g.outWidth, g.channels];
  }

  protected setUp(g: PoolGeometry, _ctx: BuildContext): void {
    this.scratch = new Float64Array(g.channels);
  }

  protected poolForward(x: FloatArray, y: FloatArray, batch: number, g: PoolGeometry): void {
    avgPool2dForward(x, y, batch, g, this.scratch as Float64Array);
  }

  protected poolBackward(dy: FloatArray, dx: FloatArray, batch: number, g: PoolGeometry): void {
    avgPool2dBackward(dy, dx, batch, g, this.scratch as Float64Array);
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
