import {
  BackpropError,
  Param,
  Tensor,
  readConfig,
  shapeString,
  type FloatArray,
  type JsonObject,
  type Matrix,
  type Shape,
} from "@backprop/linalg";
import { BufferPool } from "./buffer-pool.js";
import { initializerConfig, resolveInitializer, type Initializer, type InitializerSpec } from "./initializers/index.js";
import { scaleShiftConfig, scaleShiftFields } from "./scale-shift.js";
import { batchShapeText, checkInputShape, lastAxisOnly, readInputShape } from "./input-shape.js";
import type { BackwardContext, BuildContext, ForwardContext, Layer, LayerInspection, ParamShape } from "./layer.js";
import { addRegularizerGradient, regularizerPenalty, type Regularizer, type RegularizerConfig } from "./regularizer.js";

/** Options of {@link BatchNormalization} (Keras' names and defaults). */
export interface BatchNormalizationConfig {
  /** The axis normalised: only `-1`, the last (channels / features) axis of channels-last data. */
  readonly axis?: number;
  /** Weight of the old value in the moving averages, in [0, 1]. Default 0.99. */
  readonly momentum?: number;
  /** Added to the variance before the square root, ≥ 0. Default 1e-3 (Keras). */
  readonly epsilon?: number;
  /** Whether to add the trainable offset `beta`. Default true. */
  readonly center?: boolean;
  /** Whether to multiply by the trainable scale `gamma`. Default true. */
  readonly scale?: boolean;
  /** Initializer of `beta`, default `"zeros"`. */
  readonly betaInitializer?: InitializerSpec;
  /** Initializer of `gamma`, default `"ones"`. */
  readonly gammaInitializer?: InitializerSpec;
  /** Initializer of `movingMean`, default `"zeros"`. */
  readonly movingMeanInitializer?: InitializerSpec;
  /** Initializer of `movingVariance`, default `"ones"`. */
  readonly movingVarianceInitializer?: InitializerSpec;
  /** L1/L2 penalty on `beta`. */
  readonly betaRegularizer?: RegularizerConfig | null;
  /** L1/L2 penalty on `gamma`. */
  readonly gammaRegularizer?: RegularizerConfig | null;
  /** Per-sample input shape, when this is the model's first layer. */
  readonly inputShape?: readonly number[] | null;
  /** Layer name, assigned by the model when omitted. */
  readonly name?: string;
}

/**
 * Batch normalisation over the last axis (Keras' `BatchNormalization`, `axis: -1`). Every position
 * of every sample is one observation of each channel: a `[batch, h, w, c]` input has `batch·h·w`
 * observations of `c` channels (its {@link Tensor.asMatrix} view: rows are observations).
 *
 * - **Training** (`forward(x, { training: true })`, as in `fit`): with the batch statistics of
 *   channel j, `μⱼ = mean(xⱼ)` and the biased variance `σ²ⱼ = mean((xⱼ − μⱼ)²)`,
 *   `y = γⱼ·(x − μⱼ)/√(σ²ⱼ + ε) + βⱼ`; then the moving statistics move towards them:
 *   `movingMean ← movingMean·momentum + μ·(1 − momentum)` and
 *   `movingVariance ← movingVariance·momentum + σ²·(1 − momentum)` — the batch variance as is,
 *   biased (no n/(n−1) correction), as Keras 3 and TensorFlow.js do (tf.keras 2's fused kernel
 *   corrected it; files from either load the same, only further training differs slightly).
 * - **Inference** (`predict`, `evaluate`, `training` false or absent):
 *   `y = γⱼ·(x − movingMeanⱼ)/√(movingVarianceⱼ + ε) + βⱼ`.
 *
 * Backward in training mode is the full gradient, through the batch mean and variance (with
 * `x̂ = (x − μ)/√(σ² + ε)` and n observations): `dβ = Σ dy`, `dγ = Σ dy·x̂`,
 * `dx = γ/√(σ² + ε) · (dy − dβ/n − x̂·dγ/n)`. In inference mode the statistics are constants:
 * `dx = dy·γ/√(movingVariance + ε)`.
 *
 * Parameters, in Keras' order and layout (so TF.js / Keras weights copy over as they are):
 * `gamma` [c] (with `scale`), `beta` [c] (with `center`), then `movingMean` [c] and
 * `movingVariance` [c], which are not trainable (optimizers skip them) but are saved with the
 * weights. With `scale: false` γ is 1, with `center: false` β is 0.
 *
 * NOTE: every training-mode forward updates the moving statistics — `gradientCheck`, which calls
 * forward with `training: true` once per finite difference, moves them too. The training-mode
 * output does not depend on them, so the check itself is exact; save and restore them around it
 * if they matter afterwards.
 *
 * Buffers are allocated once per batch size, the per-channel scratch once at build.
 *
 * @see Ioffe & Szegedy 2015, "Batch Normalization: Accelerating Deep Network Training by Reducing
 *   Internal Covariate Shift"
 * @example
 * ```ts
 * const model = new Sequential([
 *   new Dense({ units: 32, inputDim: 8, useBias: false }),
 *   new BatchNormalization({ momentum: 0.9 }),
 *   new ActivationLayer({ activation: "relu" }),
 *   new Dense({ units: 1 }),
 * ]);
 * ```
 */
