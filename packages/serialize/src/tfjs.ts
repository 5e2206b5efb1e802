import * as v from "valibot";
import { BackpropError, type Json, type JsonObject } from "@backprop/linalg";
import type { ActivationSpec } from "@backprop/activations";
import { ActivationLayer, Dense, Dropout, Sequential, type Layer, type LayerActivation } from "@backprop/layers";
import type { LoadOptions } from "./custom-components.js";
import { at, formatPath, invalidFile, type FileLocation } from "./file-error.js";
import { parseJson } from "./safe-json.js";
import { MAX_TENSOR_ELEMENTS, MAX_WIDTH } from "./schema.js";

/** Options of {@link modelToTfjs}. */
export interface TfjsExportOptions {
  /** Name of the topology file. Default `"model.json"`. */
  readonly jsonFile?: string;
  /** Name of the weights file referenced by the manifest. Default `"model.weights.bin"`. */
  readonly weightsFile?: string;
  /** Stored as `userDefinedMetadata`. */
  readonly metadata?: Readonly<Record<string, Json>>;
}

/** Our activation names and their TensorFlow.js names, where the two functions agree. */
const TO_TFJS: Readonly<Record<string, string>> = {
  identity: "linear", relu: "relu", sigmoid: "sigmoid", tanh: "tanh", softmax: "softmax", selu: "selu",
  softplus: "softplus", softsign: "softsign", relu6: "relu6", silu: "swish", mish: "mish",
};
const FROM_TFJS: Readonly<Record<string, string>> = {
  ...Object.fromEntries(Object.entries(TO_TFJS).map(([ours, theirs]) => [theirs, ours])),
  elu: "elu", swish: "silu", linear: "identity",
};
const encoder = /* @__PURE__ */ new TextEncoder();

function tfjsActivation(act: LayerActivation, layer: string): { name: string; leakyAlpha?: number } {
  if (act.kind === "softmax") return { name: "softmax" };
  const { name, config } = act.activation;
  if (name === "leakyRelu") return { name: "linear", leakyAlpha: typeof config["alpha"] === "number" ? config["alpha"] : 0.01 };
  if (name === "elu" && (config["alpha"] ?? 1) === 1) return { name: "elu" };
  const mapped = TO_TFJS[name];
  if (mapped === undefined) {
    throw new BackpropError(
      "INVALID_ARGUMENT",
      `modelToTfjs: layer "${layer}" uses the activation "${name}", which TensorFlow.js lacks (supported: ${[...Object.keys(TO_TFJS), "leakyRelu", "elu (alpha 1)"].join(", ")})`,
    );
  }
  return { name: mapped };
}

/**
 * The model in the TensorFlow.js layers format: `model.json` (Keras-style topology plus a weights
 * manifest) and one little-endian float32 weights file. The Dense kernel is stored in×out, as
 * tfjs expects; a leakyRelu activation becomes a `LeakyReLU` layer after a linear Dense. float64
 * weights are rounded to float32 (the format holds float32 only).
 *
 * @throws BackpropError `NOT_BUILT`; `INVALID_ARGUMENT` for a layer or activation tfjs lacks
 * @example
 * ```ts
 * const files = modelToTfjs(model); // { "model.json": …, "model.weights.bin": … }
 * ```
 */
