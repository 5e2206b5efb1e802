import {
  BackpropError,
  describeValue,
  formatShape,
  readConfig,
  shapeString,
  type FloatArray,
  type JsonObject,
  type Param,
  type Shape,
  type Tensor,
} from "@backprop/linalg";
import { BufferPool } from "./buffer-pool.js";
import { batchShapeText, readInputShape } from "./input-shape.js";
import type { BackwardContext, BuildContext, ForwardContext, Layer, LayerInspection, ParamShape } from "./layer.js";

/**
 * How many rows and columns of zeros {@link ZeroPadding2D} adds, as Keras: one number for all four
 * sides, `[rows, columns]` for symmetric padding, or `[[top, bottom], [left, right]]`.
 * @example
 * ```ts
 * const padding: ZeroPadding2DPadding = [[0, 1], [0, 1]]; // one row below, one column on the right
 * ```
 */
export type ZeroPadding2DPadding =
  | number
  | readonly [number, number]
  | readonly [readonly [number, number], readonly [number, number]];

/**
 * Options of {@link ZeroPadding2D}.
 * @example
 * ```ts
 * const config: ZeroPadding2DConfig = { padding: 2, inputShape: [28, 28, 1] };
 * ```
 */
export interface ZeroPadding2DConfig {
  /** The padding; default 1 (one row or column of zeros on every side, as Keras). */
  readonly padding?: ZeroPadding2DPadding;
  /** Per-sample input shape `[height, width, channels]`, on the first layer of a model. */
  readonly inputShape?: readonly number[] | null;
  /** Layer name, assigned by the model when omitted. */
  readonly name?: string;
}

type Sides = readonly [readonly [number, number], readonly [number, number]];

function readPadding(value: unknown): Sides {
  const ok = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
  const okPair = (v: unknown): v is readonly [number, number] => Array.isArray(v) && v.length === 2 && ok(v[0]) && ok(v[1]);
  if (ok(value)) return [[value, value], [value, value]];
  if (okPair(value)) return [[value[0], value[0]], [value[1], value[1]]];
  if (Array.isArray(value) && value.length === 2 && okPair(value[0]) && okPair(value[1])) {
    return [[value[0][0], value[0][1]], [value[1][0], value[1][1]]];
  }
  throw new BackpropError(
    "INVALID_CONFIG",
    `ZeroPadding2D: invalid padding (got ${describeValue(value)}, expected an integer ≥ 0, [rows, columns] or [[top, bottom], [left, right]])`,
  );
}

const SCHEMA = {
  name: { type: "string", optional: true, nullable: true },
  padding: { type: "custom", default: 1, read: (v: unknown) => readPadding(v) },
  inputShape: { type: "custom", read: (v: unknown) => readInputShape("ZeroPadding2D", { inputShape: v as readonly number[] | null | undefined }) },
} as const;

/**
 * Surrounds each channels-last image with rows and columns of zeros (Keras' `ZeroPadding2D`):
 *
 * `y[b, i, j, c] = x[b, i − top, j − left, c]` inside, 0 in the border, so
 * `[n, h, w, c]` → `[n, top + h + bottom, left + w + right, c]`; backward crops the gradient,
 * `dL/dx[b, i, j, c] = dL/dy[b, i + top, j + left, c]`.
 *
 * @see https://keras.io/api/layers/reshaping_layers/zero_padding2d/
 * @example
 * ```ts
 * new ZeroPadding2D({ padding: [[1, 2], [0, 0]], inputShape: [28, 28, 1] }); // → [31, 28, 1]
 * ```
 */
export class ZeroPadding2D implements Layer {
  /** Registry name of this layer type. */
  readonly className = "zeroPadding2d";
  /** Layer name. */
  name: string;
  /** `[[top, bottom], [left, right]]`. */
  readonly padding: Sides;
  /** The per-sample input shape from the config, if given. */
  readonly inputShape: Shape | undefined;
  private shape: Shape | undefined;
  private yPool: BufferPool | undefined;
  private dxPool: BufferPool | undefined;
  private lastX: Tensor | undefined;
  private lastY: Tensor | undefined;
  private lastDy: Tensor | undefined;
  private lastDx: Tensor | undefined;

  constructor(config: ZeroPadding2DConfig = {}) {
    const c = readConfig("ZeroPadding2D", config, SCHEMA);
    this.name = c.name ?? "zeroPadding2d";
    this.padding = c.padding;
    if (c.inputShape !== undefined && c.inputShape.length !== 3) {
      throw new BackpropError("INVALID_CONFIG", `ZeroPadding2D.inputShape: expected [height, width, channels] (got ${formatShape(c.inputShape)})`);
    }
    this.inputShape = c.inputShape;
  }

  /** Whether the layer knows its input shape. */
  get built(): boolean {
    return this.shape !== undefined;
  }

