import { BackpropError } from "@backprop/linalg";
import type { Dataset, DatasetOptions } from "./dataset.js";
import { DIGITS_LICENSE, digits } from "./digits.js";
import { IRIS_LICENSE, iris } from "./iris.js";
import { MNIST_LICENSE, mnist } from "./mnist.js";
import { circles, moons, spirals, xor } from "./synthetic.js";

/** One line of `backprop datasets`: what a built-in dataset is, without loading it. */
export interface DatasetInfo {
  /** The name given to `--data`. */
  readonly name: string;
  /** One line on what it is. */
  readonly description: string;
  /** Samples with the default options. */
  readonly samples: number;
  /** Inputs per sample. */
  readonly features: number;
  /** For images: `[height, width, channels]`; the features are the pixels, row-major. */
  readonly imageShape?: readonly number[];
  /** Number of classes, or `"regression"`. */
  readonly classes: number | "regression";
  /** `"generated"` for datasets made from a seed, else the origin and licence. */
  readonly source: string;
}

interface Entry {
  readonly info: DatasetInfo;
  readonly load: (options: DatasetOptions) => Dataset;
}

const GENERATED = "generated from --seed";

// NOTE: a static table, not registration at import time, so importing this module does no work.
const DATASETS: Readonly<Record<string, Entry>> = {
  xor: {
    info: { name: "xor", description: "XOR of two bits: the 4 corners of the unit square (noisy copies with --samples > 4)", samples: 4, features: 2, classes: 2, source: GENERATED },
    load: xor,
  },
  circles: {
    info: { name: "circles", description: "two concentric circles, one class each", samples: 200, features: 2, classes: 2, source: GENERATED },
    load: circles,
  },
  moons: {
    info: { name: "moons", description: "two interleaving half circles", samples: 200, features: 2, classes: 2, source: GENERATED },
    load: moons,
  },
  spirals: {
    info: { name: "spirals", description: "three interleaved spiral arms", samples: 300, features: 2, classes: 3, source: GENERATED },
    load: spirals,
  },
  iris: {
    info: { name: "iris", description: "Fisher's iris flowers: 4 measurements in cm, 3 species", samples: 150, features: 4, classes: 3, source: IRIS_LICENSE },
    load: iris,
  },
  digits: {
    info: { name: "digits", description: "handwritten digits, 8×8 pixels 0..16 (scikit-learn's load_digits)", samples: 1797, features: 64, imageShape: [8, 8, 1], classes: 10, source: DIGITS_LICENSE },
    load: digits,
  },
  mnist: {
    info: { name: "mnist", description: "handwritten digits, 28×28 pixels in [0, 1] (10 000-image MNIST subset)", samples: 10_000, features: 784, imageShape: [28, 28, 1], classes: 10, source: MNIST_LICENSE },
    load: mnist,
  },
};

/**
 * The built-in datasets, for `backprop datasets`; nothing is loaded.
 *
 * @example
 * ```ts
 * for (const d of listDatasets()) console.log(d.name, d.samples, d.features);
 * ```
 */
export function listDatasets(): DatasetInfo[] {
  return Object.values(DATASETS).map((entry) => entry.info);
}

/** True when `name` is a built-in dataset (so the CLI can tell `--data moons` from a file name). */
export function isDatasetName(name: string): boolean {
  return Object.hasOwn(DATASETS, name);
}

/**
 * Loads (or generates) a built-in dataset by name. Same name and options, same data.
 *
 * @throws BackpropError `INVALID_ARGUMENT` for an unknown name (the message lists the built-in
 *   ones) or invalid options
 * @example
 * ```ts
 * const data = loadDataset("moons", { seed: 1, samples: 500, noise: 0.2 });
 * ```
 */
export function loadDataset(name: string, options: DatasetOptions): Dataset {
  if (!isDatasetName(name)) {
    throw new BackpropError(
      "INVALID_ARGUMENT",
      `unknown dataset "${name}" (expected one of ${Object.keys(DATASETS).join(", ")})`,
      { hint: "run `backprop datasets` to see them, or pass a .csv or .json file" },
    );
  }
  return (DATASETS[name] as Entry).load(options);
}
