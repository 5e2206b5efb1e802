import { BackpropError, getBackend, type DType, type FloatArray, type Param, type Shape, type Tensor } from "@backprop/linalg";
import type { Optimizer } from "@backprop/optimizers";
import { BufferPool } from "../buffer-pool.js";
import type { BackwardContext, ForwardContext, Layer, TimeMask } from "../layer.js";
import type { FusedGradient, Loss } from "../losses/index.js";

/*
 * One training step, as a textbook writes it:
 *
 *   1. forward through the layers          ŷ = f(x)
 *   2. the loss                            L = loss(ŷ, y) + penalties
 *   3. backward through the layers         ∂L/∂θ for every parameter
 *   4. the optimizer's update              θ ← update(θ, ∂L/∂θ)
 *
 * Steps 1 and 3 are the "passes". `LayerPasses` makes them through each layer's own forward and
 * backward: the reference. A `StepStrategy` may supply faster passes for models it recognises
 * (the fused small-network step is one, in its own file); it must give the same bits, and the
 * rest of the step — loss, checks, update — stays this one.
 */

/** What a training step and its strategies see of a model. */
export interface StepModel {
  /** The layers, first to last (built). */
  readonly layers: readonly Layer[];
  /** Element type of every weight and buffer. */
  readonly dtype: DType;
  /** The per-sample input shape the model was built for. */
  readonly inputShape: Shape;
  /** Every parameter in layer order. */
  params(): readonly Param[];
}

/** The forward and backward passes of one step. */
export interface StepPasses {
  /** The output for a training batch (training mode). */
  forward(x: Tensor): Tensor;
  /**
   * Fills every parameter's gradient for the last forward (zeroing what it does not compute).
   * Returns true when it has checked that every gradient is finite, false when the step must check.
   */
  backward(yPred: Tensor, yTrue: Tensor): boolean;
  /**
   * Optional: applies the optimizer's next update ({@link Optimizer.fusedUpdates} of `params`, the
   * model's parameters) to every parameter the last backward pass computed a gradient for, with
   * the bits of `optimizer.step`, and returns true; false when it does not (the optimizer then
   * steps). The step then records the update (`Optimizer.recordSteps`).
   */
  update?(optimizer: Optimizer, params: readonly Param[]): boolean;
}

/**
 * Whole full-batch epochs of plain SGD run outside the step (in one kernel call, say): see
 * {@link StepStrategy.epochsFor}.
 */
export interface EpochRunner {
  /**
   * Runs up to `count` epochs on the whole data set `x`, `y` (one batch each, in order), each the
   * forward pass, the loss, the gradients and `p ← p − lr·(g + weightDecay·p)`; writes each
   * epoch's loss (as the step returns it) to `losses`. Stops before the update of an epoch whose
   * loss or gradient is not finite. Returns the number of epochs completed.
   */
  run(x: Tensor, y: Tensor, count: number, lr: number, weightDecay: number, losses: Float64Array): number;
  /** The model's output in the last completed epoch (a buffer of the runner's). */
  readonly prediction: Tensor;
}

/**
 * A way of running the passes of a step faster for some models, chosen per model and batch size.
 * `passesFor` returns undefined when the strategy does not apply; it is asked again only when the
 * batch size, the loss or the kernel backend changes. Its passes must give the same bits as
 * the layer passes.
 */
export interface StepStrategy {
  /** A name for messages and benchmarks, e.g. `"fusedSmallNet"`. */
  readonly name: string;
  /** Passes for this model, loss and batch size, or undefined when the strategy does not apply. */
  passesFor(model: StepModel, loss: Loss, batch: number): StepPasses | undefined;
  /**
   * Optional: a runner of whole full-batch epochs (`batch` = every sample) for this model and
   * loss, or undefined. The training loop uses it when nothing needs to see the epochs one by one
   * (no callbacks, metrics or validation, no shuffling) and the optimizer is plain SGD
   * (`Optimizer.plainSgd`); the epochs must give the bits of as many steps.
   */
  epochsFor?(model: StepModel, loss: Loss, batch: number): EpochRunner | undefined;
}

