import type { Activation } from "@backprop/activations";
import { BackpropError, convGeometry, type Json, type Param, type Shape } from "@backprop/linalg";
import type { Layer, Sequential } from "@backprop/layers";
import { configNumber, configPadding, configPair, configSides } from "./layer-config.js";
import { explicitPads, kernelToOihw, transposeTo, type Layout } from "./onnx-layout.js";
import { onnx, type OnnxNode, type OnnxTensor, type OnnxValueInfo } from "./onnx-proto.js";

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

/** A node attribute: a number (INT or FLOAT by name, see `INT_ATTRIBUTES`) or a list of INTS. */
type AttrValue = number | readonly number[];
type NodeSpec = { op: string; inputs: string[]; attrs?: Record<string, AttrValue> };

// Scalar attributes that ONNX types as INT; every other scalar we write (alpha, epsilon, …) is a
// FLOAT, and every list we write (perm, pads, strides, …) is INTS.
const INT_ATTRIBUTES: ReadonlySet<string> = new Set(["axis", "transA", "transB", "count_include_pad", "ceil_mode", "keepdims", "group"]);

/** Activations ONNX has (or that compose from a few ONNX ops), by our registry name. */
export const ONNX_ACTIVATIONS: readonly string[] = [
  "identity", "relu", "sigmoid", "tanh", "softmax", "leakyRelu", "elu", "selu", "softplus", "softsign",
  "hardSigmoid", "hardTanh", "relu6", "silu", "mish", "gelu", "sinusoid", "gaussian",
];

class GraphBuilder {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxTensor[] = [];
  private counter = 0;
  constructor(readonly elemType: number, readonly bytesPer: number) {}

  tensor(name: string, dims: number[], values: ArrayLike<number>): string {
    const raw = new Uint8Array(values.length * this.bytesPer);
    const view = new DataView(raw.buffer);
    for (let i = 0; i < values.length; i++) {
      if (this.bytesPer === 4) view.setFloat32(i * 4, values[i] as number, true);
      else view.setFloat64(i * 8, values[i] as number, true);
    }
    this.initializers.push({ name, dims, dataType: this.elemType, rawData: raw });
    return name;
  }

  /** An INT64 initializer (shapes and pads, which ONNX takes as inputs). */
  int64s(name: string, values: readonly number[]): string {
    const raw = new Uint8Array(values.length * 8);
    const view = new DataView(raw.buffer);
    values.forEach((v, i) => view.setBigInt64(i * 8, BigInt(v), true));
    this.initializers.push({ name, dims: [values.length], dataType: onnx.TensorProto.DataType.INT64, rawData: raw });
    return name;
  }

  constant(value: number): string {
    return this.tensor(`const_${this.counter++}`, [], [value]);
  }

  node({ op, inputs, attrs = {} }: NodeSpec, output?: string): string {
    const out = output ?? `${op.toLowerCase()}_${this.counter++}`;
    const attribute = Object.entries(attrs).map(([name, value]) => {
      if (typeof value !== "number") return { name, type: onnx.AttributeProto.AttributeType.INTS, ints: [...value] };
      return INT_ATTRIBUTES.has(name)
        ? { name, type: onnx.AttributeProto.AttributeType.INT, i: value }
        : { name, type: onnx.AttributeProto.AttributeType.FLOAT, f: value };
    });
    this.nodes.push({ opType: op, input: inputs, output: [out], name: out, attribute });
    return out;
  }
}

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
    case "hardSigmoid": // (x + 3)/6 clipped to [0, 1]
      return g.node({ op: "HardSigmoid", inputs: [x], attrs: { alpha: 1 / 6, beta: 0.5 } });
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

