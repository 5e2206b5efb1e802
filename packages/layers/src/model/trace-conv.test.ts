import { Rng, Tensor, rowsOf, type NestedArray } from "@backprop/linalg";
import { sgd } from "@backprop/optimizers";
import { describe, expect, it } from "vitest";
import { Conv2D } from "../conv2d.js";
import { Dense } from "../dense.js";
import { Flatten } from "../flatten.js";
import { MaxPooling2D } from "../pooling/max-pooling2d.js";
import { Sequential } from "./sequential.js";

/** The shape of nested arrays, read from the nesting. */
function shapeOf(v: NestedArray | undefined): number[] {
  const shape: number[] = [];
  let level: NestedArray | undefined = v;
  while (Array.isArray(level)) {
    shape.push(level.length);
    level = level[0];
  }
  return shape;
}

describe("traceStep through a convolutional network", () => {
  it("shows every layer's tensors with their own shapes, and the step it traced is a real step", () => {
    const make = () => {
      const m = new Sequential(
        [
          new Conv2D({ filters: 3, kernelSize: 3, activation: "relu", inputShape: [6, 6, 1] }),
          new MaxPooling2D({ poolSize: 2 }),
          new Flatten(),
          new Dense({ units: 2, activation: "softmax" }),
        ],
        { seed: 4, dtype: "float64" },
      );
      m.compile({ loss: "categoricalCrossentropy", optimizer: sgd({ lr: 0.1 }) });
      return m;
    };
    const x = new Rng(2).fillNormal(new Tensor([2, 6, 6, 1], "float64"));
    const y = Tensor.fromArray([[1, 0], [0, 1]]);
    const traced = make();
    const trace = traced.traceStep(x, y);
    const [conv, pool, flat, dense] = trace.layers;
    expect(shapeOf(conv?.input)).toEqual([2, 6, 6, 1]);
    expect(shapeOf(conv?.preActivation)).toEqual([2, 4, 4, 3]);
    expect(shapeOf(conv?.delta)).toEqual([2, 4, 4, 3]);
    expect(shapeOf(pool?.output)).toEqual([2, 2, 2, 3]);
    expect(shapeOf(flat?.output)).toEqual([2, 12]);
    expect(shapeOf(dense?.output)).toEqual([2, 2]);
    expect(conv?.params.map((p) => [p.name, shapeOf(p.gradient)])).toEqual([
      ["layers.0.kernel", [3, 3, 1, 3]],
      ["layers.0.bias", [3]],
    ]);
    // The traced step is the step fit would take: the same weights after it, and a lower loss.
    const plain = make();
    plain.trainOnBatch(x, y);
    expect(traced.getWeights().map((w) => Array.from(w.data))).toEqual(plain.getWeights().map((w) => Array.from(w.data)));
    expect(trace.lossAfter).toBeLessThan(trace.loss);
    // Each sample's softmax output sums to 1 in the trace as well.
    for (const row of rowsOf(dense?.output ?? [])) expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });
});