// Per-pass contexts, shared so a step allocates nothing for them (layers read them, never keep them).
const TRAINING: ForwardContext = Object.freeze({ training: true });
const INFERENCE: ForwardContext = Object.freeze({ training: false });
const WITH_INPUT_GRADIENT: BackwardContext = Object.freeze({ inputGradient: true });
const WITHOUT_INPUT_GRADIENT: BackwardContext = Object.freeze({ inputGradient: false });

/** The output of the layers for `x`; `training` switches dropout and friends on. */
export function forwardLayers(layers: readonly Layer[], x: Tensor, training: boolean): Tensor {
  const ctx = training ? TRAINING : INFERENCE;
  let out = x;
  let mask: TimeMask | undefined;
  for (let i = 0; i < layers.length; i++) {
    const layer = layers[i] as Layer;
    const next = layers[i + 1];
    // Inference may run a layer and the next in one pass (same bits): a convolution and its pooling.
    const both = !training && mask === undefined && next !== undefined ? layer.inferThrough?.(out, next) : undefined;
    if (both) {
      out = both;
      i++;
    } else {
      const input = out;
      // NOTE: a context with the mask is made only for masked sequences (one object per layer and
      // batch); unmasked models keep the shared frozen ones.
      out = layer.forward(input, mask === undefined ? ctx : { training, mask });
      mask = layer.computeMask?.(input, mask);
    }
  }
  return out;
}

/**
 * The function giving δ = dLoss/dNet of the output layer directly, when the loss fuses with the
 * output layer's activation (softmax or sigmoid with cross-entropy on probabilities): `(p − t)/n`,
 * which skips the activation's Jacobian, is faster, and stays finite when a probability saturates.
 * The loss chooses; a layer takes part by exposing `activation` and `backwardFromDelta`.
 */
export function fusedOutputDelta(last: Layer | undefined, loss: Loss): FusedGradient | undefined {
  const act = last?.activation;
  if (!act || typeof last?.backwardFromDelta !== "function") return undefined;
  return loss.fusedGradient?.(act);
}

/**
 * The reference passes: forward through each layer, then backward from the loss's gradient (or the
 * fused δ) through each layer in reverse. A class, not an object of closures: a tiny net's step
 * is short enough that the shape of the call matters.
 */
class LayerPasses implements StepPasses {
  private readonly layers: readonly Layer[];
  private readonly params: readonly Param[];
  private readonly last: Layer;
  private readonly fused: FusedGradient | undefined;
  // Sized on the last layer's per-sample output; one buffer per batch size.
  private gradPool: BufferPool | undefined;

  constructor(
    model: StepModel,
    private readonly loss: Loss,
  ) {
    this.layers = model.layers;
    this.params = model.params();
    this.last = this.layers[this.layers.length - 1] as Layer;
    this.fused = fusedOutputDelta(this.last, loss);
  }

  forward(x: Tensor): Tensor {
    const params = this.params;
    for (let i = 0; i < params.length; i++) {
      const g = (params[i] as Param).grad.data;
      // A tiny net's gradients are a few elements: a plain loop beats the call into fill().
      if (g.length <= 16) for (let j = 0; j < g.length; j++) g[j] = 0;
      else g.fill(0);
    }
    return forwardLayers(this.layers, x, true);
  }

  backward(yPred: Tensor, yTrue: Tensor): boolean {
    const layers = this.layers;
    const batch = yPred.shape[0] as number;
    const pool = (this.gradPool ??= new BufferPool(yPred.shape.slice(1), yPred.dtype));
    let grad: Tensor;
    let from = layers.length - 1;
    const last = this.last;
    if (this.fused && last.backwardFromDelta) {
      this.fused(yPred.asMatrix(), yTrue.asMatrix(), pool.matrix(batch));
      grad = last.backwardFromDelta(pool.get(batch), from > 0 ? WITH_INPUT_GRADIENT : WITHOUT_INPUT_GRADIENT);
      from--;
    } else {
      this.loss.gradient(yPred.asMatrix(), yTrue.asMatrix(), pool.matrix(batch));
      grad = pool.get(batch);
    }
    for (let i = from; i >= 0; i--) {
      grad = (layers[i] as Layer).backward(grad, i > 0 ? WITH_INPUT_GRADIENT : WITHOUT_INPUT_GRADIENT);
    }
    return false;
  }
}

