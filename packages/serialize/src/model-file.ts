import { resolveActivation } from "@backprop/activations";
import { BackpropError, formatShape, sameShape, type DType, type Json, type JsonObject, type Param } from "@backprop/linalg";
import {
  getLoss,
  getMetric,
  layerFromConfig,
  listLayers,
  Sequential,
  type Layer,
  type Loss,
  type Metric,
} from "@backprop/layers";
import { getOptimizer, type Optimizer } from "@backprop/optimizers";
import type { CustomComponents, LoadOptions } from "./custom-components.js";
import { at, invalidFile, rethrowAt, type FileLocation } from "./file-error.js";
import { migrate, type RawModelFile } from "./migrations.js";
import { checkJsonValue, parseJson } from "./safe-json.js";
import { checkEnvelope, FORMAT_NAME, FORMAT_VERSION, validateModelFile, type ModelFileV2 } from "./schema.js";
import { checkSampleSizes, expectedParams, type ExpectedParam } from "./shape-flow.js";

/**
 * One weight tensor of a model file: a parameter's name, its true shape (a Dense kernel
 * `[in, units]`, its bias `[units]`), trainable flag and values (row-major).
 */
export interface WeightEntry {
  readonly name: string;
  readonly shape: readonly number[];
  readonly trainable: boolean;
  readonly data: readonly number[];
}

/**
 * A native model file (format version 2): plain JSON, so `JSON.stringify` writes it.
 *
 * ```json
 * { "format": "backprop-model", "formatVersion": 2, "generatedBy": "@backprop/serialize",
 *   "model": { "name", "dtype", "seed", "inputShape": [4], "inputDim": 4, "layers": [{ "className", "config" }] },
 *   "weights": [{ "name": "layers.0.kernel", "shape": [4, 8], "trainable": true, "data": [...] },
 *               { "name": "layers.0.bias", "shape": [8], "trainable": true, "data": [...] }],
 *   "training": { "loss", "optimizer", "metrics", "optimizerState", "state" },
 *   "metadata": { ... } }
 * ```
 *
 * `inputShape` is one sample's shape (no batch axis); `inputDim` is its product, kept for readers
 * of version 1. Version 1 files (2-D weights only, a bias stored `[1, units]`, `inputDim` only)
 * are migrated on load.
 */
export interface ModelFile {
  readonly format: typeof FORMAT_NAME;
  readonly formatVersion: number;
  readonly generatedBy?: string;
  readonly model: JsonObject;
  readonly weights: readonly WeightEntry[];
  readonly training?: JsonObject;
  readonly metadata: JsonObject;
  readonly [key: string]: Json | readonly WeightEntry[] | undefined;
}

/** Options of {@link modelToJSON}. */
export interface ToJSONOptions {
  /** Store the optimizer's state (moments, step counts) so training resumes exactly. Default true. */
  readonly includeOptimizer?: boolean;
  /** Store epoch, step and generator states so `fit` resumes exactly. Default true. */
  readonly includeTrainingState?: boolean;
  /** Anything the caller wants kept with the model (normalisation, column names). Plain JSON. */
  readonly metadata?: Readonly<Record<string, Json>>;
}

/** Name written in `generatedBy`. */
export const GENERATED_BY = "@backprop/serialize";

function component(c: { readonly name: string; readonly config: Readonly<JsonObject> }): JsonObject {
  return { name: c.name, config: c.config };
}

/**
 * The model as a native model file: topology as `{ className, config }`, every weight, and (when
 * compiled) the loss, optimizer, metrics, optimizer state and training progress.
 *
 * @throws BackpropError `NOT_BUILT` before the model has weights; `INVALID_ARGUMENT` for metadata
 *   that is not plain finite JSON
 * @example
 * ```ts
 * const file = modelToJSON(model, { metadata: { columns: ["x", "y"] } });
 * const text = JSON.stringify(file);
 * ```
 */
export function modelToJSON(model: Sequential, options: ToJSONOptions = {}): ModelFile {
  return modelFileOf(model, options, "modelToJSON", (data) => Array.from(data));
}

/**
 * {@link modelToJSON}, with each weight's `data` the model's own float array rather than a copy
 * as numbers: what the writers use (`writeJsonChunks` writes a float array as a JSON array).
 * Written out before the model trains on, since the arrays are the model's.
 */
export function modelToJSONShared(model: Sequential, options: ToJSONOptions = {}, caller = "modelToJSON"): ModelFile {
  return modelFileOf(model, options, caller, (data) => data as unknown as number[]);
}

