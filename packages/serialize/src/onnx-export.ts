import type { Activation } from "@backprop/activations";
import { BackpropError, convGeometry, type Json, type Param, type Shape } from "@backprop/linalg";
import type { Layer, MergeMode, Sequential } from "@backprop/layers";
import { isJsonObject, RECURRENT_CLASSES, recurrentSpec, storedActivation, type RecurrentKind, type RecurrentSpec } from "./recurrent-config.js";
import { configNumber, configPadding, configPair, configSides } from "./layer-config.js";
import { explicitPads, kernelToOihw, transposeTo, type Layout } from "./onnx-layout.js";
import { encodeOnnxModel, ONNX_ATTRIBUTE_TYPE, ONNX_DATA_TYPE, type OnnxAttribute, type OnnxDraft, type OnnxNode, type OnnxTensor, type OnnxValueInfo } from "./onnx-proto.js";

/** Options of {@link modelToOnnx}. */
export interface OnnxExportOptions {
  /** Stored as JSON text in the model's `metadata_props` under `"backprop.metadata"`. */
  readonly metadata?: Readonly<Record<string, Json>>;
  /** Name of the graph's input. Default `"input"`. */
  readonly inputName?: string;
  /** Name of the graph's output. Default `"output"`. */
  readonly outputName?: string;
}

/** The ONNX opset the exporter targets. */
export const ONNX_OPSET = 13;

/**
 * A node attribute: a number (INT or FLOAT by name, see `INT_ATTRIBUTES`), a list of numbers
 * (INTS, or FLOATS by name, see `FLOAT_LIST_ATTRIBUTES`), a STRING or a list of STRINGS.
 */
type AttrValue = number | readonly number[] | string | readonly string[];
type NodeSpec = { op: string; inputs: string[]; attrs?: Record<string, AttrValue> };

// Scalar attributes that ONNX types as INT; every other scalar we write (alpha, epsilon, …) is a
// FLOAT, and every list of numbers we write (perm, pads, strides, …) is INTS but these FLOATS.
const INT_ATTRIBUTES: ReadonlySet<string> = new Set([
  "axis", "transA", "transB", "count_include_pad", "ceil_mode", "keepdims", "group", "hidden_size", "linear_before_reset", "to",
]);
const FLOAT_LIST_ATTRIBUTES: ReadonlySet<string> = new Set(["activation_alpha", "activation_beta"]);

/** Activations ONNX has (or that compose from a few ONNX ops), by our registry name. */
export const ONNX_ACTIVATIONS: readonly string[] = [
  "identity", "relu", "sigmoid", "tanh", "softmax", "leakyRelu", "elu", "selu", "softplus", "softsign",
  "hardSigmoid", "hardTanh", "relu6", "silu", "mish", "gelu", "sinusoid", "gaussian",
];

class GraphBuilder {
  readonly nodes: OnnxDraft<OnnxNode>[] = [];
  readonly initializers: OnnxDraft<OnnxTensor>[] = [];
  private counter = 0;
  constructor(readonly elemType: number, readonly bytesPer: number) {}

  /** A FLOAT (or DOUBLE) initializer, the graph's type unless `float32` asks for FLOAT. */
  tensor(name: string, dims: number[], values: ArrayLike<number>, float32 = false): string {
    const bytes = float32 ? 4 : this.bytesPer;
    const raw = new Uint8Array(values.length * bytes);
    const view = new DataView(raw.buffer);
    for (let i = 0; i < values.length; i++) {
      if (bytes === 4) view.setFloat32(i * 4, values[i] as number, true);
      else view.setFloat64(i * 8, values[i] as number, true);
    }
    this.initializers.push({ name, dims, dataType: float32 ? ONNX_DATA_TYPE.FLOAT : this.elemType, rawData: raw });
    return name;
  }

  /** An INT64 initializer (shapes and pads, which ONNX takes as inputs). */
  int64s(name: string, values: readonly number[]): string {
    const raw = new Uint8Array(values.length * 8);
    const view = new DataView(raw.buffer);
    values.forEach((v, i) => view.setBigInt64(i * 8, BigInt(v), true));
    this.initializers.push({ name, dims: [values.length], dataType: ONNX_DATA_TYPE.INT64, rawData: raw });
    return name;
  }

  constant(value: number): string {
    return this.tensor(`const_${this.counter++}`, [], [value]);
  }

  node(spec: NodeSpec, output?: string): string {
    const out = output ?? `${spec.op.toLowerCase()}_${this.counter++}`;
    this.push(spec, [out], out);
    return out;
  }

  /**
   * A node with several outputs (LSTM's Y, Y_h, Y_c): the names of those in `wanted`, in order;
   * the others are left out (an empty name, ONNX's "not needed").
   */
  nodeOutputs(spec: NodeSpec, wanted: readonly boolean[]): string[] {
    const base = `${spec.op.toLowerCase()}_${this.counter++}`;
    const outputs = wanted.map((w, k) => (w ? `${base}_${k}` : ""));
    while (outputs.length > 0 && outputs[outputs.length - 1] === "") outputs.pop();
    this.push(spec, outputs, base);
    return outputs.filter((o) => o !== "");
  }

  private push({ op, inputs, attrs = {} }: NodeSpec, output: string[], name: string): void {
    const AttributeType = ONNX_ATTRIBUTE_TYPE;
    const attribute = Object.entries(attrs).map(([key, value]): OnnxDraft<OnnxAttribute> => {
      if (typeof value === "string") return { name: key, type: AttributeType.STRING, s: encoder.encode(value) };
      if (typeof value === "number") {
        return INT_ATTRIBUTES.has(key) ? { name: key, type: AttributeType.INT, i: value } : { name: key, type: AttributeType.FLOAT, f: value };
      }
      const list = value as readonly (number | string)[];
      if (list.every((v): v is string => typeof v === "string") && list.length > 0) return { name: key, type: AttributeType.STRINGS, strings: list.map((v) => encoder.encode(v)) };
      const numbers = list as readonly number[];
      return FLOAT_LIST_ATTRIBUTES.has(key) ? { name: key, type: AttributeType.FLOATS, floats: [...numbers] } : { name: key, type: AttributeType.INTS, ints: [...numbers] };
    });
    this.nodes.push({ opType: op, input: inputs, output, name, attribute });
  }
}

