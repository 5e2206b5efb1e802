import { BackpropError, readConfig, shapeString, sizeOf, type FloatArray, type JsonObject, type Param, type Shape, type Tensor } from "@backprop/linalg";
import { BufferPool } from "./buffer-pool.js";
import { batchShapeText, checkInputShape } from "./input-shape.js";
import type { BackwardContext, BuildContext, ForwardContext, Layer, LayerInspection, ParamShape, TimeMask } from "./layer.js";
import { inputShapeField } from "./reshape.js";

/**
 * Options of {@link Masking}.
 * @example
 * ```ts
 * const config: MaskingConfig = { maskValue: -1, inputShape: [20, 3] };
 * ```
 */
export interface MaskingConfig {
  /** A time step whose every feature equals this value is padding. Default 0 (Keras). */
  readonly maskValue?: number;
  /** Per-sample input shape `[steps, features…]`, when this is the model's first layer. */
  readonly inputShape?: readonly number[] | null;
  /** Layer name, assigned by the model when omitted. */
  readonly name?: string;
}

/**
 * Marks padding time steps of `[batch, steps, features…]` sequences (Keras' / TensorFlow.js'
 * `Masking`): a step whose every feature equals `maskValue` is padding. Its output is the input
 * with the padding steps set to 0 (Keras multiplies by the mask), and it hands on a time mask so
 * that recurrent layers skip those steps.
 *
 * Backward: `dL/dx = dL/dy` on real steps, 0 on padding steps (the mask is a constant of the
 * input, as in Keras).
 *
 * A mask arriving from an earlier layer is replaced by this layer's own, as tfjs-layers does.
 * For inputs of more than three axes a step is every element of `x[b, t]` (Keras reduces the last
 * axis only, which is the same for `[batch, steps, features]`).
 *
 * @example
 * ```ts
 * const model = new Sequential([
 *   new Masking({ maskValue: 0, inputShape: [20, 3] }), // zero rows of each sequence are padding
 *   new TimeDistributed({ layer: new Dense({ units: 8 }) }),
 * ]);
 * ```
 */
export class Masking implements Layer {
  /** Registry name of this layer type. */
  readonly className = "masking";
  /** Layer name. */
  name: string;
  /** The value that marks padding. */
  readonly maskValue: number;
  /** The per-sample input shape from the config, if given. */
  readonly inputShape: Shape | undefined;
  private shape: Shape | undefined;
  private yPool: BufferPool | undefined;
  private dxPool: BufferPool | undefined;
  // Per batch size: which steps the last forward kept (backward's mask), and the masks computeMask hands on.
  private readonly keptSteps = new Map<number, Uint8Array>();
  private readonly masks = new Map<number, TimeMask>();
  private lastKept: Uint8Array | undefined;
  private lastX: Tensor | undefined;
  private lastY: Tensor | undefined;
  private lastDy: Tensor | undefined;
  private lastDx: Tensor | undefined;

  constructor(config: MaskingConfig = {}) {
    const c = readConfig("Masking", config, {
      maskValue: { type: "number", default: 0 },
      inputShape: inputShapeField("Masking"),
      name: { type: "string", default: "masking" },
    });
    this.name = c.name;
    this.maskValue = c.maskValue;
    this.inputShape = c.inputShape;
    if (this.inputShape) this.computeOutputShape(this.inputShape);
  }

  /** Whether {@link Masking.build} has run. */
  get built(): boolean {
    return this.shape !== undefined;
  }

  /** Same as the input shape, which must be `[steps, features…]`. */
  computeOutputShape(inputShape: Shape): Shape {
    checkInputShape(this.name, inputShape, 2);
    return inputShape;
  }

  /** None. */
  paramShapes(inputShape: Shape): readonly ParamShape[] {
    this.computeOutputShape(inputShape);
    return [];
  }

  /** Allocates nothing but its buffer pools. */
  build(inputShape: Shape, ctx: BuildContext): void {
    this.computeOutputShape(inputShape);
    this.shape = inputShape.slice();
    this.yPool = new BufferPool(inputShape, ctx.dtype);
    this.dxPool = new BufferPool(inputShape, ctx.dtype);
  }

