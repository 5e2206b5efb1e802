import { describe, expect, it } from "vitest";
import { CLASSIFICATION_DATASETS, MULTICLASS_DATASETS, REGRESSION_DATASETS, generateDataset, isRegression, splitDataset, type DatasetName } from "./datasets.js";
import {
  buildModel, confusionMatrix, denseLayers, gradientNorms, gridPoints, liveChanges, neuronMaps, pointsToMatrices, regularizationPenalty, retune, stateProblem,
} from "./model.js";
import { OPTIMIZER_NAMES, defaultLearningRate, optimizerDefaults } from "./optimizer-catalog.js";
import { featureMatrix } from "./features.js";
import { Matrix } from "@backprop/linalg";
import { DEFAULT_STATE, decodeState, type DemoState } from "./state.js";

function data(state: DemoState) {
  const points = generateDataset(state.dataset, { noise: state.noise / 100, seed: state.dataSeed });
  const { train, test } = splitDataset(points, state.trainRatio / 100);
  return { train: pointsToMatrices(train, state), test: pointsToMatrices(test, state) };
}

describe("the network a state describes", () => {
  it("has the state's layers, features and loss", () => {
    const state: DemoState = { ...DEFAULT_STATE, features: ["x1", "x2", "x1x2"], hidden: [3, 5, 2], regularization: "l2", regRate: 0.01 };
    const model = buildModel(state);
    expect(model.layers.map((l, i) => l.computeOutputShape([i === 0 ? 3 : 1])[0])).toEqual([3, 5, 2, 1]);
    expect(model.inputDim).toBe(3);
    expect(model.loss?.name).toBe("binaryCrossentropy");
    expect(model.optimizer?.name).toBe("adam");
    expect(model.optimizer?.config).toMatchObject({ lr: 0.01, beta1: 0.9 });
    expect(model.getConfig()["layers"]).toMatchObject([
      { config: { activation: { name: "tanh" }, kernelRegularizer: { l1: 0, l2: 0.01 } } },
      {}, {},
      { config: { activation: { name: "sigmoid" } } },
    ]);
    const regression = buildModel({ ...DEFAULT_STATE, problem: "regression", dataset: "plane", hidden: [] });
    expect(regression.layers).toHaveLength(1);
    expect(regression.loss?.name).toBe("meanSquaredError");
  });

  it("uses every optimizer with its hyperparameters", () => {
    const model = buildModel({ ...DEFAULT_STATE, optimizer: "sgd", hyper: { momentum: 0.8, nesterov: true, weightDecay: 0 }, lr: 0.2 });
    expect(model.optimizer?.config).toEqual({ lr: 0.2, momentum: 0.8, nesterov: true, weightDecay: 0 });
  });

  it("gives the same initial weights for the same seed", () => {
    const a = buildModel(DEFAULT_STATE).params().map((p) => p.value.toArray());
    expect(buildModel(DEFAULT_STATE).params().map((p) => p.value.toArray())).toEqual(a);
    expect(buildModel({ ...DEFAULT_STATE, seed: 2 }).params().map((p) => p.value.toArray())).not.toEqual(a);
  });

  it("maps every neuron over the grid, and the last map is the model's prediction", () => {
    const model = buildModel({ ...DEFAULT_STATE, features: ["x1", "x2"], hidden: [4, 2] });
    const coords = gridPoints(10);
    expect(coords[0]).toEqual([-5.4, 5.4]);
    expect(coords[99]![0]).toBeCloseTo(5.4, 12);
    expect(coords[99]![1]).toBeCloseTo(-5.4, 12);
    const gridX = Matrix.fromFlat(100, 2, featureMatrix(coords, ["x1", "x2"]), "float64");
    const maps = neuronMaps(model, gridX);
    expect(maps.map((m) => m.length)).toEqual([200, 400, 200, 100]);
    const predicted = model.predict(gridX).data;
    maps[3]!.forEach((v, i) => expect(v).toBeCloseTo(predicted[i] as number, 6));
  });

  it("learns the default circle: test loss < 0.05 within 300 epochs (same seed as the page)", () => {
    const { train, test } = data(DEFAULT_STATE);
    const model = buildModel(DEFAULT_STATE);
    let epoch = 0;
    let loss = model.evaluate(test.x, test.y).loss as number;
    const start = performance.now();
    while (loss >= 0.05 && epoch < 300) {
      model.fit(train.x, train.y, { epochs: 1, batchSize: DEFAULT_STATE.batchSize });
      epoch++;
      loss = model.evaluate(test.x, test.y).loss as number;
    }
    console.log(`default circle network: test loss ${loss.toFixed(4)} first below 0.05 at epoch ${epoch} (${(performance.now() - start).toFixed(0)} ms in Node)`);
    expect(loss).toBeLessThan(0.05);
  });

  it("reports why a state cannot be trained, in the words of the code that builds it", () => {
    expect(stateProblem(DEFAULT_STATE)).toBeUndefined();
    expect(stateProblem({ ...DEFAULT_STATE, hyper: { ...DEFAULT_STATE.hyper, beta1: 2 } })).toMatch(/beta1/);
    expect(stateProblem({ ...DEFAULT_STATE, optimizer: "sgd", hyper: { ...optimizerDefaults("sgd"), momentum: 5 } })).toMatch(/momentum/);
    expect(stateProblem({ ...DEFAULT_STATE, activations: ["formula", "formula"], formulaF: "x +" })).toMatch(/f\(x\): cannot parse/);
  });
});