const encoder = /* @__PURE__ */ new TextEncoder();

function unsupported(layer: string, name: string): BackpropError {
  return new BackpropError(
    "INVALID_ARGUMENT",
    `modelToOnnx: layer "${layer}" uses the activation "${name}", which ONNX lacks (supported: ${ONNX_ACTIVATIONS.join(", ")})`,
    { hint: "use a supported activation, or save in the native format (JSON or safetensors)" },
  );
}

/**
 * Emits the nodes of one activation and returns the name of its output. `axis` is where the
 * features are (softmax's axis): -1 in our channels-last layout, 1 after a layer ran channels-first.
 */
function emitActivation(g: GraphBuilder, act: Activation | undefined, x: string, layer: string, axis = -1): string {
  if (act === undefined) return x;
  const { name, config } = act;
  const num = (key: string, fallback: number) => (typeof config[key] === "number" ? (config[key] as number) : fallback);
  switch (name) {
    case "identity":
      return x;
    case "softmax": // over the features, as ours (opset 13 normalises one axis, not a flattened tail)
      return g.node({ op: "Softmax", inputs: [x], attrs: { axis } });
    case "relu":
      return g.node({ op: "Relu", inputs: [x] });
    case "sigmoid":
      return g.node({ op: "Sigmoid", inputs: [x] });
    case "tanh":
      return g.node({ op: "Tanh", inputs: [x] });
    case "leakyRelu":
      return g.node({ op: "LeakyRelu", inputs: [x], attrs: { alpha: num("alpha", 0.01) } });
    case "elu":
      return g.node({ op: "Elu", inputs: [x], attrs: { alpha: num("alpha", 1) } });
    case "selu":
      return g.node({ op: "Selu", inputs: [x] });
    case "softplus":
      return g.node({ op: "Softplus", inputs: [x] });
    case "softsign":
      return g.node({ op: "Softsign", inputs: [x] });
    case "sinusoid":
      return g.node({ op: "Sin", inputs: [x] });
    case "hardSigmoid": // clip(slope·x + offset, 0, 1); by default (x + 3)/6
      return g.node({ op: "HardSigmoid", inputs: [x], attrs: { alpha: num("slope", 1 / 6), beta: num("offset", 0.5) } });
    case "hardTanh":
      return g.node({ op: "Clip", inputs: [x, g.constant(-1), g.constant(1)] });
    case "relu6":
      return g.node({ op: "Clip", inputs: [x, g.constant(0), g.constant(6)] });
    case "silu": // x·σ(x)
      return g.node({ op: "Mul", inputs: [x, g.node({ op: "Sigmoid", inputs: [x] })] });
    case "mish": // x·tanh(softplus(x))
      return g.node({ op: "Mul", inputs: [x, g.node({ op: "Tanh", inputs: [g.node({ op: "Softplus", inputs: [x] })] })] });
    case "gaussian": // exp(−x²)
      return g.node({ op: "Exp", inputs: [g.node({ op: "Neg", inputs: [g.node({ op: "Mul", inputs: [x, x] })] })] });
    case "gelu": {
      if (config["approximate"] === true) {
        // x·σ(2·√(2/π)·(x + 0.044715·x³))
        const cube = g.node({ op: "Mul", inputs: [x, g.node({ op: "Mul", inputs: [x, x] })] });
        const inner = g.node({ op: "Add", inputs: [x, g.node({ op: "Mul", inputs: [cube, g.constant(0.044715)] })] });
        const s = g.node({ op: "Sigmoid", inputs: [g.node({ op: "Mul", inputs: [inner, g.constant(2 * Math.sqrt(2 / Math.PI))] })] });
        return g.node({ op: "Mul", inputs: [x, s] });
      }
      // x·(1 + erf(x/√2))/2
      const erf = g.node({ op: "Erf", inputs: [g.node({ op: "Mul", inputs: [x, g.constant(Math.SQRT1_2)] })] });
      const half = g.node({ op: "Mul", inputs: [g.node({ op: "Add", inputs: [erf, g.constant(1)] }), g.constant(0.5)] });
      return g.node({ op: "Mul", inputs: [x, half] });
    }
    default:
      throw unsupported(layer, name);
  }
}

function valueInfo(name: string, elemType: number, sample: Shape): OnnxDraft<OnnxValueInfo> {
  return {
    name,
    type: { tensorType: { elemType, shape: { dim: [{ dimParam: "batch" }, ...sample.map((d) => ({ dimValue: d }))] } } },
  };
}

/** What an ONNX emitter gets besides its layer. */
interface OnnxLayerContext {
  readonly g: GraphBuilder;
  /** The layer's per-sample input shape, in our channels-last layout (the batch axis comes first in the graph). */
  readonly shape: Shape;
  /**
   * What the layer's parameter names start with, `layers.<index>` (or `layers.<index>.layer`
   * inside a TimeDistributed); initializers are named after them.
   */
  readonly prefix: string;
  /**
   * The value the layer reads, as it is, for ops that do not care where the features are
   * (elementwise activations, Pad); its layout is {@link OnnxLayerContext.layout}.
   */
  readonly x: string;
  /**
   * The layout of `x` and so of what an elementwise emitter returns; after `channelsLast()` or
   * `channelsFirst()`, the layout asked for, which is then the layout of the emitter's output.
   */
  readonly layout: Layout;
  /** The input in our layout (features last), behind a Transpose if it was channels-first. */
  channelsLast(): string;
  /** The input with its features on axis 1 (NCHW), behind a Transpose if it was channels-last. */
  channelsFirst(): string;
}

