import { resolveActivation, type Activation } from "@backprop/activations";
import type { Optimizer } from "@backprop/optimizers";
import { Dense, Dropout, Sequential, binaryAccuracy, categoricalAccuracy } from "@backprop/layers";
import { Matrix, type Tensor } from "@backprop/linalg";
import { DOMAIN, type Point } from "./datasets.js";
import { featureMatrix } from "./features.js";
import { formulaActivation } from "./formula-activation.js";
import { OPTIMIZERS } from "./optimizer-catalog.js";
import { outputKind, stateClasses, type DemoState } from "./state.js";

/** Hidden layer `layer`'s activation for a state; a formula activation also says whether f′ is numerical. */
export function stateActivation(state: DemoState, layer = 0): { activation: Activation; numericDerivative: boolean } {
  const name = state.activations[layer] ?? "tanh";
  if (name === "formula") {
    return formulaActivation({ f: state.formulaF, df: state.formulaDf });
  }
  return { activation: resolveActivation(name), numericDerivative: false };
}

/** Whether some hidden layer uses the formula activation with a numerical derivative. */
export function numericDerivativeIn(state: DemoState): boolean {
  return state.activations.some((name, i) => name === "formula" && stateActivation(state, i).numericDerivative);
}

/**
 * The compiled network a state describes: hidden Dense layers with their activations, initializer
 * and penalty, each followed by its Dropout when the rate is above 0; the output (one sigmoid unit
 * with binary cross-entropy for two classes, a softmax over k classes with categorical
 * cross-entropy, one identity unit with mean squared error for regression); the chosen optimizer.
 *
 * @throws FormulaError for a formula that cannot be used; BackpropError for an invalid hyperparameter
 * @example
 * ```ts
 * const model = buildModel(DEFAULT_STATE);
 * ```
 */
