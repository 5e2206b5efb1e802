import type { ActivationSpec } from "@backprop/activations";
import {
  ActivationLayer,
  AveragePooling2D,
  BatchNormalization,
  Conv2D,
  Dense,
  Flatten,
  GlobalAveragePooling2D,
  GlobalMaxPooling2D,
  LayerNormalization,
  MaxPooling2D,
  Normalization,
  Reshape,
  Sequential,
  ZeroPadding2D,
  type Layer,
} from "@backprop/layers";
import { BackpropError, convGeometry, formatShape, sameShape, type DType, type FloatArray, type Json, type Shape } from "@backprop/linalg";
import type { LoadOptions } from "./custom-components.js";
import { at, invalidFile, type FileLocation } from "./file-error.js";
import { explicitPads, kernelFromOihw, transposeTo, type Layout } from "./onnx-layout.js";
import { decodeOnnxModel, ONNX_ATTRIBUTE_TYPE, ONNX_DATA_LOCATION, ONNX_DATA_TYPE, type OnnxDimension, type OnnxNode, type OnnxTensor } from "./onnx-proto.js";
import { parseJson } from "./safe-json.js";
import { MAX_TENSOR_ELEMENTS, MAX_WIDTH } from "./schema.js";
import { checkSampleSizes, expectedParams } from "./shape-flow.js";
import { littleEndian } from "./endian.js";

// NOTE: ONNX raw data is little-endian; on such a host (every common one) values are used as they are.
const LITTLE_ENDIAN = /* @__PURE__ */ littleEndian();

interface Weight {
  readonly dims: number[];
  /** A FLOAT tensor's values as float32, a DOUBLE one's as float64 (a view of the file where aligned). */
  readonly data: FloatArray;
  readonly dtype: DType;
}

interface DenseSpec {
  kernel: FloatArray;
  rows: number;
  cols: number;
  bias: FloatArray | undefined;
  activation: ActivationSpec | undefined;
}

interface NormalizationSpec {
  mean: FloatArray;
  /** Set by the `Div` that completes the pattern `Sub(x, mean)`, `Div(·, √variance)`. */
  std: FloatArray | undefined;
}

/** Any other layer: made once the chain is read (with the activation that followed it, if it takes one). */
interface LayerSpec {
  create(activation: ActivationSpec | undefined): Layer;
  /** Its parameters' values and shapes, in the order of its `paramShapes`. */
  readonly params: readonly { readonly shape: readonly number[]; readonly data: ArrayLike<number> }[];
  /** Whether an activation op right after it is its own (Conv's), as for Dense. */
  readonly takesActivation: boolean;
  activation: ActivationSpec | undefined;
}

type Step = (
  | { kind: "dense"; spec: DenseSpec }
  | { kind: "activation"; activation: ActivationSpec }
  | { kind: "normalization"; spec: NormalizationSpec }
  | { kind: "layer"; spec: LayerSpec }
) & { /** The node that made it, for messages. */ path?: string };

/** What the chain gives so far, besides the name of the value. */
interface Chain {
  /** Per-sample shape, in our (channels-last) order, when the graph input declares one. */
  shape: Shape | undefined;
  /** Where the features of the current value are (see {@link Layout}). */
  layout: Layout;
  /** After GlobalAveragePool / GlobalMaxPool: the value is `[n, c, 1, 1]` (ours `[n, c]`) until a Flatten. */
  pooled: boolean;
}

/** What an op reader gets: the node, and the chain of layers read so far. */
interface OpContext {
  readonly node: OnnxNode;
  /** `graph.node[n] (Op)`, for messages. */
  readonly path: string;
  readonly loc: FileLocation;
  readonly opset: number;
  /** The name of the value the chain has reached. */
  readonly current: string;
  readonly steps: Step[];
  readonly chain: Chain;
  /** Every node of the graph, and this one's index: a pattern of several nodes reads ahead. */
  readonly nodes: readonly OnnxNode[];
  readonly index: number;
  /** A constant input, read and checked (an initializer). */
  read(name: string | undefined, path: string): Weight;
  /** A constant INT64 input (shapes, pads). */
  readInts(name: string | undefined, path: string): number[];
}

/** Reads one node (and, for a pattern, the nodes after it: returns how many more it used). */
type OpReader = (ctx: OpContext) => number | void;

function attrs(node: OnnxNode): Map<string, number> {
  const out = new Map<string, number>();
  for (const a of node.attribute) {
    if (typeof a.name !== "string") continue;
    out.set(a.name, a.type === ONNX_ATTRIBUTE_TYPE.FLOAT ? (a.f ?? 0) : (a.i ?? 0));
  }
  return out;
}

/** An INTS attribute, if present. */
function ints(node: OnnxNode, name: string): number[] | undefined {
  return node.attribute.find((x) => x.name === name)?.ints;
}

/** A STRING attribute, if present. */
function text(node: OnnxNode, name: string): string | undefined {
  const a = node.attribute.find((x) => x.name === name);
  if (a === undefined) return undefined;
  return a.s ? new TextDecoder().decode(a.s) : "";
}

/** Refuses attributes a reader does not know: ignored, they could change what the op computes. */
function checkAttributes({ node, loc, path }: OpContext, known: readonly string[]): void {
  for (const a of node.attribute ?? []) {
    if (typeof a.name === "string" && known.includes(a.name)) continue;
    throw invalidFile(loc, `${path}.attribute`, `attribute ${JSON.stringify(a.name)} is not supported (expected only ${known.join(", ") || "none"})`);
  }
}

