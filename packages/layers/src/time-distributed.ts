import {
  BackpropError,
  describeValue,
  isPlainObject,
  readConfig,
  shapeString,
  type FloatArray,
  type Json,
  type JsonObject,
  type Param,
  type Shape,
  type Tensor,
} from "@backprop/linalg";
import { checkInputShape } from "./input-shape.js";
import type { BackwardContext, BuildContext, ForwardContext, Layer, LayerInspection, ParamShape, TimeMask } from "./layer.js";
// NOTE: layer-registry.ts imports this file too (to register "timeDistributed"). The cycle is safe:
// neither module calls into the other while loading, only later from constructors.
import { layerFromConfig } from "./layer-registry.js";
import { inputShapeField } from "./reshape.js";

/**
 * A layer as a model file stores it: its registry name and its config.
 * @example
 * ```ts
 * const stored: StoredLayer = { className: "dense", config: { units: 8, activation: "relu" } };
 * ```
 */
export interface StoredLayer {
  /** Registry name, e.g. `"dense"`. */
  readonly className: string;
  /** The layer's `getConfig()`. */
  readonly config: JsonObject;
}

/**
 * Options of {@link TimeDistributed}.
 * @example
 * ```ts
 * const config: TimeDistributedConfig = { layer: new Dense({ units: 8 }), inputShape: [10, 16] };
 * ```
 */
export interface TimeDistributedConfig {
  /** The layer applied to every time step: an instance (not yet built), or its stored `{ className, config }`. */
  readonly layer: Layer | StoredLayer;
  /** Per-sample input shape `[steps, …]`, when this is the model's first layer. */
  readonly inputShape?: readonly number[] | null;
  /** Layer name, assigned by the model when omitted. */
  readonly name?: string;
}

// The inner layer sees each time step as a sample of its own, so the time mask (one flag per
// sample and step) means nothing to it; only the training flag is passed on.
const TRAINING: ForwardContext = Object.freeze({ training: true });
const INFERENCE: ForwardContext = Object.freeze({ training: false });

function isLayer(value: unknown): value is Layer {
  const v = value as Partial<Layer> | null;
  return typeof v === "object" && v !== null && typeof v.forward === "function" && typeof v.backward === "function" && typeof v.build === "function";
}

function readLayer(value: unknown): Layer {
  if (isLayer(value)) {
    if (value.built) {
      throw new BackpropError("INVALID_CONFIG", `TimeDistributed: the layer "${value.name}" is already built`, {
        hint: "wrap a new, unbuilt layer: TimeDistributed builds it for the shape of one time step",
      });
    }
    return value;
  }
  if (isPlainObject(value) && typeof value["className"] === "string") {
    return layerFromConfig({ className: value["className"], config: (value["config"] ?? {}) as JsonObject });
  }
  throw new BackpropError(
    "INVALID_CONFIG",
    `TimeDistributed: invalid layer (got ${describeValue(value)}, expected a layer such as new Dense({ units: 8 }), or { className, config })`,
  );
}

/**
 * Views of tensors under another shape, one per array seen: the buffers around a layer are reused
 * batch after batch, so after the first batch of each size no view is made (weak keys: views of
 * arrays nobody holds any more go with them). An array's length fixes the batch, so a cached view
 * of the same array is the same view.
 */
class Views {
  private readonly byArray = new WeakMap<FloatArray, Tensor>();

  /** `[batch, steps, …sample]` read as `[batch·steps, …sample]`. */
  folded(t: Tensor, sample: Shape): Tensor {
    let view = this.byArray.get(t.data);
    if (view === undefined) {
      view = t.reshape([(t.shape[0] as number) * (t.shape[1] as number), ...sample]);
      this.byArray.set(t.data, view);
    }
    return view;
  }

  /** `[batch·steps, …sample]` read as `[batch, steps, …sample]`. */
  unfolded(t: Tensor, steps: number, sample: Shape): Tensor {
    let view = this.byArray.get(t.data);
    if (view === undefined) {
      view = t.reshape([(t.shape[0] as number) / steps, steps, ...sample]);
      this.byArray.set(t.data, view);
    }
    return view;
  }
}

