import {
  BackpropError,
  Matrix,
  Tensor,
  allocate,
  describeValue,
  formatShape,
  shapeString,
  type DType,
  type FloatArray,
  type JsonObject,
  type Param,
  type Shape,
} from "@backprop/linalg";
import { readInputShape } from "../input-shape.js";
import type { BackwardContext, BuildContext, ForwardContext, Layer, LayerInspection, ParamShape, TimeMask } from "../layer.js";
import type { RecurrentCell } from "./cell.js";
import { SequenceWorkspace } from "./cell.js";
import { GRUCell, type GRUCellConfig } from "./gru-cell.js";
import { LSTMCell, type LSTMCellConfig } from "./lstm-cell.js";
import { SimpleRNNCell, type SimpleRNNCellConfig } from "./simple-rnn-cell.js";

/** The options of a recurrent layer itself (the loop), shared by {@link RNN}, {@link LSTM}, {@link GRU} and {@link SimpleRNN}. */
export interface RecurrentLayerOptions {
  /** Output every step (`[batch, time, units]`) instead of the last one (`[batch, units]`). Default false. */
  readonly returnSequences?: boolean;
  /**
   * Keras' flag for a layer that also outputs its final states. A `Sequential` model passes one
   * tensor between layers, so there such a layer is an error; call {@link RNN.call}, which always
   * returns the states, to use them (an encoder's state as a decoder's initial state).
   */
  readonly returnState?: boolean;
  /** Process the sequence from its last step to its first; the output sequence is in that order too (as Keras). Default false. */
  readonly goBackwards?: boolean;
  /**
   * Keep the final states of each batch as the initial states of the next, for sequences longer
   * than a batch (truncated backpropagation through time: gradients stop at the batch boundary).
   * Sample i of each batch continues sample i of the previous one, so the batch size is fixed;
   * {@link RNN.resetStates} starts over. Default false.
   */
  readonly stateful?: boolean;
  /** Per-sample input shape `[time, features]`, when this is the model's first layer. */
  readonly inputShape?: readonly number[] | null;
  /** Layer name, unique within a model; assigned by the model when omitted. */
  readonly name?: string | null;
}

/** Options of the generic {@link RNN} layer: a cell and the loop's options. */
export interface RNNConfig extends RecurrentLayerOptions {
  /** The step: a cell instance, or its stored form `{ className: "lstmCell", config: { units: 8 } }`. */
  readonly cell: RecurrentCell | { readonly className: string; readonly config: JsonObject };
}

/** Options of {@link RNN.call}. */
export interface RecurrentCallOptions {
  /** Initial states (`[batch, size]` each, h first then c for an LSTM) instead of zeros or the carried ones. */
  readonly initialState?: readonly Tensor[];
  /** Training mode (a later `backward` follows). Default false. */
  readonly training?: boolean;
  /** Which steps are real (see {@link TimeMask}). */
  readonly mask?: TimeMask;
}

/** What {@link RNN.call} returns. */
export interface RecurrentOutput {
  /** The layer's output: `[batch, time, units]` with `returnSequences`, else `[batch, units]`. */
  readonly output: Tensor;
  /** The final states, `[batch, size]` each (h, and c for an LSTM). Views: copy before the next call. */
  readonly states: readonly Tensor[];
}

/** What {@link RNN.backwardThrough} returns. */
export interface RecurrentGradients {
  /** dLoss/dInput, `[batch, time, features]` (unspecified when the input gradient was not asked for). */
  readonly input: Tensor;
  /** dLoss/dInitialStates, `[batch, size]` each. */
  readonly initialStates: readonly Tensor[];
}

/** One batch size and sequence length: the workspace and the tensors handed out. */
interface RunBuffers {
  readonly ws: SequenceWorkspace;
  readonly output: Tensor;
  readonly inputGradient: Tensor;
  readonly finalStates: readonly Tensor[];
  readonly initialStateGradients: readonly Tensor[];
  /** dLoss/dOutput of every step, time-major (returnSequences only). */
  readonly outputGradients: FloatArray | undefined;
}

