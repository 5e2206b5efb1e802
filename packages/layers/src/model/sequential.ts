import {
  BackpropError,
  Matrix,
  Rng,
  Tensor,
  formatShape,
  getBackend,
  sameShape,
  shapeString,
  sizeOf,
  type DType,
  type FloatArray,
  type Json,
  type JsonObject,
  type NestedArray,
  type Param,
  type RngState,
  type Shape,
} from "@backprop/linalg";
import { resolveOptimizer, type Optimizer, type OptimizerSpec } from "@backprop/optimizers";
import type { Layer } from "../layer.js";
import { resolveLoss, type Loss, type LossSpec } from "../losses/index.js";
import { resolveMetric, type Metric, type MetricSpec } from "../metrics/index.js";
import type { Logs } from "./callbacks.js";
import { denseEpochsStep } from "./dense-epochs-step.js";
import { denseStackStep } from "./dense-stack-step.js";
import { fusedSmallNetStep } from "./small-net-step.js";
import { layerFromConfig } from "../layer-registry.js";
import { DenseStackInference, type Predictor, type PredictorOptions } from "./predictor.js";
import { captureStep, type StepTrace } from "./trace.js";
import { TrainingStep, forwardLayers, nonFiniteProbe, type StepModel, type StepStrategy } from "./train-step.js";
import { checkPositiveInteger, trainingLoop, type FitAsyncOptions, type FitOptions, type History, type TrainingHost } from "./training-loop.js";

/** Options of the {@link Sequential} constructor. */
export interface SequentialOptions {
  /** Element type of every weight and buffer. Default `"float32"` (as Keras and TensorFlow.js). */
  readonly dtype?: DType;
  /** Seed of the model's generator: initial weights, shuffling and dropout. Default 0. */
  readonly seed?: number;
  /** Model name. Default `"sequential"`. */
  readonly name?: string;
  /**
   * Faster ways to run a training step, tried in order before the layers' own passes; each gives
   * the same bits. Default: the fused small-network step. `[]` trains through the layers only.
   */
  readonly stepStrategies?: readonly StepStrategy[];
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

/** Options of {@link Sequential.evaluate} and {@link Sequential.predict}. */
export interface BatchOptions {
  /** Samples per forward pass. Default 256. */
  readonly batchSize?: number;
}

/** A weight given to {@link Sequential.setWeights}: a tensor, nested arrays, or flat row-major numbers. */
export type WeightValue = Tensor | NestedArray | FloatArray;

const DEFAULT_STRATEGIES: readonly StepStrategy[] = [fusedSmallNetStep, denseStackStep, denseEpochsStep];

function checkFinite(where: string, t: Tensor): void {
  const d = t.data;
  if (nonFiniteProbe(d) === 0) return;
  const width = t.rank === 0 ? 1 : t.size / (t.shape[0] as number);
  for (let i = 0; i < d.length; i++) {
    if (!Number.isFinite(d[i] as number)) {
      const row = Math.floor(i / width);
      throw new BackpropError(
        "NON_FINITE",
        `${where}: row ${row}, column ${i - row * width} is ${String(d[i])} (expected a finite number)`,
      );
    }
  }
}

/**
 * A stack of layers trained end to end: `compile`, then `fit`, `evaluate`, `predict` — the
 * Keras / TensorFlow.js workflow, synchronous and deterministic for a given seed.
 *
 * The model infers every layer's shape from the input shape: the first layer's `inputShape`
 * (or `inputDim`), else the data's. Inputs are tensors whose first axis is the batch; a 2-D matrix
 * of flattened samples is reshaped to the input shape (row-major), so a CSV of 784 pixel columns
 * feeds a 28×28×1 network directly.
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
  private readonly strategies: readonly StepStrategy[];
  private builtInput: Shape | undefined;
  private builtOutput: Shape | undefined;
  private allParams: Param[] = [];
  private lossFn: Loss | undefined;
  private optimizerObj: Optimizer | undefined;
  private metricFns: Metric[] = [];
  private trainer: TrainingStep | undefined;
  private host: TrainingHost | undefined;
  private epochsDone = 0;

  constructor(layers: readonly Layer[] = [], options: SequentialOptions = {}) {
    const dtype = options.dtype ?? "float32";
    if (dtype !== "float32" && dtype !== "float64") {
      throw new BackpropError("INVALID_ARGUMENT", `Sequential.dtype: expected "float32" or "float64" (got ${JSON.stringify(dtype)})`);
    }
    this.dtype = dtype;
    this.seed = options.seed ?? 0;
    this.rng = new Rng(this.seed);
    this.name = options.name ?? "sequential";
    this.strategies = [...(options.stepStrategies ?? DEFAULT_STRATEGIES)];
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
    return this.builtInput !== undefined;
  }

  /** The per-sample input shape (after build, else the first layer's declared one, if any). */
  get inputShape(): Shape | undefined {
    return this.builtInput ?? this.stack[0]?.inputShape;
  }

