import { Matrix, Rng, type DType } from "@backprop/linalg";
import { ActivationLayer, Dense, Dropout, Normalization, Sequential } from "@backprop/layers";
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

/**
 * Raw inputs far from standardised (means up to 40, spreads from 0.01 to 300), as a model with a
 * Normalization layer sees them: exported graphs must do the same scaling.
 */
export function rawData(rows: number, dtype: DType = "float32", seed = 17): Matrix {
  const rng = new Rng(seed);
  const x = rng.fillNormal(new Matrix(rows, 4, dtype));
  const scale = [300, 0.01, 2, 1];
  const shift = [40, -3, 0.5, 0];
  for (let i = 0; i < rows; i++) for (let j = 0; j < 4; j++) x.set(i, j, x.get(i, j) * scale[j]! + shift[j]!);
  return x;
}

/** Normalization (adapted to `rawData`) → Dense relu → Dropout → Dense leakyRelu → Dense softmax. */
export function normalizedClassifier(dtype: DType = "float32", seed = 3): Sequential {
  const norm = new Normalization({ inputDim: 4 }).adapt(rawData(64, "float64", 99));
  return new Sequential(
    [
      norm,
      new Dense({ units: 6, activation: "relu" }),
      new Dropout({ rate: 0.25 }),
      new Dense({ units: 5, activation: { name: "leakyRelu", config: { alpha: 0.2 } } }),
      new ActivationLayer({ activation: "tanh" }),
      new Dense({ units: 3, activation: "softmax" }),
    ],
    { seed, dtype },
  ).build();
}
