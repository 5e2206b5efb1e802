import { resolveActivation } from "@backprop/activations";
import { BackpropError, type DType, type Json, type JsonObject, type Param } from "@backprop/linalg";
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
import { migrate } from "./migrations.js";
import { checkJsonValue, parseJson } from "./safe-json.js";
import { checkEnvelope, FORMAT_NAME, FORMAT_VERSION, MAX_WIDTH, validateModelFile, type ModelFileV1 } from "./schema.js";

/** One weight tensor of a model file: a parameter's name, shape, trainable flag and values (row-major). */
export interface WeightEntry {
  readonly name: string;
  readonly shape: readonly [number, number];
  readonly trainable: boolean;
  readonly data: readonly number[];
}

/**
 * A native model file (format version 1): plain JSON, so `JSON.stringify` writes it.
 *
 * ```json
 * { "format": "backprop-model", "formatVersion": 1, "generatedBy": "@backprop/serialize",
 *   "model": { "name", "dtype", "seed", "inputDim", "layers": [{ "className", "config" }] },
 *   "weights": [{ "name": "layers.0.kernel", "shape": [in, out], "trainable": true, "data": [...] }],
 *   "training": { "loss", "optimizer", "metrics", "optimizerState", "state" },
 *   "metadata": { ... } }
 * ```
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
  if (!(model instanceof Sequential) || !model.built) {
    throw new BackpropError("NOT_BUILT", "modelToJSON: the model has no weights yet", {
      hint: "call model.build(inputDim), fit() or predict() before saving",
    });
  }
  const metadata = options.metadata ?? {};
  try {
    checkJsonValue(metadata, { file: "metadata" });
  } catch (error) {
    throw new BackpropError("INVALID_ARGUMENT", `modelToJSON: ${(error as Error).message}`, { cause: error });
  }
  const weights: WeightEntry[] = model.params().map((p: Param) => ({
    name: p.name,
    shape: [p.value.rows, p.value.cols],
    trainable: p.trainable,
    data: Array.from(p.value.data),
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
  if (spec.name === "softmax") return config;
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

/**
 * Checks, before anything is allocated, that the weights listed are the ones the layers will
 * create: a hostile `units: 1e9` must not reach `new Float32Array`.
 */
function checkShapes(file: ModelFileV1, loc: FileLocation): void {
  const byName = new Map<string, number>();
  file.weights.forEach((w, i) => {
    if (byName.has(w.name)) throw invalidFile(loc, `weights[${i}].name`, `duplicate weight "${w.name}"`);
    byName.set(w.name, i);
    const [rows, cols] = w.shape;
    if (w.data.length !== rows * cols) {
      throw invalidFile(loc, `weights[${i}].data`, `has ${w.data.length} numbers (expected ${rows}×${cols} = ${rows * cols})`);
    }
  });
  let width: number | undefined = file.model.inputDim;
  file.model.layers.forEach((layer, i) => {
    if (width === undefined) return;
    if (layer.className === "dense") {
      const units = layer.config["units"];
      if (typeof units !== "number" || !Number.isSafeInteger(units) || units < 1 || units > MAX_WIDTH) {
        throw invalidFile(loc, `model.layers[${i}].config.units`, `must be an integer in [1, ${MAX_WIDTH}] (got ${JSON.stringify(units)})`);
      }
      const k = byName.get(`layers.${i}.kernel`);
      const shape = k === undefined ? undefined : file.weights[k]?.shape;
      if (!shape || shape[0] !== width || shape[1] !== units) {
        throw invalidFile(
          loc,
          `model.layers[${i}].config.units`,
          `layer ${i} is ${width}×${units} but its kernel is ${shape ? `${shape[0]}×${shape[1]}` : "missing"} (weights "layers.${i}.kernel")`,
        );
      }
      width = units;
    } else if (layer.className !== "activation" && layer.className !== "dropout") {
      width = undefined; // a custom layer: its weights are compared after build
    }
  });
}

/** Turns JSON text, UTF-8 bytes or a parsed object into a validated, migrated file. */
export function readModelFile(input: unknown, loc: FileLocation): ModelFileV1 {
  const value: unknown = typeof input === "string" || input instanceof Uint8Array ? parseJson(input, loc) : input;
  if (typeof input !== "string" && !(input instanceof Uint8Array)) checkJsonValue(value, loc);
  const version = checkEnvelope(value, loc);
  const current = at(loc, "formatVersion", () => migrate(value as { readonly [key: string]: Json }, version));
  return validateModelFile(current, loc);
}

/**
 * Rebuilds a model from a native model file (an object, JSON text or UTF-8 bytes): layers, weights
 * bit for bit, and — when the file has them — loss, optimizer with its state, metrics and
 * training progress, so `fit(x, y, { epochs, initialEpoch: model.epoch })` continues exactly.
 *
 * Names resolve through `options.custom`, then the registries; no code is ever read from the file.
 *
 * @throws BackpropError `INVALID_FILE` naming the path inside the file that is wrong,
 *   `UNSUPPORTED_FORMAT_VERSION`, `UNKNOWN_COMPONENT` listing the registered names
 * @example
 * ```ts
 * const model = modelFromJSON(JSON.parse(text));
 * model.predict(x);
 * ```
 */
export function modelFromJSON(file: unknown, options: LoadOptions = {}): Sequential {
  const loc: FileLocation = { file: options.file };
  const custom = options.custom ?? {};
  const data = readModelFile(file, loc);
  checkShapes(data, loc);
  const m = data.model;
  const layers = m.layers.map((spec, i) => makeLayer(spec, custom, loc, i));
  const model = at(loc, "model", () => new Sequential(layers, { dtype: m.dtype as DType, seed: m.seed, name: m.name }));
  at(loc, "model.inputDim", () => model.build(m.inputDim));
  const params = model.params();
  if (params.length !== data.weights.length) {
    throw invalidFile(loc, "weights", `has ${data.weights.length} tensors (the model has ${params.length}: ${params.map((p) => p.name).join(", ")})`);
  }
  params.forEach((p, i) => {
    const w = data.weights[i] as ModelFileV1["weights"][number];
    if (w.name !== p.name || w.shape[0] !== p.value.rows || w.shape[1] !== p.value.cols) {
      throw invalidFile(
        loc,
        `weights[${i}]`,
        `is "${w.name}" ${w.shape[0]}×${w.shape[1]} (expected "${p.name}" ${p.value.rows}×${p.value.cols})`,
      );
    }
    p.value.data.set(w.data);
    p.trainable = w.trainable;
  });
  const t = data.training;
  if (t) {
    const loss = at(loc, "training.loss", () => makeLoss(t.loss, custom));
    const optimizer = at(loc, "training.optimizer", () => makeOptimizer(t.optimizer, custom));
    const metrics = t.metrics.map((spec, i) => at(loc, `training.metrics[${i}]`, () => makeMetric(spec, custom)));
    at(loc, "training", () => model.compile({ loss, optimizer, metrics }));
    if (t.optimizerState) {
      const state = t.optimizerState;
      at(loc, "training.optimizerState", () => optimizer.loadStateDict(state as Parameters<Optimizer["loadStateDict"]>[0]));
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