  /** The input, with every padding step written as zeros. */
  forward(x: Tensor, _ctx?: ForwardContext): Tensor {
    const shape = this.shape;
    if (!shape) {
      throw new BackpropError("NOT_BUILT", `${this.name}: the layer is not built`, {
        hint: "add it to a Sequential model, or call build(inputShape, ctx) first",
      });
    }
    if (!hasSampleShape(x, shape)) {
      throw new BackpropError("SHAPE_MISMATCH", `${this.name}: input is ${shapeString(x)} (expected ${batchShapeText(shape)})`);
    }
    const batch = x.shape[0] as number;
    const steps = shape[0] as number;
    const kept = this.keptFor(batch, steps);
    const width = sizeOf(shape) / steps;
    markRealSteps(x.data, width, this.maskValue, kept);
    const y = (this.yPool as BufferPool).get(batch);
    const xd = x.data;
    const yd = y.data;
    for (let s = 0, i = 0; s < kept.length; s++, i += width) {
      if (kept[s] === 1) for (let k = 0; k < width; k++) yd[i + k] = xd[i + k] as number;
      else for (let k = 0; k < width; k++) yd[i + k] = 0;
    }
    this.lastKept = kept;
    this.lastX = x;
    this.lastY = y;
    this.lastDy = undefined;
    this.lastDx = undefined;
    return y;
  }

  private keptFor(batch: number, steps: number): Uint8Array {
    let kept = this.keptSteps.get(batch);
    if (kept === undefined) {
      kept = new Uint8Array(batch * steps);
      this.keptSteps.set(batch, kept);
    }
    return kept;
  }

  /** dL/dx: dL/dy on real steps, 0 on padding steps. */
  backward(dy: Tensor, ctx: BackwardContext = {}): Tensor {
    const y = this.lastY;
    const kept = this.lastKept;
    if (!y || !kept) throw new BackpropError("INVALID_STATE", `${this.name}.backward: called before forward`);
    if (!hasSampleShape(dy, this.shape as Shape) || dy.shape[0] !== y.shape[0]) {
      throw new BackpropError(
        "SHAPE_MISMATCH",
        `${this.name}.backward: gradient is ${shapeString(dy)} (expected ${shapeString(y)}, the output's shape)`,
      );
    }
    const dx = (this.dxPool as BufferPool).get(dy.shape[0] as number);
    this.lastDy = dy;
    if (ctx.inputGradient === false) {
      this.lastDx = undefined;
      return dx;
    }
    const width = dy.size / kept.length;
    const dyd = dy.data;
    const dxd = dx.data;
    for (let s = 0, i = 0; s < kept.length; s++, i += width) {
      if (kept[s] === 1) for (let k = 0; k < width; k++) dxd[i + k] = dyd[i + k] as number;
      else for (let k = 0; k < width; k++) dxd[i + k] = 0;
    }
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

  /**
   * The time mask of `input`: step t of sample b is padding (0) when every feature of `x[b, t]`
   * equals `maskValue`. A mask arriving from an earlier layer is replaced (tfjs-layers' Masking).
   * @throws BackpropError `SHAPE_MISMATCH` for input with fewer than three axes
   */
  computeMask(input: Tensor, _mask: TimeMask | undefined): TimeMask {
    if (input.rank < 3) {
      throw new BackpropError("SHAPE_MISMATCH", `${this.name}.computeMask: input is ${shapeString(input)} (expected [batch, steps, features…])`);
    }
    const batch = input.shape[0] as number;
    const steps = input.shape[1] as number;
    let mask = this.masks.get(batch);
    if (mask === undefined || mask.steps !== steps) {
      mask = { data: new Uint8Array(batch * steps), batch, steps };
      this.masks.set(batch, mask);
    }
    markRealSteps(input.data, input.size / (batch * steps), this.maskValue, mask.data);
    return mask;
  }

  /** `{ name, maskValue, inputShape? }`. */
  getConfig(): JsonObject {
    return { name: this.name, maskValue: this.maskValue, ...(this.inputShape ? { inputShape: [...this.inputShape] } : {}) };
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

/** `real[s] = 1` where some element of step s (the `width` values from `s·width`) differs from `maskValue`, else 0. */
function markRealSteps(x: FloatArray, width: number, maskValue: number, real: Uint8Array): void {
  // NOTE: compared in the data's precision, as TensorFlow.js does: in float32 a maskValue of 0.1
  // is stored as fround(0.1), which is what the padding steps hold.
  const value = x instanceof Float32Array ? Math.fround(maskValue) : maskValue;
  for (let s = 0, i = 0; s < real.length; s++, i += width) {
    let isReal = 0;
    for (let k = 0; k < width; k++) {
      if (x[i + k] !== value) {
        isReal = 1;
        break;
      }
    }
    real[s] = isReal;
  }
}

/** Whether `x` is a batch of samples of shape `sample`; no allocation. */
function hasSampleShape(x: Tensor, sample: Shape): boolean {
  if (x.rank !== sample.length + 1) return false;
  for (let i = 0; i < sample.length; i++) if (x.shape[i + 1] !== sample[i]) return false;
  return true;
}
