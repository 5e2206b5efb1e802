import type { JsonObject } from "@backprop/linalg";

/** A component as model files store it: its registry name and its hyperparameters. */
export interface NamedConfig {
  /** Registry name, e.g. `"glorotUniform"`. */
  readonly name: string;
  /** Hyperparameters; omitted means the defaults. */
  readonly config?: Readonly<JsonObject>;
}
