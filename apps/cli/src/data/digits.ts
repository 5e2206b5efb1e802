import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { BackpropError } from "@backprop/linalg";
import type { Dataset, DatasetOptions } from "./dataset.js";
import { checkOptions, shuffledDataset } from "./samples.js";

const SAMPLES = 1797;
const PIXELS = 64;
const RELATIVE_PATH = join("data", "digits", "digits.csv.gz");

/** Source and licence of {@link digits}. */
export const DIGITS_LICENSE =
  "E. Alpaydin and C. Kaynak (1998), UCI Optical Recognition of Handwritten Digits (CC BY 4.0), as shipped by scikit-learn (BSD-3-Clause); see data/digits/ATTRIBUTION.md";

/**
 * Finds the vendored file by walking up from this module: it sits at `apps/cli/data/`, which is
 * `../../data` from `src/data/` (tests) and `../data` from `dist/` (the bundled CLI).
 */
function findDigitsFile(): string {
  const tried: string[] = [];
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let up = 0; up < 4; up++) {
    const candidate = join(dir, RELATIVE_PATH);
    if (existsSync(candidate)) return candidate;
    tried.push(candidate);
    dir = dirname(dir);
  }
  throw new BackpropError("INVALID_FILE", `digits: the data file ${RELATIVE_PATH} is missing (looked in ${tried.join(", ")})`, {
    hint: "reinstall the CLI; the file is part of the package",
  });
}

/**
 * Parses the vendored file: 1797 lines of 65 integers, the 64 pixels (0..16) of an 8×8 image row
 * by row, then the digit.
 */
function readDigits(path: string): { x: number[][]; labels: number[] } {
  const text = gunzipSync(readFileSync(path)).toString("utf8");
  const x: number[][] = [];
  const labels: number[] = [];
  const lines = text.split("\n");
  lines.forEach((line, i) => {
    if (line.trim() === "") return;
    const values = line.split(",").map(Number);
    if (values.length !== PIXELS + 1 || !values.every(Number.isInteger)) {
      throw new BackpropError("INVALID_FILE", `${path}:${i + 1}: expected ${PIXELS + 1} integers (the file is damaged)`);
    }
    labels.push(values.pop() as number);
    x.push(values);
  });
  if (x.length !== SAMPLES) {
    throw new BackpropError("INVALID_FILE", `${path}: ${x.length} images (expected ${SAMPLES}; the file is damaged)`);
  }
  return { x, labels };
}

/**
 * Handwritten digits: 1797 images of 8×8 pixels, each pixel the count of ink in a 4×4 block
 * (0..16), 10 classes `"0"`…`"9"` — the `load_digits` set of scikit-learn, vendored in
 * `data/digits/`. Shuffled with `seed` and cut to `samples` (default all). `noise` is ignored.
 *
 * @see https://archive.ics.uci.edu/dataset/80/optical+recognition+of+handwritten+digits
 * @example
 * ```ts
 * const data = digits({ seed: 1 }); // 1797 × 64
 * ```
 */
export function digits(options: DatasetOptions): Dataset {
  const { samples } = checkOptions("digits", options, { samples: SAMPLES, noise: 0, minSamples: 1, maxSamples: SAMPLES });
  const { x, labels } = readDigits(findDigitsFile());
  const featureNames: string[] = [];
  for (let r = 0; r < 8; r++) for (let c = 0; c < 8; c++) featureNames.push(`pixel_${r}_${c}`);
  return shuffledDataset(
    {
      name: "digits",
      description: "handwritten digits, 8×8 images with pixels 0..16 (scikit-learn's load_digits)",
      featureNames,
      imageShape: [8, 8, 1],
      task: "classification",
      classes: Array.from({ length: 10 }, (_, k) => String(k)),
      license: DIGITS_LICENSE,
    },
    x,
    labels,
    options.seed,
    samples,
  );
}