const CELLS: Readonly<Record<string, (config: JsonObject) => RecurrentCell>> = {
  simpleRnnCell: (config) => new SimpleRNNCell(config as unknown as SimpleRNNCellConfig),
  lstmCell: (config) => new LSTMCell(config as unknown as LSTMCellConfig),
  gruCell: (config) => new GRUCell(config as unknown as GRUCellConfig),
};

function isCell(value: unknown): value is RecurrentCell {
  const v = value as Partial<RecurrentCell> | null;
  return typeof v === "object" && v !== null && typeof v.forwardSequence === "function" && typeof v.backwardSequence === "function";
}

function cellFrom(where: string, spec: unknown): RecurrentCell {
  if (isCell(spec)) return spec;
  const stored = spec as { className?: unknown; config?: unknown } | null;
  if (typeof stored !== "object" || stored === null || typeof stored.className !== "string") {
    throw new BackpropError("INVALID_CONFIG", `${where}.cell: expected a cell or { className, config } (got ${describeValue(spec)})`, {
      hint: 'e.g. new LSTMCell({ units: 32 }) or { className: "lstmCell", config: { units: 32 } }',
    });
  }
  const make = CELLS[stored.className];
  if (!make) {
    throw new BackpropError("UNKNOWN_COMPONENT", `${where}.cell: unknown cell "${stored.className}" (expected one of: ${Object.keys(CELLS).join(", ")})`);
  }
  return make((stored.config ?? {}) as JsonObject);
}

function flag(where: string, key: string, value: unknown): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value !== "boolean") throw new BackpropError("INVALID_CONFIG", `${where}: invalid ${key} (got ${describeValue(value)}, expected true or false)`);
  return value;
}

/**
 * A recurrent layer: runs a {@link RecurrentCell} over the time axis of `[batch, time, features]`
 * inputs (Keras' and TensorFlow.js' `RNN`), with backpropagation through time. {@link LSTM},
 * {@link GRU} and {@link SimpleRNN} are this layer with their cell built in.
 *
 * The sequence is laid out time-major once per batch, so the inputs of all steps meet the kernel in
 * one matrix product (likewise the weight gradients); only `h₋₁·U` runs step by step.
 *
 * - Masks: steps a {@link TimeMask} marks as padding leave every state unchanged (and pass their
 *   gradient through untouched), so padded sequences of different lengths give the same result
 *   as unpadded ones.
 * - `inspect()` adds `timeSteps` — each gate's value and the states at every step — and
 *   `timeStepGradients`, dLoss/d(gate pre-activation) per step: backpropagation through time,
 *   step by step.
 *
 * @see https://keras.io/api/layers/recurrent_layers/rnn/
 * @example
 * ```ts
 * const model = new Sequential([
 *   new RNN({ cell: new LSTMCell({ units: 32 }), inputShape: [32, 1] }), // → [32]
 *   new Dense({ units: 1 }),
 * ]);
 * ```
 */
export class RNN implements Layer {
  /** Registry name of this layer type. */
  readonly className: string;
  /** Layer name (assigned by the model when not configured). */
  name: string;
  /** The step run at every time step. */
  readonly cell: RecurrentCell;
  /** Whether the output has every step. */
  readonly returnSequences: boolean;
  /** Keras' `returnState` flag (see {@link RecurrentLayerOptions.returnState}). */
  readonly returnState: boolean;
  /** Whether the sequence runs from its end. */
  readonly goBackwards: boolean;
  /** Whether final states carry over to the next batch. */
  readonly stateful: boolean;
  /** The per-sample input shape from the config, if given. */
  readonly inputShape: Shape | undefined;
  private dtype: DType | undefined;
  private inputDim = 0;
  private buffers = new Map<string, RunBuffers>();
  private last: { buffers: RunBuffers; x: Tensor; training: boolean } | undefined;
  private lastOutputGradient: Tensor | undefined;
  private lastInputGradient: Tensor | undefined;
  private carried: FloatArray[] | undefined;
  private carriedBatch = 0;