/**
 * Applies one layer to every time step of a sequence (Keras' / TensorFlow.js' `TimeDistributed`),
 * with the same weights at every step: `[batch, steps, …inner]` → `[batch, steps, …innerOut]`.
 *
 * The batch and time axes are folded together — the input's memory read as
 * `[batch·steps, …inner]`, no copy — so the wrapped layer runs once on batch·steps samples; its
 * output is read back as `[batch, steps, …innerOut]`, and backward reshapes the gradient the same
 * way. The wrapped layer's parameters are named `<prefix>.layer.<name>`, e.g.
 * `"layers.1.layer.kernel"`. A time mask is handed on unchanged.
 *
 * An unnamed wrapped layer is named after the wrapper (`"timeDistributed_1/dense"`), so two
 * wrapped layers of one model never share a name.
 *
 * @example
 * ```ts
 * const model = new Sequential([
 *   new Embedding({ inputDim: 1000, outputDim: 32, inputLength: 20 }),      // → [20, 32]
 *   new TimeDistributed({ layer: new Dense({ units: 5, activation: "softmax" }) }), // → [20, 5]
 * ]);
 * ```
 */
export class TimeDistributed implements Layer {
  /** Registry name of this layer type. */
  readonly className = "timeDistributed";
  /** The layer applied to each time step. */
  readonly layer: Layer;
  /** The per-sample input shape from the config, if given. */
  readonly inputShape: Shape | undefined;
  private ownName = "";
  // Whether the wrapped layer had no name of its own, so its name follows the wrapper's.
  private readonly namesLayer: boolean;
  private shape: Shape | undefined;
  private stepInputShape: Shape | undefined;
  private stepOutputShape: Shape | undefined;
  private readonly inputViews = new Views();
  private readonly outputViews = new Views();
  private readonly outputGradientViews = new Views();
  private readonly inputGradientViews = new Views();
  private lastX: Tensor | undefined;
  private lastY: Tensor | undefined;
  private lastDy: Tensor | undefined;
  private lastDx: Tensor | undefined;

  constructor(config: TimeDistributedConfig) {
    const c = readConfig("TimeDistributed", config, {
      layer: { type: "custom", read: readLayer },
      inputShape: inputShapeField("TimeDistributed"),
      name: { type: "string", default: "timeDistributed" },
    });
    this.layer = c.layer;
    this.namesLayer = c.layer.name === c.layer.className;
    this.name = c.name;
    this.inputShape = c.inputShape;
    if (this.inputShape) checkInputShape("TimeDistributed", this.inputShape, 2);
  }

  /** Layer name; an unnamed wrapped layer is renamed with it (`"<name>/<its className>"`). */
  get name(): string {
    return this.ownName;
  }

  set name(value: string) {
    this.ownName = value;
    if (this.namesLayer) this.layer.name = `${value}/${this.layer.className}`;
  }

  /** Whether {@link TimeDistributed.build} has run. */
  get built(): boolean {
    return this.shape !== undefined;
  }

  /** `[steps, …the wrapped layer's output for one step]`. */
  computeOutputShape(inputShape: Shape): Shape {
    checkInputShape(this.name, inputShape, 2);
    return [inputShape[0] as number, ...this.layer.computeOutputShape(inputShape.slice(1))];
  }

  /** The wrapped layer's parameters for one step, named `layer.<name>`. */
  paramShapes(inputShape: Shape): readonly ParamShape[] {
    checkInputShape(this.name, inputShape, 2);
    return this.layer.paramShapes(inputShape.slice(1)).map((p) => ({ name: `layer.${p.name}`, shape: p.shape }));
  }

  /** Builds the wrapped layer for one time step, its parameters under `<prefix>.layer`. */
  build(inputShape: Shape, ctx: BuildContext): void {
    const outputShape = this.computeOutputShape(inputShape);
    this.layer.build(inputShape.slice(1), { ...ctx, prefix: `${ctx.prefix}.layer` });
    this.shape = inputShape.slice();
    this.stepInputShape = inputShape.slice(1);
    this.stepOutputShape = outputShape.slice(1);
  }

