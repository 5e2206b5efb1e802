import type { Activation } from "@backprop/activations";
import { BackpropError, allocate, describeValue, getBackend, readConfig, type FloatArray, type JsonObject, type Param } from "@backprop/linalg";
import { initializerConfig } from "../initializers/index.js";
import type { BuildContext, ParamShape } from "../layer.js";
import { layerActivationConfig } from "../layer-activation.js";
import { regularizerConfig } from "../regularizer.js";
import { CellWeights, cellActivation, cellSchema, stepViews, type CellConfig, type RecurrentCell, type SequenceWorkspace } from "./cell.js";

/** Options of {@link LSTMCell} (and of the {@link LSTM} layer). */
export interface LSTMCellConfig extends CellConfig {
  /** Activation of the input, forget and output gates; default `"sigmoid"` (Keras; TensorFlow.js 4 defaults to `"hardSigmoid"`). */
  readonly recurrentActivation?: CellConfig["activation"];
  /** Start the forget gate's bias at 1 (Jozefowicz et al. 2015), as Keras does (TensorFlow.js 4 defaults to false). Default true. */
  readonly unitForgetBias?: boolean;
}

/** Per-workspace scratch of an LSTM: pre-activations, gate values, activation(c), and δ. */
interface LstmScratch {
  readonly owner: LSTMCell;
  readonly z: FloatArray;
  readonly zAt: readonly FloatArray[];
  readonly gates: FloatArray;
  readonly cellOut: FloatArray;
  readonly dz: FloatArray;
  readonly dzAt: readonly FloatArray[];
  hasGradients: boolean;
}

/**
 * The long short-term memory cell of Hochreiter & Schmidhuber (1997) with a forget gate, in the
 * Keras / TensorFlow.js layout: the four gates side by side in the order **i, f, c, o**, so
 * `kernel` is `[inputDim, 4·units]`, `recurrentKernel` `[units, 4·units]` and `bias` `[4·units]`,
 * and weights copy to and from those libraries unchanged. With σ the recurrent activation and
 * tanh the activation, each step computes
 *
 * - `z = x·W + h₋₁·U + b`, split into `z_i, z_f, z_c, z_o`
 * - `i = σ(z_i)`, `f = σ(z_f)`, `g = tanh(z_c)`, `o = σ(z_o)`
 * - `c = f ⊙ c₋₁ + i ⊙ g`, `h = o ⊙ tanh(c)` (the output; the states are h and c)
 *
 * @see https://keras.io/api/layers/recurrent_layers/lstm/
 * @example
 * ```ts
 * const model = new Sequential([new RNN({ cell: new LSTMCell({ units: 32 }), inputShape: [32, 1] }), new Dense({ units: 1 })]);
 * ```
 */
export class LSTMCell implements RecurrentCell {
  /** Registry name of this cell type. */
  readonly className = "lstmCell";
  /** Width of h and c. */
  readonly units: number;
  /** `[units, units]`: h (the output), then c. */
  readonly stateSizes: readonly number[];
  /** The gates {@link LSTMCell.gateValues} reports, in the kernel's column order. */
  readonly gateNames = ["input", "forget", "candidate", "output"] as const;
  /** Activation of the candidate and of the cell state (tanh by default). */
  readonly activation: Activation;
  /** Activation of the three gates (sigmoid by default). */
  readonly recurrentActivation: Activation;
  /** Whether the forget gate's bias starts at 1. */
  readonly unitForgetBias: boolean;
  private readonly weights: CellWeights;

