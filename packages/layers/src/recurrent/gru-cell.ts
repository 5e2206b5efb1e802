import type { Activation } from "@backprop/activations";
import {
  BackpropError,
  allocate,
  describeValue,
  getBackend,
  readConfig,
  type FloatArray,
  type JsonObject,
  type Matrix,
  type Param,
} from "@backprop/linalg";
import { initializerConfig } from "../initializers/index.js";
import type { BuildContext, ParamShape } from "../layer.js";
import { layerActivationConfig } from "../layer-activation.js";
import { addRegularizerGradient, regularizerConfig } from "../regularizer.js";
import { addColumnSums, CellWeights, cellActivation, cellSchema, stepViews, type CellConfig, type RecurrentCell, type SequenceWorkspace } from "./cell.js";
import { gateColumns } from "./lstm-cell.js";

/** Options of {@link GRUCell} (and of the {@link GRU} layer). */
export interface GRUCellConfig extends CellConfig {
  /** Activation of the update and reset gates; default `"sigmoid"` (Keras; TensorFlow.js 4 defaults to `"hardSigmoid"`). */
  readonly recurrentActivation?: CellConfig["activation"];
  /**
   * Where the reset gate acts: `true` (Keras' and PyTorch's default, cuDNN-compatible) multiplies
   * it onto `h₋₁·U_h + b_rh` and has a separate recurrent bias, so `bias` is `[2, 3·units]`;
   * `false` (the original paper, and the only variant in TensorFlow.js 4) multiplies it onto h₋₁
   * before the product, with one bias `[3·units]`. Default true.
   */
  readonly resetAfter?: boolean;
}

interface GruScratch {
  readonly owner: GRUCell;
  /** Pre-activations: the input projection, then the recurrent part added in. */
  readonly pre: FloatArray;
  /** The recurrent products of each step (`h₋₁·U + b_r`, or their z and r blocks and `(r⊙h₋₁)·U_h`). */
  readonly rec: FloatArray;
  readonly recAt: readonly FloatArray[];
  /** z, r and the candidate ĥ of each step. */
  readonly gates: FloatArray;
  /** `r ⊙ h₋₁` of each step (reset-before only). */
  readonly resetState: FloatArray;
  readonly resetStateAt: readonly FloatArray[];
  /** δ of the input side (`[rows, 3·units]`). */
  readonly delta: FloatArray;
  /** δ of the recurrent side: `[rows, 3·units]` (reset-after) or its z and r blocks `[rows, 2·units]`. */
  readonly recDelta: FloatArray;
  readonly recDeltaAt: readonly FloatArray[];
  /** δ of the candidate's pre-activation alone (reset-before: the operand of `dU_h`). */
  readonly candidateDelta: FloatArray;
  readonly candidateDeltaAt: readonly FloatArray[];
  /** One step's `batch × units` scratch. */
  readonly step: FloatArray;
  /** The recurrent kernel split into its z, r block `[units, 2·units]` and its h block `[units, units]` (reset-before). */
  readonly kernelZR: FloatArray;
  readonly kernelH: FloatArray;
  /** The two blocks of the recurrent kernel's gradient before they are added into its columns (reset-before). */
  readonly gradZR: FloatArray;
  readonly gradH: FloatArray;
  hasGradients: boolean;
}

/**
 * The gated recurrent unit of Cho et al. (2014) in the Keras / TensorFlow.js layout: gates in the
 * order **z, r, h** side by side, `kernel` `[inputDim, 3·units]`, `recurrentKernel`
 * `[units, 3·units]`. With σ the recurrent activation and tanh the activation, each step computes
 *
 * - `z = σ(x·W_z + h₋₁·U_z + b_z)`, `r = σ(x·W_r + h₋₁·U_r + b_r)`
 * - reset after (default): `ĥ = tanh(x·W_h + b_h + r ⊙ (h₋₁·U_h + b_rh))`
 * - reset before (`resetAfter: false`): `ĥ = tanh(x·W_h + (r ⊙ h₋₁)·U_h + b_h)`
 * - `h = z ⊙ h₋₁ + (1 − z) ⊙ ĥ`
 *
 * @see https://keras.io/api/layers/recurrent_layers/gru/
 * @example
 * ```ts
 * const gru = new RNN({ cell: new GRUCell({ units: 16, resetAfter: false }), inputShape: [20, 3] });
 * ```
 */