/** The layer's input as the graph has it, transposed on request (see {@link Layout}). */
class LayerInput implements OnnxLayerContext {
  constructor(
    readonly g: GraphBuilder,
    readonly shape: Shape,
    readonly prefix: string,
    public x: string,
    public layout: Layout,
  ) {}

  channelsLast(): string {
    return this.to("channelsLast");
  }

  channelsFirst(): string {
    return this.to("channelsFirst");
  }

  private to(layout: Layout): string {
    if (layout === this.layout) return this.x;
    const r = this.shape.length;
    // With one axis per sample (or none) both layouts are the same tensor: no node.
    if (r > 1) this.x = this.g.node({ op: "Transpose", inputs: [this.x], attrs: { perm: transposeTo(layout, r) } });
    this.layout = layout;
    return this.x;
  }
}

/** Writes one layer's nodes and returns the name of the layer's output. */
type OnnxEmitter = (layer: Layer, ctx: OnnxLayerContext) => string;

function param(layer: Layer, prefix: string, local: string): Param | undefined {
  return layer.params().find((p) => p.name === `${prefix}.${local}`);
}

function requiredParam(layer: Layer, prefix: string, local: string): Param {
  const p = param(layer, prefix, local);
  if (p === undefined) {
    throw new BackpropError("INVALID_ARGUMENT", `modelToOnnx: layer "${layer.name}" (${layer.className}) has no parameter "${prefix}.${local}"`);
  }
  return p;
}

const WHERE = "modelToOnnx";
const pairOf = (layer: Layer, key: string) => configPair(WHERE, layer, key);
const paddingOf = (layer: Layer) => configPadding(WHERE, layer);
const numberOf = (layer: Layer, key: string) => configNumber(WHERE, layer, key);

/** MaxPool or AveragePool over NCHW, with the window positions of our (TensorFlow's) rule. */
function emitPool(op: "MaxPool" | "AveragePool", layer: Layer, ctx: OnnxLayerContext): string {
  const kernelSize = pairOf(layer, "poolSize");
  const strides = pairOf(layer, "strides");
  const geometry = convGeometry({ inputShape: ctx.shape, kernelSize, strides, padding: paddingOf(layer), where: layer.name });
  const attrs: Record<string, AttrValue> = { kernel_shape: kernelSize, strides, pads: explicitPads(geometry) };
  // Padded cells are not counted in an average (TensorFlow's rule and ours; ONNX's default too,
  // written out because PyTorch exports count them).
  if (op === "AveragePool") attrs["count_include_pad"] = 0;
  return ctx.g.node({ op, inputs: [ctx.channelsFirst()], attrs });
}

/** GlobalAveragePool or GlobalMaxPool: `[n, c, h, w]` → `[n, c, 1, 1]`, then `[n, c]` as ours. */
function emitGlobalPool(op: "GlobalAveragePool" | "GlobalMaxPool", ctx: OnnxLayerContext): string {
  const pooled = ctx.g.node({ op, inputs: [ctx.channelsFirst()] });
  return ctx.g.node({ op: "Flatten", inputs: [pooled], attrs: { axis: 1 } });
}

/**
 * The ONNX name (and alpha, beta) of an activation inside ONNX's LSTM, GRU and RNN ops, which take
 * a fixed list of functions rather than nodes.
 */
function recurrentActivation(owner: Layer, act: { readonly name: string; readonly config: Readonly<Record<string, Json>> }, key: string): { name: string; alpha?: number; beta?: number } {
  const num = (k: string, fallback: number) => (typeof act.config[k] === "number" ? (act.config[k] as number) : fallback);
  switch (act.name) {
    case "sigmoid":
      return { name: "Sigmoid" };
    case "tanh":
      return { name: "Tanh" };
    case "relu":
      return { name: "Relu" };
    case "softsign":
      return { name: "Softsign" };
    case "softplus":
      return { name: "Softplus" };
    case "identity":
    case "linear":
      return { name: "Affine", alpha: 1, beta: 0 };
    case "leakyRelu":
      return { name: "LeakyRelu", alpha: num("alpha", 0.01) };
    case "elu":
      return { name: "Elu", alpha: num("alpha", 1) };
    case "hardSigmoid":
      return { name: "HardSigmoid", alpha: num("slope", 1 / 6), beta: num("offset", 0.5) };
    default:
      throw new BackpropError(
        "INVALID_ARGUMENT",
        `modelToOnnx: layer "${owner.name}" uses "${act.name}" as its ${key}, which ONNX's recurrent ops lack (supported there: sigmoid, tanh, relu, identity, leakyRelu, elu, hardSigmoid, softsign, softplus)`,
        { hint: "use one of those, or save in the native format (JSON or safetensors)" },
      );
  }
}

/** ONNX's op for each cell, its gates in ONNX's order as our gate indices, and its activations. */
const ONNX_RECURRENT: Readonly<Record<RecurrentKind, { op: "LSTM" | "GRU" | "RNN"; gates: readonly number[]; activations: readonly [key: string, fallback: string][] }>> = {
  // ONNX: i, o, f, c; ours (Keras): i, f, c, o. Activations f (the gates), g (the candidate), h (the output).
  lstm: { op: "LSTM", gates: [0, 3, 1, 2], activations: [["recurrentActivation", "sigmoid"], ["activation", "tanh"], ["activation", "tanh"]] },
  // z, r, h in both. Activations f (z and r), g (the candidate).
  gru: { op: "GRU", gates: [0, 1, 2], activations: [["recurrentActivation", "sigmoid"], ["activation", "tanh"]] },
  simpleRnn: { op: "RNN", gates: [0], activations: [["activation", "tanh"]] },
};

