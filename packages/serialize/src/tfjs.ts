import * as v from "valibot";
import type { Activation, ActivationSpec } from "@backprop/activations";
import { BackpropError, formatShape, sameShape, type Json, type JsonObject, type Param, type Shape } from "@backprop/linalg";
import {
  ActivationLayer,
  AveragePooling2D,
  BatchNormalization,
  Conv2D,
  Dense,
  Dropout,
  Flatten,
  GlobalAveragePooling2D,
  GlobalMaxPooling2D,
  LayerNormalization,
  MaxPooling2D,
  Normalization,
  Reshape,
  Sequential,
  ZeroPadding2D,
  type BatchNormalizationConfig,
  type Conv2DConfig,
  type DenseConfig,
  type Layer,
  type LayerNormalizationConfig,
  type Pooling2DConfig,
  type RegularizerConfig,
  type ZeroPadding2DConfig,
} from "@backprop/layers";
import type { LoadOptions } from "./custom-components.js";
import { at, formatPath, invalidFile, type FileLocation } from "./file-error.js";
import { configNumber, configPadding, configPair, configRegularizer, configSides } from "./layer-config.js";
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

/**
 * Writes one layer; `name` is a TF.js-safe layer name, `index` gives its parameters' names,
 * `inputShape` is the per-sample shape the layer reads.
 */
type TfjsEmitter = (layer: Layer, name: string, index: number, inputShape: Shape) => TfjsLayerOut;

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
const WHERE = "modelToTfjs";
const channelsLast = { data_format: "channels_last" } as const;

/** Our `{ l1, l2 }` as Keras' / TF.js' `L1L2` regularizer (or null). */
function regularizerOut(layer: Layer, key: string): JsonObject | null {
  const r = configRegularizer(WHERE, layer, key);
  return r === null ? null : { class_name: "L1L2", config: { l1: r.l1, l2: r.l2 } };
}

/** A pooling layer's window, as TF.js names it. */
function poolConfig(layer: Layer): JsonObject {
  return {
    pool_size: [...configPair(WHERE, layer, "poolSize")],
    strides: [...configPair(WHERE, layer, "strides")],
    padding: configPadding(WHERE, layer),
    ...channelsLast,
  };
}

/**
 * A layer with a weighted sum and an activation (Dense, Conv2D): TF.js has no leaky activation
 * function, so leakyRelu becomes a linear layer then a `LeakyReLU` layer.
 */
function withActivation(layer: Layer, name: string, className: string, config: JsonObject, weights: TfjsWeight[]): TfjsLayerOut {
  const act = tfjsActivation(layer.activation, layer.name);
  const layers: JsonObject[] = [{ class_name: className, config: { name, ...config, activation: act.name, ...common } }];
  if (act.leakyAlpha !== undefined) layers.push(activationLayer(layer.activation, `${name}_leaky`, layer.name));
  return { layers, weights };
}