export function buildModel(state: DemoState): Sequential {
  const regularizer =
    state.regularization === "none" || state.regRate === 0
      ? null
      : state.regularization === "l1" ? { l1: state.regRate } : { l2: state.regRate };
  // NOTE: randomNormal's Keras default (stddev 0.05) is the "small random numbers" of textbooks
  const kernelInitializer = state.initializer;
  const layers: (Dense | Dropout)[] = [];
  state.hidden.forEach((units, i) => {
    const { activation } = stateActivation(state, i);
    layers.push(new Dense({ units, activation, kernelInitializer, kernelRegularizer: regularizer, ...(i === 0 ? { inputDim: state.features.length } : {}) }));
    const rate = state.dropout[i] ?? 0;
    if (rate > 0) layers.push(new Dropout({ rate }));
  });
  const kind = outputKind(state);
  layers.push(
    new Dense({
      units: kind === "multiclass" ? stateClasses(state) : 1,
      activation: kind === "binary" ? "sigmoid" : kind === "multiclass" ? "softmax" : "identity",
      kernelInitializer,
      kernelRegularizer: regularizer,
      ...(layers.length === 0 ? { inputDim: state.features.length } : {}),
    }),
  );
  const model = new Sequential(layers, { dtype: "float64", seed: state.seed, name: "playground" });
  model.compile({
    loss: kind === "binary" ? "binaryCrossentropy" : kind === "multiclass" ? "categoricalCrossentropy" : "meanSquaredError",
    optimizer: stateOptimizer(state),
    metrics: kind === "binary" ? [binaryAccuracy()] : kind === "multiclass" ? [categoricalAccuracy()] : [],
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

/** The fields in which `next` differs from `prev`. */
export function changedFields(prev: DemoState, next: DemoState): (keyof DemoState)[] {
  return (Object.keys(next) as (keyof DemoState)[]).filter((key) => JSON.stringify(prev[key]) !== JSON.stringify(next[key]));
}

/** View-only fields: they change the pictures, never the network. */
export const VIEW_FIELDS: ReadonlySet<keyof DemoState> = new Set<keyof DemoState>(["discretize", "logLoss"]);

/** Fields the page alone uses (views, the compared run): the network never depends on them. */
const PAGE_FIELDS: ReadonlySet<keyof DemoState> = new Set<keyof DemoState>([...VIEW_FIELDS, "compare"]);

/** The fields that apply to a running network without starting over (as the TensorFlow Playground). */
export const LIVE_FIELDS: ReadonlySet<keyof DemoState> = new Set<keyof DemoState>(["lr", "regularization", "regRate", "batchSize"]);

/**
 * Whether `next` differs from `prev` in live fields only (and in at least one): then training
 * continues with the same weights, epoch count and optimizer state.
 */
export function liveChanges(prev: DemoState, next: DemoState): boolean {
  const changed = changedFields(prev, next).filter((key) => !PAGE_FIELDS.has(key));
  return changed.length > 0 && changed.every((key) => LIVE_FIELDS.has(key));
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

/** Inputs and targets of points as matrices, through the state's features (one-hot targets for a softmax). */
export function pointsToMatrices(points: readonly Point[], state: DemoState): { x: Matrix; y: Matrix } {
  const coords = points.map((p) => [p.x, p.y] as const);
  const x = Matrix.fromFlat(points.length, state.features.length, featureMatrix(coords, state.features), "float64");
  if (outputKind(state) !== "multiclass") return { x, y: Matrix.fromFlat(points.length, 1, points.map((p) => p.label), "float64") };
  const classes = stateClasses(state);
  const y = new Float64Array(points.length * classes);
  points.forEach((p, i) => {
    y[i * classes + p.label] = 1;
  });
  return { x, y: Matrix.fromFlat(points.length, classes, y, "float64") };
}

/** The Dense layers of a playground model (Dropout layers hold no weights and draw no neurons). */
export function denseLayers(model: Sequential): Dense[] {
  return model.layers.filter((layer): layer is Dense => layer instanceof Dense);
}

/**
 * The confusion matrix of a classifier on points: `matrix[true][predicted]` counts (the predicted
 * class is the most probable one; 0.5 is the threshold of one sigmoid unit).
 */
export function confusionMatrix(model: Sequential, data: { x: Matrix; y: Matrix }, classes: number): number[][] {
  const matrix = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  const out = model.predict(data.x).asMatrix();
  for (let r = 0; r < out.rows; r++) {
    let truth: number;
    let predicted: number;
    if (out.cols === 1) {
      truth = (data.y.data[r] as number) > 0.5 ? 1 : 0;
      predicted = (out.data[r] as number) > 0.5 ? 1 : 0;
    } else {
      truth = argmax(data.y.data, r * out.cols, out.cols);
      predicted = argmax(out.data, r * out.cols, out.cols);
    }
    (matrix[truth] as number[])[predicted]! += 1;
  }
  return matrix;
}

function argmax(values: ArrayLike<number>, offset: number, n: number): number {
  let best = 0;
  for (let i = 1; i < n; i++) if ((values[offset + i] as number) > (values[offset + best] as number)) best = i;
  return best;
}

/** The Euclidean norm of every Dense layer's kernel gradient (what the last backward pass left). */
export function gradientNorms(model: Sequential): number[] {
  return denseLayers(model).map((layer) => {
    const kernel = layer.params()[0];
    if (!kernel) return 0;
    const g = kernel.grad.data;
    let sum = 0;
    for (let i = 0; i < g.length; i++) sum += (g[i] as number) * (g[i] as number);
    return Math.sqrt(sum);
  });
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
  const steps = neuronMapSteps(model, gridX);
  let step = steps.next();
  while (!step.done) step = steps.next();
  return step.value;
}

/**
 * {@link neuronMaps} one layer at a time: the generator pauses after each layer, so a worker can
 * read its messages between layers (a 100×100 grid through six layers of 8 takes ~15 ms in all).
 */
export function* neuronMapSteps(model: Sequential, gridX: Matrix): Generator<undefined, Float32Array[], undefined> {
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
    // Dropout passes values through at inference: it draws no column of its own
    if (layer instanceof Dense) {
      maps.push(transpose(out.asMatrix()));
      yield undefined;
    }
  }
  return maps;
}
