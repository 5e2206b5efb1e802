import { identity, relu, type Activation } from "@backprop/activations";
import {
  getBackend,
  Matrix,
  type DenseStack,
  type DenseStackLayer,
  type DType,
  type FloatArray,
  type Param,
  type ParameterUpdate,
  type Tensor,
} from "@backprop/linalg";
import type { Optimizer } from "@backprop/optimizers";
import { BufferPool } from "../buffer-pool.js";
import { Dense } from "../dense.js";
import type { Layer } from "../layer.js";
import type { FusedGradient, Loss } from "../losses/index.js";
import { Normalization } from "../normalization.js";
import { ViewLayer } from "../reshape.js";
import { forwardLayers, fusedOutputDelta, type StepModel, type StepPasses, type StepStrategy } from "./train-step.js";

/*
 * The step of a stack of Dense layers through the kernel backend's fused passes
 * (`KernelBackend.denseStack`): the forward pass of every layer in one call, the backward pass of
 * every layer in another, the activations kept inside the backend in between. Hidden layers must be
 * ReLU or linear (the activations the backend computes with the layers' own bits); the last layer
 * may have any activation, applied here as the layer would apply it, with its loss gradient or the
 * fused softmax/sigmoid cross-entropy δ. The loss and the finiteness checks stay the model's (see
 * train-step.ts); so does the optimizer's update, except SGD, momentum and Adam, which the backend
 * applies to the parameters it still holds from the forward pass (Optimizer.fusedUpdates hands
 * them over; the optimizer records the step).
 *
 * The passes read the parameters from the params and write the gradients into them, as the layer
 * passes do, so callbacks, metrics and the optimizer see the same numbers; like the small-network
 * step, they do not renew what each layer recorded of its last pass (`inspect()`), which is why
 * `traceStep` always goes through the layers.
 *
 * Layers before the first Dense that train nothing and whose backward pass nothing reads — a
 * Normalization of the inputs, a Flatten or Reshape — run their own forward pass first, outside
 * the stack (the "frozen prefix"). The layer passes would give them dL/dy and they would compute
 * dL/dx, which only earlier layers could use: there are none that train, so the stack stops at
 * the first Dense layer, as it does without a prefix.
 */

/**
 * How many of the first layers of `layers` run before a fused Dense stack: built Normalization,
 * Flatten and Reshape layers, for training only those with no trainable parameter. Never all of
 * them.
 */
export function frozenPrefix(layers: readonly Layer[], training = true): number {
  let n = 0;
  while (n < layers.length - 1) {
    const layer = layers[n] as Layer;
    if (!(layer instanceof Normalization || layer instanceof ViewLayer) || !layer.built) break;
    if (training && layer.params().some((p) => p.trainable)) break;
    n++;
  }
  return n;
}

/**
 * The Dense layers of `layers` when all of them qualify, else undefined. For training, a layer
 * with a regularizer does not (its penalty's gradient is the layer's to add).
 */
export function denseLayers(layers: readonly Layer[], training = true): Dense[] | undefined {
  const out: Dense[] = [];
  for (let l = 0; l < layers.length; l++) {
    const layer = layers[l];
    if (!(layer instanceof Dense) || !layer.built) return undefined;
    const config = layer.getConfig();
    if (training && (config["kernelRegularizer"] !== null || config["biasRegularizer"] !== null)) return undefined;
    const act = layer.activation;
    if (l < layers.length - 1 && act !== relu && act !== identity) return undefined;
    out.push(layer);
  }
  return out.length > 0 ? out : undefined;
}

/** How the backend runs a layer's activation. */
export function planActivation(act: Activation, last: boolean): DenseStackLayer["activation"] {
  if (act === relu) return "relu";
  if (act === identity) return "identity";
  // Only the last layer gets here (denseLayers declines the others).
  return last ? "external" : "identity";
}

/** The backend plan's layers for `dense` (as {@link denseLayers} returns them). */
export function stackLayers(dense: readonly Dense[]): DenseStackLayer[] {
  return dense.map((layer, l) => ({
    inputs: layer.kernel.value.rows,
    units: layer.kernel.value.cols,
    bias: layer.bias !== undefined,
    activation: planActivation(layer.activation, l === dense.length - 1),
  }));
}

/**
 * The fused Dense-stack step as a step strategy: it applies when every layer is a built
 * {@link Dense} without regularizer, every hidden layer is ReLU or linear, samples are vectors, and
 * the active kernel backend offers `denseStack` for the batch (the wasm backend does when every
 * product is large enough to run in WASM). Same bits as the layer passes. The model's default
 * strategies include it after the small-network step; pass `{ stepStrategies: [] }` to
 * `Sequential` to train through the layers only.
 */
export const denseStackStep: StepStrategy = Object.freeze({
  name: "denseStack",
  passesFor(model: StepModel, loss: Loss, batch: number): StepPasses | undefined {
    const prefixLength = frozenPrefix(model.layers);
    const prefix = model.layers.slice(0, prefixLength);
    // The stack takes vectors: what the prefix gives must be one.
    let shape = model.inputShape;
    for (const layer of prefix) shape = layer.computeOutputShape(shape);
    if (shape.length !== 1) return undefined;
    const dense = denseLayers(model.layers.slice(prefixLength));
    const denseStack = getBackend().denseStack;
    if (!dense || !denseStack) return undefined;
    const stack = denseStack({ dtype: model.dtype, batch, layers: stackLayers(dense) });
    if (!stack) return undefined;
    return new DenseStackPasses(stack, prefix, dense, loss, fusedOutputDelta(dense[dense.length - 1], loss), batch, model.dtype);
  },
});