export class BatchNormalization implements Layer {
  /** Registry name of this layer type. */
  readonly className = "batchNormalization";
  /** Layer name. */
  name: string;
  /** The per-sample input shape from the config, if given. */
  readonly inputShape: Shape | undefined;
  /** Always -1: the last axis. */
  readonly axis = -1;
  /** Weight of the old value in the moving averages. */
  readonly momentum: number;
  /** Added to the variance under the square root. */
  readonly epsilon: number;
  /** Whether the layer has `beta`. */
  readonly center: boolean;
  /** Whether the layer has `gamma`. */
  readonly scale: boolean;
  private readonly betaInit: Initializer;
  private readonly gammaInit: Initializer;
  private readonly movingMeanInit: Initializer;
  private readonly movingVarianceInit: Initializer;
  private readonly betaReg: Regularizer | undefined;
  private readonly gammaReg: Regularizer | undefined;

  private gammaParam: Param | undefined;
  private betaParam: Param | undefined;
  private movingMeanParam: Param | undefined;
  private movingVarianceParam: Param | undefined;
  // 1×c views of gamma/beta and their gradients for the regularizer helpers, made once at build.
  private gammaRow: Matrix | undefined;
  private gammaGradRow: Matrix | undefined;
  private betaRow: Matrix | undefined;
  private betaGradRow: Matrix | undefined;
  private shape: Shape | undefined;
  private yPool: BufferPool | undefined;
  private dxPool: BufferPool | undefined;
  // Per-channel scratch in float64, allocated once at build: the mean and 1/√(var + ε) the last
  // forward normalised with (the batch's in training, the moving ones in inference), and the two
  // sums of backward.
  private mean: Float64Array | undefined;
  private invStd: Float64Array | undefined;
  private sumDy: Float64Array | undefined;
  private sumDyXhat: Float64Array | undefined;
  private lastTraining = false;
  private lastX: Tensor | undefined;
  private lastY: Tensor | undefined;
  private lastDy: Tensor | undefined;
  private lastDx: Tensor | undefined;

  constructor(config: BatchNormalizationConfig = {}) {
    const c = readConfig("BatchNormalization", config, {
      name: { type: "string", default: "batchNormalization" },
      axis: { type: "custom", default: -1, read: lastAxisOnly("BatchNormalization", "only the last (channels) axis is normalised: data is channels-last, [batch, ..., channels]") },
      momentum: { type: "number", default: 0.99, min: 0, max: 1 },
      epsilon: { type: "number", default: 1e-3, min: 0 },
      ...scaleShiftFields("BatchNormalization"),
      movingMeanInitializer: { type: "custom", default: "zeros", read: (v) => resolveInitializer(v as InitializerSpec) },
      movingVarianceInitializer: { type: "custom", default: "ones", read: (v) => resolveInitializer(v as InitializerSpec) },
      inputShape: { type: "custom", optional: true, nullable: true, read: (v) => readInputShape("BatchNormalization", { inputShape: v as readonly number[] }) },
    });
    this.name = c.name;
    this.momentum = c.momentum;
    this.epsilon = c.epsilon;
    this.center = c.center;
    this.scale = c.scale;
    this.betaInit = c.betaInitializer;
    this.gammaInit = c.gammaInitializer;
    this.movingMeanInit = c.movingMeanInitializer;
    this.movingVarianceInit = c.movingVarianceInitializer;
    this.betaReg = this.center ? c.betaRegularizer : undefined;
    this.gammaReg = this.scale ? c.gammaRegularizer : undefined;
    this.inputShape = c.inputShape;
  }

