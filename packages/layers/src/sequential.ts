import {
  BackpropError,
  getBackend,
  Matrix,
  Rng,
  shapeString,
  type DType,
  type Json,
  type JsonObject,
  type FloatArray,
  type Param,
  type RngState,
} from "@backprop/linalg";
import { resolveOptimizer, type Optimizer, type OptimizerSpec } from "@backprop/optimizers";
import { ActivationLayer } from "./activation-layer.js";
import { BufferPool } from "./buffer-pool.js";
import { earlyStopping, type Callback, type EarlyStoppingConfig, type Logs } from "./callbacks.js";
import { Dense } from "./dense.js";
import type { BackwardContext, ForwardContext, Layer } from "./layer.js";
import { resolveLoss, type Loss, type LossSpec } from "./losses/index.js";
import { resolveMetric, type Metric, type MetricSpec } from "./metrics/index.js";
import { SmallNet } from "./small-net.js";
import { captureStep, type StepTrace } from "./trace.js";


/** Options of the {@link Sequential} constructor. */
export interface SequentialOptions {
  /** Element type of every weight and buffer. Default `"float32"` (as Keras and TensorFlow.js). */
  readonly dtype?: DType;
  /** Seed of the model's generator: initial weights, shuffling and dropout. Default 0. */
  readonly seed?: number;
  /** Model name. Default `"sequential"`. */
  readonly name?: string;
}

/** Options of {@link Sequential.compile}. */
export interface CompileOptions {
  /** The loss, e.g. `"categoricalCrossentropy"` or `halfSumSquaredError()`. */
  readonly loss: LossSpec;
  /** The optimizer, e.g. `sgd({ lr: 0.5 })` or `"adam"`. */
  readonly optimizer: OptimizerSpec;
  /** Metrics reported by fit and evaluate, e.g. `["accuracy"]`. */
  readonly metrics?: readonly MetricSpec[];
}

/** Options of {@link Sequential.fit}. */
export interface FitOptions {
  /** Index of the last epoch to run (exclusive), as Keras: with `initialEpoch` 3 and `epochs` 5, runs 2. Default 1. */
  readonly epochs?: number;
  /** Samples per gradient step. Default 32. */
  readonly batchSize?: number;
  /** Shuffle the training samples every epoch (with the model's generator). Default true. */
  readonly shuffle?: boolean;
  /** Fraction of the samples, taken from the end before shuffling, held out for validation. */
  readonly validationSplit?: number;
  /** Explicit validation inputs and targets (takes precedence over `validationSplit`). */
  readonly validationData?: readonly [Matrix, Matrix];
  /** Hooks called during training. */
  readonly callbacks?: readonly Callback[];
  /** Shorthand for adding an {@link earlyStopping} callback. */
  readonly earlyStopping?: EarlyStoppingConfig;
  /** Epoch to start from (when resuming). Default 0. */
  readonly initialEpoch?: number;
}

/** Options of {@link Sequential.fitAsync}: those of `fit`, plus how often to give the event loop a turn. */
export interface FitAsyncOptions extends FitOptions {
  /** Yield to the event loop after every `"epoch"` (default) or every `"batch"`. */
  readonly yieldEvery?: "epoch" | "batch";
}

/**
 * Where training stands, besides the weights and the optimizer: what a checkpoint needs so that
 * `fit` resumes exactly as if it had never stopped.
 */
export interface TrainingState {
  /** Epochs completed; pass it as `initialEpoch` to continue. */
  readonly epoch: number;
  /** Optimizer steps taken by this model. */
  readonly iterations: number;
  /** The model generator's state (shuffling). */
  readonly rng: RngState;
  /** Non-weight state of layers that have it (dropout generators), by layer name. */
  readonly layers: Readonly<Record<string, Json>>;
}

/** What {@link Sequential.fit} returns: one entry per epoch of every logged value (Keras' `History`). */
export interface History {
  /** The epochs run (0-based). */
  readonly epoch: number[];
  /** `history.loss[i]`, `history.val_loss[i]`, `history.accuracy[i]` … for `epoch[i]`. */
  readonly history: Record<string, number[]>;
}

/** Options of {@link Sequential.evaluate} and {@link Sequential.predict}. */
export interface BatchOptions {
  /** Samples per forward pass. Default 256. */
  readonly batchSize?: number;
}

function checkPositiveInteger(where: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value <= 0) {
    throw new BackpropError("INVALID_ARGUMENT", `${where}: must be a positive integer (got ${JSON.stringify(value)})`);
  }
  return value;
}

/**
 * 0 when every element of `d` is finite, NaN otherwise: x·0 is 0 for finite x and NaN for ±∞ or
 * NaN, and NaN survives the sum. Four sums, no branch: ~4× faster than testing each element.
 * One copy per dtype so each loop stays monomorphic (a loop that has seen both element kinds is
 * several times slower).
 */