/** A list attribute of `length` integers ≥ `min` (and at most MAX_WIDTH), or the default. */
function intList(ctx: OpContext, name: string, length: number, min: number, fallback: readonly number[]): number[] {
  const v = ints(ctx.node, name);
  if (v === undefined) return [...fallback];
  if (v.length !== length || !v.every((d) => Number.isSafeInteger(d) && d >= min && d <= MAX_WIDTH)) {
    throw invalidFile(ctx.loc, `${ctx.path}.attribute.${name}`, `expected ${length} integers in [${min}, ${MAX_WIDTH}] (got ${JSON.stringify(v).slice(0, 80)})`);
  }
  return v;
}

/** Only explicit pads: `auto_pad` other than NOTSET would need the runtime's own rule. */
function noAutoPad(ctx: OpContext): void {
  const mode = text(ctx.node, "auto_pad");
  if (mode !== undefined && mode !== "NOTSET" && mode !== "") {
    throw invalidFile(ctx.loc, `${ctx.path}.attribute.auto_pad`, `is not supported (got ${JSON.stringify(mode)}, expected NOTSET and explicit pads)`);
  }
}

/** Ops with outputs we do not compute (MaxPool's indices, BatchNormalization's training statistics). */
function oneOutput(ctx: OpContext): void {
  if ((ctx.node.output ?? []).slice(1).some((o) => o !== "")) {
    throw invalidFile(ctx.loc, `${ctx.path}.output`, `has ${ctx.node.output?.length} outputs (expected 1: the inference form)`);
  }
}

/**
 * A float attribute as the decimal it was before it was rounded to float32 (ONNX stores ε as a
 * float): 0.0010000000474974513 reads back as 0.001, so a round trip keeps the configured value.
 */
