import * as v from "valibot";
import type { Activation, ActivationSpec } from "@backprop/activations";
import { BackpropError, formatShape, sameShape, type Json, type JsonObject, type Param, type Shape } from "@backprop/linalg";
import { ActivationLayer, Dense, Dropout, Normalization, Sequential, type Layer } from "@backprop/layers";
import type { LoadOptions } from "./custom-components.js";
import { at, formatPath, invalidFile, type FileLocation } from "./file-error.js";
import { parseJson } from "./safe-json.js";
import { MAX_RANK, MAX_TENSOR_ELEMENTS, MAX_WIDTH } from "./schema.js";
import { checkSampleSizes, expectedParams } from "./shape-flow.js";

/** Options of {@link modelToTfjs}. */
export interface TfjsExportOptions {
  /** Name of the topology file. Default `"model.json"`. */
  readonly jsonFile?: string;
  /** Name of the weights file referenced by the manifest. Default `"model.weights.bin"`. */
  readonly weightsFile?: string;
  /** Stored as `userDefinedMetadata`. */
  readonly metadata?: Readonly<Record<string, Json>>;
}

/** Our activation names and their TensorFlow.js names, where the two functions agree. */
const TO_TFJS: Readonly<Record<string, string>> = {
  identity: "linear", relu: "relu", sigmoid: "sigmoid", tanh: "tanh", softmax: "softmax", selu: "selu",
  softplus: "softplus", softsign: "softsign", relu6: "relu6", silu: "swish", mish: "mish",
};
const FROM_TFJS: Readonly<Record<string, string>> = {
  ...Object.fromEntries(Object.entries(TO_TFJS).map(([ours, theirs]) => [theirs, ours])),
  elu: "elu", swish: "silu", linear: "identity",
};
const encoder = /* @__PURE__ */ new TextEncoder();

function tfjsActivation(act: Activation | undefined, layer: string): { name: string; leakyAlpha?: number } {
  if (act === undefined) return { name: "linear" };
  const { name, config } = act;
  if (name === "leakyRelu") return { name: "linear", leakyAlpha: typeof config["alpha"] === "number" ? config["alpha"] : 0.01 };
  if (name === "elu" && (config["alpha"] ?? 1) === 1) return { name: "elu" };
  const mapped = Object.hasOwn(TO_TFJS, name) ? TO_TFJS[name] : undefined;
  if (mapped === undefined) {
    throw new BackpropError(
      "INVALID_ARGUMENT",
      `modelToTfjs: layer "${layer}" uses the activation "${name}", which TensorFlow.js lacks (supported: ${[...Object.keys(TO_TFJS), "leakyRelu", "elu (alpha 1)"].join(", ")})`,
    );
  }
  return { name: mapped };
}

/** One weight of the TF.js manifest. */
interface TfjsWeight {
  readonly name: string;
  readonly shape: Shape;
  readonly data: ArrayLike<number>;
}

/** What an exporter entry writes for one of our layers: TF.js layers (often one) and their weights. */
interface TfjsLayerOut {
  readonly layers: JsonObject[];
  readonly weights: TfjsWeight[];
}

/** Writes one layer; `name` is a TF.js-safe layer name, `index` gives its parameters' names. */
type TfjsEmitter = (layer: Layer, name: string, index: number) => TfjsLayerOut;

function param(layer: Layer, index: number, local: string): Param | undefined {
  return layer.params().find((p) => p.name === `layers.${index}.${local}`);
}

function requiredParam(layer: Layer, index: number, local: string): Param {
  const p = param(layer, index, local);
  if (p === undefined) {
    throw new BackpropError("INVALID_ARGUMENT", `modelToTfjs: layer "${layer.name}" (${layer.className}) has no parameter "layers.${index}.${local}"`);
  }
  return p;
}

const common = { trainable: true, dtype: "float32" } as const;

/** A standalone activation: TF.js' `Activation`, or `LeakyReLU` (tfjs has no leaky activation function). */
function activationLayer(act: Activation | undefined, name: string, where: string): JsonObject {
  const a = tfjsActivation(act, where);
  return a.leakyAlpha !== undefined
    ? { class_name: "LeakyReLU", config: { name, alpha: a.leakyAlpha, ...common } }
    : { class_name: "Activation", config: { name, activation: a.name, ...common } };
}

/**
 * One entry per layer class (its `className`): a new layer type with a TF.js form adds one line
 * here. Each reads the layer's parameters by name, the way `paramShapes` announces them.
 */
