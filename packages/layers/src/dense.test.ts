import { Matrix, Rng } from "@backprop/linalg";
import { gradCheck } from "@backprop/testing";
import { describe, expect, it } from "vitest";
import { ActivationLayer } from "./activation-layer.js";
import { Dense } from "./dense.js";
import { Dropout } from "./dropout.js";
import type { Layer } from "./layer.js";

/**
 * Finite-difference check of a layer: with L = Σ y ⊙ R for a fixed random R, dL/dy = R, so the
 * layer's backward must reproduce the numerical derivatives of L w.r.t. its input and every param.
 */
function checkLayer(layer: Layer, inputDim: number, rows = 3, seed = 7, tol = 1e-6): void {
  const rng = new Rng(seed);
  layer.build([inputDim], { dtype: "float64", rng, prefix: "layers.0" });
  const x = rng.fillNormal(new Matrix(rows, inputDim, "float64"), 0, 1);
  const outDim = layer.computeOutputShape([inputDim])[0] as number;
  const r = rng.fillNormal(new Matrix(rows, outDim, "float64"), 0, 1);
  const lossOf = () => {
    const y = layer.forward(x, { training: true });
    let s = 0;
    for (let i = 0; i < y.data.length; i++) s += (y.data[i] as number) * (r.data[i] as number);
    return s;
  };
  lossOf();
  for (const p of layer.params()) p.zeroGrad();
  const dx = layer.backward(r).clone();
  const results = [
    ["input", gradCheck(x.data, dx.data, lossOf)] as const,
    ...layer.params().map((p) => [p.name, gradCheck(p.value.data, Array.from(p.grad.data), lossOf)] as const),
  ];
  for (const [name, result] of results) {
    expect(result.maxRelativeError, `${name}: analytic ${result.analytic} vs numeric ${result.numeric}`).toBeLessThan(tol);
  }
}

describe("Dense gradients (finite differences, float64)", () => {
  it.each(["identity", "sigmoid", "tanh", "softplus", "gelu", "elu", "softmax"])("with %s", (activation) => {
    checkLayer(new Dense({ units: 4, activation }), 5);
  });
  it("without bias", () => checkLayer(new Dense({ units: 3, useBias: false, activation: "tanh" }), 2));
  it("with L1/L2 regularizers (penalty included in the loss)", () => {
    const layer = new Dense({ units: 3, activation: "tanh", kernelRegularizer: { l1: 0.01, l2: 0.1 }, biasRegularizer: { l2: 0.2 } });
    const rng = new Rng(3);
    layer.build([2], { dtype: "float64", rng, prefix: "l" });
    const x = rng.fillNormal(new Matrix(4, 2));
    const r = rng.fillNormal(new Matrix(4, 3));
    const lossOf = () => {
      const y = layer.forward(x);
      let s = layer.regularizationLoss();
      for (let i = 0; i < y.data.length; i++) s += (y.data[i] as number) * (r.data[i] as number);
      return s;
    };
    lossOf();
    layer.backward(r);
    for (const p of layer.params()) {
      expect(gradCheck(p.value.data, Array.from(p.grad.data), lossOf).maxRelativeError).toBeLessThan(1e-6);
    }
  });
});

describe("ActivationLayer and Dropout gradients", () => {
  it.each(["relu", "sigmoid", "mish", "softmax"])("ActivationLayer(%s)", (activation) => {
    checkLayer(new ActivationLayer({ activation }), 4, 3, 11);
  });

  it("Dropout with the same mask (generator rewound before each forward)", () => {
    const layer = new Dropout({ rate: 0.4 });
    const rng = new Rng(5);
    layer.build([6], { dtype: "float64", rng, prefix: "d" });
    const state = layer.getRng()!.getState();
    const x = rng.fillNormal(new Matrix(3, 6));
    const r = rng.fillNormal(new Matrix(3, 6));
    const lossOf = () => {
      layer.getRng()!.setState(state);
      const y = layer.forward(x, { training: true });
      let s = 0;
      for (let i = 0; i < y.data.length; i++) s += (y.data[i] as number) * (r.data[i] as number);
      return s;
    };
    lossOf();
    const dx = layer.backward(r).clone();
    expect(gradCheck(x.data, dx.data, lossOf).maxRelativeError).toBeLessThan(1e-6);
    const y = layer.forward(x, { training: true });
    const zeros = Array.from(y.data).filter((v) => v === 0).length;
    expect(zeros).toBeGreaterThan(0);
    expect(zeros).toBeLessThan(18);
    // Inference is the identity.
    expect(layer.forward(x)).toBe(x);
  });
});

describe("Dense configuration", () => {
  it("uses explicit weights, kernel in×out", () => {
    const layer = new Dense({ units: 2, weights: { kernel: [[1, 2], [3, 4], [5, 6]], bias: [0.5, -0.5] } });
    layer.build([3], { dtype: "float64", rng: new Rng(0), prefix: "p" });
    const y = layer.forward(Matrix.fromArray([[1, 1, 1]]));
    expect(y.toArray()).toEqual([[9.5, 11.5]]);
    expect(layer.kernel.name).toBe("p.kernel");
  });
  it("rejects bad configs with typed errors", () => {
    expect(() => new Dense({ units: 0 })).toThrow(/Dense.units: must be a positive integer/);
    expect(() => new Dense({ units: 2, activation: "nope" })).toThrow(/Dense.activation: .*unknown activation "nope"/);
    expect(() => new Dense({ units: 2, weights: { kernel: [[1, 2, 3]] } })).toThrow(/in×2/);
    expect(() => new Dense({ units: 2, kernelRegularizer: { l2: -1 } })).toThrow(/l2: must be a finite number ≥ 0/);
  });
  it("names the shapes when the input does not fit", () => {
    const layer = new Dense({ units: 2, inputDim: 3 });
    layer.build([3], { dtype: "float64", rng: new Rng(0), prefix: "p" });
    expect(() => layer.forward(new Matrix(4, 2))).toThrow(/input is 4×2 \(expected n×3\)/);
  });
  it("round-trips its config", () => {
    const layer = new Dense({ units: 3, activation: { name: "leakyRelu", config: { alpha: 0.2 } }, inputDim: 2, kernelRegularizer: { l2: 0.01 } });
    const again = new Dense(layer.getConfig() as never);
    expect(again.getConfig()).toEqual(layer.getConfig());
  });
});