export class GRUCell implements RecurrentCell {
  /** Registry name of this cell type. */
  readonly className = "gruCell";
  /** Width of h. */
  readonly units: number;
  /** `[units]`: h. */
  readonly stateSizes: readonly number[];
  /** The gates {@link GRUCell.gateValues} reports, in the kernel's column order. */
  readonly gateNames = ["update", "reset", "candidate"] as const;
  /** Activation of the candidate (tanh by default). */
  readonly activation: Activation;
  /** Activation of the update and reset gates (sigmoid by default). */
  readonly recurrentActivation: Activation;
  /** Whether the reset gate acts after the recurrent product (see {@link GRUCellConfig.resetAfter}). */
  readonly resetAfter: boolean;
  private readonly weights: CellWeights;

  constructor(config: GRUCellConfig) {
    if (typeof config !== "object" || config === null) {
      throw new BackpropError("INVALID_CONFIG", `GRUCell: expected a config object such as { units: 32 } (got ${describeValue(config)})`);
    }
    const c = readConfig("GRU", config, {
      ...cellSchema("GRU", "tanh"),
      recurrentActivation: { type: "custom", read: (v: unknown) => cellActivation("GRU.recurrentActivation", v, "sigmoid") },
      resetAfter: { type: "boolean", default: true },
    });
    this.units = c.units;
    this.stateSizes = [c.units];
    this.activation = c.activation;
    this.recurrentActivation = c.recurrentActivation;
    this.resetAfter = c.resetAfter;
    this.weights = new CellWeights(
      3 * c.units,
      c.resetAfter ? 2 : 1,
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

  /** `kernel` `[inputDim, 3·units]`, `recurrentKernel` `[units, 3·units]`, `bias` `[3·units]` or `[2, 3·units]`. */
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
      recurrentActivation: layerActivationConfig(this.recurrentActivation),
      useBias: w.useBias,
      resetAfter: this.resetAfter,
      kernelInitializer: initializerConfig(w.kernelInit),
      recurrentInitializer: initializerConfig(w.recurrentInit),
      biasInitializer: initializerConfig(w.biasInit),
      kernelRegularizer: regularizerConfig(w.kernelReg),
      recurrentRegularizer: regularizerConfig(w.recurrentReg),
      biasRegularizer: regularizerConfig(w.biasReg),
    };
  }

  private scratch(ws: SequenceWorkspace): GruScratch {
    const existing = ws.cellScratch as GruScratch | undefined;
    if (existing?.owner === this) return existing;
    const { batch, steps, dtype } = ws;
    const units = this.units;
    const rows = steps * batch;
    const width = 3 * units;
    const recWidth = this.resetAfter ? width : 2 * units;
    const rec = allocate(dtype, rows * width);
    const resetState = allocate(dtype, this.resetAfter ? 0 : rows * units);
    const recDelta = allocate(dtype, rows * recWidth);
    const candidateDelta = allocate(dtype, this.resetAfter ? 0 : rows * units);
    const scratch: GruScratch = {
      owner: this,
      pre: allocate(dtype, rows * width),
      rec,
      recAt: stepViews(rec, batch * width, steps),
      gates: allocate(dtype, rows * width),
      resetState,
      resetStateAt: this.resetAfter ? [] : stepViews(resetState, batch * units, steps),
      delta: allocate(dtype, rows * width),
      recDelta,
      recDeltaAt: stepViews(recDelta, batch * recWidth, steps),
      candidateDelta,
      candidateDeltaAt: this.resetAfter ? [] : stepViews(candidateDelta, batch * units, steps),
      step: allocate(dtype, batch * units),
      kernelZR: allocate(dtype, this.resetAfter ? 0 : units * 2 * units),
      kernelH: allocate(dtype, this.resetAfter ? 0 : units * units),
      gradZR: allocate(dtype, this.resetAfter ? 0 : units * 2 * units),
      gradH: allocate(dtype, this.resetAfter ? 0 : units * units),
      hasGradients: false,
    };
    ws.cellScratch = scratch;
    return scratch;
  }

