import type { Activation } from "@backprop/activations";
import { BackpropError, allocate, describeValue, getBackend, readConfig, type FloatArray, type JsonObject, type Param } from "@backprop/linalg";
import { initializerConfig } from "../initializers/index.js";
import type { BuildContext, ParamShape } from "../layer.js";
import { layerActivationConfig } from "../layer-activation.js";
import { regularizerConfig } from "../regularizer.js";
import { CellWeights, cellSchema, stepViews, type CellConfig, type RecurrentCell, type SequenceWorkspace } from "./cell.js";

/** Options of {@link SimpleRNNCell} (and of the {@link SimpleRNN} layer). */
export type SimpleRNNCellConfig = CellConfig;

interface SimpleRnnScratch {
  readonly owner: SimpleRNNCell;
  readonly z: FloatArray;
  readonly zAt: readonly FloatArray[];
  readonly delta: FloatArray;
  readonly deltaAt: readonly FloatArray[];
  hasGradients: boolean;
}

/**
 * The fully connected recurrent cell of Elman (1990), as Keras' and TensorFlow.js' `SimpleRNN`:
 * `h = tanh(x·W + h₋₁·U + b)` with `kernel` `[inputDim, units]`, `recurrentKernel`
 * `[units, units]` and `bias` `[units]`.
 *
 * @see https://keras.io/api/layers/recurrent_layers/simple_rnn/
 * @example
 * ```ts
 * const rnn = new RNN({ cell: new SimpleRNNCell({ units: 8 }), inputShape: [10, 2] });
 * ```
 */
export class SimpleRNNCell implements RecurrentCell {
  /** Registry name of this cell type. */
  readonly className = "simpleRnnCell";
  /** Width of h. */
  readonly units: number;
  /** `[units]`: h. */
  readonly stateSizes: readonly number[];
  /** The one "gate" {@link SimpleRNNCell.gateValues} reports: the new state before the carry. */
  readonly gateNames = ["hidden"] as const;
  /** The activation (tanh by default). */
  readonly activation: Activation;
  private readonly weights: CellWeights;

  constructor(config: SimpleRNNCellConfig) {
    if (typeof config !== "object" || config === null) {
      throw new BackpropError("INVALID_CONFIG", `SimpleRNNCell: expected a config object such as { units: 8 } (got ${describeValue(config)})`);
    }
    const c = readConfig("SimpleRNN", config, cellSchema("SimpleRNN", "tanh"));
    this.units = c.units;
    this.stateSizes = [c.units];
    this.activation = c.activation;
    this.weights = new CellWeights(
      c.units,
      1,
      c.kernelInitializer,
      c.recurrentInitializer,
      c.biasInitializer,
      c.kernelRegularizer,
      c.recurrentRegularizer,
      c.biasRegularizer,
      c.useBias,
    );
  }

  /** Whether the cell has weights. */
  get built(): boolean {
    return this.weights.kernel !== undefined;
  }

  /** Whether the cell adds a bias. */
  get useBias(): boolean {
    return this.weights.useBias;
  }

  /** `kernel` `[inputDim, units]`, `recurrentKernel` `[units, units]`, `bias` `[units]`. */
  paramShapes(inputDim: number): readonly ParamShape[] {
    return this.weights.shapes(inputDim, this.units);
  }

  /** Draws the weights. */
  build(inputDim: number, ctx: BuildContext): void {
    this.weights.build(inputDim, this.units, ctx);
  }

  /** Kernel, recurrent kernel, bias. */
  params(): readonly Param[] {
    return this.weights.params();
  }

  /** The L1/L2 penalties of the three weights. */
  regularizationLoss(): number {
    return this.weights.penalty();
  }

  /** The JSON config (no weights). */
  getConfig(): JsonObject {
    const w = this.weights;
    return {
      units: this.units,
      activation: layerActivationConfig(this.activation),
      useBias: w.useBias,
      kernelInitializer: initializerConfig(w.kernelInit),
      recurrentInitializer: initializerConfig(w.recurrentInit),
      biasInitializer: initializerConfig(w.biasInit),
      kernelRegularizer: regularizerConfig(w.kernelReg),
      recurrentRegularizer: regularizerConfig(w.recurrentReg),
      biasRegularizer: regularizerConfig(w.biasReg),
    };
  }

