import { describe, expect, it } from "vitest";
import { generateDataset, splitDataset } from "./datasets.js";
import { buildModel, gridPoints, neuronMaps, pointsToMatrices } from "./model.js";
import { featureMatrix } from "./features.js";
import { Matrix } from "@backprop/linalg";
import { DEFAULT_STATE, type DemoState } from "./state.js";

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
    expect(model.optimizer?.config).toMatchObject({ lr: 0.03, beta1: 0.9 });
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
    const model = buildModel(DEFAULT_STATE);
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
});