  /** Whether {@link BatchNormalization.build} has run. */
  get built(): boolean {
    return this.movingMeanParam !== undefined;
  }

  /** `gamma` [c], or undefined with `scale: false`. Throws before build. */
  get gamma(): Param | undefined {
    this.requireBuilt();
    return this.gammaParam;
  }

  /** `beta` [c], or undefined with `center: false`. Throws before build. */
  get beta(): Param | undefined {
    this.requireBuilt();
    return this.betaParam;
  }

  /** The moving mean [c] (non-trainable). Throws before build. */
  get movingMean(): Param {
    return this.requireBuilt().movingMean;
  }

  /** The moving variance [c] (non-trainable). Throws before build. */
  get movingVariance(): Param {
    return this.requireBuilt().movingVariance;
  }

  private requireBuilt(): { movingMean: Param; movingVariance: Param } {
    if (!this.movingMeanParam || !this.movingVarianceParam) {
      throw new BackpropError("NOT_BUILT", `${this.name}: the layer has no weights yet`, {
        hint: "add it to a Sequential model and call build(), fit() or predict() first",
      });
    }
    return { movingMean: this.movingMeanParam, movingVariance: this.movingVarianceParam };
  }

  private channelsOf(inputShape: Shape): number {
    checkInputShape(this.name, inputShape, 1);
    const channels = inputShape[inputShape.length - 1] as number;
    const declared = this.inputShape?.[this.inputShape.length - 1];
    if (declared !== undefined && declared !== channels) {
      throw new BackpropError(
        "SHAPE_MISMATCH",
        `${this.name}: input has ${channels} channels on its last axis (expected ${declared}, from inputShape)`,
      );
    }
    return channels;
  }

  /** Same as the input shape. */
  computeOutputShape(inputShape: Shape): Shape {
    this.channelsOf(inputShape);
    return inputShape;
  }

  /** `gamma` (with `scale`), `beta` (with `center`), `movingMean`, `movingVariance`, each `[c]`. */
  paramShapes(inputShape: Shape): readonly ParamShape[] {
    const c = this.channelsOf(inputShape);
    return [
      ...(this.scale ? [{ name: "gamma", shape: [c] }] : []),
      ...(this.center ? [{ name: "beta", shape: [c] }] : []),
      { name: "movingMean", shape: [c] },
      { name: "movingVariance", shape: [c] },
    ];
  }

  /** Creates the four per-channel vectors (drawn in Keras' order) and the scratch arrays. */
  build(inputShape: Shape, ctx: BuildContext): void {
    const c = this.channelsOf(inputShape);
    const fan = { fanIn: c, fanOut: c };
    const vector = (name: string, init: Initializer, trainable: boolean): Param => {
      const p = new Param(`${ctx.prefix}.${name}`, new Tensor([c], ctx.dtype), trainable);
      init.init(p.value, ctx.rng, fan);
      return p;
    };
    if (this.scale) {
      this.gammaParam = vector("gamma", this.gammaInit, true);
      this.gammaRow = this.gammaParam.value.asMatrix();
      this.gammaGradRow = this.gammaParam.grad.asMatrix();
    }
    if (this.center) {
      this.betaParam = vector("beta", this.betaInit, true);
      this.betaRow = this.betaParam.value.asMatrix();
      this.betaGradRow = this.betaParam.grad.asMatrix();
    }
    this.movingMeanParam = vector("movingMean", this.movingMeanInit, false);
    this.movingVarianceParam = vector("movingVariance", this.movingVarianceInit, false);
    this.shape = inputShape.slice();
    this.yPool = new BufferPool(inputShape, ctx.dtype);
    this.dxPool = new BufferPool(inputShape, ctx.dtype);
    this.mean = new Float64Array(c);
    this.invStd = new Float64Array(c);
    this.sumDy = new Float64Array(c);
    this.sumDyXhat = new Float64Array(c);
  }

