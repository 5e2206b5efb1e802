import type { Activation } from "@backprop/activations";
import { BackpropError, type Json, type Param, type Shape } from "@backprop/linalg";
import type { Layer, Sequential } from "@backprop/layers";
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

type NodeSpec = { op: string; inputs: string[]; attrs?: Record<string, number> };

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

  constant(value: number): string {
    return this.tensor(`const_${this.counter++}`, [], [value]);
  }

  node({ op, inputs, attrs = {} }: NodeSpec, output?: string): string {
    const out = output ?? `${op.toLowerCase()}_${this.counter++}`;
    const attribute = Object.entries(attrs).map(([name, value]) =>
      Number.isInteger(value) && (name === "axis" || name.startsWith("trans"))
        ? { name, type: onnx.AttributeProto.AttributeType.INT, i: value }
        : { name, type: onnx.AttributeProto.AttributeType.FLOAT, f: value },
    );
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

/** Emits the nodes of one activation and returns the name of its output. */
function emitActivation(g: GraphBuilder, act: Activation | undefined, x: string, layer: string): string {
  if (act === undefined) return x;
  const { name, config } = act;
  const num = (key: string, fallback: number) => (typeof config[key] === "number" ? (config[key] as number) : fallback);
  switch (name) {
    case "identity":
      return x;
    case "softmax": // over the last axis, as ours (opset 13 normalises one axis, not a flattened tail)
      return g.node({ op: "Softmax", inputs: [x], attrs: { axis: -1 } });
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
  /** Name of the value the layer reads. */
  readonly x: string;
  /** Its per-sample shape (the batch axis comes first in the graph). */
  readonly shape: Shape;
  /** The layer's index: its parameters are `layers.<index>.<name>`. */
  readonly index: number;
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

/**
 * One entry per layer class (its `className`): a new layer type with an ONNX form adds one line
 * here. Each reads the layer's parameters by name, the way `paramShapes` announces them.
 */
const ONNX_EMITTERS: Readonly<Record<string, OnnxEmitter>> = {
  // x·W + b on the last axis: Gemm for vector samples; MatMul (which broadcasts over the leading
  // axes) then Add for [batch, …, features].
  dense: (layer, { g, x, shape, index }) => {
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
  activation: (layer, { g, x }) => emitActivation(g, layer.activation, x, layer.name),
  // Inference graph: dropout is the identity.
  dropout: (_layer, { x }) => x,
  // (x − mean) / √variance; both constants are [features], which ONNX (numpy) broadcasting lines
  // up with the last axis of [batch, …, features] — the channels of NHWC.
  normalization: (layer, { g, x, index }) => {
    const mean = requiredParam(layer, index, "mean").value;
    const variance = requiredParam(layer, index, "variance").value;
    const std = Array.from(variance.data, (v) => Math.sqrt(v));
    const centred = g.node({ op: "Sub", inputs: [x, g.tensor(`layers.${index}.mean`, [...mean.shape], mean.data)] });
    return g.node({ op: "Div", inputs: [centred, g.tensor(`layers.${index}.std`, [...variance.shape], std)] });
  },
};

/**
 * The model as an ONNX file (opset 13), one entry of a table per layer class:
 * - Dense → `Gemm(x, W, b)` (or `MatMul` without bias; `MatMul` + `Add` for samples of more than
 *   one axis) with W stored in×out, then its activation — an ONNX op where one exists (`Relu`,
 *   `Sigmoid`, `Softmax(axis=-1)`, …), composed from ONNX ops otherwise (silu, mish, gelu,
 *   gaussian, relu6, hardTanh);
 * - Normalization → `Sub(x, mean)` then `Div(·, √variance)`, so the graph takes raw inputs as
 *   `predict` does;
 * - Activation → its activation; Dropout is omitted (inference graph).
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
  let shape = inputShape;
  model.layers.forEach((layer, index) => {
    const emit = Object.hasOwn(ONNX_EMITTERS, layer.className) ? ONNX_EMITTERS[layer.className] : undefined;
    if (emit === undefined) {
      throw new BackpropError(
        "INVALID_ARGUMENT",
        `modelToOnnx: layer "${layer.name}" of type "${layer.className}" has no ONNX export (supported: ${Object.keys(ONNX_EMITTERS).join(", ")})`,
      );
    }
    x = emit(layer, { g, x, shape, index });
    shape = layer.computeOutputShape(shape);
  });
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
