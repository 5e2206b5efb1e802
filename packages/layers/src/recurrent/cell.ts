import type { Activation, ActivationSpec } from "@backprop/activations";
import {
  BackpropError,
  Matrix,
  Param,
  Tensor,
  allocate,
  getBackend,
  type DType,
  type FloatArray,
  type JsonObject,
} from "@backprop/linalg";
import { resolveInitializer, type Initializer, type InitializerSpec } from "../initializers/index.js";
import type { BuildContext, ParamShape } from "../layer.js";
import { resolveLayerActivation } from "../layer-activation.js";
import {
  addRegularizerGradient,
  makeRegularizer,
  regularizerPenalty,
  type Regularizer,
  type RegularizerConfig,
} from "../regularizer.js";

/**
 * Everything a cell reads and writes while it runs over one batch of sequences, laid out
 * **time-major** (step after step, each step a `batch × width` block) so that a step is one
 * contiguous matrix and the products over all steps at once (the input projection, the weight
 * gradients) are single GEMMs. The recurrent layer fills `inputs`, the initial states and `mask`
 * (in processing order: reversed for `goBackwards`), and reads the states back.
 */
export class SequenceWorkspace {
  /** `[steps, batch, inputDim]`, in processing order. */
  readonly inputs: FloatArray;
  /** dLoss/dInputs in the same layout, written by {@link RecurrentCell.backwardSequence}. */
  readonly inputGradients: FloatArray;
  /**
   * One history per state (`h`, and `c` for an LSTM): `[steps + 1, batch, size]`, slot 0 the
   * initial state, slot s + 1 the state after step s. The output of step s is `states[0]` slot s + 1.
   */
  readonly states: readonly FloatArray[];
  /** Per state, the `batch × size` block of each slot: `stateAt[k][s]` (views, made once). */
  readonly stateAt: readonly (readonly FloatArray[])[];
  /** Per state, dLoss/dState of the current slot (`batch × size`), updated in place going back in time. */
  readonly stateGradients: readonly FloatArray[];
  /** `[steps, batch]` in processing order, 1 = real step; undefined when every step is real. */
  mask: Uint8Array | undefined;
  /** Owned by the cell that last ran here: its per-step scratch, rebuilt when the workspace changes. */
  cellScratch: unknown;

  constructor(
    readonly batch: number,
    readonly steps: number,
    readonly inputDim: number,
    stateSizes: readonly number[],
    readonly dtype: DType,
  ) {
    this.inputs = allocate(dtype, steps * batch * inputDim);
    this.inputGradients = allocate(dtype, steps * batch * inputDim);
    this.states = stateSizes.map((size) => allocate(dtype, (steps + 1) * batch * size));
    this.stateAt = this.states.map((history, k) => stepViews(history, batch * (stateSizes[k] as number), steps + 1));
    this.stateGradients = stateSizes.map((size) => allocate(dtype, batch * size));
    this.mask = undefined;
    this.cellScratch = undefined;
  }
}

/** `count` consecutive views of `width` elements each over `buffer`, made once per workspace. */
export function stepViews(buffer: FloatArray, width: number, count: number): FloatArray[] {
  return Array.from({ length: count }, (_, s) => buffer.subarray(s * width, (s + 1) * width));
}

/**
 * One step of a recurrent network, run over a whole batch of sequences by {@link RNN}: the
 * Keras / TensorFlow.js split of a layer into the loop (the `RNN` layer) and the step (the cell).
 * The built-ins are {@link SimpleRNNCell}, {@link LSTMCell} and {@link GRUCell}.
 *
 * A cell runs a whole sequence per call rather than one step, so it can multiply the inputs of
 * every step by its kernel in one matrix product, and likewise for the weight gradients; only the
 * recurrent product stays step by step.
 */