  constructor(config: RNNConfig);
  /** For the built-in layers: their own class name and cell. */
  constructor(config: RecurrentLayerOptions, cell: RecurrentCell, className: string);
  constructor(config: RNNConfig | RecurrentLayerOptions, cell?: RecurrentCell, className?: string) {
    const where = className === undefined ? "RNN" : displayName(className);
    if (typeof config !== "object" || config === null) {
      throw new BackpropError("INVALID_CONFIG", `${where}: expected a config object (got ${describeValue(config)})`);
    }
    this.className = className ?? "rnn";
    this.cell = cell ?? cellFrom(where, (config as RNNConfig).cell);
    this.name = config.name ?? this.className;
    this.returnSequences = flag(where, "returnSequences", config.returnSequences);
    this.returnState = flag(where, "returnState", config.returnState);
    this.goBackwards = flag(where, "goBackwards", config.goBackwards);
    this.stateful = flag(where, "stateful", config.stateful);
    this.inputShape = readInputShape(where, { inputShape: config.inputShape ?? null });
    if (this.inputShape && this.inputShape.length !== 2) {
      throw new BackpropError("INVALID_CONFIG", `${where}.inputShape: expected [time, features] (got ${formatShape(this.inputShape)})`, {
        hint: "one sample is a sequence: [32, 1] is 32 steps of 1 feature",
      });
    }
  }

  /** Width of the output. */
  get units(): number {
    return this.cell.units;
  }

  /** Whether {@link RNN.build} has run. */
  get built(): boolean {
    return this.dtype !== undefined;
  }

  private checkShape(inputShape: Shape): void {
    if (!Array.isArray(inputShape) || inputShape.length !== 2 || !inputShape.every((d) => Number.isSafeInteger(d) && d > 0)) {
      throw new BackpropError(
        "SHAPE_MISMATCH",
        `${this.name}: input shape ${Array.isArray(inputShape) ? formatShape(inputShape) : describeValue(inputShape)} is not a sequence (expected [time, features] per sample)`,
        { hint: "recurrent layers read [batch, time, features]; reshape a flat series into windows first" },
      );
    }
  }

  /** `[time, units]` with `returnSequences`, else `[units]`. */
  computeOutputShape(inputShape: Shape): Shape {
    this.checkShape(inputShape);
    return this.returnSequences ? [inputShape[0] as number, this.units] : [this.units];
  }

  /** The cell's parameters for `[time, features]` inputs. */
  paramShapes(inputShape: Shape): readonly ParamShape[] {
    this.checkShape(inputShape);
    return this.cell.paramShapes(inputShape[1] as number);
  }

  /** Builds the cell for the input's feature count. */
  build(inputShape: Shape, ctx: BuildContext): void {
    this.checkShape(inputShape);
    this.inputDim = inputShape[1] as number;
    this.cell.build(this.inputDim, ctx);
    this.dtype = ctx.dtype;
  }

  /** The cell's parameters. */
  params(): readonly Param[] {
    return this.cell.params();
  }

  /** The cell's penalty. */
  regularizationLoss(): number {
    return this.cell.regularizationLoss();
  }

