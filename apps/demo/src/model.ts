import { resolveActivation, type Activation } from "@backprop/activations";
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
  const factory = OPTIMIZERS[state.optimizer] ?? OPTIMIZERS["sgd"];
  model.compile({
    loss: classification ? "binaryCrossentropy" : "meanSquaredError",
    optimizer: factory!.fromConfig({ ...state.hyper, lr: state.lr }),
    metrics: classification ? [binaryAccuracy()] : [],
  });
  model.build(state.features.length);
  return model;
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
