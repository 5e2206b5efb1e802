import { Matrix, type DType } from "@backprop/linalg";
import { sgd } from "@backprop/optimizers";
import { Dense } from "../dense.js";
import { halfSumSquaredError } from "../losses/index.js";
import { Sequential } from "../model/sequential.js";
import reference from "./mazur-step.json";

/** The numbers of one variant of the reference step, as published (float64). */
export interface ReferenceValues {
  /** Net input of each hidden neuron, `w·x + b`. */
  readonly hiddenNet: readonly number[];
  /** Output of each hidden neuron, `σ(net)`. */
  readonly hiddenOut: readonly number[];
  /** Net input of each output neuron. */
  readonly outputNet: readonly number[];
  /** Output of each output neuron. */
  readonly output: readonly number[];
  /** `E = Σ ½(target − out)²` before the step. */
  readonly totalError: number;
  /** `∂E/∂out = out − target` per output. */
  readonly outputError: readonly number[];
  /** `δ = ∂E/∂net` per output neuron. */
  readonly outputDelta: readonly number[];
  /** `δ = ∂E/∂net` per hidden neuron. */
  readonly hiddenDelta: readonly number[];
  /** Rows are neurons: `[w_from_input1, w_from_input2, bias]`. */
  readonly outputWeightsAfter: readonly (readonly number[])[];
  /** Rows are neurons: `[w_from_input1, w_from_input2, bias]`. */
  readonly hiddenWeightsAfter: readonly (readonly number[])[];
  /** `E` on the same sample after the step. */
  readonly totalErrorAfter: number;
}

/** The reference example: setup and published numbers. */
export interface ReferenceExample {
  /** Where the numbers come from. */
  readonly description: string;
  /** The one input sample. */
  readonly inputs: readonly number[];
  /** Its targets. */
  readonly targets: readonly number[];
  /** SGD learning rate, 0.5. */
  readonly learningRate: number;
  /** Initial hidden weights, one row per neuron: `[w_from_input1, w_from_input2, bias]`. */
  readonly hiddenWeights: readonly (readonly number[])[];
  /** Initial output weights, one row per neuron: `[w_from_hidden1, w_from_hidden2, bias]`. */
  readonly outputWeights: readonly (readonly number[])[];
  /** The step with the biases updated (the common variant). */
  readonly biasesUpdated: ReferenceValues;
  /** The step with the biases frozen (the original article). */
  readonly biasesFrozen: ReferenceValues;
}

/** The reference network, compiled, with its one-sample batch. */
export interface ReferenceSetup {
  /** Two sigmoid Dense layers with the published weights, ½·Σ squared error, SGD lr 0.5. */
  readonly model: Sequential;
  /** The 1×2 input. */
  readonly x: Matrix;
  /** The 1×2 target. */
  readonly y: Matrix;
}

/**
 * The 2-2-2 sigmoid network of Matt Mazur's "A Step by Step Backpropagation Example": its inputs,
 * targets, initial weights, learning rate, and the published numbers of one training step, both
 * with the biases updated (the common variant) and frozen (the original article).
 *
 * Weight rows are neurons, `[w_from_input1, w_from_input2, bias]`; a {@link Dense} kernel is the
 * transpose (in×out).
 *
 * @see https://mattmazur.com/2015/03/17/a-step-by-step-backpropagation-example/
 */
export const referenceExample: ReferenceExample = reference;

/** Options of {@link referenceModel}. */
export interface ReferenceModelOptions {
  /** Element type. Default `"float64"`, in which the published numbers are reproduced to 1e-12. */
  readonly dtype?: DType;
  /** Freeze both biases (`trainable = false`), as the original article does. Default false. */
  readonly frozenBias?: boolean;
}

function kernelOf(rows: readonly (readonly number[])[]): number[][] {
  // neuron rows [w1, w2, bias] → in×out kernel
  return [0, 1].map((input) => rows.map((neuron) => neuron[input] as number));
}

/**
 * The reference network built through the public API — two `Dense` sigmoid layers with the
 * published weights, ½·Σ squared error and SGD with lr 0.5 — plus its one-sample batch.
 *
 * @example
 * ```ts
 * const { model, x, y } = referenceModel();
 * const trace = model.traceStep(x, y);
 * trace.layers[1].output; // [[0.7513650695523157, 0.7729284653214625]]
 * ```
 */
export function referenceModel(options: ReferenceModelOptions = {}): ReferenceSetup {
  const dtype = options.dtype ?? "float64";
  const trainableBias = options.frozenBias !== true;
  const ref = referenceExample;
  const model = new Sequential(
    [
      new Dense({
        units: 2,
        inputDim: 2,
        activation: "sigmoid",
        weights: { kernel: kernelOf(ref.hiddenWeights), bias: ref.hiddenWeights.map((n) => n[2] as number) },
        trainableBias,
        name: "hidden",
      }),
      new Dense({
        units: 2,
        activation: "sigmoid",
        weights: { kernel: kernelOf(ref.outputWeights), bias: ref.outputWeights.map((n) => n[2] as number) },
        trainableBias,
        name: "output",
      }),
    ],
    { dtype, name: "reference-2-2-2" },
  );
  model.compile({ loss: halfSumSquaredError(), optimizer: sgd({ lr: ref.learningRate }) });
  model.build(2);
  return {
    model,
    x: Matrix.fromArray([[...ref.inputs]], dtype),
    y: Matrix.fromArray([[...ref.targets]], dtype),
  };
}
