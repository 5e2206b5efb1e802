import type { Sequential } from "@backprop/layers";
import type { LoadOptions } from "./custom-components.js";
import { invalidFile, type FileLocation } from "./file-error.js";
import { modelFromFile, modelToJSONShared, readModelFile, type ToJSONOptions } from "./model-file.js";
import { parseJson } from "./safe-json.js";
import { encodeSafetensors, readSafetensors, type SafetensorsTensor } from "./safetensors.js";
import { FORMAT_NAME, FORMAT_VERSION, type ModelFileV2 } from "./schema.js";

/** `__metadata__` key holding the model file without its weight values. */
export const SAFETENSORS_MODEL_KEY = "backprop.model";

/** Name of the tensor holding one optimizer slot of one parameter (F64: the optimizer's own precision). */
const slotTensor = (param: string, slot: string) => `optimizer/${param}/${slot}`;

type Slots = Record<string, Record<string, readonly number[]>>;

/**
 * The model as one safetensors file: each weight a tensor named by its parameter
 * (`layers.0.kernel`, F32 or F64 as the model's dtype), each optimizer slot an F64 tensor
 * (`optimizer/layers.0.kernel/m`), and the rest of the native model file — topology, training
 * progress, user metadata — as JSON text in `__metadata__["backprop.model"]`, where the slots are
 * left empty. One self-contained file that any safetensors reader opens; the JSON header stays
 * small however large the model (the format caps it at 100 MB).
 *
 * @example
 * ```ts
 * const bytes = modelToSafetensors(model);
 * ```
 */
export function modelToSafetensors(model: Sequential, options: ToJSONOptions = {}): Uint8Array {
  const file = modelToJSONShared(model, options, "modelToSafetensors");
  const dtype = model.dtype === "float64" ? "F64" : "F32";
  const tensors: (SafetensorsTensor & { readonly name: string })[] = model.params().map((p) => ({ name: p.name, dtype, shape: [...p.value.shape], data: p.value.data }));
  const rest: Record<string, unknown> = { ...file, weights: file.weights.map(({ name, shape, trainable }) => ({ name, shape: [...shape], trainable })) };
  const training = file.training as { optimizerState?: { slots?: Slots } } | undefined;
  const slots = training?.optimizerState?.slots;
  if (training !== undefined && slots !== undefined) {
    const empty: Record<string, Record<string, never[]>> = {};
    for (const [param, byName] of Object.entries(slots)) {
      empty[param] = {};
      for (const [slot, values] of Object.entries(byName)) {
        // NOTE: the writer copies with TypedArray.set, which takes the plain array as it is (no copy here).
        tensors.push({ name: slotTensor(param, slot), dtype: "F64", shape: [values.length], data: values as unknown as Float64Array });
        empty[param][slot] = [];
      }
    }
    rest["training"] = { ...training, optimizerState: { ...training.optimizerState, slots: empty } };
  }
  return encodeSafetensors(tensors, {
    format: FORMAT_NAME,
    formatVersion: String(FORMAT_VERSION),
    [SAFETENSORS_MODEL_KEY]: JSON.stringify(rest),
  });
}

/** The values as a plain array: a sized array filled in a loop, twice as fast as `Array.from` here. */
function plainArray(values: Float32Array | Float64Array): number[] {
  const out = new Array<number>(values.length);
  for (let i = 0; i < values.length; i++) out[i] = values[i] as number;
  return out;
}

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === "object" && x !== null && !Array.isArray(x);

/**
 * The native model file stored in a safetensors file by {@link modelToSafetensors}, validated:
 * weights from their tensors (float arrays, viewed in `bytes` where aligned), optimizer slots from
 * theirs (files from before slots were tensors keep them in the JSON).
 */
