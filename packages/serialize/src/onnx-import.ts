import type { ActivationSpec } from "@backprop/activations";
import { ActivationLayer, Dense, Sequential, type Layer } from "@backprop/layers";
import { BackpropError, type DType, type Json } from "@backprop/linalg";
import type { LoadOptions } from "./custom-components.js";
import { at, invalidFile, type FileLocation } from "./file-error.js";
import { onnx, toNumber, type OnnxModel, type OnnxNode, type OnnxTensor } from "./onnx-proto.js";
import { parseJson } from "./safe-json.js";
import { MAX_TENSOR_ELEMENTS, MAX_WIDTH } from "./schema.js";

interface Weight {
  readonly dims: number[];
  readonly data: Float64Array;
  readonly dtype: DType;
}

interface DenseSpec {
  kernel: Float64Array;
  rows: number;
  cols: number;
  bias: Float64Array | undefined;
  activation: ActivationSpec | undefined;
}

type Step = { kind: "dense"; spec: DenseSpec } | { kind: "activation"; activation: ActivationSpec };

/** ONNX ops read back as activations (single ops; composed activations are not recognised). */
export const ONNX_IMPORT_OPS: readonly string[] = [
  "Gemm", "MatMul", "Add", "Relu", "Sigmoid", "Tanh", "Softmax", "LeakyRelu", "Elu", "Selu", "Softplus", "Softsign", "Sin", "HardSigmoid", "Identity", "Dropout",
];

function readTensor(t: OnnxTensor, loc: FileLocation, path: string): Weight {
  const dims = (t.dims ?? []).map((d) => toNumber(d));
  let n = 1;
  for (const d of dims) {
    if (!Number.isSafeInteger(d) || d < 0) throw invalidFile(loc, `${path}.dims`, `invalid dimension ${d}`);
    n *= d;
    if (n > MAX_TENSOR_ELEMENTS) throw invalidFile(loc, `${path}.dims`, `more than ${MAX_TENSOR_ELEMENTS} elements`);
  }
  if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL) {
    throw invalidFile(loc, `${path}.dataLocation`, "external data is not supported (expected the weights inside the file)");
  }
  const type = t.dataType ?? 0;
  const size = type === onnx.TensorProto.DataType.FLOAT ? 4 : type === onnx.TensorProto.DataType.DOUBLE ? 8 : 0;
  if (size === 0) throw invalidFile(loc, `${path}.dataType`, `element type ${type} is not supported (expected FLOAT = 1 or DOUBLE = 11)`);
  const dtype: DType = size === 4 ? "float32" : "float64";
  const raw = t.rawData;
  const values = size === 4 ? t.floatData : t.doubleData;
  // NOTE: lengths are checked against the bytes actually present before anything is allocated.
  if (raw && raw.length > 0) {
    if (raw.length !== n * size) throw invalidFile(loc, `${path}.rawData`, `has ${raw.length} bytes (expected ${n} × ${size})`);
  } else if (!values || values.length !== n) {
    throw invalidFile(loc, path, `has ${values?.length ?? 0} values (expected ${n})`);
  }
  const data = new Float64Array(n);
  if (raw && raw.length > 0) {
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    for (let i = 0; i < n; i++) data[i] = size === 4 ? view.getFloat32(i * 4, true) : view.getFloat64(i * 8, true);
  } else {
    for (let i = 0; i < n; i++) data[i] = (values as number[])[i] as number;
  }
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(data[i])) throw invalidFile(loc, path, `value ${i} is not finite`);
  }
  return { dims, data, dtype };
}

function attrs(node: OnnxNode): Map<string, number> {
  const out = new Map<string, number>();
  for (const a of node.attribute ?? []) {
    if (typeof a.name !== "string") continue;
    out.set(a.name, a.type === onnx.AttributeProto.AttributeType.FLOAT ? (a.f ?? 0) : toNumber(a.i));
  }
  return out;
}

