import {
  BackpropError,
  getBackend,
  Param,
  Tensor,
  shapeString,
  sizeOf,
  type FloatArray,
  type JsonObject,
  type Shape,
} from "@backprop/linalg";
import { BufferPool } from "./buffer-pool.js";
import { batchShapeText, checkInputShape, readInputShape } from "./input-shape.js";
import type { BackwardContext, BuildContext, ForwardContext, Layer, LayerInspection, ParamShape } from "./layer.js";

/** Options of {@link Normalization}. */
export interface NormalizationConfig {
  /** Per-feature means (the last axis); usually learned with {@link Normalization.adapt}. */
  readonly mean?: readonly number[] | null;
  /** Per-feature variances, each > 0; usually learned with {@link Normalization.adapt}. */
  readonly variance?: readonly number[] | null;
  /** Per-sample input shape, when this is the model's first layer. */
  readonly inputShape?: readonly number[] | null;
  /** Input width, the shorthand for `inputShape: [inputDim]`. */
  readonly inputDim?: number | null;
  /** Layer name, assigned by the model when omitted. */
  readonly name?: string;
}

function finiteList(where: string, value: unknown, positive: boolean): number[] {
  if (!Array.isArray(value) || value.length === 0 || !value.every((v) => typeof v === "number" && Number.isFinite(v) && (!positive || v > 0))) {
    throw new BackpropError(
      "INVALID_CONFIG",
      `${where}: expected a non-empty list of ${positive ? "positive" : "finite"} numbers (got ${JSON.stringify(value)?.slice(0, 80) ?? typeof value})`,
    );
  }
  return value as number[];
}

/**
 * Feature-wise standardisation inside the model, `y = (x − mean) / √variance` over the last axis
 * (Keras' `Normalization` layer). The model then answers raw inputs: every export (ONNX, TF.js)
 * carries the same preprocessing as `predict`, and nothing has to be stored beside the model.
 *
 * The statistics are learned from data with {@link Normalization.adapt} (or given in the config)
 * and are non-trainable parameters (`mean`, `variance`), saved with the other weights. A feature
 * whose standard deviation is zero — or so small against its values that it is rounding noise —
 * gets variance 1, so a constant column maps to (about) 0 instead of dividing by ~0.
 *
 * @example
 * ```ts
 * const norm = new Normalization({ inputDim: 4 });
 * norm.adapt(trainX);                               // mean and variance of each column
 * const model = new Sequential([norm, new Dense({ units: 8, activation: "relu" }), new Dense({ units: 3, activation: "softmax" })]);
 * ```
 */
export class Normalization implements Layer {
  /** Registry name of this layer type. */
  readonly className = "normalization";
  /** Layer name. */
  name: string;
  /** The per-sample input shape from the config, if given. */
  readonly inputShape: Shape | undefined;
  private adaptedMean: number[] | undefined;
  private adaptedVariance: number[] | undefined;
  private meanParam: Param | undefined;
  private varianceParam: Param | undefined;
  // √variance per feature, in float64, worked out again whenever the variance may have changed.
  private std: Float64Array | undefined;
  private stdOf: FloatArray | undefined;
  private stdSnapshot: Float64Array | undefined;
  private shape: Shape | undefined;
  private yPool: BufferPool | undefined;
  private dxPool: BufferPool | undefined;
  private lastX: Tensor | undefined;
  private lastY: Tensor | undefined;

  constructor(config: NormalizationConfig = {}) {
    if (typeof config !== "object" || config === null) {
      throw new BackpropError("INVALID_CONFIG", "Normalization: expected a config object such as { inputDim: 4 }");
    }
    this.name = config.name ?? "normalization";
    this.inputShape = readInputShape("Normalization", config);
    const hasMean = config.mean !== undefined && config.mean !== null;
    const hasVariance = config.variance !== undefined && config.variance !== null;
    if (hasMean !== hasVariance) {
      throw new BackpropError("INVALID_CONFIG", "Normalization: give both mean and variance, or neither (and call adapt)");
    }
    if (hasMean) {
      const mean = finiteList("Normalization.mean", config.mean, false);
      const variance = finiteList("Normalization.variance", config.variance, true);
      if (mean.length !== variance.length) {
        throw new BackpropError("INVALID_CONFIG", `Normalization: mean has ${mean.length} values but variance has ${variance.length}`);
      }
      const width = this.inputShape?.[this.inputShape.length - 1];
      if (width !== undefined && width !== mean.length) {
        throw new BackpropError("INVALID_CONFIG", `Normalization: ${mean.length} means for an input of ${width} features`);
      }
      this.adaptedMean = [...mean];
      this.adaptedVariance = [...variance];
    }
  }

