import { BackpropError, shapeString, sizeOf, type Json, type JsonObject, type Param, type Rng, type RngState, type Shape, type Tensor } from "@backprop/linalg";
import { BufferPool } from "./buffer-pool.js";
import type { BackwardContext, BuildContext, ForwardContext, Layer, LayerInspection, ParamShape, TimeMask } from "./layer.js";
import { batchShapeText, checkInputShape, readInputShape } from "./input-shape.js";

/** Options of {@link Dropout}. */
export interface DropoutConfig {
  /** Fraction of inputs set to zero during training, in [0, 1). */
  readonly rate: number;
  /** Layer name, assigned by the model when omitted. */
  readonly name?: string;
  /** Per-sample input shape, when this is the model's first layer. */
  readonly inputShape?: readonly number[] | null;
}

/**
 * Inverted dropout: while training, each input is zeroed with probability `rate` and the rest
 * are scaled by `1/(1 − rate)`, so inference is the identity. The mask comes from a generator
 * forked from the model's at build time, so a seed reproduces every mask.
 *
 * @see Srivastava et al. 2014, "Dropout: A Simple Way to Prevent Neural Networks from Overfitting"
 * @example
 * ```ts
 * new Sequential([new Dense({ units: 64, inputDim: 784, activation: "relu" }), new Dropout({ rate: 0.2 }), new Dense({ units: 10, activation: "softmax" })]);
 * ```
 */
export class Dropout implements Layer {
  /** Registry name of this layer type. */
  readonly className = "dropout";
  /** Layer name. */
  name: string;
  /** Drop probability. */
  readonly rate: number;
  /** The per-sample input shape from the config, if given. */
  readonly inputShape: Shape | undefined;
  private rng: Rng | undefined;
  private shape: Shape | undefined;
  private maskPool: BufferPool | undefined;
  private yPool: BufferPool | undefined;
  private dxPool: BufferPool | undefined;
  private lastMask: Tensor | undefined;
  private lastX: Tensor | undefined;
  private lastY: Tensor | undefined;

  constructor(config: DropoutConfig) {
    const rate = (config as DropoutConfig | undefined)?.rate;
    if (typeof rate !== "number" || !(rate >= 0 && rate < 1)) {
      throw new BackpropError("INVALID_CONFIG", `Dropout.rate: must be in [0, 1) (got ${JSON.stringify(rate)})`);
    }
    this.rate = rate;
    this.name = config.name ?? "dropout";
    this.inputShape = readInputShape("Dropout", config);
  }

  /** Whether the layer has its generator and width. */
  get built(): boolean {
    return this.rng !== undefined;
  }

  /** Forks its own generator from the model's. */
  build(inputShape: Shape, ctx: BuildContext): void {
    checkInputShape(this.name, inputShape, 1);
    this.rng = ctx.rng.fork();
    this.shape = inputShape.slice();
    this.maskPool = new BufferPool(inputShape, ctx.dtype);
    this.yPool = new BufferPool(inputShape, ctx.dtype);
    this.dxPool = new BufferPool(inputShape, ctx.dtype);
  }

  /** Same as the input shape. */
  computeOutputShape(inputShape: Shape): Shape {
    checkInputShape(this.name, inputShape, 1);
    return inputShape;
  }

  /** None. */
  paramShapes(): readonly ParamShape[] {
    return [];
  }

  /** Identity at inference; masked and rescaled while training. */
  forward(x: Tensor, ctx: ForwardContext = {}): Tensor {
    const shape = this.shape;
    if (!this.rng || !this.maskPool || !this.yPool || !shape || x.rank !== shape.length + 1 || x.size !== (x.shape[0] as number) * sizeOf(shape)) {
      throw new BackpropError("SHAPE_MISMATCH", `${this.name}: input is ${shapeString(x)} (expected ${shape ? batchShapeText(shape) : "a built layer"})`);
    }
    this.lastX = x;
    if (ctx.training !== true || this.rate === 0) {
      this.lastMask = undefined;
      this.lastY = x;
      return x;
    }
    const batch = x.shape[0] as number;
    const mask = this.maskPool.get(batch);
    const y = this.yPool.get(batch);
    const keep = 1 / (1 - this.rate);
    const md = mask.data;
    const xd = x.data;
    const yd = y.data;
    for (let i = 0; i < md.length; i++) {
      const m = this.rng.uniform() < this.rate ? 0 : keep;
      md[i] = m;
      yd[i] = (xd[i] as number) * m;
    }
    this.lastMask = mask;
    this.lastY = y;
    return y;
  }

  /** dL/dx = dL/dy ⊙ mask. */
  backward(dy: Tensor, _ctx?: BackwardContext): Tensor {
    if (!this.lastMask || !this.dxPool) return dy;
    const dx = this.dxPool.get(dy.shape[0] as number);
    const md = this.lastMask.data;
    const dyd = dy.data;
    const dxd = dx.data;
    for (let i = 0; i < dxd.length; i++) dxd[i] = (dyd[i] as number) * (md[i] as number);
    return dx;
  }

  /** The layer's own generator (after build). */
  getRng(): Rng | undefined {
    return this.rng;
  }

  /** The generator state, so a checkpoint resumes the same masks. */
  getState(): Json | undefined {
    return this.rng ? [...this.rng.getState()] : undefined;
  }

  /** Restores the generator state saved by {@link Dropout.getState}. */
  setState(state: Json): void {
    if (!this.rng) {
      throw new BackpropError("NOT_BUILT", `${this.name}.setState: the layer is not built`);
    }
    this.rng.setState(state as unknown as RngState);
  }

  /** None. */
  params(): readonly Param[] {
    return [];
  }

  /** 0: no weights. */
  regularizationLoss(): number {
    return 0;
  }

  /** Hands a time mask on unchanged: the layer works on each time step alone. */
  computeMask(_input: Tensor, mask: TimeMask | undefined): TimeMask | undefined {
    return mask;
  }

  /** `{ name, rate }`. */
  getConfig(): JsonObject {
    return { name: this.name, rate: this.rate, ...(this.inputShape ? { inputShape: [...this.inputShape] } : {}) };
  }

  /** Input and output of the last forward pass. */
  inspect(): LayerInspection {
    return {
      ...(this.lastX ? { input: this.lastX } : {}),
      ...(this.lastY ? { output: this.lastY } : {}),
    };
  }
}