function nonFiniteProbe(d: FloatArray): number {
  return d instanceof Float32Array ? probeF32(d) : probeF64(d);
}

function probeF32(d: Float32Array): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  const n = d.length;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    s0 += (d[i] as number) * 0;
    s1 += (d[i + 1] as number) * 0;
    s2 += (d[i + 2] as number) * 0;
    s3 += (d[i + 3] as number) * 0;
  }
  for (; i < n; i++) s0 += (d[i] as number) * 0;
  return s0 + s1 + s2 + s3;
}

function probeF64(d: Float64Array): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  const n = d.length;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    s0 += (d[i] as number) * 0;
    s1 += (d[i + 1] as number) * 0;
    s2 += (d[i + 2] as number) * 0;
    s3 += (d[i + 3] as number) * 0;
  }
  for (; i < n; i++) s0 += (d[i] as number) * 0;
  return s0 + s1 + s2 + s3;
}

function checkFinite(where: string, m: Matrix): void {
  const d = m.data;
  if (nonFiniteProbe(d) === 0) return;
  for (let i = 0; i < d.length; i++) {
    if (!Number.isFinite(d[i] as number)) {
      const row = Math.floor(i / m.cols);
      throw new BackpropError(
        "NON_FINITE",
        `${where}: row ${row}, column ${i - row * m.cols} is ${String(d[i])} (expected a finite number)`,
      );
    }
  }
}

/**
 * When the output layer's activation and the loss have a fused gradient (softmax or sigmoid with
 * cross-entropy on probabilities), the function giving δ = dLoss/dNet directly: `(p − t)/n`.
 * It skips the activation's Jacobian, which is faster and stays finite when a probability saturates.
 */
function fusedDelta(
  last: Layer,
  loss: Loss,
): ((probs: Matrix, yTrue: Matrix, out: Matrix) => Matrix) | undefined {
  if (!(last instanceof Dense || last instanceof ActivationLayer)) return undefined;
  const act = last.activation;
  if (act.kind === "softmax" && loss.fusesSoftmax && loss.softmaxGradient) {
    return loss.softmaxGradient.bind(loss);
  }
  if (act.kind === "elementwise" && act.activation.name === "sigmoid" && loss.fusesSigmoid && loss.sigmoidGradient) {
    return loss.sigmoidGradient.bind(loss);
  }
  return undefined;
}

// Per-pass contexts, shared so a step allocates nothing for them (layers read them, never keep them).
const TRAINING: ForwardContext = Object.freeze({ training: true });
const INFERENCE: ForwardContext = Object.freeze({ training: false });
const WITH_INPUT_GRADIENT: BackwardContext = Object.freeze({ inputGradient: true });
const WITHOUT_INPUT_GRADIENT: BackwardContext = Object.freeze({ inputGradient: false });

function stepLabel(caller: string, epoch: number, batch: number): string {
  return epoch < 0 ? caller : `${caller} (epoch ${epoch}, batch ${batch})`;
}

function copyRows(src: Matrix, order: Int32Array, start: number, dst: Matrix): void {
  const cols = src.cols;
  const sd = src.data;
  const dd = dst.data;
  if (cols >= 64) {
    // Wide rows (images): a native copy per row beats the element loop despite the view it makes.
    for (let r = 0; r < dst.rows; r++) {
      const from = (order[start + r] as number) * cols;
      dd.set(sd.subarray(from, from + cols), r * cols);
    }
    return;
  }
  for (let r = 0; r < dst.rows; r++) {
    const from = (order[start + r] as number) * cols;
    const to = r * cols;
    for (let j = 0; j < cols; j++) dd[to + j] = sd[from + j] as number;
  }
}

/**
 * A stack of layers trained end to end: `compile`, then `fit`, `evaluate`, `predict` — the
 * Keras / TensorFlow.js workflow, synchronous and deterministic for a given seed.
 *
 * @example
 * ```ts
 * const model = new Sequential([
 *   new Dense({ units: 4, inputDim: 2, activation: "tanh" }),
 *   new Dense({ units: 1, activation: "sigmoid" }),
 * ], { seed: 1 });
 * model.compile({ loss: "binaryCrossentropy", optimizer: adam({ lr: 0.05 }), metrics: ["accuracy"] });
 * const history = model.fit(x, y, { epochs: 300, batchSize: 4 });
 * model.predict(x);
 * ```
 */
