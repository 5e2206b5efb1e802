import { BackpropError, Registry, describeValue, type JsonObject } from "@backprop/linalg";
import { ActivationLayer, type ActivationLayerConfig } from "./activation-layer.js";
import { Dense, type DenseConfig } from "./dense.js";
import { Dropout, type DropoutConfig } from "./dropout.js";
import { Normalization, type NormalizationConfig } from "./normalization.js";
import { Conv2D, type Conv2DConfig } from "./conv2d.js";
import { ZeroPadding2D, type ZeroPadding2DConfig } from "./zero-padding2d.js";
import { BatchNormalization, type BatchNormalizationConfig } from "./batch-normalization.js";
import { LayerNormalization, type LayerNormalizationConfig } from "./layer-normalization.js";
import { MaxPooling2D, type MaxPooling2DConfig } from "./pooling/max-pooling2d.js";
import { AveragePooling2D, type AveragePooling2DConfig } from "./pooling/average-pooling2d.js";
import { GlobalAveragePooling2D, GlobalMaxPooling2D, type GlobalPooling2DConfig } from "./pooling/global-pooling2d.js";
import { Flatten, type FlattenConfig } from "./flatten.js";
import { Reshape, type ReshapeConfig } from "./reshape.js";
import type { Layer } from "./layer.js";
import { Embedding, type EmbeddingConfig } from "./embedding.js";
import { Masking, type MaskingConfig } from "./masking.js";
import { TimeDistributed, type TimeDistributedConfig } from "./time-distributed.js";
import { RNN, type RNNConfig } from "./recurrent/rnn.js";
import { Bidirectional, type BidirectionalConfig } from "./recurrent/bidirectional.js";
import { GRU, LSTM, SimpleRNN, type GRUConfig, type LSTMConfig, type SimpleRNNConfig } from "./recurrent/recurrent-layers.js";

/** Rebuilds a layer from its JSON config. */
export type LayerFactory = (config: JsonObject) => Layer;

const layers = /* @__PURE__ */ new Registry<LayerFactory>({
  kind: "layer",
  builtins: {
    dense: (config) => new Dense(config as unknown as DenseConfig),
    activation: (config) => new ActivationLayer(config as unknown as ActivationLayerConfig),
    dropout: (config) => new Dropout(config as unknown as DropoutConfig),
    normalization: (config) => new Normalization(config as unknown as NormalizationConfig),
    conv2d: (config) => new Conv2D(config as unknown as Conv2DConfig),
    zeroPadding2d: (config) => new ZeroPadding2D(config as unknown as ZeroPadding2DConfig),
    batchNormalization: (config) => new BatchNormalization(config as unknown as BatchNormalizationConfig),
    layerNormalization: (config) => new LayerNormalization(config as unknown as LayerNormalizationConfig),
    maxPooling2d: (config) => new MaxPooling2D(config as unknown as MaxPooling2DConfig),
    averagePooling2d: (config) => new AveragePooling2D(config as unknown as AveragePooling2DConfig),
    globalAveragePooling2d: (config) => new GlobalAveragePooling2D(config as unknown as GlobalPooling2DConfig),
    globalMaxPooling2d: (config) => new GlobalMaxPooling2D(config as unknown as GlobalPooling2DConfig),
    flatten: (config) => new Flatten(config as unknown as FlattenConfig),
    reshape: (config) => new Reshape(config as unknown as ReshapeConfig),
    rnn: (config) => new RNN(config as unknown as RNNConfig),
    lstm: (config) => new LSTM(config as unknown as LSTMConfig),
    gru: (config) => new GRU(config as unknown as GRUConfig),
    simpleRnn: (config) => new SimpleRNN(config as unknown as SimpleRNNConfig),
    embedding: (config) => new Embedding(config as unknown as EmbeddingConfig),
    masking: (config) => new Masking(config as unknown as MaskingConfig),
    timeDistributed: (config) => new TimeDistributed(config as unknown as TimeDistributedConfig),
    bidirectional: (config) => new Bidirectional(config as unknown as BidirectionalConfig),
  },
  registerHint: 'register it first: registerLayer("myproject>myLayer", (config) => new MyLayer(config))',
  where: { get: "layerFromConfig", register: "registerLayer" },
  isEntry: (value): value is LayerFactory => typeof value === "function",
});

/**
 * Makes a custom layer type loadable from model files by its `className`.
 * @example
 * ```ts
 * registerLayer("acme>scale", (config) => new ScaleLayer(config));
 * ```
 */
export function registerLayer(className: string, factory: LayerFactory, options: { override?: boolean } = {}): void {
  layers.register(className, factory, options);
}

/**
 * A layer from its `{ className, config }` form (as `Sequential.getConfig()` writes it).
 * @throws BackpropError `UNKNOWN_COMPONENT` listing the registered layer types; `INVALID_CONFIG`
 *   for anything but `{ className, config }`
 * @example
 * ```ts
 * const copy = layerFromConfig({ className: "dense", config: layer.getConfig() });
 * ```
 */
export function layerFromConfig(spec: { readonly className: string; readonly config: JsonObject }): Layer {
  if (typeof spec !== "object" || spec === null || typeof spec.className !== "string") {
    throw new BackpropError(
      "INVALID_CONFIG",
      `layerFromConfig: invalid layer (got ${describeValue(spec)}, expected { className, config })`,
    );
  }
  return layers.create(spec.className, spec.config ?? {});
}

/**
 * The names of every registered layer type: built-ins first, then custom ones, each group sorted.
 * @example
 * ```ts
 * listLayers(); // ["activation", "dense", "dropout", …]
 * ```
 */
export function listLayers(): string[] {
  return layers.names();
}