/** First epoch at which the test loss is below `threshold` (or -1 within `maxEpochs`), and the loss then. */
function epochsToSolve(state: DemoState, threshold: number, maxEpochs: number): { epoch: number; loss: number } {
  const { train, test } = data(state);
  const model = buildModel(state);
  let loss = model.evaluate(test.x, test.y).loss as number;
  for (let epoch = 1; epoch <= maxEpochs; epoch++) {
    model.fit(train.x, train.y, { epochs: 1, batchSize: state.batchSize });
    loss = model.evaluate(test.x, test.y).loss as number;
    if (loss < threshold) return { epoch, loss };
  }
  return { epoch: -1, loss };
}

const stateFor = (dataset: DatasetName, patch: Partial<DemoState> = {}): DemoState => ({
  ...DEFAULT_STATE,
  ...patch,
  dataset,
  problem: isRegression(dataset) ? "regression" : "classification",
});

// The default set-up must solve every data set: test loss below 0.1 (binary or categorical
// cross-entropy) for the classification sets, two-class and multiclass, below 0.02 (mean squared
// error, labels in [−1, 1]) for the two regression sets, within SOLVE_EPOCHS epochs, from the page's seeds.
const SOLVE_EPOCHS = 300;
const threshold = (dataset: DatasetName): number => (isRegression(dataset) ? 0.02 : 0.1);

describe("the default set-up", () => {
  it.each([...CLASSIFICATION_DATASETS, ...MULTICLASS_DATASETS, ...REGRESSION_DATASETS])(`solves %s within ${SOLVE_EPOCHS} epochs`, (dataset) => {
    const run = epochsToSolve(stateFor(dataset), threshold(dataset), SOLVE_EPOCHS);
    console.log(`default set-up, ${dataset}: test loss ${run.loss.toFixed(4)} < ${threshold(dataset)} at epoch ${run.epoch}`);
    expect(run.epoch).toBeGreaterThan(0);
  });

  it.each(OPTIMIZER_NAMES.map((name) => [name]))("%s with its playground learning rate solves the circle and the spiral", (optimizer) => {
    const patch = { optimizer, hyper: optimizerDefaults(optimizer), lr: defaultLearningRate(optimizer) };
    for (const dataset of ["circle", "spiral"] as const) {
      const run = epochsToSolve(stateFor(dataset, patch), threshold(dataset), SOLVE_EPOCHS);
      console.log(`${optimizer} (lr ${patch.lr}), ${dataset}: test loss ${run.loss.toFixed(4)} at epoch ${run.epoch}`);
      expect(run.epoch, `${optimizer} on ${dataset}`).toBeGreaterThan(0);
    }
  });
});

describe("live settings", () => {
  it("are the learning rate, regularization and batch size only", () => {
    expect(liveChanges(DEFAULT_STATE, { ...DEFAULT_STATE, lr: 0.1, regularization: "l2", regRate: 0.01, batchSize: 3 })).toBe(true);
    expect(liveChanges(DEFAULT_STATE, DEFAULT_STATE)).toBe(false);
    expect(liveChanges(DEFAULT_STATE, { ...DEFAULT_STATE, lr: 0.1, hidden: [3] })).toBe(false);
    expect(liveChanges(DEFAULT_STATE, { ...DEFAULT_STATE, hyper: { ...DEFAULT_STATE.hyper, beta1: 0.8 } })).toBe(false);
  });

  it("carry training on exactly: a new lr and back again equals never changing it", () => {
    const { train } = data(DEFAULT_STATE);
    const fit = (m: ReturnType<typeof buildModel>, epochs: number) => m.fit(train.x, train.y, { epochs: 1 * epochs, batchSize: DEFAULT_STATE.batchSize, initialEpoch: 0 });
    const plain = buildModel(DEFAULT_STATE);
    fit(plain, 2);
    fit(plain, 2);
    let tuned = buildModel(DEFAULT_STATE);
    fit(tuned, 2);
    const faster = { ...DEFAULT_STATE, lr: 0.2, regularization: "l1" as const, regRate: 0.5 };
    tuned = retune(tuned, DEFAULT_STATE, faster);
    expect(tuned.optimizer?.learningRate).toBe(0.2);
    expect(regularizationPenalty(tuned)).toBeGreaterThan(0);
    expect(tuned.optimizer?.iterations).toBe(plain.optimizer!.iterations / 2);
    tuned = retune(tuned, faster, DEFAULT_STATE);
    fit(tuned, 2);
    expect(tuned.getWeights().map((w) => w.toArray())).toEqual(plain.getWeights().map((w) => w.toArray()));
  });
});


