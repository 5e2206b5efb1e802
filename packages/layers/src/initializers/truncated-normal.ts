import type { Tensor, Rng } from "@backprop/linalg";
import type { Initializer } from "./initializer.js";
import { readNormalOptions, type NormalOptions } from "./random-normal.js";

/**
 * Fills `target` with draws from `N(mean, stddev²)` restricted to `[mean − 2·stddev, mean + 2·stddev]`:
 * a draw further than two standard deviations from the mean is discarded and drawn again (as
 * Keras/TensorFlow's truncated normal). The result's standard deviation is
 * `0.87962566103423978·stddev`.
 *
 * @returns `target`
 * @example
 * ```ts
 * fillTruncatedNormal(Matrix.zeros(2, 2), new Rng(1), 0, 1); // every |value| ≤ 2
 * ```
 */
export function fillTruncatedNormal<T extends Tensor>(target: T, rng: Rng, mean: number, stddev: number): T {
  const d = target.data;
  for (let i = 0; i < d.length; i++) {
    let x = rng.normal();
    while (x < -2 || x > 2) x = rng.normal();
    d[i] = mean + stddev * x;
  }
  return target;
}

/**
 * Normal draws truncated at two standard deviations (resampled beyond, as Keras), one element
 * at a time in row-major order. Registry name `"truncatedNormal"`, config `{ mean, stddev }`.
 *
 * @example
 * ```ts
 * truncatedNormal({ stddev: 0.1 }).init(Matrix.zeros(3, 4), new Rng(0), { fanIn: 3, fanOut: 4 });
 * // every value in [−0.2, 0.2]
 * ```
 */
export function truncatedNormal(options: NormalOptions = {}): Initializer {
  const config = readNormalOptions("truncatedNormal", options);
  const { mean, stddev } = config;
  return {
    name: "truncatedNormal",
    config,
    init<T extends Tensor>(target: T, rng: Rng): T {
      return fillTruncatedNormal(target, rng, mean, stddev);
    },
  };
}