  private checkShape(inputShape: Shape): void {
    if (!Array.isArray(inputShape) || inputShape.length !== 3 || !inputShape.every((d) => Number.isSafeInteger(d) && d > 0)) {
      throw new BackpropError(
        "SHAPE_MISMATCH",
        `${this.name}: the input shape must be [height, width, channels] of positive integers (got ${Array.isArray(inputShape) ? formatShape(inputShape) : describeValue(inputShape)})`,
      );
    }
  }

  /** `[top + h + bottom, left + w + right, c]`. */
  computeOutputShape(inputShape: Shape): Shape {
    this.checkShape(inputShape);
    const [[top, bottom], [left, right]] = this.padding;
    const [h, w, c] = inputShape as [number, number, number];
    return [top + h + bottom, left + w + right, c];
  }

  /** None. */
  paramShapes(inputShape: Shape): readonly ParamShape[] {
    this.checkShape(inputShape);
    return [];
  }

  /** Records the shape; buffers are made per batch size on first use. */
  build(inputShape: Shape, ctx: BuildContext): void {
    const out = this.computeOutputShape(inputShape);
    this.shape = inputShape.slice();
    this.yPool = new BufferPool(out, ctx.dtype);
    this.dxPool = new BufferPool(inputShape, ctx.dtype);
  }

  /** Copies each image into the middle of a zero border. */
  forward(x: Tensor, _ctx?: ForwardContext): Tensor {
    const shape = this.shape;
    const s = x.shape;
    if (!shape || s.length !== 4 || s[1] !== shape[0] || s[2] !== shape[1] || s[3] !== shape[2]) {
      throw new BackpropError("SHAPE_MISMATCH", `${this.name}: input is ${shapeString(x)} (expected ${shape ? batchShapeText(shape) : "a built layer"})`);
    }
    const batch = s[0] as number;
    const y = (this.yPool as BufferPool).get(batch);
    if (y.dtype !== x.dtype) {
      throw new BackpropError("INVALID_ARGUMENT", `${this.name}: input is ${x.dtype} (expected ${y.dtype}, the model's dtype)`);
    }
    copyWindow(x.data, y.data, batch, shape, this.padding, true);
    this.lastX = x;
    this.lastY = y;
    this.lastDy = undefined;
    this.lastDx = undefined;
    return y;
  }

  /** Crops the border off dL/dy. */
  backward(dy: Tensor, ctx: BackwardContext = {}): Tensor {
    const y = this.lastY;
    const shape = this.shape;
    if (!y || !shape) throw new BackpropError("INVALID_STATE", `${this.name}.backward: called before forward`);
    if (dy.rank !== 4 || dy.size !== y.size || dy.shape[3] !== y.shape[3]) {
      throw new BackpropError("SHAPE_MISMATCH", `${this.name}.backward: gradient is ${shapeString(dy)} (expected ${shapeString(y)}, the output's shape)`);
    }
    if (dy.dtype !== y.dtype) {
      throw new BackpropError("INVALID_ARGUMENT", `${this.name}.backward: gradient is ${dy.dtype} (expected ${y.dtype}, the output's dtype)`);
    }
    const batch = y.shape[0] as number;
    const dx = (this.dxPool as BufferPool).get(batch);
    this.lastDy = dy;
    if (ctx.inputGradient === false) {
      this.lastDx = undefined;
      return dx;
    }
    copyWindow(dy.data, dx.data, batch, shape, this.padding, false);
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

  /** `{ name, padding: [[top, bottom], [left, right]], inputShape? }`. */
  getConfig(): JsonObject {
    const shape = this.inputShape ?? this.shape;
    return {
      name: this.name,
      padding: this.padding.map((p) => [...p]),
      ...(shape ? { inputShape: [...shape] } : {}),
    };
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

/**
 * Between the images `[n, h, w, c]` (inner) and their padded form (outer): with `pad`, writes every
 * element of `outer` — zeros in the border, `inner` inside; without, copies the inside of `outer`
 * into `inner`. Each row of an image is one contiguous run of `w·c` numbers.
 */
function copyWindow(src: FloatArray, dst: FloatArray, batch: number, shape: Shape, sides: Sides, pad: boolean): void {
  const [h, w, c] = shape as [number, number, number];
  const [[top, bottom], [left, right]] = sides;
  const rowIn = w * c;
  const rowOut = (left + w + right) * c;
  const leftLen = left * c;
  const rightLen = right * c;
  let inner = 0;
  let outer = 0;
  for (let b = 0; b < batch; b++) {
    if (pad) {
      dst.fill(0, outer, outer + top * rowOut);
    }
    outer += top * rowOut;
    for (let i = 0; i < h; i++) {
      if (pad) {
        dst.fill(0, outer, outer + leftLen);
        outer += leftLen;
        for (const end = inner + rowIn; inner < end; ) dst[outer++] = src[inner++] as number;
        dst.fill(0, outer, outer + rightLen);
        outer += rightLen;
      } else {
        outer += leftLen;
        for (const end = inner + rowIn; inner < end; ) dst[inner++] = src[outer++] as number;
        outer += rightLen;
      }
    }
    if (pad) dst.fill(0, outer, outer + bottom * rowOut);
    outer += bottom * rowOut;
  }
}