function shortestFloat32(v: number): number {
  if (Math.fround(v) !== v) return v;
  for (let p = 1; p <= 9; p++) {
    const d = Number(v.toPrecision(p));
    if (Math.fround(d) === v) return d;
  }
  return v;
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
  Softmax: ({ opset, chain, loc, path }, a) => {
    const axis = a.get("axis") ?? (opset >= 13 ? -1 : 1);
    const sampleRank = chain.shape?.length ?? 1;
    // Channels-first (after a Conv), the features are on axis 1; opset 13 normalises that axis alone.
    if (chain.layout === "channelsFirst" && sampleRank > 1) {
      if (opset < 13 || axis !== 1) {
        throw invalidFile(loc, `${path}.attribute.axis`, `Softmax over this axis is not supported (got ${axis} at opset ${opset}, expected 1, the channels, at opset ≥ 13)`);
      }
      return "softmax";
    }
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
  // clip(alpha·x + beta, 0, 1): ours with alpha 1/6 and beta 0.5 (its own arithmetic, (x + 3)/6),
  // else a hardSigmoid with that slope and offset (ONNX's defaults are Keras 2's 0.2 and 0.5).
  HardSigmoid: ({ loc, path }, a) => {
    const alpha = a.get("alpha") ?? f32(0.2);
    const beta = a.get("beta") ?? 0.5;
    if (alpha === f32(1 / 6) && beta === 0.5) return "hardSigmoid";
    if (!(alpha > 0 && Number.isFinite(alpha) && Number.isFinite(beta))) {
      throw invalidFile(loc, `${path}.attribute`, `HardSigmoid is supported with a finite alpha > 0 and a finite beta (got alpha ${alpha}, beta ${beta})`);
    }
    return { name: "hardSigmoid", config: { slope: shortestFloat32(alpha), offset: shortestFloat32(beta) } };
  },
};

function readActivation(ctx: OpContext): void {
  const act = (ACTIVATION_OPS[ctx.node.opType as string] as (typeof ACTIVATION_OPS)[string])(ctx, attrs(ctx.node));
  if (act === "skip") return;
  const last = ctx.steps[ctx.steps.length - 1];
  if (last?.kind === "dense" && last.spec.activation === undefined) last.spec.activation = act;
  else if (last?.kind === "layer" && last.spec.takesActivation && last.spec.activation === undefined) last.spec.activation = act;
  else ctx.steps.push({ kind: "activation", activation: act });
}

function readDense(ctx: OpContext): void {
  const { node, path, loc, steps, read, chain } = ctx;
  channelsLast(ctx);
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
  const width = currentWidth(ctx);
  if (width !== undefined && width !== rows) {
    throw invalidFile(loc, `${path}.input[1]`, `takes another number of inputs than the layer before gives (got ${rows}, expected ${width})`);
  }
  steps.push({ kind: "dense", spec, path });
  if (chain.shape !== undefined) chain.shape = [...chain.shape.slice(0, -1), cols];
}

/** The feature width the chain gives: the last axis of its shape, else what a layer fixed. */
function currentWidth({ chain, steps }: OpContext): number | undefined {
  return chain.shape !== undefined ? chain.shape[chain.shape.length - 1] : outputWidth(steps);
}

/** Refuses a channels-first value where a layer reads the features last (Dense, Flatten, …). */
function channelsLast({ chain, loc, path }: OpContext): void {
  const r = chain.shape?.length ?? 1;
  if (chain.layout === "channelsFirst" && r > 1) {
    throw invalidFile(loc, `${path}.input[0]`, `reads a channels-first value (expected a Transpose with perm ${JSON.stringify(transposeTo("channelsLast", r))} before it, back to our NHWC order)`);
  }
}

/** The `[height, width, channels]` of a channels-first image, for Conv, pools and Pad. */
function imageInput({ chain, loc, path, node }: OpContext, layout: Layout | "any" = "channelsFirst"): readonly [number, number, number] {
  const shape = chain.shape;
  if (shape === undefined) {
    throw invalidFile(loc, path, `${node.opType} needs the graph input's shape (expected the input to declare [batch, height, width, channels])`);
  }
  if (shape.length !== 3) {
    throw invalidFile(loc, path, `${node.opType} needs images (got samples of shape ${formatShape(shape)}, expected [height, width, channels])`);
  }
  if (layout !== "any" && chain.layout !== layout) {
    throw invalidFile(loc, `${path}.input[0]`, `${node.opType} reads NCHW (expected a Transpose with perm [0, 3, 1, 2] before it: the graph's input is NHWC, as modelToOnnx writes it)`);
  }
  return shape as [number, number, number];
}

/** Adds a layer and moves the shape on through it (its `computeOutputShape` checks the input). */
function pushLayer(ctx: OpContext, spec: Omit<LayerSpec, "activation">): void {
  const full: LayerSpec = { ...spec, activation: undefined };
  const shape = ctx.chain.shape;
  if (shape !== undefined) ctx.chain.shape = at(ctx.loc, ctx.path, () => full.create(undefined).computeOutputShape(shape)).slice();
  ctx.steps.push({ kind: "layer", spec: full, path: ctx.path });
}

/** A per-channel constant of exactly `width` values. */
function vector(ctx: OpContext, input: number, width: number, what: string): Weight {
  const w = ctx.read(ctx.node.input?.[input], `${ctx.path}.input[${input}]`);
  if (w.data.length !== width) throw invalidFile(ctx.loc, `${ctx.path}.input[${input}]`, `${what} has the wrong length (got ${w.data.length} values, expected ${width})`);
  return w;
}

/**
 * Ours, for ONNX pads: `"valid"` or `"same"` when the pads are exactly what our (TensorFlow's)
 * rule gives for this input, else undefined.
 */
function paddingFor(input: Shape, kernelSize: readonly [number, number], strides: number[], dilation: number[], pads: number[]): "valid" | "same" | undefined {
  for (const padding of ["valid", "same"] as const) {
    try {
      const g = convGeometry({ inputShape: input, kernelSize, strides: [strides[0] as number, strides[1] as number], dilation: [dilation[0] as number, dilation[1] as number], padding });
      if (sameShape(explicitPads(g), pads)) return padding;
    } catch {
      // NOTE: the window does not fit this input without padding: not "valid", maybe "same".
    }
  }
  return undefined;
}

function readConv(ctx: OpContext): void {
  checkAttributes(ctx, ["auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"]);
  noAutoPad(ctx);
  const [h, w, c] = imageInput(ctx);
  const a = attrs(ctx.node);
  if ((a.get("group") ?? 1) !== 1) throw invalidFile(ctx.loc, `${ctx.path}.attribute.group`, `grouped convolutions are not supported (got ${a.get("group")}, expected 1)`);
  const weight = ctx.read(ctx.node.input?.[1], `${ctx.path}.input[1]`);
  const [cout, cin, kh, kw] = weight.dims as [number, number, number, number];
  if (weight.dims.length !== 4 || cin !== c || cout < 1 || kh < 1 || kw < 1) {
    throw invalidFile(ctx.loc, `${ctx.path}.input[1]`, `weight has the wrong shape (got ${formatShape(weight.dims)}, expected [filters, ${c}, kh, kw])`);
  }
  const kernelShape = intList(ctx, "kernel_shape", 2, 1, [kh, kw]);
  if (kernelShape[0] !== kh || kernelShape[1] !== kw) throw invalidFile(ctx.loc, `${ctx.path}.attribute.kernel_shape`, `disagrees with the weight (got ${formatShape(kernelShape)}, expected [${kh}, ${kw}])`);
  const strides = intList(ctx, "strides", 2, 1, [1, 1]);
  const dilations = intList(ctx, "dilations", 2, 1, [1, 1]);
  const pads = intList(ctx, "pads", 4, 0, [0, 0, 0, 0]);
  const bias = ctx.node.input?.[2] ? vector(ctx, 2, cout, "bias") : undefined;
  let padding = paddingFor([h, w, c], [kh, kw], strides, dilations, pads);
  if (padding === undefined) {
    // Other pads are zeros around the input, then a "valid" convolution: a ZeroPadding2D first.
    const [top, left, bottom, right] = pads as [number, number, number, number];
    pushLayer(ctx, { create: () => new ZeroPadding2D({ padding: [[top, bottom], [left, right]] }), params: [], takesActivation: false });
    padding = "valid";
  }
  const kernel = kernelFromOihw(weight.data, kh, kw, cin, cout);
  const config = { filters: cout, kernelSize: [kh, kw] as const, strides: [strides[0], strides[1]] as [number, number], dilationRate: [dilations[0], dilations[1]] as [number, number], padding, useBias: bias !== undefined };
  // Checked here, where the message can name the node (Conv2D refuses strides with dilation, for one).
  at(ctx.loc, ctx.path, () => new Conv2D(config));
  pushLayer(ctx, {
    create: (activation) => new Conv2D({ ...config, ...(activation ? { activation } : {}) }),
    params: [{ shape: [kh, kw, cin, cout], data: kernel }, ...(bias ? [{ shape: [cout], data: bias.data }] : [])],
    takesActivation: true,
  });
}

function readPool(ctx: OpContext): void {
  const op = ctx.node.opType as "MaxPool" | "AveragePool";
  checkAttributes(ctx, op === "MaxPool" ? ["auto_pad", "ceil_mode", "dilations", "kernel_shape", "pads", "storage_order", "strides"] : ["auto_pad", "ceil_mode", "count_include_pad", "kernel_shape", "pads", "strides"]);
  noAutoPad(ctx);
  oneOutput(ctx);
  const [h, w, c] = imageInput(ctx);
  const a = attrs(ctx.node);
  if ((a.get("ceil_mode") ?? 0) !== 0) throw invalidFile(ctx.loc, `${ctx.path}.attribute.ceil_mode`, `is not supported (got ${a.get("ceil_mode")}, expected 0)`);
  if (!(ints(ctx.node, "kernel_shape")?.length)) throw invalidFile(ctx.loc, `${ctx.path}.attribute.kernel_shape`, "is missing (expected [height, width])");
  const kernel = intList(ctx, "kernel_shape", 2, 1, []);
  const strides = intList(ctx, "strides", 2, 1, [1, 1]);
  if (!intList(ctx, "dilations", 2, 1, [1, 1]).every((d) => d === 1)) throw invalidFile(ctx.loc, `${ctx.path}.attribute.dilations`, "dilated pooling is not supported (expected [1, 1])");
  const pads = intList(ctx, "pads", 4, 0, [0, 0, 0, 0]);
  const poolSize = [kernel[0], kernel[1]] as [number, number];
  const padding = paddingFor([h, w, c], poolSize, strides, [1, 1], pads);
  if (padding === undefined) {
    throw invalidFile(ctx.loc, `${ctx.path}.attribute.pads`, `are neither "valid" nor "same" padding for this input (got ${formatShape(pads)} on ${h}×${w})`);
  }
  // Padded cells must not count in an average (ours, TensorFlow's); without padding it does not matter.
  if (op === "AveragePool" && (a.get("count_include_pad") ?? 0) !== 0 && pads.some((p) => p > 0)) {
    throw invalidFile(ctx.loc, `${ctx.path}.attribute.count_include_pad`, "is not supported with padding (got 1, expected 0: padded cells are not counted)");
  }
  const config = { poolSize, strides: [strides[0], strides[1]] as [number, number], padding };
  pushLayer(ctx, { create: () => (op === "MaxPool" ? new MaxPooling2D(config) : new AveragePooling2D(config)), params: [], takesActivation: false });
}

function readGlobalPool(ctx: OpContext): void {
  checkAttributes(ctx, []);
  imageInput(ctx);
  const max = ctx.node.opType === "GlobalMaxPool";
  pushLayer(ctx, { create: () => (max ? new GlobalMaxPooling2D() : new GlobalAveragePooling2D()), params: [], takesActivation: false });
  ctx.chain.pooled = true;
}

/**
 * A normalisation's axis: -1 or the number of the last one (the sample rank; ONNX counts the
 * batch axis as 0).
 */
function lastAxis(ctx: OpContext, axes: readonly number[] | undefined): void {
  const r = ctx.chain.shape?.length;
  if (axes !== undefined && (axes.length !== 1 || !(axes[0] === -1 || axes[0] === r))) {
    throw invalidFile(ctx.loc, `${ctx.path}.attribute`, `normalises other axes than the last (got ${JSON.stringify(axes)}, expected [-1]${r === undefined ? "" : ` or [${r}]`})`);
  }
}

/**
 * Our export of LayerNormalization at opset 13: ReduceMean, Sub, Mul, ReduceMean, Add ε, Sqrt,
 * Div, then Mul γ and Add β when the layer has them. Returns how many nodes after this one it used.
 */
function readComposedLayerNorm(ctx: OpContext): number {
  const { nodes, index, loc, path, current: x } = ctx;
  channelsLast(ctx);
  const fail = (problem: string): never => {
    throw invalidFile(loc, path, `ReduceMean is supported only as the start of a layer normalization (ReduceMean, Sub, Mul, ReduceMean, Add, Sqrt, Div, then Mul γ, Add β): ${problem}`);
  };
  const expectNode = (k: number, op: string, inputs: (string | undefined)[]): OnnxNode => {
    const node = nodes[index + k];
    const ins = node?.input ?? [];
    const sameInputs = ins.length === inputs.length && inputs.every((name, i) => name === undefined || ins[i] === name);
    if (node?.opType !== op || !sameInputs) fail(`node ${index + k} is not ${op}(${inputs.map((n) => n ?? "constant").join(", ")})`);
    return node as OnnxNode;
  };
  const out = (node: OnnxNode) => node.output?.[0] ?? "";
  const reduce = (node: OnnxNode) => {
    lastAxis({ ...ctx, node }, ints(node, "axes"));
    if ((attrs(node).get("keepdims") ?? 1) !== 1 || (node.attribute ?? []).some((a) => a.name !== "axes" && a.name !== "keepdims")) fail("a ReduceMean does not keep the reduced axis");
  };
  const mean = expectNode(0, "ReduceMean", [x]);
  reduce(mean);
  const centred = expectNode(1, "Sub", [x, out(mean)]);
  const squared = expectNode(2, "Mul", [out(centred), out(centred)]);
  const variance = expectNode(3, "ReduceMean", [out(squared)]);
  reduce(variance);
  const plus = expectNode(4, "Add", [out(variance), undefined]);
  const eps = ctx.read(plus.input?.[1], `graph.node[${index + 4}] (Add).input[1]`);
  if (eps.data.length !== 1 || !((eps.data[0] as number) >= 0)) fail(`ε is not one number ≥ 0 (got ${eps.data.length} values)`);
  const std = expectNode(5, "Sqrt", [out(plus)]);
  let y = expectNode(6, "Div", [out(centred), out(std)]);
  let used = 6;
  const width = currentWidth(ctx);
  const affine = (op: "Mul" | "Add"): Weight | undefined => {
    const next = nodes[index + used + 1];
    if (next?.opType !== op || next.input?.[0] !== out(y) || next.input.length !== 2) return undefined;
    const w = ctx.read(next.input[1], `graph.node[${index + used + 1}] (${op}).input[1]`);
    if (width !== undefined && w.data.length !== width) fail(`${op === "Mul" ? "γ" : "β"} has ${w.data.length} values (expected ${width})`);
    used++;
    y = next;
    return w;
  };
  const gamma = affine("Mul");
  const beta = affine("Add");
  const d = width ?? gamma?.data.length ?? beta?.data.length;
  if (d === undefined) fail("the number of features is unknown (expected the graph input to declare its shape)");
  const config = { epsilon: shortestFloat32(eps.data[0] as number), scale: gamma !== undefined, center: beta !== undefined };
  pushLayer(ctx, {
    create: () => new LayerNormalization(config),
    params: [gamma, beta].filter((w): w is Weight => w !== undefined).map((w) => ({ shape: [d as number], data: w.data })),
    takesActivation: false,
  });
  return used;
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
    channelsLast(ctx);
    const mean = ctx.read(ctx.node.input?.[1], `${ctx.path}.input[1]`);
    const width = currentWidth(ctx) ?? mean.data.length;
    ctx.steps.push({ kind: "normalization", spec: { mean: broadcastVector(mean, width, ctx.loc, `${ctx.path}.input[1]`, "mean"), std: undefined }, path: ctx.path });
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
  // NHWC ↔ NCHW around the convolutions and pools, as modelToOnnx writes them; no layer.
  Transpose: (ctx) => {
    checkAttributes(ctx, ["perm"]);
    const r = ctx.chain.shape?.length;
    const perm = ints(ctx.node, "perm") ?? [];
    if (r === undefined || r < 2) throw invalidFile(ctx.loc, ctx.path, "Transpose needs samples of several axes, declared by the graph input");
    const to: Layout = ctx.chain.layout === "channelsLast" ? "channelsFirst" : "channelsLast";
    if (!sameShape(perm, transposeTo(to, r))) {
      throw invalidFile(ctx.loc, `${ctx.path}.attribute.perm`, `only moves the channels between last and axis 1 are supported (got ${JSON.stringify(perm).slice(0, 80)}, expected ${JSON.stringify(transposeTo(to, r))})`);
    }
    ctx.chain.layout = to;
  },
  Conv: readConv,
  MaxPool: readPool,
  AveragePool: readPool,
  GlobalAveragePool: readGlobalPool,
  GlobalMaxPool: readGlobalPool,
  // Inference batch normalisation over the channels (axis 1): our BatchNormalization, which has
  // the same four vectors and ε inside the square root.
  BatchNormalization: (ctx) => {
    checkAttributes(ctx, ["epsilon", "momentum", "training_mode", "spatial"]);
    oneOutput(ctx);
    const a = attrs(ctx.node);
    if ((a.get("training_mode") ?? 0) !== 0 || (a.get("spatial") ?? 1) !== 1) {
      throw invalidFile(ctx.loc, `${ctx.path}.attribute`, "only the inference form is supported (expected training_mode 0, spatial 1)");
    }
    const r = ctx.chain.shape?.length ?? 1;
    if (r > 1 && ctx.chain.layout !== "channelsFirst") {
      throw invalidFile(ctx.loc, `${ctx.path}.input[0]`, `BatchNormalization reads the channels on axis 1 (expected a Transpose with perm ${JSON.stringify(transposeTo("channelsFirst", r))} before it)`);
    }
    const scale = ctx.read(ctx.node.input?.[1], `${ctx.path}.input[1]`);
    const c = currentWidth(ctx) ?? scale.data.length;
    const [gamma, beta, mean, variance] = [1, 2, 3, 4].map((i) => vector(ctx, i, c, ["scale", "bias", "mean", "variance"][i - 1] as string)) as [Weight, Weight, Weight, Weight];
    const bad = variance.data.findIndex((v) => !(v >= 0));
    if (bad >= 0) throw invalidFile(ctx.loc, `${ctx.path}.input[4]`, `variance ${bad} is negative (got ${variance.data[bad]}, expected ≥ 0)`);
    const config = { epsilon: shortestFloat32(a.get("epsilon") ?? 1e-5), momentum: shortestFloat32(a.get("momentum") ?? 0.9) };
    at(ctx.loc, ctx.path, () => new BatchNormalization(config));
    pushLayer(ctx, {
      create: () => new BatchNormalization(config),
      params: [gamma, beta, mean, variance].map((w) => ({ shape: [c], data: w.data })),
      takesActivation: false,
    });
  },
  // Zeros on the height and width axes, wherever the layout has them: a ZeroPadding2D.
  Pad: (ctx) => {
    checkAttributes(ctx, ["mode", "pads", "value"]);
    const mode = text(ctx.node, "mode");
    if (mode !== undefined && mode !== "constant") throw invalidFile(ctx.loc, `${ctx.path}.attribute.mode`, `is not supported (got ${JSON.stringify(mode)}, expected "constant")`);
    imageInput(ctx, "any");
    const inputs = ctx.node.input ?? [];
    if (inputs[3]) throw invalidFile(ctx.loc, `${ctx.path}.input[3]`, "Pad with axes is not supported (expected pads for every axis)");
    const value = inputs[2] ? ctx.read(inputs[2], `${ctx.path}.input[2]`).data : [attrs(ctx.node).get("value") ?? 0];
    if (value.length !== 1 || value[0] !== 0) throw invalidFile(ctx.loc, `${ctx.path}.input[2]`, `pads with another value than 0 (got ${Array.from(value).slice(0, 4).join(", ")}, expected 0)`);
    const pads = inputs[1] ? ctx.readInts(inputs[1], `${ctx.path}.input[1]`) : (ints(ctx.node, "pads") ?? []);
    const first = ctx.chain.layout === "channelsFirst";
    // [batch, C, H, W] or [batch, H, W, C]: where the height and width are, begins then ends.
    const [hAxis, wAxis] = first ? [2, 3] : [1, 2];
    const ok = pads.length === 8 && pads.every((p, i) => Number.isSafeInteger(p) && p >= 0 && p <= MAX_WIDTH && (p === 0 || [hAxis, wAxis].includes(i % 4)));
    if (!ok) {
      throw invalidFile(ctx.loc, `${ctx.path}.input[1]`, `pads ${JSON.stringify(pads).slice(0, 80)} are not zero padding of height and width (expected 8 integers ≥ 0, 0 for the batch and channels)`);
    }
    const padding = [[pads[hAxis], pads[hAxis + 4]], [pads[wAxis], pads[wAxis + 4]]] as [[number, number], [number, number]];
    pushLayer(ctx, { create: () => new ZeroPadding2D({ padding }), params: [], takesActivation: false });
  },
  // Row-major over our layout (channels last); after a global pool it only drops the 1×1 axes.
  Flatten: (ctx) => {
    checkAttributes(ctx, ["axis"]);
    const axis = attrs(ctx.node).get("axis") ?? 1;
    if (axis !== 1) throw invalidFile(ctx.loc, `${ctx.path}.attribute.axis`, `is not supported (got ${axis}, expected 1: the batch axis stays)`);
    if (ctx.chain.pooled) {
      ctx.chain.pooled = false;
      return;
    }
    const shape = ctx.chain.shape;
    if (shape === undefined) throw invalidFile(ctx.loc, ctx.path, "Flatten needs the graph input's shape (expected the input to declare it)");
    if (shape.length <= 1) return;
    channelsLast(ctx);
    pushLayer(ctx, { create: () => new Flatten(), params: [], takesActivation: false });
  },
  Reshape: (ctx) => {
    checkAttributes(ctx, ["allowzero"]);
    if ((attrs(ctx.node).get("allowzero") ?? 0) !== 0) throw invalidFile(ctx.loc, `${ctx.path}.attribute.allowzero`, "is not supported (expected 0)");
    const shape = ctx.chain.shape;
    if (shape === undefined) throw invalidFile(ctx.loc, ctx.path, "Reshape needs the graph input's shape (expected the input to declare it)");
    channelsLast(ctx);
    const dims = ctx.readInts(ctx.node.input?.[1], `${ctx.path}.input[1]`);
    const [batch, ...rest] = dims;
    // 0 copies the input's axis (the batch, here); -1 for the batch is fine when the rest is fixed.
    const target = rest.map((d, i) => (d === 0 ? (shape[i] ?? -2) : d));
    const ok = (batch === 0 || (batch === -1 && !target.includes(-1))) && target.length >= 1 && target.length <= 8 &&
      target.every((d) => d === -1 || (Number.isSafeInteger(d) && d >= 1 && d <= MAX_WIDTH));
    if (!ok) throw invalidFile(ctx.loc, `${ctx.path}.input[1]`, `shape ${JSON.stringify(dims).slice(0, 80)} is not supported (expected [0 or -1 for the batch, …per-sample axes])`);
    pushLayer(ctx, { create: () => new Reshape({ targetShape: target }), params: [], takesActivation: false });
  },
  ReduceMean: readComposedLayerNorm,
  // opset 17's op: γ and (optionally) β over the last axis.
  LayerNormalization: (ctx) => {
    checkAttributes(ctx, ["axis", "epsilon", "stash_type"]);
    oneOutput(ctx);
    channelsLast(ctx);
    const a = attrs(ctx.node);
    lastAxis(ctx, [a.get("axis") ?? -1]);
    const scale = ctx.read(ctx.node.input?.[1], `${ctx.path}.input[1]`);
    const d = currentWidth(ctx) ?? scale.data.length;
    const gamma = vector(ctx, 1, d, "scale");
    const beta = ctx.node.input?.[2] ? vector(ctx, 2, d, "bias") : undefined;
    const config = { epsilon: shortestFloat32(a.get("epsilon") ?? 1e-5), center: beta !== undefined };
    pushLayer(ctx, {
      create: () => new LayerNormalization(config),
      params: [gamma, ...(beta ? [beta] : [])].map((w) => ({ shape: [d], data: w.data })),
      takesActivation: false,
    });
  },
  ...Object.fromEntries(Object.keys(ACTIVATION_OPS).map((op) => [op, readActivation])),
};

/** ONNX ops the importer reads (activations: single ops; composed ones are not recognised). */
export const ONNX_IMPORT_OPS: readonly string[] = Object.keys(OP_READERS);

function readTensor(t: OnnxTensor, loc: FileLocation, path: string): Weight {
  const dims = t.dims;
  let n = 1;
  for (const d of dims) {
    if (!Number.isSafeInteger(d) || d < 0) throw invalidFile(loc, `${path}.dims`, `invalid dimension ${d}`);
    n *= d;
    if (n > MAX_TENSOR_ELEMENTS) throw invalidFile(loc, `${path}.dims`, `more than ${MAX_TENSOR_ELEMENTS} elements`);
  }
  if (t.dataLocation === ONNX_DATA_LOCATION.EXTERNAL) {
    throw invalidFile(loc, `${path}.dataLocation`, "external data is not supported (expected the weights inside the file)");
  }
  const type = t.dataType ?? 0;
  const size = type === ONNX_DATA_TYPE.FLOAT ? 4 : type === ONNX_DATA_TYPE.DOUBLE ? 8 : 0;
  if (size === 0) throw invalidFile(loc, `${path}.dataType`, `element type ${type} is not supported (expected FLOAT = 1 or DOUBLE = 11)`);
  const dtype: DType = size === 4 ? "float32" : "float64";
  const raw = t.rawData;
  const values = size === 4 ? t.floatData : t.doubleData;
  // NOTE: lengths are checked against the bytes actually present before anything is allocated.
  if (raw && raw.length > 0) {
    if (raw.length !== n * size) throw invalidFile(loc, `${path}.rawData`, `has ${raw.length} bytes (expected ${n} × ${size})`);
  } else if (values.length !== n) {
    throw invalidFile(loc, path, `has ${values.length} values (expected ${n})`);
  }
  const Float = size === 4 ? Float32Array : Float64Array;
  let data: FloatArray;
  if (raw && raw.length > 0) {
    // The file's bytes are the values (little-endian): a view where aligned, else one native copy.
    // NOTE: new Uint8Array(raw) copies (a Buffer's slice() would not).
    if (LITTLE_ENDIAN) data = raw.byteOffset % size === 0 ? new Float(raw.buffer as ArrayBuffer, raw.byteOffset, n) : new Float(new Uint8Array(raw).buffer, 0, n);
    else {
      data = new Float(n);
      const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
      for (let i = 0; i < n; i++) data[i] = size === 4 ? view.getFloat32(i * 4, true) : view.getFloat64(i * 8, true);
    }
  } else {
    data = values;
  }
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(data[i])) throw invalidFile(loc, path, `value ${i} is not finite`);
  }
  return { dims, data, dtype };
}