  private buffersFor(batch: number, steps: number): RunBuffers {
    const key = `${batch}x${steps}`;
    let b = this.buffers.get(key);
    if (b) return b;
    const dtype = this.dtype as DType;
    const units = this.units;
    const ws = new SequenceWorkspace(batch, steps, this.inputDim, this.cell.stateSizes, dtype);
    const sizes = this.cell.stateSizes;
    b = {
      ws,
      output: this.returnSequences ? new Tensor([batch, steps, units], dtype) : new Matrix(batch, units, dtype),
      inputGradient: new Tensor([batch, steps, this.inputDim], dtype),
      finalStates: ws.stateAt.map((views, k) => new Matrix(batch, sizes[k] as number, dtype, views[steps] as FloatArray)),
      initialStateGradients: ws.stateGradients.map((g, k) => new Matrix(batch, sizes[k] as number, dtype, g)),
      outputGradients: this.returnSequences ? allocate(dtype, steps * batch * units) : undefined,
    };
    // NOTE: a dataset of variable-length sequences trained one by one (brain.js style) cycles
    // through a few dozen shapes, which must stay cached; an unbounded stream of new lengths
    // (generation with a growing prompt) must not keep every workspace alive.
    if (this.buffers.size >= 32) this.buffers.clear();
    this.buffers.set(key, b);
    return b;
  }

  /** `Layer.forward`: the output of {@link RNN.call}. */
  forward(x: Tensor, ctx: ForwardContext = {}): Tensor {
    if (this.returnState) {
      throw new BackpropError("INVALID_CONFIG", `${this.name}: returnState gives several outputs, but a model passes one tensor from layer to layer`, {
        hint: "drop returnState inside a Sequential model; call layer.call(x) to get the final states",
      });
    }
    return this.call(x, { training: ctx.training === true, ...(ctx.mask ? { mask: ctx.mask } : {}) }).output;
  }

  /**
   * Runs the layer and returns its output and final states (Keras' `returnState`), optionally from
   * given initial states: the building block of encoder–decoder models and of step-by-step
   * generation. The sequence length may differ from call to call.
   * @throws BackpropError `SHAPE_MISMATCH` for an input that is not `[batch, time, features]` or
   *   initial states of the wrong shape; `INVALID_STATE` for a stateful layer fed a new batch size
   */
  call(x: Tensor, options: RecurrentCallOptions = {}): RecurrentOutput {
    if (!this.built) throw notBuilt(this.name);
    if (!(x instanceof Tensor) || x.rank !== 3 || x.shape[2] !== this.inputDim || (x.shape[1] as number) < 1) {
      throw new BackpropError(
        "SHAPE_MISMATCH",
        `${this.name}: input is ${x instanceof Tensor ? shapeString(x) : describeValue(x)} (expected [batch, time, ${this.inputDim}])`,
      );
    }
    const batch = x.shape[0] as number;
    const steps = x.shape[1] as number;
    const run = this.buffersFor(batch, steps);
    const ws = run.ws;
    this.layOutInputs(x.data, ws);
    ws.mask = options.mask ? this.processingMask(options.mask, batch, steps, ws.mask) : undefined;
    this.setInitialStates(ws, options.initialState);
    this.cell.forwardSequence(ws);
    this.writeOutput(ws, run.output.data);
    if (this.stateful) this.carry(ws);
    this.last = { buffers: run, x, training: options.training === true };
    this.lastOutputGradient = undefined;
    this.lastInputGradient = undefined;
    return { output: run.output, states: run.finalStates };
  }

  /** Copies `[batch, time, features]` into the time-major workspace, in processing order. */
  private layOutInputs(x: FloatArray, ws: SequenceWorkspace): void {
    const { batch, steps, inputDim } = ws;
    const inputs = ws.inputs;
    for (let b = 0; b < batch; b++) {
      for (let t = 0; t < steps; t++) {
        const s = this.goBackwards ? steps - 1 - t : t;
        const from = (b * steps + t) * inputDim;
        const to = (s * batch + b) * inputDim;
        for (let f = 0; f < inputDim; f++) inputs[to + f] = x[from + f] as number;
      }
    }
  }