  private checkInput(x: Tensor): void {
    const shape = this.shape;
    let ok = shape !== undefined && x.rank === shape.length + 1;
    for (let a = 0; ok && a < (shape as Shape).length; a++) ok = x.shape[a + 1] === (shape as Shape)[a];
    if (!ok) {
      if (!shape) this.requireBuilt();
      throw new BackpropError("SHAPE_MISMATCH", `${this.name}: input is ${shapeString(x)} (expected ${batchShapeText(shape as Shape)})`);
    }
  }

  /**
   * Training: normalises with the batch statistics and moves the moving ones towards them.
   * Inference: normalises with the moving statistics. See the class comment for the formulas.
   */
  forward(x: Tensor, ctx?: ForwardContext): Tensor {
    this.checkInput(x);
    const training = ctx?.training === true;
    const mean = this.mean as Float64Array;
    const invStd = this.invStd as Float64Array;
    const c = mean.length;
    const xd = x.data;
    const n = xd.length / c;
    const movingMean = (this.movingMeanParam as Param).value.data;
    const movingVariance = (this.movingVarianceParam as Param).value.data;
    if (training && n > 0) {
      // Two passes in float64 (mean, then squared deviations): no E[x²] − E[x]² cancellation.
      mean.fill(0);
      for (let i = 0; i < xd.length; i += c) {
        for (let j = 0; j < c; j++) mean[j] = (mean[j] as number) + (xd[i + j] as number);
      }
      for (let j = 0; j < c; j++) mean[j] = (mean[j] as number) / n;
      // invStd holds the variance until the last loop.
      invStd.fill(0);
      for (let i = 0; i < xd.length; i += c) {
        for (let j = 0; j < c; j++) {
          const d = (xd[i + j] as number) - (mean[j] as number);
          invStd[j] = (invStd[j] as number) + d * d;
        }
      }
      const m = this.momentum;
      for (let j = 0; j < c; j++) {
        const variance = (invStd[j] as number) / n;
        movingMean[j] = (movingMean[j] as number) * m + (mean[j] as number) * (1 - m);
        movingVariance[j] = (movingVariance[j] as number) * m + variance * (1 - m);
        invStd[j] = 1 / Math.sqrt(variance + this.epsilon);
      }
    } else {
      // NOTE: also the path of an empty training batch, which has no statistics to learn from.
      for (let j = 0; j < c; j++) {
        mean[j] = movingMean[j] as number;
        invStd[j] = 1 / Math.sqrt((movingVariance[j] as number) + this.epsilon);
      }
    }
    const gamma = this.gammaParam?.value.data;
    const beta = this.betaParam?.value.data;
    const y = (this.yPool as BufferPool).get(x.shape[0] as number);
    const yd = y.data;
    for (let i = 0; i < xd.length; i += c) {
      for (let j = 0; j < c; j++) {
        const xhat = ((xd[i + j] as number) - (mean[j] as number)) * (invStd[j] as number);
        yd[i + j] = (gamma ? xhat * (gamma[j] as number) : xhat) + (beta ? (beta[j] as number) : 0);
      }
    }
    this.lastTraining = training && n > 0;
    this.lastX = x;
    this.lastY = y;
    this.lastDy = undefined;
    this.lastDx = undefined;
    return y;
  }