/** The graph input's per-sample shape (`[batch, …]` without the batch), when every axis is a number. */
function declaredSampleShape(dims: readonly OnnxDimension[] | undefined): number[] | undefined {
  if (!dims || dims.length < 2) return undefined;
  const sample = dims.slice(1).map((d) => d.dimValue ?? 0);
  return sample.every((d) => Number.isSafeInteger(d) && d >= 1 && d <= MAX_WIDTH) && sample.length <= 8 ? sample : undefined;
}

/** An INT64 initializer's values (shapes, pads), checked to be safe integers. */
function readInt64s(t: OnnxTensor, loc: FileLocation, path: string): number[] {
  if (t.dataType !== ONNX_DATA_TYPE.INT64) throw invalidFile(loc, `${path}.dataType`, `must be INT64 = 7 (got ${t.dataType})`);
  const dims = t.dims;
  if (dims.length > 1 || !dims.every((d) => Number.isSafeInteger(d) && d >= 0 && d <= 64)) throw invalidFile(loc, `${path}.dims`, `expected a list of at most 64 integers (got dims ${JSON.stringify(dims).slice(0, 80)})`);
  const n = dims.length === 0 ? 1 : (dims[0] as number);
  const raw = t.rawData;
  let values: number[];
  if (raw && raw.length > 0) {
    if (raw.length !== n * 8) throw invalidFile(loc, `${path}.rawData`, `has ${raw.length} bytes (expected ${n} × 8)`);
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    values = Array.from({ length: n }, (_, i) => Number(view.getBigInt64(i * 8, true)));
  } else {
    values = t.int64Data;
    if (values.length !== n) throw invalidFile(loc, path, `has ${values.length} values (expected ${n})`);
  }
  if (!values.every((v) => Number.isSafeInteger(v))) throw invalidFile(loc, path, "holds an integer beyond 2^53");
  return values;
}

