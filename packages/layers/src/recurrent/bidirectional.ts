import { BackpropError, Tensor, describeValue, formatShape, shapeString, type FloatArray, type JsonObject, type Param, type Shape } from "@backprop/linalg";
import { readInputShape } from "../input-shape.js";
import type { BackwardContext, BuildContext, ForwardContext, Layer, LayerInspection, ParamShape, TimeMask } from "../layer.js";
import { layerFromConfig } from "../layer-registry.js";
import { RNN } from "./rnn.js";

/** How {@link Bidirectional} combines the two directions' outputs (Keras' `merge_mode`). */
export type MergeMode = "concat" | "sum" | "mul" | "ave";

const MERGE_MODES: readonly MergeMode[] = ["concat", "sum", "mul", "ave"];

/** One output shape's merged output and the gradients handed to each direction. */
interface MergeBuffers {
  readonly key: string;
  readonly output: Tensor;
  readonly dForward: Tensor;
  readonly dBackward: Tensor;
  dx: Tensor | undefined;
}

/** Options of {@link Bidirectional}. */
export interface BidirectionalConfig {
  /** The recurrent layer run forwards; a copy with `goBackwards` flipped runs backwards. An instance or its stored `{ className, config }`. */
  readonly layer: RNN | { readonly className: string; readonly config: JsonObject };
  /** How the two outputs combine; default `"concat"` (twice the units). */
  readonly mergeMode?: MergeMode;
  /** Per-sample input shape `[time, features]`, when this is the model's first layer. */
  readonly inputShape?: readonly number[] | null;
  /** Layer name; assigned by the model when omitted. */
  readonly name?: string | null;
}

function recurrentLayer(spec: unknown): RNN {
  const layer = spec instanceof RNN ? spec : typeof spec === "object" && spec !== null && "className" in spec ? layerFromConfig(spec as { className: string; config: JsonObject }) : undefined;
  if (!(layer instanceof RNN)) {
    throw new BackpropError("INVALID_CONFIG", `Bidirectional.layer: expected a recurrent layer (LSTM, GRU, SimpleRNN or RNN), got ${describeValue(spec)}`, {
      hint: "new Bidirectional({ layer: new LSTM({ units: 16, returnSequences: true }) })",
    });
  }
  if (layer.returnState) {
    throw new BackpropError("INVALID_CONFIG", "Bidirectional.layer: returnState is not supported inside Bidirectional (a model passes one tensor between layers)");
  }
  return layer;
}

/**
 * Runs a recurrent layer over the sequence in both directions and merges the two outputs (Keras'
 * and TensorFlow.js' `Bidirectional`): the given layer reads the sequence forwards, a copy of it
 * with its own weights reads it backwards. With `returnSequences` the backward output is turned
 * back to the input's time order before merging, so step t of the output sees the whole sequence.
 *
 * Parameters are the forward layer's, then the backward layer's (`<name>.forward.kernel`, …,
 * `<name>.backward.kernel`, …).
 *
 * @see https://keras.io/api/layers/recurrent_layers/bidirectional/
 * @example
 * ```ts
 * const model = new Sequential([
 *   new Embedding({ inputDim: 1000, outputDim: 32, inputLength: 40 }),
 *   new Bidirectional({ layer: new LSTM({ units: 16 }) }), // → [32]
 *   new Dense({ units: 1, activation: "sigmoid" }),
 * ]);
 * ```
 */
export class Bidirectional implements Layer {
  /** Registry name of this layer type. */
  readonly className = "bidirectional";
  /** Layer name. */
  name: string;
  /** The layer reading the sequence from its first step. */
  readonly forwardLayer: RNN;
  /** Its copy reading from the last step (its own weights). */
  readonly backwardLayer: RNN;
  /** How the outputs merge. */
  readonly mergeMode: MergeMode;
  /** The per-sample input shape from the config, if given. */
  readonly inputShape: Shape | undefined;
  private isBuilt = false;
  private readonly outputs = new Map<string, MergeBuffers>();
  private last: { x: Tensor; forwardOut: Tensor; backwardOut: Tensor; output: Tensor; key: string } | undefined;
  private lastDy: Tensor | undefined;
  private lastDx: Tensor | undefined;

