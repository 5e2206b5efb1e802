import { readConfig, type FloatArray, type JsonObject, type Shape } from "@backprop/linalg";
import type { BuildContext } from "../layer.js";
import {
  IndexPool,
  PoolingLayer,
  avgPool2dBackward,
  avgPool2dForward,
  checkImageShape,
  imageInputShapeField,
  maxPool2dBackward,
  maxPool2dForward,
  type PoolGeometry,
} from "./pool2d.js";

/**
 * Options of {@link GlobalAveragePooling2D} and {@link GlobalMaxPooling2D}.
 * @example
 * ```ts
 * const config: GlobalPooling2DConfig = { inputShape: [7, 7, 64] };
 * ```
 */
export interface GlobalPooling2DConfig {
  /** Per-sample input shape `[height, width, channels]`, when this is the model's first layer. */
  readonly inputShape?: readonly number[] | null;
  /** Layer name, assigned by the model when omitted. */
  readonly name?: string;
}

function readGlobalConfig(where: string, config: GlobalPooling2DConfig | undefined): { inputShape: Shape | undefined; name: string | undefined } {
  return readConfig(where, config, {
    inputShape: imageInputShapeField(where),
    name: { type: "string", optional: true, nullable: true },
  });
}

/**
 * A global pool is one window the size of the image: the 2-D kernels with that geometry write one
 * value per channel, and `[n, 1, 1, c]` is laid out exactly as `[n, c]`.
 */
function globalGeometry(layer: string, inputShape: Shape): PoolGeometry {
  checkImageShape(layer, inputShape);
  const [h, w, c] = inputShape as readonly [number, number, number];
  return {
    inHeight: h,
    inWidth: w,
    channels: c,
    poolHeight: h,
    poolWidth: w,
    strideHeight: h,
    strideWidth: w,
    outHeight: 1,
    outWidth: 1,
    padTop: 0,
    padLeft: 0,
  };
}

function globalConfig(layer: PoolingLayer): JsonObject {
  return { name: layer.name, ...(layer.inputShape ? { inputShape: [...layer.inputShape] } : {}) };
}

/**
 * The mean of each channel over the whole image (Keras' / TensorFlow.js'
 * `GlobalAveragePooling2D`): `[h, w, c]` per sample → `[c]`.
 *
 * - Forward: `y[c] = (1/(h·w)) Σ_{p, q} x[p, q, c]` (summed in float64, rounded once).
 * - Backward: `dL/dx[p, q, c] = dL/dy[c] / (h·w)`.
 *
 * The usual head of a convolutional network in place of Flatten: no parameters, and the same
 * number of features whatever the image size.
 *
 * @see Lin, Chen & Yan 2013, "Network In Network"
 * @example
 * ```ts
 * new Sequential([new GlobalAveragePooling2D({ inputShape: [7, 7, 64] }), new Dense({ units: 10, activation: "softmax" })]);
 * ```
 */
export class GlobalAveragePooling2D extends PoolingLayer {
  /** Registry name of this layer type. */
  readonly className = "globalAveragePooling2d";
  private scratch: Float64Array | undefined;

  constructor(config: GlobalPooling2DConfig = {}) {
    const options = readGlobalConfig("GlobalAveragePooling2D", config);
    super(options.name ?? "globalAveragePooling2d", options.inputShape);
  }

  protected geometryFor(inputShape: Shape): PoolGeometry {
    return globalGeometry(this.name, inputShape);
  }

  protected outputShapeOf(g: PoolGeometry): Shape {
    return [g.channels];
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

  /** `{ name, inputShape? }`. */
  getConfig(): JsonObject {
    return globalConfig(this);
  }
}

/**
 * The maximum of each channel over the whole image (Keras' / TensorFlow.js'
 * `GlobalMaxPooling2D`): `[h, w, c]` per sample → `[c]`.
 *
 * - Forward: `y[c] = max_{p, q} x[p, q, c]`; the winner's index is recorded (the first maximum in
 *   row-major order on ties).
 * - Backward: `dL/dx[p, q, c] = dL/dy[c]` at the winner, 0 elsewhere.
 *
 * @example
 * ```ts
 * new GlobalMaxPooling2D().computeOutputShape([5, 5, 16]); // [16]
 * ```
 */
export class GlobalMaxPooling2D extends PoolingLayer {
  /** Registry name of this layer type. */
  readonly className = "globalMaxPooling2d";
  private indices: IndexPool | undefined;
  private argmax: Int32Array | undefined;

  constructor(config: GlobalPooling2DConfig = {}) {
    const options = readGlobalConfig("GlobalMaxPooling2D", config);
    super(options.name ?? "globalMaxPooling2d", options.inputShape);
  }

  protected geometryFor(inputShape: Shape): PoolGeometry {
    return globalGeometry(this.name, inputShape);
  }

  protected outputShapeOf(g: PoolGeometry): Shape {
    return [g.channels];
  }

  protected setUp(g: PoolGeometry, _ctx: BuildContext): void {
    this.indices = new IndexPool(g.channels);
  }

  protected poolForward(x: FloatArray, y: FloatArray, batch: number, g: PoolGeometry): void {
    const argmax = (this.indices as IndexPool).get(batch);
    maxPool2dForward(x, y, argmax, batch, g);
    this.argmax = argmax;
  }

  protected poolBackward(dy: FloatArray, dx: FloatArray, _batch: number, _g: PoolGeometry): void {
    maxPool2dBackward(dy, this.argmax as Int32Array, dx);
  }

  /** `{ name, inputShape? }`. */
  getConfig(): JsonObject {
    return globalConfig(this);
  }
}