export class Sequential {
  /** The model's name. */
  readonly name: string;
  /** Element type of weights and buffers. */
  readonly dtype: DType;
  /** The seed the model was created with. */
  readonly seed: number;
  /** The generator behind initial weights, shuffling and dropout; its state is part of a checkpoint. */
  readonly rng: Rng;
  /** Set to true (from a callback) to end `fit` early. */
  stopTraining = false;
  private readonly stack: Layer[] = [];
  private inputWidth: number | undefined;
  private allParams: Param[] = [];
  private lossFn: Loss | undefined;
  private optimizerObj: Optimizer | undefined;
  private metricFns: Metric[] = [];
  private gradPool: BufferPool | undefined;
  private fusedPool: BufferPool | undefined;
  private steps = 0;
  private epochsDone = 0;
  // fusedDelta(last layer, loss), worked out once per loss rather than once per step.
  private fusedFor: Loss | undefined;
  private fused: ReturnType<typeof fusedDelta>;
  // The fused small-network passes per batch size (null: the model does not qualify).
  private readonly smallNets = new Map<number, SmallNet | null>();
  private lastSmallRows = -1;
  private lastSmallNet: SmallNet | null = null;
  // The predictions of the last step (its batch's output), for metrics and traceStep.
  private stepPred: Matrix | undefined;

  constructor(layers: readonly Layer[] = [], options: SequentialOptions = {}) {
    const dtype = options.dtype ?? "float32";
    if (dtype !== "float32" && dtype !== "float64") {
      throw new BackpropError("INVALID_ARGUMENT", `Sequential.dtype: expected "float32" or "float64" (got ${JSON.stringify(dtype)})`);
    }
    this.dtype = dtype;
    this.seed = options.seed ?? 0;
    this.rng = new Rng(this.seed);
    this.name = options.name ?? "sequential";
    for (const layer of layers) this.add(layer);
  }

  /** Appends a layer (before the model is built). Unnamed layers get `"<type>_<index>"`. */
  add(layer: Layer): this {
    if (this.built) {
      throw new BackpropError("INVALID_STATE", `${this.name}.add: the model is already built; create a new model`);
    }
    if (typeof layer !== "object" || layer === null || typeof layer.forward !== "function") {
      throw new BackpropError("INVALID_ARGUMENT", `${this.name}.add: expected a layer such as new Dense({ units: 4 })`);
    }
    if (layer.name === layer.className) layer.name = `${layer.className}_${this.stack.length}`;
    if (this.stack.some((l) => l.name === layer.name)) {
      throw new BackpropError("INVALID_CONFIG", `${this.name}.add: a layer named "${layer.name}" is already in the model`);
    }
    this.stack.push(layer);
    return this;
  }

  /** The layers, first to last. */
  get layers(): readonly Layer[] {
    return this.stack;
  }

  /** Whether weights exist. */
  get built(): boolean {
    return this.inputWidth !== undefined;
  }

  /** Input width (after build). */
  get inputDim(): number | undefined {
    return this.inputWidth;
  }

  /** Output width (after build). */
  get outputDim(): number | undefined {
    let width = this.inputWidth;
    if (width === undefined) return undefined;
    for (const layer of this.stack) width = layer.outputDim(width);
    return width;
  }

  /** The compiled loss. */
  get loss(): Loss | undefined {
    return this.lossFn;
  }

  /** The compiled optimizer. */
  get optimizer(): Optimizer | undefined {
    return this.optimizerObj;
  }

  /** The compiled metrics. */
  get metrics(): readonly Metric[] {
    return this.metricFns;
  }

  /** Number of optimizer steps taken by this model. */
  get iterations(): number {
    return this.steps;
  }

  /** Number of epochs completed by `fit` (the `initialEpoch` to resume from). */
  get epoch(): number {
    return this.epochsDone;
  }

  /** Where training stands: epoch, step, generator states. Save it with the weights and optimizer state. */
  getTrainingState(): TrainingState {
    const layers: Record<string, Json> = {};
    for (const layer of this.stack) {
      const state = layer.getState?.();
      if (state !== undefined) layers[layer.name] = state;
    }
    return { epoch: this.epochsDone, iterations: this.steps, rng: this.rng.getState(), layers };
  }

  /**
   * Restores a {@link TrainingState} (after `build`), so the next `fit` with
   * `initialEpoch: state.epoch` continues exactly.
   * @throws BackpropError `INVALID_STATE` when it does not fit this model
   */
  setTrainingState(state: TrainingState): void {
    if (typeof state !== "object" || state === null) {
      throw new BackpropError("INVALID_STATE", `${this.name}.setTrainingState: expected { epoch, iterations, rng, layers }`);
    }
    const { epoch, iterations } = state;
    if (!Number.isSafeInteger(epoch) || epoch < 0 || !Number.isSafeInteger(iterations) || iterations < 0) {
      throw new BackpropError(
        "INVALID_STATE",
        `${this.name}.setTrainingState: epoch and iterations must be integers ≥ 0 (got ${String(epoch)}, ${String(iterations)})`,
      );
    }
    this.build();
    for (const [name, layerState] of Object.entries(state.layers ?? {})) {
      const layer = this.stack.find((l) => l.name === name);
      if (!layer?.setState) {
        throw new BackpropError("INVALID_STATE", `${this.name}.setTrainingState: no layer "${name}" with state in this model`);
      }
      layer.setState(layerState);
    }
    this.rng.setState(state.rng);
    this.epochsDone = epoch;
    this.steps = iterations;
  }

