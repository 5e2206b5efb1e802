import type { ActivationSpec } from "@backprop/activations";
import { ActivationLayer, Dense, Normalization, Sequential, type Layer } from "@backprop/layers";
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

interface NormalizationSpec {
  mean: Float64Array;
  /** Set by the `Div` that completes the pattern `Sub(x, mean)`, `Div(·, √variance)`. */
  std: Float64Array | undefined;
}

type Step =
  | { kind: "dense"; spec: DenseSpec }
  | { kind: "activation"; activation: ActivationSpec }
  | { kind: "normalization"; spec: NormalizationSpec };

/** What an op reader gets: the node, and the chain of layers read so far. */
interface OpContext {
  readonly node: OnnxNode;
  /** `graph.node[n] (Op)`, for messages. */
  readonly path: string;
  readonly loc: FileLocation;
  readonly opset: number;
  /** Axes per sample (the batch axis excluded), when the graph's input declares them. */
  readonly sampleRank: number;
  /** The name of the value the chain has reached. */
  readonly current: string;
  readonly steps: Step[];
  /** A constant input, read and checked (an initializer). */
  read(name: string | undefined, path: string): Weight;
}

type OpReader = (ctx: OpContext) => void;

function attrs(node: OnnxNode): Map<string, number> {
  const out = new Map<string, number>();
  for (const a of node.attribute ?? []) {
    if (typeof a.name !== "string") continue;
    out.set(a.name, a.type === onnx.AttributeProto.AttributeType.FLOAT ? (a.f ?? 0) : toNumber(a.i));
  }
  return out;
}

const f32 = (v: number) => Math.fround(v);

/** Single ONNX ops read back as activations, by op type ("skip": no layer at inference). */
const ACTIVATION_OPS: Readonly<Record<string, (ctx: OpContext, a: Map<string, number>) => ActivationSpec | "skip">> = {
  Relu: () => "relu",
  Sigmoid: () => "sigmoid",
  Tanh: () => "tanh",
  Softplus: () => "softplus",
  Softsign: () => "softsign",
  Sin: () => "sinusoid",
  Identity: () => "skip",
  Dropout: () => "skip",
  Softmax: ({ opset, sampleRank, loc, path }, a) => {
    const axis = a.get("axis") ?? (opset >= 13 ? -1 : 1);
    // Ours normalises the last axis; before opset 13 `axis` flattened the tail, the same for vectors.
    if (axis !== -1 && axis !== sampleRank) {
      throw invalidFile(loc, `${path}.attribute.axis`, `Softmax over this axis is not supported (got ${axis}, expected -1 or ${sampleRank}, the last axis)`);
    }
    return "softmax";
  },
  LeakyRelu: (_ctx, a) => ({ name: "leakyRelu", config: { alpha: a.get("alpha") ?? 0.01 } }),
  Elu: (_ctx, a) => ({ name: "elu", config: { alpha: a.get("alpha") ?? 1 } }),
  Selu: ({ loc, path }, a) => {
    const alpha = a.get("alpha");
    const gamma = a.get("gamma");
    if ((alpha !== undefined && alpha !== f32(1.6732632423543772)) || (gamma !== undefined && gamma !== f32(1.0507009873554805))) {
      throw invalidFile(loc, `${path}.attribute`, "Selu with non-default alpha/gamma is not supported");
    }
    return "selu";
  },
  HardSigmoid: ({ loc, path }, a) => {
    if (a.get("alpha") !== f32(1 / 6) || a.get("beta") !== 0.5) {
      throw invalidFile(loc, `${path}.attribute`, "HardSigmoid is supported with alpha = 1/6, beta = 0.5 only");
    }
    return "hardSigmoid";
  },
};

function readActivation(ctx: OpContext): void {
  const act = (ACTIVATION_OPS[ctx.node.opType as string] as (typeof ACTIVATION_OPS)[string])(ctx, attrs(ctx.node));
  if (act === "skip") return;
  const last = ctx.steps[ctx.steps.length - 1];
  if (last?.kind === "dense" && last.spec.activation === undefined) last.spec.activation = act;
  else ctx.steps.push({ kind: "activation", activation: act });
}