/**
 * One direction's weights in ONNX's layout: `W` `[gates·units, input]` and `R` `[gates·units,
 * units]` — ours transposed, gate blocks in ONNX's order — and `B` `[2·gates·units]`, the input
 * bias then the recurrent one (a GRU with resetAfter has both; otherwise the recurrent one is 0).
 */
function onnxDirectionWeights(owner: Layer, kind: RecurrentKind, prefix: string): { W: Float64Array; R: Float64Array; B: Float64Array | undefined; units: number; inputDim: number } {
  const kernel = requiredParam(owner, prefix, "kernel").value;
  const recurrent = requiredParam(owner, prefix, "recurrentKernel").value;
  const bias = param(owner, prefix, "bias")?.value;
  const gates = ONNX_RECURRENT[kind].gates;
  const units = recurrent.shape[0] as number;
  const inputDim = kernel.shape[0] as number;
  const width = gates.length * units;
  // ONNX row (gate g, unit j), column k ← ours row k, column (ours[g]·units + j).
  const transpose = (m: ArrayLike<number>, rows: number): Float64Array => {
    const out = new Float64Array(width * rows);
    gates.forEach((ours, g) => {
      for (let j = 0; j < units; j++) {
        const row = (g * units + j) * rows;
        const col = ours * units + j;
        for (let k = 0; k < rows; k++) out[row + k] = m[k * width + col] as number;
      }
    });
    return out;
  };
  let B: Float64Array | undefined;
  if (bias) {
    B = new Float64Array(2 * width);
    const rows = bias.data.length / width; // 2 for a GRU with resetAfter: input bias, recurrent bias
    for (let r = 0; r < rows; r++) {
      gates.forEach((ours, g) => {
        for (let j = 0; j < units; j++) (B as Float64Array)[r * width + g * units + j] = bias.data[r * width + ours * units + j] as number;
      });
    }
  }
  return { W: transpose(kernel.data, inputDim), R: transpose(recurrent.data, units), B, units, inputDim };
}

/** ORT reads an alpha only for the functions that take one, and a beta likewise, in list order. */
const TAKES_ALPHA: ReadonlySet<string> = new Set(["Affine", "LeakyRelu", "HardSigmoid", "Elu"]);
const TAKES_BETA: ReadonlySet<string> = new Set(["Affine", "HardSigmoid"]);

/**
 * A recurrent layer (or both directions of a Bidirectional) as ONNX's LSTM, GRU or RNN op: the
 * input turned time-major (`[time, batch, features]`, ONNX's default layout), the op, and its
 * output back to ours — `[batch, time, units]` from Y `[time, directions, batch, units]`, or
 * `[batch, units]` from Y_h `[directions, batch, units]`.
 *
 * ONNX's `reverse` direction writes each step's output at its input position, where Keras' (and
 * our) goBackwards returns them in processing order: the time axis of Y is reversed to match. A
 * Bidirectional's backward half, on the contrary, is turned back to input order by Keras too, so
 * there Y is as ONNX gives it.
 */
function emitRecurrentOp(
  owner: Layer,
  ctx: OnnxLayerContext,
  spec: RecurrentSpec,
  prefixes: readonly string[],
  direction: "forward" | "reverse" | "bidirectional",
  merge: MergeMode,
): string {
  const { g } = ctx;
  const c = spec.config;
  const { op, activations } = ONNX_RECURRENT[spec.kind];
  const steps = ctx.shape[0] as number;
  const directions = prefixes.map((p) => onnxDirectionWeights(owner, spec.kind, p));
  const { units, inputDim } = directions[0] as (typeof directions)[number];
  const gateCount = ONNX_RECURRENT[spec.kind].gates.length;
  const concat = (pick: (d: (typeof directions)[number]) => Float64Array) => {
    const parts = directions.map(pick);
    const out = new Float64Array(parts.reduce((n, p) => n + p.length, 0));
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  };
  const dirs = directions.length;
  // NOTE: onnxruntime runs LSTM, GRU and RNN in float32 only ("does not support double yet"), so a
  // float64 model's recurrent ops run in float32 between two Casts; the rest stays DOUBLE.
  const double = g.elemType === ONNX_DATA_TYPE.DOUBLE;
  let x = ctx.channelsLast();
  if (double) x = g.node({ op: "Cast", inputs: [x], attrs: { to: ONNX_DATA_TYPE.FLOAT } });
  const inputs = [
    g.node({ op: "Transpose", inputs: [x], attrs: { perm: [1, 0, 2] } }),
    g.tensor(`${ctx.prefix}.W`, [dirs, gateCount * units, inputDim], concat((d) => d.W), true),
    g.tensor(`${ctx.prefix}.R`, [dirs, gateCount * units, units], concat((d) => d.R), true),
  ];
  if (directions[0]?.B) inputs.push(g.tensor(`${ctx.prefix}.B`, [dirs, 2 * gateCount * units], concat((d) => d.B as Float64Array), true));
  const acts = activations.map(([key, fallback]) => recurrentActivation(owner, storedActivation(c, key, fallback), key));
  const all = Array.from({ length: dirs }, () => acts).flat();
  const alpha = all.flatMap((a) => (TAKES_ALPHA.has(a.name) ? [a.alpha as number] : []));
  const beta = all.flatMap((a) => (TAKES_BETA.has(a.name) ? [a.beta as number] : []));
  const attrs: Record<string, AttrValue> = { hidden_size: units, direction, activations: all.map((a) => a.name) };
  if (alpha.length > 0) attrs["activation_alpha"] = alpha;
  if (beta.length > 0) attrs["activation_beta"] = beta;
  if (spec.kind === "gru") attrs["linear_before_reset"] = c["resetAfter"] === false ? 0 : 1;
  const sequences = c["returnSequences"] === true;
  let [y] = g.nodeOutputs({ op, inputs, attrs }, sequences ? [true] : [false, true]) as [string];
  if (double) y = g.node({ op: "Cast", inputs: [y], attrs: { to: ONNX_DATA_TYPE.DOUBLE } });
  const shape = (name: string, values: number[]) => g.int64s(`${ctx.prefix}.${name}`, values);
  // Both directions' halves merged elementwise (sum, mul, ave): picked from the direction axis.
  const merged = (value: string, axis: number): string => {
    const half = (k: number) => g.node({ op: "Gather", inputs: [value, shape(`direction${k}`, [k])], attrs: { axis } });
    const a = half(0);
    const b = half(1);
    if (merge === "mul") return g.node({ op: "Mul", inputs: [a, b] });
    const sum = g.node({ op: "Add", inputs: [a, b] });
    return merge === "ave" ? g.node({ op: "Mul", inputs: [sum, g.constant(0.5)] }) : sum;
  };
  if (!sequences) {
    // Y_h [directions, batch, units].
    if (dirs === 2 && merge === "concat") {
      const batchFirst = g.node({ op: "Transpose", inputs: [y], attrs: { perm: [1, 0, 2] } });
      return g.node({ op: "Reshape", inputs: [batchFirst, shape("shape", [0, 2 * units])] });
    }
    return g.node({ op: "Reshape", inputs: [dirs === 2 ? merged(y, 0) : y, shape("shape", [-1, units])] });
  }
  // Y [time, directions, batch, units].
  if (dirs === 2 && merge === "concat") {
    const batchFirst = g.node({ op: "Transpose", inputs: [y], attrs: { perm: [2, 0, 1, 3] } });
    return g.node({ op: "Reshape", inputs: [batchFirst, shape("shape", [0, steps, 2 * units])] });
  }
  let timeMajor = g.node({ op: "Reshape", inputs: [dirs === 2 ? merged(y, 1) : y, shape("shape", [steps, -1, units])] });
  if (direction === "reverse") {
    const reversed = Array.from({ length: steps }, (_, t) => steps - 1 - t);
    timeMajor = g.node({ op: "Gather", inputs: [timeMajor, shape("reversed", reversed)], attrs: { axis: 0 } });
  }
  return g.node({ op: "Transpose", inputs: [timeMajor], attrs: { perm: [1, 0, 2] } });
}

