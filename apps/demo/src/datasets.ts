import { Rng } from "@backprop/linalg";

/** Names of the classification data sets. */
export const CLASSIFICATION_DATASETS = ["circle", "xor", "gauss", "spiral"] as const;
/** Names of the regression data sets. */
export const REGRESSION_DATASETS = ["plane", "multiGauss"] as const;

/** A classification data set's name. */
export type ClassificationDataset = (typeof CLASSIFICATION_DATASETS)[number];
/** A regression data set's name. */
export type RegressionDataset = (typeof REGRESSION_DATASETS)[number];
/** Any data set's name. */
export type DatasetName = ClassificationDataset | RegressionDataset;

/** Human labels of the data sets, for the picker. */
export const DATASET_LABELS: Readonly<Record<DatasetName, string>> = {
  circle: "Circle",
  xor: "Exclusive or",
  gauss: "Two gaussians",
  spiral: "Spiral",
  plane: "Plane",
  multiGauss: "Multi-gaussian",
};

/** A sample on the plane: coordinates in [−6, 6]² and its label (0/1 for classes, [−1, 1] for regression). */
export interface Point {
  readonly x: number;
  readonly y: number;
  readonly label: number;
}

/** Half the side of the square the points live in (as the TensorFlow Playground). */
export const DOMAIN = 6;

/** Whether a data set is a regression task. */
export function isRegression(name: DatasetName): name is RegressionDataset {
  return (REGRESSION_DATASETS as readonly string[]).includes(name);
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

const GENERATORS: Readonly<Record<DatasetName, (n: number, noise: number, rng: Rng) => Point[]>> = {
  circle, xor, gauss, spiral, plane, multiGauss,
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
 *
 * @example
 * ```ts
 * const points = generateDataset("circle", { noise: 0.1, seed: 1 });
 * ```
 */
export function generateDataset(name: DatasetName, options: DatasetOptions): Point[] {
  const rng = new Rng(options.seed);
  const points = GENERATORS[name](options.samples ?? 500, options.noise, rng);
  return rng.shuffle(points);
}

/**
 * Splits points into train and test sets: the first `ratio` of them train.
 *
 * @example
 * ```ts
 * const { train, test } = splitDataset(points, 0.5);
 * ```
 */
export function splitDataset(points: readonly Point[], ratio: number): { train: Point[]; test: Point[] } {
  const nTrain = Math.max(1, Math.min(points.length - 1, Math.round(points.length * ratio)));
  return { train: points.slice(0, nTrain), test: points.slice(nTrain) };
}
