import type { JsonObject, Tensor, Rng } from "@backprop/linalg";

/**
 * Fills a weight tensor (of any shape) with its initial values.
 *
 * `fanIn`/`fanOut` follow Keras: for a Dense kernel of shape in×out, fanIn = in and fanOut = out;
 * for a bias both are the number of units. Randomness comes only from the `rng`
 * passed in, so the same seed gives the same weights.
 */
export interface Initializer {
  /** Registry key, e.g. `"glorotUniform"`. */
  readonly name: string;
  /** Hyperparameters, e.g. `{ value: 0.1 }` for `constant`. */
  readonly config: Readonly<JsonObject>;
  /** Fills `target` in place (row-major order of draws) and returns it. */
  init<T extends Tensor>(target: T, rng: Rng, fan: { readonly fanIn: number; readonly fanOut: number }): T;
}

/** The `{ name, config }` a layer's `getConfig` stores for one of its initializers. */
export function initializerConfig(init: Initializer): JsonObject {
  return { name: init.name, config: init.config };
}
