import { relu, type Activation, type ActivationSpec } from "@backprop/activations";
import {
  BackpropError,
  Matrix,
  Param,
  Tensor,
  addRowVector,
  conv2dBackward,
  conv2dForward,
  conv2dMaxPool,
  conv2dInputGradient,
  conv2dKernelGradient,
  convGeometry,
  describeValue,
  formatShape,
  matmul,
  readConfig,
  shapeString,
  sumColumns,
  type ConvGeometry,
  type JsonObject,
  type Shape,
} from "@backprop/linalg";
import { BufferPool } from "./buffer-pool.js";
import { initializerConfig, resolveInitializer, type Initializer, type InitializerSpec } from "./initializers/index.js";
import { batchShapeText, readInputShape } from "./input-shape.js";
import type { BackwardContext, BuildContext, ForwardContext, Layer, LayerInspection, ParamShape } from "./layer.js";
import { MaxPooling2D } from "./pooling/max-pooling2d.js";
import {
  activationBackward,
  activationForward,
  isIdentity,
  layerActivationConfig,
  resolveLayerActivation,
} from "./layer-activation.js";
import {
  addRegularizerGradient,
  makeRegularizer,
  regularizerConfig,
  regularizerPenalty,
  type Regularizer,
  type RegularizerConfig,
} from "./regularizer.js";

// The options of the two backward products, shared so no object is made per batch.
const WEIGHT_GRADIENT = { transA: true, accumulate: true } as const;
const INPUT_GRADIENT = { transB: true } as const;

/**
 * A size or step along both image axes: one number for both, or `[height, width]`.
 * @example
 * ```ts
 * const kernelSize: Conv2DSize = [5, 3]; // 5 rows, 3 columns; `3` means [3, 3]
 * ```
 */
export type Conv2DSize = number | readonly [number, number];

/**
 * Options of {@link Conv2D}; the keys of Keras / TensorFlow.js in lowerCamel. Unknown keys are
 * rejected (a misspelt `kernel_size` would otherwise fall back to a default).
 * @example
 * ```ts
 * const config: Conv2DConfig = { filters: 16, kernelSize: 3, strides: 2, padding: "same", activation: "relu" };
 * ```
 */
export interface Conv2DConfig {
  /** Number of output channels (kernels). */
  readonly filters: number;
  /** Kernel `[height, width]`, or one number for a square kernel. */
  readonly kernelSize: Conv2DSize;
  /** Step between output pixels, `[height, width]` or one number. Default 1. */
  readonly strides?: Conv2DSize;
  /**
   * `"valid"` (default): no padding, output `⌊(in − span)/stride⌋ + 1`; `"same"`: output `⌈in/stride⌉`
   * with zero padding split evenly, the odd row/column at the bottom/right (TensorFlow's).
   */
  readonly padding?: "valid" | "same";
  /** Step between a kernel's taps (atrous convolution), `[height, width]` or one number. Default 1. */
  readonly dilationRate?: Conv2DSize;
  /** Whether to add a bias per filter. Default true. */
  readonly useBias?: boolean;
  /** Activation applied to every output pixel's channels; default identity (softmax is over the channels). */
  readonly activation?: ActivationSpec | null;
  /** Kernel initializer, default `"glorotUniform"` with fanIn = kh·kw·inChannels, fanOut = kh·kw·filters. */
  readonly kernelInitializer?: InitializerSpec;
  /** Bias initializer, default `"zeros"`. */
  readonly biasInitializer?: InitializerSpec;
  /** L1/L2 penalty on the kernel. */
  readonly kernelRegularizer?: RegularizerConfig | null;
  /** L1/L2 penalty on the bias. */
  readonly biasRegularizer?: RegularizerConfig | null;
  /** Per-sample input shape `[height, width, channels]`, on the first layer of a model. */
  readonly inputShape?: readonly number[] | null;
  /** Layer name, unique within a model; assigned by the model when omitted. */
  readonly name?: string;
}

function sizePair(where: string, key: string, value: unknown): readonly [number, number] {
  const ok = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v) && v > 0;
  if (ok(value)) return [value, value];
  if (Array.isArray(value) && value.length === 2 && ok(value[0]) && ok(value[1])) return [value[0], value[1]];
  throw new BackpropError(
    "INVALID_CONFIG",
    `${where}: invalid ${key} (got ${describeValue(value)}, expected a positive integer or [height, width] of positive integers)`,
  );
}

