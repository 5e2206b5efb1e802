import { Matrix, type DType } from "@backprop/linalg";
import { sgd } from "@backprop/optimizers";
import { Dense } from "../dense.js";
import { halfSumSquaredError } from "../losses/index.js";
import { Sequential } from "../sequential.js";
import reference from "./mazur-step.json";

/** The numbers of one variant of the reference step, as published (float64). */
export interface ReferenceValues {
  readonly hiddenNet: readonly number[];
  readonly hiddenOut: readonly number[];
  readonly outputNet: readonly number[];
  readonly output: readonly number[];
  readonly totalError: number;
  readonly outputError: readonly number[];
  readonly outputDelta: readonly number[];
  readonly hiddenDelta: readonly number[];
  /** Rows are neurons: `[w_from_input1, w_from_input2, bias]`. */
  readonly outputWeightsAfter: readonly (readonly number[])[];
  /** Rows are neurons: `[w_from_input1, w_from_input2, bias]`. */
  readonly hiddenWeightsAfter: readonly (readonly number[])[];
  readonly totalErrorAfter: number;
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
export const referenceExample: {
  readonly description: string;
  readonly inputs: readonly number[];
  readonly targets: readonly number[];
  readonly learningRate: number;
  readonly hiddenWeights: readonly (readonly number[])[];
  readonly outputWeights: readonly (readonly number[])[];
  readonly biasesUpdated: ReferenceValues;
  readonly biasesFrozen: ReferenceValues;
} = reference;

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
export function referenceModel(options: ReferenceModelOptions = {}): { model: Sequential; x: Matrix; y: Matrix } {
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