  /** The per-sample output shape (after build). */
  get outputShape(): Shape | undefined {
    return this.builtOutput;
  }

  /** Numbers per input sample (the product of the input shape; the width of a flattened row), after build. */
  get inputDim(): number | undefined {
    return this.builtInput ? sizeOf(this.builtInput) : undefined;
  }

  /** Numbers per output sample, after build. */
  get outputDim(): number | undefined {
    return this.builtOutput ? sizeOf(this.builtOutput) : undefined;
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
    return this.trainer?.steps ?? 0;
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
    return { epoch: this.epochsDone, iterations: this.iterations, rng: this.rng.getState(), layers };
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
    (this.trainer as TrainingStep).steps = iterations;
  }

  /**
   * Creates every weight for samples of `inputShape` (default: the first layer's `inputShape` or
   * `inputDim`); a number is the shorthand for `[n]`. Each layer is built with the shape the one
   * before it computes, and draws its initial weights in order from the model's generator.
   * Called by fit/predict when needed.
   */
  build(inputShape?: Shape | number): this {
    const requested = typeof inputShape === "number" ? [inputShape] : inputShape;
    if (this.builtInput) {
      if (requested !== undefined && !sameShape(requested, this.builtInput)) {
        throw new BackpropError(
          "SHAPE_MISMATCH",
          this.builtInput.length === 1 && requested.length === 1
            ? `${this.name}: inputs have ${String(requested[0])} features (the model was built for ${String(this.builtInput[0])})`
            : `${this.name}: inputs have the shape ${formatShape(requested)} per sample (the model was built for ${formatShape(this.builtInput)})`,
        );
      }
      return this;
    }
    if (this.stack.length === 0) {
      throw new BackpropError("INVALID_STATE", `${this.name}: the model has no layers`, { hint: "add layers: new Sequential([new Dense({ units: 1, inputDim: 2 })])" });
    }
    const shape = requested ?? this.stack[0]?.inputShape;
    if (shape === undefined) {
      throw new BackpropError("INVALID_CONFIG", `${this.name}: the input shape is unknown`, {
        hint: "give the first layer an inputShape (or inputDim), or call fit/predict with data",
      });
    }
    if (!Array.isArray(shape) || shape.length === 0 || !shape.every((d) => Number.isSafeInteger(d) && d > 0)) {
      throw new BackpropError("INVALID_ARGUMENT", `${this.name}.build: the input shape must be positive integers (got ${JSON.stringify(shape)})`);
    }
    let current: Shape = shape.slice();
    this.stack.forEach((layer, i) => {
      layer.build(current, { dtype: this.dtype, rng: this.rng, prefix: `layers.${i}` });
      current = layer.computeOutputShape(current);
    });
    this.builtInput = shape.slice();
    this.builtOutput = current;
    this.allParams = this.stack.flatMap((l) => [...l.params()]);
    this.trainer = new TrainingStep(this.stepModel(), this.strategies, getBackend);
    if (this.lossFn && this.optimizerObj) this.trainer.compile(this.lossFn, this.optimizerObj);
    return this;
  }

  private stepModel(): StepModel {
    const params = this.allParams;
    return { layers: this.stack, dtype: this.dtype, inputShape: this.builtInput as Shape, params: () => params };
  }

  /** Every parameter, in layer order (`layers.0.kernel`, `layers.0.bias`, …). */
  params(): readonly Param[] {
    return this.allParams;
  }

  /** Total number of weights (trainable or not). */
  countParams(): number {
    return this.allParams.reduce((n, p) => n + p.value.size, 0);
  }