function activationOf(node: OnnxNode, opset: number, loc: FileLocation, path: string): ActivationSpec | "skip" | undefined {
  const a = attrs(node);
  const f32 = (v: number) => Math.fround(v);
  switch (node.opType) {
    case "Relu": return "relu";
    case "Sigmoid": return "sigmoid";
    case "Tanh": return "tanh";
    case "Softplus": return "softplus";
    case "Softsign": return "softsign";
    case "Sin": return "sinusoid";
    case "Identity":
    case "Dropout": return "skip";
    case "Softmax": {
      const axis = a.get("axis") ?? (opset >= 13 ? -1 : 1);
      if (axis !== 1 && axis !== -1) throw invalidFile(loc, `${path}.attribute.axis`, `Softmax over axis ${axis} is not supported (expected 1 or -1)`);
      return "softmax";
    }
    case "LeakyRelu": return { name: "leakyRelu", config: { alpha: a.get("alpha") ?? 0.01 } };
    case "Elu": return { name: "elu", config: { alpha: a.get("alpha") ?? 1 } };
    case "Selu": {
      const alpha = a.get("alpha");
      const gamma = a.get("gamma");
      if ((alpha !== undefined && alpha !== f32(1.6732632423543772)) || (gamma !== undefined && gamma !== f32(1.0507009873554805))) {
        throw invalidFile(loc, `${path}.attribute`, "Selu with non-default alpha/gamma is not supported");
      }
      return "selu";
    }
    case "HardSigmoid": {
      if (a.get("alpha") !== f32(1 / 6) || a.get("beta") !== 0.5) {
        throw invalidFile(loc, `${path}.attribute`, "HardSigmoid is supported with alpha = 1/6, beta = 0.5 only");
      }
      return "hardSigmoid";
    }
    default: return undefined;
  }
}

/**
 * Reads a dense ONNX model — a chain of `Gemm` (or `MatMul` then `Add`) with single-op
 * activations (`Relu`, `Sigmoid`, `Tanh`, `Softmax`, `LeakyRelu`, `Elu`, `Selu`, `Softplus`,
 * `Softsign`, `Sin`, `HardSigmoid`) — into a Sequential: FLOAT weights give a float32 model,
 * DOUBLE a float64 one. `Gemm` with `transB = 1` (PyTorch's out×in layout) is transposed.
 *
 * @throws BackpropError `INVALID_FILE` naming the node or tensor that cannot be read
 * @example
 * ```ts
 * const model = modelFromOnnx(readFileSync("linear.onnx"));
 * ```
 */
