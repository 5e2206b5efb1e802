import type { ActivationSpec } from "@backprop/activations";
import type { Activation } from "@backprop/activations";
import {
  BackpropError,
  Matrix,
  Param,
  Tensor,
  addRowVector,
  getBackend,
  matmul,
  shapeString,
  sumColumns,
  type FloatArray,
  type JsonObject,
  type Shape,
} from "@backprop/linalg";
import { BufferPool } from "./buffer-pool.js";
import { initializerConfig, resolveInitializer, type Initializer, type InitializerSpec } from "./initializers/index.js";
import type { BackwardContext, BuildContext, ForwardContext, Layer, LayerInspection, ParamShape, TimeMask } from "./layer.js";
import {
  activationBackward,
  activationForward,
  isIdentity,
  layerActivationConfig,
  resolveLayerActivation,
} from "./layer-activation.js";
import { batchShapeText, checkInputShape, readInputShape } from "./input-shape.js";
import {
  addRegularizerGradient,
  makeRegularizer,
  regularizerConfig,
  regularizerPenalty,
  type Regularizer,
  type RegularizerConfig,
} from "./regularizer.js";

// The transpose options of the two backward products, shared so no object is made per batch.
const WEIGHT_GRADIENT = { transA: true, accumulate: true } as const;
const INPUT_GRADIENT = { transB: true } as const;

/**
 * The operands of the last product of one kind that `matmul` validated (shapes, dtypes, no
 * aliasing). A training loop passes the same arrays every batch, so later calls with the very same
 * arrays and shapes go straight to the backend: for a tiny net the checks cost more than the product.
 */
class CheckedProduct {
  private a: FloatArray | undefined;
  private b: FloatArray | undefined;
  private c: FloatArray | undefined;
  private aRows = -1;
  private bRows = -1;
  private cRows = -1;

  /** `c = op(a)·op(b)` (or `+=`), through `matmul` the first time these operands are seen. */
  run(a: Matrix, b: Matrix, c: Matrix, options?: { readonly transA?: boolean; readonly transB?: boolean; readonly accumulate?: boolean }): void {
    const transA = options?.transA === true;
    const transB = options?.transB === true;
    // NOTE: a typed array's length never changes, so the same arrays with the same row counts
    // mean the same shapes as when checked (cols = length / rows).
    if (
      a.data === this.a &&
      b.data === this.b &&
      c.data === this.c &&
      a.rows === this.aRows &&
      b.rows === this.bRows &&
      c.rows === this.cRows
    ) {
      getBackend().gemm(
        transA,
        transB,
        transA ? a.cols : a.rows,
        transB ? b.rows : b.cols,
        transA ? a.rows : a.cols,
        a.data,
        b.data,
        c.data,
        options?.accumulate === true,
      );
      return;
    }
    this.a = undefined;
    matmul(a, b, c, options);
    this.a = a.data;
    this.b = b.data;
    this.c = c.data;
    this.aRows = a.rows;
    this.bRows = b.rows;
    this.cRows = c.rows;
  }
}

/** Explicit initial weights of a {@link Dense} layer. */
export interface DenseWeights {
  /**
   * in×out (the Keras / TensorFlow.js layout): `kernel[i][j]` connects input i to unit j. Nested
   * arrays, a tensor of shape `[in, out]`, or a flat row-major typed array of `in·out` numbers.
   */
  readonly kernel: readonly (readonly number[])[] | Tensor | FloatArray;
  /** One bias per unit: an array, a typed array or a tensor of shape `[out]`. */
  readonly bias?: readonly number[] | Tensor | FloatArray;
}