export interface RecurrentCell {
  /** Registry name, e.g. `"lstmCell"`. */
  readonly className: string;
  /** Width of the output (the hidden state). */
  readonly units: number;
  /** Width of each state, the output first: `[units]`, or `[units, units]` for an LSTM (h, c). */
  readonly stateSizes: readonly number[];
  /** Names of the gates {@link RecurrentCell.gateValues} reports, e.g. `["input", "forget", …]`. */
  readonly gateNames: readonly string[];
  /** Whether {@link RecurrentCell.build} has run. */
  readonly built: boolean;
  /** Creates the weights for inputs of `inputDim` features; parameter names start with `ctx.prefix`. */
  build(inputDim: number, ctx: BuildContext): void;
  /** Names and shapes of the parameters for `inputDim` features, in {@link RecurrentCell.params} order. */
  paramShapes(inputDim: number): readonly ParamShape[];
  /** The parameters (empty before build). */
  params(): readonly Param[];
  /** The cell's regularization penalty. */
  regularizationLoss(): number;
  /** Everything but the weights, JSON-safe. */
  getConfig(): JsonObject;
  /**
   * Runs every step: reads `ws.inputs`, the initial states (slot 0) and `ws.mask`, writes every
   * later state slot. A masked (padded) step copies each state of that sample unchanged.
   */
  forwardSequence(ws: SequenceWorkspace): void;
  /**
   * Backpropagation through time over the last {@link RecurrentCell.forwardSequence} on `ws`.
   * `outputGradients` (`[steps, batch, units]`, or undefined when only the final state has a
   * gradient) is dLoss/dOutput of each step; `ws.stateGradients` holds dLoss/dFinalStates on entry
   * and dLoss/dInitialStates on return. Accumulates the parameter gradients and, when
   * `inputGradients` is true, writes `ws.inputGradients`.
   */
  backwardSequence(ws: SequenceWorkspace, outputGradients: FloatArray | undefined, inputGradients: boolean): void;
  /**
   * The gate activations of each step of the last forward pass (time-major `[steps, batch, units]`
   * per gate), and with `gradients` dLoss/d(gate pre-activation) of the last backward pass.
   */
  gateValues(ws: SequenceWorkspace, gradients: boolean): Readonly<Record<string, FloatArray>> | undefined;
}

/** The options every built-in cell shares (the Keras / TensorFlow.js names, lowerCamel). */
export interface CellConfig {
  /** Width of the hidden state (and of the output). */
  readonly units: number;
  /** Activation of the candidate / output; default `"tanh"`. */
  readonly activation?: ActivationSpec | null;
  /** Whether to add biases. Default true. */
  readonly useBias?: boolean;
  /** Initializer of the input kernel; default `"glorotUniform"`. */
  readonly kernelInitializer?: InitializerSpec | null;
  /** Initializer of the recurrent kernel; default `"orthogonal"` (as Keras). */
  readonly recurrentInitializer?: InitializerSpec | null;
  /** Initializer of the bias; default `"zeros"`. */
  readonly biasInitializer?: InitializerSpec | null;
  /** L1/L2 penalty on the input kernel. */
  readonly kernelRegularizer?: RegularizerConfig | null;
  /** L1/L2 penalty on the recurrent kernel. */
  readonly recurrentRegularizer?: RegularizerConfig | null;
  /** L1/L2 penalty on the bias. */
  readonly biasRegularizer?: RegularizerConfig | null;
  /** Layer name (when the cell's options are given to a recurrent layer). */
  readonly name?: string | null;
}

/** A layer option that resolves an initializer, naming the option in errors. */
export function cellInitializer(where: string, spec: unknown, fallback: string): Initializer {
  try {
    return resolveInitializer((spec ?? fallback) as InitializerSpec);
  } catch (error) {
    if (error instanceof BackpropError) {
      throw new BackpropError("INVALID_CONFIG", `${where}: ${error.message.split("\nhelp: ")[0] ?? ""}`, { cause: error });
    }
    throw error;
  }
}

/** An elementwise activation for a cell; vector activations (softmax) have no place inside a gate. */
export function cellActivation(where: string, spec: unknown, fallback: string): Activation {
  const act = resolveLayerActivation(where, (spec ?? fallback) as ActivationSpec);
  if (act.vector === true) {
    throw new BackpropError("INVALID_CONFIG", `${where}: "${act.name}" works on whole vectors; a recurrent cell needs an elementwise activation`, {
      hint: 'use "tanh", "sigmoid", "relu", …; put a softmax in a Dense layer after the recurrent one',
    });
  }
  return act;
}

