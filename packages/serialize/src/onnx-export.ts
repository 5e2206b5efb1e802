import { BackpropError, type Json } from "@backprop/linalg";
import { ActivationLayer, Dense, Dropout, type LayerActivation, type Sequential } from "@backprop/layers";
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
function emitActivation(g: GraphBuilder, act: LayerActivation, x: string, layer: string): string {
  if (act.kind === "softmax") return g.node({ op: "Softmax", inputs: [x], attrs: { axis: 1 } });
  const { name, config } = act.activation;
  const num = (key: string, fallback: number) => (typeof config[key] === "number" ? (config[key] as number) : fallback);
  switch (name) {
    case "identity":
      return x;
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

function valueInfo(name: string, elemType: number, width: number): OnnxValueInfo {
  return {
    name,
    type: { tensorType: { elemType, shape: { dim: [{ dimParam: "batch" }, { dimValue: width }] } } },
  };
}

/**
 * The model as an ONNX file (opset 13): each Dense becomes `Gemm(x, W, b)` (or `MatMul` without
 * bias) with W stored in×out, followed by its activation — an ONNX op where one exists
 * (`Relu`, `Sigmoid`, `Softmax(axis=1)`, …), composed from ONNX ops otherwise (silu, mish, gelu,
 * gaussian, relu6, hardTanh). Dropout is omitted (inference graph). Float32 models give FLOAT
 * tensors, float64 ones DOUBLE. The batch dimension is symbolic (`"batch"`).
 *
 * @throws BackpropError `NOT_BUILT`; `INVALID_ARGUMENT` for a custom layer or an activation ONNX lacks
 * @example
 * ```ts
 * const bytes = modelToOnnx(model); // load with onnxruntime: InferenceSession.create(bytes)
 * ```
 */
export function modelToOnnx(model: Sequential, options: OnnxExportOptions = {}): Uint8Array {
  if (!model.built) {
    throw new BackpropError("NOT_BUILT", "modelToOnnx: the model has no weights yet", { hint: "call model.build(inputDim) first" });
  }
  const float64 = model.dtype === "float64";
  const elemType = float64 ? onnx.TensorProto.DataType.DOUBLE : onnx.TensorProto.DataType.FLOAT;
  const g = new GraphBuilder(elemType, float64 ? 8 : 4);
  const inputName = options.inputName ?? "input";
  const outputName = options.outputName ?? "output";
  let x = inputName;
  model.layers.forEach((layer, i) => {
    if (layer instanceof Dense) {
      const k = layer.kernel.value;
      const w = g.tensor(`layers.${i}.kernel`, [k.rows, k.cols], k.data);
      const b = layer.bias;
      x = b
        ? g.node({ op: "Gemm", inputs: [x, w, g.tensor(`layers.${i}.bias`, [b.value.cols], b.value.data)] })
        : g.node({ op: "MatMul", inputs: [x, w] });
      x = emitActivation(g, layer.activation, x, layer.name);
    } else if (layer instanceof ActivationLayer) {
      x = emitActivation(g, layer.activation, x, layer.name);
    } else if (!(layer instanceof Dropout)) {
      throw new BackpropError(
        "INVALID_ARGUMENT",
        `modelToOnnx: layer "${layer.name}" of type "${layer.className}" has no ONNX export (supported: dense, activation, dropout)`,
      );
    }
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
      input: [valueInfo(inputName, elemType, model.inputDim as number)],
      output: [valueInfo(outputName, elemType, model.outputDim as number)],
    },
    metadataProps,
  });
  return onnx.ModelProto.encode(proto).finish();
}
