import { Matrix, Rng, type DType } from "@backprop/linalg";
import { Dense, Dropout, Sequential } from "@backprop/layers";
import { adam } from "@backprop/optimizers";

/** A small classifier with dropout and Adam, compiled: exercises every part of a checkpoint. */
export function classifier(dtype: DType = "float32", seed = 11): Sequential {
  const model = new Sequential(
    [
      new Dense({ units: 6, inputDim: 3, activation: "relu" }),
      new Dropout({ rate: 0.3 }),
      new Dense({ units: 5, activation: { name: "leakyRelu", config: { alpha: 0.1 } } }),
      new Dense({ units: 2, activation: "softmax" }),
    ],
    { seed, dtype },
  );
  model.compile({ loss: "categoricalCrossentropy", optimizer: adam({ lr: 0.01 }), metrics: ["accuracy"] });
  return model;
}

/** 50 samples of a two-class problem. */
export function twoClassData(dtype: DType = "float32", seed = 5): { x: Matrix; y: Matrix } {
  const rng = new Rng(seed);
  const x = rng.fillNormal(new Matrix(50, 3, dtype));
  const y = new Matrix(50, 2, dtype);
  for (let i = 0; i < 50; i++) y.set(i, x.get(i, 0) + x.get(i, 1) > 0 ? 1 : 0, 1);
  return { x, y };
}

/** Every weight as plain numbers, for exact comparisons. */
export const weightsOf = (m: Sequential): number[][] => m.params().map((p) => Array.from(p.value.data));
