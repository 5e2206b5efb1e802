import type { DType, Json, JsonObject, Matrix, Param, Rng } from "@backprop/linalg";

/** What a layer's forward pass needs to know about the call. */
export interface ForwardContext {
  /** True inside `fit`/`trainOnBatch`: dropout drops, and `backward` will follow. */
  readonly training?: boolean;
}

/** Options of a layer's backward pass. */
export interface BackwardContext {
  /**
   * False when nobody needs dLoss/dInput (the first layer of a model): the layer may skip that
   * product and return an unspecified matrix. Default true.
   */
  readonly inputGradient?: boolean;
}

/** What {@link Layer.build} receives: where the layer sits and how to make its weights. */
export interface BuildContext {
  /** Width of the input rows. */
  readonly inputDim: number;
  /** Element type of every buffer and weight. */
  readonly dtype: DType;
  /** The model's generator; initializers and dropout draw only from it. */
  readonly rng: Rng;
  /** Prefix of the layer's parameter names, e.g. `"layers.0"` → `"layers.0.kernel"`. */
  readonly prefix: string;
}

/**
 * The intermediate values of the last forward/backward pass, for people: the trace the CLI
 * walkthrough, the demo and the docs show. Views of live buffers; copy them before the next pass.
 */
export interface LayerInspection {
  /** The layer's input of the last forward pass. */
  readonly input?: Matrix;
  /** The pre-activation ("net") values, where the layer has them. */
  readonly preActivation?: Matrix;
  /** The output ("out") values. */
  readonly output?: Matrix;
  /** dLoss/dOutput of the last backward pass. */
  readonly outputGradient?: Matrix;
  /** dLoss/dPreActivation — the "delta" of the backpropagation literature. */
  readonly delta?: Matrix;
  /** dLoss/dInput of the last backward pass. */
  readonly inputGradient?: Matrix;
}

/**
 * A differentiable block of a network. `forward` and `backward` sit side by side in each
 * implementation; `forward` caches what `backward` needs.
 */
export interface Layer {
  /** Registry name of the layer type, e.g. `"dense"`. */
  readonly className: string;
  /** The instance's name, unique within a model (e.g. `"dense_1"`); the model assigns one when unset. */
  name: string;
  /** Whether {@link Layer.build} has run. */
  readonly built: boolean;
  /** Allocates weights for the given input width. Called once by the model. */
  build(ctx: BuildContext): void;
  /** Output width for a given input width. */
  outputDim(inputDim: number): number;
  /** Computes the output for a batch (rows = samples). The result is a buffer the layer owns. */
  forward(x: Matrix, ctx?: ForwardContext): Matrix;
  /** Given dLoss/dOutput, accumulates parameter gradients and returns dLoss/dInput. */
  backward(dy: Matrix, ctx?: BackwardContext): Matrix;
  /** The layer's parameters (empty before build or for parameter-free layers). */
  params(): readonly Param[];
  /** Regularization penalty added to the loss (0 if none). */
  regularizationLoss(): number;
  /** Everything but the weights, JSON-safe: enough to rebuild the layer. */
  getConfig(): JsonObject;
  /** The values of the last forward/backward pass. */
  inspect(): LayerInspection;
  /** Non-weight state a checkpoint must keep (e.g. a dropout generator), if any. */
  getState?(): Json | undefined;
  /** Restores what {@link Layer.getState} returned. */
  setState?(state: Json): void;
}