/** An initializer option, with the layer and key in messages and a bad spec reported as a config error. */
function layerInitializer(where: string, spec: unknown, fallback: string): Initializer {
  try {
    return resolveInitializer((spec ?? fallback) as InitializerSpec);
  } catch (error) {
    if (error instanceof BackpropError) {
      throw new BackpropError(error.code === "INVALID_ARGUMENT" ? "INVALID_CONFIG" : error.code, `${where}: ${error.message.split("\nhelp: ")[0] ?? ""}`, {
        cause: error,
        ...(error.hint ? { hint: error.hint } : {}),
      });
    }
    throw error;
  }
}

function schema(where: string) {
  return {
    name: { type: "string", optional: true, nullable: true },
    filters: { type: "number", min: 1, integer: true },
    kernelSize: { type: "custom", read: (v: unknown, key: string) => sizePair(where, key, v) },
    strides: { type: "custom", default: 1, read: (v: unknown, key: string) => sizePair(where, key, v) },
    padding: { type: "string", default: "valid", oneOf: ["valid", "same"] as const },
    dilationRate: { type: "custom", default: 1, read: (v: unknown, key: string) => sizePair(where, key, v) },
    useBias: { type: "boolean", default: true },
    activation: { type: "custom", read: (v: unknown) => resolveLayerActivation(`${where}.activation`, v as ActivationSpec | null | undefined) },
    kernelInitializer: { type: "custom", read: (v: unknown) => layerInitializer(`${where}.kernelInitializer`, v, "glorotUniform") },
    biasInitializer: { type: "custom", read: (v: unknown) => layerInitializer(`${where}.biasInitializer`, v, "zeros") },
    kernelRegularizer: { type: "custom", read: (v: unknown) => makeRegularizer(`${where}.kernelRegularizer`, v as RegularizerConfig | null | undefined) },
    biasRegularizer: { type: "custom", read: (v: unknown) => makeRegularizer(`${where}.biasRegularizer`, v as RegularizerConfig | null | undefined) },
    inputShape: { type: "custom", read: (v: unknown) => readInputShape(where, { inputShape: v as readonly number[] | null | undefined }) },
  } as const;
}

/**
 * A 2-D convolution over channels-last images (Keras' and TensorFlow.js' `Conv2D`):
 *
 * `y[b, i, j, f] = act(bias[f] + Σ_{ky, kx, c} x[b, i·sh − top + ky·dh, j·sw − left + kx·dw, c] · kernel[ky, kx, c, f])`
 *
 * with zeros outside the input. The kernel has the Keras layout `[kh, kw, inChannels, filters]`,
 * so weights copy to and from TensorFlow.js unchanged. Inputs are `[batch, height, width, channels]`,
 * outputs `[batch, outHeight, outWidth, filters]`.
 *
 * Each pass is one matrix product on the GEMM backend (im2col): the receptive fields are unfolded
 * into a patch matrix P of (batch·outHeight·outWidth) rows and kh·kw·inChannels columns, and with
 * the kernel read as a (kh·kw·inChannels)×filters matrix W:
 * - forward: `z = P·W + b`, `y = act(z)`
 * - backward: `δ = dL/dz`, `dL/dW += Pᵀ·δ`, `dL/db += Σ_rows δ`, `dL/dP = δ·Wᵀ`, `dL/dx = col2im(dL/dP)`
 *
 * Buffers are allocated once per batch size and reused. A 1×1 kernel with stride 1 skips the
 * unfolding: its patch matrix is the input itself.
 *
 * @see https://keras.io/api/layers/convolution_layers/convolution2d/
 * @example
 * ```ts
 * const model = new Sequential([
 *   new Conv2D({ filters: 8, kernelSize: 5, activation: "relu", inputShape: [28, 28, 1] }), // → [24, 24, 8]
 *   new Conv2D({ filters: 16, kernelSize: 3, strides: 2, padding: "same", activation: "relu" }), // → [12, 12, 16]
 * ]);
 * ```
 */
