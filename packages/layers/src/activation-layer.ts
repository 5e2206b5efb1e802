import type { ActivationSpec } from "@backprop/activations";
import type { Activation } from "@backprop/activations";
import { BackpropError, shapeString, sizeOf, type JsonObject, type Param, type Shape, type Tensor } from "@backprop/linalg";
import { BufferPool } from "./buffer-pool.js";
import type { BackwardContext, BuildContext, ForwardContext, Layer, LayerInspection, ParamShape, TimeMask } from "./layer.js";
import { batchShapeText, checkInputShape, readInputShape } from "./input-shape.js";
import {
  activationBackward,
  activationForward,
  layerActivationConfig,
  resolveLayerActivation,
} from "./layer-activation.js";

/** Options of {@link ActivationLayer}. */
export interface ActivationLayerConfig {
  /** The activation: a name, `{ name, config }`, an `Activation` object, or `"softmax"`. */
  readonly activation: ActivationSpec;
  /** Layer name, assigned by the model when omitted. */
  readonly name?: string;
  /** Per-sample input shape, when this is the model's first layer. */
  readonly inputShape?: readonly number[] | null;
}

/**
 * Applies an activation on its own, `y = f(x)` (Keras' `Activation` layer), for models that keep
 * the linear part and the nonlinearity in separate layers.
 *
 * @example
 * ```ts
 * new Sequential([new Dense({ units: 4, inputDim: 2 }), new ActivationLayer({ activation: "relu" })]);
 * ```
 */
export class ActivationLayer implements Layer {
  /** Registry name of this layer type. */
  readonly className = "activation";
  /** Layer name. */
  name: string;
  /** The resolved activation (softmax included: a vector activation over the last axis). */
  readonly activation: Activation;
  /** The per-sample input shape from the config, if given. */
  readonly inputShape: Shape | undefined;
  private shape: Shape | undefined;
  private yPool: BufferPool | undefined;
  private dxPool: BufferPool | undefined;
  private lastX: Tensor | undefined;
  private lastY: Tensor | undefined;
  private lastDy: Tensor | undefined;
  private lastDx: Tensor | undefined;

  constructor(config: ActivationLayerConfig) {
    if (typeof config !== "object" || config === null || config.activation === undefined) {
      throw new BackpropError("INVALID_CONFIG", 'ActivationLayer: expected { activation }, e.g. { activation: "relu" }');
    }
    this.name = config.name ?? "activation";
    this.activation = resolveLayerActivation("ActivationLayer.activation", config.activation);
    this.inputShape = readInputShape("ActivationLayer", config);
  }

  /** Whether the layer knows its input shape. */
  get built(): boolean {
    return this.shape !== undefined;
  }

  /** Records the shape and allocates nothing until the first batch. */
  build(inputShape: Shape, ctx: BuildContext): void {
    checkInputShape(this.name, inputShape, 1);
    this.shape = inputShape.slice();
    this.yPool = new BufferPool(inputShape, ctx.dtype);
    this.dxPool = new BufferPool(inputShape, ctx.dtype);
  }

  /** Same as the input shape. */
  computeOutputShape(inputShape: Shape): Shape {
    checkInputShape(this.name, inputShape, 1);
    return inputShape;
  }

  /** None. */
  paramShapes(): readonly ParamShape[] {
    return [];
  }

  /** `y = f(x)`. */
  forward(x: Tensor, _ctx?: ForwardContext): Tensor {
    const shape = this.shape;
    if (!this.yPool || !shape || x.rank !== shape.length + 1 || x.size !== (x.shape[0] as number) * sizeOf(shape)) {
      throw new BackpropError("SHAPE_MISMATCH", `${this.name}: input is ${shapeString(x)} (expected ${shape ? batchShapeText(shape) : "a built layer"})`);
    }
    const batch = x.shape[0] as number;
    activationForward(this.activation, x.asMatrix(), this.yPool.matrix(batch));
    const y = this.yPool.get(batch);
    this.lastX = x;
    this.lastY = y;
    this.lastDy = undefined;
    this.lastDx = undefined;
    return y;
  }

  /** `dL/dx = dL/dy ⊙ f'(x)` (the Jacobian product for a vector activation). */
  backward(dy: Tensor, _ctx?: BackwardContext): Tensor {
    const x = this.lastX;
    const y = this.lastY;
    if (!x || !y || !this.dxPool) {
      throw new BackpropError("INVALID_STATE", `${this.name}.backward: called before forward`);
    }
    const batch = y.shape[0] as number;
    activationBackward(this.activation, x.asMatrix(), y.asMatrix(), dy.asMatrix(), this.dxPool.matrix(batch));
    const dx = this.dxPool.get(batch);
    this.lastDy = dy;
    this.lastDx = dx;
    return dx;
  }

  /** δ = dL/dx itself: the layer's input is the "net" its activation is applied to. */
  backwardFromDelta(delta: Tensor, _ctx?: BackwardContext): Tensor {
    this.lastDy = undefined;
    this.lastDx = delta;
    return delta;
  }

  /** None. */
  params(): readonly Param[] {
    return [];
  }

  /** 0: no weights. */
  regularizationLoss(): number {
    return 0;
  }

  /** Hands a time mask on unchanged: the layer works on each time step alone. */
  computeMask(_input: Tensor, mask: TimeMask | undefined): TimeMask | undefined {
    return mask;
  }

  /** `{ name, activation }`. */
  getConfig(): JsonObject {
    return {
      name: this.name,
      activation: layerActivationConfig(this.activation),
      ...(this.inputShape ? { inputShape: [...this.inputShape] } : {}),
    };
  }

  /** Input, output and gradients of the last passes (input = net, output = out). */
  inspect(): LayerInspection {
    return {
      ...(this.lastX ? { input: this.lastX, preActivation: this.lastX } : {}),
      ...(this.lastY ? { output: this.lastY } : {}),
      ...(this.lastDy ? { outputGradient: this.lastDy } : {}),
      ...(this.lastDx ? { delta: this.lastDx, inputGradient: this.lastDx } : {}),
    };
  }
}
