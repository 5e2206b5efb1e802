import type { ActivationSpec } from "@backprop/activations";
import {
  BackpropError,
  Matrix,
  Param,
  addRowVector,
  getBackend,
  matmul,
  shapeString,
  sumColumns,
  type FloatArray,
  type JsonObject,
} from "@backprop/linalg";
import { BufferPool } from "./buffer-pool.js";
import { resolveInitializer, type Initializer, type InitializerSpec } from "./initializers/index.js";
import type { BackwardContext, BuildContext, ForwardContext, Layer, LayerInspection } from "./layer.js";
import {
  activationBackward,
  activationForward,
  isIdentity,
  layerActivationConfig,
  resolveLayerActivation,
  type LayerActivation,
} from "./layer-activation.js";
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
  /** in×out (the Keras / TensorFlow.js layout): `kernel[i][j]` connects input i to unit j. */
  readonly kernel: readonly (readonly number[])[];
  /** One bias per unit. */
  readonly bias?: readonly number[];
}

/** Options of {@link Dense}. */
export interface DenseConfig {
  /** Number of output units. */
  readonly units: number;
  /** Activation applied to `x·W + b`; default identity. `"softmax"` for a probability output. */
  readonly activation?: ActivationSpec;
  /** Whether to add a bias vector. Default true. */
  readonly useBias?: boolean;
  /** Input width; needed on the first layer unless the model learns it from data. */
  readonly inputDim?: number | null;
  /** Kernel initializer, default `"glorotUniform"` (as Keras). */
  readonly kernelInitializer?: InitializerSpec;
  /** Bias initializer, default `"zeros"`. */
  readonly biasInitializer?: InitializerSpec;
  /** L1/L2 penalty on the kernel. */
  readonly kernelRegularizer?: RegularizerConfig | null;
  /** L1/L2 penalty on the bias. */
  readonly biasRegularizer?: RegularizerConfig | null;
  /** Initial weights used instead of the initializers (copied at build). */
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

function initializerJson(init: Initializer): JsonObject {
  return { name: init.name, config: init.config };
}

/**
 * A fully connected layer: `y = activation(x·W + b)` with W of shape in×out.
 *
 * Forward and backward (per batch of `n` rows):
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
  /** The resolved activation. */
  readonly activation: LayerActivation;
  /** Whether the layer has a bias. */
  readonly useBias: boolean;
  private readonly inputDimConfig: number | undefined;
  private readonly kernelInit: Initializer;
  private readonly biasInit: Initializer;
  private readonly kernelReg: Regularizer | undefined;
  private readonly biasReg: Regularizer | undefined;
  private readonly initialWeights: DenseWeights | undefined;
  private readonly trainableBias: boolean;