export class Conv2D implements Layer {
  /** Registry name of this layer type. */
  readonly className = "conv2d";
  /** Layer name (assigned by the model when not configured). */
  name: string;
  /** Number of output channels. */
  readonly filters: number;
  /** Kernel `[height, width]`. */
  readonly kernelSize: readonly [number, number];
  /** Step between output pixels, `[height, width]`. */
  readonly strides: readonly [number, number];
  /** `"valid"` or `"same"`. */
  readonly padding: "valid" | "same";
  /** Step between a kernel's taps, `[height, width]`. */
  readonly dilationRate: readonly [number, number];
  /** Whether the layer has a bias. */
  readonly useBias: boolean;
  /** The resolved activation, applied over each pixel's channels. */
  readonly activation: Activation;
  /** The per-sample input shape from the config, if given. */
  readonly inputShape: Shape | undefined;
  private readonly kernelInit: Initializer;
  private readonly biasInit: Initializer;
  private readonly kernelReg: Regularizer | undefined;
  private readonly biasReg: Regularizer | undefined;

  private kernelParam: Param | undefined;
  // The kernel, its gradient and the bias as the matrices the products use (views made once).
  private kernelMatrix: Matrix | undefined;
  private kernelGradMatrix: Matrix | undefined;
  private biasParam: Param | undefined;
  private biasRow: Matrix | undefined;
  private biasGradRow: Matrix | undefined;
  private builtShape: Shape | undefined;
  private geometry: ConvGeometry | undefined;
  // True for a 1×1 kernel with stride 1 and no padding: the patch matrix is the input's 2-D view.
  private direct = false;
  private zPool: BufferPool | undefined;
  private yPool: BufferPool | undefined;
  private dzPool: BufferPool | undefined;
  private dxPool: BufferPool | undefined;
  private lastX: Tensor | undefined;
  private lastZ: Tensor | undefined;
  private lastZm: Matrix | undefined;
  private lastY: Tensor | undefined;
  private lastYm: Matrix | undefined;
  private lastDy: Tensor | undefined;
  private lastDz: Tensor | undefined;
  private lastDx: Tensor | undefined;

  constructor(config: Conv2DConfig) {
    if (typeof config !== "object" || config === null) {
      throw new BackpropError("INVALID_CONFIG", `Conv2D: expected a config object such as { filters: 8, kernelSize: 3 } (got ${describeValue(config)})`);
    }
    const c = readConfig("Conv2D", config, schema("Conv2D"));
    this.name = c.name ?? "conv2d";
    this.filters = c.filters;
    this.kernelSize = c.kernelSize;
    this.strides = c.strides;
    this.padding = c.padding;
    this.dilationRate = c.dilationRate;
    if ((this.strides[0] > 1 || this.strides[1] > 1) && (this.dilationRate[0] > 1 || this.dilationRate[1] > 1)) {
      throw new BackpropError(
        "INVALID_CONFIG",
        `Conv2D: strides ${formatShape(this.strides)} with dilationRate ${formatShape(this.dilationRate)} (expected strides or dilationRate to be 1)`,
        { hint: "Keras and TensorFlow.js reject the combination, so such a model could not be exported; stride with a separate layer" },
      );
    }
    this.useBias = c.useBias;
    this.activation = c.activation;
    this.kernelInit = c.kernelInitializer;
    this.biasInit = c.biasInitializer;
    this.kernelReg = c.kernelRegularizer;
    this.biasReg = c.biasRegularizer;
    if (c.inputShape !== undefined && c.inputShape.length !== 3) {
      throw new BackpropError(
        "INVALID_CONFIG",
        `Conv2D.inputShape: expected [height, width, channels] (got ${formatShape(c.inputShape)})`,
        { hint: "one sample's shape, channels last, without the batch axis: [28, 28, 1] for MNIST" },
      );
    }
    this.inputShape = c.inputShape;
  }

  /** Whether {@link Conv2D.build} has run. */
  get built(): boolean {
    return this.kernelParam !== undefined;
  }

  /** The kernel parameter `[kh, kw, inChannels, filters]`. Throws before build. */
  get kernel(): Param {
    if (!this.kernelParam) throw notBuilt(this.name);
    return this.kernelParam;
  }

  /** The bias parameter `[filters]`, or undefined without bias. Throws before build. */
  get bias(): Param | undefined {
    if (!this.kernelParam) throw notBuilt(this.name);
    return this.biasParam;
  }