  /** Whether {@link Normalization.build} has run. */
  get built(): boolean {
    return this.meanParam !== undefined;
  }

  /** Whether the statistics are known (from `adapt`, the config, or loaded weights). */
  get adapted(): boolean {
    return this.adaptedMean !== undefined || this.meanParam !== undefined;
  }

  /** The per-feature means (a copy). */
  get mean(): number[] | undefined {
    return this.meanParam ? Array.from(this.meanParam.value.data) : this.adaptedMean?.slice();
  }

  /** The per-feature variances (a copy). */
  get variance(): number[] | undefined {
    return this.varianceParam ? Array.from(this.varianceParam.value.data) : this.adaptedVariance?.slice();
  }

  /**
   * Learns the mean and variance of each feature (the last axis) from `data`: a tensor whose last
   * axis is the features, or rows of numbers. Two passes in float64 (no E[x²] − E[x]² cancellation).
   * Call it before training; after build it overwrites the layer's statistics.
   * @throws BackpropError `INVALID_ARGUMENT` for no rows, ragged rows or a non-finite value
   */
  adapt(data: Tensor | readonly (readonly number[])[]): this {
    const t = data instanceof Tensor ? data : Tensor.fromArray(data as number[][]);
    if (t.rank < 1 || t.size === 0) throw new BackpropError("INVALID_ARGUMENT", `${this.name}.adapt: no samples`);
    const d = t.shape[t.rank - 1] as number;
    const width = this.shape?.[this.shape.length - 1] ?? this.inputShape?.[this.inputShape.length - 1];
    if (width !== undefined && width !== d) {
      throw new BackpropError("SHAPE_MISMATCH", `${this.name}.adapt: data has ${d} features (expected ${width})`);
    }
    const x = t.data;
    const n = t.size / d;
    const mean = new Array<number>(d).fill(0);
    const maxAbs = new Array<number>(d).fill(0);
    for (let i = 0; i < x.length; i++) {
      const v = x[i] as number;
      if (!Number.isFinite(v)) {
        throw new BackpropError("INVALID_ARGUMENT", `${this.name}.adapt: sample ${Math.floor(i / d)}, feature ${i % d} is ${String(v)} (expected a finite number)`);
      }
      const j = i % d;
      mean[j] = (mean[j] as number) + v;
      maxAbs[j] = Math.max(maxAbs[j] as number, Math.abs(v));
    }
    for (let j = 0; j < d; j++) mean[j] = (mean[j] as number) / n;
    const variance = new Array<number>(d).fill(0);
    for (let i = 0; i < x.length; i++) {
      const j = i % d;
      const diff = (x[i] as number) - (mean[j] as number);
      variance[j] = (variance[j] as number) + diff * diff;
    }
    for (let j = 0; j < d; j++) {
      const s = Math.sqrt((variance[j] as number) / n);
      // NOTE: a constant column's mean can differ from its value by rounding, leaving a standard
      // deviation of ~1e-17; dividing by it would turn rounding noise into ±1, so such a column
      // counts as constant and is only centred.
      variance[j] = s === 0 || s <= 8 * Number.EPSILON * (maxAbs[j] as number) ? 1 : s * s;
    }
    this.adaptedMean = mean;
    this.adaptedVariance = variance;
    if (this.meanParam && this.varianceParam) {
      this.meanParam.value.data.set(mean);
      this.varianceParam.value.data.set(variance);
    }
    return this;
  }

  /** Same as the input shape. */
  computeOutputShape(inputShape: Shape): Shape {
    checkInputShape(this.name, inputShape, 1);
    return inputShape;
  }

  /** `mean` and `variance`, one value per feature (the last axis). */
  paramShapes(inputShape: Shape): readonly ParamShape[] {
    checkInputShape(this.name, inputShape, 1);
    const d = inputShape[inputShape.length - 1] as number;
    return [
      { name: "mean", shape: [d] },
      { name: "variance", shape: [d] },
    ];
  }