  private kernelParam: Param | undefined;
  private biasParam: Param | undefined;
  private zPool: BufferPool | undefined;
  private yPool: BufferPool | undefined;
  private dzPool: BufferPool | undefined;
  private dxPool: BufferPool | undefined;
  private lastX: Matrix | undefined;
  private lastZ: Matrix | undefined;
  private lastY: Matrix | undefined;
  private lastDy: Matrix | undefined;
  private lastDz: Matrix | undefined;
  private lastDx: Matrix | undefined;
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
    this.inputDimConfig = config.inputDim === undefined || config.inputDim === null ? undefined : positiveInteger("Dense.inputDim", config.inputDim);
    this.kernelInit = resolveInitializer(config.kernelInitializer ?? "glorotUniform");
    this.biasInit = resolveInitializer(config.biasInitializer ?? "zeros");
    this.kernelReg = makeRegularizer("Dense.kernelRegularizer", config.kernelRegularizer);
    this.biasReg = makeRegularizer("Dense.biasRegularizer", config.biasRegularizer);
    this.trainableBias = config.trainableBias ?? true;
    if (config.weights !== undefined) this.checkWeights(config.weights);
    this.initialWeights = config.weights;
  }

  private checkWeights(w: DenseWeights): void {
    const k = w.kernel;
    if (!Array.isArray(k) || k.length === 0 || !k.every((row) => Array.isArray(row) && row.length === this.units)) {
      throw new BackpropError(
        "SHAPE_MISMATCH",
        `Dense.weights.kernel: expected in×${this.units} rows of numbers (one row per input, one column per unit)`,
      );
    }
    if (this.inputDimConfig !== undefined && k.length !== this.inputDimConfig) {
      throw new BackpropError(
        "SHAPE_MISMATCH",
        `Dense.weights.kernel: has ${k.length} rows (expected inputDim = ${this.inputDimConfig})`,
      );
    }
    if (w.bias !== undefined && (!this.useBias || !Array.isArray(w.bias) || w.bias.length !== this.units)) {
      throw new BackpropError(
        "SHAPE_MISMATCH",
        this.useBias
          ? `Dense.weights.bias: expected ${this.units} numbers (got ${Array.isArray(w.bias) ? w.bias.length : typeof w.bias})`
          : "Dense.weights.bias: given, but useBias is false",
      );
    }
  }

  /** Input width from the config (or from explicit weights), if known before build. */
  get inputDim(): number | undefined {
    return this.inputDimConfig ?? this.initialWeights?.kernel.length;
  }

  /** Whether {@link Dense.build} has run. */
  get built(): boolean {
    return this.kernelParam !== undefined;
  }

  /** The kernel parameter (in×units). Throws before build. */
  get kernel(): Param {
    if (!this.kernelParam) throw notBuilt(this.name);
    return this.kernelParam;
  }

  /** The bias parameter (1×units), or undefined without bias. Throws before build. */
  get bias(): Param | undefined {
    if (!this.kernelParam) throw notBuilt(this.name);
    return this.biasParam;
  }

  /** Output width: the number of units. */
  outputDim(): number {
    return this.units;
  }

  /** Allocates the kernel and bias and draws their initial values. */
  build(ctx: BuildContext): void {
    const inputDim = ctx.inputDim;
    const expected = this.inputDim;
    if (expected !== undefined && expected !== inputDim) {
      throw new BackpropError(
        "SHAPE_MISMATCH",
        `${this.name}: input has ${inputDim} features (expected inputDim = ${expected})`,
      );
    }
    const kernel = new Param(`${ctx.prefix}.kernel`, new Matrix(inputDim, this.units, ctx.dtype));
    // NOTE: the kernel is always drawn, even with explicit weights, so a model's later layers get
    // the same random numbers whether or not an earlier layer was given weights.
    this.kernelInit.init(kernel.value, ctx.rng, { fanIn: inputDim, fanOut: this.units });
    if (this.initialWeights) {
      const kd = kernel.value.data;
      this.initialWeights.kernel.forEach((row, i) => kd.set(row, i * this.units));
    }
    this.kernelParam = kernel;
    if (this.useBias) {
      const bias = new Param(`${ctx.prefix}.bias`, new Matrix(1, this.units, ctx.dtype), this.trainableBias);
      this.biasInit.init(bias.value, ctx.rng, { fanIn: this.units, fanOut: this.units });
      if (this.initialWeights?.bias) bias.value.data.set(this.initialWeights.bias);
      this.biasParam = bias;
    }
    this.zPool = new BufferPool(this.units, ctx.dtype);
    this.yPool = isIdentity(this.activation) ? this.zPool : new BufferPool(this.units, ctx.dtype);
    this.dzPool = new BufferPool(this.units, ctx.dtype);
    this.dxPool = new BufferPool(inputDim, ctx.dtype);
  }

  /** `y = f(x·W + b)` for a batch. */
  forward(x: Matrix, _ctx?: ForwardContext): Matrix {
    const kernel = this.kernel;
    if (x.cols !== kernel.value.rows) {
      throw new BackpropError(
        "SHAPE_MISMATCH",
        `${this.name}: input is ${shapeString(x)} (expected n×${kernel.value.rows})`,
      );
    }
    const z = (this.zPool as BufferPool).get(x.rows);
    this.forwardProduct.run(x, kernel.value, z);
    if (this.biasParam) addRowVector(z, this.biasParam.value, z);
    const y = activationForward(this.activation, z, (this.yPool as BufferPool).get(x.rows));
    this.lastX = x;
    this.lastZ = z;
    this.lastY = y;
    this.lastDy = undefined;
    this.lastDz = undefined;
    this.lastDx = undefined;
    return y;
  }

  /** From dL/dy: accumulates dL/dW and dL/db, returns dL/dx. */
  backward(dy: Matrix, ctx: BackwardContext = {}): Matrix {
    const z = this.lastZ;
    const y = this.lastY;
    if (!z || !y) throw noForward(this.name);
    if (dy.rows !== y.rows || dy.cols !== y.cols) {
      throw new BackpropError(
        "SHAPE_MISMATCH",
        `${this.name}.backward: gradient is ${shapeString(dy)} (expected ${shapeString(y)}, the output's shape)`,
      );
    }
    this.lastDy = dy;
    const dz = isIdentity(this.activation)
      ? dy
      : activationBackward(this.activation, z, y, dy, (this.dzPool as BufferPool).get(dy.rows));
    return this.backwardFromDelta(dz, ctx);
  }

  /**
   * Backward pass starting from δ = dL/dz, the gradient at the pre-activation. The model uses it
   * when the loss supplies δ directly (softmax fused with cross-entropy).
   */
  backwardFromDelta(dz: Matrix, ctx: BackwardContext = {}): Matrix {
    const x = this.lastX;
    if (!x) throw noForward(this.name);
    const kernel = this.kernel;
    this.lastDz = dz;
    if (kernel.trainable) {
      this.weightGradientProduct.run(x, dz, kernel.grad, WEIGHT_GRADIENT);
      if (this.kernelReg) addRegularizerGradient(this.kernelReg, kernel.value, kernel.grad);
    }
    const bias = this.biasParam;
    if (bias?.trainable) {
      sumColumns(dz, bias.grad, true);
      if (this.biasReg) addRegularizerGradient(this.biasReg, bias.value, bias.grad);
    }
    const dx = (this.dxPool as BufferPool).get(dz.rows);
    if (ctx.inputGradient === false) {
      this.lastDx = undefined;
      return dx;
    }
    this.inputGradientProduct.run(dz, kernel.value, dx, INPUT_GRADIENT);
    this.lastDx = dx;
    return dx;
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
    if (this.biasReg && this.biasParam) penalty += regularizerPenalty(this.biasReg, this.biasParam.value);
    return penalty;
  }

  /** The JSON config (no weights). */
  getConfig(): JsonObject {
    return {
      name: this.name,
      units: this.units,
      activation: layerActivationConfig(this.activation),
      useBias: this.useBias,
      inputDim: this.inputDim ?? this.kernelParam?.value.rows ?? null,
      kernelInitializer: initializerJson(this.kernelInit),
      biasInitializer: initializerJson(this.biasInit),
      kernelRegularizer: regularizerConfig(this.kernelReg),
      biasRegularizer: regularizerConfig(this.biasReg),
      trainableBias: this.biasParam ? this.biasParam.trainable : this.trainableBias,
    };
  }

  /**
   * Input, net, output, and their gradients from the last passes through this layer (`forward`,
   * `backward`, `predict`, `traceStep`). A small network trained by the fused step of
   * `Sequential.fit` does not pass through its layers, so this keeps the passes from before.
   */
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

function notBuilt(name: string): BackpropError {
  return new BackpropError("NOT_BUILT", `${name}: the layer has no weights yet`, {
    hint: "add it to a Sequential model and call build(), fit() or predict() first",
  });
}

function noForward(name: string): BackpropError {
  return new BackpropError("INVALID_STATE", `${name}.backward: called before forward`);
}