function valueInfo(name: string, elemType: number, sample: Shape): OnnxValueInfo {
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
  /** The layer's index: its parameters are `layers.<index>.<name>`. */
  readonly index: number;
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
    readonly index: number,
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

function param(layer: Layer, index: number, local: string): Param | undefined {
  return layer.params().find((p) => p.name === `layers.${index}.${local}`);
}

function requiredParam(layer: Layer, index: number, local: string): Param {
  const p = param(layer, index, local);
  if (p === undefined) {
    throw new BackpropError("INVALID_ARGUMENT", `modelToOnnx: layer "${layer.name}" (${layer.className}) has no parameter "layers.${index}.${local}"`);
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
 * One entry per layer class (its `className`): a new layer type with an ONNX form adds one line
 * here. Each reads the layer's parameters by name, the way `paramShapes` announces them, and asks
 * for the layout its ops need (see {@link Layout}).
 */
const ONNX_EMITTERS: Readonly<Record<string, OnnxEmitter>> = {
  // x·W + b on the last axis: Gemm for vector samples; MatMul (which broadcasts over the leading
  // axes) then Add for [batch, …, features].
  dense: (layer, ctx) => {
    const { g, shape, index } = ctx;
    const x = ctx.channelsLast();
    const k = requiredParam(layer, index, "kernel").value;
    const w = g.tensor(`layers.${index}.kernel`, [...k.shape], k.data);
    const b = param(layer, index, "bias")?.value;
    const bias = b ? g.tensor(`layers.${index}.bias`, [...b.shape], b.data) : undefined;
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
    const { g, index } = ctx;
    const x = ctx.channelsLast();
    const mean = requiredParam(layer, index, "mean").value;
    const variance = requiredParam(layer, index, "variance").value;
    const std = Array.from(variance.data, (v) => Math.sqrt(v));
    const centred = g.node({ op: "Sub", inputs: [x, g.tensor(`layers.${index}.mean`, [...mean.shape], mean.data)] });
    return g.node({ op: "Div", inputs: [centred, g.tensor(`layers.${index}.std`, [...variance.shape], std)] });
  },
  // Conv over NCHW with the kernel as [out, in, kh, kw], explicit pads, then the activation over
  // the channels (axis 1 there).
  conv2d: (layer, ctx) => {
    const { g, index } = ctx;
    const k = requiredParam(layer, index, "kernel").value;
    const [kh, kw, cin, cout] = k.shape as [number, number, number, number];
    const strides = pairOf(layer, "strides");
    const dilations = pairOf(layer, "dilationRate");
    const geometry = convGeometry({ inputShape: ctx.shape, kernelSize: [kh, kw], strides, dilation: dilations, padding: paddingOf(layer), where: layer.name });
    const x = ctx.channelsFirst();
    const inputs = [x, g.tensor(`layers.${index}.kernel`, [cout, cin, kh, kw], kernelToOihw(k.data, kh, kw, cin, cout))];
    const b = param(layer, index, "bias")?.value;
    if (b) inputs.push(g.tensor(`layers.${index}.bias`, [...b.shape], b.data));
    const y = g.node({ op: "Conv", inputs, attrs: { kernel_shape: [kh, kw], strides, dilations, pads: explicitPads(geometry), group: 1 } });
    return emitActivation(g, layer.activation, y, layer.name, 1);
  },
  // Pad works in either layout: the zeros go on the height and width axes, wherever they are.
  zeroPadding2d: (layer, { g, x, layout, index }) => {
    const [[top, bottom], [left, right]] = configSides(WHERE, layer);
    const pads = layout === "channelsFirst" ? [0, 0, top, left, 0, 0, bottom, right] : [0, top, left, 0, 0, bottom, right, 0];
    return g.node({ op: "Pad", inputs: [x, g.int64s(`layers.${index}.pads`, pads)] });
  },
  maxPooling2d: (layer, ctx) => emitPool("MaxPool", layer, ctx),
  averagePooling2d: (layer, ctx) => emitPool("AveragePool", layer, ctx),
  globalAveragePooling2d: (_layer, ctx) => emitGlobalPool("GlobalAveragePool", ctx),
  globalMaxPooling2d: (_layer, ctx) => emitGlobalPool("GlobalMaxPool", ctx),
  // Inference form, (x − movingMean)/√(movingVariance + ε)·γ + β over axis 1: ONNX's
  // BatchNormalization is ours exactly; γ is 1 without `scale`, β 0 without `center`.
  batchNormalization: (layer, ctx) => {
    const { g, index } = ctx;
    const mean = requiredParam(layer, index, "movingMean").value;
    const variance = requiredParam(layer, index, "movingVariance").value;
    const c = mean.size;
    const gamma = param(layer, index, "gamma")?.value.data ?? new Float64Array(c).fill(1);
    const beta = param(layer, index, "beta")?.value.data ?? new Float64Array(c);
    const x = ctx.channelsFirst();
    const inputs = [
      x,
      g.tensor(`layers.${index}.gamma`, [c], gamma),
      g.tensor(`layers.${index}.beta`, [c], beta),
      g.tensor(`layers.${index}.movingMean`, [c], mean.data),
      g.tensor(`layers.${index}.movingVariance`, [c], variance.data),
    ];
    return g.node({ op: "BatchNormalization", inputs, attrs: { epsilon: numberOf(layer, "epsilon"), momentum: numberOf(layer, "momentum") } });
  },
  // Composed (opset 13 has no LayerNormalization op; 17 does): per position over the last axis,
  // (x − μ)/√(mean((x − μ)²) + ε)·γ + β.
  layerNormalization: (layer, ctx) => {
    const { g, index } = ctx;
    const x = ctx.channelsLast();
    const reduce = { axes: [-1], keepdims: 1 };
    const centred = g.node({ op: "Sub", inputs: [x, g.node({ op: "ReduceMean", inputs: [x], attrs: reduce })] });
    const variance = g.node({ op: "ReduceMean", inputs: [g.node({ op: "Mul", inputs: [centred, centred] })], attrs: reduce });
    const std = g.node({ op: "Sqrt", inputs: [g.node({ op: "Add", inputs: [variance, g.constant(numberOf(layer, "epsilon"))] })] });
    let y = g.node({ op: "Div", inputs: [centred, std] });
    const gamma = param(layer, index, "gamma")?.value;
    if (gamma) y = g.node({ op: "Mul", inputs: [y, g.tensor(`layers.${index}.gamma`, [...gamma.shape], gamma.data)] });
    const beta = param(layer, index, "beta")?.value;
    if (beta) y = g.node({ op: "Add", inputs: [y, g.tensor(`layers.${index}.beta`, [...beta.shape], beta.data)] });
    return y;
  },
  // Row-major over OUR layout: flattening NCHW would order the features channel by channel, and
  // the Dense kernel that follows expects (i·w + j)·c + k.
  flatten: (_layer, ctx) => ctx.g.node({ op: "Flatten", inputs: [ctx.channelsLast()], attrs: { axis: 1 } }),
  // The shape as an INT64 input: 0 keeps the (symbolic) batch axis, the rest is our output shape.
  reshape: (layer, ctx) => {
    const x = ctx.channelsLast();
    const shape = ctx.g.int64s(`layers.${ctx.index}.shape`, [0, ...layer.computeOutputShape(ctx.shape)]);
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
 * - Activation → its activation; Dropout is omitted (inference graph).
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
  const float64 = model.dtype === "float64";
  const elemType = float64 ? onnx.TensorProto.DataType.DOUBLE : onnx.TensorProto.DataType.FLOAT;
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
    const input = new LayerInput(g, shape, index, x, layout);
    x = emit(layer, input);
    shape = layer.computeOutputShape(shape);
    // One axis per sample (after a global pool, say): both layouts are the same tensor.
    layout = shape.length <= 1 ? "channelsLast" : input.layout;
  });
  x = new LayerInput(g, shape, model.layers.length, x, layout).channelsLast();
  // The graph output must be a node's output with the agreed name.
  g.node({ op: "Identity", inputs: [x] }, outputName);
  const metadataProps = options.metadata === undefined ? [] : [{ key: "backprop.metadata", value: JSON.stringify(options.metadata) }];
  const proto = onnx.ModelProto.create({
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
  return onnx.ModelProto.encode(proto).finish();
}