  /**
   * Copies of every weight tensor in layer order (Keras' `get_weights()`): for a Dense layer its
   * kernel `[in, units]`, then its bias `[units]`.
   */
  getWeights(): Tensor[] {
    this.build();
    return this.allParams.map((p) => p.value.clone());
  }

  /**
   * Sets every weight, in the order of {@link Sequential.getWeights} (Keras' `set_weights()`).
   * Each value may be a tensor, nested arrays, or flat row-major numbers, and must have the
   * parameter's shape (number of elements for a flat one). Nothing changes unless all fit.
   * @throws BackpropError `SHAPE_MISMATCH` naming the first weight that does not fit
   */
  setWeights(weights: readonly WeightValue[]): void {
    this.build();
    const params = this.allParams;
    if (!Array.isArray(weights) || weights.length !== params.length) {
      throw new BackpropError(
        "SHAPE_MISMATCH",
        `${this.name}.setWeights: got ${Array.isArray(weights) ? weights.length : typeof weights} weights (expected ${params.length}: ${params.map((p) => p.name).join(", ")})`,
      );
    }
    const values = params.map((p, i) => weightData(`${this.name}.setWeights: ${p.name}`, weights[i] as WeightValue, p.value));
    params.forEach((p, i) => p.value.data.set(values[i] as ArrayLike<number>));
  }