/** What ONNX's recurrent ops cannot hold: the states of a stateful layer, several outputs. */
function checkRecurrent(owner: Layer, spec: RecurrentSpec): void {
  if (spec.config["returnState"] === true) {
    throw new BackpropError("INVALID_ARGUMENT", `modelToOnnx: layer "${owner.name}" has returnState, which gives several outputs where a Sequential model passes one tensor`);
  }
  if (spec.config["stateful"] === true) {
    throw new BackpropError("INVALID_ARGUMENT", `modelToOnnx: layer "${owner.name}" is stateful, and an ONNX graph keeps no states from one run to the next`, {
      hint: "export a copy built with stateful: false (each run then starts from zero states)",
    });
  }
}

/** A recurrent layer (LSTM, GRU, SimpleRNN, or an RNN of their cells) as ONNX's LSTM, GRU or RNN op. */
function emitRecurrent(layer: Layer, ctx: OnnxLayerContext): string {
  const spec = recurrentSpec(WHERE, layer, layer.className, layer.getConfig());
  checkRecurrent(layer, spec);
  return emitRecurrentOp(layer, ctx, spec, [ctx.prefix], spec.config["goBackwards"] === true ? "reverse" : "forward", "concat");
}

/**
 * Refuses a time mask that reaches a recurrent layer, following it as the model hands it on: a
 * Masking layer or an Embedding with maskZero makes one, layers with `computeMask` pass it on, a
 * recurrent layer without returnSequences ends it, and any other layer drops it.
 */
function refuseMasks(model: Sequential): void {
  let source: Layer | undefined;
  for (const layer of model.layers) {
    const config = layer.getConfig();
    const recurrent = RECURRENT_CLASSES.includes(layer.className) || layer.className === "bidirectional";
    if (recurrent && source !== undefined) {
      throw new BackpropError(
        "INVALID_ARGUMENT",
        `modelToOnnx: the time mask of layer "${source.name}" (${source.className === "masking" ? "Masking" : "Embedding with maskZero"}) reaches the recurrent layer "${layer.name}", and ONNX's recurrent ops cannot skip padded steps (their sequence_lens covers trailing padding only, given as another input)`,
        { hint: "export a copy without the mask if your inputs have no padding, save in the native format, or use modelToTfjs (TF.js masks as we do)" },
      );
    }
    if (layer.className === "masking" || (layer.className === "embedding" && config["maskZero"] === true)) source = layer;
    else if (recurrent) source = config["returnSequences"] === true || (isJsonObject(config["layer"]) && isJsonObject(config["layer"]["config"]) && config["layer"]["config"]["returnSequences"] === true) ? source : undefined;
    else if (typeof layer.computeMask !== "function") source = undefined;
  }
}

/**
 * One entry per layer class (its `className`): a new layer type with an ONNX form adds one line
 * here. Each reads the layer's parameters by name, the way `paramShapes` announces them, and asks
 * for the layout its ops need (see {@link Layout}).
 */