describe("per-layer settings, multiclass output, and what the views read", () => {
  it("builds each hidden layer with its activation, a Dropout after it when asked, and the initializer", () => {
    const state: DemoState = { ...DEFAULT_STATE, hidden: [4, 3], activations: ["relu", "sigmoid"], dropout: [0.3, 0], initializer: "heNormal" };
    const model = buildModel(state);
    expect(model.layers.map((l) => l.className)).toEqual(["dense", "dropout", "dense", "dense"]);
    expect(model.getConfig()["layers"]).toMatchObject([
      { config: { activation: { name: "relu" }, kernelInitializer: { name: "heNormal" } } },
      { config: { rate: 0.3 } },
      { config: { activation: { name: "sigmoid" } } },
      { config: { activation: { name: "sigmoid" } } },
    ]);
    expect(denseLayers(model)).toHaveLength(3);
    // zeros: every output is sigmoid(0), whatever the input
    const zero = buildModel({ ...DEFAULT_STATE, initializer: "zeros" });
    const { test } = data(DEFAULT_STATE);
    expect(zero.evaluate(test.x, test.y).loss).toBeCloseTo(Math.log(2), 12);
  });

  it("draws one map per Dense layer (Dropout passes through at inference)", () => {
    const state: DemoState = { ...DEFAULT_STATE, features: ["x1", "x2"], hidden: [4, 2], activations: ["tanh", "tanh"], dropout: [0.5, 0.5] };
    const model = buildModel(state);
    const coords = gridPoints(5);
    const gridX = Matrix.fromFlat(25, 2, featureMatrix(coords, ["x1", "x2"]), "float64");
    const maps = neuronMaps(model, gridX);
    expect(maps.map((m) => m.length)).toEqual([50, 100, 50, 25]);
    const predicted = model.predict(gridX).data;
    maps[3]!.forEach((v, i) => expect(v).toBeCloseTo(predicted[i] as number, 6));
  });

  it("multiclass: a softmax over the classes, one-hot targets, categorical cross-entropy; learns blobs3", () => {
    const state = decodeState("dataset=blobs3");
    const model = buildModel(state);
    expect(model.loss?.name).toBe("categoricalCrossentropy");
    expect(model.outputDim).toBe(3);
    const { train, test } = data(state);
    expect(train.y.cols).toBe(3);
    for (let r = 0; r < train.y.rows; r++) {
      let sum = 0;
      for (let c = 0; c < 3; c++) sum += train.y.data[r * 3 + c] as number;
      expect(sum).toBe(1);
    }
    model.fit(train.x, train.y, { epochs: 60, batchSize: state.batchSize });
    const matrix = confusionMatrix(model, test, 3);
    const total = matrix.flat().reduce((a, b) => a + b, 0);
    expect(total).toBe(test.x.rows);
    const correct = matrix.reduce((sum, row, i) => sum + (row[i] as number), 0);
    const accuracy = model.evaluate(test.x, test.y)["categoricalAccuracy"] as number;
    expect(correct / total).toBeCloseTo(accuracy, 12);
    console.log(`blobs3, 60 epochs: test accuracy ${(accuracy * 100).toFixed(1)}%, confusion ${JSON.stringify(matrix)}`);
    expect(accuracy).toBeGreaterThan(0.9);
  });

  it("confusion matrix of one sigmoid unit: threshold 0.5, rows are the true class", () => {
    const model = buildModel({ ...DEFAULT_STATE, features: ["x1"], hidden: [] });
    model.setWeights([[[1]], [0]]);
    const x = Matrix.fromFlat(4, 1, [-2, -1, 1, 2], "float64");
    const y = Matrix.fromFlat(4, 1, [0, 1, 1, 1], "float64");
    expect(confusionMatrix(model, { x, y }, 2)).toEqual([[1, 0], [1, 2]]);
  });

  it("gradient norms: one per Dense layer, the norm of what the last batch left in the kernel's gradient", () => {
    const model = buildModel({ ...DEFAULT_STATE, hidden: [3] });
    const { train } = data(DEFAULT_STATE);
    expect(gradientNorms(model)).toEqual([0, 0]);
    model.trainOnBatch(train.x, train.y);
    const norms = gradientNorms(model);
    const kernel = denseLayers(model)[1]!.params()[0]!.grad.data;
    expect(norms[1]).toBeCloseTo(Math.hypot(...Array.from(kernel)), 12);
    expect(norms[0]).toBeGreaterThan(0);
  });
});