/**
 * 0 when every element of `d` is finite, NaN otherwise: x·0 is 0 for finite x and NaN for ±∞ or
 * NaN, and NaN survives the sum. Four sums, no branch: ~4× faster than testing each element.
 * One copy per dtype so each loop stays monomorphic (a loop that has seen both element kinds is
 * several times slower).
 */
export function nonFiniteProbe(d: FloatArray): number {
  // A kernel backend may check large arrays in WASM SIMD (~10× faster than this loop).
  const checked = getBackend().nonFinite?.(d) ?? -1;
  if (checked >= 0) return checked === 0 ? 0 : Number.NaN;
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

const DIVERGED_HINT = "lower the learning rate, normalise the inputs, or clip gradients (clipNorm)";

/** `"fit (epoch 3, batch 7)"`, or just the caller outside a training loop. */
function stepLabel(caller: string, epoch: number, batch: number): string {
  return epoch < 0 ? caller : `${caller} (epoch ${epoch}, batch ${batch})`;
}

/**
 * Runs the training steps of one model: forward, loss, backward, update (see the top of this file),
 * with the passes of the first strategy that applies, else the layers' own. Remembers which
 * passes to use per batch size, and asks again when the loss or the kernel backend changes.
 */
export class TrainingStep {
  /** The model's output for the last step's batch (a buffer of the passes; read it before the next step). */
  prediction: Tensor | undefined;
  /** Optimizer steps taken: the model's iteration count, part of a checkpoint. */
  steps = 0;
  private loss: Loss | undefined;
  private optimizer: Optimizer | undefined;
  private forLoss: Loss | undefined;
  private forBackend: unknown;
  private reference: StepPasses | undefined;
  private readonly byBatch = new Map<number, StepPasses>();
  private readonly epochsByBatch = new Map<number, EpochRunner | null>();
  // The model's parameters and layers, fixed once it is built: read here rather than through the
  // model's methods on every step.
  private readonly params: readonly Param[];
  private readonly layers: readonly Layer[];
  // A training loop uses one batch size every step: the last answer skips the map.
  private lastBatch = -1;
  private lastPasses: StepPasses | undefined;

  /**
   * @param model - the model to train
   * @param strategies - faster passes to try, in order, before the layers' own
   * @param backend - the current kernel backend, which decides whether a strategy applies
   */
  constructor(
    private readonly model: StepModel,
    private readonly strategies: readonly StepStrategy[],
    private readonly backend: () => unknown,
  ) {
    this.params = model.params();
    this.layers = model.layers;
  }

  /** The layers' regularization penalties, summed. */
  private penalties(): number {
    const layers = this.layers;
    let penalty = 0;
    for (let i = 0; i < layers.length; i++) penalty += (layers[i] as Layer).regularizationLoss();
    return penalty;
  }

  /** The passes through the layers themselves, for this loss. */
  referencePasses(loss: Loss): StepPasses {
    this.select(loss);
    return this.reference as StepPasses;
  }

  private select(loss: Loss): void {
    const backend = this.backend();
    if (loss === this.forLoss && backend === this.forBackend) return;
    this.forLoss = loss;
    this.forBackend = backend;
    this.reference = new LayerPasses(this.model, loss);
    this.byBatch.clear();
    this.epochsByBatch.clear();
    this.lastBatch = -1;
  }

  private passesFor(loss: Loss, batch: number): StepPasses {
    this.select(loss);
    if (batch === this.lastBatch) return this.lastPasses as StepPasses;
    let passes = this.byBatch.get(batch);
    if (!passes) {
      for (const strategy of this.strategies) {
        passes = strategy.passesFor(this.model, loss, batch);
        if (passes) break;
      }
      passes ??= this.reference as StepPasses;
      this.byBatch.set(batch, passes);
    }
    this.lastBatch = batch;
    this.lastPasses = passes;
    return passes;
  }

  /**
   * Runs up to `count` full-batch epochs on `x`, `y` through a strategy's {@link EpochRunner}
   * when one applies and the optimizer is plain SGD; writes their losses to `losses` and returns
   * how many ran (0 when none applies: the caller then runs steps). Epochs run this way count as
   * steps, for the model and the optimizer alike.
   */
  runEpochs(x: Tensor, y: Tensor, count: number, losses: Float64Array): number {
    const loss = this.loss;
    const optimizer = this.optimizer;
    if (!loss || !optimizer || count <= 0 || !optimizer.recordSteps) return 0;
    const form = optimizer.plainSgd?.();
    if (!form) return 0;
    this.select(loss);
    const batch = x.shape[0] as number;
    let runner = this.epochsByBatch.get(batch);
    if (runner === undefined) {
      runner = null;
      for (const strategy of this.strategies) {
        runner = strategy.epochsFor?.(this.model, loss, batch) ?? null;
        if (runner) break;
      }
      this.epochsByBatch.set(batch, runner);
    }
    if (!runner) return 0;
    const done = runner.run(x, y, count, form.lr, form.weightDecay, losses);
    optimizer.recordSteps(this.params, done);
    this.steps += done;
    if (done > 0) this.prediction = runner.prediction;
    return done;
  }

  /** Sets the loss and optimizer the steps use (the model's compile). */
  compile(loss: Loss, optimizer: Optimizer): void {
    this.loss = loss;
    this.optimizer = optimizer;
  }

  /**
   * The optimizer's update applied by the passes themselves (see {@link StepPasses.update}),
   * recorded by the optimizer; false when the passes decline.
   */
  private updateInPasses(passes: StepPasses, optimizer: Optimizer): boolean {
    if (!optimizer.recordSteps || passes.update?.(optimizer, this.params) !== true) return false;
    optimizer.recordSteps(this.params, 1);
    return true;
  }

  /**
   * One step on a prepared batch; returns the loss (with regularization) before the update and
   * leaves the output in {@link TrainingStep.prediction}. `reference` true forces the layers' own
   * passes (traceStep reads what each layer saw). Throws `NON_FINITE` naming the step (`caller`,
   * `epoch`, `batch`, the step count) when the loss or a gradient is not finite.
   */
  run(x: Tensor, y: Tensor, caller: string, epoch: number, batch: number, reference = false): number {
    const loss = this.loss;
    const optimizer = this.optimizer;
    if (!loss || !optimizer) throw new BackpropError("NOT_COMPILED", `${caller}: the model is not compiled`);
    const passes = reference ? this.referencePasses(loss) : this.passesFor(loss, x.shape[0] as number);
    const params = this.params;
    // 1. forward
    const prediction = passes.forward(x);
    // 2. loss
    const value = loss.compute(prediction.asMatrix(), y.asMatrix()) + this.penalties();
    if (!Number.isFinite(value)) {
      throw new BackpropError("NON_FINITE", `${stepLabel(caller, epoch, batch)}: the loss is ${String(value)} at step ${this.steps}`, {
        hint: DIVERGED_HINT,
      });
    }
    // 3. backward
    if (!passes.backward(prediction, y)) checkGradients(params, caller, epoch, batch, this.steps);
    // 4. update (SGD, momentum and Adam may run inside the passes, on parameters they still hold)
    if (!passes.update || !this.updateInPasses(passes, optimizer)) optimizer.step(params);
    this.steps++;
    // NOTE: the prediction goes in a field, not a returned object: a tiny net's step is short
    // enough that allocating one per step showed up as garbage-collection time.
    this.prediction = prediction;
    return value;
  }
}

function checkGradients(params: readonly Param[], caller: string, epoch: number, batch: number, step: number): void {
  for (const p of params) {
    if (!p.trainable) continue;
    if (nonFiniteProbe(p.grad.data) !== 0) {
      throw new BackpropError("NON_FINITE", `${stepLabel(caller, epoch, batch)}: the gradient of ${p.name} is not finite (step ${step})`, {
        hint: DIVERGED_HINT,
      });
    }
  }
}