  /**
   * Creates every weight for inputs of width `inputDim` (default: the first layer's `inputDim`).
   * Called by fit/predict when needed. Layers draw their initial weights in order from the model's generator.
   */
  build(inputDim?: number): this {
    if (this.built) {
      if (inputDim !== undefined && inputDim !== this.inputWidth) {
        throw new BackpropError(
          "SHAPE_MISMATCH",
          `${this.name}: inputs have ${inputDim} features (the model was built for ${String(this.inputWidth)})`,
        );
      }
      return this;
    }
    if (this.stack.length === 0) {
      throw new BackpropError("INVALID_STATE", `${this.name}: the model has no layers`, { hint: "add layers: new Sequential([new Dense({ units: 1, inputDim: 2 })])" });
    }
    const first = this.stack[0] as Layer & { inputDim?: number };
    const width = inputDim ?? first.inputDim;
    if (width === undefined) {
      throw new BackpropError("INVALID_CONFIG", `${this.name}: the input width is unknown`, {
        hint: "give the first layer an inputDim, or call fit/predict with data",
      });
    }
    let current = checkPositiveInteger(`${this.name}.build(inputDim)`, width);
    this.stack.forEach((layer, i) => {
      layer.build({ inputDim: current, dtype: this.dtype, rng: this.rng, prefix: `layers.${i}` });
      current = layer.outputDim(current);
    });
    this.inputWidth = checkPositiveInteger(`${this.name}.build(inputDim)`, width);
    this.allParams = this.stack.flatMap((l) => [...l.params()]);
    this.gradPool = new BufferPool(current, this.dtype);
    this.fusedPool = new BufferPool(current, this.dtype);
    return this;
  }

  /** Every parameter, in layer order (`layers.0.kernel`, `layers.0.bias`, …). */
  params(): readonly Param[] {
    return this.allParams;
  }

  /** Total number of weights (trainable or not). */
  countParams(): number {
    return this.allParams.reduce((n, p) => n + p.value.size, 0);
  }

  /** Sets the loss, optimizer and metrics used by fit/evaluate. */
  compile(options: CompileOptions): this {
    if (typeof options !== "object" || options === null) {
      throw new BackpropError("INVALID_ARGUMENT", `${this.name}.compile: expected { loss, optimizer, metrics? }`);
    }
    this.lossFn = resolveLoss(options.loss);
    this.optimizerObj = resolveOptimizer(options.optimizer);
    this.metricFns = (options.metrics ?? []).map((m) => resolveMetric(m));
    return this;
  }

  private compiled(where: string): { loss: Loss; optimizer: Optimizer } {
    if (!this.lossFn || !this.optimizerObj) throw this.notCompiled(where);
    return { loss: this.lossFn, optimizer: this.optimizerObj };
  }

  private notCompiled(where: string): BackpropError {
    return new BackpropError("NOT_COMPILED", `${this.name}.${where}: the model is not compiled`, {
      hint: 'call model.compile({ loss: "mse", optimizer: sgd({ lr: 0.01 }) }) first',
    });
  }

  private prepare(where: string, x: Matrix, y?: Matrix): { x: Matrix; y: Matrix | undefined } {
    if (!(x instanceof Matrix)) {
      throw new BackpropError("INVALID_ARGUMENT", `${this.name}.${where}: x must be a Matrix (rows = samples)`);
    }
    if (y !== undefined && !(y instanceof Matrix)) {
      throw new BackpropError("INVALID_ARGUMENT", `${this.name}.${where}: y must be a Matrix (rows = samples)`);
    }
    this.build(this.inputWidth ?? (this.stack[0] as { inputDim?: number } | undefined)?.inputDim ?? x.cols);
    if (x.cols !== this.inputWidth) {
      throw new BackpropError(
        "SHAPE_MISMATCH",
        `${this.name}.${where}: x is ${shapeString(x)} (expected n×${String(this.inputWidth)}, one row per sample)`,
      );
    }
    if (y && y.rows !== x.rows) {
      throw new BackpropError(
        "SHAPE_MISMATCH",
        `${this.name}.${where}: x has ${x.rows} rows but y has ${y.rows} (x is ${shapeString(x)}, y is ${shapeString(y)})`,
      );
    }
    checkFinite(`${this.name}.${where}: x`, x);
    if (y) checkFinite(`${this.name}.${where}: y`, y);
    return {
      x: x.dtype === this.dtype ? x : x.clone(this.dtype),
      y: y === undefined || y.dtype === this.dtype ? y : y.clone(this.dtype),
    };
  }

