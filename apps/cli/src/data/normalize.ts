import { Normalization } from "@backprop/layers";
import { BackpropError } from "@backprop/linalg";

/** How inputs are rescaled before they reach the network. */
export type NormalizeMethod = "standard" | "minmax" | "none";

/**
 * A fitted input normaliser: plain JSON, stored in the model file so `predict` applies exactly the
 * scaling the network was trained with.
 *
 * - `standard`: `x' = (x - mean) / std`, with the population standard deviation; a constant column
 *   has `std` 1 (it becomes all zeros rather than NaN).
 * - `minmax`: `x' = (x - min) / (max - min)`, into `[0, 1]` on the fitting data; a constant column
 *   is divided by 1 instead of 0.
 * - `none`: `x' = x`; only the feature count is kept, to check inputs.
 */
export type Normalizer =
  | { readonly method: "standard"; readonly mean: number[]; readonly std: number[] }
  | { readonly method: "minmax"; readonly min: number[]; readonly max: number[] }
  | { readonly method: "none"; readonly features: number };

const METHODS: readonly NormalizeMethod[] = ["standard", "minmax", "none"];

function checkRows(x: readonly (readonly number[])[], expected: number, where: string, reference: string): void {
  x.forEach((row, i) => {
    if (row.length !== expected) {
      throw new BackpropError(
        "INVALID_ARGUMENT",
        `${where}: row ${i} has ${row.length} features (expected ${expected}, as ${reference})`,
      );
    }
  });
}

/**
 * Fits a normaliser on training inputs (fit on the training split only, so validation data stays
 * unseen).
 *
 * @param x - n×d inputs, n ≥ 1
 * @param method - `"standard"` (zero mean, unit variance), `"minmax"` (into [0, 1]) or `"none"`
 * @param where - names the option or data in messages; default `"--normalize"`
 * @throws BackpropError `INVALID_ARGUMENT` for an unknown method, no rows, ragged rows or a
 *   non-finite value
 * @example
 * ```ts
 * const norm = fitNormalizer([[1, 10], [3, 10]], "standard");
 * // { method: "standard", mean: [2, 10], std: [1, 1] }
 * applyNormalizer(norm, [[3, 10]]); // [[1, 0]]
 * ```
 */
export function fitNormalizer(x: readonly (readonly number[])[], method: NormalizeMethod, where = "--normalize"): Normalizer {
  if (!METHODS.includes(method)) {
    throw new BackpropError(
      "INVALID_ARGUMENT",
      `${where}: unknown method "${String(method)}" (expected one of ${METHODS.join(", ")})`,
    );
  }
  const first = x[0];
  if (first === undefined) throw new BackpropError("INVALID_ARGUMENT", `${where}: no training rows to fit the scaling on`);
  const d = first.length;
  checkRows(x, d, where, "row 0");
  for (let i = 0; i < x.length; i++) {
    const row = x[i] as readonly number[];
    for (let j = 0; j < d; j++) {
      if (!Number.isFinite(row[j])) {
        throw new BackpropError("INVALID_ARGUMENT", `${where}: training row ${i}, input ${j} is not a finite number (got ${String(row[j])})`);
      }
    }
  }
  if (method === "none") return { method, features: d };

  if (method === "minmax") {
    const min = [...first];
    const max = [...first];
    for (const row of x) {
      for (let j = 0; j < d; j++) {
        const v = row[j] as number;
        if (v < (min[j] as number)) min[j] = v;
        if (v > (max[j] as number)) max[j] = v;
      }
    }
    return { method, min, max };
  }

  // NOTE: the statistics are the model's Normalization layer's own (two passes, constant columns
  // kept at std 1), so a normaliser and the layer built from it agree exactly: √(std²) is std.
  const stats = new Normalization({ inputDim: d }).adapt(x);
  return { method, mean: stats.mean as number[], std: (stats.variance as number[]).map(Math.sqrt) };
}

function featureCount(norm: Normalizer): number {
  switch (norm.method) {
    case "standard":
      return norm.mean.length;
    case "minmax":
      return norm.min.length;
    case "none":
      return norm.features;
  }
}

function checkInput(norm: Normalizer, x: readonly (readonly number[])[], where: string): number {
  const d = featureCount(norm);
  checkRows(x, d, where, "the model's saved scaling");
  return d;
}

/** Per-column offset and scale so that `x' = (x - offset) / scale` for every method. */
function offsetScale(norm: Normalizer): { offset: readonly number[]; scale: readonly number[] } {
  switch (norm.method) {
    case "standard":
      return { offset: norm.mean, scale: norm.std };
    case "minmax":
      return {
        offset: norm.min,
        scale: norm.min.map((lo, j) => {
          const range = (norm.max[j] as number) - lo;
          return range > 0 ? range : 1;
        }),
      };
    case "none":
      return { offset: new Array<number>(norm.features).fill(0), scale: new Array<number>(norm.features).fill(1) };
  }
}

