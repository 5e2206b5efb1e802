import type { Sequential } from "@backprop/layers";
import type { Json, JsonObject } from "@backprop/linalg";
import { encodeState, type DemoState } from "./state.js";

/**
 * The trained model as a native Backprop JSON model file: the structure (`model.getConfig()`),
 * every weight by parameter name (row-major nested arrays), and the playground link that made it.
 *
 * @example
 * ```ts
 * const file = modelFile(model, state); // { format: "backprop-model", formatVersion: 1, … }
 * ```
 */
export function modelFile(model: Sequential, state: DemoState): JsonObject {
  // TODO(serialize): switch to @backprop/serialize's writer once it is published in the workspace.
  const weights: Record<string, Json> = {};
  for (const p of model.params()) weights[p.name] = p.value.toArray();
  return {
    format: "backprop-model",
    formatVersion: 1,
    config: model.getConfig(),
    weights,
    metadata: { producer: "backprop demo", playground: encodeState(state), iterations: model.iterations },
  };
}
