import { resolveActivation, type Activation } from "@backprop/activations";
import type { Optimizer } from "@backprop/optimizers";
import { Dense, Sequential, binaryAccuracy } from "@backprop/layers";
import { Matrix, type Tensor } from "@backprop/linalg";
import { DOMAIN, type Point } from "./datasets.js";
import { featureMatrix } from "./features.js";
import { formulaActivation } from "./formula-activation.js";
import { OPTIMIZERS } from "./optimizer-catalog.js";
import type { DemoState } from "./state.js";

/** The hidden layers' activation for a state; a formula activation also says whether f′ is numerical. */
export function stateActivation(state: DemoState): { activation: Activation; numericDerivative: boolean } {
  if (state.activation === "formula") {
    return formulaActivation({ f: state.formulaF, df: state.formulaDf });
  }
  return { activation: resolveActivation(state.activation), numericDerivative: false };
}

/**
 * The compiled network a state describes: hidden Dense layers with the chosen activation and
 * penalty, one output unit (sigmoid with binary cross-entropy for classes, identity with mean
 * squared error for regression), and the chosen optimizer.
 *
 * @throws FormulaError for a formula that cannot be used; BackpropError for an invalid hyperparameter
 * @example
 * ```ts
 * const model = buildModel(DEFAULT_STATE);
 * ```
 */
export function buildModel(state: DemoState): Sequential {
  const { activation } = stateActivation(state);
  const regularizer =
    state.regularization === "none" || state.regRate === 0
      ? null
      : state.regularization === "l1" ? { l1: state.regRate } : { l2: state.regRate };
  const layers = state.hidden.map(
    (units, i) => new Dense({ units, activation, kernelRegularizer: regularizer, ...(i === 0 ? { inputDim: state.features.length } : {}) }),
  );
  const classification = state.problem === "classification";
  layers.push(
    new Dense({
      units: 1,
      activation: classification ? "sigmoid" : "identity",
      kernelRegularizer: regularizer,
      ...(layers.length === 0 ? { inputDim: state.features.length } : {}),
    }),
  );
  const model = new Sequential(layers, { dtype: "float64", seed: state.seed, name: "playground" });
  model.compile({
    loss: classification ? "binaryCrossentropy" : "meanSquaredError",
    optimizer: stateOptimizer(state),
    metrics: classification ? [binaryAccuracy()] : [],
  });
  model.build(state.features.length);
  return model;
}

/** The optimizer a state names, with its hyperparameters and learning rate. */
export function stateOptimizer(state: DemoState): Optimizer {
  const factory = OPTIMIZERS[state.optimizer] ?? OPTIMIZERS["sgd"];
  return factory!.fromConfig({ ...state.hyper, lr: state.lr });
}

/**
 * Why a state cannot be trained, in the words the worker would use, or undefined when it can:
 * the page checks with the very code that builds the model, so it never sends a network the
 * worker would reject.
 */
export function stateProblem(state: DemoState): string | undefined {
  try {
    buildModel(state);
    return undefined;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return message.split("\nhelp:")[0];
  }
}

/** The fields that apply to a running network without starting over (as the TensorFlow Playground). */
const LIVE_FIELDS = ["lr", "regularization", "regRate", "batchSize"] as const satisfies readonly (keyof DemoState)[];

/**
 * Whether `next` differs from `prev` in live fields only (and in at least one): then training
 * continues with the same weights, epoch count and optimizer state.
 */
export function liveChanges(prev: DemoState, next: DemoState): boolean {
  const live = new Set<string>(LIVE_FIELDS);
  let changed = false;
  for (const key of Object.keys(next) as (keyof DemoState)[]) {
    const same = JSON.stringify(prev[key]) === JSON.stringify(next[key]);
    if (same) continue;
    if (!live.has(key)) return false;
    changed = true;
  }
  return changed;
}

/**
 * The running `model` with the live settings of `next` (learning rate, regularization): a model
 * built from `next` that takes over the weights, the training state (epoch, shuffling generator)
 * and the optimizer's slots, so training carries on where it was.
 */
export function retune(model: Sequential, prev: DemoState, next: DemoState): Sequential {
  if (prev.lr === next.lr && prev.regularization === next.regularization && prev.regRate === next.regRate) return model;
  const tuned = buildModel(next);
  tuned.setWeights(model.getWeights());
  tuned.setTrainingState(model.getTrainingState());
  const old = model.optimizer;
  // NOTE: loadStateDict keeps the new optimizer's own config (its lr) and takes the slots and step.
  if (old) tuned.optimizer?.loadStateDict(old.stateDict());
  return tuned;
}

/** The model's L1/L2 weight penalty (what `evaluate` adds to the data loss). */
export function regularizationPenalty(model: Sequential): number {
  let penalty = 0;
  for (const layer of model.layers) penalty += layer.regularizationLoss();
  return penalty;
}

/** Inputs and targets of points as matrices, through the state's features. */
export function pointsToMatrices(points: readonly Point[], state: DemoState): { x: Matrix; y: Matrix } {
  const coords = points.map((p) => [p.x, p.y] as const);
  const x = Matrix.fromFlat(points.length, state.features.length, featureMatrix(coords, state.features), "float64");
  const y = Matrix.fromFlat(points.length, 1, points.map((p) => p.label), "float64");
  return { x, y };
}

/** The points of a `size × size` grid over the plane, row 0 at the top (x₂ = +DOMAIN). */
export function gridPoints(size: number): [number, number][] {
  const out: [number, number][] = [];
  for (let r = 0; r < size; r++) {
    const x2 = DOMAIN - ((r + 0.5) / size) * 2 * DOMAIN;
    for (let c = 0; c < size; c++) out.push([-DOMAIN + ((c + 0.5) / size) * 2 * DOMAIN, x2]);
  }
  return out;
}

/**
 * Every neuron's output over a grid, layer by layer: `[inputs, hidden…, output]`, each a
 * `Float32Array` of `units × size²` (neuron-major). Runs the layers' own forward passes.
 */
export function neuronMaps(model: Sequential, gridX: Matrix): Float32Array[] {
  const n = gridX.rows;
  const transpose = (m: Matrix): Float32Array => {
    const out = new Float32Array(m.rows * m.cols);
    for (let r = 0; r < m.rows; r++) for (let c = 0; c < m.cols; c++) out[c * n + r] = m.data[r * m.cols + c] as number;
    return out;
  };
  const maps = [transpose(gridX)];
  let out: Tensor = gridX;
  for (const layer of model.layers) {
    out = layer.forward(out, { training: false });
    maps.push(transpose(out.asMatrix()));
  }
  return maps;
}