  /** Splits the recurrent kernel into its z, r block and its h block (reset-before). */
  private splitRecurrentKernel(s: GruScratch): void {
    const u = this.units;
    const full = (this.weights.recurrentKernel as Param<Matrix>).value.data;
    for (let i = 0; i < u; i++) {
      s.kernelZR.set(full.subarray(i * 3 * u, i * 3 * u + 2 * u), i * 2 * u);
      s.kernelH.set(full.subarray(i * 3 * u + 2 * u, (i + 1) * 3 * u), i * u);
    }
  }

  /** Every step of the sequence (see {@link RecurrentCell.forwardSequence}). */
  forwardSequence(ws: SequenceWorkspace): void {
    const { batch, steps, inputDim } = ws;
    const units = this.units;
    const width = 3 * units;
    const s = this.scratch(ws);
    s.hasGradients = false;
    const w = this.weights;
    w.projectInputs(ws.inputs, steps * batch, inputDim, s.pre);
    const recurrent = (w.recurrentKernel as Param).value.data;
    const recurrentBias = this.resetAfter ? w.bias?.value.data.subarray(width, 2 * width) : undefined;
    if (!this.resetAfter) this.splitRecurrentKernel(s);
    const backend = getBackend();
    const gate = this.recurrentActivation;
    const act = this.activation;
    const { pre, rec, gates } = s;
    const hAt = ws.stateAt[0] as FloatArray[];
    const mask = ws.mask;
    for (let t = 0; t < steps; t++) {
      const hPrev = hAt[t] as FloatArray;
      const hNext = hAt[t + 1] as FloatArray;
      const recStep = s.recAt[t] as FloatArray;
      if (this.resetAfter) {
        if (recurrentBias) for (let b = 0; b < batch; b++) recStep.set(recurrentBias, b * width);
        backend.gemm(false, false, batch, width, units, hPrev, recurrent, recStep, recurrentBias !== undefined);
      } else {
        // The z and r blocks of this step's recurrent product, packed [batch, 2·units] at the step's start.
        backend.gemm(false, false, batch, 2 * units, units, hPrev, s.kernelZR, recStep, false);
      }
      const recZR = this.resetAfter ? width : 2 * units;
      for (let b = 0; b < batch; b++) {
        const row = (t * batch + b) * width;
        const at = b * units;
        const masked = mask !== undefined && mask[t * batch + b] === 0;
        for (let u = 0; u < units; u++) {
          const zPre = (pre[row + u] as number) + (recStep[b * recZR + u] as number);
          const rPre = (pre[row + units + u] as number) + (recStep[b * recZR + units + u] as number);
          pre[row + u] = zPre;
          pre[row + units + u] = rPre;
          const zGate = masked ? 0 : gate.f(pre[row + u] as number);
          const rGate = masked ? 0 : gate.f(pre[row + units + u] as number);
          gates[row + u] = zGate;
          gates[row + units + u] = rGate;
          if (this.resetAfter) {
            if (masked) continue;
            const hPre = (pre[row + 2 * units + u] as number) + (gates[row + units + u] as number) * (recStep[b * width + 2 * units + u] as number);
            pre[row + 2 * units + u] = hPre;
            const candidate = act.f(pre[row + 2 * units + u] as number);
            gates[row + 2 * units + u] = candidate;
            const z = gates[row + u] as number;
            hNext[at + u] = z * (hPrev[at + u] as number) + (1 - z) * candidate;
          } else {
            (s.resetStateAt[t] as FloatArray)[at + u] = (gates[row + units + u] as number) * (hPrev[at + u] as number);
          }
        }
        if (masked) {
          for (let u = 0; u < units; u++) hNext[at + u] = hPrev[at + u] as number;
          gates.fill(0, row, row + width);
        }
      }
      if (this.resetAfter) continue;
      // Reset before: ĥ needs (r ⊙ h₋₁)·U_h, a second product once every r of the step is known.
      backend.gemm(false, false, batch, units, units, s.resetStateAt[t] as FloatArray, s.kernelH, s.step, false);
      const product = s.step;
      for (let b = 0; b < batch; b++) {
        if (mask !== undefined && mask[t * batch + b] === 0) continue;
        const row = (t * batch + b) * width;
        const at = b * units;
        for (let u = 0; u < units; u++) {
          pre[row + 2 * units + u] = (pre[row + 2 * units + u] as number) + (product[at + u] as number);
          const candidate = act.f(pre[row + 2 * units + u] as number);
          gates[row + 2 * units + u] = candidate;
          const z = gates[row + u] as number;
          hNext[at + u] = z * (hPrev[at + u] as number) + (1 - z) * candidate;
        }
      }
    }
  }

