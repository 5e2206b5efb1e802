/*
 * `@backprop/serialize/tfjs`: the TensorFlow.js layers format both ways, on an entry of its own so
 * that a bundle of the main entry (JSON, safetensors) holds no TF.js code.
 */
import * as v from "valibot";
import type { Activation, ActivationSpec } from "@backprop/activations";
import { BackpropError, formatShape, sameShape, type Json, type JsonObject, type Param, type Shape } from "@backprop/linalg";
import {
  ActivationLayer,
  AveragePooling2D,
  BatchNormalization,
  Bidirectional,
  Conv2D,
  Dense,
  Dropout,
  Embedding,
  Flatten,
  GlobalAveragePooling2D,
  GlobalMaxPooling2D,
  GRU,
  LayerNormalization,
  LSTM,
  Masking,
  MaxPooling2D,
  Normalization,
  Reshape,
  Sequential,
  SimpleRNN,
  TimeDistributed,
  ZeroPadding2D,
  type BatchNormalizationConfig,
  type Conv2DConfig,
  type DenseConfig,
  type EmbeddingConfig,
  type GRUConfig,
  type Layer,
  type LayerNormalizationConfig,
  type LSTMConfig,
  type MergeMode,
  type Pooling2DConfig,
  type RegularizerConfig,
  type RNN,
  type SimpleRNNConfig,
  type ZeroPadding2DConfig,
} from "@backprop/layers";
import type { LoadOptions } from "./custom-components.js";
import { at, formatPath, invalidFile, type FileLocation } from "./file-error.js";
import { configNumber, configPadding, configPair, configRegularizer, configSides } from "./layer-config.js";
import { parseJson } from "./safe-json.js";
import { MAX_RANK, MAX_TENSOR_ELEMENTS, MAX_WIDTH } from "./schema.js";
import { checkSampleSizes, expectedParams } from "./shape-flow.js";
import { hasStateful, isJsonObject, recurrentSpec, storedActivation, type RecurrentKind, type RecurrentSpec } from "./recurrent-config.js";
import { littleEndian } from "./endian.js";

// NOTE: TF.js weight files are little-endian; on such a host (every common one) values are used as they are.
const LITTLE_ENDIAN = /* @__PURE__ */ littleEndian();