  /**
   * Accumulates `dγ = Σ dy·x̂` and `dβ = Σ dy`; returns dL/dx, through the batch statistics after a
   * training forward, or `dy·γ/√(movingVariance + ε)` after an inference one.
   */
  backward(dy: Tensor, ctx: BackwardContext = {}): Tensor {
    const x = this.lastX;
    const y = this.lastY;
    if (!x || !y) throw new BackpropError("INVALID_STATE", `${this.name}.backward: called before forward`);
    if (dy.size !== y.size || dy.rank !== y.rank || dy.shape[dy.rank - 1] !== y.shape[y.rank - 1]) {
      throw new BackpropError(
        "SHAPE_MISMATCH",
        `${this.name}.backward: gradient is ${shapeString(dy)} (expected ${shapeString(y)}, the output's shape)`,
      );
    }
    const mean = this.mean as Float64Array;
    const invStd = this.invStd as Float64Array;
    const sumDy = this.sumDy as Float64Array;
    const sumDyXhat = this.sumDyXhat as Float64Array;
    const c = mean.length;
    const xd = x.data;
    const dyd = dy.data;
    const n = xd.length / c;
    sumDy.fill(0);
    sumDyXhat.fill(0);
    for (let i = 0; i < xd.length; i += c) {
      for (let j = 0; j < c; j++) {
        const g = dyd[i + j] as number;
        sumDy[j] = (sumDy[j] as number) + g;
        sumDyXhat[j] = (sumDyXhat[j] as number) + g * ((xd[i + j] as number) - (mean[j] as number)) * (invStd[j] as number);
      }
    }
    const gamma = this.gammaParam;
    if (gamma?.trainable) {
      const gd = gamma.grad.data;
      for (let j = 0; j < c; j++) gd[j] = (gd[j] as number) + (sumDyXhat[j] as number);
      if (this.gammaReg) addRegularizerGradient(this.gammaReg, this.gammaRow as Matrix, this.gammaGradRow as Matrix);
    }
    const beta = this.betaParam;
    if (beta?.trainable) {
      const bd = beta.grad.data;
      for (let j = 0; j < c; j++) bd[j] = (bd[j] as number) + (sumDy[j] as number);
      if (this.betaReg) addRegularizerGradient(this.betaReg, this.betaRow as Matrix, this.betaGradRow as Matrix);
    }
    this.lastDy = dy;
    const dx = (this.dxPool as BufferPool).get(x.shape[0] as number);
    if (ctx.inputGradient === false) {
      this.lastDx = undefined;
      return dx;
    }
    const dxd = dx.data;
    const gd: FloatArray | undefined = gamma?.value.data;
    if (this.lastTraining) {
      for (let i = 0; i < xd.length; i += c) {
        for (let j = 0; j < c; j++) {
          const s = invStd[j] as number;
          const xhat = ((xd[i + j] as number) - (mean[j] as number)) * s;
          const k = gd ? (gd[j] as number) * s : s;
          dxd[i + j] = k * ((dyd[i + j] as number) - (sumDy[j] as number) / n - (xhat * (sumDyXhat[j] as number)) / n);
        }
      }
    } else {
      for (let i = 0; i < xd.length; i += c) {
        for (let j = 0; j < c; j++) {
          const s = invStd[j] as number;
          dxd[i + j] = (dyd[i + j] as number) * (gd ? (gd[j] as number) * s : s);
        }
      }
    }
    this.lastDx = dx;
    return dx;
  }

  /** `gamma`, `beta` (each when enabled), `movingMean`, `movingVariance` — Keras' order. */
  params(): readonly Param[] {
    if (!this.movingMeanParam || !this.movingVarianceParam) return [];
    return [
      ...(this.gammaParam ? [this.gammaParam] : []),
      ...(this.betaParam ? [this.betaParam] : []),
      this.movingMeanParam,
      this.movingVarianceParam,
    ];
  }

  /** The L1/L2 penalties of `gamma` and `beta` (0 without regularizers). */
  regularizationLoss(): number {
    let penalty = 0;
    if (this.gammaReg && this.gammaRow) penalty += regularizerPenalty(this.gammaReg, this.gammaRow);
    if (this.betaReg && this.betaRow) penalty += regularizerPenalty(this.betaReg, this.betaRow);
    return penalty;
  }

  /** The JSON config (no weights; the moving statistics are weights). */
  getConfig(): JsonObject {
    const shape = this.inputShape ?? this.shape;
    return {
      name: this.name,
      axis: this.axis,
      momentum: this.momentum,
      epsilon: this.epsilon,
      ...scaleShiftConfig({
        center: this.center,
        scale: this.scale,
        betaInit: this.betaInit,
        gammaInit: this.gammaInit,
        betaReg: this.betaReg,
        gammaReg: this.gammaReg,
      }),
      movingMeanInitializer: initializerConfig(this.movingMeanInit),
      movingVarianceInitializer: initializerConfig(this.movingVarianceInit),
      ...(shape ? { inputShape: [...shape] } : {}),
    };
  }

  /** Input and output of the last forward pass, and the gradients of the last backward. */
  inspect(): LayerInspection {
    return {
      ...(this.lastX ? { input: this.lastX } : {}),
      ...(this.lastY ? { output: this.lastY } : {}),
      ...(this.lastDy ? { outputGradient: this.lastDy } : {}),
      ...(this.lastDx ? { inputGradient: this.lastDx } : {}),
    };
  }
}
