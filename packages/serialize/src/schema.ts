import * as v from "valibot";
import { BackpropError, type Json } from "@backprop/linalg";
import { formatPath, invalidFile, type FileLocation } from "./file-error.js";

/** The value of `format` in every native model file. */
export const FORMAT_NAME = "backprop-model";
/**
 * The format version this package writes. Older versions are migrated on load (see
 * `migrations.ts`); newer ones refused. Version 2 stores each weight with its true shape (a Dense
 * bias is `[units]`) and the model's per-sample `inputShape`; version 1 had 2-D weights only
 * (a bias was `[1, units]`) and `inputDim`.
 */
export const FORMAT_VERSION = 2;
/** Largest tensor a loader accepts, in elements (2^28: 1 GiB of float32). */
export const MAX_TENSOR_ELEMENTS = 2 ** 28;
/** Widest layer a loader accepts. */
export const MAX_WIDTH = 2 ** 24;
/** Most axes a stored weight or a per-sample shape may have. */
export const MAX_RANK = 8;

// NOTE: values were already checked to be plain finite JSON (parseJson or checkJsonValue) before validation.
const json = v.custom<Json>(() => true);
const jsonObject = v.record(v.string(), json);
const count = v.pipe(v.number(), v.safeInteger(), v.minValue(0));
const width = v.pipe(v.number(), v.safeInteger(), v.minValue(1), v.maxValue(MAX_WIDTH));
const component = v.object({ name: v.pipe(v.string(), v.minLength(1)), config: v.optional(jsonObject) });
const uint32 = v.pipe(v.number(), v.safeInteger(), v.minValue(0), v.maxValue(0xffffffff));

/** Where `list` holds something other than a finite number, or -1. */
function firstNonNumber(list: ArrayLike<unknown>): number {
  for (let i = 0; i < list.length; i++) {
    const x = list[i];
    if (typeof x !== "number" || !Number.isFinite(x)) return i;
  }
  return -1;
}

const describe = (x: unknown): string => (typeof x === "string" ? JSON.stringify(x.slice(0, 40)) : x === null ? "null" : Array.isArray(x) ? "an array" : typeof x === "number" ? String(x) : typeof x);

function numbersProblem(input: unknown): string {
  if (!Array.isArray(input) && !(input instanceof Float32Array) && !(input instanceof Float64Array)) return `expected an array of numbers (got ${describe(input)})`;
  const i = firstNonNumber(input as ArrayLike<unknown>);
  return `expected an array of finite numbers (got ${describe((input as ArrayLike<unknown>)[i])} at [${i}])`;
}

// NOTE: v.array(v.number()) would allocate a result per element and copy the array: millions of
// numbers each load. These check the numbers in place and pass the array through.
/** An array of finite numbers. */
const numberArray = v.custom<readonly number[]>((x) => Array.isArray(x) && firstNonNumber(x) === -1, (issue) => numbersProblem(issue.input));
/** A weight's values: an array of finite numbers, or (from a binary file) a float array. */
const weightData = v.custom<readonly number[] | Float32Array | Float64Array>(
  (x) => (Array.isArray(x) || x instanceof Float32Array || x instanceof Float64Array) && firstNonNumber(x) === -1,
  (issue) => numbersProblem(issue.input),
);

const envelope = v.object({
  format: v.literal(FORMAT_NAME),
  formatVersion: v.pipe(v.number(), v.safeInteger(), v.minValue(1)),
});

const elements = (shape: readonly number[]): number => shape.reduce((n, d) => n * d, 1);

const weight = v.object({
  name: v.pipe(v.string(), v.minLength(1)),
  shape: v.pipe(
    v.array(count),
    v.maxLength(MAX_RANK),
    v.check((shape) => elements(shape) <= MAX_TENSOR_ELEMENTS, `more than ${MAX_TENSOR_ELEMENTS} elements`),
  ),
  trainable: v.optional(v.boolean(), true),
  data: weightData,
});

