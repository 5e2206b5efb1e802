import type { ActivationFactory } from "@backprop/activations";
import type { Sequential } from "@backprop/layers";
import { modelToJSON, type ModelFile } from "@backprop/serialize";
import { FORMULA_ACTIVATION_NAME, formulaActivation } from "./formula-activation.js";
import { encodeState, type DemoState } from "./state.js";

/**
 * The trained model as a native Backprop JSON model file (`@backprop/serialize`), with the
 * playground link that made it in its metadata.
 *
 * @example
 * ```ts
 * const text = JSON.stringify(modelFile(model, state)); // { "format": "backprop-model", … }
 * ```
 */
export function modelFile(model: Sequential, state: DemoState): ModelFile {
  return modelToJSON(model, { metadata: { producer: "backprop playground", playground: encodeState(state) } });
}

/**
 * Rebuilds the formula activation a model file names (`"demo>formula"` with `{ f, df }`): pass it
 * to `modelFromJSON(file, { custom: { activations: FORMULA_ACTIVATIONS } })`.
 *
 * @example
 * ```ts
 * const model = modelFromJSON(text, { custom: { activations: FORMULA_ACTIVATIONS } });
 * ```
 */
export const FORMULA_ACTIVATIONS: Readonly<Record<string, ActivationFactory>> = {
  [FORMULA_ACTIVATION_NAME]: (config) =>
    formulaActivation({ f: String(config?.["f"] ?? ""), df: String(config?.["df"] ?? "") }).activation,
};