/** The step's passes through a backend {@link DenseStack}. */
class DenseStackPasses implements StepPasses {
  private readonly kernels: FloatArray[];
  private readonly biases: (FloatArray | undefined)[];
  private readonly kernelGrads: (FloatArray | undefined)[] = [];
  private readonly biasGrads: (FloatArray | undefined)[] = [];
  private readonly lastActivation: Activation;
  private readonly external: boolean;
  /** The last layer's pre-activation (external activation) or output. */
  private readonly z: Matrix;
  /** The last layer's output when its activation is applied here. */
  private readonly y: Matrix;
  private readonly outTensor: Tensor;
  private readonly gradPool: BufferPool;
  private readonly deltaPool: BufferPool;
  // The optimizer's updates per layer, and where each layer's parameters are in the list it got.
  private readonly kernelUpdates: (ParameterUpdate | undefined)[] = [];
  private readonly biasUpdates: (ParameterUpdate | undefined)[] = [];
  private readonly kernelAt: number[] = [];
  private readonly biasAt: number[] = [];
  private indexed: readonly Param[] | undefined;

  constructor(
    private readonly stack: DenseStack,
    private readonly prefix: readonly Layer[],
    private readonly layers: readonly Dense[],
    private readonly loss: Loss,
    private readonly fused: FusedGradient | undefined,
    private readonly batch: number,
    dtype: DType,
  ) {
    this.kernels = layers.map((layer) => layer.kernel.value.data);
    this.biases = layers.map((layer) => layer.bias?.value.data);
    const last = layers[layers.length - 1] as Dense;
    this.lastActivation = last.activation;
    this.external = last.activation !== relu && last.activation !== identity;
    const units = last.kernel.value.cols;
    const outputs = new BufferPool([units], dtype);
    this.z = new Matrix(batch, units, dtype);
    this.outTensor = outputs.get(batch);
    this.y = outputs.matrix(batch);
    this.gradPool = new BufferPool([units], dtype);
    this.deltaPool = new BufferPool([units], dtype);
  }

  forward(x: Tensor): Tensor {
    const out = this.external ? this.z : this.y;
    const input = this.prefix.length > 0 ? forwardLayers(this.prefix, x, true) : x;
    this.stack.forward(input.data, this.kernels, this.biases, out.data);
    // The last layer's activation, as Dense.forward applies it (softmax, sigmoid, …).
    if (this.external) this.lastActivation.apply(this.z.data, this.y.data, this.z.cols);
    return this.outTensor;
  }

  backward(yPred: Tensor, yTrue: Tensor): boolean {
    const batch = this.batch;
    let gradient: Matrix;
    let isDelta = true;
    if (this.fused) {
      gradient = this.fused(yPred.asMatrix(), yTrue.asMatrix(), this.deltaPool.matrix(batch));
    } else {
      const dy = this.loss.gradient(yPred.asMatrix(), yTrue.asMatrix(), this.gradPool.matrix(batch));
      if (this.external) {
        // Through the last activation as Dense.backward does: dz = f'(z) ⊙ dy.
        gradient = this.deltaPool.matrix(batch);
        this.lastActivation.backward(this.z.data, this.y.data, dy.data, gradient.data, this.z.cols);
      } else {
        gradient = dy;
        isDelta = false;
      }
    }
    // Trainable parameters get their gradients from the stack; frozen ones are zeroed, as the
    // layer passes leave them.
    const layers = this.layers;
    for (let l = 0; l < layers.length; l++) {
      const layer = layers[l] as Dense;
      const kernel = layer.kernel;
      const bias = layer.bias;
      this.kernelGrads[l] = kernel.trainable ? kernel.grad.data : undefined;
      if (!kernel.trainable) kernel.grad.data.fill(0);
      this.biasGrads[l] = bias?.trainable === true ? bias.grad.data : undefined;
      if (bias && !bias.trainable) bias.grad.data.fill(0);
    }
    // 0: every gradient is finite; otherwise the step finds and names the one that is not.
    return this.stack.backward(gradient.data, isDelta, this.kernelGrads, this.biasGrads) === 0;
  }

  update(optimizer: Optimizer, params: readonly Param[]): boolean {
    // The stack holds the slots between steps (it is their SlotHolder): the optimizer asks for
    // them back before anything else touches them.
    const updates = optimizer.fusedUpdates?.(params, this.stack);
    if (!updates) return false;
    if (params !== this.indexed) this.index(params);
    const layers = this.layers;
    for (let l = 0; l < layers.length; l++) {
      this.kernelUpdates[l] = updates[this.kernelAt[l] as number];
      const b = this.biasAt[l] as number;
      this.biasUpdates[l] = b >= 0 ? updates[b] : undefined;
    }
    return this.stack.update(this.kernelUpdates, this.biasUpdates, this.kernels, this.biases);
  }

  /** Where each layer's kernel and bias are in `params` (−1: absent). */
  private index(params: readonly Param[]): void {
    this.layers.forEach((layer, l) => {
      this.kernelAt[l] = params.indexOf(layer.kernel);
      this.biasAt[l] = layer.bias ? params.indexOf(layer.bias) : -1;
    });
    this.indexed = params;
  }
}