const TFJS_EMITTERS: Readonly<Record<string, TfjsEmitter>> = {
  dense: (layer, name, index) => {
    const act = tfjsActivation(layer.activation, layer.name);
    const kernel = requiredParam(layer, index, "kernel").value;
    const bias = param(layer, index, "bias")?.value;
    const units = kernel.shape[kernel.shape.length - 1] as number;
    const layers: JsonObject[] = [{ class_name: "Dense", config: { name, units, activation: act.name, use_bias: bias !== undefined, ...common } }];
    // TF.js has no leaky activation function: a linear Dense, then a LeakyReLU layer.
    if (act.leakyAlpha !== undefined) layers.push(activationLayer(layer.activation, `${name}_leaky`, layer.name));
    const weights: TfjsWeight[] = [{ name: `${name}/kernel`, shape: kernel.shape, data: kernel.data }];
    if (bias) weights.push({ name: `${name}/bias`, shape: bias.shape, data: bias.data });
    return { layers, weights };
  },
  activation: (layer, name) => ({ layers: [activationLayer(layer.activation, name, layer.name)], weights: [] }),
  dropout: (layer, name) => ({ layers: [{ class_name: "Dropout", config: { name, rate: (layer.getConfig()["rate"] as number | undefined) ?? 0, ...common } }], weights: [] }),
  // TF.js has no Normalization layer. Its BatchNormalization at inference is
  // (x − moving_mean) / √(moving_variance + epsilon) · gamma + beta over the last axis, which with
  // gamma 1, beta 0 and epsilon 0 is ours exactly, kept as a layer of its own: any layer may follow
  // it, the statistics stay readable, and modelFromTfjs reads it back as a Normalization.
  // Not trainable, as ours: the statistics are data, not weights to learn.
  normalization: (layer, name, index) => {
    const mean = requiredParam(layer, index, "mean").value;
    const variance = requiredParam(layer, index, "variance").value;
    const d = mean.size;
    return {
      layers: [{
        class_name: "BatchNormalization",
        config: { name, axis: -1, momentum: 0.99, epsilon: 0, center: true, scale: true, ...common, trainable: false },
      }],
      weights: [
        { name: `${name}/gamma`, shape: [d], data: new Float32Array(d).fill(1) },
        { name: `${name}/beta`, shape: [d], data: new Float32Array(d) },
        { name: `${name}/moving_mean`, shape: [d], data: mean.data },
        { name: `${name}/moving_variance`, shape: [d], data: variance.data },
      ],
    };
  },
};

/**
 * The model in the TensorFlow.js layers format: `model.json` (Keras-style topology plus a weights
 * manifest) and one little-endian float32 weights file, one entry of a table per layer class:
 * - Dense → `Dense` with its kernel in×out, as tfjs expects; a leakyRelu activation becomes a
 *   `LeakyReLU` layer after a linear Dense;
 * - Normalization → `BatchNormalization` (gamma 1, beta 0, epsilon 0, not trainable) holding the
 *   mean and variance as its moving statistics — tfjs has no Normalization layer, and this is the
 *   same function, so the exported model takes raw inputs as `predict` does;
 * - Activation → `Activation` (or `LeakyReLU`); Dropout → `Dropout`.
 *
 * float64 weights are rounded to float32 (the format holds float32 only).
 *
 * @throws BackpropError `NOT_BUILT`; `INVALID_ARGUMENT` for a layer or activation tfjs lacks
 * @example
 * ```ts
 * const files = modelToTfjs(model); // { "model.json": …, "model.weights.bin": … }
 * ```
 */