function readDense({ node, path, loc, steps, read }: OpContext): void {
  const a = attrs(node);
  const inputs = node.input ?? [];
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
  if (node.opType === "Gemm" && inputs[2]) spec.bias = broadcastVector(read(inputs[2], `${path}.input[2]`), cols, loc, `${path}.input[2]`, "bias");
  const width = outputWidth(steps);
  if (width !== undefined && width !== rows) {
    throw invalidFile(loc, `${path}.input[1]`, `takes another number of inputs than the layer before gives (got ${rows}, expected ${width})`);
  }
  steps.push({ kind: "dense", spec });
}

/** The width the chain gives so far, when a layer fixed it. */
function outputWidth(steps: readonly Step[]): number | undefined {
  for (let i = steps.length - 1; i >= 0; i--) {
    const s = steps[i] as Step;
    if (s.kind === "dense") return s.spec.cols;
    if (s.kind === "normalization") return s.spec.mean.length;
  }
  return undefined;
}

function otherInput({ node, current }: OpContext): string | undefined {
  const inputs = node.input ?? [];
  return inputs[0] === current ? inputs[1] : inputs[0];
}

/**
 * One entry per ONNX op type this importer reads: a layer type with an ONNX form adds its ops here.
 * `ONNX_IMPORT_OPS` lists the keys.
 */
const OP_READERS: Readonly<Record<string, OpReader>> = {
  Gemm: readDense,
  MatMul: readDense,
  // The bias of a preceding MatMul (PyTorch and our own exports of samples with several axes).
  Add: (ctx) => {
    const last = ctx.steps[ctx.steps.length - 1];
    if (last?.kind !== "dense" || last.spec.bias !== undefined || last.spec.activation !== undefined) {
      throw invalidFile(ctx.loc, ctx.path, "Add is supported only as the bias of a preceding MatMul");
    }
    last.spec.bias = broadcastVector(ctx.read(otherInput(ctx), `${ctx.path}.input`), last.spec.cols, ctx.loc, `${ctx.path}.input`, "bias");
  },
  // Sub(x, mean) then Div(·, √variance): a Normalization layer, as modelToOnnx writes it.
  Sub: (ctx) => {
    if ((ctx.node.input ?? [])[0] !== ctx.current) throw invalidFile(ctx.loc, `${ctx.path}.input`, "Sub is supported only as x − constant (a normalization's mean)");
    const mean = ctx.read(ctx.node.input?.[1], `${ctx.path}.input[1]`);
    const width = outputWidth(ctx.steps) ?? mean.data.length;
    ctx.steps.push({ kind: "normalization", spec: { mean: broadcastVector(mean, width, ctx.loc, `${ctx.path}.input[1]`, "mean"), std: undefined } });
  },
  Div: (ctx) => {
    const last = ctx.steps[ctx.steps.length - 1];
    if ((ctx.node.input ?? [])[0] !== ctx.current || last?.kind !== "normalization" || last.spec.std !== undefined) {
      throw invalidFile(ctx.loc, ctx.path, "Div is supported only as (x − mean) / constant, right after its Sub (a normalization)");
    }
    const std = broadcastVector(ctx.read(ctx.node.input?.[1], `${ctx.path}.input[1]`), last.spec.mean.length, ctx.loc, `${ctx.path}.input[1]`, "standard deviation");
    const bad = std.findIndex((d) => !(d > 0));
    if (bad >= 0) throw invalidFile(ctx.loc, `${ctx.path}.input[1]`, `standard deviation ${bad} is not positive (got ${std[bad]}, expected > 0)`);
    last.spec.std = std;
  },
  ...Object.fromEntries(Object.keys(ACTIVATION_OPS).map((op) => [op, readActivation])),
};

/** ONNX ops the importer reads (activations: single ops; composed ones are not recognised). */
export const ONNX_IMPORT_OPS: readonly string[] = Object.keys(OP_READERS);

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

