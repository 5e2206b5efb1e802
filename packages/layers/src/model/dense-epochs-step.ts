import { identity, relu, sigmoid, softmax, tanh, type Activation } from "@backprop/activations";
import {
  getBackend,
  type DenseEpochs,
  type DenseEpochsLayer,
  type DenseEpochsPlan,
  type DType,
  type FloatArray,
  type Matrix,
  type Tensor,
} from "@backprop/linalg";
import { BufferPool } from "../buffer-pool.js";
import { Dense } from "../dense.js";
import type { Loss } from "../losses/index.js";
import { fusedOutputDelta, type EpochRunner, type StepModel, type StepPasses, type StepStrategy } from "./train-step.js";

/*
 * Whole epochs of a small Dense network in one call of the kernel backend
 * (`KernelBackend.denseEpochs`): XOR or Iris trained full batch spend most of an epoch in the
 * training loop's and the step's JavaScript around a few hundred multiply-adds. The training loop
 * hands the epochs over when nothing needs to see them one by one (see trainingLoop) and the
 * optimizer is plain SGD; each epoch is the step's arithmetic — the same products, activations,
 * loss, gradients and update, rounded where the step stores — so the weights, the losses and the
 * optimizer's state are those of as many steps (a property test compares them).
 */

/** The activations the backend's epoch loop computes, by the built-in objects themselves. */
function planActivation(act: Activation, last: boolean): DenseEpochsLayer["activation"] | undefined {
  if (act === identity) return "identity";
  if (act === relu) return "relu";
  if (act === sigmoid) return "sigmoid";
  if (act === tanh) return "tanh";
  if (act === softmax && last) return "softmax";
  return undefined;
}

/** The loss as the backend's epoch loop knows it: MSE, or categorical cross-entropy's probability form. */
function planLoss(loss: Loss): DenseEpochsPlan["loss"] | undefined {
  const config = loss.config;
  if (loss.name === "meanSquaredError" && Object.keys(config).length === 0) return { name: "meanSquaredError", eps: 0 };
  if (loss.name !== "categoricalCrossentropy") return undefined;
  const eps = config["eps"];
  if (config["fromLogits"] !== false || typeof eps !== "number" || Object.keys(config).length !== 2) return undefined;
  return { name: loss.name, eps };
}

/**
 * Whole full-batch epochs through the kernel backend, as a step strategy (it supplies no passes,
 * only {@link StepStrategy.epochsFor}): it applies when every layer is a built, fully trainable
 * {@link Dense} without regularizer whose activation is linear, ReLU, sigmoid or tanh (softmax on
 * the last), the loss is mean squared error or categorical cross-entropy on probabilities, the
 * dtype float32, samples are vectors, and the active backend offers `denseEpochs` for the plan.
 * In `Sequential`'s defaults; `{ stepStrategies: [] }` turns it off with the others.
 */
export const denseEpochsStep: StepStrategy = Object.freeze({
  name: "denseEpochs",
  passesFor(): StepPasses | undefined {
    return undefined;
  },
  epochsFor(model: StepModel, loss: Loss, batch: number): EpochRunner | undefined {
    const denseEpochs = getBackend().denseEpochs;
    if (!denseEpochs || model.inputShape.length !== 1) return undefined;
    const lossPlan = planLoss(loss);
    if (!lossPlan) return undefined;
    const dense: Dense[] = [];
    const layers: DenseEpochsLayer[] = [];
    for (let l = 0; l < model.layers.length; l++) {
      const layer = model.layers[l];
      if (!(layer instanceof Dense) || !layer.built) return undefined;
      const config = layer.getConfig();
      if (config["kernelRegularizer"] !== null || config["biasRegularizer"] !== null) return undefined;
      if (!layer.kernel.trainable || (layer.bias !== undefined && !layer.bias.trainable)) return undefined;
      const activation = planActivation(layer.activation, l === model.layers.length - 1);
      if (!activation) return undefined;
      dense.push(layer);
      layers.push({ inputs: layer.kernel.value.rows, units: layer.kernel.value.cols, bias: layer.bias !== undefined, activation });
    }
    if (dense.length === 0) return undefined;
    const fused = fusedOutputDelta(dense[dense.length - 1], loss) !== undefined;
    const runner = denseEpochs({ dtype: model.dtype, rows: batch, layers, loss: lossPlan, fused });
    return runner ? new DenseEpochsRunner(runner, dense, batch, model.dtype) : undefined;
  },
});

/** An {@link EpochRunner} over the backend's epochs: the model's arrays, gathered once. */
class DenseEpochsRunner implements EpochRunner {
  readonly prediction: Tensor;
  private readonly arrays: {
    x: FloatArray;
    y: FloatArray;
    kernels: FloatArray[];
    biases: (FloatArray | undefined)[];
    kernelGrads: FloatArray[];
    biasGrads: (FloatArray | undefined)[];
    output: FloatArray;
  };

  constructor(
    private readonly epochs: DenseEpochs,
    layers: readonly Dense[],
    batch: number,
    dtype: DType,
  ) {
    const last = layers[layers.length - 1] as Dense;
    const outputs = new BufferPool([last.kernel.value.cols], dtype);
    this.prediction = outputs.get(batch);
    const output: Matrix = outputs.matrix(batch);
    this.arrays = {
      x: output.data,
      y: output.data,
      kernels: layers.map((layer) => layer.kernel.value.data),
      biases: layers.map((layer) => layer.bias?.value.data),
      kernelGrads: layers.map((layer) => layer.kernel.grad.data),
      biasGrads: layers.map((layer) => layer.bias?.grad.data),
      output: output.data,
    };
  }

  run(x: Tensor, y: Tensor, count: number, lr: number, weightDecay: number, losses: Float64Array): number {
    this.arrays.x = x.data;
    this.arrays.y = y.data;
    return this.epochs.run(this.arrays, count, lr, weightDecay, losses);
  }
}