  constructor(config: LSTMCellConfig) {
    if (typeof config !== "object" || config === null) {
      throw new BackpropError("INVALID_CONFIG", `LSTMCell: expected a config object such as { units: 32 } (got ${describeValue(config)})`);
    }
    const c = readConfig("LSTM", config, {
      ...cellSchema("LSTM", "tanh"),
      recurrentActivation: { type: "custom", read: (v: unknown) => cellActivation("LSTM.recurrentActivation", v, "sigmoid") },
      unitForgetBias: { type: "boolean", default: true },
    });
    this.units = c.units;
    this.stateSizes = [c.units, c.units];
    this.activation = c.activation;
    this.recurrentActivation = c.recurrentActivation;
    this.unitForgetBias = c.unitForgetBias;
    this.weights = new CellWeights(
      4 * c.units,
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

  /** Whether the cell adds biases. */
  get useBias(): boolean {
    return this.weights.useBias;
  }

  /** `kernel` `[inputDim, 4·units]`, `recurrentKernel` `[units, 4·units]`, `bias` `[4·units]`. */
  paramShapes(inputDim: number): readonly ParamShape[] {
    return this.weights.shapes(inputDim, this.units);
  }

  /** Draws the weights; with `unitForgetBias` the forget gate's bias is 1. */
  build(inputDim: number, ctx: BuildContext): void {
    const units = this.units;
    this.weights.build(inputDim, units, ctx, this.unitForgetBias ? (bias) => bias.fill(1, units, 2 * units) : undefined);
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
      recurrentActivation: layerActivationConfig(this.recurrentActivation),
      useBias: w.useBias,
      unitForgetBias: this.unitForgetBias,
      kernelInitializer: initializerConfig(w.kernelInit),
      recurrentInitializer: initializerConfig(w.recurrentInit),
      biasInitializer: initializerConfig(w.biasInit),
      kernelRegularizer: regularizerConfig(w.kernelReg),
      recurrentRegularizer: regularizerConfig(w.recurrentReg),
      biasRegularizer: regularizerConfig(w.biasReg),
    };
  }

  private scratch(ws: SequenceWorkspace): LstmScratch {
    const existing = ws.cellScratch as LstmScratch | undefined;
    if (existing?.owner === this) return existing;
    const rows = ws.steps * ws.batch;
    const width = 4 * this.units;
    const z = allocate(ws.dtype, rows * width);
    const dz = allocate(ws.dtype, rows * width);
    const scratch: LstmScratch = {
      owner: this,
      z,
      zAt: stepViews(z, ws.batch * width, ws.steps),
      gates: allocate(ws.dtype, rows * width),
      cellOut: allocate(ws.dtype, rows * this.units),
      dz,
      dzAt: stepViews(dz, ws.batch * width, ws.steps),
      hasGradients: false,
    };
    ws.cellScratch = scratch;
    return scratch;
  }

  /** Every step of the sequence (see {@link RecurrentCell.forwardSequence}). */
  forwardSequence(ws: SequenceWorkspace): void {
    const { batch, steps, inputDim } = ws;
    const units = this.units;
    const width = 4 * units;
    const s = this.scratch(ws);
    s.hasGradients = false;
    const w = this.weights;
    w.projectInputs(ws.inputs, steps * batch, inputDim, s.z);
    const recurrent = (w.recurrentKernel as Param).value.data;
    const backend = getBackend();
    if (this.standardFloat32(recurrent) && backend.lstmForward) {
      const [h, c] = ws.states as [Float32Array, Float32Array];
      const done = backend.lstmForward(steps, batch, units, s.z as Float32Array, recurrent, h, c, s.gates as Float32Array, s.cellOut as Float32Array, ws.mask);
      if (done) return;
    }
    const gate = this.recurrentActivation;
    const act = this.activation;
    const { z, gates, cellOut } = s;
    const [hAt, cAt] = ws.stateAt as [FloatArray[], FloatArray[]];
    const mask = ws.mask;
    for (let t = 0; t < steps; t++) {
      const hPrev = hAt[t] as FloatArray;
      const cPrev = cAt[t] as FloatArray;
      const hNext = hAt[t + 1] as FloatArray;
      const cNext = cAt[t + 1] as FloatArray;
      backend.gemm(false, false, batch, width, units, hPrev, recurrent, s.zAt[t] as FloatArray, true);
      for (let b = 0; b < batch; b++) {
        const row = (t * batch + b) * width;
        const at = b * units;
        if (mask !== undefined && mask[t * batch + b] === 0) {
          // A padded step: the state carries over unchanged, and no gate is open.
          for (let u = 0; u < units; u++) {
            hNext[at + u] = hPrev[at + u] as number;
            cNext[at + u] = cPrev[at + u] as number;
          }
          gates.fill(0, row, row + width);
          continue;
        }
        for (let u = 0; u < units; u++) {
          const i = gate.f(z[row + u] as number);
          const f = gate.f(z[row + units + u] as number);
          const g = act.f(z[row + 2 * units + u] as number);
          const o = gate.f(z[row + 3 * units + u] as number);
          gates[row + u] = i;
          gates[row + units + u] = f;
          gates[row + 2 * units + u] = g;
          gates[row + 3 * units + u] = o;
          const c = f * (cPrev[at + u] as number) + i * g;
          cNext[at + u] = c;
          const tc = act.f(cNext[at + u] as number);
          cellOut[(t * batch + b) * units + u] = tc;
          hNext[at + u] = o * tc;
        }
      }
    }
  }

  /** Backpropagation through time (see {@link RecurrentCell.backwardSequence}). */
  backwardSequence(ws: SequenceWorkspace, outputGradients: FloatArray | undefined, inputGradients: boolean): void {
    const { batch, steps, inputDim } = ws;
    const units = this.units;
    const width = 4 * units;
    const s = this.scratch(ws);
    const w = this.weights;
    const recurrent = (w.recurrentKernel as Param).value.data;
    const backend = getBackend();
    const rows = steps * batch;
    if (this.standardFloat32(recurrent) && backend.lstmBackward) {
      const [dh, dc] = ws.stateGradients as [Float32Array, Float32Array];
      const done = backend.lstmBackward(
        steps,
        batch,
        units,
        recurrent,
        ws.states[1] as Float32Array,
        s.gates as Float32Array,
        s.cellOut as Float32Array,
        ws.mask,
        outputGradients as Float32Array | undefined,
        dh,
        dc,
        s.dz as Float32Array,
      );
      if (done) {
        w.recurrentSideBackward(ws.states[0] as FloatArray, rows, units, s.dz);
        w.inputSideBackward(ws.inputs, rows, inputDim, s.dz, inputGradients ? ws.inputGradients : undefined);
        s.hasGradients = true;
        return;
      }
    }
    const gate = this.recurrentActivation;
    const act = this.activation;
    const { z, gates, cellOut, dz } = s;
    const [, cAt] = ws.stateAt as [FloatArray[], FloatArray[]];
    const [dh, dc] = ws.stateGradients as [FloatArray, FloatArray];
    const mask = ws.mask;
    for (let t = steps - 1; t >= 0; t--) {
      const cPrev = cAt[t] as FloatArray;
      const cNow = cAt[t + 1] as FloatArray;
      for (let b = 0; b < batch; b++) {
        const row = (t * batch + b) * width;
        const at = b * units;
        const out = (t * batch + b) * units;
        if (mask !== undefined && mask[t * batch + b] === 0) {
          // The state skipped this step, so its gradient does too: dh and dc reach step t − 1 whole.
          if (outputGradients) for (let u = 0; u < units; u++) dh[at + u] = (dh[at + u] as number) + (outputGradients[out + u] as number);
          dz.fill(0, row, row + width);
          continue;
        }
        for (let u = 0; u < units; u++) {
          const dhu = (dh[at + u] as number) + (outputGradients ? (outputGradients[out + u] as number) : 0);
          const i = gates[row + u] as number;
          const f = gates[row + units + u] as number;
          const g = gates[row + 2 * units + u] as number;
          const o = gates[row + 3 * units + u] as number;
          const tc = cellOut[out + u] as number;
          const dcu = (dc[at + u] as number) + dhu * o * act.df(cNow[at + u] as number, tc);
          dz[row + u] = dcu * g * gate.df(z[row + u] as number, i);
          dz[row + units + u] = dcu * (cPrev[at + u] as number) * gate.df(z[row + units + u] as number, f);
          dz[row + 2 * units + u] = dcu * i * act.df(z[row + 2 * units + u] as number, g);
          dz[row + 3 * units + u] = dhu * tc * gate.df(z[row + 3 * units + u] as number, o);
          dc[at + u] = dcu * f;
          dh[at + u] = 0;
        }
      }
      // dh₋₁ = δ·Uᵀ (plus the carried dh of padded rows, whose δ is 0).
      backend.gemm(false, true, batch, units, width, s.dzAt[t] as FloatArray, recurrent, dh, true);
    }
    w.recurrentSideBackward(ws.states[0] as FloatArray, rows, units, dz);
    w.inputSideBackward(ws.inputs, rows, inputDim, dz, inputGradients ? ws.inputGradients : undefined);
    s.hasGradients = true;
  }

  /**
   * Whether the backend's LSTM time loop may run this cell: float32 weights, σ gates and tanh (the
   * defaults), the only functions the kernel has. It is within a few float32 ulp of this file's
   * loops, not their bits (see `KernelBackend.lstmForward`).
   */
  private standardFloat32(recurrent: FloatArray): recurrent is Float32Array {
    return recurrent instanceof Float32Array && this.recurrentActivation.name === "sigmoid" && this.activation.name === "tanh";
  }

  /** Gate values (and δ of each gate's pre-activation), time-major, per gate. */
  gateValues(ws: SequenceWorkspace, gradients: boolean): Readonly<Record<string, FloatArray>> | undefined {
    const s = ws.cellScratch as LstmScratch | undefined;
    if (!s || s.owner !== this || (gradients && !s.hasGradients)) return undefined;
    const source = gradients ? s.dz : s.gates;
    const out: Record<string, FloatArray> = {};
    this.gateNames.forEach((name, k) => (out[name] = gateColumns(source, ws.steps * ws.batch, this.units, 4, k)));
    if (!gradients) out["cellOutput"] = s.cellOut.slice();
    return out;
  }
}

/** Gate `k`'s columns of a `[rows, gates·units]` block, as a `[rows, units]` copy. */
export function gateColumns(source: FloatArray, rows: number, units: number, gates: number, k: number): FloatArray {
  const out = allocate(source instanceof Float32Array ? "float32" : "float64", rows * units);
  for (let r = 0; r < rows; r++) out.set(source.subarray(r * gates * units + k * units, r * gates * units + (k + 1) * units), r * units);
  return out;
}