  /** Forward pass through every layer. */
  private forwardAll(x: Matrix, training: boolean): Matrix {
    let out = x;
    const ctx = training ? TRAINING : INFERENCE;
    for (const layer of this.stack) out = layer.forward(out, ctx);
    return out;
  }

  /** Backward pass from dLoss/dOutput of the last layer (or the fused δ). */
  private backwardAll(yPred: Matrix, yTrue: Matrix, loss: Loss): void {
    const last = this.stack.length - 1;
    const lastLayer = this.stack[last] as Layer;
    let grad: Matrix;
    let from = last;
    const fusedGradient = this.fusedGradientFor(loss);
    if (fusedGradient) {
      const delta = fusedGradient(yPred, yTrue, (this.fusedPool as BufferPool).get(yPred.rows));
      const ctx = last > 0 ? WITH_INPUT_GRADIENT : WITHOUT_INPUT_GRADIENT;
      grad = lastLayer instanceof Dense ? lastLayer.backwardFromDelta(delta, ctx) : delta;
      from = last - 1;
    } else {
      grad = loss.gradient(yPred, yTrue, (this.gradPool as BufferPool).get(yPred.rows));
    }
    for (let i = from; i >= 0; i--) {
      grad = (this.stack[i] as Layer).backward(grad, i > 0 ? WITH_INPUT_GRADIENT : WITHOUT_INPUT_GRADIENT);
    }
  }

  /** fusedDelta(last layer, `loss`), worked out again only when the loss changes. */
  private fusedGradientFor(loss: Loss): ReturnType<typeof fusedDelta> {
    if (this.fusedFor !== loss) {
      this.fusedFor = loss;
      this.fused = fusedDelta(this.stack[this.stack.length - 1] as Layer, loss);
    }
    return this.fused;
  }

  /** {@link Sequential.backwardAll} for the fused small-network passes. */
  private backwardSmall(small: SmallNet, yPred: Matrix, yTrue: Matrix, loss: Loss): boolean {
    const fusedGradient = this.fusedGradientFor(loss);
    if (fusedGradient) return small.backward(fusedGradient(yPred, yTrue, (this.fusedPool as BufferPool).get(yPred.rows)), true);
    return small.backward(loss.gradient(yPred, yTrue, (this.gradPool as BufferPool).get(yPred.rows)), false);
  }

  private regularization(): number {
    let penalty = 0;
    for (const layer of this.stack) penalty += layer.regularizationLoss();
    return penalty;
  }

  private checkGradients(caller: string, epoch: number, batch: number): void {
    for (const p of this.allParams) {
      if (!p.trainable) continue;
      if (nonFiniteProbe(p.grad.data) !== 0) {
        throw new BackpropError("NON_FINITE", `${stepLabel(caller, epoch, batch)}: the gradient of ${p.name} is not finite (step ${this.steps})`, {
          hint: "lower the learning rate, normalise the inputs, or clip gradients (clipNorm)",
        });
      }
    }
  }

  /**
   * The fused small-network passes for batches of `rows`, when the model qualifies and the active
   * backend computes products that small in the reference order (see small-net.ts); else undefined.
   */
  private smallNetFor(rows: number): SmallNet | undefined {
    // A training loop asks for the same batch size every step: the last answer skips the map.
    let net = rows === this.lastSmallRows ? this.lastSmallNet : this.smallNets.get(rows);
    if (net === undefined) {
      net = SmallNet.plan(this.stack, rows, this.dtype) ?? null;
      this.smallNets.set(rows, net);
    }
    this.lastSmallRows = rows;
    this.lastSmallNet = net;
    if (net === null || net.largestProduct > (getBackend().exactUpTo ?? 0)) return undefined;
    return net;
  }

