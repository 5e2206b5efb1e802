import { Rng } from "@backprop/linalg";
import type { Dataset, DatasetOptions } from "./dataset.js";
import { checkOptions, shuffledDataset } from "./samples.js";

const XY = ["x", "y"];
const BINARY = ["0", "1"];

/** `n` evenly spaced values from 0 to `end` (inclusive when `inclusive`), as numpy's linspace. */
function linspace(n: number, end: number, inclusive: boolean): number[] {
  const steps = inclusive ? n - 1 : n;
  return Array.from({ length: n }, (_, i) => (steps === 0 ? 0 : (end * i) / steps));
}

/**
 * The XOR problem: class `a XOR b` at the corners `(a, b)` of the unit square — the smallest problem
 * a network without a hidden layer cannot solve.
 *
 * With the default 4 samples, exactly the four corners (noise is ignored); with more, the corners
 * are visited in turn and Gaussian noise (default σ 0.1) is added to each point. Classes `"0"`, `"1"`.
 *
 * @example
 * ```ts
 * xor({ seed: 1 }).x.length;                               // 4
 * xor({ seed: 1, samples: 200, noise: 0.2 }).x.length;     // 200
 * ```
 */
export function xor(options: DatasetOptions): Dataset {
  const { samples, noise } = checkOptions("xor", options, { samples: 4, noise: 0.1, minSamples: 4 });
  const rng = new Rng(options.seed);
  const exact = samples === 4;
  const x: number[][] = [];
  const labels: number[] = [];
  for (let i = 0; i < samples; i++) {
    const a = i & 1;
    const b = (i >> 1) & 1;
    x.push(exact ? [a, b] : [a + rng.normal(0, noise), b + rng.normal(0, noise)]);
    labels.push(a ^ b);
  }
  return shuffledDataset(
    {
      name: "xor",
      description: "XOR of two binary inputs: the four corners of the unit square (noisy copies with --samples > 4)",
      featureNames: ["a", "b"],
      task: "classification",
      classes: BINARY,
    },
    x,
    labels,
    rng.nextUint32(),
  );
}

/**
 * Two concentric circles (radius 1 and 0.5), as scikit-learn's `make_circles`: class `"0"` is the
 * outer circle, `"1"` the inner one. Points are evenly spaced in angle, then Gaussian noise is added.
 *
 * Defaults: 200 samples, noise σ 0.05.
 *
 * @example
 * ```ts
 * const data = circles({ seed: 7, samples: 100, noise: 0.1 });
 * ```
 */
export function circles(options: DatasetOptions): Dataset {
  const { samples, noise } = checkOptions("circles", options, { samples: 200, noise: 0.05, minSamples: 2 });
  const rng = new Rng(options.seed);
  const outer = Math.floor(samples / 2);
  const x: number[][] = [];
  const labels: number[] = [];
  const ring = (n: number, radius: number, label: number): void => {
    for (const t of linspace(n, 2 * Math.PI, false)) {
      x.push([radius * Math.cos(t) + rng.normal(0, noise), radius * Math.sin(t) + rng.normal(0, noise)]);
      labels.push(label);
    }
  };
  ring(outer, 1, 0);
  ring(samples - outer, 0.5, 1);
  return shuffledDataset(
    {
      name: "circles",
      description: "two concentric circles, one class each (not linearly separable)",
      featureNames: XY,
      task: "classification",
      classes: BINARY,
    },
    x,
    labels,
    rng.nextUint32(),
  );
}

/**
 * Two interleaving half circles, as scikit-learn's `make_moons`: class `"0"` is the upper moon
 * (`cos t, sin t`), `"1"` the lower one (`1 - cos t, 0.5 - sin t`), `t` in `[0, π]`, plus Gaussian
 * noise.
 *
 * Defaults: 200 samples, noise σ 0.1.
 *
 * @example
 * ```ts
 * const data = moons({ seed: 7 });
 * ```
 */
export function moons(options: DatasetOptions): Dataset {
  const { samples, noise } = checkOptions("moons", options, { samples: 200, noise: 0.1, minSamples: 2 });
  const rng = new Rng(options.seed);
  const upper = Math.floor(samples / 2);
  const x: number[][] = [];
  const labels: number[] = [];
  for (const t of linspace(upper, Math.PI, true)) {
    x.push([Math.cos(t) + rng.normal(0, noise), Math.sin(t) + rng.normal(0, noise)]);
    labels.push(0);
  }
  for (const t of linspace(samples - upper, Math.PI, true)) {
    x.push([1 - Math.cos(t) + rng.normal(0, noise), 0.5 - Math.sin(t) + rng.normal(0, noise)]);
    labels.push(1);
  }
  return shuffledDataset(
    {
      name: "moons",
      description: "two interleaving half circles, one class each",
      featureNames: XY,
      task: "classification",
      classes: BINARY,
    },
    x,
    labels,
    rng.nextUint32(),
  );
}

/**
 * Three interleaved spiral arms, one class each (the CS231n example): arm `k` has radius `r` from 0
 * to 1 and angle `4k + 4r` plus Gaussian noise on the angle; the point is `(r sin θ, r cos θ)`.
 *
 * Defaults: 300 samples (100 per arm), angle noise σ 0.2.
 *
 * @see https://cs231n.github.io/neural-networks-case-study/
 * @example
 * ```ts
 * const data = spirals({ seed: 3 }); // 300 × 2, classes "0", "1", "2"
 * ```
 */
export function spirals(options: DatasetOptions): Dataset {
  const { samples, noise } = checkOptions("spirals", options, { samples: 300, noise: 0.2, minSamples: 3 });
  const rng = new Rng(options.seed);
  const arms = 3;
  const x: number[][] = [];
  const labels: number[] = [];
  for (let k = 0; k < arms; k++) {
    const n = Math.floor(samples / arms) + (k < samples % arms ? 1 : 0);
    for (const r of linspace(n, 1, true)) {
      const theta = 4 * k + 4 * r + rng.normal(0, noise);
      x.push([r * Math.sin(theta), r * Math.cos(theta)]);
      labels.push(k);
    }
  }
  return shuffledDataset(
    {
      name: "spirals",
      description: "three interleaved spiral arms, one class each",
      featureNames: XY,
      task: "classification",
      classes: ["0", "1", "2"],
    },
    x,
    labels,
    rng.nextUint32(),
  );
}