export function modelToTfjs(model: Sequential, options: TfjsExportOptions = {}): Record<string, Uint8Array> {
  if (!model.built) throw new BackpropError("NOT_BUILT", "modelToTfjs: the model has no weights yet", { hint: "call model.build(inputShape) first" });
  const jsonFile = options.jsonFile ?? "model.json";
  const weightsFile = options.weightsFile ?? "model.weights.bin";
  const layers: JsonObject[] = [];
  const weights: TfjsWeight[] = [];
  const safe = (name: string, i: number) => (/^[A-Za-z][\w.-]*$/.test(name) ? name : `layer_${i}`);
  model.layers.forEach((layer, i) => {
    const emit = Object.hasOwn(TFJS_EMITTERS, layer.className) ? TFJS_EMITTERS[layer.className] : undefined;
    if (emit === undefined) {
      throw new BackpropError(
        "INVALID_ARGUMENT",
        `modelToTfjs: layer "${layer.name}" of type "${layer.className}" has no TensorFlow.js equivalent (supported: ${Object.keys(TFJS_EMITTERS).join(", ")})`,
      );
    }
    const out = emit(layer, safe(layer.name, i), i);
    layers.push(...out.layers);
    weights.push(...out.weights);
  });
  const first = layers[0] as { config: JsonObject };
  first.config = { ...first.config, batch_input_shape: [null, ...(model.inputShape as Shape)] };
  const total = weights.reduce((n, w) => n + w.data.length, 0);
  const bin = new Uint8Array(total * 4);
  const view = new DataView(bin.buffer);
  let pos = 0;
  for (const w of weights) for (let i = 0; i < w.data.length; i++, pos += 4) view.setFloat32(pos, w.data[i] as number, true);
  const modelJson = {
    format: "layers-model",
    generatedBy: "backprop",
    convertedBy: null,
    modelTopology: {
      class_name: "Sequential",
      config: { name: model.name, layers },
      keras_version: "tfjs-layers 4.22.0",
      backend: "tensor_flow.js",
    },
    weightsManifest: [{ paths: [weightsFile], weights: weights.map((w) => ({ name: w.name, shape: [...w.shape], dtype: "float32" })) }],
    ...(options.metadata ? { userDefinedMetadata: options.metadata } : {}),
  };
  return { [jsonFile]: encoder.encode(JSON.stringify(modelJson)), [weightsFile]: bin };
}

const shape = v.array(v.pipe(v.number(), v.safeInteger(), v.minValue(0), v.maxValue(MAX_TENSOR_ELEMENTS)));
const manifest = v.array(
  v.object({
    paths: v.array(v.string()),
    weights: v.array(v.object({ name: v.string(), shape, dtype: v.literal("float32"), quantization: v.optional(v.undefined()) })),
  }),
);
const layerSchema = v.object({ class_name: v.string(), config: v.record(v.string(), v.custom<Json>(() => true)) });
const modelJsonSchema = v.object({
  modelTopology: v.object({
    class_name: v.optional(v.string()),
    config: v.optional(v.union([v.array(layerSchema), v.object({ layers: v.array(layerSchema), name: v.optional(v.string()) })])),
    model_config: v.optional(v.custom<Json>(() => true)),
  }),
  weightsManifest: manifest,
  userDefinedMetadata: v.optional(v.record(v.string(), v.custom<Json>(() => true))),
});

function validate<T extends v.GenericSchema>(schema: T, value: unknown, loc: FileLocation, prefix: (string | number)[] = []): v.InferOutput<T> {
  const r = v.safeParse(schema, value);
  if (!r.success) throw invalidFile(loc, formatPath([...prefix, ...(r.issues[0].path ?? []).map((p) => p.key as string | number)]), r.issues[0].message);
  return r.output;
}

function activationFromTfjs(name: unknown, loc: FileLocation, path: string): ActivationSpec {
  const key = typeof name === "string" ? name : "linear";
  const ours = Object.hasOwn(FROM_TFJS, key) ? FROM_TFJS[key] : undefined;
  if (ours === undefined) throw invalidFile(loc, path, `activation ${JSON.stringify(name)} is not supported (supported: ${Object.keys(FROM_TFJS).join(", ")})`);
  return ours;
}

/** A weight of the manifest, read from the weight files. */
interface ReadWeight {
  readonly shape: number[];
  readonly data: Float32Array;
}

/** What an importer entry gets: the TF.js layer's config, and its weights by their short name. */
interface TfjsReadContext {
  readonly config: Readonly<Record<string, Json>>;
  /** `modelTopology.config.layers[i]`, for messages. */
  readonly path: string;
  readonly loc: FileLocation;
  /** The TF.js layer's name: its weights are `<name>/kernel`, … */
  readonly name: string;
  /** Axes per sample, when known (from `batch_input_shape`). */
  readonly sampleRank: number | undefined;
  /** The weight `<name>/<local>` of the manifest, if there is one. */
  weight(local: string): ReadWeight | undefined;
}

/**
 * What an importer entry makes of one TF.js layer: our layer, the values of its parameters in the
 * order of its `paramShapes` (compared with them before anything is built), and the input width
 * it implies when the file gives no `batch_input_shape`. Nothing for a layer that vanishes.
 */