function modelFileOf(model: Sequential, options: ToJSONOptions, caller: string, values: (data: Float32Array | Float64Array) => readonly number[]): ModelFile {
  if (!(model instanceof Sequential) || !model.built) {
    throw new BackpropError("NOT_BUILT", `${caller}: the model has no weights yet`, {
      hint: "call model.build(inputShape), fit() or predict() before saving",
    });
  }
  const metadata = options.metadata ?? {};
  try {
    checkJsonValue(metadata, { file: "metadata" });
  } catch (error) {
    throw new BackpropError("INVALID_ARGUMENT", `${caller}: ${(error as Error).message}`, { cause: error });
  }
  const weights: WeightEntry[] = model.params().map((p: Param) => ({
    name: p.name,
    shape: [...p.value.shape],
    trainable: p.trainable,
    data: values(p.value.data),
  }));
  const file: Record<string, Json | readonly WeightEntry[]> = {
    format: FORMAT_NAME,
    formatVersion: FORMAT_VERSION,
    generatedBy: GENERATED_BY,
    model: model.getConfig(),
    weights,
  };
  const { loss, optimizer } = model;
  if (loss && optimizer) {
    const training: Record<string, Json> = {
      loss: component(loss),
      optimizer: component(optimizer),
      metrics: model.metrics.map(component),
    };
    if (options.includeOptimizer ?? true) training["optimizerState"] = optimizer.stateDict() as unknown as JsonObject;
    if (options.includeTrainingState ?? true) training["state"] = model.getTrainingState() as unknown as JsonObject;
    file["training"] = training;
  }
  file["metadata"] = metadata as JsonObject;
  return file as unknown as ModelFile;
}

/**
 * The user metadata stored in a model file (`{}` when none).
 * @example
 * ```ts
 * const { columns } = readModelMetadata(file);
 * ```
 */
export function readModelMetadata(file: ModelFile | unknown): Record<string, Json> {
  const value: unknown = typeof file === "object" && file !== null ? (file as { metadata?: unknown }).metadata : undefined;
  if (value === undefined) return {};
  checkJsonValue(value, {});
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw invalidFile({}, "metadata", "must be an object");
  }
  return value as Record<string, Json>;
}

function customFor<T>(table: Readonly<Record<string, T>> | undefined, name: string): T | undefined {
  return table !== undefined && Object.hasOwn(table, name) ? table[name] : undefined;
}

function makeLoss(spec: { name: string; config?: JsonObject | undefined }, custom: CustomComponents): Loss {
  const factory = customFor(custom.losses, spec.name);
  return factory ? factory(spec.config) : getLoss(spec.name, spec.config);
}

function makeMetric(spec: { name: string; config?: JsonObject | undefined }, custom: CustomComponents): Metric {
  const factory = customFor(custom.metrics, spec.name);
  return factory ? factory(spec.config) : getMetric(spec.name, spec.config);
}

function makeOptimizer(spec: { name: string; config?: JsonObject | undefined }, custom: CustomComponents): Optimizer {
  const factory = customFor(custom.optimizers, spec.name);
  if (factory === undefined) return getOptimizer(spec.name, spec.config);
  return "fromConfig" in factory && typeof factory.fromConfig === "function"
    ? factory.fromConfig(spec.config as never)
    : (factory as (config?: JsonObject) => Optimizer)(spec.config);
}

/** Resolves a stored `{ name, config }` activation through the custom map, so custom ones load. */
function layerConfig(config: JsonObject, custom: CustomComponents, loc: FileLocation, path: string): JsonObject {
  const act = config["activation"];
  if (typeof act !== "object" || act === null || Array.isArray(act)) return config;
  const spec = act as { name?: unknown; config?: unknown };
  if (typeof spec.name !== "string") throw invalidFile(loc, `${path}.activation.name`, "must be a string");
  const activation = at(loc, `${path}.activation.name`, () =>
    resolveActivation(spec as { name: string; config?: JsonObject }, custom.activations ? { custom: custom.activations } : {}),
  );
  return { ...config, activation: activation as unknown as Json };
}