  /** Creates the (non-trainable) statistics, from `adapt` or the config, else mean 0 and variance 1. */
  build(inputShape: Shape, ctx: BuildContext): void {
    checkInputShape(this.name, inputShape, 1);
    const d = inputShape[inputShape.length - 1] as number;
    if (this.adaptedMean && this.adaptedMean.length !== d) {
      throw new BackpropError("SHAPE_MISMATCH", `${this.name}: adapted to ${this.adaptedMean.length} features (the input has ${d})`);
    }
    const mean = new Param(`${ctx.prefix}.mean`, new Tensor([d], ctx.dtype), false);
    const variance = new Param(`${ctx.prefix}.variance`, Tensor.full([d], 1, ctx.dtype), false);
    if (this.adaptedMean && this.adaptedVariance) {
      mean.value.data.set(this.adaptedMean);
      variance.value.data.set(this.adaptedVariance);
    }
    this.meanParam = mean;
    this.varianceParam = variance;
    this.shape = inputShape.slice();
    this.yPool = new BufferPool(inputShape, ctx.dtype);
    this.dxPool = new BufferPool(inputShape, ctx.dtype);
  }

  /** √variance in float64, recomputed only when the variance values changed (loaded, set, adapted). */
  private standardDeviations(): Float64Array {
    const v = (this.varianceParam as Param).value.data;
    const snapshot = this.stdSnapshot;
    let same = this.stdOf === v && snapshot !== undefined;
    if (same && snapshot) {
      for (let j = 0; j < v.length; j++) {
        if (snapshot[j] !== v[j]) {
          same = false;
          break;
        }
      }
    }
    if (!same || !this.std) {
      // Checked here, once per change of the statistics, so a loaded or set variance of 0, a
      // negative one or NaN is named instead of turning every output into ±Infinity or NaN.
      v.forEach((s, j) => {
        if (!(s > 0 && Number.isFinite(s))) {
          throw new BackpropError("INVALID_STATE", `${this.name}: variance[${j}] is ${String(s)} (expected a finite number > 0)`, {
            hint: "call adapt(x) on training data, or set positive variances",
          });
        }
      });
      this.stdSnapshot = Float64Array.from(v);
      this.std = this.stdSnapshot.map((s) => Math.sqrt(s));
      this.stdOf = v;
    }
    return this.std;
  }

  /** `y = (x − mean) / √variance`, feature by feature. */
  forward(x: Tensor, _ctx?: ForwardContext): Tensor {
    const shape = this.shape;
    if (!this.yPool || !shape || x.rank !== shape.length + 1 || x.size !== (x.shape[0] as number) * sizeOf(shape)) {
      throw new BackpropError("SHAPE_MISMATCH", `${this.name}: input is ${shapeString(x)} (expected ${shape ? batchShapeText(shape) : "a built layer"})`);
    }
    const mean = (this.meanParam as Param).value.data;
    const std = this.standardDeviations();
    const d = mean.length;
    const y = this.yPool.get(x.shape[0] as number);
    const xd = x.data;
    const yd = y.data;
    // A kernel backend may run the same loop in WASM (same bits): the divides are its cost, and
    // SIMD does two at a time.
    if (getBackend().standardize?.(xd.length / d, d, xd, mean, std, yd) !== true) {
      for (let i = 0; i < xd.length; i += d) {
        for (let j = 0; j < d; j++) yd[i + j] = ((xd[i + j] as number) - (mean[j] as number)) / (std[j] as number);
      }
    }
    this.lastX = x;
    this.lastY = y;
    return y;
  }

  /** `dL/dx = dL/dy / √variance`; the statistics get no gradient (they are not trained). */
  backward(dy: Tensor, ctx: BackwardContext = {}): Tensor {
    if (!this.dxPool || !this.lastX) throw new BackpropError("INVALID_STATE", `${this.name}.backward: called before forward`);
    const dx = this.dxPool.get(dy.shape[0] as number);
    if (ctx.inputGradient === false) return dx;
    const std = this.standardDeviations();
    const d = std.length;
    const dyd = dy.data;
    const dxd = dx.data;
    for (let i = 0; i < dyd.length; i += d) {
      for (let j = 0; j < d; j++) dxd[i + j] = (dyd[i + j] as number) / (std[j] as number);
    }
    return dx;
  }

  /** `mean` and `variance` (both non-trainable). */
  params(): readonly Param[] {
    return this.meanParam && this.varianceParam ? [this.meanParam, this.varianceParam] : [];
  }

  /** 0: nothing is trained. */
  regularizationLoss(): number {
    return 0;
  }

  /** `{ name, inputShape? }`: the statistics are weights, saved with the others. */
  getConfig(): JsonObject {
    const shape = this.inputShape ?? this.shape;
    return { name: this.name, ...(shape ? { inputShape: [...shape] } : {}) };
  }

  /** Input and output of the last forward pass. */
  inspect(): LayerInspection {
    return {
      ...(this.lastX ? { input: this.lastX } : {}),
      ...(this.lastY ? { output: this.lastY } : {}),
    };
  }
}
