import {
  BackpropError,
  describeValue,
  formatShape,
  readConfig,
  shapeString,
  type CustomField,
  type FloatArray,
  type JsonObject,
  type Param,
  type PoolGeometry,
  type Shape,
  type Tensor,
} from "@backprop/linalg";
import { BufferPool } from "../buffer-pool.js";
import { readInputShape } from "../input-shape.js";
import type { BackwardContext, BuildContext, ForwardContext, Layer, LayerInspection, ParamShape } from "../layer.js";

/**
 * How a 2-D window treats the borders (Keras / TensorFlow.js names):
 * - `"valid"`: windows stay inside the input; `out = ⌊(in − pool) / stride⌋ + 1` (needs `in ≥ pool`).
 * - `"same"`: `out = ⌈in / stride⌉`; the input is padded by `max((out − 1)·stride + pool − in, 0)`
 *   cells, half (rounded down) before and the rest after — the extra cell at the bottom/right, as
 *   TensorFlow does. Padded cells are not values: they never win a max and are not counted in an
 *   average.
 *
 * @example
 * ```ts
 * new MaxPooling2D({ poolSize: 2, padding: "same" }).computeOutputShape([5, 5, 1]); // [3, 3, 1]
 * ```
 */
export type PoolPadding = "valid" | "same";

/**
 * A pool size or stride: one number for both axes, or `[height, width]`.
 * @example
 * ```ts
 * const square: PoolSize = 2;      // 2×2
 * const wide: PoolSize = [1, 3];   // 1 row, 3 columns
 * ```
 */
export type PoolSize = number | readonly [number, number];

/**
 * The options shared by `MaxPooling2D` and `AveragePooling2D` (Keras' `Pooling2D`); the file format
 * stores them as given by `getConfig` (`poolSize` and `strides` as `[height, width]`).
 * @example
 * ```ts
 * const config: Pooling2DConfig = { poolSize: 3, strides: 2, padding: "same" };
 * ```
 */
export interface Pooling2DConfig {
  /** Window size, `n` or `[height, width]`, positive integers. Default 2 (a 2×2 window). */
  readonly poolSize?: PoolSize;
  /** Step between windows, `n` or `[height, width]`. Default (or `null`): the pool size. */
  readonly strides?: PoolSize | null;
  /** `"valid"` (default) or `"same"`; see {@link PoolPadding}. */
  readonly padding?: PoolPadding;
  /** Per-sample input shape `[height, width, channels]`, when this is the model's first layer. */
  readonly inputShape?: readonly number[] | null;
  /** Layer name, assigned by the model when omitted. */
  readonly name?: string;
}

/**
 * The geometry of one pooling layer on one input shape: linalg's, where the kernels live.
 */
export type { PoolGeometry };
export { maxPool2dBackward, maxPool2dForward } from "@backprop/linalg";

/**
 * Output length and leading padding of one axis under TensorFlow's rules (see {@link PoolPadding}):
 * `"valid"` gives `⌊(in − pool)/stride⌋ + 1`, `"same"` gives `⌈in/stride⌉` with
 * `padBefore = ⌊max((out − 1)·stride + pool − in, 0) / 2⌋`. `out` is 0 or less when a `"valid"`
 * window does not fit.
 * @example
 * ```ts
 * poolAxis(5, 2, 2, "same");  // { out: 3, padBefore: 0 } — the one padded cell is after the input
 * poolAxis(5, 3, 1, "same");  // { out: 5, padBefore: 1 }
 * poolAxis(5, 2, 2, "valid"); // { out: 2, padBefore: 0 } — the last row is dropped
 * ```
 */
export function poolAxis(input: number, pool: number, stride: number, padding: PoolPadding): { out: number; padBefore: number } {
  if (padding === "valid") return { out: Math.floor((input - pool) / stride) + 1, padBefore: 0 };
  const out = Math.ceil(input / stride);
  const total = Math.max((out - 1) * stride + pool - input, 0);
  return { out, padBefore: Math.floor(total / 2) };
}

/**
 * The geometry of a pooling layer on samples of `inputShape` (`[height, width, channels]`).
 * @throws BackpropError `SHAPE_MISMATCH` for another rank, or a `"valid"` window larger than the input
 * @example
 * ```ts
 * poolGeometry("maxPooling2d", [5, 5, 3], [2, 2], [2, 2], "same"); // outHeight 3, outWidth 3
 * ```
 */