  /**
   * One optimizer step on a prepared batch; returns the loss (with regularization). `fusable`
   * false forces the pass through the layers (traceStep reads what each layer saw).
   */
  private step(x: Matrix, y: Matrix, caller: string, epoch = -1, batch = -1, fusable = true): number {
    const loss = this.lossFn;
    const optimizer = this.optimizerObj;
    if (!loss || !optimizer) throw this.notCompiled("step");
    const params = this.allParams;
    const small = fusable ? this.smallNetFor(x.rows) : undefined;
    // The fused backward overwrites every gradient it computes and zeroes the others itself.
    if (!small) {
      for (let i = 0; i < params.length; i++) {
        const p = params[i] as Param;
        const g = p.grad.data;
        // A tiny net's gradients are a few elements: a plain loop beats the call into fill().
        if (g.length <= 16) for (let j = 0; j < g.length; j++) g[j] = 0;
        else p.zeroGrad();
      }
    }
    const yPred = small ? small.forward(x) : this.forwardAll(x, true);
    const value = loss.compute(yPred, y) + this.regularization();
    if (!Number.isFinite(value)) {
      throw new BackpropError("NON_FINITE", `${stepLabel(caller, epoch, batch)}: the loss is ${String(value)} at step ${this.steps}`, {
        hint: "lower the learning rate, normalise the inputs, or clip gradients (clipNorm)",
      });
    }
    if (small) {
      // It reports whether every gradient is finite; only when not is the named check needed.
      if (!this.backwardSmall(small, yPred, y, loss)) this.checkGradients(caller, epoch, batch);
    } else {
      this.backwardAll(yPred, y, loss);
      this.checkGradients(caller, epoch, batch);
    }
    optimizer.step(this.allParams);
    this.steps++;
    // NOTE: the predictions go in a field, not a returned object: a tiny net's step is short
    // enough that allocating one per step showed up as garbage-collection time.
    this.stepPred = yPred;
    return value;
  }

  /**
   * One gradient step on one batch; returns the batch loss before the step.
   */
  trainOnBatch(x: Matrix, y: Matrix): number {
    this.compiled("trainOnBatch");
    const data = this.prepare("trainOnBatch", x, y);
    return this.step(data.x, data.y as Matrix, `${this.name}.trainOnBatch`);
  }

  /**
   * One gradient step on one batch, recording every intermediate number: per layer the input,
   * the pre-activation ("net"), the output, dLoss/dOutput, δ = dLoss/dNet, and per parameter its
   * value before, gradient and value after; plus the loss before and after the step.
   *
   * @example
   * ```ts
   * const trace = model.traceStep(x, y);
   * trace.layers[1].delta; // output deltas
   * ```
   */
  traceStep(x: Matrix, y: Matrix): StepTrace {
    const data = this.prepare("traceStep", x, y);
    const { loss, optimizer } = this.compiled("traceStep");
    return captureStep({
      layers: this.stack,
      params: this.allParams,
      loss,
      optimizer,
      x: data.x,
      y: data.y as Matrix,
      step: () => {
        const value = this.step(data.x, data.y as Matrix, `${this.name}.traceStep`, -1, -1, false);
        return { loss: value, yPred: this.stepPred as Matrix };
      },
      forward: () => this.forwardAll(data.x, false),
      regularization: () => this.regularization(),
    });
  }

  /**
   * Trains for `epochs - initialEpoch` epochs of shuffled mini-batches and returns the history.
   * Validation (if any) runs after each epoch. Throws `NON_FINITE` naming the step if the loss or a
   * gradient stops being finite. Synchronous; see {@link Sequential.fitAsync} to keep a UI or
   * signal handlers responsive.
   */
  fit(x: Matrix, y: Matrix, options: FitOptions = {}): History {
    // No pauses: the whole run is one resumption of the generator.
    const loop = this.trainLoop(x, y, options, "never");
    for (;;) {
      const next = loop.next();
      if (next.done) return next.value;
    }
  }

  /**
   * {@link Sequential.fit}, giving the event loop a turn after every epoch (or batch), so a page
   * stays responsive and a Ctrl-C handler can set `stopTraining`. Same numbers as `fit`.
   */
  async fitAsync(x: Matrix, y: Matrix, options: FitAsyncOptions = {}): Promise<History> {
    const every = options.yieldEvery ?? "epoch";
    const loop = this.trainLoop(x, y, options, every);
    for (;;) {
      const next = loop.next();
      if (next.done) return next.value;
      if (next.value === every) await new Promise<void>((resolve) => setTimeout(resolve, 0));
    }
  }