const ONNX_EMITTERS: Readonly<Record<string, OnnxEmitter>> = {
  // x·W + b on the last axis: Gemm for vector samples; MatMul (which broadcasts over the leading
  // axes) then Add for [batch, …, features].
  dense: (layer, ctx) => {
    const { g, shape, prefix } = ctx;
    const x = ctx.channelsLast();
    const k = requiredParam(layer, prefix, "kernel").value;
    const w = g.tensor(`${prefix}.kernel`, [...k.shape], k.data);
    const b = param(layer, prefix, "bias")?.value;
    const bias = b ? g.tensor(`${prefix}.bias`, [...b.shape], b.data) : undefined;
    let y: string;
    if (shape.length === 1) y = g.node({ op: bias ? "Gemm" : "MatMul", inputs: bias ? [x, w, bias] : [x, w] });
    else {
      y = g.node({ op: "MatMul", inputs: [x, w] });
      if (bias) y = g.node({ op: "Add", inputs: [y, bias] });
    }
    return emitActivation(g, layer.activation, y, layer.name);
  },
  activation: (layer, { g, x, layout }) => emitActivation(g, layer.activation, x, layer.name, layout === "channelsFirst" ? 1 : -1),
  // Inference graph: dropout is the identity.
  dropout: (_layer, { x }) => x,
  // (x − mean) / √variance; both constants are [features], which ONNX (numpy) broadcasting lines
  // up with the last axis of [batch, …, features] — the channels of NHWC.
  normalization: (layer, ctx) => {
    const { g, prefix } = ctx;
    const x = ctx.channelsLast();
    const mean = requiredParam(layer, prefix, "mean").value;
    const variance = requiredParam(layer, prefix, "variance").value;
    const std = Array.from(variance.data, (v) => Math.sqrt(v));
    const centred = g.node({ op: "Sub", inputs: [x, g.tensor(`${prefix}.mean`, [...mean.shape], mean.data)] });
    return g.node({ op: "Div", inputs: [centred, g.tensor(`${prefix}.std`, [...variance.shape], std)] });
  },
  // Conv over NCHW with the kernel as [out, in, kh, kw], explicit pads, then the activation over
  // the channels (axis 1 there).
  conv2d: (layer, ctx) => {
    const { g, prefix } = ctx;
    const k = requiredParam(layer, prefix, "kernel").value;
    const [kh, kw, cin, cout] = k.shape as [number, number, number, number];
    const strides = pairOf(layer, "strides");
    const dilations = pairOf(layer, "dilationRate");
    const geometry = convGeometry({ inputShape: ctx.shape, kernelSize: [kh, kw], strides, dilation: dilations, padding: paddingOf(layer), where: layer.name });
    const x = ctx.channelsFirst();
    const inputs = [x, g.tensor(`${prefix}.kernel`, [cout, cin, kh, kw], kernelToOihw(k.data, kh, kw, cin, cout))];
    const b = param(layer, prefix, "bias")?.value;
    if (b) inputs.push(g.tensor(`${prefix}.bias`, [...b.shape], b.data));
    const y = g.node({ op: "Conv", inputs, attrs: { kernel_shape: [kh, kw], strides, dilations, pads: explicitPads(geometry), group: 1 } });
    return emitActivation(g, layer.activation, y, layer.name, 1);
  },
  // Pad works in either layout: the zeros go on the height and width axes, wherever they are.
  zeroPadding2d: (layer, { g, x, layout, prefix }) => {
    const [[top, bottom], [left, right]] = configSides(WHERE, layer);
    const pads = layout === "channelsFirst" ? [0, 0, top, left, 0, 0, bottom, right] : [0, top, left, 0, 0, bottom, right, 0];
    return g.node({ op: "Pad", inputs: [x, g.int64s(`${prefix}.pads`, pads)] });
  },
  maxPooling2d: (layer, ctx) => emitPool("MaxPool", layer, ctx),
  averagePooling2d: (layer, ctx) => emitPool("AveragePool", layer, ctx),
  globalAveragePooling2d: (_layer, ctx) => emitGlobalPool("GlobalAveragePool", ctx),
  globalMaxPooling2d: (_layer, ctx) => emitGlobalPool("GlobalMaxPool", ctx),
  // Inference form, (x − movingMean)/√(movingVariance + ε)·γ + β over axis 1: ONNX's
  // BatchNormalization is ours exactly; γ is 1 without `scale`, β 0 without `center`.
  batchNormalization: (layer, ctx) => {
    const { g, prefix } = ctx;
    const mean = requiredParam(layer, prefix, "movingMean").value;
    const variance = requiredParam(layer, prefix, "movingVariance").value;
    const c = mean.size;
    const gamma = param(layer, prefix, "gamma")?.value.data ?? new Float64Array(c).fill(1);
    const beta = param(layer, prefix, "beta")?.value.data ?? new Float64Array(c);
    const x = ctx.channelsFirst();
    const inputs = [
      x,
      g.tensor(`${prefix}.gamma`, [c], gamma),
      g.tensor(`${prefix}.beta`, [c], beta),
      g.tensor(`${prefix}.movingMean`, [c], mean.data),
      g.tensor(`${prefix}.movingVariance`, [c], variance.data),
    ];
    return g.node({ op: "BatchNormalization", inputs, attrs: { epsilon: numberOf(layer, "epsilon"), momentum: numberOf(layer, "momentum") } });
  },
  // Composed (opset 13 has no LayerNormalization op; 17 does): per position over the last axis,
  // (x − μ)/√(mean((x − μ)²) + ε)·γ + β.
  layerNormalization: (layer, ctx) => {
    const { g, prefix } = ctx;
    const x = ctx.channelsLast();
    const reduce = { axes: [-1], keepdims: 1 };
    const centred = g.node({ op: "Sub", inputs: [x, g.node({ op: "ReduceMean", inputs: [x], attrs: reduce })] });
    const variance = g.node({ op: "ReduceMean", inputs: [g.node({ op: "Mul", inputs: [centred, centred] })], attrs: reduce });
    const std = g.node({ op: "Sqrt", inputs: [g.node({ op: "Add", inputs: [variance, g.constant(numberOf(layer, "epsilon"))] })] });
    let y = g.node({ op: "Div", inputs: [centred, std] });
    const gamma = param(layer, prefix, "gamma")?.value;
    if (gamma) y = g.node({ op: "Mul", inputs: [y, g.tensor(`${prefix}.gamma`, [...gamma.shape], gamma.data)] });
    const beta = param(layer, prefix, "beta")?.value;
    if (beta) y = g.node({ op: "Add", inputs: [y, g.tensor(`${prefix}.beta`, [...beta.shape], beta.data)] });
    return y;
  },
  // ONNX's LSTM, GRU and RNN ops (see emitRecurrentOp).
  lstm: emitRecurrent,
  gru: emitRecurrent,
  simpleRnn: emitRecurrent,
  rnn: emitRecurrent,
  // One op with direction "bidirectional": the forward layer's weights, then the backward one's.
  bidirectional: (layer, ctx) => {
    const config = layer.getConfig();
    const inner = config["layer"];
    if (!isJsonObject(inner) || typeof inner["className"] !== "string" || !isJsonObject(inner["config"])) {
      throw new BackpropError("INVALID_ARGUMENT", `modelToOnnx: layer "${layer.name}" (bidirectional) has no stored inner layer in its config`);
    }
    const spec = recurrentSpec(WHERE, layer, inner["className"], inner["config"]);
    checkRecurrent(layer, spec);
    const merge = config["mergeMode"] ?? "concat";
    if (merge !== "concat" && merge !== "sum" && merge !== "mul" && merge !== "ave") {
      throw new BackpropError("INVALID_ARGUMENT", `modelToOnnx: layer "${layer.name}" has mergeMode ${JSON.stringify(merge)} (expected one of: concat, sum, mul, ave)`);
    }
    if (spec.config["goBackwards"] === true) {
      throw new BackpropError("INVALID_ARGUMENT", `modelToOnnx: layer "${layer.name}" is a Bidirectional around a goBackwards layer, which ONNX's bidirectional direction does not express`, {
        hint: "wrap a layer with goBackwards: false (the Bidirectional runs it backwards itself)",
      });
    }
    return emitRecurrentOp(layer, ctx, spec, [`${ctx.prefix}.forward`, `${ctx.prefix}.backward`], "bidirectional", merge);
  },
  // Gather on the table's rows, the ids cast to integers (ours truncate likewise: they are checked to be integers).
  embedding: (layer, ctx) => {
    const table = requiredParam(layer, ctx.prefix, "embeddings").value;
    const ids = ctx.g.node({ op: "Cast", inputs: [ctx.channelsLast()], attrs: { to: ONNX_DATA_TYPE.INT64 } });
    return ctx.g.node({ op: "Gather", inputs: [ctx.g.tensor(`${ctx.prefix}.embeddings`, [...table.shape], table.data), ids], attrs: { axis: 0 } });
  },
  // Without a recurrent layer reading its mask (see refuseMasks), Masking is y = x · any(x ≠ maskValue)
  // over each step's features.
  masking: (layer, ctx) => {
    const { g } = ctx;
    const x = ctx.channelsLast();
    const r = ctx.shape.length;
    const differs = g.node({ op: "Not", inputs: [g.node({ op: "Equal", inputs: [x, g.constant(numberOf(layer, "maskValue"))] })] });
    const real = g.node({ op: "Cast", inputs: [differs], attrs: { to: g.elemType } });
    const anyReal = g.node({ op: "ReduceMax", inputs: [real], attrs: { axes: Array.from({ length: r - 1 }, (_, k) => k + 2), keepdims: 1 } });
    return g.node({ op: "Mul", inputs: [x, anyReal] });
  },
  // The wrapped layer on [batch·time, …step] (a Reshape each way): any layer with an ONNX form.
  timeDistributed: (layer, ctx) => {
    const inner = (layer as { readonly layer?: unknown }).layer as Layer | undefined;
    const emit = inner !== undefined && Object.hasOwn(ONNX_EMITTERS, inner.className) ? ONNX_EMITTERS[inner.className] : undefined;
    if (inner === undefined || emit === undefined) {
      throw new BackpropError(
        "INVALID_ARGUMENT",
        `modelToOnnx: layer "${layer.name}" wraps ${inner === undefined ? "no layer" : `a layer of type "${inner.className}", which has no ONNX export`} (supported: ${Object.keys(ONNX_EMITTERS).join(", ")})`,
      );
    }
    const { g } = ctx;
    const steps = ctx.shape[0] as number;
    const step = ctx.shape.slice(1);
    const folded = g.node({ op: "Reshape", inputs: [ctx.channelsLast(), g.int64s(`${ctx.prefix}.folded`, [-1, ...step])] });
    const input = new LayerInput(g, step, `${ctx.prefix}.layer`, folded, "channelsLast");
    const y = emit(inner, input);
    const out = inner.computeOutputShape(step);
    const last = new LayerInput(g, out, `${ctx.prefix}.layer`, y, out.length <= 1 ? "channelsLast" : input.layout).channelsLast();
    return g.node({ op: "Reshape", inputs: [last, g.int64s(`${ctx.prefix}.unfolded`, [-1, steps, ...out])] });
  },
  // Row-major over OUR layout: flattening NCHW would order the features channel by channel, and
  // the Dense kernel that follows expects (i·w + j)·c + k.
  flatten: (_layer, ctx) => ctx.g.node({ op: "Flatten", inputs: [ctx.channelsLast()], attrs: { axis: 1 } }),
  // The shape as an INT64 input: 0 keeps the (symbolic) batch axis, the rest is our output shape.
  reshape: (layer, ctx) => {
    const x = ctx.channelsLast();
    const shape = ctx.g.int64s(`${ctx.prefix}.shape`, [0, ...layer.computeOutputShape(ctx.shape)]);
    return ctx.g.node({ op: "Reshape", inputs: [x, shape] });
  },
};

