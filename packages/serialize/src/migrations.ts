import type { Json } from "@backprop/linalg";
import { FORMAT_VERSION } from "./schema.js";

/** A model file as plain JSON, before validation: any version, possibly malformed. */
export type RawModelFile = { readonly [key: string]: Json };

type JsonRecord = { readonly [key: string]: Json };

const isRecord = (value: Json | undefined): value is JsonRecord =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * Version 1 → 2.
 *
 * - `model.inputShape` = `[model.inputDim]`: version 1 models took vectors only.
 * - A Dense bias stored as the 1×units matrix `[1, units]` becomes `[units]`, its true shape.
 *   Only Dense layers had weights in version 1 (activation and dropout have none), and their
 *   parameters were named `layers.<i>.kernel` / `layers.<i>.bias`; a custom layer's weights keep
 *   their 2-D shape, which is what its `Param`s were in version 1.
 *
 * The values are untouched (row-major `[1, u]` and `[u]` hold the same numbers), and so is the
 * optimizer state, whose slots are flat per parameter. Anything malformed is passed through as it
 * is for the schema to report: a migration never throws.
 */
function v1ToV2(file: RawModelFile): RawModelFile {
  const model = file["model"];
  const weights = file["weights"];
  const denseBiases = new Set<string>();
  let nextModel: Json | undefined = model;
  if (isRecord(model)) {
    const layers = model["layers"];
    if (Array.isArray(layers)) {
      layers.forEach((layer, i) => {
        if (isRecord(layer) && layer["className"] === "dense") denseBiases.add(`layers.${i}.bias`);
      });
    }
    const inputDim = model["inputDim"];
    nextModel = model["inputShape"] === undefined && typeof inputDim === "number" ? { ...model, inputShape: [inputDim] } : model;
  }
  const nextWeights = Array.isArray(weights)
    ? weights.map((w) => {
        if (!isRecord(w) || typeof w["name"] !== "string" || !denseBiases.has(w["name"])) return w;
        const shape = w["shape"];
        return Array.isArray(shape) && shape.length === 2 && shape[0] === 1 ? { ...w, shape: [shape[1] as Json] } : w;
      })
    : weights;
  return {
    ...file,
    formatVersion: 2,
    ...(nextModel === undefined ? {} : { model: nextModel }),
    ...(nextWeights === undefined ? {} : { weights: nextWeights }),
  };
}

/**
 * Upgrades a file of version `n` to version `n + 1`, keyed by `n`. Each step is a pure function of
 * plain JSON; loading runs the chain from the file's version up to {@link FORMAT_VERSION}. A change
 * of layout adds one entry here and a frozen fixture of the old version under `fixtures/`.
 */
export const MIGRATIONS: Readonly<Record<number, (file: RawModelFile) => RawModelFile>> = {
  1: v1ToV2,
};

/**
 * Runs the migrations from `version` to the current one.
 * @throws Error when a step is missing (a bug in this package, not in the file)
 */
export function migrate(file: RawModelFile, version: number): RawModelFile {
  let current = file;
  for (let n = version; n < FORMAT_VERSION; n++) {
    const step = MIGRATIONS[n];
    if (step === undefined) throw new Error(`no migration from format version ${n}`);
    current = step(current);
  }
  return current;
}