  /** The training loop, pausing after each batch or each epoch (`pauseAfter`); `fit` and `fitAsync` drive it. */
  private *trainLoop(
    x: Matrix,
    y: Matrix,
    options: FitOptions,
    pauseAfter: "batch" | "epoch" | "never",
  ): Generator<"batch" | "epoch", History, void> {
    const where = `${this.name}.fit`;
    const { loss } = this.compiled("fit");
    const data = this.prepare("fit", x, y);
    const epochs = options.epochs ?? 1;
    const initialEpoch = options.initialEpoch ?? 0;
    if (!Number.isSafeInteger(epochs) || epochs < 0 || !Number.isSafeInteger(initialEpoch) || initialEpoch < 0) {
      throw new BackpropError("INVALID_ARGUMENT", `${where}: epochs and initialEpoch must be integers ≥ 0 (got ${String(epochs)}, ${String(initialEpoch)})`);
    }
    const batchSize = checkPositiveInteger(`${where}: batchSize`, options.batchSize ?? 32);
    const split = options.validationSplit ?? 0;
    if (typeof split !== "number" || !(split >= 0 && split < 1)) {
      throw new BackpropError("INVALID_ARGUMENT", `${where}: validationSplit must be in [0, 1) (got ${String(split)})`);
    }
    let trainX = data.x;
    let trainY = data.y as Matrix;
    let valX: Matrix | undefined;
    let valY: Matrix | undefined;
    if (options.validationData) {
      const [vx, vy] = options.validationData;
      const v = this.prepare("fit(validationData)", vx, vy);
      valX = v.x;
      valY = v.y;
    } else if (split > 0) {
      // NOTE: as Keras, the validation samples are the last ones, taken before any shuffling.
      const nTrain = Math.floor(trainX.rows * (1 - split));
      if (nTrain === 0 || nTrain === trainX.rows) {
        throw new BackpropError("INVALID_ARGUMENT", `${where}: validationSplit ${split} of ${trainX.rows} samples leaves an empty set`);
      }
      valX = trainX.rowSlice(nTrain, trainX.rows);
      valY = trainY.rowSlice(nTrain, trainY.rows);
      trainX = trainX.rowSlice(0, nTrain);
      trainY = trainY.rowSlice(0, nTrain);
    }
    const n = trainX.rows;
    const shuffle = options.shuffle ?? true;
    const callbacks = [...(options.callbacks ?? [])];
    if (options.earlyStopping) callbacks.push(earlyStopping(options.earlyStopping));
    for (const cb of callbacks) cb.setModel?.(this);

    const order = new Int32Array(n);
    const xPool = new BufferPool(trainX.cols, this.dtype);
    const yPool = new BufferPool(trainY.cols, this.dtype);
    const history: History = { epoch: [], history: {} };
    const metricSums = new Float64Array(this.metricFns.length);
    this.stopTraining = false;
    const hooks = callbacks.length > 0;
    if (hooks) callbacks.forEach((cb) => cb.onTrainBegin?.({}));
    let lastLogs: Logs = {};
    // No callbacks, metrics or validation: the loss is the only logged value.
    const lossOnly = !hooks && this.metricFns.length === 0 && !valX;
    let lossHistory: number[] | undefined;
    for (let epoch = initialEpoch; epoch < epochs && !this.stopTraining; epoch++) {
      if (hooks) callbacks.forEach((cb) => cb.onEpochBegin?.(epoch, {}));
      // NOTE: the order restarts from 0…n-1 every epoch so it depends on the generator state alone:
      // a run resumed from a checkpoint draws the same batches as one that never stopped.
      for (let i = 0; i < n; i++) order[i] = i;
      if (shuffle) this.rng.shuffle(order);
      let lossSum = 0;
      let seen = 0;
      metricSums.fill(0);
      let batch = 0;
      for (let start = 0; start < n && !this.stopTraining; start += batchSize, batch++) {
        const rows = Math.min(batchSize, n - start);
        // Full batch in the original order: the batch is the training set itself, so no copy.
        const whole = !shuffle && rows === n;
        const bx = whole ? trainX : xPool.get(rows);
        const by = whole ? trainY : yPool.get(rows);
        if (!whole) {
          copyRows(trainX, order, start, bx);
          copyRows(trainY, order, start, by);
        }
        if (hooks) callbacks.forEach((cb) => cb.onBatchBegin?.(batch, { size: rows }));
        const batchLoss = this.step(bx, by, where, epoch, batch);
        const yPred = this.stepPred as Matrix;
        lossSum += batchLoss * rows;
        seen += rows;
        const batchLogs: Logs | undefined = hooks ? { loss: batchLoss, size: rows } : undefined;
        for (let i = 0; i < this.metricFns.length; i++) {
          const m = this.metricFns[i] as Metric;
          const v = m.compute(yPred, by);
          metricSums[i] = (metricSums[i] as number) + v * rows;
          if (batchLogs) batchLogs[m.name] = v;
        }
        if (batchLogs) callbacks.forEach((cb) => cb.onBatchEnd?.(batch, batchLogs));
        if (pauseAfter === "batch") yield "batch";
      }
      if (seen < n) break; // stopped mid-epoch: the epoch is not complete, so it is not logged
      if (lossOnly) {
        // Nobody but the history reads this epoch's logs: skip building the object.
        this.epochsDone = epoch + 1;
        history.epoch.push(epoch);
        (lossHistory ??= history.history["loss"] = []).push(lossSum / n);
        if (pauseAfter === "epoch") yield "epoch";
        continue;
      }
      const logs: Logs = { loss: lossSum / n };
      for (let i = 0; i < this.metricFns.length; i++) {
        logs[(this.metricFns[i] as Metric).name] = (metricSums[i] as number) / n;
      }
      if (valX && valY) {
        const val = this.evaluateWith(loss, valX, valY, batchSize);
        for (const [key, value] of Object.entries(val)) logs[`val_${key}`] = value;
      }
      this.epochsDone = epoch + 1;
      history.epoch.push(epoch);
      for (const key in logs) (history.history[key] ??= []).push(logs[key] as number);
      if (hooks) callbacks.forEach((cb) => cb.onEpochEnd?.(epoch, logs));
      lastLogs = logs;
      if (pauseAfter === "epoch") yield "epoch";
    }
    if (hooks) callbacks.forEach((cb) => cb.onTrainEnd?.(lastLogs));
    return history;
  }