/**
 * Reads an ONNX model that is a chain of layers into a Sequential: FLOAT weights give a float32
 * model, DOUBLE a float64 one. One entry of a table per op type:
 * - `Gemm` (or `MatMul` then `Add`) → Dense, `Gemm` with `transB = 1` (PyTorch's out×in layout)
 *   transposed; single-op activations (`Relu`, `Sigmoid`, `Tanh`, `Softmax`, `LeakyRelu`, `Elu`,
 *   `Selu`, `Softplus`, `Softsign`, `Sin`, `HardSigmoid`) join the layer before them;
 * - `Sub(x, mean)` + `Div(·, std)` → Normalization;
 * - what {@link modelToOnnx} writes for convolutional networks: `Transpose` between NHWC and NCHW
 *   (followed, no layer), `Conv` (pads that are not our "valid" or "same" become a ZeroPadding2D
 *   first), `MaxPool` / `AveragePool` ("valid" or "same" pads only), `GlobalAveragePool` /
 *   `GlobalMaxPool` + `Flatten`, `BatchNormalization` (inference), `Pad` (zeros), `Flatten`,
 *   `Reshape`, `LayerNormalization` (opset 17) and its composed opset-13 form.
 *
 * Images need the graph input to declare its shape, NHWC (`[batch, height, width, channels]`).
 * The per-sample input shape is the graph input's when it declares one, else the first layer's
 * width. Every weight is checked against the layers' `paramShapes` before the model is built.
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
  const proto = decodeOnnxModel(bytes, loc);
  const graph = proto.graph;
  if (!graph) throw invalidFile(loc, "graph", "missing: not an ONNX model");
  const opset = Math.max(1, ...proto.opsetImport.filter((o) => !o.domain).map((o) => o.version ?? 0));
  const weights = new Map<string, OnnxTensor>();
  graph.initializer.forEach((t, i) => {
    if (typeof t.name !== "string" || weights.has(t.name)) throw invalidFile(loc, `graph.initializer[${i}].name`, "missing or repeated");
    weights.set(t.name, t);
  });
  const dtypes = new Set<DType>();
  const initializer = (name: string | undefined, path: string): OnnxTensor => {
    const t = name === undefined ? undefined : weights.get(name);
    if (!t) throw invalidFile(loc, path, `input ${JSON.stringify(name)} is not an initializer (only constant weights are supported)`);
    return t;
  };
  const read = (name: string | undefined, path: string): Weight => {
    const w = readTensor(initializer(name, path), loc, `graph.initializer["${name}"]`);
    dtypes.add(w.dtype);
    return w;
  };
  const readInts = (name: string | undefined, path: string): number[] => readInt64s(initializer(name, path), loc, `graph.initializer["${name}"]`);
  const realInputs = graph.input.filter((i) => !weights.has(i.name ?? ""));
  if (realInputs.length !== 1) throw invalidFile(loc, "graph.input", `has ${realInputs.length} non-constant inputs (expected 1)`);
  const declared = declaredSampleShape(realInputs[0]?.type?.tensorType?.shape?.dim);
  let current = realInputs[0]?.name ?? "";
  const steps: Step[] = [];
  const chain: Chain = { shape: declared, layout: "channelsLast", pooled: false };
  const nodes = graph.node;
  // NOTE: recurrent models export (modelToOnnx) but do not read back: say so at the op, not at the
  // Transpose before it.
  const recurrent = nodes.findIndex((node) => node.opType === "LSTM" || node.opType === "GRU" || node.opType === "RNN");
  if (recurrent >= 0) {
    const op = nodes[recurrent]?.opType as string;
    throw invalidFile(loc, `graph.node[${recurrent}] (${op}).opType`, `operator "${op}" is not supported: recurrent models are exported to ONNX, not read back (supported: ${ONNX_IMPORT_OPS.join(", ")})`, "load the model from its native file (JSON or safetensors) or from TF.js");
  }
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
    if (chain.pooled && node.opType !== "Flatten") {
      throw invalidFile(loc, path, `follows a global pool, whose [batch, channels, 1, 1] output we read only through a Flatten (got ${node.opType}, expected Flatten)`);
    }
    n += reader({ node, path, loc, opset, current, steps, chain, nodes, index: n, read, readInts }) ?? 0;
    current = nodes[n]?.output?.[0] ?? "";
    // One axis per sample: both layouts are the same tensor.
    if ((chain.shape?.length ?? 1) <= 1 && !chain.pooled) chain.layout = "channelsLast";
  }
  if (chain.pooled) throw invalidFile(loc, "graph.node", "ends on a global pool (expected a Flatten after it, as ours gives [batch, channels])");
  if (chain.layout === "channelsFirst") throw invalidFile(loc, "graph.output", "is channels-first (expected a Transpose back to NHWC before the output, as predict gives)");
  const open = steps.findIndex((s) => s.kind === "normalization" && s.spec.std === undefined);
  if (open >= 0) throw invalidFile(loc, "graph.node", "a Sub is not followed by the Div of a normalization");
  const first = steps.find((s) => s.kind !== "activation");
  if (!first) throw invalidFile(loc, "graph.node", "has no Gemm, MatMul, Conv or normalization layer");
  if (dtypes.size !== 1) throw invalidFile(loc, "graph.initializer", "mixes FLOAT and DOUBLE weights");
  const dtype = [...dtypes][0] as DType;
  const output = graph.output?.[0]?.name;
  if (output !== current) throw invalidFile(loc, "graph.output", `is ${JSON.stringify(output)} but the chain ends at "${current}"`);
  let inputShape: Shape;
  if (first.kind === "layer") {
    if (declared === undefined) throw invalidFile(loc, "graph.input", "declares no shape (expected [batch, …per-sample axes], which the first layer needs)");
    inputShape = declared;
  } else {
    const firstWidth = first.kind === "dense" ? first.spec.rows : first.kind === "normalization" ? first.spec.mean.length : 0;
    inputShape = declared !== undefined && declared[declared.length - 1] === firstWidth ? declared : [firstWidth];
  }
  const layers: Layer[] = steps.map((s) => {
    if (s.kind === "dense") {
      return new Dense({ units: s.spec.cols, useBias: s.spec.bias !== undefined, ...(s.spec.activation ? { activation: s.spec.activation } : {}) });
    }
    if (s.kind === "normalization") return new Normalization({});
    if (s.kind === "layer") return at(loc, s.path ?? "graph.node", () => s.spec.create(s.spec.activation));
    return new ActivationLayer({ activation: s.activation });
  });
  // Every value we give against the layers' paramShapes, with the shapes flowing from the input,
  // before a single weight is allocated.
  const supplied = steps.flatMap((s): { shape: readonly number[]; data: ArrayLike<number> }[] => {
    if (s.kind === "dense") {
      return [{ shape: [s.spec.rows, s.spec.cols], data: s.spec.kernel }, ...(s.spec.bias ? [{ shape: [s.spec.cols], data: s.spec.bias }] : [])];
    }
    if (s.kind === "normalization") {
      const d = s.spec.mean.length;
      return [{ shape: [d], data: s.spec.mean }, { shape: [d], data: (s.spec.std as FloatArray).map((v) => v * v) }];
    }
    return s.kind === "layer" ? [...s.spec.params] : [];
  });
  const layerPath = (i: number) => steps[i]?.path ?? "graph.node";
  let k = 0;
  const flow = expectedParams(layers, inputShape, loc, layerPath, (own, input) => {
    for (const e of own) {
      const w = supplied[k++];
      if (w === undefined || !sameShape(w.shape, e.shape)) {
        throw invalidFile(loc, layerPath(e.layer), `weights do not fit the layer on inputs ${formatShape(input)} (got ${w === undefined ? "none" : formatShape(w.shape)}, expected ${formatShape(e.shape)})`);
      }
    }
  });
  if (supplied.length !== flow.params.length) throw invalidFile(loc, "graph.initializer", `has weights the layers do not use (got ${supplied.length}, expected ${flow.params.length})`);
  checkSampleSizes(flow, loc, layerPath);
  const model = at(loc, "graph", () => new Sequential(layers, { dtype, name: graph.name || "onnx" }).build(inputShape));
  model.params().forEach((p, i) => p.value.data.set((supplied[i] as (typeof supplied)[number]).data));
  return model;
}

/** A per-feature constant: `width` values, or one value for all (ONNX broadcasting). */
function broadcastVector(w: Weight, width: number, loc: FileLocation, path: string, what: string): FloatArray {
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
  const proto = decodeOnnxModel(bytes, loc);
  const entry = proto.metadataProps.find((p) => p.key === "backprop.metadata");
  if (!entry?.value) return {};
  const value = parseJson(entry.value, loc, "metadataProps[\"backprop.metadata\"]");
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new BackpropError("INVALID_FILE", `${loc.file ?? "onnx"}: metadataProps["backprop.metadata"]: must be a JSON object`);
  }
  return value as Record<string, Json>;
}