  private processingMask(mask: TimeMask, batch: number, steps: number, reuse: Uint8Array | undefined): Uint8Array {
    if (mask.batch !== batch || mask.steps !== steps || mask.data.length !== batch * steps) {
      throw new BackpropError("SHAPE_MISMATCH", `${this.name}: the mask covers ${mask.batch}×${mask.steps} steps (expected ${batch}×${steps}, the input's batch × time)`);
    }
    const out = reuse && reuse.length === batch * steps ? reuse : new Uint8Array(batch * steps);
    for (let b = 0; b < batch; b++) {
      for (let t = 0; t < steps; t++) out[(this.goBackwards ? steps - 1 - t : t) * batch + b] = mask.data[b * steps + t] as number;
    }
    return out;
  }

  private setInitialStates(ws: SequenceWorkspace, given: readonly Tensor[] | undefined): void {
    const sizes = this.cell.stateSizes;
    const block = (k: number) => ws.batch * (sizes[k] as number);
    if (given !== undefined) {
      if (!Array.isArray(given) || given.length !== sizes.length) {
        throw new BackpropError("SHAPE_MISMATCH", `${this.name}: initialState has ${Array.isArray(given) ? given.length : describeValue(given)} tensors (expected ${sizes.length}: ${sizes.length === 2 ? "h, c" : "h"})`);
      }
      given.forEach((state, k) => {
        if (!(state instanceof Tensor) || state.size !== block(k) || state.shape[0] !== ws.batch) {
          throw new BackpropError("SHAPE_MISMATCH", `${this.name}: initialState[${k}] is ${state instanceof Tensor ? shapeString(state) : describeValue(state)} (expected [${ws.batch}, ${sizes[k]}])`);
        }
        (ws.stateAt[k]?.[0] as FloatArray).set(state.data);
      });
      return;
    }
    if (this.stateful && this.carried) {
      if (this.carriedBatch !== ws.batch) {
        throw new BackpropError("INVALID_STATE", `${this.name}: a stateful layer carries states for batches of ${this.carriedBatch}, got a batch of ${ws.batch}`, {
          hint: "feed batches of one size (fit with shuffle: false and a batch size that divides the data), or call resetStates() first",
        });
      }
      this.carried.forEach((state, k) => (ws.stateAt[k]?.[0] as FloatArray).set(state));
      return;
    }
    for (let k = 0; k < sizes.length; k++) (ws.stateAt[k]?.[0] as FloatArray).fill(0);
  }

  private carry(ws: SequenceWorkspace): void {
    const finals = ws.stateAt.map((views) => views[ws.steps] as FloatArray);
    if (!this.carried || this.carriedBatch !== ws.batch) {
      this.carried = finals.map((f) => f.slice());
      this.carriedBatch = ws.batch;
      return;
    }
    this.carried.forEach((state, k) => state.set(finals[k] as FloatArray));
  }

  /**
   * Forgets the carried states of a stateful layer (the next batch starts from zeros), or sets
   * them (`[batch, size]` each, h first).
   */
  resetStates(states?: readonly Tensor[]): void {
    if (states === undefined) {
      this.carried = undefined;
      this.carriedBatch = 0;
      return;
    }
    const sizes = this.cell.stateSizes;
    if (!Array.isArray(states) || states.length !== sizes.length) {
      throw new BackpropError("SHAPE_MISMATCH", `${this.name}.resetStates: expected ${sizes.length} state tensors (got ${describeValue(states)})`);
    }
    const batch = states[0]?.shape[0] as number;
    this.carried = states.map((s, k) => {
      if (!(s instanceof Tensor) || s.rank !== 2 || s.shape[0] !== batch || s.shape[1] !== sizes[k]) {
        throw new BackpropError("SHAPE_MISMATCH", `${this.name}.resetStates: state ${k} is ${s instanceof Tensor ? shapeString(s) : describeValue(s)} (expected [${String(batch)}, ${sizes[k]}])`);
      }
      return (this.dtype === "float32" ? Float32Array : Float64Array).from(s.data);
    });
    this.carriedBatch = batch;
  }

  /** The states a stateful layer will start the next batch from (copies), or undefined. */
  get states(): readonly Tensor[] | undefined {
    if (!this.carried) return undefined;
    return this.carried.map((s, k) => new Matrix(this.carriedBatch, this.cell.stateSizes[k] as number, this.dtype as DType, s.slice()));
  }

