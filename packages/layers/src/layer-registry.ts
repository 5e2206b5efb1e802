import { BackpropError, Registry, type JsonObject } from "@backprop/linalg";
import { ActivationLayer, type ActivationLayerConfig } from "./activation-layer.js";
import { Dense, type DenseConfig } from "./dense.js";
import { Dropout, type DropoutConfig } from "./dropout.js";
import type { Layer } from "./layer.js";

/** Rebuilds a layer from its JSON config. */
export type LayerFactory = (config: JsonObject) => Layer;

const layers = new Registry<LayerFactory>(
  "layer",
  {
    dense: (config) => new Dense(config as unknown as DenseConfig),
    activation: (config) => new ActivationLayer(config as unknown as ActivationLayerConfig),
    dropout: (config) => new Dropout(config as unknown as DropoutConfig),
  },
  "registerLayer(\"myproject>myLayer\", (config) => new MyLayer(config))",
);

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
 * @throws BackpropError `UNKNOWN_COMPONENT` listing the registered layer types
 */
export function layerFromConfig(spec: { readonly className: string; readonly config: JsonObject }): Layer {
  if (typeof spec !== "object" || spec === null || typeof spec.className !== "string") {
    throw new BackpropError("INVALID_CONFIG", "layerFromConfig: expected { className, config }");
  }
  return layers.get(spec.className)(spec.config ?? {});
}

/** The names of every registered layer type. */
export function listLayers(): string[] {
  return layers.names();
}