function makeLayer(spec: { className: string; config: JsonObject }, custom: CustomComponents, loc: FileLocation, i: number): Layer {
  const path = `model.layers[${i}]`;
  const factory = customFor(custom.layers, spec.className);
  if (factory === undefined && !listLayers().includes(spec.className)) {
    return rethrowAt(loc, `${path}.className`, new BackpropError(
      "UNKNOWN_COMPONENT",
      `unknown layer type ${JSON.stringify(spec.className)} (registered: ${listLayers().join(", ")})`,
      { hint: 'register it first: registerLayer("myproject>myLayer", (config) => new MyLayer(config))' },
    ));
  }
  const config = layerConfig(spec.config, custom, loc, `${path}.config`);
  return at(loc, `${path}.config`, () =>
    factory ? factory(config) : layerFromConfig({ className: spec.className, config }),
  );
}

/** Duplicate names and data lengths: what a weight list must satisfy whatever the layers are. */
function checkWeightList(file: ModelFileV2, loc: FileLocation): void {
  const seen = new Set<string>();
  file.weights.forEach((w, i) => {
    if (seen.has(w.name)) throw invalidFile(loc, `weights[${i}].name`, `duplicate weight "${w.name}"`);
    seen.add(w.name);
    const size = w.shape.reduce((n, d) => n * d, 1);
    if (w.data.length !== size) {
      throw invalidFile(loc, `weights[${i}].data`, `has the wrong length for the shape ${formatShape(w.shape)} (got ${w.data.length} numbers, expected ${size})`);
    }
  });
}

/**
 * The config entry that made a layer expect `expected` instead of the file's `got`, when one
 * explains it alone: every disagreeing axis has the value of that one number in the layer's stored
 * config (`units: 1e9`), and none has a size of the layer's input (which would mean the width came
 * from the layer before, or the weight itself is wrong).
 */
function suspectConfigKey(config: JsonObject, input: readonly number[], expected: readonly number[], got: readonly number[]): string | undefined {
  if (expected.length !== got.length) return undefined;
  const wrong = expected.filter((d, k) => d !== got[k]);
  if (wrong.some((d) => input.includes(d))) return undefined;
  const keys = Object.keys(config).filter((key) => typeof config[key] === "number" && wrong.every((d) => d === config[key]));
  return keys.length === 1 ? keys[0] : undefined;
}

/**
 * Checks, before anything is allocated, that the weights listed are exactly the ones the layers
 * will create: same names, same order, same shapes, as each layer's `paramShapes` reports them for
 * the shapes flowing from `model.inputShape`. A hostile `units: 1e9` must not reach
 * `new Float32Array`, and a layer type added later is checked by its own `paramShapes`.
 */
function checkShapes(file: ModelFileV2, layers: readonly Layer[], loc: FileLocation): readonly ExpectedParam[] {
  checkWeightList(file, loc);
  const layerPath = (i: number) => `model.layers[${i}]`;
  const describe = (e: ExpectedParam) => `layer ${e.layer} ("${(layers[e.layer] as Layer).name}", ${(layers[e.layer] as Layer).className})`;
  let k = 0;
  const compare = (own: readonly ExpectedParam[], input: readonly number[]) => {
    for (const e of own) {
      const w = file.weights[k];
      if (w === undefined) {
        throw invalidFile(loc, "weights", `${describe(e)} needs "${e.name}" ${formatShape(e.shape)}, which the file lacks (got ${file.weights.length} weights, expected at least ${k + 1})`);
      }
      if (w.name !== e.name) {
        throw invalidFile(loc, `weights[${k}].name`, `is not the next weight of the model (got "${w.name}", expected "${e.name}" of ${describe(e)})`);
      }
      if (!sameShape(w.shape, e.shape)) {
        const key = suspectConfigKey(file.model.layers[e.layer]?.config ?? {}, input, e.shape, w.shape);
        throw invalidFile(
          loc,
          key === undefined ? `weights[${k}].shape` : `model.layers[${e.layer}].config.${key}`,
          `weights[${k}] "${e.name}" has the wrong shape for ${describe(e)} on inputs ${formatShape(input)} (got ${formatShape(w.shape)}, expected ${formatShape(e.shape)})`,
        );
      }
      k++;
    }
  };
  const flow = expectedParams(layers, file.model.inputShape, loc, layerPath, compare);
  const { params } = flow;
  if (file.weights.length > params.length) {
    const extra = file.weights[params.length] as ModelFileV2["weights"][number];
    throw invalidFile(loc, `weights[${params.length}].name`, `"${extra.name}" is not a weight of the model (got ${file.weights.length} weights, expected ${params.length}: ${params.map((p) => p.name).join(", ") || "none"})`);
  }
  checkSampleSizes(flow, loc, layerPath);
  return params;
}

