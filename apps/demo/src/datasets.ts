import { Rng } from "@backprop/linalg";

/** Names of the (binary) classification data sets: labels 0 and 1. */
export const CLASSIFICATION_DATASETS = ["circle", "xor", "gauss", "spiral"] as const;
/** Names of the multiclass classification data sets: labels are class indices 0..k−1, k = {@link classCount}. */
export const MULTICLASS_DATASETS = ["blobs3", "blobs4", "spiral3", "spiral5"] as const;
/** Names of the regression data sets. */
export const REGRESSION_DATASETS = ["plane", "multiGauss"] as const;

/** A binary classification data set's name. */
export type ClassificationDataset = (typeof CLASSIFICATION_DATASETS)[number];
/** A multiclass classification data set's name. */
export type MulticlassDataset = (typeof MULTICLASS_DATASETS)[number];
/** A regression data set's name. */
export type RegressionDataset = (typeof REGRESSION_DATASETS)[number];
/** A data set the page can generate from a seed. */
export type GeneratedDataset = ClassificationDataset | MulticlassDataset | RegressionDataset;
/**
 * Any data set's name; `"custom"` is the user's own points (uploaded or clicked), which the page
 * keeps itself: {@link generateDataset} cannot make them.
 */
export type DatasetName = GeneratedDataset | "custom";

/** Human labels of the data sets, for the picker. */
export const DATASET_LABELS: Readonly<Record<DatasetName, string>> = {
  circle: "Circle",
  xor: "Exclusive or",
  gauss: "Two gaussians",
  spiral: "Spiral",
  blobs3: "Three blobs",
  blobs4: "Four blobs",
  spiral3: "Three-armed spiral",
  spiral5: "Five-armed spiral",
  plane: "Plane",
  multiGauss: "Multi-gaussian",
  custom: "Your data",
};

/**
 * A sample on the plane: coordinates in [−6, 6]² and its label (the class index 0..k−1 for
 * classification, a value in [−1, 1] for regression).
 */
export interface Point {
  readonly x: number;
  readonly y: number;
  readonly label: number;
}

/** Half the side of the square the points live in (as the TensorFlow Playground). */
export const DOMAIN = 6;

/** Whether a data set is a regression task (`"custom"` is not: the page knows what the user's data is). */
export function isRegression(name: DatasetName): name is RegressionDataset {
  return (REGRESSION_DATASETS as readonly string[]).includes(name);
}

/**
 * Whether a data set has more than two classes (`"custom"` is not: the page knows the user's class count).
 *
 * @example
 * ```ts
 * isMulticlass("blobs4"); // true
 * isMulticlass("circle"); // false
 * ```
 */
export function isMulticlass(name: DatasetName): name is MulticlassDataset {
  return (MULTICLASS_DATASETS as readonly string[]).includes(name);
}

const MULTICLASS_COUNTS: Readonly<Record<MulticlassDataset, number>> = { blobs3: 3, blobs4: 4, spiral3: 3, spiral5: 5 };

/**
 * How many output classes a built-in data set has: 2 for the binary ones, k for the multiclass ones,
 * 1 for regression (one output value).
 *
 * @throws Error for `"custom"`: the user's data carries its own count (the page's state keeps it).
 * @example
 * ```ts
 * classCount("spiral5"); // 5
 * ```
 */
export function classCount(name: DatasetName): number {
  if (name === "custom") throw new Error('classCount: the user\'s own data ("custom") has no fixed class count; the page keeps it with the points');
  if (isRegression(name)) return 1;
  return isMulticlass(name) ? MULTICLASS_COUNTS[name] : 2;
}

function circle(n: number, noise: number, rng: Rng): Point[] {
  const radius = 5;
  const points: Point[] = [];
  const labelOf = (x: number, y: number): number => (Math.hypot(x, y) < radius * 0.5 ? 1 : 0);
  const ring = (rMin: number, rMax: number): void => {
    for (let i = 0; i < n / 2; i++) {
      const r = rng.uniform(rMin, rMax);
      const angle = rng.uniform(0, 2 * Math.PI);
      const x = r * Math.sin(angle);
      const y = r * Math.cos(angle);
      // NOTE: the label comes from the noisy position, so noise blurs the boundary (as the Playground).
      const nx = rng.uniform(-radius, radius) * noise;
      const ny = rng.uniform(-radius, radius) * noise;
      points.push({ x, y, label: labelOf(x + nx, y + ny) });
    }
  };
  ring(0, radius * 0.5);
  ring(radius * 0.7, radius);
  return points;
}