export function poolGeometry(
  layer: string,
  inputShape: Shape,
  poolSize: readonly [number, number],
  strides: readonly [number, number],
  padding: PoolPadding,
): PoolGeometry {
  checkImageShape(layer, inputShape);
  const [inHeight, inWidth, channels] = inputShape as readonly [number, number, number];
  const [poolHeight, poolWidth] = poolSize;
  const [strideHeight, strideWidth] = strides;
  const rows = poolAxis(inHeight, poolHeight, strideHeight, padding);
  const cols = poolAxis(inWidth, poolWidth, strideWidth, padding);
  if (rows.out <= 0 || cols.out <= 0) {
    throw new BackpropError(
      "SHAPE_MISMATCH",
      `${layer}: a ${poolHeight}×${poolWidth} window does not fit the input ${inHeight}×${inWidth} with padding "valid" (got ${formatShape(inputShape)}, expected at least ${poolHeight}×${poolWidth} per channel)`,
      { hint: 'use padding: "same", or a smaller poolSize' },
    );
  }
  return {
    inHeight,
    inWidth,
    channels,
    poolHeight,
    poolWidth,
    strideHeight,
    strideWidth,
    outHeight: rows.out,
    outWidth: cols.out,
    padTop: rows.padBefore,
    padLeft: cols.padBefore,
  };
}

/**
 * Checks a per-sample shape is an image, `[height, width, channels]` of positive integers.
 * @throws BackpropError `SHAPE_MISMATCH` naming the layer
 * @example
 * ```ts
 * checkImageShape("maxPooling2d", [28, 28, 1]); // fine
 * checkImageShape("maxPooling2d", [784]);       // throws: … is not an image (expected [height, width, channels] …)
 * ```
 */
export function checkImageShape(layer: string, shape: Shape): void {
  if (!Array.isArray(shape) || shape.length !== 3 || !shape.every((d) => Number.isSafeInteger(d) && d > 0)) {
    throw new BackpropError(
      "SHAPE_MISMATCH",
      `${layer}: input shape ${Array.isArray(shape) ? formatShape(shape) : JSON.stringify(shape)} is not an image (expected [height, width, channels] per sample, channels last)`,
      { hint: "a grayscale 28×28 image is [28, 28, 1]; reshape flat rows with the model's inputShape or a Reshape layer" },
    );
  }
}

function readPair(where: string, key: string, value: unknown): readonly [number, number] {
  const ok = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v) && v > 0;
  if (ok(value)) return [value, value];
  if (Array.isArray(value) && value.length === 2 && ok(value[0]) && ok(value[1])) return [value[0], value[1]];
  throw new BackpropError(
    "INVALID_CONFIG",
    `${where}: invalid ${key} (got ${describeValue(value)}, expected a positive integer or [height, width] of positive integers)`,
  );
}

/**
 * The `inputShape` field of an image layer's config (for {@link readConfig}): absent or `null`, or
 * `[height, width, channels]` of positive integers.
 * @example
 * ```ts
 * readConfig("MaxPooling2D", config, { inputShape: imageInputShapeField("MaxPooling2D") });
 * ```
 */
export function imageInputShapeField(where: string): CustomField<Shape | undefined> {
  return {
    type: "custom",
    optional: true,
    nullable: true,
    read: (value: unknown): Shape | undefined => {
      const shape = readInputShape(where, { inputShape: value as readonly number[] });
      if (shape !== undefined && shape.length !== 3) {
        throw new BackpropError("INVALID_CONFIG", `${where}: invalid inputShape (got ${formatShape(shape)}, expected [height, width, channels])`, {
          hint: "channels last, as Keras and TensorFlow.js: a 28×28 grayscale image is [28, 28, 1]",
        });
      }
      return shape;
    },
  };
}

/**
 * The checked options of a 2-D pooling layer, with defaults filled in (what
 * {@link readPooling2DConfig} returns).
 * @example
 * ```ts
 * const { poolSize, strides } = readPooling2DConfig("MaxPooling2D", { poolSize: 3 }); // [3, 3], [3, 3]
 * ```
 */
export interface PoolOptions {
  readonly poolSize: readonly [number, number];
  readonly strides: readonly [number, number];
  readonly padding: PoolPadding;
  readonly inputShape: Shape | undefined;
  readonly name: string | undefined;
}

