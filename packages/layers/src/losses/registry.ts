import type { NamedConfig } from "../named-config.js";
import { BackpropError, Registry, type JsonObject, type RegisterOptions } from "@backprop/linalg";
import { binaryCrossentropy, type BinaryCrossentropyOptions } from "./binary-crossentropy.js";
import { categoricalCrossentropy } from "./categorical-crossentropy.js";
import type { CrossentropyOptions } from "./crossentropy-options.js";
import { halfSumSquaredError } from "./half-sum-squared-error.js";
import { huber, type HuberOptions } from "./huber.js";
import type { Loss } from "./loss.js";
import { meanAbsoluteError } from "./mean-absolute-error.js";
import { meanSquaredError } from "./mean-squared-error.js";
import type { EmptyOptions } from "./read-config.js";
import { sparseCategoricalCrossentropy } from "./sparse-categorical-crossentropy.js";

/** Builds a loss from its JSON config (`{}` or omitted for the defaults). */
export type LossFactory = (config?: Readonly<JsonObject>) => Loss;

/** What {@link resolveLoss} accepts: a registered name, a saved `{ name, config }`, or a loss. */
export type LossSpec = string | NamedConfig | Loss;

// Factories take typed options; a JSON config is validated at runtime by each factory.
const noOptions = (f: (o?: EmptyOptions) => Loss): LossFactory => (c) => f(c as EmptyOptions | undefined);
const crossentropy =
  (f: (o?: CrossentropyOptions) => Loss): LossFactory =>
  (c) =>
    f(c as CrossentropyOptions | undefined);

const mse = noOptions(meanSquaredError);
const mae = noOptions(meanAbsoluteError);
const ce = crossentropy(categoricalCrossentropy);
const bce: LossFactory = (c) => binaryCrossentropy(c as BinaryCrossentropyOptions | undefined);

const registry = /* @__PURE__ */ new Registry<LossFactory>(
  "loss",
  {
    meanSquaredError: mse,
    mse,
    halfSumSquaredError: noOptions(halfSumSquaredError),
    meanAbsoluteError: mae,
    mae,
    huber: (c) => huber(c as HuberOptions | undefined),
    binaryCrossentropy: bce,
    bce,
    categoricalCrossentropy: ce,
    ce,
    sparseCategoricalCrossentropy: crossentropy(sparseCategoricalCrossentropy),
  },
  'register it first with registerLoss("myproject>myLoss", (config) => ({ name, config, fusesSoftmax, compute, gradient }))',
);

/**
 * The loss registered under `name`, built with `config`.
 *
 * Built-in names are lowerCamel (`"meanSquaredError"`, `"categoricalCrossentropy"`, …) plus the
 * short aliases `"mse"`, `"mae"`, `"ce"` (categorical cross-entropy) and `"bce"`; an alias builds
 * the same loss, whose `name` is the full one.
 *
 * @throws BackpropError `UNKNOWN_COMPONENT` listing the registered names, or `INVALID_CONFIG`
 * @example
 * ```ts
 * getLoss("ce", { fromLogits: true }).name; // "categoricalCrossentropy"
 * ```
 */
export function getLoss(name: string, config?: Readonly<JsonObject>): Loss {
  return registry.get(name)(config);
}

/**
 * Turns a loss spec into a loss: a name goes through {@link getLoss}, a `{ name, config }` pair
 * (as saved in a model file) too, and a loss object is returned as is.
 *
 * @throws BackpropError `UNKNOWN_COMPONENT`, `INVALID_CONFIG`, or `INVALID_ARGUMENT` for anything else
 * @example
 * ```ts
 * const loss = resolveLoss({ name: "huber", config: { delta: 2 } });
 * resolveLoss(loss) === loss; // true
 * ```
 */
export function resolveLoss(spec: LossSpec): Loss {
  if (typeof spec === "string") return getLoss(spec);
  if (typeof spec === "object" && spec !== null && typeof spec.name === "string") {
    if ("compute" in spec && typeof spec.compute === "function") return spec;
    if (!("compute" in spec)) return getLoss(spec.name, spec.config);
  }
  throw new BackpropError(
    "INVALID_ARGUMENT",
    `resolveLoss: cannot make a loss from ${describeSpec(spec)} (expected a name, { name, config } or a Loss object)`,
  );
}

/**
 * Adds a custom loss factory under `name` (namespacing like `"acme>focal"` avoids clashes), so
 * model files that name it can be loaded.
 *
 * @throws BackpropError `DUPLICATE_COMPONENT` for a built-in or taken name (unless `override`)
 * @example
 * ```ts
 * registerLoss("acme>scaledMse", (config) => ({ ...meanSquaredError(), name: "acme>scaledMse", config: config ?? {} }));
 * ```
 */
export function registerLoss(name: string, factory: LossFactory, options?: RegisterOptions): void {
  registry.register(name, factory, options);
}

/**
 * Removes a custom loss; returns whether there was one. Built-ins cannot be removed.
 * @example
 * ```ts
 * unregisterLoss("acme>scaledMse");
 * ```
 */
export function unregisterLoss(name: string): boolean {
  return registry.unregister(name);
}

/**
 * Every name {@link getLoss} accepts, built-ins (with aliases) first.
 * @example
 * ```ts
 * lossNames().includes("mse"); // true
 * ```
 */
export function lossNames(): string[] {
  return registry.names();
}

function describeSpec(spec: unknown): string {
  if (spec === null) return "null";
  if (typeof spec === "object") return "an object without a string name";
  return `${typeof spec} ${String(spec)}`;
}