function xor(n: number, noise: number, rng: Rng): Point[] {
  const padding = 0.3;
  const points: Point[] = [];
  for (let i = 0; i < n; i++) {
    let x = rng.uniform(-5, 5);
    x += x > 0 ? padding : -padding;
    let y = rng.uniform(-5, 5);
    y += y > 0 ? padding : -padding;
    const nx = rng.uniform(-5, 5) * noise;
    const ny = rng.uniform(-5, 5) * noise;
    points.push({ x, y, label: (x + nx) * (y + ny) >= 0 ? 1 : 0 });
  }
  return points;
}

function gauss(n: number, noise: number, rng: Rng): Point[] {
  const variance = 0.5 + noise * 3.5; // noise 0 → 0.5, noise 0.5 → 2.25
  const std = Math.sqrt(variance);
  const points: Point[] = [];
  for (const [cx, cy, label] of [[2, 2, 1], [-2, -2, 0]] as const) {
    for (let i = 0; i < n / 2; i++) points.push({ x: rng.normal(cx, std), y: rng.normal(cy, std), label });
  }
  return points;
}

function spiral(n: number, noise: number, rng: Rng): Point[] {
  const points: Point[] = [];
  const half = n / 2;
  for (const [delta, label] of [[0, 1], [Math.PI, 0]] as const) {
    for (let i = 0; i < half; i++) {
      const r = (i / half) * 5;
      const t = 1.75 * (i / half) * 2 * Math.PI + delta;
      const x = r * Math.sin(t) + rng.uniform(-1, 1) * noise;
      const y = r * Math.cos(t) + rng.uniform(-1, 1) * noise;
      points.push({ x, y, label });
    }
  }
  return points;
}

/**
 * Regression points spread uniformly over the plane; `target` sees each point and the noise drawn
 * for it (four draws per point, in this order: x, y, noise x, noise y).
 */
function regressionPoints(
  n: number,
  noise: number,
  rng: Rng,
  target: (x: number, y: number, nx: number, ny: number) => number,
): Point[] {
  const radius = 6;
  const points: Point[] = [];
  for (let i = 0; i < n; i++) {
    const x = rng.uniform(-radius, radius);
    const y = rng.uniform(-radius, radius);
    const nx = rng.uniform(-radius, radius) * noise;
    const ny = rng.uniform(-radius, radius) * noise;
    points.push({ x, y, label: target(x, y, nx, ny) });
  }
  return points;
}

function plane(n: number, noise: number, rng: Rng): Point[] {
  return regressionPoints(n, noise, rng, (x, y, nx, ny) => clamp((x + nx + y + ny) / 12, -1, 1));
}

const GAUSSIANS: readonly (readonly [number, number, number])[] = [
  [-4, 2.5, 1], [0, 2.5, -1], [4, 2.5, 1],
  [-4, -2.5, -1], [0, -2.5, 1], [4, -2.5, -1],
];

/** The regression target of the multi-gaussian set at (x, y): the strongest of six signed bumps. */
export function multiGaussTarget(x: number, y: number): number {
  let best = 0;
  for (const [cx, cy, sign] of GAUSSIANS) {
    const v = sign * Math.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * 1.3 ** 2));
    if (Math.abs(v) > Math.abs(best)) best = v;
  }
  return best;
}

function multiGauss(n: number, noise: number, rng: Rng): Point[] {
  return regressionPoints(n, noise, rng, (x, y, nx, ny) => multiGaussTarget(x + nx, y + ny));
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}

/** How many of `n` points class `c` of `k` gets: `n / k`, the first `n mod k` classes one more (exactly n in all). */
function share(n: number, k: number, c: number): number {
  return Math.floor(n / k) + (c < n % k ? 1 : 0);
}

/**
 * k gaussian blobs centred evenly on a circle of radius 3.5, class c at angle 2πc/k + π/2k (the
 * half-step turn puts four blobs one in each quadrant, off the axes), with the spread of the
 * two-gaussian set.
 */
function blobs(k: number): (n: number, noise: number, rng: Rng) => Point[] {
  return (n, noise, rng) => {
    const std = Math.sqrt(0.5 + noise * 3.5); // as gauss: noise 0 → 0.71, noise 0.5 → 1.5
    const points: Point[] = [];
    for (let label = 0; label < k; label++) {
      const angle = (2 * Math.PI * label) / k + Math.PI / (2 * k);
      const cx = 3.5 * Math.cos(angle);
      const cy = 3.5 * Math.sin(angle);
      for (let i = 0; i < share(n, k, label); i++) {
        // NOTE: a draw outside the plane is drawn again (a truncated gaussian): the page shows and
        // the network sees only [−6, 6]², and at noise 0.5 about one point in a hundred would fall off.
        let x: number;
        let y: number;
        do {
          x = rng.normal(cx, std);
          y = rng.normal(cy, std);
        } while (Math.abs(x) > DOMAIN || Math.abs(y) > DOMAIN);
        points.push({ x, y, label });
      }
    }
    return points;
  };
}