/**
 * Reads and checks a {@link Pooling2DConfig} with linalg's `readConfig`: unknown keys (a typo such
 * as `poolsize` would otherwise fall back to the default without a word), sizes that are not
 * positive integers, an unknown padding and an `inputShape` that is not `[height, width, channels]`
 * are rejected.
 * @param where - the class name, prefixed to messages (`"MaxPooling2D"`)
 * @throws BackpropError `INVALID_CONFIG` `"<where>: invalid <key> (got X, expected Y)"`
 * @example
 * ```ts
 * readPooling2DConfig("MaxPooling2D", { poolSize: 3, strides: [1, 2] }).strides; // [1, 2]
 * ```
 */
export function readPooling2DConfig(where: string, config: Pooling2DConfig | undefined): PoolOptions {
  const pair = { type: "custom", optional: true, nullable: true, read: (v: unknown, key: string) => readPair(where, key, v) } as const;
  const c = readConfig(where, config, {
    poolSize: pair,
    strides: pair,
    padding: { type: "string", default: "valid", oneOf: ["valid", "same"] as PoolPadding[] },
    inputShape: imageInputShapeField(where),
    name: { type: "string", optional: true, nullable: true },
  });
  const poolSize = c.poolSize ?? ([2, 2] as const);
  return { poolSize, strides: c.strides ?? poolSize, padding: c.padding, inputShape: c.inputShape, name: c.name };
}

/**
 * Per-batch-size `Int32Array`s of `batch · perSample` indices (the argmax of max pooling): like
 * {@link BufferPool}, a training run allocates them in its first epoch and never again.
 * @example
 * ```ts
 * const indices = new IndexPool(12 * 12 * 8);
 * const argmax = indices.get(batch); // the same array for every batch of this size
 * ```
 */
export class IndexPool {
  private readonly bySize = new Map<number, Int32Array>();
  private lastBatch = -1;
  private last: Int32Array | undefined;

  /** @param perSample - indices per sample */
  constructor(private readonly perSample: number) {}

  /** The index array for this batch size, reused on every call with the same size. */
  get(batch: number): Int32Array {
    if (batch === this.lastBatch) return this.last as Int32Array;
    let a = this.bySize.get(batch);
    if (!a) {
      a = new Int32Array(batch * this.perSample);
      this.bySize.set(batch, a);
    }
    this.lastBatch = batch;
    this.last = a;
    return a;
  }
}

/*
 * The kernels. All work on one batch of channels-last (NHWC) samples in place, on preallocated
 * arrays; the innermost loop runs over the channels, which are contiguous, so each input cell is
 * read once per window that covers it. Windows are clipped to the input instead of padding it:
 * for "same" padding that is exactly TensorFlow's rule (padded cells never win, never count), and
 * every window keeps at least one cell, because the padding before is less than the pool size and
 * every window starts before the input ends.
 */

/**
 * Average pooling forward: `y[b, i, j, c] = (1/n) Σ over the window (i, j) of x[b, ·, ·, c]`, where
 * `n` counts the window's cells inside the input (padded cells are not counted, as TensorFlow).
 * Sums are taken in float64 in `acc` (length ≥ channels) and rounded once, so float32 results are
 * the correctly rounded averages of float32 inputs.
 * @example
 * ```ts
 * avgPool2dForward(x.data, y.data, batch, geometry, new Float64Array(geometry.channels));
 * ```
 */
export function avgPool2dForward(x: FloatArray, y: FloatArray, batch: number, g: PoolGeometry, acc: Float64Array): void {
  const { inHeight: H, inWidth: W, channels: C, outHeight: OH, outWidth: OW } = g;
  const { poolHeight: PH, poolWidth: PW, strideHeight: SH, strideWidth: SW, padTop, padLeft } = g;
  const inSample = H * W * C;
  const outSample = OH * OW * C;
  for (let b = 0; b < batch; b++) {
    const xb = b * inSample;
    let o = b * outSample;
    for (let oy = 0; oy < OH; oy++) {
      const top = oy * SH - padTop;
      const y0 = top < 0 ? 0 : top;
      const y1 = top + PH > H ? H : top + PH;
      for (let ox = 0; ox < OW; ox++, o += C) {
        const left = ox * SW - padLeft;
        const x0 = left < 0 ? 0 : left;
        const x1 = left + PW > W ? W : left + PW;
        acc.fill(0, 0, C);
        for (let iy = y0; iy < y1; iy++) {
          for (let ix = x0; ix < x1; ix++) {
            const i = xb + (iy * W + ix) * C;
            for (let c = 0; c < C; c++) acc[c] = (acc[c] as number) + (x[i + c] as number);
          }
        }
        const n = (y1 - y0) * (x1 - x0);
        for (let c = 0; c < C; c++) y[o + c] = (acc[c] as number) / n;
      }
    }
  }
}