/** Options of {@link Dense}. */
export interface DenseConfig {
  /** Number of output units. */
  readonly units: number;
  /** Activation applied to `x·W + b`; default identity. `"softmax"` for a probability output. */
  readonly activation?: ActivationSpec;
  /** Whether to add a bias vector. Default true. */
  readonly useBias?: boolean;
  /** Input width, the shorthand for `inputShape: [inputDim]`; on the first layer unless the model learns it from data. */
  readonly inputDim?: number | null;
  /** Per-sample input shape (Keras' `inputShape`); Dense works on its last axis. */
  readonly inputShape?: readonly number[] | null;
  /** Kernel initializer, default `"glorotUniform"` (as Keras). */
  readonly kernelInitializer?: InitializerSpec;
  /** Bias initializer, default `"zeros"`. */
  readonly biasInitializer?: InitializerSpec;
  /** L1/L2 penalty on the kernel. */
  readonly kernelRegularizer?: RegularizerConfig | null;
  /** L1/L2 penalty on the bias. */
  readonly biasRegularizer?: RegularizerConfig | null;
  /** Initial weights used instead of the initializers (copied: the layer never keeps the caller's arrays). */
  readonly weights?: DenseWeights;
  /** Whether the bias is trained. Default true; false freezes it (as in the original worked example). */
  readonly trainableBias?: boolean;
  /** Layer name, unique within a model; assigned by the model when omitted. */
  readonly name?: string;
}

function positiveInteger(where: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value <= 0) {
    throw new BackpropError("INVALID_CONFIG", `${where}: must be a positive integer (got ${JSON.stringify(value)})`);
  }
  return value;
}


function isNumberArray(v: unknown): v is readonly number[] {
  return Array.isArray(v) && v.every((e) => typeof e === "number");
}

/** The flat row-major numbers of an explicit weight, whatever form it was given in; undefined when malformed. */
function flatWeights(value: unknown, width: number): { values: ArrayLike<number>; rows: number } | undefined {
  if (value instanceof Tensor) {
    const cols = value.shape[value.rank - 1];
    return cols === width ? { values: value.data, rows: value.size / width } : undefined;
  }
  if (value instanceof Float32Array || value instanceof Float64Array) {
    return value.length % width === 0 && value.length > 0 ? { values: value, rows: value.length / width } : undefined;
  }
  if (Array.isArray(value) && value.length > 0 && value.every((row) => isNumberArray(row) && row.length === width)) {
    return { values: (value as number[][]).flat(), rows: value.length };
  }
  if (isNumberArray(value) && value.length === width) return { values: value, rows: 1 };
  return undefined;
}

/**
 * A fully connected layer on the last axis: `y = activation(x·W + b)` with W of shape in×out.
 * Inputs of more than two axes (`[batch, time, in]`) are multiplied sample by sample along the last
 * axis (Keras semantics), giving `[batch, time, out]`.
 *
 * Forward and backward (per batch of `n` rows of the 2-D view):
 * - `z = x·W + b`, `y = f(z)`
 * - `δ = dL/dz = dL/dy ⊙ f'(z)` (for softmax the Jacobian product, or the fused `(p − t)/n`)
 * - `dL/dW += xᵀ·δ`, `dL/db += Σᵣ δ`, `dL/dx = δ·Wᵀ`
 *
 * All buffers are allocated once per batch size and reused.
 *
 * @example
 * ```ts
 * const hidden = new Dense({ units: 16, inputDim: 2, activation: "tanh" });
 * const output = new Dense({ units: 3, activation: "softmax" });
 * ```
 */
export class Dense implements Layer {
  /** Registry name of this layer type. */
  readonly className = "dense";
  /** Layer name (assigned by the model when not configured). */
  name: string;
  /** Number of output units. */
  readonly units: number;
  /** The resolved activation (softmax included: a vector activation). */
  readonly activation: Activation;
  /** Whether the layer has a bias. */
  readonly useBias: boolean;
  private readonly inputShapeConfig: Shape | undefined;
  private readonly kernelInit: Initializer;
  private readonly biasInit: Initializer;
  private readonly kernelReg: Regularizer | undefined;
  private readonly biasReg: Regularizer | undefined;
  private readonly initialKernel: { values: ArrayLike<number>; rows: number } | undefined;
  private readonly initialBias: ArrayLike<number> | undefined;
  private readonly trainableBias: boolean;