/**
 * A k-armed spiral: arm c starts at the centre at angle 2πc/k and winds out to radius 5. The arms
 * turn 3.5/k times (1.75 turns for two, as {@link spiral}), so the radial gap between neighbouring
 * arms stays the binary spiral's 5/3.5 ≈ 1.43 whatever k is: more arms, not a harder-to-see puzzle.
 */
function spiralArms(k: number): (n: number, noise: number, rng: Rng) => Point[] {
  const turns = 3.5 / k;
  return (n, noise, rng) => {
    const points: Point[] = [];
    for (let label = 0; label < k; label++) {
      const m = share(n, k, label);
      for (let i = 0; i < m; i++) {
        const r = (i / m) * 5;
        const t = turns * (i / m) * 2 * Math.PI + (2 * Math.PI * label) / k;
        const x = r * Math.sin(t) + rng.uniform(-1, 1) * noise;
        const y = r * Math.cos(t) + rng.uniform(-1, 1) * noise;
        points.push({ x, y, label });
      }
    }
    return points;
  };
}

const GENERATORS: Readonly<Record<GeneratedDataset, (n: number, noise: number, rng: Rng) => Point[]>> = {
  circle, xor, gauss, spiral, plane, multiGauss,
  blobs3: blobs(3), blobs4: blobs(4), spiral3: spiralArms(3), spiral5: spiralArms(5),
};

/** Options of {@link generateDataset}. */
export interface DatasetOptions {
  /** Number of points. Default 500 (as the Playground). */
  readonly samples?: number;
  /** Noise in [0, 0.5]: how much labels (or positions) are perturbed. */
  readonly noise: number;
  /** Seed of the data's generator; same seed, same points. */
  readonly seed: number;
}

/**
 * The points of a data set, deterministic for a seed, shuffled (so any train/test split is mixed).
 * The multiclass sets have exactly `samples` points, split as evenly as possible between classes.
 *
 * @throws Error for `"custom"`: the user's own points are not generated; the page keeps them.
 * @example
 * ```ts
 * const points = generateDataset("circle", { noise: 0.1, seed: 1 });
 * const blobs = generateDataset("blobs3", { noise: 0.2, seed: 1 }); // labels 0, 1, 2
 * ```
 */
export function generateDataset(name: DatasetName, options: DatasetOptions): Point[] {
  if (name === "custom") {
    throw new Error('generateDataset: "custom" is the user\'s own data, which cannot be generated (the page keeps those points itself)');
  }
  const rng = new Rng(options.seed);
  const points = GENERATORS[name](options.samples ?? 500, options.noise, rng);
  return rng.shuffle(points);
}

/**
 * Splits points into train and test sets: the first `ratio` of them train (at least one point on
 * each side).
 *
 * When every label is an integer (a classification set) and a class present in the points has no
 * training point, the split swaps that class's first test point with the last training point of a
 * class that has more than one, as long as one exists: a class the network never trains on is one
 * it can never predict. Deterministic: same points, same split. Regression labels (not all
 * integers) are split by position only.
 *
 * @example
 * ```ts
 * const { train, test } = splitDataset(points, 0.5);
 * ```
 */
export function splitDataset(points: readonly Point[], ratio: number): { train: Point[]; test: Point[] } {
  const nTrain = Math.max(1, Math.min(points.length - 1, Math.round(points.length * ratio)));
  const train = points.slice(0, nTrain);
  const test = points.slice(nTrain);
  if (!points.every((p) => Number.isInteger(p.label))) return { train, test };
  const inTrain = new Map<number, number>();
  for (const p of train) inTrain.set(p.label, (inTrain.get(p.label) ?? 0) + 1);
  for (let j = 0; j < test.length; j++) {
    const missing = test[j];
    if (missing === undefined || inTrain.has(missing.label)) continue;
    let i = train.length - 1;
    while (i >= 0 && (inTrain.get(train[i]?.label ?? NaN) ?? 0) < 2) i--;
    const given = train[i];
    if (given === undefined) break; // every training point is its class's only one: nothing to give
    train[i] = missing;
    test[j] = given;
    inTrain.set(given.label, (inTrain.get(given.label) ?? 0) - 1);
    inTrain.set(missing.label, 1);
  }
  return { train, test };
}