  /** Where the kernel reads the input, for samples of this shape. */
  private geometryFor(inputShape: Shape): ConvGeometry {
    return convGeometry({
      inputShape,
      kernelSize: this.kernelSize,
      strides: this.strides,
      dilation: this.dilationRate,
      padding: this.padding,
      where: this.name,
    });
  }

  /** `[outHeight, outWidth, filters]` (see {@link Conv2DConfig.padding}). */
  computeOutputShape(inputShape: Shape): Shape {
    const g = this.geometryFor(inputShape);
    return [g.outHeight, g.outWidth, this.filters];
  }

  /** `kernel` `[kh, kw, inChannels, filters]` and, with a bias, `bias` `[filters]`. */
  paramShapes(inputShape: Shape): readonly ParamShape[] {
    const g = this.geometryFor(inputShape);
    const kernel: ParamShape = { name: "kernel", shape: [g.kernelHeight, g.kernelWidth, g.channels, this.filters] };
    return this.useBias ? [kernel, { name: "bias", shape: [this.filters] }] : [kernel];
  }

  /** Allocates the kernel and bias and draws their initial values. */
  build(inputShape: Shape, ctx: BuildContext): void {
    const g = this.geometryFor(inputShape);
    const [kh, kw] = this.kernelSize;
    const inChannels = g.channels;
    const taps = kh * kw * inChannels;
    const kernel = new Param(`${ctx.prefix}.kernel`, new Tensor([kh, kw, inChannels, this.filters], ctx.dtype));
    // Keras' fans for a convolution: each output sees kh·kw·inChannels inputs, each input feeds
    // kh·kw·filters outputs (the receptive field times the channels on each side).
    this.kernelInit.init(kernel.value, ctx.rng, { fanIn: taps, fanOut: kh * kw * this.filters });
    this.kernelParam = kernel;
    this.kernelMatrix = kernel.value.reshape([taps, this.filters]) as Matrix;
    this.kernelGradMatrix = kernel.grad.reshape([taps, this.filters]) as Matrix;
    if (this.useBias) {
      const bias = new Param(`${ctx.prefix}.bias`, new Tensor([this.filters], ctx.dtype));
      this.biasRow = bias.value.asMatrix();
      this.biasGradRow = bias.grad.asMatrix();
      this.biasInit.init(this.biasRow, ctx.rng, { fanIn: this.filters, fanOut: this.filters });
      this.biasParam = bias;
    }
    this.builtShape = inputShape.slice();
    this.geometry = g;
    this.direct = kh === 1 && kw === 1 && g.strideHeight === 1 && g.strideWidth === 1 && g.padTop === 0 && g.padLeft === 0;
    const outputShape = [g.outHeight, g.outWidth, this.filters];
    this.zPool = new BufferPool(outputShape, ctx.dtype);
    this.yPool = isIdentity(this.activation) ? this.zPool : new BufferPool(outputShape, ctx.dtype);
    this.dzPool = new BufferPool(outputShape, ctx.dtype);
    this.dxPool = new BufferPool(inputShape, ctx.dtype);
  }

  /** `y = act(im2col(x)·W + b)` for a batch `[n, height, width, channels]`. */
  forward(x: Tensor, ctx?: ForwardContext): Tensor {
    const kernel = this.kernelMatrix;
    const g = this.geometry;
    const shape = this.builtShape;
    if (!kernel || !g || !shape) throw notBuilt(this.name);
    const s = x.shape;
    if (s.length !== 4 || s[1] !== shape[0] || s[2] !== shape[1] || s[3] !== shape[2]) {
      throw new BackpropError("SHAPE_MISMATCH", `${this.name}: input is ${shapeString(x)} (expected ${batchShapeText(shape)})`);
    }
    if (x.dtype !== kernel.dtype) {
      throw new BackpropError("INVALID_ARGUMENT", `${this.name}: input is ${x.dtype} (expected ${kernel.dtype}, the layer's dtype)`, {
        hint: "convert it with x.clone(dtype); a Sequential model does this for you",
      });
    }
    const batch = s[0] as number;
    if (ctx?.training === false && this.activation === relu && !this.direct) return this.inferRelu(x, g, kernel, batch);
    const zPool = this.zPool as BufferPool;
    const zm = zPool.matrix(batch);
    if (this.direct) {
      matmul(x.asMatrix(), kernel, zm);
      if (this.biasRow) addRowVector(zm, this.biasRow, zm);
    } else {
      // im2col(x)·W + b in one call: a backend that can keeps the patch matrix in its own memory,
      // and the result is the same bits as im2col, matmul and addRowVector one after the other.
      conv2dForward(x, g, kernel, zm, this.biasRow);
    }
    const yPool = this.yPool as BufferPool;
    const ym = activationForward(this.activation, zm, yPool.matrix(batch));
    return this.remember(x, zPool.get(batch), zm, yPool.get(batch), ym);
  }