const sampleShape = v.pipe(
  v.array(width),
  v.minLength(1),
  v.maxLength(MAX_RANK),
  v.check((shape) => elements(shape) <= MAX_TENSOR_ELEMENTS, `more than ${MAX_TENSOR_ELEMENTS} numbers per sample`),
);

const slots = v.record(v.string(), v.record(v.string(), numberArray));

/**
 * Schema of format version 2 (valibot), what every file is checked against after migration.
 * `inputDim` (the product of `inputShape`, as `Sequential.getConfig()` writes it) is optional.
 */
export const modelFileV2 = v.object({
  format: v.literal(FORMAT_NAME),
  formatVersion: v.literal(2),
  generatedBy: v.optional(v.string()),
  model: v.object({
    name: v.string(),
    dtype: v.picklist(["float32", "float64"]),
    seed: v.pipe(v.number(), v.safeInteger()),
    inputShape: sampleShape,
    inputDim: v.optional(v.nullable(v.pipe(count, v.minValue(1)))),
    layers: v.pipe(
      v.array(v.object({ className: v.pipe(v.string(), v.minLength(1)), config: jsonObject })),
      v.minLength(1),
    ),
  }),
  weights: v.array(weight),
  training: v.optional(
    v.object({
      loss: component,
      optimizer: component,
      metrics: v.optional(v.array(component), []),
      optimizerState: v.optional(
        v.object({
          name: v.string(),
          config: jsonObject,
          step: count,
          slots,
          extra: v.optional(jsonObject),
        }),
      ),
      state: v.optional(
        v.object({
          epoch: count,
          iterations: count,
          rng: v.tuple([uint32, uint32, uint32, uint32]),
          layers: v.optional(jsonObject, {}),
        }),
      ),
    }),
  ),
  metadata: v.optional(jsonObject, {}),
});

/** A native model file, format version 2, as validated. */
export type ModelFileV2 = v.InferOutput<typeof modelFileV2>;

function fail(loc: FileLocation, issues: readonly v.BaseIssue<unknown>[]): BackpropError {
  const issue = issues[0] as v.BaseIssue<unknown>;
  const keys = (issue.path ?? []).map((item) => item.key as string | number);
  // Deepest nested issue is the most specific one (union/variant wrappers carry sub-issues).
  return invalidFile(loc, formatPath(keys), issue.message);
}

/** Checks the envelope: right format, a version this package can read. */
export function checkEnvelope(value: unknown, loc: FileLocation): number {
  const result = v.safeParse(envelope, value);
  if (!result.success) {
    const keys = (result.issues[0].path ?? []).map((item) => item.key as string | number);
    throw invalidFile(
      loc,
      formatPath(keys),
      `${result.issues[0].message} — not a Backprop model file`,
      `expected { "format": "${FORMAT_NAME}", "formatVersion": ${FORMAT_VERSION}, … }`,
    );
  }
  const version = result.output.formatVersion;
  if (version > FORMAT_VERSION) {
    throw new BackpropError(
      "UNSUPPORTED_FORMAT_VERSION",
      `${loc.file === undefined ? "" : `${loc.file}: `}formatVersion: ${version} is newer than this package reads (got ${version}, expected at most ${FORMAT_VERSION})`,
      { hint: "upgrade @backprop/serialize to load this file" },
    );
  }
  return version;
}

/** Validates a (migrated) file against the current schema. */
export function validateModelFile(value: unknown, loc: FileLocation): ModelFileV2 {
  const result = v.safeParse(modelFileV2, value);
  if (!result.success) throw fail(loc, result.issues);
  const { inputShape, inputDim } = result.output.model;
  if (inputDim !== undefined && inputDim !== null && inputDim !== elements(inputShape)) {
    throw invalidFile(loc, "model.inputDim", `disagrees with model.inputShape [${inputShape.join(", ")}] (got ${inputDim}, expected ${elements(inputShape)})`);
  }
  return result.output;
}
