import type { JsonObject } from "@backprop/linalg";
import { initializerConfig, resolveInitializer, type Initializer, type InitializerSpec } from "./initializers/index.js";
import { makeRegularizer, regularizerConfig, type Regularizer, type RegularizerConfig } from "./regularizer.js";

/**
 * The config keys of a layer with an optional per-feature scale γ and shift β after a
 * normalisation (Keras' `center`/`scale` with their initializers and regularizers), as
 * `readConfig` fields: what BatchNormalization and LayerNormalization both accept.
 */
export function scaleShiftFields(where: string) {
  return {
    center: { type: "boolean", default: true },
    scale: { type: "boolean", default: true },
    betaInitializer: { type: "custom", default: "zeros", read: (v: unknown) => resolveInitializer(v as InitializerSpec) },
    gammaInitializer: { type: "custom", default: "ones", read: (v: unknown) => resolveInitializer(v as InitializerSpec) },
    betaRegularizer: { type: "custom", optional: true, nullable: true, read: (v: unknown) => makeRegularizer(`${where}.betaRegularizer`, v as RegularizerConfig) },
    gammaRegularizer: { type: "custom", optional: true, nullable: true, read: (v: unknown) => makeRegularizer(`${where}.gammaRegularizer`, v as RegularizerConfig) },
  } as const;
}

/** The γ/β options a layer resolved from {@link scaleShiftFields}. */
export interface ScaleShiftOptions {
  readonly center: boolean;
  readonly scale: boolean;
  readonly betaInit: Initializer;
  readonly gammaInit: Initializer;
  readonly betaReg: Regularizer | undefined;
  readonly gammaReg: Regularizer | undefined;
}

/** The JSON of those options, for the layer's `getConfig`. */
export function scaleShiftConfig(o: ScaleShiftOptions): JsonObject {
  return {
    center: o.center,
    scale: o.scale,
    betaInitializer: initializerConfig(o.betaInit),
    gammaInitializer: initializerConfig(o.gammaInit),
    betaRegularizer: regularizerConfig(o.betaReg),
    gammaRegularizer: regularizerConfig(o.gammaReg),
  };
}
