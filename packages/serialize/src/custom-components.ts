import type { Activation, ActivationFactory } from "@backprop/activations";
import type { JsonObject } from "@backprop/linalg";
import type { LayerFactory, LossFactory, MetricFactory } from "@backprop/layers";
import type { Optimizer, OptimizerFactory } from "@backprop/optimizers";

/**
 * Components known only to one load call (Keras' `custom_objects`), looked up by name before the
 * registries. Only names are ever stored in a file; the functions come from here or from
 * `registerActivation` / `registerOptimizer` / `registerLoss` / `registerMetric` / `registerLayer`.
 *
 * @example
 * ```ts
 * modelFromJSON(file, { custom: { activations: { "acme>cube": cube } } });
 * ```
 */
export interface CustomComponents {
  /** Activations by name: an activation (fixed config) or a factory from config. */
  readonly activations?: Readonly<Record<string, Activation | ActivationFactory>>;
  /** Optimizers by name: a `defineOptimizer` factory or `(config) => Optimizer`. */
  readonly optimizers?: Readonly<Record<string, OptimizerFactory<never> | ((config?: Readonly<JsonObject>) => Optimizer)>>;
  /** Losses by name. */
  readonly losses?: Readonly<Record<string, LossFactory>>;
  /** Metrics by name. */
  readonly metrics?: Readonly<Record<string, MetricFactory>>;
  /** Layer types by `className`. */
  readonly layers?: Readonly<Record<string, LayerFactory>>;
}

/** Options of every loader. */
export interface LoadOptions {
  /** Components to resolve before the registries. */
  readonly custom?: CustomComponents;
  /** File name used in error messages (set by the Node helpers). */
  readonly file?: string;
  /**
   * Whether to compile the model with the loss, optimizer (and its state) and metrics the file
   * stores. Default true. `false` loads a model only to predict: none of those names is resolved,
   * so none has to be registered. Formats that store no training setup (ONNX, TF.js) ignore it.
   */
  readonly compile?: boolean;
}