interface TfjsRead {
  readonly layer: Layer;
  readonly params: readonly { readonly what: string; readonly shape: readonly number[]; readonly data: ArrayLike<number> }[];
  readonly inputWidth?: number;
}

type TfjsReader = (ctx: TfjsReadContext) => TfjsRead | undefined;

function need(ctx: TfjsReadContext, local: string): ReadWeight {
  const w = ctx.weight(local);
  if (w === undefined) throw invalidFile(ctx.loc, ctx.path, `weight "${ctx.name}/${local}" is missing from the weights manifest`);
  return w;
}

function flag(ctx: TfjsReadContext, key: string, fallback: boolean): boolean {
  const value = ctx.config[key] ?? fallback;
  if (typeof value !== "boolean") throw invalidFile(ctx.loc, `${ctx.path}.config.${key}`, `must be true or false (got ${JSON.stringify(value)})`);
  return value;
}

/**
 * One entry per TF.js layer class this importer reads: a layer type with a TF.js form adds one
 * line here (its exporter entry is in `TFJS_EMITTERS`).
 */
const TFJS_READERS: Readonly<Record<string, TfjsReader>> = {
  InputLayer: () => undefined,
  Dense: (ctx) => {
    const units = ctx.config["units"];
    if (typeof units !== "number" || !Number.isSafeInteger(units) || units < 1 || units > MAX_WIDTH) {
      throw invalidFile(ctx.loc, `${ctx.path}.config.units`, `must be an integer in [1, ${MAX_WIDTH}] (got ${JSON.stringify(units)})`);
    }
    const useBias = flag(ctx, "use_bias", true);
    const activation = activationFromTfjs(ctx.config["activation"], ctx.loc, `${ctx.path}.config.activation`);
    const kernel = need(ctx, "kernel");
    const bias = useBias ? need(ctx, "bias") : undefined;
    return {
      layer: at(ctx.loc, ctx.path, () => new Dense({ units, useBias, activation })),
      params: [{ what: `${ctx.name}/kernel`, ...kernel }, ...(bias ? [{ what: `${ctx.name}/bias`, ...bias }] : [])],
      ...(kernel.shape.length === 2 ? { inputWidth: kernel.shape[0] as number } : {}),
    };
  },
  Activation: (ctx) => ({
    layer: new ActivationLayer({ activation: activationFromTfjs(ctx.config["activation"], ctx.loc, `${ctx.path}.config.activation`) }),
    params: [],
  }),
  LeakyReLU: (ctx) => {
    const alpha = ctx.config["alpha"] ?? 0.3;
    return { layer: at(ctx.loc, `${ctx.path}.config.alpha`, () => new ActivationLayer({ activation: { name: "leakyRelu", config: { alpha } } })), params: [] };
  },
  Dropout: (ctx) => ({ layer: at(ctx.loc, `${ctx.path}.config.rate`, () => new Dropout({ rate: ctx.config["rate"] as number })), params: [] }),
  // Inference-time batch normalisation is a Normalization: with s = √(moving_variance + epsilon),
  // (x − m)/s·γ + β = (x − (m − β·s/γ)) / (s/γ) for γ > 0. Our own exports (γ 1, β 0, epsilon 0)
  // come back exactly.
  BatchNormalization: (ctx) => {
    const axis = ctx.config["axis"] ?? -1;
    if (axis !== -1 && axis !== ctx.sampleRank) {
      throw invalidFile(ctx.loc, `${ctx.path}.config.axis`, `only the last axis is supported (got ${JSON.stringify(axis)}, expected -1${ctx.sampleRank === undefined ? "" : ` or ${ctx.sampleRank}`})`);
    }
    const epsilon = ctx.config["epsilon"] ?? 1e-3;
    if (typeof epsilon !== "number" || !(epsilon >= 0)) {
      throw invalidFile(ctx.loc, `${ctx.path}.config.epsilon`, `must be a number ≥ 0 (got ${JSON.stringify(epsilon)})`);
    }
    const mean = need(ctx, "moving_mean");
    const variance = need(ctx, "moving_variance");
    const gamma = flag(ctx, "scale", true) ? need(ctx, "gamma") : undefined;
    const beta = flag(ctx, "center", true) ? need(ctx, "beta") : undefined;
    const d = mean.data.length;
    for (const [what, w] of [["moving_variance", variance], ["gamma", gamma], ["beta", beta]] as const) {
      if (w !== undefined && (w.shape.length !== 1 || w.data.length !== d)) {
        throw invalidFile(ctx.loc, ctx.path, `weight "${ctx.name}/${what}" has the wrong shape (got ${formatShape(w.shape)}, expected [${d}] as moving_mean)`);
      }
    }
    const m = new Float64Array(d);
    const v2 = new Float64Array(d);
    for (let j = 0; j < d; j++) {
      const g = gamma ? (gamma.data[j] as number) : 1;
      const b = beta ? (beta.data[j] as number) : 0;
      const varEps = (variance.data[j] as number) + epsilon;
      if (!(g > 0) || !(varEps > 0)) {
        throw invalidFile(ctx.loc, ctx.path, `feature ${j} cannot be read as a normalization (got gamma ${g}, variance + epsilon ${varEps}, expected both > 0)`);
      }
      m[j] = b === 0 ? (mean.data[j] as number) : (mean.data[j] as number) - (b * Math.sqrt(varEps)) / g;
      v2[j] = g === 1 ? varEps : varEps / (g * g);
    }
    return {
      layer: new Normalization({}),
      params: [{ what: `${ctx.name}/moving_mean`, shape: mean.shape, data: m }, { what: `${ctx.name}/moving_variance`, shape: variance.shape, data: v2 }],
      inputWidth: d,
    };
  },
};

