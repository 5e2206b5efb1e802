import {
  BackpropError,
  Param,
  Tensor,
  readConfig,
  shapeString,
  type JsonObject,
  type Matrix,
  type Shape,
} from "@backprop/linalg";
import { BufferPool } from "./buffer-pool.js";
import type { Initializer, InitializerSpec } from "./initializers/index.js";
import { scaleShiftConfig, scaleShiftFields } from "./scale-shift.js";
import { batchShapeText, checkInputShape, lastAxisOnly, readInputShape } from "./input-shape.js";
import type { BackwardContext, BuildContext, ForwardContext, Layer, LayerInspection, ParamShape, TimeMask } from "./layer.js";
import { addRegularizerGradient, regularizerPenalty, type Regularizer, type RegularizerConfig } from "./regularizer.js";

/** Options of {@link LayerNormalization} (Keras' names and defaults). */
export interface LayerNormalizationConfig {
  /** The axis normalised: only `-1`, the last (features / channels) axis. */
  readonly axis?: number;
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
 * Layer normalisation over the last axis (Keras' `LayerNormalization`, `axis: -1`): each position of
 * each sample — each row of the {@link Tensor.asMatrix} view — is standardised over its own c
 * features, then scaled and shifted per feature:
 *
 * `μ = mean(x)`, `σ² = mean((x − μ)²)` (biased), `x̂ = (x − μ)/√(σ² + ε)`, `y = γ ⊙ x̂ + β`.
 *
 * Unlike {@link BatchNormalization} it has no moving statistics: training and inference compute
 * the same thing, and samples never interact. Backward (per row, with `g = dy ⊙ γ`):
 * `dx = (g − mean(g) − x̂·mean(g ⊙ x̂))/√(σ² + ε)`, `dγ = Σ dy ⊙ x̂`, `dβ = Σ dy` over rows.
 *
 * Parameters (Keras' order): `gamma` [c] (with `scale`), `beta` [c] (with `center`).
 * Buffers are allocated once per batch size; the per-row statistics (float64) grow to the largest
 * batch and are reused.
 *
 * @see Ba, Kiros & Hinton 2016, "Layer Normalization"
 * @example
 * ```ts
 * const model = new Sequential([
 *   new Dense({ units: 64, inputShape: [10, 16] }),   // [batch, time, features]
 *   new LayerNormalization(),                          // each time step over its 64 features
 *   new Dense({ units: 1 }),
 * ]);
 * ```
 */
export class LayerNormalization implements Layer {
  /** Registry name of this layer type. */
  readonly className = "layerNormalization";
  /** Layer name. */
  name: string;
  /** The per-sample input shape from the config, if given. */
  readonly inputShape: Shape | undefined;
  /** Always -1: the last axis. */
  readonly axis = -1;
  /** Added to the variance under the square root. */
  readonly epsilon: number;
  /** Whether the layer has `beta`. */
  readonly center: boolean;
  /** Whether the layer has `gamma`. */
  readonly scale: boolean;
  private readonly betaInit: Initializer;
  private readonly gammaInit: Initializer;
  private readonly betaReg: Regularizer | undefined;
  private readonly gammaReg: Regularizer | undefined;

  private gammaParam: Param | undefined;
  private betaParam: Param | undefined;
  private gammaRow: Matrix | undefined;
  private gammaGradRow: Matrix | undefined;
  private betaRow: Matrix | undefined;
  private betaGradRow: Matrix | undefined;
  private shape: Shape | undefined;
  private yPool: BufferPool | undefined;
  private dxPool: BufferPool | undefined;
  // Per row of the last forward: its mean and 1/√(σ² + ε), interleaved. Grows, never shrinks.
  private rowStats = new Float64Array(0);
  private lastX: Tensor | undefined;
  private lastY: Tensor | undefined;
  private lastDy: Tensor | undefined;
  private lastDx: Tensor | undefined;

  constructor(config: LayerNormalizationConfig = {}) {
    const c = readConfig("LayerNormalization", config, {
      name: { type: "string", default: "layerNormalization" },
      axis: { type: "custom", default: -1, read: lastAxisOnly("LayerNormalization", "only the last axis is normalised: each position's features, [batch, ..., features]") },
      epsilon: { type: "number", default: 1e-3, min: 0 },
      ...scaleShiftFields("LayerNormalization"),
      inputShape: { type: "custom", optional: true, nullable: true, read: (v) => readInputShape("LayerNormalization", { inputShape: v as readonly number[] }) },
    });
    this.name = c.name;
    this.epsilon = c.epsilon;
    this.center = c.center;
    this.scale = c.scale;
    this.betaInit = c.betaInitializer;
    this.gammaInit = c.gammaInitializer;
    this.betaReg = this.center ? c.betaRegularizer : undefined;
    this.gammaReg = this.scale ? c.gammaRegularizer : undefined;
    this.inputShape = c.inputShape;
  }

  /** Whether {@link LayerNormalization.build} has run. */
  get built(): boolean {
    return this.shape !== undefined;
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

  private requireBuilt(): Shape {
    if (!this.shape) {
      throw new BackpropError("NOT_BUILT", `${this.name}: the layer has no weights yet`, {
        hint: "add it to a Sequential model and call build(), fit() or predict() first",
      });
    }
    return this.shape;
  }

  private featuresOf(inputShape: Shape): number {
    checkInputShape(this.name, inputShape, 1);
    const features = inputShape[inputShape.length - 1] as number;
    const declared = this.inputShape?.[this.inputShape.length - 1];
    if (declared !== undefined && declared !== features) {
      throw new BackpropError(
        "SHAPE_MISMATCH",
        `${this.name}: input has ${features} features on its last axis (expected ${declared}, from inputShape)`,
      );
    }
    return features;
  }

  /** Same as the input shape. */
  computeOutputShape(inputShape: Shape): Shape {
    this.featuresOf(inputShape);
    return inputShape;
  }

  /** `gamma` (with `scale`) and `beta` (with `center`), each `[c]`. */
  paramShapes(inputShape: Shape): readonly ParamShape[] {
    const c = this.featuresOf(inputShape);
    return [...(this.scale ? [{ name: "gamma", shape: [c] }] : []), ...(this.center ? [{ name: "beta", shape: [c] }] : [])];
  }

  /** Creates `gamma` and `beta` (drawn in that order). */
  build(inputShape: Shape, ctx: BuildContext): void {
    const c = this.featuresOf(inputShape);
    const fan = { fanIn: c, fanOut: c };
    if (this.scale) {
      const gamma = new Param(`${ctx.prefix}.gamma`, new Tensor([c], ctx.dtype));
      this.gammaInit.init(gamma.value, ctx.rng, fan);
      this.gammaParam = gamma;
      this.gammaRow = gamma.value.asMatrix();
      this.gammaGradRow = gamma.grad.asMatrix();
    }
    if (this.center) {
      const beta = new Param(`${ctx.prefix}.beta`, new Tensor([c], ctx.dtype));
      this.betaInit.init(beta.value, ctx.rng, fan);
      this.betaParam = beta;
      this.betaRow = beta.value.asMatrix();
      this.betaGradRow = beta.grad.asMatrix();
    }
    this.shape = inputShape.slice();
    this.yPool = new BufferPool(inputShape, ctx.dtype);
    this.dxPool = new BufferPool(inputShape, ctx.dtype);
  }

  /** `y = γ ⊙ (x − μ)/√(σ² + ε) + β`, each row over its own features; the same in training and inference. */
  forward(x: Tensor, _ctx?: ForwardContext): Tensor {
    const shape = this.requireBuilt();
    let ok = x.rank === shape.length + 1;
    for (let a = 0; ok && a < shape.length; a++) ok = x.shape[a + 1] === shape[a];
    if (!ok) throw new BackpropError("SHAPE_MISMATCH", `${this.name}: input is ${shapeString(x)} (expected ${batchShapeText(shape)})`);
    const c = shape[shape.length - 1] as number;
    const xd = x.data;
    const rows = xd.length / c;
    if (this.rowStats.length < 2 * rows) this.rowStats = new Float64Array(2 * rows);
    const stats = this.rowStats;
    const gamma = this.gammaParam?.value.data;
    const beta = this.betaParam?.value.data;
    const y = (this.yPool as BufferPool).get(x.shape[0] as number);
    const yd = y.data;
    for (let r = 0, i = 0; r < rows; r++, i += c) {
      let sum = 0;
      for (let j = 0; j < c; j++) sum += xd[i + j] as number;
      const mean = sum / c;
      let sq = 0;
      for (let j = 0; j < c; j++) {
        const d = (xd[i + j] as number) - mean;
        sq += d * d;
      }
      const invStd = 1 / Math.sqrt(sq / c + this.epsilon);
      stats[2 * r] = mean;
      stats[2 * r + 1] = invStd;
      for (let j = 0; j < c; j++) {
        const xhat = ((xd[i + j] as number) - mean) * invStd;
        yd[i + j] = (gamma ? xhat * (gamma[j] as number) : xhat) + (beta ? (beta[j] as number) : 0);
      }
    }
    this.lastX = x;
    this.lastY = y;
    this.lastDy = undefined;
    this.lastDx = undefined;
    return y;
  }

  /** Accumulates `dγ`, `dβ`; returns dL/dx through each row's mean and variance. */
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
    const c = y.shape[y.rank - 1] as number;
    const xd = x.data;
    const dyd = dy.data;
    const rows = xd.length / c;
    const stats = this.rowStats;
    const gammaParam = this.gammaParam;
    const betaParam = this.betaParam;
    const gammaGrad = gammaParam?.trainable ? gammaParam.grad.data : undefined;
    const betaGrad = betaParam?.trainable ? betaParam.grad.data : undefined;
    const wantDx = ctx.inputGradient !== false;
    const dx = (this.dxPool as BufferPool).get(x.shape[0] as number);
    const dxd = dx.data;
    const gamma = gammaParam?.value.data;
    for (let r = 0, i = 0; r < rows; r++, i += c) {
      const mean = stats[2 * r] as number;
      const invStd = stats[2 * r + 1] as number;
      let sumG = 0;
      let sumGXhat = 0;
      for (let j = 0; j < c; j++) {
        const d = dyd[i + j] as number;
        const xhat = ((xd[i + j] as number) - mean) * invStd;
        if (gammaGrad) gammaGrad[j] = (gammaGrad[j] as number) + d * xhat;
        if (betaGrad) betaGrad[j] = (betaGrad[j] as number) + d;
        const g = gamma ? d * (gamma[j] as number) : d;
        sumG += g;
        sumGXhat += g * xhat;
      }
      if (!wantDx) continue;
      const meanG = sumG / c;
      const meanGXhat = sumGXhat / c;
      for (let j = 0; j < c; j++) {
        const xhat = ((xd[i + j] as number) - mean) * invStd;
        const g = gamma ? (dyd[i + j] as number) * (gamma[j] as number) : (dyd[i + j] as number);
        dxd[i + j] = invStd * (g - meanG - xhat * meanGXhat);
      }
    }
    if (gammaGrad && this.gammaReg) addRegularizerGradient(this.gammaReg, this.gammaRow as Matrix, this.gammaGradRow as Matrix);
    if (betaGrad && this.betaReg) addRegularizerGradient(this.betaReg, this.betaRow as Matrix, this.betaGradRow as Matrix);
    this.lastDy = dy;
    this.lastDx = wantDx ? dx : undefined;
    return dx;
  }

  /** `gamma` then `beta` (each when enabled). */
  params(): readonly Param[] {
    return [...(this.gammaParam ? [this.gammaParam] : []), ...(this.betaParam ? [this.betaParam] : [])];
  }

  /** The L1/L2 penalties of `gamma` and `beta` (0 without regularizers). */
  regularizationLoss(): number {
    let penalty = 0;
    if (this.gammaReg && this.gammaRow) penalty += regularizerPenalty(this.gammaReg, this.gammaRow);
    if (this.betaReg && this.betaRow) penalty += regularizerPenalty(this.betaReg, this.betaRow);
    return penalty;
  }

  /** Hands a time mask on unchanged: the layer works on each time step alone. */
  computeMask(_input: Tensor, mask: TimeMask | undefined): TimeMask | undefined {
    return mask;
  }

  /** The JSON config (no weights). */
  getConfig(): JsonObject {
    const shape = this.inputShape ?? this.shape;
    return {
      name: this.name,
      axis: this.axis,
      epsilon: this.epsilon,
      ...scaleShiftConfig({
        center: this.center,
        scale: this.scale,
        betaInit: this.betaInit,
        gammaInit: this.gammaInit,
        betaReg: this.betaReg,
        gammaReg: this.gammaReg,
      }),
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