  private kernelParam: Param<Matrix> | undefined;
  private biasParam: Param | undefined;
  // The bias and its gradient as the 1×units rows the kernels use (views of the [units] tensors,
  // made once: a view per step would be an allocation per step).
  private biasRow: Matrix | undefined;
  private biasGradRow: Matrix | undefined;
  private builtShape: Shape | undefined;
  private zPool: BufferPool | undefined;
  private yPool: BufferPool | undefined;
  private dzPool: BufferPool | undefined;
  private dxPool: BufferPool | undefined;
  // Buffers for `[batch, time, in]` inputs of another length than the built one (a recurrent
  // model generating one step at a time), by per-sample shape.
  private readonly otherShapes = new Map<string, { z: BufferPool; y: BufferPool; dz: BufferPool; dx: BufferPool }>();
  private lastX: Tensor | undefined;
  private lastXm: Matrix | undefined;
  private lastZ: Tensor | undefined;
  private lastZm: Matrix | undefined;
  private lastY: Tensor | undefined;
  private lastYm: Matrix | undefined;
  private lastDy: Tensor | undefined;
  private lastDz: Tensor | undefined;
  private lastDx: Tensor | undefined;
  private readonly forwardProduct = new CheckedProduct();
  private readonly weightGradientProduct = new CheckedProduct();
  private readonly inputGradientProduct = new CheckedProduct();

  constructor(config: DenseConfig) {
    if (typeof config !== "object" || config === null) {
      throw new BackpropError("INVALID_CONFIG", "Dense: expected a config object such as { units: 8 }");
    }
    this.units = positiveInteger("Dense.units", config.units);
    this.name = config.name ?? "dense";
    this.activation = resolveLayerActivation("Dense.activation", config.activation);
    this.useBias = config.useBias ?? true;
    this.inputShapeConfig = readInputShape("Dense", config);
    this.kernelInit = resolveInitializer(config.kernelInitializer ?? "glorotUniform");
    this.biasInit = resolveInitializer(config.biasInitializer ?? "zeros");
    this.kernelReg = makeRegularizer("Dense.kernelRegularizer", config.kernelRegularizer);
    this.biasReg = makeRegularizer("Dense.biasRegularizer", config.biasRegularizer);
    this.trainableBias = config.trainableBias ?? true;
    if (config.weights !== undefined) {
      const { kernel, bias } = this.checkWeights(config.weights);
      // Copied now, so later changes to the caller's arrays do not reach the layer.
      this.initialKernel = { values: Float64Array.from(kernel.values), rows: kernel.rows };
      this.initialBias = bias === undefined ? undefined : Float64Array.from(bias);
    }
  }

  private checkWeights(w: DenseWeights): { kernel: { values: ArrayLike<number>; rows: number }; bias: ArrayLike<number> | undefined } {
    if (typeof w !== "object" || w === null) {
      throw new BackpropError("INVALID_CONFIG", "Dense.weights: expected { kernel, bias? }");
    }
    const kernel = flatWeights(w.kernel, this.units);
    if (!kernel) {
      throw new BackpropError(
        "SHAPE_MISMATCH",
        `Dense.weights.kernel: expected in×${this.units} rows of numbers (one row per input, one column per unit)`,
      );
    }
    const expected = this.inputDim;
    if (expected !== undefined && kernel.rows !== expected) {
      throw new BackpropError(
        "SHAPE_MISMATCH",
        `Dense.weights.kernel: has ${kernel.rows} rows (expected inputDim = ${expected})`,
      );
    }
    if (w.bias === undefined) return { kernel, bias: undefined };
    const bias = this.useBias ? flatWeights(w.bias, this.units) : undefined;
    if (!bias || bias.rows !== 1) {
      const got = w.bias instanceof Tensor ? w.bias.describeShape() : (w.bias as { length?: unknown }).length;
      throw new BackpropError(
        "SHAPE_MISMATCH",
        this.useBias
          ? `Dense.weights.bias: expected ${this.units} numbers (got ${String(got ?? typeof w.bias)})`
          : "Dense.weights.bias: given, but useBias is false",
      );
    }
    return { kernel, bias: bias.values };
  }