/**
 * Average pooling backward: `dx = 0`, then every cell of window (i, j) gets `dy[b, i, j, c] / n`,
 * with the same `n` (cells inside the input) as the forward pass. `share` (length ≥ channels) holds
 * the per-channel shares of one window.
 * @example
 * ```ts
 * avgPool2dBackward(dy.data, dx.data, batch, geometry, new Float64Array(geometry.channels));
 * ```
 */
export function avgPool2dBackward(dy: FloatArray, dx: FloatArray, batch: number, g: PoolGeometry, share: Float64Array): void {
  const { inHeight: H, inWidth: W, channels: C, outHeight: OH, outWidth: OW } = g;
  const { poolHeight: PH, poolWidth: PW, strideHeight: SH, strideWidth: SW, padTop, padLeft } = g;
  const inSample = H * W * C;
  const outSample = OH * OW * C;
  dx.fill(0);
  for (let b = 0; b < batch; b++) {
    const xb = b * inSample;
    let o = b * outSample;
    for (let oy = 0; oy < OH; oy++) {
      const top = oy * SH - padTop;
      const y0 = top < 0 ? 0 : top;
      const y1 = top + PH > H ? H : top + PH;
      for (let ox = 0; ox < OW; ox++, o += C) {
        const left = ox * SW - padLeft;
        const x0 = left < 0 ? 0 : left;
        const x1 = left + PW > W ? W : left + PW;
        const n = (y1 - y0) * (x1 - x0);
        for (let c = 0; c < C; c++) share[c] = (dy[o + c] as number) / n;
        for (let iy = y0; iy < y1; iy++) {
          for (let ix = x0; ix < x1; ix++) {
            const i = xb + (iy * W + ix) * C;
            for (let c = 0; c < C; c++) dx[i + c] = (dx[i + c] as number) + (share[c] as number);
          }
        }
      }
    }
  }
}

/**
 * What the parameter-free pooling layers share: the shape handshake, per-batch-size buffers, the
 * checks on `forward`/`backward`, and `inspect`. A subclass gives its geometry for an input shape
 * and its two kernels, which sit side by side in its own file.
 * @example
 * ```ts
 * const pool: PoolingLayer = new MaxPooling2D({ inputShape: [28, 28, 1] });
 * pool.computeOutputShape([28, 28, 1]); // [14, 14, 1]
 * ```
 */
export abstract class PoolingLayer implements Layer {
  /** Registry name of the layer type. */
  abstract readonly className: string;
  /** Layer name. */
  name: string;
  /** The per-sample input shape from the config, if given. */
  readonly inputShape: Shape | undefined;
  /** The geometry for the input shape the layer was built for. */
  protected geometry: PoolGeometry | undefined;
  private sample: Shape | undefined;
  private yPool: BufferPool | undefined;
  private dxPool: BufferPool | undefined;
  private lastX: Tensor | undefined;
  private lastY: Tensor | undefined;
  private lastDy: Tensor | undefined;
  private lastDx: Tensor | undefined;

  protected constructor(name: string, inputShape: Shape | undefined) {
    this.name = name;
    this.inputShape = inputShape;
  }

  /** The geometry of this layer on samples of `inputShape`; throws `SHAPE_MISMATCH` when it does not fit. */
  protected abstract geometryFor(inputShape: Shape): PoolGeometry;
  /** The per-sample output shape for a geometry. */
  protected abstract outputShapeOf(g: PoolGeometry): Shape;
  /**
   * Fills `y` from `x` for `batch` samples; `inference` is true when the forward pass was asked
   * with `training: false`, so no backward pass follows (what backward needs may be skipped).
   */
  protected abstract poolForward(x: FloatArray, y: FloatArray, batch: number, g: PoolGeometry, inference: boolean): void;
  /** Fills `dx` from `dy` for `batch` samples (after the matching forward). */
  protected abstract poolBackward(dy: FloatArray, dx: FloatArray, batch: number, g: PoolGeometry): void;
  /** Sets up what the kernels keep per batch size (e.g. argmax arrays). */
  protected abstract setUp(g: PoolGeometry, ctx: BuildContext): void;
  /** The layer's JSON config. */
  abstract getConfig(): JsonObject;