export function modelToTfjs(model: Sequential, options: TfjsExportOptions = {}): Record<string, Uint8Array> {
  if (!model.built) throw new BackpropError("NOT_BUILT", "modelToTfjs: the model has no weights yet", { hint: "call model.build(inputDim) first" });
  const jsonFile = options.jsonFile ?? "model.json";
  const weightsFile = options.weightsFile ?? "model.weights.bin";
  const layers: JsonObject[] = [];
  const specs: JsonObject[] = [];
  const chunks: Float32Array[] = [];
  const safe = (name: string, i: number) => (/^[A-Za-z][\w.-]*$/.test(name) ? name : `layer_${i}`);
  model.layers.forEach((layer, i) => {
    const name = safe(layer.name, i);
    const shape: JsonObject = i === 0 ? { batch_input_shape: [null, model.inputDim as number] } : {};
    if (layer instanceof Dense) {
      const act = tfjsActivation(layer.activation, layer.name);
      layers.push({ class_name: "Dense", config: { name, units: layer.units, activation: act.name, use_bias: layer.useBias, trainable: true, dtype: "float32", ...shape } });
      for (const p of layer.params()) {
        const suffix = p === layer.kernel ? "kernel" : "bias";
        specs.push({ name: `${name}/${suffix}`, shape: suffix === "kernel" ? [p.value.rows, p.value.cols] : [p.value.cols], dtype: "float32" });
        chunks.push(Float32Array.from(p.value.data));
      }
      if (act.leakyAlpha !== undefined) layers.push({ class_name: "LeakyReLU", config: { name: `${name}_leaky`, alpha: act.leakyAlpha, trainable: true, dtype: "float32" } });
    } else if (layer instanceof ActivationLayer) {
      const act = tfjsActivation(layer.activation, layer.name);
      layers.push(
        act.leakyAlpha !== undefined
          ? { class_name: "LeakyReLU", config: { name, alpha: act.leakyAlpha, trainable: true, dtype: "float32", ...shape } }
          : { class_name: "Activation", config: { name, activation: act.name, trainable: true, dtype: "float32", ...shape } },
      );
    } else if (layer instanceof Dropout) {
      layers.push({ class_name: "Dropout", config: { name, rate: layer.rate, trainable: true, dtype: "float32", ...shape } });
    } else {
      throw new BackpropError("INVALID_ARGUMENT", `modelToTfjs: layer "${layer.name}" of type "${layer.className}" has no TensorFlow.js equivalent (supported: dense, activation, dropout)`);
    }
  });
  const total = chunks.reduce((n, c) => n + c.length, 0);
  const bin = new Uint8Array(total * 4);
  const view = new DataView(bin.buffer);
  let pos = 0;
  for (const c of chunks) for (let i = 0; i < c.length; i++, pos += 4) view.setFloat32(pos, c[i] as number, true);
  const modelJson = {
    format: "layers-model",
    generatedBy: "backprop",
    convertedBy: null,
    modelTopology: {
      class_name: "Sequential",
      config: { name: model.name, layers },
      keras_version: "tfjs-layers 4.22.0",
      backend: "tensor_flow.js",
    },
    weightsManifest: [{ paths: [weightsFile], weights: specs }],
    ...(options.metadata ? { userDefinedMetadata: options.metadata } : {}),
  };
  return { [jsonFile]: encoder.encode(JSON.stringify(modelJson)), [weightsFile]: bin };
}

const shape = v.array(v.pipe(v.number(), v.safeInteger(), v.minValue(0), v.maxValue(MAX_TENSOR_ELEMENTS)));
const manifest = v.array(
  v.object({
    paths: v.array(v.string()),
    weights: v.array(v.object({ name: v.string(), shape, dtype: v.literal("float32"), quantization: v.optional(v.undefined()) })),
  }),
);
const layerSchema = v.object({ class_name: v.string(), config: v.record(v.string(), v.custom<Json>(() => true)) });
const modelJsonSchema = v.object({
  modelTopology: v.object({
    class_name: v.optional(v.string()),
    config: v.optional(v.union([v.array(layerSchema), v.object({ layers: v.array(layerSchema), name: v.optional(v.string()) })])),
    model_config: v.optional(v.custom<Json>(() => true)),
  }),
  weightsManifest: manifest,
  userDefinedMetadata: v.optional(v.record(v.string(), v.custom<Json>(() => true))),
});

function validate<T extends v.GenericSchema>(schema: T, value: unknown, loc: FileLocation, prefix: (string | number)[] = []): v.InferOutput<T> {
  const r = v.safeParse(schema, value);
  if (!r.success) throw invalidFile(loc, formatPath([...prefix, ...(r.issues[0].path ?? []).map((p) => p.key as string | number)]), r.issues[0].message);
  return r.output;
}

