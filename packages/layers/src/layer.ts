import type { Activation } from "@backprop/activations";
import type { DType, Json, JsonObject, Param, Rng, Shape, Tensor } from "@backprop/linalg";

/** What a layer's forward pass needs to know about the call. */
export interface ForwardContext {
  /** True inside `fit`/`trainOnBatch`: dropout drops, and `backward` will follow. */
  readonly training?: boolean;
  /**
   * Which time steps of a `[batch, time, …]` input are real (from a `Masking` layer or an
   * `Embedding` with `maskZero`); recurrent layers skip the others. Absent: every step is real.
   */
  readonly mask?: TimeMask;
}

/**
 * Which steps of a batch of sequences are real and which are padding: `data[b·steps + t]` is 1
 * where step t of sample b is real, 0 where it is padding (Keras' boolean mask, one byte a step).
 * Layers hand it on through {@link Layer.computeMask}; recurrent layers skip the padded steps,
 * carrying their state over them.
 */
export interface TimeMask {
  /** One byte per (sample, step), sample-major: 1 = real step, 0 = padding. */
  readonly data: Uint8Array;
  /** Samples in the batch. */
  readonly batch: number;
  /** Time steps per sample. */
  readonly steps: number;
}

/** Options of a layer's backward pass. */
export interface BackwardContext {
  /**
   * False when nobody needs dLoss/dInput (the first layer of a model): the layer may skip that
   * product and return an unspecified tensor. Default true.
   */
  readonly inputGradient?: boolean;
}

/** What {@link Layer.build} receives besides the input shape: how to make the layer's weights. */
export interface BuildContext {
  /** Element type of every buffer and weight. */
  readonly dtype: DType;
  /** The model's generator; initializers and dropout draw only from it. */
  readonly rng: Rng;
  /** Prefix of the layer's parameter names, e.g. `"layers.0"` → `"layers.0.kernel"`. */
  readonly prefix: string;
}

/** The name (the part after the layer's prefix, e.g. `"kernel"`) and shape of one parameter. */
export interface ParamShape {
  /** Name within the layer: `"kernel"`, `"bias"`, … (the Param is `"<prefix>.<name>"`). */
  readonly name: string;
  /** The parameter's shape, e.g. `[inputs, units]` for a Dense kernel. */
  readonly shape: Shape;
}

/**
 * The intermediate values of the last forward/backward pass, for people: the trace the CLI
 * walkthrough, the demo and the docs show. Views of live buffers; copy them before the next pass.
 */
export interface LayerInspection {
  /** The layer's input of the last forward pass. */
  readonly input?: Tensor;
  /** The pre-activation ("net") values, where the layer has them. */
  readonly preActivation?: Tensor;
  /** The output ("out") values. */
  readonly output?: Tensor;
  /** dLoss/dOutput of the last backward pass. */
  readonly outputGradient?: Tensor;
  /** dLoss/dPreActivation — the "delta" of the backpropagation literature. */
  readonly delta?: Tensor;
  /** dLoss/dInput of the last backward pass. */
  readonly inputGradient?: Tensor;
  /**
   * A recurrent layer's values at every time step of the last forward pass, each
   * `[batch, time, units]` in processing order: each gate's activation (an LSTM's `input`,
   * `forget`, `candidate`, `output`; a GRU's `update`, `reset`, `candidate`), `hidden` (h) and,
   * for an LSTM, `cell` (c).
   */
  readonly timeSteps?: Readonly<Record<string, Tensor>>;
  /**
   * Backpropagation through time, step by step: dLoss/d(each gate's pre-activation) at every step
   * of the last backward pass (`[batch, time, units]`), and dLoss/d(initial states) as
   * `initialHidden` (and `initialCell`), `[batch, units]`.
   */
  readonly timeStepGradients?: Readonly<Record<string, Tensor>>;
}

/**
 * A differentiable block of a network, with the shape handshake of Keras and TensorFlow.js: the
 * model calls {@link Layer.build} once with the shape of one sample, asks
 * {@link Layer.computeOutputShape} for the next layer's input shape, and only then does the layer
 * own weights. `forward` and `backward` sit side by side in each implementation; `forward` caches
 * what `backward` needs.
 *
 * Shapes here are per sample, without the batch axis (TensorFlow.js' `inputShape`): a Dense layer
 * on 784 pixels sees `[784]`, a convolution on MNIST `[28, 28, 1]`. Tensors passed to `forward`
 * and `backward` have the batch as their first axis.
 *
 * Writing a layer takes one file: this interface (or a class implementing it), and one line of
 * registration (`registerLayer("acme>scale", (config) => new Scale(config))`) so a model file
 * naming it loads.
 */
export interface Layer {
  /** Registry name of the layer type, e.g. `"dense"`; custom layers may namespace: `"acme>scale"`. */
  readonly className: string;
  /** The instance's name, unique within a model (e.g. `"dense_1"`); the model assigns one when unset. */
  name: string;
  /** Whether {@link Layer.build} has run. */
  readonly built: boolean;
  /**
   * The per-sample input shape the layer declares in its config (Keras' `inputShape`; Dense's
   * `inputDim` is the shorthand for `[inputDim]`), if any: the model reads it on its first layer.
   */
  readonly inputShape?: Shape | undefined;
  /** Creates the weights for inputs of this per-sample shape. Called once by the model. */
  build(inputShape: Shape, ctx: BuildContext): void;
  /** The per-sample output shape for a per-sample input shape (no weights needed). */
  computeOutputShape(inputShape: Shape): Shape;
  /**
   * Name and shape of every parameter the layer has for this input shape, in the order of
   * {@link Layer.params} (no weights needed): what loaders check a file's weights against.
   */
  paramShapes(inputShape: Shape): readonly ParamShape[];
  /** Computes the output for a batch (first axis = samples). The result is a buffer the layer owns. */
  forward(x: Tensor, ctx?: ForwardContext): Tensor;
  /** Given dLoss/dOutput, accumulates parameter gradients and returns dLoss/dInput. */
  backward(dy: Tensor, ctx?: BackwardContext): Tensor;
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
  /**
   * The activation applied last, for a layer whose output is `activation(net)`: with
   * {@link Layer.backwardFromDelta} it lets a loss supply δ = dLoss/dNet directly (softmax or
   * sigmoid with cross-entropy), which is both faster and finite where a probability saturates.
   */
  readonly activation?: Activation;
  /** The backward pass from δ = dLoss/dNet instead of dLoss/dOutput (see {@link Layer.activation}). */
  backwardFromDelta?(delta: Tensor, ctx?: BackwardContext): Tensor;
  /**
   * Inference (`training: false`) through this layer and `next` in one pass, with the bits of
   * `next.forward(this.forward(x))` — e.g. a convolution and its max pooling, without writing the
   * convolution's output out. Returns `next`'s output, or undefined where it does not apply (the
   * model then runs the two layers one after the other).
   */
  inferThrough?(x: Tensor, next: Layer): Tensor | undefined;
  /**
   * The time mask of this layer's output, given its input and the input's mask (Keras'
   * `computeMask`): a `Masking` layer or an `Embedding` with `maskZero` makes one, layers that keep
   * the time axis hand it on, a recurrent layer without `returnSequences` ends it. Absent: the
   * layer does not support masks and the model drops any mask it receives.
   */
  computeMask?(input: Tensor, mask: TimeMask | undefined): TimeMask | undefined;
}