  /**
   * The output buffer for `batch` samples, recorded as this layer's last output of an inference
   * pass whose input was never materialized (a fused pass fills it). Internal.
   */
  protected acceptOutput(batch: number): Tensor {
    const y = (this.yPool as BufferPool).get(batch);
    this.lastX = undefined;
    this.lastY = y;
    this.lastDy = undefined;
    this.lastDx = undefined;
    return y;
  }

  /** Whether {@link PoolingLayer.build} has run. */
  get built(): boolean {
    return this.geometry !== undefined;
  }

  /** The per-sample output shape (no batch axis). */
  computeOutputShape(inputShape: Shape): Shape {
    return this.outputShapeOf(this.geometryFor(inputShape));
  }

  /** None: pooling has no parameters. */
  paramShapes(inputShape: Shape): readonly ParamShape[] {
    this.geometryFor(inputShape);
    return [];
  }

  /** Works out the geometry and makes the per-batch-size buffers. */
  build(inputShape: Shape, ctx: BuildContext): void {
    const g = this.geometryFor(inputShape);
    this.sample = inputShape.slice();
    this.yPool = new BufferPool(this.outputShapeOf(g), ctx.dtype);
    this.dxPool = new BufferPool(inputShape, ctx.dtype);
    this.setUp(g, ctx);
    this.geometry = g;
  }

  /** Pools a batch `[n, height, width, channels]`; the result is a buffer the layer owns. */
  forward(x: Tensor, ctx?: ForwardContext): Tensor {
    const g = this.geometry;
    const sample = this.sample;
    if (!g || !sample || !this.yPool) {
      throw new BackpropError("NOT_BUILT", `${this.name}: the layer is not built`, {
        hint: "add it to a Sequential model, or call build(inputShape, ctx) first",
      });
    }
    if (x.rank !== 4 || x.shape[1] !== sample[0] || x.shape[2] !== sample[1] || x.shape[3] !== sample[2]) {
      throw new BackpropError("SHAPE_MISMATCH", `${this.name}: input is ${shapeString(x)} (expected [n, ${sample.join(", ")}])`);
    }
    const batch = x.shape[0] as number;
    const y = this.yPool.get(batch);
    this.poolForward(x.data, y.data, batch, g, ctx?.training === false);
    this.lastX = x;
    this.lastY = y;
    this.lastDy = undefined;
    this.lastDx = undefined;
    return y;
  }

  /** dL/dx from dL/dy; skipped (an unspecified buffer is returned) when `inputGradient` is false. */
  backward(dy: Tensor, ctx: BackwardContext = {}): Tensor {
    const y = this.lastY;
    const g = this.geometry;
    if (!y || !g || !this.dxPool) throw new BackpropError("INVALID_STATE", `${this.name}.backward: called before forward`);
    if (dy.size !== y.size || dy.shape[0] !== y.shape[0]) {
      throw new BackpropError("SHAPE_MISMATCH", `${this.name}.backward: gradient is ${shapeString(dy)} (expected ${shapeString(y)}, the output's shape)`);
    }
    const batch = y.shape[0] as number;
    const dx = this.dxPool.get(batch);
    this.lastDy = dy;
    if (ctx.inputGradient === false) {
      this.lastDx = undefined;
      return dx;
    }
    this.poolBackward(dy.data, dx.data, batch, g);
    this.lastDx = dx;
    return dx;
  }

  /** None. */
  params(): readonly Param[] {
    return [];
  }

  /** 0: no weights. */
  regularizationLoss(): number {
    return 0;
  }

  /** Input, output and their gradients from the last passes. */
  inspect(): LayerInspection {
    return {
      ...(this.lastX ? { input: this.lastX } : {}),
      ...(this.lastY ? { output: this.lastY } : {}),
      ...(this.lastDy ? { outputGradient: this.lastDy } : {}),
      ...(this.lastDx ? { inputGradient: this.lastDx } : {}),
    };
  }
}