  private writeOutput(ws: SequenceWorkspace, out: FloatArray): void {
    const { batch, steps } = ws;
    const units = this.units;
    const hAt = ws.stateAt[0] as FloatArray[];
    if (!this.returnSequences) {
      out.set(hAt[steps] as FloatArray);
      return;
    }
    for (let s = 0; s < steps; s++) {
      const h = hAt[s + 1] as FloatArray;
      for (let b = 0; b < batch; b++) {
        const to = (b * steps + s) * units;
        for (let u = 0; u < units; u++) out[to + u] = h[b * units + u] as number;
      }
    }
  }

  /** `Layer.backward`: dLoss/dInput from dLoss/dOutput. */
  backward(dy: Tensor, ctx: BackwardContext = {}): Tensor {
    return this.backwardThrough(dy, undefined, ctx).input;
  }

  /**
   * Backpropagation through time from dLoss/dOutput and, optionally, dLoss/dFinalStates (when the
   * states returned by {@link RNN.call} fed something else): accumulates the parameter gradients
   * and returns dLoss/dInput and dLoss/dInitialStates.
   */
  backwardThrough(dOutput: Tensor | undefined, dStates?: readonly (Tensor | undefined)[], ctx: BackwardContext = {}): RecurrentGradients {
    const last = this.last;
    if (!last) throw new BackpropError("INVALID_STATE", `${this.name}.backward: called before forward`);
    const run = last.buffers;
    const ws = run.ws;
    const { batch, steps } = ws;
    const units = this.units;
    if (dOutput !== undefined && (!(dOutput instanceof Tensor) || dOutput.size !== run.output.size || dOutput.shape[0] !== batch)) {
      throw new BackpropError(
        "SHAPE_MISMATCH",
        `${this.name}.backward: gradient is ${dOutput instanceof Tensor ? shapeString(dOutput) : describeValue(dOutput)} (expected ${shapeString(run.output)}, the output's shape)`,
      );
    }
    ws.stateGradients.forEach((g, k) => {
      const given = dStates?.[k];
      if (given === undefined) {
        g.fill(0);
        return;
      }
      if (!(given instanceof Tensor) || given.size !== g.length) {
        throw new BackpropError("SHAPE_MISMATCH", `${this.name}.backward: state gradient ${k} is ${given instanceof Tensor ? shapeString(given) : describeValue(given)} (expected [${batch}, ${this.cell.stateSizes[k]}])`);
      }
      g.set(given.data);
    });
    let perStep: FloatArray | undefined;
    if (dOutput !== undefined) {
      const dy = dOutput.data;
      if (this.returnSequences) {
        perStep = run.outputGradients as FloatArray;
        for (let b = 0; b < batch; b++) {
          for (let s = 0; s < steps; s++) {
            const from = (b * steps + s) * units;
            const to = (s * batch + b) * units;
            for (let u = 0; u < units; u++) perStep[to + u] = dy[from + u] as number;
          }
        }
      } else {
        const dh = ws.stateGradients[0] as FloatArray;
        for (let i = 0; i < dh.length; i++) dh[i] = (dh[i] as number) + (dy[i] as number);
      }
    }
    const wantInput = ctx.inputGradient !== false;
    this.cell.backwardSequence(ws, perStep, wantInput);
    if (wantInput) {
      const dx = run.inputGradient.data;
      const { inputDim } = ws;
      const grads = ws.inputGradients;
      for (let b = 0; b < batch; b++) {
        for (let t = 0; t < steps; t++) {
          const s = this.goBackwards ? steps - 1 - t : t;
          const to = (b * steps + t) * inputDim;
          const from = (s * batch + b) * inputDim;
          for (let f = 0; f < inputDim; f++) dx[to + f] = grads[from + f] as number;
        }
      }
      this.lastInputGradient = run.inputGradient;
    }
    this.lastOutputGradient = dOutput;
    return { input: run.inputGradient, initialStates: run.initialStateGradients };
  }