export function safetensorsToModelFile(bytes: Uint8Array, loc: FileLocation = {}): ModelFileV2 {
  const { tensors, metadata } = readSafetensors(bytes, loc, true);
  const text = metadata[SAFETENSORS_MODEL_KEY];
  const key = `__metadata__["${SAFETENSORS_MODEL_KEY}"]`;
  if (text === undefined) {
    throw invalidFile(loc, key, "missing: a bare tensor file, not a Backprop model", "read it with decodeSafetensors()");
  }
  const file = parseJson(text, loc, key);
  const weights = isRecord(file) ? file["weights"] : undefined;
  if (!Array.isArray(weights)) throw invalidFile(loc, `${key}.weights`, "must be an array");
  const used = new Set<string>();
  const take = (name: string) => {
    used.add(name);
    return tensors.get(name) as SafetensorsTensor;
  };
  const filled = weights.map((w: unknown, i) => {
    const name = isRecord(w) ? w["name"] : undefined;
    if (typeof name !== "string" || !tensors.has(name) || used.has(name)) {
      throw invalidFile(loc, `${key}.weights[${i}].name`, `no tensor ${JSON.stringify(name)} in the file`);
    }
    const tensor = take(name);
    const shape = (w as { shape?: unknown }).shape;
    if (!Array.isArray(shape) || shape.length !== tensor.shape.length || shape.some((d, k) => d !== tensor.shape[k])) {
      throw invalidFile(loc, `${name}.shape`, `differs from the shape in ${key}.weights[${i}] (got [${tensor.shape.join(", ")}], expected [${Array.isArray(shape) ? shape.join(", ") : String(shape)}])`);
    }
    const model = (file as { model?: { dtype?: unknown } }).model;
    const want = model?.dtype === "float64" ? "F64" : "F32";
    if (tensor.dtype !== want) throw invalidFile(loc, `${name}.dtype`, `is ${tensor.dtype} (the model is ${String(model?.dtype)}, expected ${want})`);
    return { ...(w as object), data: tensor.data };
  });
  const out: Record<string, unknown> = { ...(file as object), weights: filled };
  const training = isRecord(file) ? file["training"] : undefined;
  const state = isRecord(training) ? training["optimizerState"] : undefined;
  const slots = isRecord(state) ? state["slots"] : undefined;
  if (isRecord(training) && isRecord(state) && isRecord(slots)) {
    const full: Record<string, Record<string, unknown>> = {};
    for (const [param, byName] of Object.entries(slots)) {
      if (!isRecord(byName)) throw invalidFile(loc, `${key}.training.optimizerState.slots`, `slots of "${param}" must be an object`);
      full[param] = { ...byName };
      for (const slot of Object.keys(byName)) {
        const name = slotTensor(param, slot);
        const tensor = tensors.get(name);
        if (tensor === undefined) continue;
        if (tensor.dtype !== "F64" || tensor.shape.length !== 1) throw invalidFile(loc, `${name}.dtype`, `an optimizer slot must be a 1-D F64 tensor (got ${tensor.dtype} [${tensor.shape.join(", ")}])`);
        // NOTE: the optimizers' loadStateDict reads plain arrays of numbers.
        full[param][slot] = plainArray(take(name).data);
      }
    }
    out["training"] = { ...training, optimizerState: { ...state, slots: full } };
  }
  if (used.size !== tensors.size) {
    const extra = [...tensors.keys()].find((k) => !used.has(k));
    throw invalidFile(loc, String(extra), "tensor is not a weight of the model nor an optimizer slot");
  }
  return readModelFile(out, loc, true);
}

/**
 * Rebuilds a model from a file written by {@link modelToSafetensors}.
 * @throws BackpropError `INVALID_FILE`, `UNSUPPORTED_FORMAT_VERSION`, `UNKNOWN_COMPONENT`
 * @example
 * ```ts
 * const model = modelFromSafetensors(bytes);
 * ```
 */
export function modelFromSafetensors(bytes: Uint8Array, options: LoadOptions = {}): Sequential {
  return modelFromFile(safetensorsToModelFile(bytes, { file: options.file }), options);
}