/** The config fields every built-in cell reads (for `readConfig`). */
export function cellSchema(where: string, activationDefault: string) {
  return {
    name: { type: "string", optional: true, nullable: true },
    units: { type: "number", min: 1, integer: true },
    activation: { type: "custom", read: (v: unknown) => cellActivation(`${where}.activation`, v, activationDefault) },
    useBias: { type: "boolean", default: true },
    kernelInitializer: { type: "custom", read: (v: unknown) => cellInitializer(`${where}.kernelInitializer`, v, "glorotUniform") },
    recurrentInitializer: { type: "custom", read: (v: unknown) => cellInitializer(`${where}.recurrentInitializer`, v, "orthogonal") },
    biasInitializer: { type: "custom", read: (v: unknown) => cellInitializer(`${where}.biasInitializer`, v, "zeros") },
    kernelRegularizer: { type: "custom", read: (v: unknown) => makeRegularizer(`${where}.kernelRegularizer`, v as RegularizerConfig | null | undefined) },
    recurrentRegularizer: {
      type: "custom",
      read: (v: unknown) => makeRegularizer(`${where}.recurrentRegularizer`, v as RegularizerConfig | null | undefined),
    },
    biasRegularizer: { type: "custom", read: (v: unknown) => makeRegularizer(`${where}.biasRegularizer`, v as RegularizerConfig | null | undefined) },
  } as const;
}

/**
 * The three weights every built-in cell has — `kernel` `[inputDim, gates·units]`, `recurrentKernel`
 * `[units, gates·units]`, `bias` — with their initializers and penalties, and the products over
 * all steps that touch them. Cells differ only in what happens inside a step.
 */
export class CellWeights {
  kernel: Param<Matrix> | undefined;
  recurrentKernel: Param<Matrix> | undefined;
  bias: Param | undefined;

  constructor(
    readonly width: number,
    readonly biasRows: number,
    readonly kernelInit: Initializer,
    readonly recurrentInit: Initializer,
    readonly biasInit: Initializer,
    readonly kernelReg: Regularizer | undefined,
    readonly recurrentReg: Regularizer | undefined,
    readonly biasReg: Regularizer | undefined,
    readonly useBias: boolean,
  ) {}

  /** Shapes in parameter order. */
  shapes(inputDim: number, units: number): ParamShape[] {
    const shapes: ParamShape[] = [
      { name: "kernel", shape: [inputDim, this.width] },
      { name: "recurrentKernel", shape: [units, this.width] },
    ];
    if (this.useBias) shapes.push({ name: "bias", shape: this.biasRows === 1 ? [this.width] : [this.biasRows, this.width] });
    return shapes;
  }

  /**
   * Creates and draws the weights in Keras' order (kernel, recurrent kernel, bias). `biasFill`
   * overrides the drawn bias (an LSTM's unit forget bias).
   */
  build(inputDim: number, units: number, ctx: BuildContext, biasFill?: (bias: FloatArray) => void): void {
    const kernel = new Param(`${ctx.prefix}.kernel`, new Matrix(inputDim, this.width, ctx.dtype));
    this.kernelInit.init(kernel.value, ctx.rng, { fanIn: inputDim, fanOut: this.width });
    const recurrent = new Param(`${ctx.prefix}.recurrentKernel`, new Matrix(units, this.width, ctx.dtype));
    this.recurrentInit.init(recurrent.value, ctx.rng, { fanIn: units, fanOut: this.width });
    this.kernel = kernel;
    this.recurrentKernel = recurrent;
    if (this.useBias) {
      const value = this.biasRows === 1 ? new Tensor([this.width], ctx.dtype) : new Matrix(this.biasRows, this.width, ctx.dtype);
      this.biasInit.init(value, ctx.rng, { fanIn: this.width, fanOut: this.width });
      biasFill?.(value.data);
      this.bias = new Param(`${ctx.prefix}.bias`, value);
    }
  }

  params(): Param[] {
    if (!this.kernel || !this.recurrentKernel) return [];
    return this.bias ? [this.kernel, this.recurrentKernel, this.bias] : [this.kernel, this.recurrentKernel];
  }