/** The graph input's per-sample shape (`[batch, …]` without the batch), when every axis is a number. */
function declaredSampleShape(dims: readonly { dimValue?: unknown; dimParam?: unknown }[] | null | undefined): number[] | undefined {
  if (!dims || dims.length < 2) return undefined;
  const sample = dims.slice(1).map((d) => toNumber(d.dimValue as number | null | undefined));
  return sample.every((d) => Number.isSafeInteger(d) && d >= 1 && d <= MAX_WIDTH) && sample.length <= 8 ? sample : undefined;
}

/**
 * Reads a dense ONNX model — a chain of `Gemm` (or `MatMul` then `Add`) with single-op
 * activations (`Relu`, `Sigmoid`, `Tanh`, `Softmax`, `LeakyRelu`, `Elu`, `Selu`, `Softplus`,
 * `Softsign`, `Sin`, `HardSigmoid`), and `Sub(x, mean)` + `Div(·, std)` as a Normalization layer —
 * into a Sequential: FLOAT weights give a float32 model, DOUBLE a float64 one. `Gemm` with
 * `transB = 1` (PyTorch's out×in layout) is transposed. The per-sample input shape is the graph
 * input's when it declares one, else the first layer's width.
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
  const declared = declaredSampleShape(realInputs[0]?.type?.tensorType?.shape?.dim);
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
    const reader = typeof node.opType === "string" && Object.hasOwn(OP_READERS, node.opType) ? OP_READERS[node.opType] : undefined;
    if (reader === undefined) {
      throw invalidFile(loc, `${path}.opType`, `operator ${JSON.stringify(node.opType)} is not supported (supported: ${ONNX_IMPORT_OPS.join(", ")})`);
    }
    reader({ node, path, loc, opset, sampleRank: declared?.length ?? 1, current, steps, read });
    current = node.output?.[0] ?? "";
  }
  const open = steps.findIndex((s) => s.kind === "normalization" && s.spec.std === undefined);
  if (open >= 0) throw invalidFile(loc, "graph.node", "a Sub is not followed by the Div of a normalization");
  const first = steps.find((s) => s.kind !== "activation");
  if (!first) throw invalidFile(loc, "graph.node", "has no Gemm, MatMul or normalization layer");
  if (dtypes.size !== 1) throw invalidFile(loc, "graph.initializer", "mixes FLOAT and DOUBLE weights");
  const dtype = [...dtypes][0] as DType;
  const output = graph.output?.[0]?.name;
  if (output !== current) throw invalidFile(loc, "graph.output", `is ${JSON.stringify(output)} but the chain ends at "${current}"`);
  const firstWidth = first.kind === "dense" ? first.spec.rows : first.spec.mean.length;
  const inputShape = declared !== undefined && declared[declared.length - 1] === firstWidth ? declared : [firstWidth];
  const layers: Layer[] = steps.map((s) => {
    if (s.kind === "dense") {
      return new Dense({ units: s.spec.cols, useBias: s.spec.bias !== undefined, ...(s.spec.activation ? { activation: s.spec.activation } : {}) });
    }
    if (s.kind === "normalization") return new Normalization({});
    return new ActivationLayer({ activation: s.activation });
  });
  const model = at(loc, "graph", () => new Sequential(layers, { dtype, name: graph.name || "onnx" }).build(inputShape));
  let p = 0;
  const params = model.params();
  const set = (values: ArrayLike<number>) => (params[p++] as (typeof params)[number]).value.data.set(values);
  for (const s of steps) {
    if (s.kind === "dense") {
      set(s.spec.kernel);
      if (s.spec.bias) set(s.spec.bias);
    } else if (s.kind === "normalization") {
      set(s.spec.mean);
      set((s.spec.std as Float64Array).map((d) => d * d));
    }
  }
  return model;
}

/** A per-feature constant: `width` values, or one value for all (ONNX broadcasting). */
function broadcastVector(w: Weight, width: number, loc: FileLocation, path: string, what: string): Float64Array {
  if (w.data.length === width) return w.data;
  if (w.data.length === 1) return new Float64Array(width).fill(w.data[0] as number);
  throw invalidFile(loc, path, `${what} has the wrong length (got ${w.data.length} values, expected ${width})`);
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