  /** Backpropagation through time (see {@link RecurrentCell.backwardSequence}). */
  backwardSequence(ws: SequenceWorkspace, outputGradients: FloatArray | undefined, inputGradients: boolean): void {
    const { batch, steps, inputDim } = ws;
    const units = this.units;
    const width = 3 * units;
    const s = this.scratch(ws);
    const w = this.weights;
    const recurrent = (w.recurrentKernel as Param).value.data;
    const backend = getBackend();
    const gate = this.recurrentActivation;
    const act = this.activation;
    const { pre, rec, gates, delta, recDelta } = s;
    const hAt = ws.stateAt[0] as FloatArray[];
    const dh = ws.stateGradients[0] as FloatArray;
    const mask = ws.mask;
    const resetAfter = this.resetAfter;
    for (let t = steps - 1; t >= 0; t--) {
      const hPrev = hAt[t] as FloatArray;
      // Output gradients join the carried dh first (padded rows carry it on unchanged).
      if (outputGradients) {
        const base = t * batch * units;
        for (let j = 0; j < batch * units; j++) dh[j] = (dh[j] as number) + (outputGradients[base + j] as number);
      }
      if (resetAfter) {
        const recDeltaStep = s.recDeltaAt[t] as FloatArray;
        for (let b = 0; b < batch; b++) {
          const row = (t * batch + b) * width;
          const at = b * units;
          if (mask !== undefined && mask[t * batch + b] === 0) {
            delta.fill(0, row, row + width);
            recDeltaStep.fill(0, b * width, (b + 1) * width);
            continue;
          }
          for (let u = 0; u < units; u++) {
            const dhu = dh[at + u] as number;
            const z = gates[row + u] as number;
            const r = gates[row + units + u] as number;
            const candidate = gates[row + 2 * units + u] as number;
            const dCandidate = dhu * (1 - z) * act.df(pre[row + 2 * units + u] as number, candidate);
            const dz = dhu * ((hPrev[at + u] as number) - candidate) * gate.df(pre[row + u] as number, z);
            const dr = dCandidate * (rec[row + 2 * units + u] as number) * gate.df(pre[row + units + u] as number, r);
            delta[row + u] = dz;
            delta[row + units + u] = dr;
            delta[row + 2 * units + u] = dCandidate;
            recDeltaStep[b * width + u] = dz;
            recDeltaStep[b * width + units + u] = dr;
            recDeltaStep[b * width + 2 * units + u] = dCandidate * r;
            dh[at + u] = dhu * z;
          }
        }
        backend.gemm(false, true, batch, units, width, recDeltaStep, recurrent, dh, true);
        continue;
      }
      // Reset before: first δ of the candidate, then d(r ⊙ h₋₁) = δ_h·U_hᵀ, then z and r.
      const candidateStep = s.candidateDeltaAt[t] as FloatArray;
      for (let b = 0; b < batch; b++) {
        const row = (t * batch + b) * width;
        const at = b * units;
        const masked = mask !== undefined && mask[t * batch + b] === 0;
        for (let u = 0; u < units; u++) {
          const z = gates[row + u] as number;
          const candidate = gates[row + 2 * units + u] as number;
          candidateStep[at + u] = masked ? 0 : (dh[at + u] as number) * (1 - z) * act.df(pre[row + 2 * units + u] as number, candidate);
        }
      }
      backend.gemm(false, true, batch, units, units, candidateStep, s.kernelH, s.step, false);
      const dReset = s.step;
      const recDeltaStep = s.recDeltaAt[t] as FloatArray;
      for (let b = 0; b < batch; b++) {
        const row = (t * batch + b) * width;
        const at = b * units;
        if (mask !== undefined && mask[t * batch + b] === 0) {
          delta.fill(0, row, row + width);
          recDeltaStep.fill(0, b * 2 * units, (b + 1) * 2 * units);
          continue;
        }
        for (let u = 0; u < units; u++) {
          const dhu = dh[at + u] as number;
          const z = gates[row + u] as number;
          const r = gates[row + units + u] as number;
          const candidate = gates[row + 2 * units + u] as number;
          const h0 = hPrev[at + u] as number;
          const dz = dhu * (h0 - candidate) * gate.df(pre[row + u] as number, z);
          const dr = (dReset[at + u] as number) * h0 * gate.df(pre[row + units + u] as number, r);
          delta[row + u] = dz;
          delta[row + units + u] = dr;
          delta[row + 2 * units + u] = candidateStep[at + u] as number;
          recDeltaStep[b * 2 * units + u] = dz;
          recDeltaStep[b * 2 * units + units + u] = dr;
          dh[at + u] = dhu * z + (dReset[at + u] as number) * r;
        }
      }
      backend.gemm(false, true, batch, units, 2 * units, recDeltaStep, s.kernelZR, dh, true);
    }
    const rows = steps * batch;
    const states = ws.states[0] as FloatArray;
    if (resetAfter) {
      w.recurrentSideBackward(states, rows, units, recDelta);
      const bias = w.bias;
      if (bias?.trainable) addColumnSums(recDelta, rows, width, bias.grad.data, width);
    } else {
      this.recurrentGradientBeforeReset(states, rows, s);
    }
    w.inputSideBackward(ws.inputs, rows, inputDim, delta, inputGradients ? ws.inputGradients : undefined);
    s.hasGradients = true;
  }

