import { Matrix, Rng } from "@backprop/linalg";

/** A classification data set as row-major float32 matrices, one-hot targets. */
export interface Dataset {
  readonly x: Matrix;
  readonly y: Matrix;
}

/**
 * MNIST-shaped synthetic data: `n` samples of 784 pixels in [0, 1) and one-hot labels over 10
 * classes, seeded. Dense (no zero pixels), so no library gains from sparsity tricks.
 */
export function mnistLike(n: number, seed = 1): Dataset {
  const rng = new Rng(seed);
  const x = new Matrix(n, 784, "float32");
  rng.fillUniform(x, 0, 1);
  const y = new Matrix(n, 10, "float32");
  for (let i = 0; i < n; i++) y.data[i * 10 + rng.int(10)] = 1;
  return { x, y };
}

/** XOR: the four corners of the unit square, target 1 where exactly one input is 1. */
export function xor(): Dataset {
  return {
    x: Matrix.fromArray([[0, 0], [0, 1], [1, 0], [1, 1]], "float32"),
    y: Matrix.fromArray([[0], [1], [1], [0]], "float32"),
  };
}

/** Iris-shaped data: 150 samples, 4 features, 3 classes (seeded Gaussian clusters, 50 per class). */
export function irisLike(seed = 2): Dataset {
  const rng = new Rng(seed);
  const centers = [
    [5.0, 3.4, 1.5, 0.2],
    [5.9, 2.8, 4.3, 1.3],
    [6.6, 3.0, 5.6, 2.0],
  ];
  const x = new Matrix(150, 4, "float32");
  const y = new Matrix(150, 3, "float32");
  for (let i = 0; i < 150; i++) {
    const cls = i % 3;
    const c = centers[cls] as number[];
    for (let j = 0; j < 4; j++) x.data[i * 4 + j] = (c[j] as number) + 0.3 * rng.normal();
    y.data[i * 3 + cls] = 1;
  }
  return { x, y };
}