  private evaluateWith(loss: Loss, x: Matrix, y: Matrix, batchSize: number): Logs {
    let lossSum = 0;
    const sums = new Float64Array(this.metricFns.length);
    for (let start = 0; start < x.rows; start += batchSize) {
      const end = Math.min(start + batchSize, x.rows);
      const bx = x.rowSlice(start, end);
      const by = y.rowSlice(start, end);
      const yPred = this.forwardAll(bx, false);
      const rows = end - start;
      lossSum += loss.compute(yPred, by) * rows;
      this.metricFns.forEach((m, i) => {
        sums[i] = (sums[i] as number) + m.compute(yPred, by) * rows;
      });
    }
    const logs: Logs = { loss: lossSum / x.rows + this.regularization() };
    this.metricFns.forEach((m, i) => {
      logs[m.name] = (sums[i] as number) / x.rows;
    });
    return logs;
  }

  /** The loss (with regularization) and every metric over a data set, sample-weighted. */
  evaluate(x: Matrix, y: Matrix, options: BatchOptions = {}): Logs {
    const { loss } = this.compiled("evaluate");
    const data = this.prepare("evaluate", x, y);
    if (data.x.rows === 0) throw new BackpropError("INVALID_ARGUMENT", `${this.name}.evaluate: no samples`);
    return this.evaluateWith(loss, data.x, data.y as Matrix, checkPositiveInteger(`${this.name}.evaluate: batchSize`, options.batchSize ?? 256));
  }

  /** The model's outputs for `x` (inference mode: dropout off), as a new matrix. */
  predict(x: Matrix, options: BatchOptions = {}): Matrix {
    const data = this.prepare("predict", x);
    const batchSize = checkPositiveInteger(`${this.name}.predict: batchSize`, options.batchSize ?? 256);
    const out = new Matrix(data.x.rows, this.outputDim as number, this.dtype);
    for (let start = 0; start < data.x.rows; start += batchSize) {
      const end = Math.min(start + batchSize, data.x.rows);
      const yPred = this.forwardAll(data.x.rowSlice(start, end), false);
      out.data.set(yPred.data, start * out.cols);
    }
    return out;
  }

  /** The model's structure as JSON (no weights): what a model file stores besides the weights. */
  getConfig(): JsonObject {
    return {
      name: this.name,
      dtype: this.dtype,
      seed: this.seed,
      inputDim: this.inputWidth ?? null,
      layers: this.stack.map((l) => ({ className: l.className, config: l.getConfig() })),
    };
  }

  /**
   * A text table of the layers, their output shapes and parameter counts (Keras' `summary()`).
   */
  summary(): string {
    const rows: string[][] = [["Layer (type)", "Output shape", "Activation", "Params"]];
    let width = this.inputWidth;
    let total = 0;
    let trainable = 0;
    for (const layer of this.stack) {
      width = width === undefined ? undefined : layer.outputDim(width);
      const count = layer.params().reduce((n, p) => n + p.value.size, 0);
      total += count;
      trainable += layer.params().reduce((n, p) => n + (p.trainable ? p.value.size : 0), 0);
      const act = (layer.getConfig()["activation"] as { name?: string } | undefined)?.name ?? "";
      rows.push([`${layer.name} (${layer.className})`, `[null, ${width ?? "?"}]`, act, String(count)]);
    }
    const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? "").length)));
    const line = (r: string[]) => r.map((cell, c) => cell.padEnd(widths[c] ?? 0)).join("  ").trimEnd();
    const rule = "─".repeat(widths.reduce((a, b) => a + b + 2, -2));
    return [
      `Model: "${this.name}" (${this.dtype})`,
      rule,
      line(rows[0]!),
      rule,
      ...rows.slice(1).map(line),
      rule,
      `Total params: ${total}`,
      `Trainable params: ${trainable}`,
      `Non-trainable params: ${total - trainable}`,
    ].join("\n");
  }
}