  /** `dU_zr += Hᵀ·δ_zr`, `dU_h += (r ⊙ H)ᵀ·δ_h`, written into the full recurrent gradient's columns. */
  private recurrentGradientBeforeReset(states: FloatArray, rows: number, s: GruScratch): void {
    const recurrent = this.weights.recurrentKernel as Param<Matrix>;
    if (!recurrent.trainable) return;
    const u = this.units;
    const backend = getBackend();
    const zr = s.gradZR;
    const h = s.gradH;
    backend.gemm(true, false, u, 2 * u, rows, states, s.recDelta, zr, false);
    backend.gemm(true, false, u, u, rows, s.resetState, s.candidateDelta, h, false);
    const grad = recurrent.grad.data;
    for (let i = 0; i < u; i++) {
      for (let j = 0; j < 2 * u; j++) grad[i * 3 * u + j] = (grad[i * 3 * u + j] as number) + (zr[i * 2 * u + j] as number);
      for (let j = 0; j < u; j++) grad[i * 3 * u + 2 * u + j] = (grad[i * 3 * u + 2 * u + j] as number) + (h[i * u + j] as number);
    }
    const reg = this.weights.recurrentReg;
    if (reg) addRegularizerGradient(reg, recurrent.value, recurrent.grad);
  }

  /** Gate values (and δ of each gate's pre-activation), time-major, per gate. */
  gateValues(ws: SequenceWorkspace, gradients: boolean): Readonly<Record<string, FloatArray>> | undefined {
    const s = ws.cellScratch as GruScratch | undefined;
    if (!s || s.owner !== this || (gradients && !s.hasGradients)) return undefined;
    const source = gradients ? s.delta : s.gates;
    const out: Record<string, FloatArray> = {};
    this.gateNames.forEach((name, k) => (out[name] = gateColumns(source, ws.steps * ws.batch, this.units, 3, k)));
    return out;
  }
}