  /** The wrapped layer on `[batch·steps, …inner]`, read back as `[batch, steps, …innerOut]`. */
  forward(x: Tensor, ctx: ForwardContext = {}): Tensor {
    const shape = this.shape;
    if (!shape) {
      throw new BackpropError("NOT_BUILT", `${this.name}: the layer is not built`, {
        hint: "add it to a Sequential model, or call build(inputShape, ctx) first",
      });
    }
    if (!hasSampleShape(x, shape)) {
      throw new BackpropError("SHAPE_MISMATCH", `${this.name}: input is ${shapeString(x)} (expected [n, ${shape.join(", ")}])`);
    }
    const stepInputs = this.inputViews.folded(x, this.stepInputShape as Shape);
    const stepOutputs = this.layer.forward(stepInputs, ctx.training === true ? TRAINING : INFERENCE);
    const y = this.outputViews.unfolded(stepOutputs, shape[0] as number, this.stepOutputShape as Shape);
    this.lastX = x;
    this.lastY = y;
    this.lastDy = undefined;
    this.lastDx = undefined;
    return y;
  }

  /** The wrapped layer's backward on the gradient read as `[batch·steps, …innerOut]`; dL/dx read back as `[batch, steps, …inner]`. */
  backward(dy: Tensor, ctx?: BackwardContext): Tensor {
    const y = this.lastY;
    const shape = this.shape;
    if (!y || !shape) throw new BackpropError("INVALID_STATE", `${this.name}.backward: called before forward`);
    if (dy.size !== y.size || dy.rank !== y.rank || dy.shape[0] !== y.shape[0] || dy.shape[1] !== y.shape[1]) {
      throw new BackpropError(
        "SHAPE_MISMATCH",
        `${this.name}.backward: gradient is ${shapeString(dy)} (expected ${shapeString(y)}, the output's shape)`,
      );
    }
    const stepGradients = this.outputGradientViews.folded(dy, this.stepOutputShape as Shape);
    const stepInputGradients = this.layer.backward(stepGradients, ctx);
    const dx = this.inputGradientViews.unfolded(stepInputGradients, shape[0] as number, this.stepInputShape as Shape);
    this.lastDy = dy;
    this.lastDx = ctx?.inputGradient === false ? undefined : dx;
    return dx;
  }

  /** The wrapped layer's parameters. */
  params(): readonly Param[] {
    return this.layer.params();
  }

  /** The wrapped layer's penalty. */
  regularizationLoss(): number {
    return this.layer.regularizationLoss();
  }

  /** The wrapped layer's non-weight state (a dropout generator), if it has any. */
  getState(): Json | undefined {
    return this.layer.getState?.();
  }

  /** Restores what {@link TimeDistributed.getState} returned. */
  setState(state: Json): void {
    if (!this.layer.setState) {
      throw new BackpropError("INVALID_STATE", `${this.name}.setState: the wrapped layer "${this.layer.name}" keeps no state`);
    }
    this.layer.setState(state);
  }

  /** Hands a time mask on unchanged: the time axis is kept. */
  computeMask(_input: Tensor, mask: TimeMask | undefined): TimeMask | undefined {
    return mask;
  }

  /** `{ name, layer: { className, config }, inputShape? }`. */
  getConfig(): JsonObject {
    const shape = this.inputShape ?? this.shape;
    return {
      name: this.name,
      layer: { className: this.layer.className, config: this.layer.getConfig() },
      ...(shape ? { inputShape: [...shape] } : {}),
    };
  }

  /** Input, output and their gradients from the last passes, in the sequence shapes (the wrapped layer has its own). */
  inspect(): LayerInspection {
    return {
      ...(this.lastX ? { input: this.lastX } : {}),
      ...(this.lastY ? { output: this.lastY } : {}),
      ...(this.lastDy ? { outputGradient: this.lastDy } : {}),
      ...(this.lastDx ? { inputGradient: this.lastDx } : {}),
    };
  }
}

/** Whether `x` is a batch of samples of shape `sample`; no allocation. */
function hasSampleShape(x: Tensor, sample: Shape): boolean {
  if (x.rank !== sample.length + 1) return false;
  for (let i = 0; i < sample.length; i++) if (x.shape[i + 1] !== sample[i]) return false;
  return true;
}