  constructor(config: BidirectionalConfig) {
    if (typeof config !== "object" || config === null) {
      throw new BackpropError("INVALID_CONFIG", `Bidirectional: expected { layer, mergeMode? } (got ${describeValue(config)})`);
    }
    for (const key of Object.keys(config)) {
      if (!["layer", "mergeMode", "inputShape", "name"].includes(key)) {
        throw new BackpropError("INVALID_CONFIG", `Bidirectional: unknown config key "${key}" (expected one of: layer, mergeMode, inputShape, name)`);
      }
    }
    const mergeMode = config.mergeMode ?? "concat";
    if (!MERGE_MODES.includes(mergeMode)) {
      throw new BackpropError("INVALID_CONFIG", `Bidirectional: invalid mergeMode (got ${describeValue(mergeMode)}, expected one of: ${MERGE_MODES.join(", ")})`);
    }
    this.mergeMode = mergeMode;
    this.forwardLayer = recurrentLayer(config.layer);
    const inner = this.forwardLayer.getConfig();
    this.backwardLayer = recurrentLayer({
      className: this.forwardLayer.className,
      config: { ...inner, name: `backward_${this.forwardLayer.name}`, goBackwards: !this.forwardLayer.goBackwards },
    });
    this.name = config.name ?? "bidirectional";
    this.inputShape = readInputShape("Bidirectional", { inputShape: config.inputShape ?? null }) ?? this.forwardLayer.inputShape;
    if (this.inputShape && this.inputShape.length !== 2) {
      throw new BackpropError("INVALID_CONFIG", `Bidirectional.inputShape: expected [time, features] (got ${formatShape(this.inputShape)})`);
    }
  }

  /** Whether both directions have weights. */
  get built(): boolean {
    return this.isBuilt;
  }

  /** Whether the output has every step. */
  get returnSequences(): boolean {
    return this.forwardLayer.returnSequences;
  }

  private width(): number {
    return this.mergeMode === "concat" ? 2 * this.forwardLayer.units : this.forwardLayer.units;
  }

  /** The inner layer's output shape, with twice the units for `"concat"`. */
  computeOutputShape(inputShape: Shape): Shape {
    const inner = this.forwardLayer.computeOutputShape(inputShape);
    return [...inner.slice(0, -1), this.width()];
  }

  /** The forward layer's parameters (`forward.kernel`, …), then the backward layer's. */
  paramShapes(inputShape: Shape): readonly ParamShape[] {
    const each = this.forwardLayer.paramShapes(inputShape);
    return [...each.map((p) => ({ name: `forward.${p.name}`, shape: p.shape })), ...each.map((p) => ({ name: `backward.${p.name}`, shape: p.shape }))];
  }

  /** Builds the forward layer, then the backward one (in that order of random draws). */
  build(inputShape: Shape, ctx: BuildContext): void {
    this.forwardLayer.build(inputShape, { ...ctx, prefix: `${ctx.prefix}.forward` });
    this.backwardLayer.build(inputShape, { ...ctx, prefix: `${ctx.prefix}.backward` });
    this.isBuilt = true;
  }

  /** Both directions' parameters. */
  params(): readonly Param[] {
    return [...this.forwardLayer.params(), ...this.backwardLayer.params()];
  }

  /** Both directions' penalties. */
  regularizationLoss(): number {
    return this.forwardLayer.regularizationLoss() + this.backwardLayer.regularizationLoss();
  }

  /** Forgets (or sets, per direction) the carried states of stateful inner layers. */
  resetStates(): void {
    this.forwardLayer.resetStates();
    this.backwardLayer.resetStates();
  }

  private buffers(forwardOut: Tensor): MergeBuffers {
    const key = forwardOut.shape.join("x");
    let b = this.outputs.get(key);
    if (!b) {
      const shape = [...forwardOut.shape.slice(0, -1), this.width()];
      b = {
        key,
        output: new Tensor(shape, forwardOut.dtype),
        dForward: new Tensor(forwardOut.shape, forwardOut.dtype),
        dBackward: new Tensor(forwardOut.shape, forwardOut.dtype),
        dx: undefined,
      };
      // NOTE: one or two shapes in training; a stream of new lengths must not keep them all.
      if (this.outputs.size >= 32) this.outputs.clear();
      this.outputs.set(key, b);
    }
    return b;
  }

  /**
   * Row `r` of the backward output, in input time order: with `returnSequences` the backward
   * layer's step s belongs to input step `time − 1 − s` of the same sample.
   */
  private backwardRow(out: Tensor, r: number): number {
    if (!this.returnSequences) return r;
    const steps = out.shape[1] as number;
    const sample = Math.floor(r / steps);
    return sample * steps + (steps - 1 - (r % steps));
  }

