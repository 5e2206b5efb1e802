import { BackpropError, Rng } from "@backprop/linalg";
import type { Dataset, DatasetOptions } from "./dataset.js";

/** Checks a built-in dataset's options; returns the sample count (or `fallback`) and the noise. */
export function checkOptions(
  name: string,
  options: DatasetOptions,
  defaults: { samples: number; noise: number; minSamples: number; maxSamples?: number },
): { samples: number; noise: number } {
  const { seed, samples = defaults.samples, noise = defaults.noise } = options;
  if (!Number.isFinite(seed)) {
    throw new BackpropError("INVALID_ARGUMENT", `${name}: seed must be a finite number (got ${String(seed)})`);
  }
  const max = defaults.maxSamples ?? Number.MAX_SAFE_INTEGER;
  if (!Number.isSafeInteger(samples) || samples < defaults.minSamples || samples > max) {
    throw new BackpropError(
      "INVALID_ARGUMENT",
      `${name}: samples must be an integer from ${defaults.minSamples} to ${max === Number.MAX_SAFE_INTEGER ? "any size" : max} (got ${String(samples)})`,
    );
  }
  if (!Number.isFinite(noise) || noise < 0) {
    throw new BackpropError("INVALID_ARGUMENT", `${name}: noise must be a finite number ≥ 0 (got ${String(noise)})`);
  }
  return { samples, noise };
}

/** A one-hot row: `k` of `n` set to 1. */
export function oneHot(k: number, n: number): number[] {
  const row = new Array<number>(n).fill(0);
  row[k] = 1;
  return row;
}

/**
 * Shuffles samples with a seeded {@link Rng} and keeps the first `keep`, one-hot encoding the class
 * indices, so a dataset is the same for the same seed and never sorted by class.
 */
export function shuffledDataset(
  meta: Omit<Dataset, "x" | "y">,
  x: number[][],
  labels: ArrayLike<number>,
  seed: number,
  keep: number = x.length,
): Dataset {
  const classes = meta.classes ?? [];
  const order = new Rng(seed).permutation(x.length);
  const px: number[][] = new Array<number[]>(keep);
  const py: number[][] = new Array<number[]>(keep);
  for (let k = 0; k < keep; k++) {
    const i = order[k] as number;
    px[k] = x[i] as number[];
    py[k] = oneHot(labels[i] as number, classes.length);
  }
  return { ...meta, x: px, y: py };
}