  private scratch(ws: SequenceWorkspace): SimpleRnnScratch {
    const existing = ws.cellScratch as SimpleRnnScratch | undefined;
    if (existing?.owner === this) return existing;
    const block = ws.batch * this.units;
    const z = allocate(ws.dtype, ws.steps * block);
    const delta = allocate(ws.dtype, ws.steps * block);
    const scratch: SimpleRnnScratch = {
      owner: this,
      z,
      zAt: stepViews(z, block, ws.steps),
      delta,
      deltaAt: stepViews(delta, block, ws.steps),
      hasGradients: false,
    };
    ws.cellScratch = scratch;
    return scratch;
  }

  /** Every step of the sequence (see {@link RecurrentCell.forwardSequence}). */
  forwardSequence(ws: SequenceWorkspace): void {
    const { batch, steps, inputDim } = ws;
    const units = this.units;
    const s = this.scratch(ws);
    s.hasGradients = false;
    this.weights.projectInputs(ws.inputs, steps * batch, inputDim, s.z);
    const recurrent = (this.weights.recurrentKernel as Param).value.data;
    const backend = getBackend();
    const act = this.activation;
    const hAt = ws.stateAt[0] as FloatArray[];
    const mask = ws.mask;
    for (let t = 0; t < steps; t++) {
      const hPrev = hAt[t] as FloatArray;
      const hNext = hAt[t + 1] as FloatArray;
      const z = s.zAt[t] as FloatArray;
      backend.gemm(false, false, batch, units, units, hPrev, recurrent, z, true);
      for (let b = 0; b < batch; b++) {
        const at = b * units;
        const masked = mask !== undefined && mask[t * batch + b] === 0;
        for (let u = at; u < at + units; u++) hNext[u] = masked ? (hPrev[u] as number) : act.f(z[u] as number);
      }
    }
  }

  /** Backpropagation through time (see {@link RecurrentCell.backwardSequence}). */
  backwardSequence(ws: SequenceWorkspace, outputGradients: FloatArray | undefined, inputGradients: boolean): void {
    const { batch, steps, inputDim } = ws;
    const units = this.units;
    const s = this.scratch(ws);
    const recurrent = (this.weights.recurrentKernel as Param).value.data;
    const backend = getBackend();
    const act = this.activation;
    const hAt = ws.stateAt[0] as FloatArray[];
    const dh = ws.stateGradients[0] as FloatArray;
    const mask = ws.mask;
    for (let t = steps - 1; t >= 0; t--) {
      const h = hAt[t + 1] as FloatArray;
      const z = s.zAt[t] as FloatArray;
      const delta = s.deltaAt[t] as FloatArray;
      const base = t * batch * units;
      for (let b = 0; b < batch; b++) {
        const at = b * units;
        const masked = mask !== undefined && mask[t * batch + b] === 0;
        for (let u = at; u < at + units; u++) {
          const g = (dh[u] as number) + (outputGradients ? (outputGradients[base + u] as number) : 0);
          // A padded step passes dh on whole; a real one sends it through the activation and U.
          delta[u] = masked ? 0 : g * act.df(z[u] as number, h[u] as number);
          dh[u] = masked ? g : 0;
        }
      }
      backend.gemm(false, true, batch, units, units, delta, recurrent, dh, true);
    }
    const rows = steps * batch;
    this.weights.recurrentSideBackward(ws.states[0] as FloatArray, rows, units, s.delta);
    this.weights.inputSideBackward(ws.inputs, rows, inputDim, s.delta, inputGradients ? ws.inputGradients : undefined);
    s.hasGradients = true;
  }

  /** The new state of each step (and its pre-activation's δ), time-major. */
  gateValues(ws: SequenceWorkspace, gradients: boolean): Readonly<Record<string, FloatArray>> | undefined {
    const s = ws.cellScratch as SimpleRnnScratch | undefined;
    if (!s || s.owner !== this || (gradients && !s.hasGradients)) return undefined;
    const rows = ws.steps * ws.batch * this.units;
    return { hidden: gradients ? s.delta.slice() : (ws.states[0] as FloatArray).slice(ws.batch * this.units, ws.batch * this.units + rows) };
  }
}