/** Options of {@link modelToTfjs}. */
export interface TfjsExportOptions {
  /** Name of the topology file. Default `"model.json"`. */
  readonly jsonFile?: string;
  /** Name of the weights file referenced by the manifest. Default `"model.weights.bin"`. */
  readonly weightsFile?: string;
  /** Stored as `userDefinedMetadata`. */
  readonly metadata?: Readonly<Record<string, Json>>;
  /**
   * The batch size written into `batch_input_shape` (default none, `null`). Required for a model
   * with a stateful recurrent layer: TF.js keeps a stateful layer's states for one fixed batch size.
   */
  readonly batchSize?: number;
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

/**
 * TF.js' (Keras 2's) `hard_sigmoid`, clip(0.2·x + 0.5, 0, 1), as our activation: our default
 * hardSigmoid is Keras 3's (x + 3)/6, another function.
 */
const TFJS_HARD_SIGMOID = { name: "hardSigmoid", config: { slope: 0.2, offset: 0.5 } } as const;

/** An activation as a layer's config stores it (an `Activation` object fits too). */
type StoredActivation = { readonly name: string; readonly config: Readonly<Record<string, Json>> };

function tfjsActivation(act: StoredActivation | undefined, layer: string): { name: string; leakyAlpha?: number } {
  if (act === undefined) return { name: "linear" };
  const { name, config } = act;
  if (name === "leakyRelu") return { name: "linear", leakyAlpha: typeof config["alpha"] === "number" ? config["alpha"] : 0.01 };
  if (name === "elu" && (config["alpha"] ?? 1) === 1) return { name: "elu" };
  if (name === "hardSigmoid" && config["slope"] === TFJS_HARD_SIGMOID.config.slope && config["offset"] === TFJS_HARD_SIGMOID.config.offset) {
    return { name: "hard_sigmoid" };
  }
  const mapped = Object.hasOwn(TO_TFJS, name) ? TO_TFJS[name] : undefined;
  if (mapped === undefined) {
    throw new BackpropError(
      "INVALID_ARGUMENT",
      `modelToTfjs: layer "${layer}" uses the activation "${name}"${name === "hardSigmoid" ? ` with config ${JSON.stringify(config)}` : ""}, which TensorFlow.js lacks (supported: ${[...Object.keys(TO_TFJS), "leakyRelu", "elu (alpha 1)", "hardSigmoid { slope: 0.2, offset: 0.5 }"].join(", ")})`,
      name === "hardSigmoid"
        ? { hint: 'TF.js\' hard_sigmoid is clip(0.2·x + 0.5, 0, 1), ours (x + 3)/6 by default: use { name: "hardSigmoid", config: { slope: 0.2, offset: 0.5 } }' }
        : {},
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
 * Writes one layer; `name` is a TF.js-safe layer name, `prefix` starts its parameters' names
 * (`layers.3`, or `layers.3.layer` inside a TimeDistributed), `inputShape` is the per-sample
 * shape the layer reads.
 */
type TfjsEmitter = (layer: Layer, name: string, prefix: string, inputShape: Shape) => TfjsLayerOut;

function param(layer: Layer, prefix: string, local: string): Param | undefined {
  return layer.params().find((p) => p.name === `${prefix}.${local}`);
}

function requiredParam(layer: Layer, prefix: string, local: string): Param {
  const p = param(layer, prefix, local);
  if (p === undefined) {
    throw new BackpropError("INVALID_ARGUMENT", `modelToTfjs: layer "${layer.name}" (${layer.className}) has no parameter "${prefix}.${local}"`);
  }
  return p;
}

const common = { trainable: true, dtype: "float32" } as const;
const WHERE = "modelToTfjs";
const channelsLast = { data_format: "channels_last" } as const;

/** Our `{ l1, l2 }` as Keras' / TF.js' `L1L2` regularizer (or null); from `config` when given. */
function regularizerOut(layer: Layer, key: string, config?: JsonObject): JsonObject | null {
  const r = configRegularizer(WHERE, layer, key, config);
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

/** The TF.js classes of our recurrent layers (and of an RNN of their cells). */
type TfjsRecurrentClass = "LSTM" | "GRU" | "SimpleRNN";
const TFJS_CLASS: Readonly<Record<RecurrentKind, TfjsRecurrentClass>> = { lstm: "LSTM", gru: "GRU", simpleRnn: "SimpleRNN" };

/** A cell activation TF.js has as a function (a leaky ReLU needs a layer of its own, impossible inside a cell). */
function cellActivationOut(owner: Layer, config: JsonObject, key: string, fallback: string): string {
  const act = tfjsActivation(storedActivation(config, key, fallback), owner.name);
  if (act.leakyAlpha !== undefined) {
    throw new BackpropError("INVALID_ARGUMENT", `modelToTfjs: layer "${owner.name}" uses leakyRelu as its ${key}, which TensorFlow.js has only as a layer, not inside a recurrent cell`);
  }
  return act.name;
}

/**
 * One TF.js LSTM, GRU or SimpleRNN: its config (Keras' keys) and weights `<weights>/kernel`,
 * `<weights>/recurrent_kernel`, `<weights>/bias` — our parameters, copied (the layouts are
 * Keras' in both: kernel `[inputDim, gates·units]`, gates i,f,c,o and z,r,h).
 */
function recurrentOut(owner: Layer, spec: RecurrentSpec, name: string, weights: string, weight: (local: string) => Param | undefined): TfjsLayerOut {
  const { config: c } = spec;
  const tfjsClass = TFJS_CLASS[spec.kind];
  if (c["returnState"] === true) {
    throw new BackpropError("INVALID_ARGUMENT", `modelToTfjs: layer "${owner.name}" has returnState, which gives several outputs where a Sequential model passes one tensor`, {
      hint: "set returnState: false for the export (use layer.call() for the states in your own code)",
    });
  }
  if (tfjsClass === "GRU" && c["resetAfter"] !== false) {
    throw new BackpropError("INVALID_ARGUMENT", `modelToTfjs: layer "${owner.name}" is a GRU with resetAfter: true, which TensorFlow.js 4 lacks (its GRU refuses reset_after: true)`, {
      hint: "train a GRU with resetAfter: false to run it in TF.js; ONNX export (linear_before_reset) and our own formats keep resetAfter: true",
    });
  }
  const need = (local: string): Param => {
    const p = weight(local);
    if (p === undefined) throw new BackpropError("INVALID_ARGUMENT", `modelToTfjs: layer "${owner.name}" (${owner.className}) has no parameter "${local}"`);
    return p;
  };
  const kernel = need("kernel").value;
  const recurrent = need("recurrentKernel").value;
  const bias = weight("bias")?.value;
  const out: TfjsWeight[] = [
    { name: `${weights}/kernel`, shape: kernel.shape, data: kernel.data },
    { name: `${weights}/recurrent_kernel`, shape: recurrent.shape, data: recurrent.data },
  ];
  if (bias) out.push({ name: `${weights}/bias`, shape: bias.shape, data: bias.data });
  const gated = tfjsClass !== "SimpleRNN";
  const config: JsonObject = {
    name,
    units: recurrent.shape[0] as number,
    activation: cellActivationOut(owner, c, "activation", "tanh"),
    ...(gated ? { recurrent_activation: cellActivationOut(owner, c, "recurrentActivation", "sigmoid") } : {}),
    use_bias: bias !== undefined,
    ...(tfjsClass === "LSTM" ? { unit_forget_bias: c["unitForgetBias"] !== false } : {}),
    kernel_regularizer: regularizerOut(owner, "kernelRegularizer", c),
    recurrent_regularizer: regularizerOut(owner, "recurrentRegularizer", c),
    bias_regularizer: regularizerOut(owner, "biasRegularizer", c),
    dropout: 0,
    recurrent_dropout: 0,
    ...(gated ? { implementation: 2 } : {}),
    ...(tfjsClass === "GRU" ? { reset_after: false } : {}),
    return_sequences: c["returnSequences"] === true,
    return_state: false,
    go_backwards: c["goBackwards"] === true,
    stateful: c["stateful"] === true,
    unroll: false,
    ...common,
  };
  return { layers: [{ class_name: tfjsClass, config }], weights: out };
}

/** An LSTM, GRU or SimpleRNN, or an RNN of one of their cells. */
const recurrentEmitter: TfjsEmitter = (layer, name, prefix) =>
  recurrentOut(layer, recurrentSpec(WHERE, layer, layer.className, layer.getConfig()), name, name, (local) => param(layer, prefix, local));

/** A TF.js-safe name (letters, digits, `_`, `.`, `-`, a letter first), else `fallback`. */
const safeName = (name: unknown, fallback: string): string => (typeof name === "string" && /^[A-Za-z][\w.-]*$/.test(name) ? name : fallback);

const MERGE_MODES: readonly string[] = ["concat", "sum", "mul", "ave"];

/**
 * One entry per layer class (its `className`): a new layer type with a TF.js form adds one line
 * here. Each reads the layer's parameters by name, the way `paramShapes` announces them.
 */
const TFJS_EMITTERS: Readonly<Record<string, TfjsEmitter>> = {
  dense: (layer, name, prefix) => {
    const kernel = requiredParam(layer, prefix, "kernel").value;
    const bias = param(layer, prefix, "bias")?.value;
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
  conv2d: (layer, name, prefix) => {
    const kernel = requiredParam(layer, prefix, "kernel").value;
    const bias = param(layer, prefix, "bias")?.value;
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
  reshape: (layer, name, _prefix, inputShape) => ({
    layers: [{ class_name: "Reshape", config: { name, target_shape: [...layer.computeOutputShape(inputShape)], ...common } }],
    weights: [],
  }),
  // Keras' layer and ours: the same parameters in the same order and layout, so a copy.
  batchNormalization: (layer, name, prefix) => {
    const weights: TfjsWeight[] = [];
    const add = (local: string, theirs: string) => {
      const p = param(layer, prefix, local)?.value;
      if (p) weights.push({ name: `${name}/${theirs}`, shape: p.shape, data: p.data });
    };
    add("gamma", "gamma");
    add("beta", "beta");
    weights.push(...(["movingMean", "movingVariance"] as const).map((local) => {
      const p = requiredParam(layer, prefix, local).value;
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
  layerNormalization: (layer, name, prefix) => {
    const weights: TfjsWeight[] = [];
    for (const local of ["gamma", "beta"]) {
      const p = param(layer, prefix, local)?.value;
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
  // Keras' layout in both (kernel [inputDim, gates·units], gates i,f,c,o / z,r,h): a copy.
  lstm: recurrentEmitter,
  gru: recurrentEmitter,
  simpleRnn: recurrentEmitter,
  rnn: recurrentEmitter,
  // TF.js names the two directions' weights <name>/forward_<inner>/kernel and
  // <name>/backward_<inner>/kernel, and builds the backward copy itself (go_backwards flipped).
  bidirectional: (layer, name, prefix) => {
    const config = layer.getConfig();
    const inner = config["layer"];
    if (!isJsonObject(inner) || typeof inner["className"] !== "string" || !isJsonObject(inner["config"])) {
      throw new BackpropError("INVALID_ARGUMENT", `modelToTfjs: layer "${layer.name}" (bidirectional) has no stored inner layer in its config (got ${short(inner)})`);
    }
    const spec = recurrentSpec(WHERE, layer, inner["className"], inner["config"]);
    const mergeMode = config["mergeMode"] ?? "concat";
    if (typeof mergeMode !== "string" || !MERGE_MODES.includes(mergeMode)) {
      throw new BackpropError("INVALID_ARGUMENT", `modelToTfjs: layer "${layer.name}" has mergeMode ${short(mergeMode)} (expected one of: ${MERGE_MODES.join(", ")})`);
    }
    const innerName = safeName(inner["config"]["name"], spec.kind.toLowerCase());
    const forward = recurrentOut(layer, spec, innerName, `${name}/forward_${innerName}`, (local) => param(layer, `${prefix}.forward`, local));
    const backward = recurrentOut(layer, spec, innerName, `${name}/backward_${innerName}`, (local) => param(layer, `${prefix}.backward`, local));
    return {
      layers: [{ class_name: "Bidirectional", config: { name, merge_mode: mergeMode, layer: forward.layers[0] as JsonObject, ...common } }],
      weights: [...forward.weights, ...backward.weights],
    };
  },
  embedding: (layer, name, prefix) => {
    const table = requiredParam(layer, prefix, "embeddings").value;
    const config = layer.getConfig();
    const inputLength = config["inputLength"];
    return {
      layers: [{
        class_name: "Embedding",
        config: {
          name,
          input_dim: table.shape[0] as number,
          output_dim: table.shape[1] as number,
          embeddings_regularizer: regularizerOut(layer, "embeddingsRegularizer"),
          mask_zero: config["maskZero"] === true,
          input_length: typeof inputLength === "number" ? inputLength : null,
          ...common,
        },
      }],
      weights: [{ name: `${name}/embeddings`, shape: table.shape, data: table.data }],
    };
  },
  masking: plain("Masking", (layer) => ({ mask_value: configNumber(WHERE, layer, "maskValue") })),
  // TF.js builds the wrapped layer in the wrapper's name scope: its weights are <name>/kernel, ….
  // A wrapped layer that becomes several TF.js layers (Dense + LeakyReLU) has the elementwise
  // rest follow the wrapper, where it acts on every step alike.
  timeDistributed: (layer, name, prefix, inputShape) => {
    const inner = (layer as { readonly layer?: unknown }).layer as Layer | undefined;
    const emit = inner !== undefined && Object.hasOwn(TFJS_EMITTERS, inner.className) ? TFJS_EMITTERS[inner.className] : undefined;
    if (inner === undefined || emit === undefined) {
      throw new BackpropError(
        "INVALID_ARGUMENT",
        `modelToTfjs: layer "${layer.name}" wraps ${inner === undefined ? "no layer" : `a layer of type "${inner.className}", which has no TensorFlow.js equivalent`} (supported: ${Object.keys(TFJS_EMITTERS).join(", ")})`,
      );
    }
    const innerName = safeName(inner.name, `${name}_${inner.className}`);
    const out = emit(inner, innerName, `${prefix}.layer`, inputShape.slice(1));
    const [first, ...rest] = out.layers;
    return {
      layers: [{ class_name: "TimeDistributed", config: { name, layer: first as JsonObject, ...common } }, ...rest],
      weights: out.weights.map((w) => ({ ...w, name: w.name.startsWith(`${innerName}/`) ? `${name}/${w.name.slice(innerName.length + 1)}` : w.name })),
    };
  },
  // TF.js has no Normalization layer. Its BatchNormalization at inference is
  // (x − moving_mean) / √(moving_variance + epsilon) · gamma + beta over the last axis, which with
  // gamma 1, beta 0 and epsilon 0 is ours exactly, kept as a layer of its own: any layer may follow
  // it, the statistics stay readable, and modelFromTfjs reads it back as a Normalization.
  // Not trainable, as ours: the statistics are data, not weights to learn.
  normalization: (layer, name, prefix) => {
    const mean = requiredParam(layer, prefix, "mean").value;
    const variance = requiredParam(layer, prefix, "variance").value;
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
 * - Activation → `Activation` (or `LeakyReLU`); Dropout → `Dropout`;
 * - LSTM, GRU, SimpleRNN (and an RNN of their cells) → `LSTM`, `GRU`, `SimpleRNN` (`units`,
 *   `activation`, `recurrent_activation`, `use_bias`, `unit_forget_bias`, `return_sequences`,
 *   `go_backwards`, `stateful`, `reset_after: false`; weights `<name>/kernel`,
 *   `<name>/recurrent_kernel`, `<name>/bias`). TF.js 4 has no GRU with `resetAfter: true`, and
 *   its `hard_sigmoid` is `{ name: "hardSigmoid", config: { slope: 0.2, offset: 0.5 } }` (our
 *   default hardSigmoid, Keras 3's (x + 3)/6, has no TF.js form);
 * - Bidirectional → `Bidirectional` (`merge_mode`, the forward layer as `layer`; weights
 *   `<name>/forward_<inner>/…` then `<name>/backward_<inner>/…`); TimeDistributed →
 *   `TimeDistributed` (the wrapped layer's weights `<name>/kernel`, …, as TF.js names them);
 *   Embedding → `Embedding` (`input_dim`, `output_dim`, `mask_zero`, `input_length`; weight
 *   `<name>/embeddings`); Masking → `Masking` (`mask_value`).
 *
 * Weight layouts are Keras' in both libraries: every weight is a copy. float64 weights are rounded
 * to float32 (the format holds float32 only). A model with a stateful layer needs
 * `options.batchSize`: TF.js keeps the states of one fixed batch size.
 *
 * @throws BackpropError `NOT_BUILT`; `INVALID_ARGUMENT` for a layer or activation tfjs lacks, a
 *   stateful model without `batchSize`, a layer with `returnState`
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
  const batchSize = options.batchSize ?? null;
  if (batchSize !== null && !(Number.isSafeInteger(batchSize) && batchSize >= 1)) {
    throw new BackpropError("INVALID_ARGUMENT", `modelToTfjs: invalid batchSize (got ${short(batchSize)}, expected a positive integer)`);
  }
  const stateful = model.layers.find((layer) => hasStateful(layer.getConfig()));
  if (stateful !== undefined && batchSize === null) {
    throw new BackpropError("INVALID_ARGUMENT", `modelToTfjs: layer "${stateful.name}" is stateful, and TF.js keeps a stateful layer's states for one fixed batch size`, {
      hint: "pass the batch size you will feed it: modelToTfjs(model, { batchSize: 32 })",
    });
  }
  let shape = model.inputShape as Shape;
  model.layers.forEach((layer, i) => {
    const emit = Object.hasOwn(TFJS_EMITTERS, layer.className) ? TFJS_EMITTERS[layer.className] : undefined;
    if (emit === undefined) {
      throw new BackpropError(
        "INVALID_ARGUMENT",
        `modelToTfjs: layer "${layer.name}" of type "${layer.className}" has no TensorFlow.js equivalent (supported: ${Object.keys(TFJS_EMITTERS).join(", ")})`,
      );
    }
    const out = emit(layer, safeName(layer.name, `layer_${i}`), `layers.${i}`, shape);
    shape = layer.computeOutputShape(shape);
    layers.push(...out.layers);
    weights.push(...out.weights);
  });
  const first = layers[0] as { config: JsonObject };
  first.config = { ...first.config, batch_input_shape: [batchSize, ...(model.inputShape as Shape)] };
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
  // TF.js' hard sigmoid is Keras 2's 0.2·x + 0.5 (clipped), ours a line with that slope and offset.
  if (key === "hard_sigmoid" || key === "hardSigmoid") return { name: TFJS_HARD_SIGMOID.name, config: { ...TFJS_HARD_SIGMOID.config } };
  const ours = Object.hasOwn(FROM_TFJS, key) ? FROM_TFJS[key] : undefined;
  if (ours === undefined) {
    throw invalidFile(loc, path, `activation ${JSON.stringify(name)} is not supported (supported: ${[...Object.keys(FROM_TFJS), "hard_sigmoid"].join(", ")})`);
  }
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

/** Keys of every TF.js / Keras recurrent layer (their cell's and their loop's, side by side). */
const RECURRENT_KEYS = [
  "units", "activation", "use_bias", "kernel_initializer", "recurrent_initializer", "bias_initializer",
  "kernel_regularizer", "recurrent_regularizer", "bias_regularizer", "activity_regularizer",
  "kernel_constraint", "recurrent_constraint", "bias_constraint", "dropout", "recurrent_dropout",
  "return_sequences", "return_state", "go_backwards", "stateful", "unroll", "time_major",
];
const RECURRENT_EXTRA_KEYS: Readonly<Record<TfjsRecurrentClass, readonly string[]>> = {
  LSTM: ["recurrent_activation", "unit_forget_bias", "implementation"],
  GRU: ["recurrent_activation", "reset_after", "implementation"],
  SimpleRNN: [],
};
const TFJS_RECURRENT: readonly string[] = ["LSTM", "GRU", "SimpleRNN"];

/**
 * A TF.js LSTM, GRU or SimpleRNN as ours, with the TF.js defaults where a key is absent
 * (`activation` tanh, `recurrent_activation` hard_sigmoid, `reset_after` false). Dropout is
 * refused rather than dropped (we have none: a file that asks for it trains differently), and so
 * are `return_state` (several outputs in a Sequential model) and `time_major`.
 */
function readRecurrent(ctx: TfjsReadContext, kind: TfjsRecurrentClass): TfjsRead & { readonly layer: RNN } {
  checkKeys(ctx, [...RECURRENT_KEYS, ...RECURRENT_EXTRA_KEYS[kind]]);
  noneOf(ctx, ["activity_regularizer", "kernel_constraint", "recurrent_constraint", "bias_constraint"]);
  for (const key of ["dropout", "recurrent_dropout"]) {
    const v = ctx.config[key];
    if (v === undefined || v === null || v === 0) continue;
    throw invalidFile(
      ctx.loc,
      `${ctx.path}.config.${key}`,
      `layer "${ctx.name}" (${ctx.className}): ${key} is not supported (got ${short(v)}, expected 0)`,
      "our recurrent layers have no dropout; it changes training only, so setting it to 0 in the file loads a model that predicts the same",
    );
  }
  onlyValue(ctx, "return_state", [false], "false (a Sequential model passes one tensor between layers)");
  onlyValue(ctx, "time_major", [false], "false (inputs are [batch, time, features])");
  // The same function in every implementation (TF.js always runs its implementation 2).
  onlyValue(ctx, "implementation", [0, 1, 2], "0, 1 or 2");
  flag(ctx, "unroll", false);
  const c = ctx.config;
  const useBias = flag(ctx, "use_bias", true);
  const activation = activationFromTfjs(c["activation"] ?? "tanh", ctx.loc, `${ctx.path}.config.activation`);
  const gated = kind !== "SimpleRNN";
  const config = defined({
    units: widthOf(ctx, "units"),
    activation: activation as Json,
    recurrentActivation: gated ? (activationFromTfjs(c["recurrent_activation"] ?? "hard_sigmoid", ctx.loc, `${ctx.path}.config.recurrent_activation`) as Json) : undefined,
    useBias,
    // TF.js leaves it null (falsy) unless set; it only shapes the initial bias.
    unitForgetBias: kind === "LSTM" ? flag(ctx, "unit_forget_bias", false) : undefined,
    // true is Keras' GRU (a separate recurrent bias, [2, 3·units]), which TF.js 4 cannot load but we can.
    resetAfter: kind === "GRU" ? flag(ctx, "reset_after", false) : undefined,
    returnSequences: flag(ctx, "return_sequences", false),
    goBackwards: flag(ctx, "go_backwards", false),
    stateful: flag(ctx, "stateful", false),
    kernelRegularizer: regularizerIn(ctx, "kernel_regularizer"),
    recurrentRegularizer: regularizerIn(ctx, "recurrent_regularizer"),
    biasRegularizer: regularizerIn(ctx, "bias_regularizer"),
  });
  const layer = make(ctx, (): RNN => {
    if (kind === "LSTM") return new LSTM(config as unknown as LSTMConfig);
    if (kind === "GRU") return new GRU(config as unknown as GRUConfig);
    return new SimpleRNN(config as unknown as SimpleRNNConfig);
  });
  return { layer, params: weightsOf(ctx, ["kernel", "recurrent_kernel", useBias && "bias"]) };
}

/** A wrapper's `layer`: `{ class_name, config }`. */
function wrappedLayer(ctx: TfjsReadContext): { className: string; config: Readonly<Record<string, Json>> } {
  const inner = ctx.config["layer"];
  if (!isJsonObject(inner) || typeof inner["class_name"] !== "string" || !isJsonObject(inner["config"])) {
    throw invalidFile(ctx.loc, `${ctx.path}.config.layer`, `layer "${ctx.name}" (${ctx.className}): expected the wrapped layer as { class_name, config } (got ${short(inner)})`);
  }
  return { className: inner["class_name"], config: inner["config"] };
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
  LSTM: (ctx) => readRecurrent(ctx, "LSTM"),
  GRU: (ctx) => readRecurrent(ctx, "GRU"),
  SimpleRNN: (ctx) => readRecurrent(ctx, "SimpleRNN"),
  // The wrapped layer read twice: as the forward direction, its weights <name>/forward_<inner>/…,
  // and as the backward one, <name>/backward_<inner>/… (ours builds the backward copy itself,
  // go_backwards flipped, as TF.js does).
  Bidirectional: (ctx) => {
    checkKeys(ctx, ["layer", "merge_mode", "num_constants"]);
    onlyValue(ctx, "num_constants", [], "null (constants are not supported)");
    // NOTE: absent is concat; null is TF.js' "two outputs", which a Sequential model cannot pass on.
    const mergeMode = ctx.config["merge_mode"] === undefined ? "concat" : ctx.config["merge_mode"];
    if (typeof mergeMode !== "string" || !MERGE_MODES.includes(mergeMode)) {
      throw invalidFile(
        ctx.loc,
        `${ctx.path}.config.merge_mode`,
        `layer "${ctx.name}" (Bidirectional): merge_mode ${short(ctx.config["merge_mode"])} is not supported (expected one of: ${MERGE_MODES.join(", ")})`,
      );
    }
    const inner = wrappedLayer(ctx);
    if (!TFJS_RECURRENT.includes(inner.className)) {
      throw invalidFile(ctx.loc, `${ctx.path}.config.layer.class_name`, `layer "${ctx.name}" (Bidirectional): wraps ${short(inner.className)} (expected one of: ${TFJS_RECURRENT.join(", ")})`);
    }
    const innerName = inner.config["name"];
    if (typeof innerName !== "string") {
      throw invalidFile(ctx.loc, `${ctx.path}.config.layer.config.name`, `layer "${ctx.name}" (Bidirectional): the wrapped layer has no name, which its weights are named after (${ctx.name}/forward_<name>/kernel)`);
    }
    const direction = (dir: "forward" | "backward") =>
      readRecurrent(
        {
          ...ctx,
          config: inner.config,
          path: `${ctx.path}.config.layer`,
          name: `${ctx.name}/${dir}_${innerName}`,
          className: `${inner.className} in Bidirectional`,
          weight: (local) => ctx.weight(`${dir}_${innerName}/${local}`),
        },
        inner.className as TfjsRecurrentClass,
      );
    const forward = direction("forward");
    const backward = direction("backward");
    return {
      layer: make(ctx, () => new Bidirectional({ layer: forward.layer, mergeMode: mergeMode as MergeMode })),
      params: [...forward.params, ...backward.params],
    };
  },
  // TF.js builds the wrapped layer in the wrapper's name scope: its weights are <name>/kernel, ….
  TimeDistributed: (ctx) => {
    checkKeys(ctx, ["layer"]);
    const inner = wrappedLayer(ctx);
    const reader = Object.hasOwn(TFJS_READERS, inner.className) && inner.className !== "InputLayer" ? TFJS_READERS[inner.className] : undefined;
    if (reader === undefined) {
      throw invalidFile(ctx.loc, `${ctx.path}.config.layer.class_name`, `layer "${ctx.name}" (TimeDistributed): wraps ${short(inner.className)}, which is not supported (supported: ${Object.keys(TFJS_READERS).filter((n) => n !== "InputLayer").join(", ")})`);
    }
    const read = reader({
      ...ctx,
      config: inner.config,
      path: `${ctx.path}.config.layer`,
      className: `${inner.className} in TimeDistributed`,
      inputShape: ctx.inputShape?.slice(1),
    }) as TfjsRead;
    return { layer: make(ctx, () => new TimeDistributed({ layer: read.layer })), params: read.params };
  },
  Masking: (ctx) => {
    checkKeys(ctx, ["mask_value"]);
    return { layer: make(ctx, () => new Masking({ maskValue: (ctx.config["mask_value"] ?? 0) as number })), params: [] };
  },
  Embedding: (ctx) => {
    checkKeys(ctx, ["input_dim", "output_dim", "embeddings_initializer", "embeddings_regularizer", "activity_regularizer", "embeddings_constraint", "mask_zero", "input_length"]);
    noneOf(ctx, ["activity_regularizer", "embeddings_constraint"]);
    const raw = ctx.config["input_length"];
    // Keras writes a length, or a list of one per input axis (one axis here).
    const length = Array.isArray(raw) && raw.length === 1 ? raw[0] : raw;
    if (length !== undefined && length !== null && !(typeof length === "number" && Number.isSafeInteger(length) && length >= 1 && length <= MAX_WIDTH)) {
      throw invalidFile(ctx.loc, `${ctx.path}.config.input_length`, `layer "${ctx.name}" (Embedding): expected null or one integer in [1, ${MAX_WIDTH}] (got ${short(raw)})`);
    }
    const inputLength = typeof length === "number" ? length : undefined;
    const config = defined({
      inputDim: widthOf(ctx, "input_dim"),
      outputDim: widthOf(ctx, "output_dim"),
      maskZero: flag(ctx, "mask_zero", false),
      inputLength,
      embeddingsRegularizer: regularizerIn(ctx, "embeddings_regularizer"),
    });
    return {
      layer: make(ctx, () => new Embedding(config as unknown as EmbeddingConfig)),
      params: weightsOf(ctx, ["embeddings"]),
      ...(inputLength === undefined ? {} : { inputWidth: inputLength }),
    };
  },
};

/** Options of {@link modelFromTfjs}. */
export interface TfjsLoadOptions extends LoadOptions {
  /**
   * The number of time steps to build the model for when the file leaves it open
   * (`batch_input_shape: [null, null, features]`, common for recurrent models in TF.js): our
   * models are built for one sample shape. Ignored when the file gives the length.
   */
  readonly sequenceLength?: number;
}

function sampleShapeOf(input: Json | undefined, loc: FileLocation, path: string, sequenceLength: number | undefined): number[] | undefined {
  if (!Array.isArray(input)) return undefined;
  const sample = input.slice(1);
  if (input.length >= 2 && (sample[0] === null || sample[0] === undefined)) {
    if (sequenceLength === undefined) {
      throw invalidFile(loc, path, `the time axis (a sample's first) is open (got ${JSON.stringify(input).slice(0, 80)}): a model here is built for one sequence length`, "pass it: modelFromTfjs(files, { sequenceLength: 20 })");
    }
    sample[0] = sequenceLength;
  }
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
 * `LeakyReLU`, `Dropout`, `LSTM`, `GRU`, `SimpleRNN`, `Bidirectional`, `TimeDistributed`,
 * `Embedding`, `Masking`, `InputLayer`. A frozen `BatchNormalization` with epsilon 0, gamma 1 and
 * beta 0 — how {@link modelToTfjs} writes a Normalization — reads back as a Normalization.
 * Every weight is checked against the layers' `paramShapes` before the model is built.
 *
 * Recurrent layers take TF.js' defaults for absent keys (`recurrent_activation` `hard_sigmoid`,
 * read as `{ name: "hardSigmoid", config: { slope: 0.2, offset: 0.5 } }`); a GRU with Keras'
 * `reset_after: true` (bias `[2, 3·units]`) loads too. A file whose time axis is open
 * (`batch_input_shape: [null, null, features]`) needs `options.sequenceLength`.
 *
 * Options we cannot compute are refused, never dropped: `data_format: "channels_first"`,
 * `groups` ≠ 1, constraints, activity regularizers, a normalisation over another axis than the
 * last (`-1`, or its number, `3` for images), `dropout` / `recurrent_dropout` other than 0,
 * `return_state`, `time_major`, a Bidirectional `merge_mode` of null, and any key a reader does
 * not know. Initializers are ignored (the weights come with the file).
 *
 * @throws BackpropError `INVALID_FILE` naming the layer, and the key or weight that cannot be read
 * @example
 * ```ts
 * const model = modelFromTfjs({ "model.json": json, "group1-shard1of1.bin": bin });
 * ```
 */
export function modelFromTfjs(files: Readonly<Record<string, Uint8Array>>, options: TfjsLoadOptions = {}): Sequential {
  const sequenceLength = options.sequenceLength;
  if (sequenceLength !== undefined && !(Number.isSafeInteger(sequenceLength) && sequenceLength >= 1 && sequenceLength <= MAX_WIDTH)) {
    throw new BackpropError("INVALID_ARGUMENT", `modelFromTfjs: invalid sequenceLength (got ${short(sequenceLength)}, expected an integer in [1, ${MAX_WIDTH}])`);
  }
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
    // One shard is read where it is; several are joined (a copy) so a weight may span two.
    let all = parts[0] ?? new Uint8Array(0);
    if (parts.length > 1) {
      all = new Uint8Array(size);
      let o = 0;
      for (const p of parts) {
        all.set(p, o);
        o += p.length;
      }
    }
    const view = new DataView(all.buffer, all.byteOffset, all.byteLength);
    let pos = 0;
    group.weights.forEach((w, k) => {
      const n = w.shape.reduce((a, b) => a * b, 1);
      let data: Float32Array;
      // The bytes are the values (little-endian): a view where aligned, else one native copy.
      if (LITTLE_ENDIAN) data = (all.byteOffset + pos) % 4 === 0 ? new Float32Array(all.buffer as ArrayBuffer, all.byteOffset + pos, n) : new Float32Array(new Uint8Array(all.subarray(pos, pos + n * 4)).buffer);
      else {
        data = new Float32Array(n);
        for (let i = 0; i < n; i++) data[i] = view.getFloat32(pos + i * 4, true);
      }
      pos += n * 4;
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
      declared = sampleShapeOf(input, loc, `${path}.config.batch_input_shape`, sequenceLength);
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