  /** Input width (the last axis) from the config or from explicit weights, if known before build. */
  get inputDim(): number | undefined {
    const shape = this.inputShapeConfig;
    return shape ? shape[shape.length - 1] : this.initialKernel?.rows;
  }

  /** The per-sample input shape from the config (`inputShape`, or `[inputDim]`), if given. */
  get inputShape(): Shape | undefined {
    return this.inputShapeConfig;
  }

  /** Whether {@link Dense.build} has run. */
  get built(): boolean {
    return this.kernelParam !== undefined;
  }

  /** The kernel parameter (in×units). Throws before build. */
  get kernel(): Param<Matrix> {
    if (!this.kernelParam) throw notBuilt(this.name);
    return this.kernelParam;
  }

  /** The bias parameter (shape `[units]`), or undefined without bias. Throws before build. */
  get bias(): Param | undefined {
    if (!this.kernelParam) throw notBuilt(this.name);
    return this.biasParam;
  }

  /** The input shape with its last axis replaced by the number of units. */
  computeOutputShape(inputShape: Shape): Shape {
    this.checkShape(inputShape);
    return [...inputShape.slice(0, -1), this.units];
  }

  /** `kernel` `[in, units]` and, with a bias, `bias` `[units]`. */
  paramShapes(inputShape: Shape): readonly ParamShape[] {
    this.checkShape(inputShape);
    const inputs = inputShape[inputShape.length - 1] as number;
    const kernel: ParamShape = { name: "kernel", shape: [inputs, this.units] };
    return this.useBias ? [kernel, { name: "bias", shape: [this.units] }] : [kernel];
  }

  private checkShape(inputShape: Shape): void {
    checkInputShape(this.name, inputShape, 1);
    const expected = this.inputDim;
    const inputs = inputShape[inputShape.length - 1];
    if (expected !== undefined && expected !== inputs) {
      throw new BackpropError(
        "SHAPE_MISMATCH",
        `${this.name}: input has ${String(inputs)} features (expected inputDim = ${expected})`,
      );
    }
  }

  /** Allocates the kernel and bias and draws their initial values. */
  build(inputShape: Shape, ctx: BuildContext): void {
    const outputShape = this.computeOutputShape(inputShape);
    const inputDim = inputShape[inputShape.length - 1] as number;
    const kernel = new Param(`${ctx.prefix}.kernel`, new Matrix(inputDim, this.units, ctx.dtype));
    // NOTE: the kernel is always drawn, even with explicit weights, so a model's later layers get
    // the same random numbers whether or not an earlier layer was given weights.
    this.kernelInit.init(kernel.value, ctx.rng, { fanIn: inputDim, fanOut: this.units });
    if (this.initialKernel) kernel.value.data.set(this.initialKernel.values);
    this.kernelParam = kernel;
    if (this.useBias) {
      const bias = new Param(`${ctx.prefix}.bias`, new Tensor([this.units], ctx.dtype), this.trainableBias);
      this.biasRow = bias.value.asMatrix();
      this.biasGradRow = bias.grad.asMatrix();
      this.biasInit.init(this.biasRow, ctx.rng, { fanIn: this.units, fanOut: this.units });
      if (this.initialBias) bias.value.data.set(this.initialBias);
      this.biasParam = bias;
    }
    this.builtShape = inputShape.slice();
    this.zPool = new BufferPool(outputShape, ctx.dtype);
    this.yPool = isIdentity(this.activation) ? this.zPool : new BufferPool(outputShape, ctx.dtype);
    this.dzPool = new BufferPool(outputShape, ctx.dtype);
    this.dxPool = new BufferPool(inputShape, ctx.dtype);
  }