/**
 * Applies a fitted normaliser to inputs, returning new rows (the input is not modified).
 *
 * @param where - names the data in messages (a file name); default `"the input"`
 * @throws BackpropError `INVALID_ARGUMENT` when a row's feature count differs from the fitted one
 *   (the message names both counts)
 * @example
 * ```ts
 * const norm = fitNormalizer(train, "minmax");
 * const scaled = applyNormalizer(norm, test);
 * ```
 */
export function applyNormalizer(norm: Normalizer, x: readonly (readonly number[])[], where = "the input"): number[][] {
  const d = checkInput(norm, x, where);
  const { offset, scale } = offsetScale(norm);
  return x.map((row) => {
    const out = new Array<number>(d);
    for (let j = 0; j < d; j++) out[j] = ((row[j] as number) - (offset[j] as number)) / (scale[j] as number);
    return out;
  });
}

/**
 * Undoes {@link applyNormalizer}: `x = x' · scale + offset` (for showing inputs in their own units).
 *
 * @throws BackpropError `INVALID_ARGUMENT` when a row's feature count differs from the fitted one
 * @example
 * ```ts
 * invertNormalizer(norm, applyNormalizer(norm, x)); // ≈ x
 * ```
 */
export function invertNormalizer(norm: Normalizer, x: readonly (readonly number[])[], where = "the input"): number[][] {
  const d = checkInput(norm, x, where);
  const { offset, scale } = offsetScale(norm);
  return x.map((row) => {
    const out = new Array<number>(d);
    for (let j = 0; j < d; j++) out[j] = (row[j] as number) * (scale[j] as number) + (offset[j] as number);
    return out;
  });
}

function finiteArray(value: unknown, where: string, key: string): number[] {
  if (!Array.isArray(value) || !value.every((v) => typeof v === "number" && Number.isFinite(v))) {
    throw new BackpropError("INVALID_FILE", `${where}: normalizer.${key} must be an array of finite numbers`);
  }
  return value as number[];
}

/**
 * Checks a normaliser read from a model file and returns it typed.
 *
 * @param where - names the file in messages, e.g. `"model.json"`
 * @throws BackpropError `INVALID_FILE` for an unknown method, missing or non-numeric arrays, arrays
 *   of different lengths, or a non-positive `std`
 * @example
 * ```ts
 * const norm = parseNormalizer(JSON.parse(text).normalizer, "model.json");
 * ```
 */
export function parseNormalizer(value: unknown, where: string): Normalizer {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new BackpropError("INVALID_FILE", `${where}: normalizer must be an object`);
  }
  const v = value as Record<string, unknown>;
  switch (v.method) {
    case "none": {
      if (!Number.isSafeInteger(v.features) || (v.features as number) < 1) {
        throw new BackpropError("INVALID_FILE", `${where}: normalizer.features must be a positive integer (got ${String(v.features)})`);
      }
      return { method: "none", features: v.features as number };
    }
    case "standard": {
      const mean = finiteArray(v.mean, where, "mean");
      const std = finiteArray(v.std, where, "std");
      if (mean.length === 0 || std.length !== mean.length) {
        throw new BackpropError(
          "INVALID_FILE",
          `${where}: normalizer.mean and normalizer.std must have the same non-zero length (got ${mean.length} and ${std.length})`,
        );
      }
      if (std.some((s) => s <= 0)) throw new BackpropError("INVALID_FILE", `${where}: normalizer.std must be positive`);
      return { method: "standard", mean, std };
    }
    case "minmax": {
      const min = finiteArray(v.min, where, "min");
      const max = finiteArray(v.max, where, "max");
      if (min.length === 0 || max.length !== min.length) {
        throw new BackpropError(
          "INVALID_FILE",
          `${where}: normalizer.min and normalizer.max must have the same non-zero length (got ${min.length} and ${max.length})`,
        );
      }
      return { method: "minmax", min, max };
    }
    default:
      throw new BackpropError(
        "INVALID_FILE",
        `${where}: unknown normalizer method ${JSON.stringify(v.method) ?? "undefined"} (expected one of ${METHODS.join(", ")})`,
      );
  }
}

/**
 * The normaliser as the model's first layer, so the model answers raw inputs and every export
 * (ONNX, TF.js) carries the scaling: a {@link Normalization} with `mean` = the offset and
 * `variance` = the scale² (`(x − offset) / √(scale²)` is `(x − offset) / scale` exactly). None for
 * `"none"`.
 */
export function normalizationLayer(norm: Normalizer): Normalization | undefined {
  if (norm.method === "none") return undefined;
  const { offset, scale } = offsetScale(norm);
  return new Normalization({ inputDim: offset.length, mean: [...offset], variance: scale.map((s) => s * s) });
}