function activationFromTfjs(name: unknown, loc: FileLocation, path: string): ActivationSpec {
  const key = typeof name === "string" ? name : "linear";
  const ours = FROM_TFJS[key];
  if (ours === undefined) throw invalidFile(loc, path, `activation ${JSON.stringify(name)} is not supported (supported: ${Object.keys(FROM_TFJS).join(", ")})`);
  return ours;
}

/**
 * Reads a TensorFlow.js layers-format Sequential of `Dense`, `Activation`, `LeakyReLU`, `Dropout`
 * (and `InputLayer`) layers from its `model.json` and weight files (by the manifest's paths).
 *
 * @throws BackpropError `INVALID_FILE` naming the layer or weight that cannot be read
 * @example
 * ```ts
 * const model = modelFromTfjs({ "model.json": json, "group1-shard1of1.bin": bin });
 * ```
 */
export function modelFromTfjs(files: Readonly<Record<string, Uint8Array>>, options: LoadOptions = {}): Sequential {
  const names = Object.keys(files);
  const jsonName = names.find((n) => n.endsWith(".json")) ?? "model.json";
  const loc: FileLocation = { file: options.file ?? jsonName };
  const bytes = files[jsonName];
  if (!(bytes instanceof Uint8Array)) throw invalidFile(loc, "", "no model.json among the files");
  const parsed = validate(modelJsonSchema, parseJson(bytes, loc), loc);
  let topology: unknown = parsed.modelTopology;
  if (parsed.modelTopology.model_config !== undefined) topology = parsed.modelTopology.model_config;
  const top = validate(v.object({ class_name: v.literal("Sequential"), config: modelJsonSchema.entries.modelTopology.entries.config }), topology, loc, ["modelTopology"]);
  const cfg = top.config;
  const layerList = Array.isArray(cfg) ? cfg : (cfg?.layers ?? []);
  // Weights: each group's files concatenated, specs read in order.
  const weights = new Map<string, { shape: number[]; data: Float32Array }>();
  parsed.weightsManifest.forEach((group, g) => {
    const parts = group.paths.map((p, k) => {
      const file = files[p] ?? files[p.split("/").pop() ?? p];
      if (!(file instanceof Uint8Array)) throw invalidFile(loc, `weightsManifest[${g}].paths[${k}]`, `weights file ${JSON.stringify(p)} is missing`);
      return file;
    });
    const size = parts.reduce((n, p) => n + p.length, 0);
    const need = group.weights.reduce((n, w) => n + w.shape.reduce((a, b) => a * b, 1) * 4, 0);
    if (need !== size) throw invalidFile(loc, `weightsManifest[${g}]`, `describes ${need} bytes but its files hold ${size}`);
    const all = new Uint8Array(size);
    let o = 0;
    for (const p of parts) {
      all.set(p, o);
      o += p.length;
    }
    const view = new DataView(all.buffer);
    let pos = 0;
    group.weights.forEach((w, k) => {
      const n = w.shape.reduce((a, b) => a * b, 1);
      const data = new Float32Array(n);
      for (let i = 0; i < n; i++, pos += 4) data[i] = view.getFloat32(pos, true);
      if (weights.has(w.name)) throw invalidFile(loc, `weightsManifest[${g}].weights[${k}].name`, `repeated weight "${w.name}"`);
      weights.set(w.name, { shape: w.shape, data });
    });
  });
  let inputDim: number | undefined;
  const layers: Layer[] = [];
  const assign: { layer: number; kernel: Float32Array; bias: Float32Array | undefined }[] = [];
  let width: number | undefined;
  layerList.forEach((l, i) => {
    const path = `modelTopology.config.layers[${i}]`;
    const c = l.config;
    const input = c["batch_input_shape"] ?? c["batchInputShape"];
    if (Array.isArray(input) && inputDim === undefined) {
      const d = input[input.length - 1];
      if (input.length !== 2 || typeof d !== "number" || !Number.isSafeInteger(d) || d < 1 || d > MAX_WIDTH) {
        throw invalidFile(loc, `${path}.config.batch_input_shape`, "expected [null, features]");
      }
      inputDim = d;
      width = d;
    }
    const name = typeof c["name"] === "string" ? c["name"] : `layer_${i}`;
    switch (l.class_name) {
      case "InputLayer":
        return;
      case "Dense": {
        const units = c["units"];
        if (typeof units !== "number" || !Number.isSafeInteger(units) || units < 1 || units > MAX_WIDTH) throw invalidFile(loc, `${path}.config.units`, "must be a positive integer");
        const kernel = weights.get(`${name}/kernel`);
        const useBias = c["use_bias"] !== false;
        const bias = useBias ? weights.get(`${name}/bias`) : undefined;
        if (!kernel || kernel.shape.length !== 2 || kernel.shape[1] !== units || (width !== undefined && kernel.shape[0] !== width)) {
          throw invalidFile(loc, `${path}`, `weight "${name}/kernel" is missing or not ${width ?? "?"}×${units}`);
        }
        if (useBias && (!bias || bias.data.length !== units)) throw invalidFile(loc, path, `weight "${name}/bias" is missing or not ${units} long`);
        if (width === undefined) inputDim = width = kernel.shape[0];
        const activation = activationFromTfjs(c["activation"], loc, `${path}.config.activation`);
        assign.push({ layer: layers.length, kernel: kernel.data, bias: bias?.data });
        layers.push(at(loc, path, () => new Dense({ units, useBias, activation, ...(layers.length === 0 ? { inputDim: width } : {}) })));
        width = units;
        return;
      }
      case "Activation":
        layers.push(new ActivationLayer({ activation: activationFromTfjs(c["activation"], loc, `${path}.config.activation`) }));
        return;
      case "LeakyReLU": {
        const alpha = c["alpha"] ?? 0.3;
        layers.push(at(loc, `${path}.config.alpha`, () => new ActivationLayer({ activation: { name: "leakyRelu", config: { alpha } } })));
        return;
      }
      case "Dropout":
        layers.push(at(loc, `${path}.config.rate`, () => new Dropout({ rate: c["rate"] as number })));
        return;
      default:
        throw invalidFile(loc, `${path}.class_name`, `layer ${JSON.stringify(l.class_name)} is not supported (supported: Dense, Activation, LeakyReLU, Dropout, InputLayer)`);
    }
  });
  if (inputDim === undefined || layers.length === 0) throw invalidFile(loc, "modelTopology.config.layers", "no Dense layer with a known input width");
  const dim = inputDim;
  const modelName = !Array.isArray(cfg) && typeof cfg?.name === "string" ? cfg.name : "tfjs";
  const model = at(loc, "modelTopology", () => new Sequential(layers, { name: modelName }).build(dim));
  for (const a of assign) {
    const params = (model.layers[a.layer] as Layer).params();
    params[0]?.value.data.set(a.kernel);
    if (a.bias) params[1]?.value.data.set(a.bias);
  }
  return model;
}

/**
 * The `userDefinedMetadata` of a TensorFlow.js `model.json` (`{}` when none).
 * @example
 * ```ts
 * readTfjsMetadata(files["model.json"]);
 * ```
 */
export function readTfjsMetadata(json: Uint8Array, options: LoadOptions = {}): Record<string, Json> {
  const loc: FileLocation = { file: options.file };
  const value = parseJson(json, loc);
  const meta = typeof value === "object" && value !== null && !Array.isArray(value) ? (value as { userDefinedMetadata?: unknown }).userDefinedMetadata : undefined;
  if (meta === undefined) return {};
  if (typeof meta !== "object" || meta === null || Array.isArray(meta)) throw invalidFile(loc, "userDefinedMetadata", "must be an object");
  return meta as Record<string, Json>;
}