/**
 * The model as an ONNX file (opset 13), one entry of a table per layer class:
 * - Dense → `Gemm(x, W, b)` (or `MatMul` without bias; `MatMul` + `Add` for samples of more than
 *   one axis) with W stored in×out, then its activation — an ONNX op where one exists (`Relu`,
 *   `Sigmoid`, `Softmax`, …), composed from ONNX ops otherwise (silu, mish, gelu, gaussian, relu6,
 *   hardTanh);
 * - Normalization → `Sub(x, mean)` then `Div(·, √variance)`, so the graph takes raw inputs as
 *   `predict` does;
 * - Conv2D → `Conv` (kernel `[out, in, kh, kw]`, explicit `pads`, `strides`, `dilations`) and its
 *   activation; MaxPooling2D / AveragePooling2D → `MaxPool` / `AveragePool` (explicit `pads`,
 *   `count_include_pad = 0`); GlobalAveragePooling2D / GlobalMaxPooling2D → `GlobalAveragePool` /
 *   `GlobalMaxPool` + `Flatten`; ZeroPadding2D → `Pad`; BatchNormalization → `BatchNormalization`
 *   (moving statistics); LayerNormalization → `ReduceMean`, `Sub`, `Mul`, `Add`, `Sqrt`, `Div`
 *   (and `Mul`/`Add` for γ, β); Flatten → `Flatten`; Reshape → `Reshape`;
 * - Activation → its activation; Dropout is omitted (inference graph);
 * - LSTM, GRU, SimpleRNN (and an RNN of their cells) → ONNX's `LSTM`, `GRU`, `RNN` ops between
 *   Transposes to ONNX's `[time, batch, features]`: weights transposed to `W` `[1, gates·units,
 *   input]`, `R`, `B` (input bias, then recurrent bias), LSTM gates re-laid from i,f,c,o to
 *   ONNX's i,o,f,c; GRU `linear_before_reset` 1 for `resetAfter: true`, 0 for false; goBackwards
 *   → `direction: "reverse"` (Y's time axis reversed to Keras' processing order); the cell
 *   activations as `activations` (HardSigmoid, LeakyRelu, Elu, Affine with `activation_alpha` /
 *   `activation_beta`); the last step from Y_h. onnxruntime runs these ops in float32 only, so a
 *   float64 model's recurrent ops run in float32 between Casts;
 * - Bidirectional → one op with `direction: "bidirectional"`, every merge mode (concat by
 *   reshaping, sum / mul / ave from the two halves);
 * - Embedding → `Gather` (ids cast to INT64); TimeDistributed → the wrapped layer on
 *   `[batch·time, …]` between two Reshapes; Masking → `x · any(x ≠ maskValue)` per step.
 *
 * Time masks cannot be exported: a Masking layer's or an `Embedding({ maskZero })`'s mask reaching a
 * recurrent layer is refused (ONNX's `sequence_lens` covers trailing padding only), and so are
 * stateful layers (a graph keeps no states) and `returnState`.
 *
 * The graph's input and output are channels-last, as `predict` takes and gives them; ONNX's
 * convolutions and pools run channels-first (NCHW) between `Transpose` nodes, put only where the
 * layout changes — in particular back to channels-last before Flatten, Reshape and Dense, so a
 * flattened image has our row-major order.
 *
 * Float32 models give FLOAT tensors, float64 ones DOUBLE. The batch dimension is symbolic
 * (`"batch"`); the others are the model's per-sample input and output shapes.
 *
 * @throws BackpropError `NOT_BUILT`; `INVALID_ARGUMENT` for a layer type or an activation ONNX lacks
 * @example
 * ```ts
 * const bytes = modelToOnnx(model); // load with onnxruntime: InferenceSession.create(bytes)
 * ```
 */
