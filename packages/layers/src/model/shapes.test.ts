import { Matrix, Rng, Tensor } from "@backprop/linalg";
import { adam } from "@backprop/optimizers";
import { errorCode } from "@backprop/testing";
import { describe, expect, it } from "vitest";
import { ActivationLayer } from "../activation-layer.js";
import { Dense } from "../dense.js";
import { Dropout } from "../dropout.js";
import { Sequential } from "./sequential.js";

describe("shapes flow from the input shape through every layer", () => {
  it("infers each layer's shapes from the first layer's inputShape; Dense works on the last axis", () => {
    const model = new Sequential(
      [new Dense({ units: 5, inputShape: [4, 3], activation: "relu" }), new Dropout({ rate: 0.1 }), new Dense({ units: 2 }), new ActivationLayer({ activation: "softmax" })],
      { seed: 1 },
    ).build();
    expect(model.inputShape).toEqual([4, 3]);
    expect(model.outputShape).toEqual([4, 2]);
    expect(model.inputDim).toBe(12);
    expect(model.params().map((p) => [p.name, p.value.shape])).toEqual([
      ["layers.0.kernel", [3, 5]],
      ["layers.0.bias", [5]],
      ["layers.2.kernel", [5, 2]],
      ["layers.2.bias", [2]],
    ]);
    expect(model.layers.map((l, i) => l.paramShapes(i === 0 ? [4, 3] : i < 2 ? [4, 5] : [4, 5]).map((s) => s.name))).toEqual([["kernel", "bias"], [], ["kernel", "bias"], []]);
    expect(model.summary()).toContain("[null, 4, 2]");
  });

  it("a Dense layer on [batch, time, features] equals the same Dense applied to every time step", () => {
    const model = new Sequential([new Dense({ units: 3, inputShape: [2, 4], activation: "tanh" })], { seed: 2, dtype: "float64" });
    const x = new Rng(3).fillNormal(new Tensor([5, 2, 4], "float64"));
    const y = model.predict(x);
    expect(y.shape).toEqual([5, 2, 3]);
    const flat = new Sequential([new Dense({ units: 3, inputDim: 4, activation: "tanh" })], { seed: 2, dtype: "float64" });
    flat.setWeights(model.getWeights());
    expect(Array.from(flat.predict(x.reshape([10, 4])).data)).toEqual(Array.from(y.data));
  });

  it("fit, evaluate and predict take tensors or matrices of flattened samples (row-major)", () => {
    const rng = new Rng(5);
    const x = rng.fillNormal(new Tensor([24, 2, 2], "float32"));
    const y = new Tensor([24, 2, 1], "float32");
    for (let i = 0; i < 24 * 2; i++) y.data[i] = (x.data[2 * i] as number) - (x.data[2 * i + 1] as number);
    const make = () => {
      const m = new Sequential([new Dense({ units: 1, inputShape: [2, 2] })], { seed: 4 });
      m.compile({ loss: "meanSquaredError", optimizer: adam({ lr: 0.05 }) });
      return m;
    };
    const a = make();
    const b = make();
    const ha = a.fit(x, y, { epochs: 3, batchSize: 5 });
    const hb = b.fit(x.reshape([24, 4]), y, { epochs: 3, batchSize: 5 });
    expect(hb.history["loss"]).toEqual(ha.history["loss"]);
    expect(Array.from(b.predict(x.reshape([24, 4])).data)).toEqual(Array.from(a.predict(x).data));
    expect(b.evaluate(x, y)).toEqual(a.evaluate(x.reshape([24, 4]), y));
    expect(errorCode(() => a.predict(new Matrix(3, 5)))).toBe("SHAPE_MISMATCH");
    expect(errorCode(() => a.predict(new Tensor([3, 4, 1])))).toBe("SHAPE_MISMATCH");
  });

  it("getWeights returns copies in layer order; setWeights takes tensors, nested arrays or typed arrays", () => {
    const model = new Sequential([new Dense({ units: 2, inputDim: 3 }), new Dense({ units: 1 })], { seed: 6, dtype: "float64" });
    const w = model.getWeights();
    expect(w.map((t) => t.shape)).toEqual([[3, 2], [2], [2, 1], [1]]);
    w[0]!.data[0] = 99;
    expect(model.params()[0]!.value.data[0]).not.toBe(99);
    model.setWeights([[[1, 2], [3, 4], [5, 6]], Float64Array.of(0.5, -0.5), Tensor.fromArray([[1], [1]]), [0]]);
    expect(model.predict(Matrix.fromArray([[1, 0, 0]])).toArray()).toEqual([[1 + 0.5 + 2 - 0.5]]);
    const before = model.getWeights().map((t) => Array.from(t.data));
    expect(errorCode(() => model.setWeights([[[1, 2]], [0, 0], [[1], [1]], [0]]))).toBe("SHAPE_MISMATCH");
    expect(errorCode(() => model.setWeights([]))).toBe("SHAPE_MISMATCH");
    // Nothing changed by a rejected call.
    expect(model.getWeights().map((t) => Array.from(t.data))).toEqual(before);
  });

  it("Dense({ weights }) takes typed arrays and tensors as well as nested arrays", () => {
    const nested = new Sequential([new Dense({ units: 2, inputDim: 2, weights: { kernel: [[1, 2], [3, 4]], bias: [5, 6] } })], { dtype: "float64" });
    const typed = new Sequential([new Dense({ units: 2, weights: { kernel: Float32Array.of(1, 2, 3, 4), bias: Tensor.fromArray([5, 6]) } })], { dtype: "float64" });
    const x = Matrix.fromArray([[1, -1]]);
    expect(typed.predict(x).toArray()).toEqual(nested.predict(x).toArray());
    expect(typed.inputDim).toBe(2);
    expect(errorCode(() => new Dense({ units: 2, weights: { kernel: Float64Array.of(1, 2, 3) } }))).toBe("SHAPE_MISMATCH");
  });
});