  /**
   * Switches the layer's buffers to those of another per-sample input shape (same rank and width,
   * other time length), or back to the built shape's (`undefined`).
   */
  private usePoolsFor(sample: Shape | undefined): void {
    const built = this.otherShapes.get("built") ?? { z: this.zPool as BufferPool, y: this.yPool as BufferPool, dz: this.dzPool as BufferPool, dx: this.dxPool as BufferPool };
    this.otherShapes.set("built", built);
    let pools = built;
    if (sample !== undefined) {
      const key = sample.join("x");
      const found = this.otherShapes.get(key);
      if (found) {
        pools = found;
      } else {
        const dtype = this.kernel.value.dtype;
        const out = [...sample.slice(0, -1), this.units];
        const z = new BufferPool(out, dtype);
        pools = { z, y: isIdentity(this.activation) ? z : new BufferPool(out, dtype), dz: new BufferPool(out, dtype), dx: new BufferPool(sample, dtype) };
        // NOTE: a stream of new lengths must not keep every buffer alive.
        if (this.otherShapes.size >= 33) {
          this.otherShapes.clear();
          this.otherShapes.set("built", built);
        }
        this.otherShapes.set(key, pools);
      }
    }
    this.zPool = pools.z;
    this.yPool = pools.y;
    this.dzPool = pools.dz;
    this.dxPool = pools.dx;
  }

  /** `y = f(x·W + b)` for a batch. */
  forward(x: Tensor, _ctx?: ForwardContext): Tensor {
    const kernel = this.kernel;
    const xm = x.asMatrix();
    if (xm.cols !== kernel.value.rows || x.rank !== (this.builtShape as Shape).length + 1) {
      throw new BackpropError(
        "SHAPE_MISMATCH",
        `${this.name}: input is ${shapeString(x)} (expected ${batchShapeText(this.builtShape as Shape)})`,
      );
    }
    const batch = x.shape[0] as number;
    if (x.rank > 2 && !sameInnerShape(x, this.builtShape as Shape)) this.usePoolsFor(x.shape.slice(1));
    else if (this.otherShapes.size > 0) this.usePoolsFor(undefined);
    const zm = (this.zPool as BufferPool).matrix(batch);
    this.forwardProduct.run(xm, kernel.value, zm);
    if (this.biasRow) addRowVector(zm, this.biasRow, zm);
    const yPool = this.yPool as BufferPool;
    const ym = activationForward(this.activation, zm, yPool.matrix(batch));
    this.lastX = x;
    this.lastXm = xm;
    this.lastZ = (this.zPool as BufferPool).get(batch);
    this.lastZm = zm;
    this.lastY = yPool.get(batch);
    this.lastYm = ym;
    this.lastDy = undefined;
    this.lastDz = undefined;
    this.lastDx = undefined;
    return this.lastY;
  }

  /** From dL/dy: accumulates dL/dW and dL/db, returns dL/dx. */
  backward(dy: Tensor, ctx: BackwardContext = {}): Tensor {
    const zm = this.lastZm;
    const ym = this.lastYm;
    const y = this.lastY;
    if (!zm || !ym || !y) throw noForward(this.name);
    const dym = dy.asMatrix();
    if (dy.size !== y.size || dym.cols !== ym.cols) {
      throw new BackpropError(
        "SHAPE_MISMATCH",
        `${this.name}.backward: gradient is ${shapeString(dy)} (expected ${shapeString(y)}, the output's shape)`,
      );
    }
    this.lastDy = dy;
    if (isIdentity(this.activation)) return this.backwardFrom(dy, dym, ctx);
    const batch = y.shape[0] as number;
    const dzPool = this.dzPool as BufferPool;
    activationBackward(this.activation, zm, ym, dym, dzPool.matrix(batch));
    return this.backwardFrom(dzPool.get(batch), dzPool.matrix(batch), ctx);
  }

  /**
   * Backward pass starting from δ = dL/dz, the gradient at the pre-activation. The model uses it
   * when the loss supplies δ directly (softmax or sigmoid fused with cross-entropy).
   */
  backwardFromDelta(dz: Tensor, ctx: BackwardContext = {}): Tensor {
    return this.backwardFrom(dz, dz.asMatrix(), ctx);
  }