export function modelToOnnx(model: Sequential, options: OnnxExportOptions = {}): Uint8Array {
  if (!model.built) {
    throw new BackpropError("NOT_BUILT", "modelToOnnx: the model has no weights yet", { hint: "call model.build(inputShape) first" });
  }
  refuseMasks(model);
  const float64 = model.dtype === "float64";
  const elemType = float64 ? ONNX_DATA_TYPE.DOUBLE : ONNX_DATA_TYPE.FLOAT;
  const g = new GraphBuilder(elemType, float64 ? 8 : 4);
  const inputName = options.inputName ?? "input";
  const outputName = options.outputName ?? "output";
  const inputShape = model.inputShape as Shape;
  let x = inputName;
  let layout: Layout = "channelsLast";
  let shape = inputShape;
  model.layers.forEach((layer, index) => {
    const emit = Object.hasOwn(ONNX_EMITTERS, layer.className) ? ONNX_EMITTERS[layer.className] : undefined;
    if (emit === undefined) {
      throw new BackpropError(
        "INVALID_ARGUMENT",
        `modelToOnnx: layer "${layer.name}" of type "${layer.className}" has no ONNX export (supported: ${Object.keys(ONNX_EMITTERS).join(", ")})`,
      );
    }
    const input = new LayerInput(g, shape, `layers.${index}`, x, layout);
    x = emit(layer, input);
    shape = layer.computeOutputShape(shape);
    // One axis per sample (after a global pool, say): both layouts are the same tensor.
    layout = shape.length <= 1 ? "channelsLast" : input.layout;
  });
  x = new LayerInput(g, shape, `layers.${model.layers.length}`, x, layout).channelsLast();
  // The graph output must be a node's output with the agreed name.
  g.node({ op: "Identity", inputs: [x] }, outputName);
  const metadataProps = options.metadata === undefined ? [] : [{ key: "backprop.metadata", value: JSON.stringify(options.metadata) }];
  return encodeOnnxModel({
    irVersion: 7,
    producerName: "backprop",
    producerVersion: "1",
    opsetImport: [{ domain: "", version: ONNX_OPSET }],
    graph: {
      name: model.name,
      node: g.nodes,
      initializer: g.initializers,
      input: [valueInfo(inputName, elemType, inputShape)],
      output: [valueInfo(outputName, elemType, model.outputShape as Shape)],
    },
    metadataProps,
  });
}