  /**
   * Inference through a ReLU layer (no backward pass follows): the activation is applied as the
   * sums leave the kernel, without writing the pre-activations out and reading them back (the same
   * bits as the two steps). There is then no pre-activation to inspect, nor a backward pass.
   */
  private inferRelu(x: Tensor, g: ConvGeometry, kernel: Matrix, batch: number): Tensor {
    const yPool = this.yPool as BufferPool;
    const ym = conv2dForward(x, g, kernel, yPool.matrix(batch), this.biasRow, "relu");
    return this.remember(x, undefined, undefined, yPool.get(batch), ym);
  }

  /**
   * Inference through this convolution and the max pooling after it in one kernel call where the
   * backend has one (float32 on the WASM backends, unpadded windows): the convolution's output
   * never leaves the kernel, and the pooled result has the bits of the two layers one after the
   * other. Identity or ReLU activations only. Neither layer then keeps anything for a backward
   * pass, and this one has no output to inspect.
   */
  inferThrough(x: Tensor, next: Layer): Tensor | undefined {
    const kernel = this.kernelMatrix;
    const g = this.geometry;
    const shape = this.builtShape;
    const fusedRelu = this.activation === relu;
    if (!(next instanceof MaxPooling2D) || !kernel || !g || !shape || this.direct) return undefined;
    if (!fusedRelu && !isIdentity(this.activation)) return undefined;
    const s = x.shape;
    // Anything unusual goes the long way, where forward reports it.
    if (s.length !== 4 || s[1] !== shape[0] || s[2] !== shape[1] || s[3] !== shape[2] || x.dtype !== kernel.dtype) return undefined;
    const target = next.fusedInferenceTarget(s[0] as number);
    if (!target || !conv2dMaxPool(x, g, kernel, this.biasRow, target.geometry, target.output, fusedRelu ? "relu" : undefined)) return undefined;
    // Only the input: the convolution's output was never written out.
    this.remember(x, undefined, undefined, undefined, undefined);
    return target.output;
  }

  /**
   * Keeps a forward pass's tensors for backward and inspect (those it did not make: undefined),
   * forgets the last backward's, and returns y.
   */
  private remember<Y extends Tensor | undefined>(x: Tensor, z: Tensor | undefined, zm: Matrix | undefined, y: Y, ym: Matrix | undefined): Y {
    this.lastX = x;
    this.lastZ = z;
    this.lastZm = zm;
    this.lastY = y;
    this.lastYm = ym;
    this.lastDy = undefined;
    this.lastDz = undefined;
    this.lastDx = undefined;
    return y;
  }

  /** From dL/dy: accumulates dL/dkernel and dL/dbias, returns dL/dx. */
  backward(dy: Tensor, ctx: BackwardContext = {}): Tensor {
    const zm = this.lastZm;
    const ym = this.lastYm;
    const y = this.lastY;
    if (this.lastX && !zm) throw inferenceOnly(this.name);
    if (!zm || !ym || !y) throw noForward(this.name);
    this.checkGradient(dy, y, "gradient");
    this.lastDy = dy;
    if (isIdentity(this.activation)) return this.backwardFrom(dy, dy.asMatrix(), ctx);
    const batch = y.shape[0] as number;
    const dzPool = this.dzPool as BufferPool;
    activationBackward(this.activation, zm, ym, dy.asMatrix(), dzPool.matrix(batch));
    return this.backwardFrom(dzPool.get(batch), dzPool.matrix(batch), ctx);
  }

