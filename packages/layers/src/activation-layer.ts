import type { ActivationSpec } from "@backprop/activations";
import { BackpropError, shapeString, type JsonObject, type Matrix, type Param } from "@backprop/linalg";
import { BufferPool } from "./buffer-pool.js";
import type { BackwardContext, BuildContext, ForwardContext, Layer, LayerInspection } from "./layer.js";
import {
  activationBackward,
  activationForward,
  layerActivationConfig,
  resolveLayerActivation,
  type LayerActivation,
} from "./layer-activation.js";

/** Options of {@link ActivationLayer}. */
export interface ActivationLayerConfig {
  /** The activation: a name, `{ name, config }`, an `Activation` object, or `"softmax"`. */
  readonly activation: ActivationSpec;
  /** Layer name, assigned by the model when omitted. */
  readonly name?: string;
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
  /** The resolved activation. */
  readonly activation: LayerActivation;
  private width = -1;
  private yPool: BufferPool | undefined;
  private dxPool: BufferPool | undefined;
  private lastX: Matrix | undefined;
  private lastY: Matrix | undefined;
  private lastDy: Matrix | undefined;
  private lastDx: Matrix | undefined;

  constructor(config: ActivationLayerConfig) {
    if (typeof config !== "object" || config === null || config.activation === undefined) {
      throw new BackpropError("INVALID_CONFIG", 'ActivationLayer: expected { activation }, e.g. { activation: "relu" }');
    }
    this.name = config.name ?? "activation";
    this.activation = resolveLayerActivation("ActivationLayer.activation", config.activation);
  }

  /** Whether the layer knows its width. */
  get built(): boolean {
    return this.width >= 0;
  }

  /** Records the width and allocates nothing until the first batch. */
  build(ctx: BuildContext): void {
    this.width = ctx.inputDim;
    this.yPool = new BufferPool(ctx.inputDim, ctx.dtype);
    this.dxPool = new BufferPool(ctx.inputDim, ctx.dtype);
  }

  /** Same as the input width. */
  outputDim(inputDim: number): number {
    return inputDim;
  }

  /** `y = f(x)`. */
  forward(x: Matrix, _ctx?: ForwardContext): Matrix {
    if (!this.yPool || x.cols !== this.width) {
      throw new BackpropError("SHAPE_MISMATCH", `${this.name}: input is ${shapeString(x)} (expected n×${this.width})`);
    }
    const y = activationForward(this.activation, x, this.yPool.get(x.rows));
    this.lastX = x;
    this.lastY = y;
    this.lastDy = undefined;
    this.lastDx = undefined;
    return y;
  }

  /** `dL/dx = dL/dy ⊙ f'(x)`. */
  backward(dy: Matrix, _ctx?: BackwardContext): Matrix {
    if (!this.lastX || !this.lastY || !this.dxPool) {
      throw new BackpropError("INVALID_STATE", `${this.name}.backward: called before forward`);
    }
    const dx = activationBackward(this.activation, this.lastX, this.lastY, dy, this.dxPool.get(dy.rows));
    this.lastDy = dy;
    this.lastDx = dx;
    return dx;
  }

  /** None. */
  params(): readonly Param[] {
    return [];
  }

  /** 0: no weights. */
  regularizationLoss(): number {
    return 0;
  }

  /** `{ name, activation }`. */
  getConfig(): JsonObject {
    return { name: this.name, activation: layerActivationConfig(this.activation) };
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