/** A layer without weights whose TF.js config is `config` (plus the name and the common keys). */
function plain(className: string, config: (layer: Layer) => JsonObject = () => ({})): TfjsEmitter {
  return (layer, name) => ({ layers: [{ class_name: className, config: { name, ...config(layer), ...common } }], weights: [] });
}

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
    const kernel = requiredParam(layer, index, "kernel").value;
    const bias = param(layer, index, "bias")?.value;
    const units = kernel.shape[kernel.shape.length - 1] as number;
    const weights: TfjsWeight[] = [{ name: `${name}/kernel`, shape: kernel.shape, data: kernel.data }];
    if (bias) weights.push({ name: `${name}/bias`, shape: bias.shape, data: bias.data });
    const config: JsonObject = {
      units,
      use_bias: bias !== undefined,
      kernel_regularizer: regularizerOut(layer, "kernelRegularizer"),
      bias_regularizer: regularizerOut(layer, "biasRegularizer"),
    };
    return withActivation(layer, name, "Dense", config, weights);
  },
  // The kernel is [kh, kw, in, filters] in both: a copy.
  conv2d: (layer, name, index) => {
    const kernel = requiredParam(layer, index, "kernel").value;
    const bias = param(layer, index, "bias")?.value;
    const [kh, kw, , filters] = kernel.shape as [number, number, number, number];
    const weights: TfjsWeight[] = [{ name: `${name}/kernel`, shape: kernel.shape, data: kernel.data }];
    if (bias) weights.push({ name: `${name}/bias`, shape: bias.shape, data: bias.data });
    const config: JsonObject = {
      filters,
      kernel_size: [kh, kw],
      strides: [...configPair(WHERE, layer, "strides")],
      padding: configPadding(WHERE, layer),
      ...channelsLast,
      dilation_rate: [...configPair(WHERE, layer, "dilationRate")],
      use_bias: bias !== undefined,
      kernel_regularizer: regularizerOut(layer, "kernelRegularizer"),
      bias_regularizer: regularizerOut(layer, "biasRegularizer"),
    };
    return withActivation(layer, name, "Conv2D", config, weights);
  },
  zeroPadding2d: plain("ZeroPadding2D", (layer) => ({ padding: configSides(WHERE, layer).map((p) => [...p]), ...channelsLast })),
  maxPooling2d: plain("MaxPooling2D", poolConfig),
  averagePooling2d: plain("AveragePooling2D", poolConfig),
  globalAveragePooling2d: plain("GlobalAveragePooling2D", () => ({ ...channelsLast })),
  globalMaxPooling2d: plain("GlobalMaxPooling2D", () => ({ ...channelsLast })),
  flatten: plain("Flatten", () => ({ ...channelsLast })),
  // The target with its -1 worked out: tfjs leaves a -1 axis undefined in its static shapes, and a
  // Flatten after it then refuses to build.
  reshape: (layer, name, _index, inputShape) => ({
    layers: [{ class_name: "Reshape", config: { name, target_shape: [...layer.computeOutputShape(inputShape)], ...common } }],
    weights: [],
  }),
  // Keras' layer and ours: the same parameters in the same order and layout, so a copy.
  batchNormalization: (layer, name, index) => {
    const weights: TfjsWeight[] = [];
    const add = (local: string, theirs: string) => {
      const p = param(layer, index, local)?.value;
      if (p) weights.push({ name: `${name}/${theirs}`, shape: p.shape, data: p.data });
    };
    add("gamma", "gamma");
    add("beta", "beta");
    weights.push(...(["movingMean", "movingVariance"] as const).map((local) => {
      const p = requiredParam(layer, index, local).value;
      return { name: `${name}/${local === "movingMean" ? "moving_mean" : "moving_variance"}`, shape: p.shape, data: p.data };
    }));
    const config = layer.getConfig();
    return {
      layers: [{
        class_name: "BatchNormalization",
        config: {
          name,
          axis: -1,
          momentum: configNumber(WHERE, layer, "momentum"),
          epsilon: configNumber(WHERE, layer, "epsilon"),
          center: config["center"] !== false,
          scale: config["scale"] !== false,
          beta_regularizer: regularizerOut(layer, "betaRegularizer"),
          gamma_regularizer: regularizerOut(layer, "gammaRegularizer"),
          ...common,
        },
      }],
      weights,
    };
  },
  layerNormalization: (layer, name, index) => {
    const weights: TfjsWeight[] = [];
    for (const local of ["gamma", "beta"]) {
      const p = param(layer, index, local)?.value;
      if (p) weights.push({ name: `${name}/${local}`, shape: p.shape, data: p.data });
    }
    const config = layer.getConfig();
    return {
      layers: [{
        class_name: "LayerNormalization",
        config: {
          name,
          axis: -1,
          epsilon: configNumber(WHERE, layer, "epsilon"),
          center: config["center"] !== false,
          scale: config["scale"] !== false,
          beta_regularizer: regularizerOut(layer, "betaRegularizer"),
          gamma_regularizer: regularizerOut(layer, "gammaRegularizer"),
          ...common,
        },
      }],
      weights,
    };
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
 *   `LeakyReLU` layer after a linear Dense (or Conv2D);
 * - Conv2D → `Conv2D` (`kernel_size`, `strides`, `padding`, `dilation_rate`, `use_bias`,
 *   `data_format: "channels_last"`, the activation; kernel `[kh, kw, in, filters]` in both);
 * - MaxPooling2D / AveragePooling2D → the same classes (`pool_size`, `strides`, `padding`);
 *   GlobalAveragePooling2D / GlobalMaxPooling2D, Flatten, Reshape (`target_shape`, a -1 worked
 *   out), ZeroPadding2D
 *   (`padding` as `[[top, bottom], [left, right]]`) → the same classes;
 * - BatchNormalization → `BatchNormalization` (`axis: -1`, `momentum`, `epsilon`, `center`,
 *   `scale`; `gamma`, `beta`, `moving_mean`, `moving_variance`); LayerNormalization →
 *   `LayerNormalization` (`gamma`, `beta`); L1/L2 regularizers → `L1L2`;
 * - Normalization → `BatchNormalization` (gamma 1, beta 0, epsilon 0, not trainable) holding the
 *   mean and variance as its moving statistics — tfjs has no Normalization layer, and this is the
 *   same function, so the exported model takes raw inputs as `predict` does;
 * - Activation → `Activation` (or `LeakyReLU`); Dropout → `Dropout`.
 *
 * Weight layouts are Keras' in both libraries: every weight is a copy. float64 weights are rounded
 * to float32 (the format holds float32 only).
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
  let shape = model.inputShape as Shape;
  model.layers.forEach((layer, i) => {
    const emit = Object.hasOwn(TFJS_EMITTERS, layer.className) ? TFJS_EMITTERS[layer.className] : undefined;
    if (emit === undefined) {
      throw new BackpropError(
        "INVALID_ARGUMENT",
        `modelToTfjs: layer "${layer.name}" of type "${layer.className}" has no TensorFlow.js equivalent (supported: ${Object.keys(TFJS_EMITTERS).join(", ")})`,
      );
    }
    const out = emit(layer, safe(layer.name, i), i, shape);
    shape = layer.computeOutputShape(shape);
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
  /** The TF.js class (`"Conv2D"`), for messages. */
  readonly className: string;
  /**
   * The per-sample shape the layer reads, when known: from the first layer's `batch_input_shape`,
   * through the layers before it.
   */
  readonly inputShape: Shape | undefined;
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

/** The manifest entries of `locals` that exist, in that order, as a read's `params`. */
function weightsOf(ctx: TfjsReadContext, locals: readonly (string | false)[]): TfjsRead["params"] {
  return locals.filter((l): l is string => l !== false).map((local) => ({ what: `${ctx.name}/${local}`, ...need(ctx, local) }));
}

const short = (value: unknown) => (JSON.stringify(value) ?? String(value)).slice(0, 80);

function flag(ctx: TfjsReadContext, key: string, fallback: boolean): boolean {
  const value = ctx.config[key] ?? fallback;
  if (typeof value !== "boolean") throw invalidFile(ctx.loc, `${ctx.path}.config.${key}`, `must be true or false (got ${JSON.stringify(value)})`);
  return value;
}

/** Keys of any TF.js / Keras layer that change nothing in what a loaded model computes. */
const NEUTRAL_KEYS: ReadonlySet<string> = new Set(["name", "trainable", "dtype", "batch_input_shape", "batchInputShape", "batch_size", "input_dtype"]);

/**
 * Refuses a key the reader does not know. Dropped silently, an option such as
 * `data_format: "channels_first"` or `groups: 2` would load a model that computes something else.
 * Initializers are known and ignored: the weights come with the file.
 */
function checkKeys(ctx: TfjsReadContext, known: readonly string[]): void {
  for (const key of Object.keys(ctx.config)) {
    if (NEUTRAL_KEYS.has(key) || known.includes(key)) continue;
    throw invalidFile(
      ctx.loc,
      `${ctx.path}.config.${key}`,
      `layer "${ctx.name}" (${ctx.className}): the option "${key}" is not supported (got ${short(ctx.config[key])}, expected only ${known.join(", ")})`,
    );
  }
}

/** A key that must be absent, null or one of `allowed` — the one value we compute. */
function onlyValue(ctx: TfjsReadContext, key: string, allowed: readonly Json[], expected: string): void {
  const v = ctx.config[key];
  if (v === undefined || v === null || allowed.includes(v)) return;
  throw invalidFile(ctx.loc, `${ctx.path}.config.${key}`, `layer "${ctx.name}" (${ctx.className}): ${key} ${short(v)} is not supported (got ${short(v)}, expected ${expected})`);
}

/** Channels-last images only: channels-first would need every kernel, pool and flatten reordered. */
function channelsLastOnly(ctx: TfjsReadContext): void {
  onlyValue(ctx, "data_format", ["channels_last"], '"channels_last"');
}

/** Constraints and activity regularizers, which we do not have: only null. */
function noneOf(ctx: TfjsReadContext, keys: readonly string[]): void {
  for (const key of keys) onlyValue(ctx, key, [], "null (not supported)");
}

/** A Keras / TF.js `L1L2` (or `L1`, `L2`) regularizer as ours, or null. */
function regularizerIn(ctx: TfjsReadContext, key: string): RegularizerConfig | null {
  const v = ctx.config[key];
  if (v === undefined || v === null) return null;
  const { class_name: cls, config } = (typeof v === "object" && !Array.isArray(v) ? v : {}) as { class_name?: Json; config?: Json };
  if ((cls === "L1L2" || cls === "L1" || cls === "L2") && typeof config === "object" && config !== null && !Array.isArray(config)) {
    const c = config as { l1?: Json; l2?: Json };
    // Checked (finite, ≥ 0) by the layer's constructor.
    return { l1: cls === "L2" ? 0 : ((c.l1 ?? 0) as number), l2: cls === "L1" ? 0 : ((c.l2 ?? 0) as number) };
  }
  throw invalidFile(ctx.loc, `${ctx.path}.config.${key}`, `layer "${ctx.name}" (${ctx.className}): regularizer not supported (got ${short(v)}, expected null or an L1L2, L1 or L2 regularizer)`);
}

/** A positive integer that sizes a weight (`units`, `filters`), bounded before anything is allocated. */
function widthOf(ctx: TfjsReadContext, key: string): number {
  const value = ctx.config[key];
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 1 || value > MAX_WIDTH) {
    throw invalidFile(ctx.loc, `${ctx.path}.config.${key}`, `must be an integer in [1, ${MAX_WIDTH}] (got ${short(value)})`);
  }
  return value;
}

/**
 * `axis` of a normalisation: -1, or the last axis by number (Keras writes `[3]` for images),
 * which we can only recognise when the input's rank is known.
 */
function lastAxisOnly(ctx: TfjsReadContext): void {
  const raw = ctx.config["axis"];
  const axis = Array.isArray(raw) && raw.length === 1 ? raw[0] : raw;
  const rank = ctx.inputShape?.length;
  if (axis === undefined || axis === null || axis === -1 || (rank !== undefined && axis === rank)) return;
  throw invalidFile(
    ctx.loc,
    `${ctx.path}.config.axis`,
    `layer "${ctx.name}" (${ctx.className}): only the last axis is supported (got ${short(raw)}, expected -1${rank === undefined ? "" : ` or ${rank}`})`,
  );
}

/** The config without absent or null entries: our constructors then apply their defaults. */
function defined(config: Record<string, Json | RegularizerConfig | undefined>): Record<string, Json> {
  return Object.fromEntries(Object.entries(config).filter(([, v]) => v !== undefined && v !== null)) as Record<string, Json>;
}

/** Builds our layer from a file's values; a bad value is reported at the layer's config. */
function make<T>(ctx: TfjsReadContext, build: () => T): T {
  return at(ctx.loc, `${ctx.path}.config`, build);
}

const WEIGHTED_KEYS = ["activation", "use_bias", "kernel_initializer", "bias_initializer", "kernel_regularizer", "bias_regularizer", "activity_regularizer", "kernel_constraint", "bias_constraint"];
const NORMALIZATION_KEYS = ["axis", "epsilon", "center", "scale", "beta_initializer", "gamma_initializer", "beta_regularizer", "gamma_regularizer", "beta_constraint", "gamma_constraint"];

function poolReader(build: (config: Pooling2DConfig) => Layer): TfjsReader {
  return (ctx) => {
    checkKeys(ctx, ["pool_size", "strides", "padding", "data_format"]);
    channelsLastOnly(ctx);
    const c = ctx.config;
    return { layer: make(ctx, () => build(defined({ poolSize: c["pool_size"], strides: c["strides"], padding: c["padding"] }) as Pooling2DConfig)), params: [] };
  };
}

function globalPoolReader(build: () => Layer): TfjsReader {
  return (ctx) => {
    checkKeys(ctx, ["data_format", "keepdims"]);
    channelsLastOnly(ctx);
    onlyValue(ctx, "keepdims", [false], "false");
    return { layer: build(), params: [] };
  };
}

/**
 * Our own Normalization export (see `TFJS_EMITTERS.normalization`): a frozen BatchNormalization
 * with ε 0, γ 1 and β 0 is exactly (x − mean)/√variance, and reads back as a Normalization.
 */
function isNormalization(ctx: TfjsReadContext, epsilon: unknown, gamma: ReadWeight | undefined, beta: ReadWeight | undefined, mean: ReadWeight, variance: ReadWeight): boolean {
  const d = mean.data.length;
  const all = (w: ReadWeight | undefined, ok: (x: number) => boolean) => w === undefined || (w.data.length === d && w.data.every(ok));
  return ctx.config["trainable"] === false && epsilon === 0 && mean.shape.length === 1 && variance.data.length === d &&
    all(gamma, (x) => x === 1) && all(beta, (x) => x === 0) && variance.data.every((x) => x > 0);
}

/**
 * One entry per TF.js layer class this importer reads: a layer type with a TF.js form adds one
 * line here (its exporter entry is in `TFJS_EMITTERS`). Options we cannot honour are refused with
 * the layer and the key named, never dropped.
 */
const TFJS_READERS: Readonly<Record<string, TfjsReader>> = {
  InputLayer: () => undefined,
  Dense: (ctx) => {
    checkKeys(ctx, ["units", ...WEIGHTED_KEYS]);
    noneOf(ctx, ["activity_regularizer", "kernel_constraint", "bias_constraint"]);
    const units = widthOf(ctx, "units");
    const useBias = flag(ctx, "use_bias", true);
    const activation = activationFromTfjs(ctx.config["activation"], ctx.loc, `${ctx.path}.config.activation`);
    const kernel = need(ctx, "kernel");
    const config = defined({ units, useBias, kernelRegularizer: regularizerIn(ctx, "kernel_regularizer"), biasRegularizer: regularizerIn(ctx, "bias_regularizer") });
    return {
      layer: make(ctx, () => new Dense({ ...(config as unknown as DenseConfig), activation })),
      params: weightsOf(ctx, ["kernel", useBias && "bias"]),
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
  Conv2D: (ctx) => {
    checkKeys(ctx, ["filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate", "groups", ...WEIGHTED_KEYS]);
    channelsLastOnly(ctx);
    onlyValue(ctx, "groups", [1], "1 (grouped convolutions are not supported)");
    noneOf(ctx, ["activity_regularizer", "kernel_constraint", "bias_constraint"]);
    const c = ctx.config;
    const useBias = flag(ctx, "use_bias", true);
    const activation = activationFromTfjs(c["activation"], ctx.loc, `${ctx.path}.config.activation`);
    const config = defined({
      filters: widthOf(ctx, "filters"),
      kernelSize: c["kernel_size"],
      strides: c["strides"],
      padding: c["padding"],
      dilationRate: c["dilation_rate"],
      useBias,
      kernelRegularizer: regularizerIn(ctx, "kernel_regularizer"),
      biasRegularizer: regularizerIn(ctx, "bias_regularizer"),
    });
    return { layer: make(ctx, () => new Conv2D({ ...(config as unknown as Conv2DConfig), activation })), params: weightsOf(ctx, ["kernel", useBias && "bias"]) };
  },
  ZeroPadding2D: (ctx) => {
    checkKeys(ctx, ["padding", "data_format"]);
    channelsLastOnly(ctx);
    return { layer: make(ctx, () => new ZeroPadding2D(defined({ padding: ctx.config["padding"] }) as ZeroPadding2DConfig)), params: [] };
  },
  MaxPooling2D: poolReader((config) => new MaxPooling2D(config)),
  AveragePooling2D: poolReader((config) => new AveragePooling2D(config)),
  GlobalAveragePooling2D: globalPoolReader(() => new GlobalAveragePooling2D()),
  GlobalMaxPooling2D: globalPoolReader(() => new GlobalMaxPooling2D()),
  Flatten: (ctx) => {
    checkKeys(ctx, ["data_format"]);
    // NOTE: channels-first flattens in another order, which the next Dense kernel depends on.
    channelsLastOnly(ctx);
    return { layer: new Flatten(), params: [] };
  },
  Reshape: (ctx) => {
    checkKeys(ctx, ["target_shape"]);
    return { layer: make(ctx, () => new Reshape({ targetShape: ctx.config["target_shape"] as number[] })), params: [] };
  },
  // Keras' layer and ours: the same options, parameters and layout. Our own Normalization export
  // (a frozen BatchNormalization with ε 0, γ 1, β 0) reads back as a Normalization.
  BatchNormalization: (ctx) => {
    checkKeys(ctx, [...NORMALIZATION_KEYS, "momentum", "moving_mean_initializer", "moving_variance_initializer", "synchronized"]);
    lastAxisOnly(ctx);
    onlyValue(ctx, "synchronized", [false], "false");
    noneOf(ctx, ["beta_constraint", "gamma_constraint"]);
    const c = ctx.config;
    const scale = flag(ctx, "scale", true);
    const center = flag(ctx, "center", true);
    const gamma = scale ? need(ctx, "gamma") : undefined;
    const beta = center ? need(ctx, "beta") : undefined;
    const mean = need(ctx, "moving_mean");
    const variance = need(ctx, "moving_variance");
    const inputWidth = mean.shape.length === 1 ? { inputWidth: mean.shape[0] as number } : {};
    if (isNormalization(ctx, c["epsilon"], gamma, beta, mean, variance)) {
      return { layer: new Normalization({}), params: weightsOf(ctx, ["moving_mean", "moving_variance"]), ...inputWidth };
    }
    const config = defined({
      momentum: c["momentum"],
      epsilon: c["epsilon"],
      center,
      scale,
      betaRegularizer: regularizerIn(ctx, "beta_regularizer"),
      gammaRegularizer: regularizerIn(ctx, "gamma_regularizer"),
    });
    return {
      layer: make(ctx, () => new BatchNormalization(config as BatchNormalizationConfig)),
      params: weightsOf(ctx, [scale && "gamma", center && "beta", "moving_mean", "moving_variance"]),
      ...inputWidth,
    };
  },
  LayerNormalization: (ctx) => {
    checkKeys(ctx, [...NORMALIZATION_KEYS, "rms_scaling"]);
    lastAxisOnly(ctx);
    onlyValue(ctx, "rms_scaling", [false], "false");
    noneOf(ctx, ["beta_constraint", "gamma_constraint"]);
    const scale = flag(ctx, "scale", true);
    const center = flag(ctx, "center", true);
    const config = defined({
      epsilon: ctx.config["epsilon"],
      center,
      scale,
      betaRegularizer: regularizerIn(ctx, "beta_regularizer"),
      gammaRegularizer: regularizerIn(ctx, "gamma_regularizer"),
    });
    return { layer: make(ctx, () => new LayerNormalization(config as LayerNormalizationConfig)), params: weightsOf(ctx, [scale && "gamma", center && "beta"]) };
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
 * manifest's paths), one entry of a table per TF.js layer class: `Dense`, `Conv2D`,
 * `MaxPooling2D`, `AveragePooling2D`, `GlobalAveragePooling2D`, `GlobalMaxPooling2D`, `Flatten`,
 * `Reshape`, `ZeroPadding2D`, `BatchNormalization`, `LayerNormalization`, `Activation`,
 * `LeakyReLU`, `Dropout`, `InputLayer`. A frozen `BatchNormalization` with epsilon 0, gamma 1 and
 * beta 0 — how {@link modelToTfjs} writes a Normalization — reads back as a Normalization.
 * Every weight is checked against the layers' `paramShapes` before the model is built.
 *
 * Options we cannot compute are refused, never dropped: `data_format: "channels_first"`,
 * `groups` ≠ 1, constraints, activity regularizers, a normalisation over another axis than the
 * last (`-1`, or its number, `3` for images), and any key a reader does not know. Initializers are
 * ignored (the weights come with the file).
 *
 * @throws BackpropError `INVALID_FILE` naming the layer, and the key or weight that cannot be read
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
  // The per-sample shape the next layer reads, while it is known (a normalisation's numbered
  // axis is checked against its rank).
  let shape: Shape | undefined;
  const reads: { read: TfjsRead; path: string }[] = [];
  layerList.forEach((l, i) => {
    const path = `modelTopology.config.layers[${i}]`;
    const c = l.config;
    const input = c["batch_input_shape"] ?? c["batchInputShape"];
    if (input !== undefined && input !== null && declared === undefined) {
      declared = sampleShapeOf(input, loc, `${path}.config.batch_input_shape`);
      if (reads.length === 0) shape = declared;
    }
    const reader = Object.hasOwn(TFJS_READERS, l.class_name) ? TFJS_READERS[l.class_name] : undefined;
    if (reader === undefined) {
      throw invalidFile(loc, `${path}.class_name`, `layer ${JSON.stringify(l.class_name)} is not supported (supported: ${Object.keys(TFJS_READERS).join(", ")})`);
    }
    const name = typeof c["name"] === "string" ? c["name"] : `layer_${i}`;
    const read = reader({ config: c, path, loc, name, className: l.class_name, inputShape: shape, weight: (local) => weights.get(`${name}/${local}`) });
    if (read === undefined) return;
    reads.push({ read, path });
    const before = shape;
    if (before !== undefined) shape = at(loc, path, () => read.layer.computeOutputShape(before)).slice();
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