  /** Sets the loss, optimizer and metrics used by fit/evaluate. */
  compile(options: CompileOptions): this {
    if (typeof options !== "object" || options === null) {
      throw new BackpropError("INVALID_ARGUMENT", `${this.name}.compile: expected { loss, optimizer, metrics? }`);
    }
    this.lossFn = resolveLoss(options.loss);
    this.optimizerObj = resolveOptimizer(options.optimizer);
    this.metricFns = (options.metrics ?? []).map((m) => resolveMetric(m));
    this.trainer?.compile(this.lossFn, this.optimizerObj);
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

  /**
   * Builds the model if needed and returns `x` as a batch of the input shape, and `y` with as many
   * samples, both finite and of the model's dtype. A 2-D `x` of flattened samples is reshaped.
   */
  private prepare(where: string, x: Tensor, y?: Tensor): { x: Tensor; y: Tensor | undefined } {
    if (!(x instanceof Tensor) || x.rank < 2) {
      throw new BackpropError("INVALID_ARGUMENT", `${this.name}.${where}: x must be a Matrix or Tensor whose first axis is the samples (got ${x instanceof Tensor ? x.describeShape() : typeof x})`);
    }
    if (y !== undefined && (!(y instanceof Tensor) || y.rank < 2)) {
      throw new BackpropError("INVALID_ARGUMENT", `${this.name}.${where}: y must be a Matrix or Tensor whose first axis is the samples`);
    }
    if (!this.builtInput) this.build(this.inputShape ?? x.shape.slice(1));
    const input = this.builtInput as Shape;
    const n = x.shape[0] as number;
    let batch = x;
    if (!sampleShapeIs(x, input)) {
      // A matrix whose rows are flattened samples feeds any input shape (row-major).
      if (x.rank === 2 && input.length > 1 && x.size === n * sizeOf(input)) {
        batch = x.reshape([n, ...input]);
      } else {
        throw new BackpropError(
          "SHAPE_MISMATCH",
          input.length === 1
            ? `${this.name}.${where}: x is ${shapeString(x)} (expected n×${String(input[0])}, one row per sample)`
            : `${this.name}.${where}: x is ${shapeString(x)} (expected [n, ${input.join(", ")}], or n×${sizeOf(input)} flattened rows)`,
        );
      }
    }
    if (y && y.shape[0] !== n) {
      throw new BackpropError(
        "SHAPE_MISMATCH",
        `${this.name}.${where}: x has ${n} rows but y has ${String(y.shape[0])} (x is ${shapeString(x)}, y is ${shapeString(y)})`,
      );
    }
    checkFinite(`${this.name}.${where}: x`, x);
    if (y) checkFinite(`${this.name}.${where}: y`, y);
    return {
      x: batch.dtype === this.dtype ? batch : batch.clone(this.dtype),
      y: y === undefined || y.dtype === this.dtype ? y : y.clone(this.dtype),
    };
  }

  private regularization(): number {
    let penalty = 0;
    for (const layer of this.stack) penalty += layer.regularizationLoss();
    return penalty;
  }

  private step(x: Tensor, y: Tensor, caller: string, reference = false): number {
    if (!this.lossFn || !this.optimizerObj) throw this.notCompiled("step");
    return (this.trainer as TrainingStep).run(x, y, caller, -1, -1, reference);
  }

  /** One gradient step on one batch; returns the batch loss before the step. */
  trainOnBatch(x: Tensor, y: Tensor): number {
    this.compiled("trainOnBatch");
    const data = this.prepare("trainOnBatch", x, y);
    return this.step(data.x, data.y as Tensor, `${this.name}.trainOnBatch`);
  }

  /**
   * One gradient step on one batch, recording every intermediate number: per layer the input,
   * the pre-activation ("net"), the output, dLoss/dOutput, δ = dLoss/dNet, and per parameter its
   * value before, gradient and value after; plus the loss before and after the step. The step
   * always goes through the layers' own passes, so each layer shows what it computed.
   *
   * @example
   * ```ts
   * const trace = model.traceStep(x, y);
   * trace.layers[1].delta; // output deltas
   * ```
   */
  traceStep(x: Tensor, y: Tensor): StepTrace {
    const data = this.prepare("traceStep", x, y);
    const { loss, optimizer } = this.compiled("traceStep");
    return captureStep({
      layers: this.stack,
      params: this.allParams,
      loss,
      optimizer,
      x: data.x,
      y: data.y as Tensor,
      step: () => {
        const value = this.step(data.x, data.y as Tensor, `${this.name}.traceStep`, true);
        return { loss: value, yPred: (this.trainer as TrainingStep).prediction as Tensor };
      },
      forward: () => forwardLayers(this.stack, data.x, false),
      regularization: () => this.regularization(),
    });
  }

  /**
   * Trains for `epochs - initialEpoch` epochs of shuffled mini-batches and returns the history.
   * Validation (if any) runs after each epoch. Throws `NON_FINITE` naming the step if the loss or a
   * gradient stops being finite. Synchronous; see {@link Sequential.fitAsync} to keep a UI or
   * signal handlers responsive.
   */
  fit(x: Tensor, y: Tensor, options: FitOptions = {}): History {
    // No pauses: the whole run is one resumption of the generator.
    const loop = this.loop(x, y, options, "never");
    for (;;) {
      const next = loop.next();
      if (next.done) return next.value;
    }
  }

  /**
   * {@link Sequential.fit}, giving the event loop a turn after every epoch (or batch), so a page
   * stays responsive and a Ctrl-C handler can set `stopTraining`. Same numbers as `fit`.
   */
  async fitAsync(x: Tensor, y: Tensor, options: FitAsyncOptions = {}): Promise<History> {
    const every = options.yieldEvery ?? "epoch";
    const loop = this.loop(x, y, options, every);
    for (;;) {
      const next = loop.next();
      if (next.done) return next.value;
      if (next.value === every) await yieldToEventLoop();
    }
  }

  private loop(x: Tensor, y: Tensor, options: FitOptions, pauseAfter: "batch" | "epoch" | "never"): Generator<"batch" | "epoch", History, void> {
    this.compiled("fit");
    // NOTE: one host per model, not per call: the loop's optimized code is specialised on these
    // very functions, and new closures every fit would throw it away (a tiny net notices).
    this.host ??= {
      model: this,
      name: this.name,
      dtype: this.dtype,
      rng: this.rng,
      metrics: () => this.metricFns,
      prepare: (where, px, py) => {
        const data = this.prepare(where, px, py);
        return { x: data.x, y: data.y as Tensor };
      },
      trainer: () => this.trainer as TrainingStep,
      evaluateBatches: (vx, vy, batchSize) => this.evaluateWith(this.compiled("fit").loss, vx, vy, batchSize),
      epochDone: (epoch) => {
        this.epochsDone = epoch + 1;
      },
    };
    return trainingLoop(this.host, x, y, options, pauseAfter);
  }

  private evaluateWith(loss: Loss, x: Tensor, y: Tensor, batchSize: number): Logs {
    let lossSum = 0;
    const n = x.shape[0] as number;
    const sums = new Float64Array(this.metricFns.length);
    for (let start = 0; start < n; start += batchSize) {
      const end = Math.min(start + batchSize, n);
      const by = y.batchSlice(start, end).asMatrix();
      const yPred = forwardLayers(this.stack, x.batchSlice(start, end), false).asMatrix();
      const rows = end - start;
      lossSum += loss.compute(yPred, by) * rows;
      this.metricFns.forEach((m, i) => {
        sums[i] = (sums[i] as number) + m.compute(yPred, by) * rows;
      });
    }
    const logs: Logs = { loss: lossSum / n + this.regularization() };
    this.metricFns.forEach((m, i) => {
      logs[m.name] = (sums[i] as number) / n;
    });
    return logs;
  }

  /** The loss (with regularization) and every metric over a data set, sample-weighted. */
  evaluate(x: Tensor, y: Tensor, options: BatchOptions = {}): Logs {
    const { loss } = this.compiled("evaluate");
    const data = this.prepare("evaluate", x, y);
    if (data.x.shape[0] === 0) throw new BackpropError("INVALID_ARGUMENT", `${this.name}.evaluate: no samples`);
    return this.evaluateWith(loss, data.x, data.y as Tensor, checkPositiveInteger(`${this.name}.evaluate: batchSize`, options.batchSize ?? 256));
  }

  /**
   * The model's outputs for `x` (inference mode: dropout off), as a new tensor whose first axis is
   * the samples — a {@link Matrix} when each output is a vector.
   */
  predict(x: Tensor, options: BatchOptions = {}): Tensor {
    const data = this.prepare("predict", x);
    const batchSize = checkPositiveInteger(`${this.name}.predict: batchSize`, options.batchSize ?? 256);
    return this.predictPrepared(data.x, batchSize, undefined);
  }

  /**
   * A copy of the model frozen for inference: it keeps its own copy of the weights (taken now, and
   * again at each `refresh()`), so it gives exactly what `predict` gives for those weights, and a
   * backend may keep them where its kernels read them instead of copying them in on every call.
   * On the WASM backend a stack of Dense layers then predicts without reading the weights again:
   * one sample of a 784-128-10 network takes a few microseconds (ONNX Runtime's inference session,
   * TF.js's weights held by the backend, play the same part). Every layer must be rebuildable from
   * its config (built-in, or registered with `registerLayer`), as for saving the model.
   *
   * @example
   * ```ts
   * const predictor = model.predictor({ batchSize: 1 });
   * const probabilities = predictor.predict(oneSample); // 1×10
   * model.fit(x, y);        // the predictor still has the old weights ...
   * predictor.refresh();     // ... until it copies the new ones
   * ```
   * @throws BackpropError `INVALID_STATE` when the model's input shape is unknown (build it, or fit it, first)
   */
  predictor(options: PredictorOptions = {}): Predictor {
    const where = `${this.name}.predictor`;
    const batchSize = checkPositiveInteger(`${where}: batchSize`, options.batchSize ?? 256);
    if (!this.builtInput) {
      if (!this.inputShape) {
        throw new BackpropError("INVALID_STATE", `${where}: the model's input shape is unknown`, {
          hint: "give the first layer inputShape (or inputDim), or call model.build(shape) first",
        });
      }
      this.build();
    }
    const copy = new Sequential(
      this.stack.map((layer) => {
        try {
          return layerFromConfig({ className: layer.className, config: layer.getConfig() });
        } catch (error) {
          throw new BackpropError("INVALID_STATE", `${where}: cannot copy layer "${layer.name}" (${layer.className}) from its config`, {
            cause: error,
            hint: "a custom layer needs registerLayer(className, factory), as for saving the model",
          });
        }
      }),
      { dtype: this.dtype, seed: this.seed, name: this.name, stepStrategies: [] },
    );
    copy.build(this.builtInput as Shape);
    const source = this.allParams;
    const own = copy.allParams;
    const refresh = (): void => {
      for (let i = 0; i < own.length; i++) (own[i] as Param).value.data.set((source[i] as Param).value.data);
    };
    refresh();
    const fast = new DenseStackInference(copy.stack, copy.dtype, batchSize);
    return {
      batchSize,
      predict: (x: Tensor): Tensor => copy.predictPrepared(copy.prepare("predictor.predict", x).x, batchSize, fast),
      refresh: () => {
        refresh();
        fast.invalidate();
      },
    };
  }

  /** The outputs for a prepared batch, batch by batch (through `fast` when it applies). */
  private predictPrepared(x: Tensor, batchSize: number, fast: DenseStackInference | undefined): Tensor {
    const n = x.shape[0] as number;
    const outputShape = this.builtOutput as Shape;
    const out = outputShape.length === 1 ? new Matrix(n, outputShape[0] as number, this.dtype) : new Tensor([n, ...outputShape], this.dtype);
    if (fast && out instanceof Matrix && fast.run(x, out)) return out;
    const width = sizeOf(outputShape);
    for (let start = 0; start < n; start += batchSize) {
      const end = Math.min(start + batchSize, n);
      const yPred = forwardLayers(this.stack, x.batchSlice(start, end), false);
      out.data.set(yPred.data, start * width);
    }
    return out;
  }

  /** The model's structure as JSON (no weights): what a model file stores besides the weights. */
  getConfig(): JsonObject {
    const shape = this.inputShape;
    return {
      name: this.name,
      dtype: this.dtype,
      seed: this.seed,
      inputShape: shape ? [...shape] : null,
      inputDim: shape ? sizeOf(shape) : null,
      layers: this.stack.map((l) => ({ className: l.className, config: l.getConfig() })),
    };
  }

  /**
   * A text table of the layers, their output shapes and parameter counts (Keras' `summary()`).
   */
  summary(): string {
    const rows: string[][] = [["Layer (type)", "Output shape", "Activation", "Params"]];
    let shape: Shape | undefined = this.builtInput;
    let total = 0;
    let trainable = 0;
    for (const layer of this.stack) {
      shape = shape === undefined ? undefined : layer.computeOutputShape(shape);
      const count = layer.params().reduce((n, p) => n + p.value.size, 0);
      total += count;
      trainable += layer.params().reduce((n, p) => n + (p.trainable ? p.value.size : 0), 0);
      const act = (layer.getConfig()["activation"] as { name?: string } | undefined)?.name ?? "";
      rows.push([`${layer.name} (${layer.className})`, shape ? `[null, ${shape.join(", ")}]` : "[null, ?]", act, String(count)]);
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

/** Whether the samples of `x` (all axes but the first) have the shape `sample`; no allocation. */
function sampleShapeIs(x: Tensor, sample: Shape): boolean {
  const shape = x.shape;
  if (shape.length !== sample.length + 1) return false;
  for (let i = 0; i < sample.length; i++) if (shape[i + 1] !== sample[i]) return false;
  return true;
}

/** The numbers of one weight for `setWeights`, checked against the parameter's shape. */
function weightData(where: string, value: WeightValue, target: Tensor): ArrayLike<number> {
  if (value instanceof Tensor) {
    if (!sameShape(value.shape, target.shape)) {
      throw new BackpropError("SHAPE_MISMATCH", `${where}: shape ${value.describeShape()} (expected ${formatShape(target.shape)})`);
    }
    return value.data;
  }
  if (value instanceof Float32Array || value instanceof Float64Array) {
    if (value.length !== target.size) {
      throw new BackpropError("SHAPE_MISMATCH", `${where}: ${value.length} numbers (expected ${target.size}, the shape ${formatShape(target.shape)})`);
    }
    return value;
  }
  let parsed: Tensor;
  try {
    parsed = Tensor.fromArray(value);
  } catch (error) {
    throw new BackpropError("SHAPE_MISMATCH", `${where}: ${(error as Error).message.split("\n")[0] ?? ""}`, { cause: error });
  }
  if (!sameShape(parsed.shape, target.shape)) {
    throw new BackpropError("SHAPE_MISMATCH", `${where}: nested arrays of shape ${formatShape(parsed.shape)} (expected ${formatShape(target.shape)})`);
  }
  return parsed.data;
}

/**
 * One turn of the event loop. Node's `setImmediate` runs after pending I/O and signals without
 * the ≥ 1 ms floor of `setTimeout(0)`, which cost more than a whole epoch of a small network.
 */
function yieldToEventLoop(): Promise<void> {
  return new Promise<void>((resolve) => {
    if (typeof setImmediate === "function") setImmediate(resolve);
    else setTimeout(resolve, 0);
  });
}