function sampleShapeOf(input: Json | undefined, loc: FileLocation, path: string): number[] | undefined {
  if (!Array.isArray(input)) return undefined;
  const sample = input.slice(1);
  if (input.length < 2 || sample.length > MAX_RANK || !sample.every((d) => typeof d === "number" && Number.isSafeInteger(d) && d >= 1 && d <= MAX_WIDTH)) {
    throw invalidFile(loc, path, `expected [null, …sample axes] of positive integers (got ${JSON.stringify(input).slice(0, 80)})`);
  }
  return sample as number[];
}

/**
 * Reads a TensorFlow.js layers-format Sequential from its `model.json` and weight files (by the
 * manifest's paths), one entry of a table per TF.js layer class: `Dense`, `BatchNormalization`
 * (as a Normalization, inference form), `Activation`, `LeakyReLU`, `Dropout`, `InputLayer`.
 * Every weight is checked against the layers' `paramShapes` before the model is built.
 *
 * @throws BackpropError `INVALID_FILE` naming the layer or weight that cannot be read
 * @example
 * ```ts
 * const model = modelFromTfjs({ "model.json": json, "group1-shard1of1.bin": bin });
 * ```
 */
export function modelFromTfjs(files: Readonly<Record<string, Uint8Array>>, options: LoadOptions = {}): Sequential {
  const names = Object.keys(files);
  const jsonName = names.find((n) => n.endsWith(".json")) ?? "model.json";
  const loc: FileLocation = { file: options.file ?? jsonName };
  const bytes = files[jsonName];
  if (!(bytes instanceof Uint8Array)) throw invalidFile(loc, "", "no model.json among the files");
  const parsed = validate(modelJsonSchema, parseJson(bytes, loc), loc);
  let topology: unknown = parsed.modelTopology;
  if (parsed.modelTopology.model_config !== undefined) topology = parsed.modelTopology.model_config;
  const top = validate(v.object({ class_name: v.literal("Sequential"), config: modelJsonSchema.entries.modelTopology.entries.config }), topology, loc, ["modelTopology"]);
  const cfg = top.config;
  const layerList = Array.isArray(cfg) ? cfg : (cfg?.layers ?? []);
  // Weights: each group's files concatenated, specs read in order.
  const weights = new Map<string, ReadWeight>();
  parsed.weightsManifest.forEach((group, g) => {
    const parts = group.paths.map((p, k) => {
      const file = files[p] ?? files[p.split("/").pop() ?? p];
      if (!(file instanceof Uint8Array)) throw invalidFile(loc, `weightsManifest[${g}].paths[${k}]`, `weights file ${JSON.stringify(p)} is missing`);
      return file;
    });
    const size = parts.reduce((n, p) => n + p.length, 0);
    const needBytes = group.weights.reduce((n, w) => n + w.shape.reduce((a, b) => a * b, 1) * 4, 0);
    if (needBytes !== size) throw invalidFile(loc, `weightsManifest[${g}]`, `describes another number of bytes than its files hold (got ${size}, expected ${needBytes})`);
    const all = new Uint8Array(size);
    let o = 0;
    for (const p of parts) {
      all.set(p, o);
      o += p.length;
    }
    const view = new DataView(all.buffer);
    let pos = 0;
    group.weights.forEach((w, k) => {
      const n = w.shape.reduce((a, b) => a * b, 1);
      const data = new Float32Array(n);
      for (let i = 0; i < n; i++, pos += 4) data[i] = view.getFloat32(pos, true);
      if (weights.has(w.name)) throw invalidFile(loc, `weightsManifest[${g}].weights[${k}].name`, `repeated weight "${w.name}"`);
      weights.set(w.name, { shape: w.shape, data });
    });
  });
  let declared: number[] | undefined;
  const reads: { read: TfjsRead; path: string }[] = [];
  layerList.forEach((l, i) => {
    const path = `modelTopology.config.layers[${i}]`;
    const c = l.config;
    const input = c["batch_input_shape"] ?? c["batchInputShape"];
    if (input !== undefined && input !== null && declared === undefined) declared = sampleShapeOf(input, loc, `${path}.config.batch_input_shape`);
    const reader = Object.hasOwn(TFJS_READERS, l.class_name) ? TFJS_READERS[l.class_name] : undefined;
    if (reader === undefined) {
      throw invalidFile(loc, `${path}.class_name`, `layer ${JSON.stringify(l.class_name)} is not supported (supported: ${Object.keys(TFJS_READERS).join(", ")})`);
    }
    const name = typeof c["name"] === "string" ? c["name"] : `layer_${i}`;
    const read = reader({ config: c, path, loc, name, sampleRank: declared?.length, weight: (local) => weights.get(`${name}/${local}`) });
    if (read !== undefined) reads.push({ read, path });
  });
  const width = reads.find((r) => r.read.inputWidth !== undefined)?.read.inputWidth;
  const inputShape = declared ?? (width === undefined ? undefined : [width]);
  if (inputShape === undefined || reads.length === 0) throw invalidFile(loc, "modelTopology.config.layers", "no layer with a known input width (expected a batch_input_shape or a first layer with weights)");
  const layers = reads.map((r) => r.read.layer);
  const layerPath = (i: number) => reads[i]?.path ?? "modelTopology.config.layers";
  // Each layer's weights against its paramShapes, with the shapes flowing from the input shape.
  const supplied = reads.flatMap((r) => r.read.params);
  let k = 0;
  const flow = expectedParams(layers, inputShape, loc, layerPath, (own, input) => {
    for (const e of own) {
      const w = supplied[k++];
      if (w === undefined || !sameShape(w.shape, e.shape)) {
        throw invalidFile(
          loc,
          layerPath(e.layer),
          `weight ${w === undefined ? `for "${e.local}"` : `"${w.what}"`} does not fit the layer on inputs ${formatShape(input)} (got ${w === undefined ? "none" : formatShape(w.shape)}, expected ${formatShape(e.shape)})`,
        );
      }
    }
  });
  if (supplied.length !== flow.params.length) {
    throw invalidFile(loc, "weightsManifest", `has weights the layers do not use (got ${supplied.length}, expected ${flow.params.length})`);
  }
  checkSampleSizes(flow, loc, layerPath);
  const modelName = !Array.isArray(cfg) && typeof cfg?.name === "string" ? cfg.name : "tfjs";
  const model = at(loc, "modelTopology", () => new Sequential(layers, { name: modelName }).build(inputShape));
  model.params().forEach((p, k) => p.value.data.set((supplied[k] as (typeof supplied)[number]).data));
  return model;
}

/**
 * The `userDefinedMetadata` of a TensorFlow.js `model.json` (`{}` when none).
 * @example
 * ```ts
 * readTfjsMetadata(files["model.json"]);
 * ```
 */
export function readTfjsMetadata(json: Uint8Array, options: LoadOptions = {}): Record<string, Json> {
  const loc: FileLocation = { file: options.file };
  const value = parseJson(json, loc);
  const meta = typeof value === "object" && value !== null && !Array.isArray(value) ? (value as { userDefinedMetadata?: unknown }).userDefinedMetadata : undefined;
  if (meta === undefined) return {};
  if (typeof meta !== "object" || meta === null || Array.isArray(meta)) throw invalidFile(loc, "userDefinedMetadata", "must be an object");
  return meta as Record<string, Json>;
}