  /** Both directions, merged. */
  forward(x: Tensor, ctx: ForwardContext = {}): Tensor {
    const forwardOut = this.forwardLayer.forward(x, ctx);
    const backwardOut = this.backwardLayer.forward(x, ctx);
    const b = this.buffers(forwardOut);
    const units = this.forwardLayer.units;
    const rows = forwardOut.size / units;
    const f = forwardOut.data;
    const g = backwardOut.data;
    const y = b.output.data;
    for (let r = 0; r < rows; r++) {
      const rb = this.backwardRow(forwardOut, r) * units;
      const rf = r * units;
      for (let u = 0; u < units; u++) {
        const a = f[rf + u] as number;
        const c = g[rb + u] as number;
        switch (this.mergeMode) {
          case "concat":
            y[2 * rf + u] = a;
            y[2 * rf + units + u] = c;
            break;
          case "sum":
            y[rf + u] = a + c;
            break;
          case "mul":
            y[rf + u] = a * c;
            break;
          case "ave":
            y[rf + u] = (a + c) / 2;
            break;
        }
      }
    }
    this.last = { x, forwardOut, backwardOut, output: b.output, key: b.key };
    this.lastDy = undefined;
    this.lastDx = undefined;
    return b.output;
  }

  /** Splits dLoss/dOutput between the directions, runs both backward passes, and adds their input gradients. */
  backward(dy: Tensor, ctx: BackwardContext = {}): Tensor {
    const last = this.last;
    if (!last) throw new BackpropError("INVALID_STATE", `${this.name}.backward: called before forward`);
    if (!(dy instanceof Tensor) || dy.size !== last.output.size) {
      throw new BackpropError("SHAPE_MISMATCH", `${this.name}.backward: gradient is ${dy instanceof Tensor ? shapeString(dy) : describeValue(dy)} (expected ${shapeString(last.output)})`);
    }
    const b = this.buffers(last.forwardOut);
    const units = this.forwardLayer.units;
    const rows = last.forwardOut.size / units;
    const d = dy.data;
    const df = b.dForward.data;
    const db = b.dBackward.data;
    const f = last.forwardOut.data;
    const g = last.backwardOut.data;
    for (let r = 0; r < rows; r++) {
      const rb = this.backwardRow(last.forwardOut, r) * units;
      const rf = r * units;
      for (let u = 0; u < units; u++) {
        switch (this.mergeMode) {
          case "concat":
            df[rf + u] = d[2 * rf + u] as number;
            db[rb + u] = d[2 * rf + units + u] as number;
            break;
          case "sum":
            df[rf + u] = d[rf + u] as number;
            db[rb + u] = d[rf + u] as number;
            break;
          case "mul":
            df[rf + u] = (d[rf + u] as number) * (g[rb + u] as number);
            db[rb + u] = (d[rf + u] as number) * (f[rf + u] as number);
            break;
          case "ave":
            df[rf + u] = (d[rf + u] as number) / 2;
            db[rb + u] = (d[rf + u] as number) / 2;
            break;
        }
      }
    }
    const dxForward = this.forwardLayer.backward(b.dForward, ctx);
    const dxBackward = this.backwardLayer.backward(b.dBackward, ctx);
    this.lastDy = dy;
    if (ctx.inputGradient === false) return dxForward;
    b.dx ??= new Tensor(dxForward.shape, dxForward.dtype);
    addInto(dxForward.data, dxBackward.data, b.dx.data);
    this.lastDx = b.dx;
    return b.dx;
  }

  /** With `returnSequences` the mask goes on; otherwise it ends here. */
  computeMask(_input: Tensor, mask: TimeMask | undefined): TimeMask | undefined {
    return this.returnSequences ? mask : undefined;
  }

  /** The JSON config: the forward layer's stored form and the merge mode. */
  getConfig(): JsonObject {
    return {
      name: this.name,
      layer: { className: this.forwardLayer.className, config: this.forwardLayer.getConfig() },
      mergeMode: this.mergeMode,
      ...(this.inputShape ? { inputShape: [...this.inputShape] } : {}),
    };
  }

  /** Input, merged output and their gradients; each direction's own values are on {@link Bidirectional.forwardLayer} and {@link Bidirectional.backwardLayer}. */
  inspect(): LayerInspection {
    const last = this.last;
    if (!last) return {};
    return {
      input: last.x,
      output: last.output,
      ...(this.lastDy ? { outputGradient: this.lastDy } : {}),
      ...(this.lastDx ? { inputGradient: this.lastDx } : {}),
    };
  }
}

function addInto(a: FloatArray, b: FloatArray, out: FloatArray): void {
  for (let i = 0; i < out.length; i++) out[i] = (a[i] as number) + (b[i] as number);
}