  private backwardFrom(dz: Tensor, dzm: Matrix, ctx: BackwardContext): Tensor {
    const xm = this.lastXm;
    if (!xm) throw noForward(this.name);
    const kernel = this.kernel;
    this.lastDz = dz;
    if (kernel.trainable) {
      this.weightGradientProduct.run(xm, dzm, kernel.grad, WEIGHT_GRADIENT);
      if (this.kernelReg) addRegularizerGradient(this.kernelReg, kernel.value, kernel.grad);
    }
    const bias = this.biasParam;
    if (bias?.trainable) {
      const gradRow = this.biasGradRow as Matrix;
      sumColumns(dzm, gradRow, true);
      if (this.biasReg) addRegularizerGradient(this.biasReg, this.biasRow as Matrix, gradRow);
    }
    const batch = (this.lastX as Tensor).shape[0] as number;
    const dxPool = this.dxPool as BufferPool;
    if (ctx.inputGradient === false) {
      this.lastDx = undefined;
      return dxPool.get(batch);
    }
    this.inputGradientProduct.run(dzm, kernel.value, dxPool.matrix(batch), INPUT_GRADIENT);
    this.lastDx = dxPool.get(batch);
    return this.lastDx;
  }

  /** Kernel then bias. */
  params(): readonly Param[] {
    if (!this.kernelParam) return [];
    return this.biasParam ? [this.kernelParam, this.biasParam] : [this.kernelParam];
  }

  /** The L1/L2 penalties of kernel and bias. */
  regularizationLoss(): number {
    let penalty = 0;
    if (this.kernelReg && this.kernelParam) penalty += regularizerPenalty(this.kernelReg, this.kernelParam.value);
    if (this.biasReg && this.biasRow) penalty += regularizerPenalty(this.biasReg, this.biasRow);
    return penalty;
  }

  /** Hands a time mask on unchanged: the layer works on each time step alone. */
  computeMask(_input: Tensor, mask: TimeMask | undefined): TimeMask | undefined {
    return mask;
  }

  /** The JSON config (no weights). */
  getConfig(): JsonObject {
    const shape = this.inputShapeConfig ?? this.builtShape;
    return {
      name: this.name,
      units: this.units,
      activation: layerActivationConfig(this.activation),
      useBias: this.useBias,
      inputDim: this.inputDim ?? this.kernelParam?.value.rows ?? null,
      ...(shape && shape.length > 1 ? { inputShape: [...shape] } : {}),
      kernelInitializer: initializerConfig(this.kernelInit),
      biasInitializer: initializerConfig(this.biasInit),
      kernelRegularizer: regularizerConfig(this.kernelReg),
      biasRegularizer: regularizerConfig(this.biasReg),
      trainableBias: this.biasParam ? this.biasParam.trainable : this.trainableBias,
    };
  }

  /** Input, net, output, and their gradients from the last passes through this layer. */
  inspect(): LayerInspection {
    return {
      ...(this.lastX ? { input: this.lastX } : {}),
      ...(this.lastZ ? { preActivation: this.lastZ } : {}),
      ...(this.lastY ? { output: this.lastY } : {}),
      ...(this.lastDy ? { outputGradient: this.lastDy } : {}),
      ...(this.lastDz ? { delta: this.lastDz } : {}),
      ...(this.lastDx ? { inputGradient: this.lastDx } : {}),
    };
  }
}

/** Whether `x`'s per-sample shape is `sample`. */
function sameInnerShape(x: Tensor, sample: Shape): boolean {
  for (let i = 0; i < sample.length; i++) if (x.shape[i + 1] !== sample[i]) return false;
  return true;
}

function notBuilt(name: string): BackpropError {
  return new BackpropError("NOT_BUILT", `${name}: the layer has no weights yet`, {
    hint: "add it to a Sequential model and call build(), fit() or predict() first",
  });
}

function noForward(name: string): BackpropError {
  return new BackpropError("INVALID_STATE", `${name}.backward: called before forward`);
}