  penalty(): number {
    let p = 0;
    if (this.kernelReg && this.kernel) p += regularizerPenalty(this.kernelReg, this.kernel.value);
    if (this.recurrentReg && this.recurrentKernel) p += regularizerPenalty(this.recurrentReg, this.recurrentKernel.value);
    if (this.biasReg && this.bias) p += regularizerPenalty(this.biasReg, this.bias.value.asMatrix());
    return p;
  }

  /**
   * `z[r] = inputs[r]·kernel + bias` for every row r of every step (`rows = steps·batch`): the
   * input half of each step's pre-activation, one GEMM for the whole sequence.
   */
  projectInputs(inputs: FloatArray, rows: number, inputDim: number, z: FloatArray): void {
    const kernel = (this.kernel as Param<Matrix>).value.data;
    const width = this.width;
    const bias = this.bias?.value.data;
    if (bias) {
      // The input bias is the whole bias, or its first row when the recurrent bias is separate (GRU).
      const row = bias.length === width ? bias : bias.subarray(0, width);
      for (let r = 0; r < rows; r++) z.set(row, r * width);
    }
    getBackend().gemm(false, false, rows, width, inputDim, inputs, kernel, z, bias !== undefined);
  }

  /**
   * The products over all steps at once from δ = dLoss/dz (`[rows, width]`): `dKernel += inputsᵀ·δ`,
   * `dBias += Σ δ` (into bias row `biasRow`), and `inputGradients = δ·kernelᵀ` when wanted.
   */
  inputSideBackward(
    inputs: FloatArray,
    rows: number,
    inputDim: number,
    delta: FloatArray,
    inputGradients: FloatArray | undefined,
  ): void {
    const kernel = this.kernel as Param<Matrix>;
    const width = this.width;
    const backend = getBackend();
    if (kernel.trainable) {
      backend.gemm(true, false, inputDim, width, rows, inputs, delta, kernel.grad.data, true);
      if (this.kernelReg) addRegularizerGradient(this.kernelReg, kernel.value, kernel.grad);
    }
    const bias = this.bias;
    if (bias?.trainable) {
      addColumnSums(delta, rows, width, bias.grad.data, 0);
      if (this.biasReg) addRegularizerGradient(this.biasReg, bias.value.asMatrix(), bias.grad.asMatrix());
    }
    if (inputGradients) backend.gemm(false, true, rows, inputDim, width, delta, kernel.value.data, inputGradients, false);
  }

  /** `dRecurrentKernel += previousᵀ·δ` over all steps (`previous` `[rows, units]`), with its penalty. */
  recurrentSideBackward(previous: FloatArray, rows: number, units: number, delta: FloatArray): void {
    const recurrent = this.recurrentKernel as Param<Matrix>;
    if (!recurrent.trainable) return;
    getBackend().gemm(true, false, units, this.width, rows, previous, delta, recurrent.grad.data, true);
    if (this.recurrentReg) addRegularizerGradient(this.recurrentReg, recurrent.value, recurrent.grad);
  }
}

/**
 * `out[offset + j] += Σ_r m[r, j]` for an `rows × cols` row-major `m`, each column summed in
 * increasing row order (the order of `sumColumns`, so the backend kernel gives the same bits).
 */
export function addColumnSums(m: FloatArray, rows: number, cols: number, out: FloatArray, offset: number): void {
  const backend = getBackend();
  // NOTE: called once per backward pass (all time steps at once), so the subarray view is not a hot allocation.
  const target = offset === 0 && out.length === cols ? out : out.subarray(offset, offset + cols);
  if (backend.sumColumns !== undefined && sameKind(m, target) && backend.sumColumns(rows, cols, m, target, true)) return;
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let j = 0; j < cols; j++) out[offset + j] = (out[offset + j] as number) + (m[base + j] as number);
  }
}

/** Copies the rows of the masked samples of one step from the previous state slot to the next. */
export function carryMaskedRows(mask: Uint8Array, step: number, batch: number, size: number, from: FloatArray, to: FloatArray): void {
  for (let b = 0; b < batch; b++) {
    if (mask[step * batch + b] !== 0) continue;
    for (let j = b * size, end = j + size; j < end; j++) to[j] = from[j] as number;
  }
}

function sameKind(a: FloatArray, b: FloatArray): boolean {
  return a instanceof Float32Array === b instanceof Float32Array;
}