  /** With `returnSequences` the mask goes on to the next layer; otherwise the time axis, and the mask, end here. */
  computeMask(_input: Tensor, mask: TimeMask | undefined): TimeMask | undefined {
    return this.returnSequences ? mask : undefined;
  }

  /** The JSON config (no weights): the loop's options and the cell's. */
  getConfig(): JsonObject {
    return {
      name: this.name,
      cell: { className: this.cell.className, config: this.cell.getConfig() },
      ...this.loopConfig(),
    };
  }

  /** The loop's options as stored. */
  protected loopConfig(): JsonObject {
    return {
      returnSequences: this.returnSequences,
      returnState: this.returnState,
      goBackwards: this.goBackwards,
      stateful: this.stateful,
      ...(this.inputShape ? { inputShape: [...this.inputShape] } : {}),
    };
  }

  /**
   * Input, output and their gradients; `timeSteps` (each gate, `hidden` and for an LSTM `cell`,
   * `[batch, time, units]` in processing order) and `timeStepGradients` (dLoss/d each gate's
   * pre-activation per step, and dLoss/d the initial states as `initialHidden`/`initialCell`).
   */
  inspect(): LayerInspection {
    const last = this.last;
    if (!last) return {};
    const ws = last.buffers.ws;
    const timeSteps = this.perStep(ws, this.cell.gateValues(ws, false));
    const sizes = this.cell.stateSizes;
    ws.states.forEach((history, k) => {
      // Slot 0 is the initial state; the state after step s is slot s + 1.
      const block = ws.batch * (sizes[k] as number);
      timeSteps[k === 0 ? "hidden" : "cell"] = this.batchMajor(history.subarray(block, block * (ws.steps + 1)), ws, sizes[k] as number);
    });
    const gradients = this.lastOutputGradient !== undefined || this.lastInputGradient !== undefined ? this.perStep(ws, this.cell.gateValues(ws, true)) : undefined;
    if (gradients) {
      ws.stateGradients.forEach((g, k) => {
        gradients[k === 0 ? "initialHidden" : "initialCell"] = new Matrix(ws.batch, sizes[k] as number, this.dtype as DType, g.slice());
      });
    }
    return {
      input: last.x,
      output: last.buffers.output,
      ...(this.lastOutputGradient ? { outputGradient: this.lastOutputGradient } : {}),
      ...(this.lastInputGradient ? { inputGradient: this.lastInputGradient } : {}),
      timeSteps,
      ...(gradients ? { timeStepGradients: gradients } : {}),
    };
  }

  private perStep(ws: SequenceWorkspace, values: Readonly<Record<string, FloatArray>> | undefined): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    if (!values) return out;
    for (const [name, data] of Object.entries(values)) out[name] = this.batchMajor(data, ws, this.units);
    return out;
  }

  /** A time-major `[steps, batch, width]` block as a `[batch, steps, width]` tensor (a copy). */
  private batchMajor(data: FloatArray, ws: SequenceWorkspace, width: number): Tensor {
    const { batch, steps } = ws;
    const out = new Tensor([batch, steps, width], this.dtype as DType);
    for (let s = 0; s < steps; s++) {
      for (let b = 0; b < batch; b++) {
        out.data.set(data.subarray((s * batch + b) * width, (s * batch + b + 1) * width), (b * steps + s) * width);
      }
    }
    return out;
  }
}

/** `"lstm"` → `"LSTM"` for messages. */
function displayName(className: string): string {
  return className === "simpleRnn" ? "SimpleRNN" : className.toUpperCase();
}

function notBuilt(name: string): BackpropError {
  return new BackpropError("NOT_BUILT", `${name}: the layer has no weights yet`, {
    hint: "add it to a Sequential model and call build(), fit() or predict() first",
  });
}
