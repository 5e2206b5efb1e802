import type { Json } from "@backprop/linalg";
import type { Sequential } from "@backprop/layers";
import type { LoadOptions } from "./custom-components.js";
import { invalidFile, type FileLocation } from "./file-error.js";
import { modelFromJSON, modelToJSON, type ToJSONOptions } from "./model-file.js";
import { parseJson } from "./safe-json.js";
import { decodeSafetensors, encodeSafetensors } from "./safetensors.js";
import { FORMAT_NAME, FORMAT_VERSION } from "./schema.js";

/** `__metadata__` key holding the model file without its weight values. */
export const SAFETENSORS_MODEL_KEY = "backprop.model";

/**
 * The model as one safetensors file: each weight a tensor named by its parameter
 * (`layers.0.kernel`, F32 or F64 as the model's dtype), and the rest of the native model file —
 * topology, optimizer state, training progress, user metadata — as JSON text in
 * `__metadata__["backprop.model"]`. One self-contained file that any safetensors reader opens.
 *
 * @example
 * ```ts
 * const bytes = modelToSafetensors(model);
 * ```
 */
export function modelToSafetensors(model: Sequential, options: ToJSONOptions = {}): Uint8Array {
  const file = modelToJSON(model, options);
  const dtype = model.dtype === "float64" ? "F64" : "F32";
  const tensors = model.params().map((p) => ({ name: p.name, dtype, shape: [...p.value.shape], data: p.value.data }) as const);
  const rest = { ...file, weights: file.weights.map(({ name, shape, trainable }) => ({ name, shape: [...shape], trainable })) };
  return encodeSafetensors(tensors, {
    format: FORMAT_NAME,
    formatVersion: String(FORMAT_VERSION),
    [SAFETENSORS_MODEL_KEY]: JSON.stringify(rest),
  });
}

/** The native model file (with weights) stored in a safetensors file by {@link modelToSafetensors}. */
export function safetensorsToModelFile(bytes: Uint8Array, loc: FileLocation = {}): Json {
  const { tensors, metadata } = decodeSafetensors(bytes, loc);
  const text = metadata[SAFETENSORS_MODEL_KEY];
  if (text === undefined) {
    throw invalidFile(loc, `__metadata__["${SAFETENSORS_MODEL_KEY}"]`, "missing: a bare tensor file, not a Backprop model", "read it with decodeSafetensors()");
  }
  const file = parseJson(text, loc, `__metadata__["${SAFETENSORS_MODEL_KEY}"]`);
  const weights = typeof file === "object" && file !== null && !Array.isArray(file) ? (file as { weights?: unknown }).weights : undefined;
  if (!Array.isArray(weights)) throw invalidFile(loc, `__metadata__["${SAFETENSORS_MODEL_KEY}"].weights`, "must be an array");
  const used = new Set<string>();
  const filled = weights.map((w: unknown, i) => {
    const name = typeof w === "object" && w !== null ? (w as { name?: unknown }).name : undefined;
    const tensor = typeof name === "string" ? tensors.get(name) : undefined;
    if (typeof name !== "string" || tensor === undefined || used.has(name)) {
      throw invalidFile(loc, `__metadata__["${SAFETENSORS_MODEL_KEY}"].weights[${i}].name`, `no tensor ${JSON.stringify(name)} in the file`);
    }
    used.add(name);
    const shape = (w as { shape?: unknown }).shape;
    if (!Array.isArray(shape) || shape.length !== tensor.shape.length || shape.some((d, k) => d !== tensor.shape[k])) {
      throw invalidFile(loc, `${name}.shape`, `differs from the shape in __metadata__["${SAFETENSORS_MODEL_KEY}"].weights[${i}] (got [${tensor.shape.join(", ")}], expected [${Array.isArray(shape) ? shape.join(", ") : String(shape)}])`);
    }
    return { ...(w as object), data: Array.from(tensor.data) };
  });
  if (used.size !== tensors.size) {
    const extra = [...tensors.keys()].find((k) => !used.has(k));
    throw invalidFile(loc, String(extra), "tensor is not a weight of the model");
  }
  const model = (file as { model?: { dtype?: unknown } }).model;
  const want = model?.dtype === "float64" ? "F64" : "F32";
  for (const [name, t] of tensors) if (t.dtype !== want) throw invalidFile(loc, `${name}.dtype`, `is ${t.dtype} (the model is ${String(model?.dtype)}, expected ${want})`);
  return { ...(file as object), weights: filled } as Json;
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
  return modelFromJSON(safetensorsToModelFile(bytes, { file: options.file }), options);
}