/**
 * Turns JSON text, UTF-8 bytes or a parsed object into a validated, migrated file. `checked`: the
 * object came from `parseJson` (or is built from parts that did), so it is plain finite JSON
 * already and is not walked a second time.
 */
export function readModelFile(input: unknown, loc: FileLocation, checked = false): ModelFileV2 {
  let value = input;
  if (typeof input === "string" || input instanceof Uint8Array) value = parseJson(input, loc);
  else if (!checked) checkJsonValue(input, loc);
  const version = checkEnvelope(value, loc);
  const current = at(loc, "formatVersion", () => migrate(value as RawModelFile, version));
  return validateModelFile(current, loc);
}

/**
 * Rebuilds a model from a native model file (an object, JSON text or UTF-8 bytes): layers, weights
 * bit for bit, and — when the file has them — loss, optimizer with its state, metrics and
 * training progress, so `fit(x, y, { epochs, initialEpoch: model.epoch })` continues exactly.
 * Older format versions are migrated first (version 1: 2-D weights, `inputDim`).
 *
 * With `{ compile: false }` the stored loss, optimizer and metrics are not resolved, so a model
 * loaded only to predict needs none of them registered; the training progress (epoch, generator
 * states) is still restored.
 *
 * Names resolve through `options.custom`, then the registries; no code is ever read from the file.
 *
 * @throws BackpropError `INVALID_FILE` naming the path inside the file that is wrong,
 *   `UNSUPPORTED_FORMAT_VERSION`, `UNKNOWN_COMPONENT` listing the registered names
 * @example
 * ```ts
 * const model = modelFromJSON(JSON.parse(text));
 * model.predict(x);
 * const inference = modelFromJSON(text, { compile: false }); // no optimizer or loss needed
 * ```
 */
export function modelFromJSON(file: unknown, options: LoadOptions = {}): Sequential {
  return modelFromFile(readModelFile(file, { file: options.file }), options);
}

/** The model of a validated file (see {@link modelFromJSON}). */
export function modelFromFile(data: ModelFileV2, options: LoadOptions = {}): Sequential {
  const loc: FileLocation = { file: options.file };
  const custom = options.custom ?? {};
  const m = data.model;
  const layers = m.layers.map((spec, i) => makeLayer(spec, custom, loc, i));
  const expected = checkShapes(data, layers, loc);
  const model = at(loc, "model", () => new Sequential(layers, { dtype: m.dtype as DType, seed: m.seed, name: m.name }));
  at(loc, "model.inputShape", () => model.build(m.inputShape));
  const params = model.params();
  // NOTE: checkShapes compared the file with what the layers promised; this compares it with what
  // they built, so a layer whose params() disagrees with its paramShapes() is caught too.
  if (params.length !== expected.length) {
    throw invalidFile(loc, "weights", `the built model has other weights than its layers announced (got ${params.map((p) => p.name).join(", ")}, expected ${expected.map((p) => p.name).join(", ")})`);
  }
  params.forEach((p: Param, i) => {
    const w = data.weights[i] as ModelFileV2["weights"][number];
    if (w.name !== p.name || !sameShape(w.shape, p.value.shape)) {
      throw invalidFile(
        loc,
        `weights[${i}]`,
        `does not match the built model (got "${w.name}" ${formatShape(w.shape)}, expected "${p.name}" ${formatShape(p.value.shape)})`,
      );
    }
    p.value.data.set(w.data);
    p.trainable = w.trainable;
  });
  const t = data.training;
  if (t) {
    if (options.compile ?? true) {
      const loss = at(loc, "training.loss", () => makeLoss(t.loss, custom));
      const optimizer = at(loc, "training.optimizer", () => makeOptimizer(t.optimizer, custom));
      const metrics = t.metrics.map((spec, i) => at(loc, `training.metrics[${i}]`, () => makeMetric(spec, custom)));
      at(loc, "training", () => model.compile({ loss, optimizer, metrics }));
      if (t.optimizerState) {
        const state = t.optimizerState;
        at(loc, "training.optimizerState", () => optimizer.loadStateDict(state as Parameters<Optimizer["loadStateDict"]>[0]));
      }
    }
    if (t.state) {
      const state = t.state;
      at(loc, "training.state", () =>
        model.setTrainingState(state as unknown as Parameters<Sequential["setTrainingState"]>[0]),
      );
    }
  }
  return model;
}