  /**
   * Backward pass starting from δ = dL/dz, the gradient at the pre-activation: used when the loss
   * supplies δ directly (softmax or sigmoid fused with cross-entropy).
   */
  backwardFromDelta(delta: Tensor, ctx: BackwardContext = {}): Tensor {
    const y = this.lastY;
    if (!y) throw this.lastX ? inferenceOnly(this.name) : noForward(this.name);
    this.checkGradient(delta, y, "delta");
    this.lastDy = undefined;
    return this.backwardFrom(delta, delta.asMatrix(), ctx);
  }

  private checkGradient(dy: Tensor, y: Tensor, what: string): void {
    if (dy.size !== y.size || dy.shape[dy.rank - 1] !== this.filters) {
      throw new BackpropError(
        "SHAPE_MISMATCH",
        `${this.name}.backward: ${what} is ${shapeString(dy)} (expected ${shapeString(y)}, the output's shape)`,
      );
    }
  }

  private backwardFrom(dz: Tensor, dzm: Matrix, ctx: BackwardContext): Tensor {
    const x = this.lastX;
    const g = this.geometry;
    if (!x || !g) throw noForward(this.name);
    const kernel = this.kernel;
    const kernelMatrix = this.kernelMatrix as Matrix;
    this.lastDz = dz;
    const batch = x.shape[0] as number;
    const dxPool = this.dxPool as BufferPool;
    const wantInput = ctx.inputGradient !== false;
    // Both products in one call where both are wanted: a threaded backend runs them at once.
    const together = kernel.trainable && wantInput && !this.direct;
    if (together) conv2dBackward(x, g, dzm, kernelMatrix, this.kernelGradMatrix as Matrix, dxPool.get(batch), true);
    if (kernel.trainable) {
      const grad = this.kernelGradMatrix as Matrix;
      // dW += im2col(x)ᵀ·δ: the patches are made again (inside WASM memory where the backend can)
      // rather than kept from the forward pass, which would hold a copy of every input per layer.
      if (this.direct) matmul(x.asMatrix(), dzm, grad, WEIGHT_GRADIENT);
      else if (!together) conv2dKernelGradient(x, g, dzm, grad, true);
      if (this.kernelReg) addRegularizerGradient(this.kernelReg, kernelMatrix, grad);
    }
    const bias = this.biasParam;
    if (bias?.trainable) {
      const gradRow = this.biasGradRow as Matrix;
      sumColumns(dzm, gradRow, true);
      if (this.biasReg) addRegularizerGradient(this.biasReg, this.biasRow as Matrix, gradRow);
    }
    const dx = dxPool.get(batch);
    if (!wantInput) {
      this.lastDx = undefined;
      return dx;
    }
    if (this.direct) matmul(dzm, kernelMatrix, dxPool.matrix(batch), INPUT_GRADIENT);
    else if (!together) conv2dInputGradient(dzm, g, kernelMatrix, dx);
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
    if (this.kernelReg && this.kernelMatrix) penalty += regularizerPenalty(this.kernelReg, this.kernelMatrix);
    if (this.biasReg && this.biasRow) penalty += regularizerPenalty(this.biasReg, this.biasRow);
    return penalty;
  }

  /** The JSON config (no weights); `new Conv2D(config)` rebuilds the layer. */
  getConfig(): JsonObject {
    const shape = this.inputShape ?? this.builtShape;
    return {
      name: this.name,
      filters: this.filters,
      kernelSize: [...this.kernelSize],
      strides: [...this.strides],
      padding: this.padding,
      dilationRate: [...this.dilationRate],
      useBias: this.useBias,
      activation: layerActivationConfig(this.activation),
      kernelInitializer: initializerConfig(this.kernelInit),
      biasInitializer: initializerConfig(this.biasInit),
      kernelRegularizer: regularizerConfig(this.kernelReg),
      biasRegularizer: regularizerConfig(this.biasReg),
      ...(shape ? { inputShape: [...shape] } : {}),
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

function notBuilt(name: string): BackpropError {
  return new BackpropError("NOT_BUILT", `${name}: the layer has no weights yet`, {
    hint: "add it to a Sequential model and call build(), fit() or predict() first",
  });
}

function inferenceOnly(name: string): BackpropError {
  return new BackpropError("INVALID_STATE", `${name}.backward: the last forward was an inference pass (training: false)`, {
    hint: "run forward(x, { training: true }) before backward, as fit and trainOnBatch do",
  });
}

function noForward(name: string): BackpropError {
  return new BackpropError("INVALID_STATE", `${name}.backward: called before forward`);
}