export function modelFromOnnx(bytes: Uint8Array, options: LoadOptions = {}): Sequential {
  const loc: FileLocation = { file: options.file };
  if (!(bytes instanceof Uint8Array)) throw invalidFile(loc, "", "expected the bytes of an ONNX file");
  const proto = at(loc, "", () => onnx.ModelProto.decode(bytes)) as OnnxModel;
  const graph = proto.graph;
  if (!graph) throw invalidFile(loc, "graph", "missing: not an ONNX model");
  const opset = Math.max(1, ...(proto.opsetImport ?? []).filter((o) => !o.domain).map((o) => toNumber(o.version)));
  const weights = new Map<string, OnnxTensor>();
  (graph.initializer ?? []).forEach((t, i) => {
    if (typeof t.name !== "string" || weights.has(t.name)) throw invalidFile(loc, `graph.initializer[${i}].name`, "missing or repeated");
    weights.set(t.name, t);
  });
  const dtypes = new Set<DType>();
  const read = (name: string | undefined, path: string): Weight => {
    const t = name === undefined ? undefined : weights.get(name);
    if (!t) throw invalidFile(loc, path, `input ${JSON.stringify(name)} is not an initializer (only constant weights are supported)`);
    const w = readTensor(t, loc, `graph.initializer["${name}"]`);
    dtypes.add(w.dtype);
    return w;
  };
  const realInputs = (graph.input ?? []).filter((i) => !weights.has(i.name ?? ""));
  if (realInputs.length !== 1) throw invalidFile(loc, "graph.input", `has ${realInputs.length} non-constant inputs (expected 1)`);
  let current = realInputs[0]?.name ?? "";
  const steps: Step[] = [];
  const nodes = graph.node ?? [];
  for (let n = 0; n < nodes.length; n++) {
    const node = nodes[n] as OnnxNode;
    const path = `graph.node[${n}] (${node.opType ?? "?"})`;
    const inputs = node.input ?? [];
    if (inputs[0] !== current && !(node.opType === "Add" && inputs[1] === current)) {
      throw invalidFile(loc, `${path}.input`, `does not continue the chain from "${current}" (only sequential models are supported)`);
    }
    const last = steps[steps.length - 1];
    if (node.opType === "Gemm" || node.opType === "MatMul") {
      const a = attrs(node);
      if (node.opType === "Gemm" && ((a.get("alpha") ?? 1) !== 1 || (a.get("beta") ?? 1) !== 1 || (a.get("transA") ?? 0) !== 0)) {
        throw invalidFile(loc, `${path}.attribute`, "Gemm is supported with alpha = 1, beta = 1, transA = 0");
      }
      const w = read(inputs[1], `${path}.input[1]`);
      if (w.dims.length !== 2) throw invalidFile(loc, `${path}.input[1]`, `weight has ${w.dims.length} dimensions (expected 2)`);
      const transB = node.opType === "Gemm" && (a.get("transB") ?? 0) !== 0;
      const [d0, d1] = w.dims as [number, number];
      const rows = transB ? d1 : d0;
      const cols = transB ? d0 : d1;
      if (rows < 1 || cols < 1 || rows > MAX_WIDTH || cols > MAX_WIDTH) throw invalidFile(loc, `${path}.input[1]`, `empty or too wide weight ${d0}×${d1}`);
      let kernel = w.data;
      if (transB) {
        kernel = new Float64Array(rows * cols);
        for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) kernel[i * cols + j] = w.data[j * rows + i] as number;
      }
      const spec: DenseSpec = { kernel, rows, cols, bias: undefined, activation: undefined };
      if (node.opType === "Gemm" && inputs[2]) spec.bias = broadcastBias(read(inputs[2], `${path}.input[2]`), cols, loc, `${path}.input[2]`);
      if (last?.kind === "dense" && last.spec.cols !== rows) {
        throw invalidFile(loc, `${path}.input[1]`, `takes ${rows} inputs but the previous layer gives ${last.spec.cols}`);
      }
      steps.push({ kind: "dense", spec });
    } else if (node.opType === "Add") {
      const other = inputs[0] === current ? inputs[1] : inputs[0];
      if (last?.kind !== "dense" || last.spec.bias !== undefined || last.spec.activation !== undefined) {
        throw invalidFile(loc, path, "Add is supported only as the bias of a preceding MatMul");
      }
      last.spec.bias = broadcastBias(read(other, `${path}.input`), last.spec.cols, loc, `${path}.input`);
    } else {
      const act = activationOf(node, opset, loc, path);
      if (act === undefined) {
        throw invalidFile(loc, `${path}.opType`, `operator ${JSON.stringify(node.opType)} is not supported (supported: ${ONNX_IMPORT_OPS.join(", ")})`);
      }
      if (act !== "skip") {
        if (last?.kind === "dense" && last.spec.activation === undefined) last.spec.activation = act;
        else steps.push({ kind: "activation", activation: act });
      }
    }
    current = node.output?.[0] ?? "";
  }
  const first = steps.find((s): s is Extract<Step, { kind: "dense" }> => s.kind === "dense");
  if (!first) throw invalidFile(loc, "graph.node", "has no Gemm or MatMul layer");
  if (dtypes.size !== 1) throw invalidFile(loc, "graph.initializer", "mixes FLOAT and DOUBLE weights");
  const dtype = [...dtypes][0] as DType;
  const output = graph.output?.[0]?.name;
  if (output !== current) throw invalidFile(loc, "graph.output", `is ${JSON.stringify(output)} but the chain ends at "${current}"`);
  const layers: Layer[] = steps.map((s, i) =>
    s.kind === "dense"
      ? new Dense({ units: s.spec.cols, useBias: s.spec.bias !== undefined, ...(s.spec.activation ? { activation: s.spec.activation } : {}), ...(i === 0 ? { inputDim: s.spec.rows } : {}) })
      : new ActivationLayer({ activation: s.activation }),
  );
  const model = at(loc, "graph", () => new Sequential(layers, { dtype, name: graph.name || "onnx" }).build(first.spec.rows));
  let p = 0;
  const params = model.params();
  for (const s of steps) {
    if (s.kind !== "dense") continue;
    (params[p++] as (typeof params)[number]).value.data.set(s.spec.kernel);
    if (s.spec.bias) (params[p++] as (typeof params)[number]).value.data.set(s.spec.bias);
  }
  return model;
}

function broadcastBias(w: Weight, cols: number, loc: FileLocation, path: string): Float64Array {
  if (w.data.length === cols) return w.data;
  if (w.data.length === 1) return new Float64Array(cols).fill(w.data[0] as number);
  throw invalidFile(loc, path, `bias has ${w.data.length} values (expected ${cols})`);
}

/**
 * The user metadata stored by {@link modelToOnnx} (`{}` when none).
 * @example
 * ```ts
 * readOnnxMetadata(bytes).columns;
 * ```
 */
export function readOnnxMetadata(bytes: Uint8Array, options: LoadOptions = {}): Record<string, Json> {
  const loc: FileLocation = { file: options.file };
  const proto = at(loc, "", () => onnx.ModelProto.decode(bytes));
  const entry = (proto.metadataProps ?? []).find((p) => p.key === "backprop.metadata");
  if (!entry?.value) return {};
  const value = parseJson(entry.value, loc, "metadataProps[\"backprop.metadata\"]");
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new BackpropError("INVALID_FILE", `${loc.file ?? "onnx"}: metadataProps["backprop.metadata"]: must be a JSON object`);
  }
  return value as Record<string, Json>;
}
