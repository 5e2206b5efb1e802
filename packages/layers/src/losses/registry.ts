import type { NamedConfig } from "../named-config.js";
import { Registry, type JsonObject, type RegisterOptions } from "@backprop/linalg";
import { binaryCrossentropy } from "./binary-crossentropy.js";
import { categoricalCrossentropy } from "./categorical-crossentropy.js";
import { halfSumSquaredError } from "./half-sum-squared-error.js";
import { huber } from "./huber.js";
import type { Loss } from "./loss.js";
import { meanAbsoluteError } from "./mean-absolute-error.js";
import { meanSquaredError } from "./mean-squared-error.js";
import { sparseCategoricalCrossentropy } from "./sparse-categorical-crossentropy.js";

/** Builds a loss from its JSON config (`{}` or omitted for the defaults). */
export type LossFactory = (config?: Readonly<JsonObject>) => Loss;

/** What {@link resolveLoss} accepts: a registered name, a saved `{ name, config }`, or a loss. */
export type LossSpec = string | NamedConfig | Loss;

// NOTE: every factory checks its JSON config itself (readConfig), so its typed options are only a cast.
function fromJson<O>(factory: (options?: O) => Loss): LossFactory {
  return (config) => factory(config as O | undefined);
}

const mse = fromJson(meanSquaredError);
const mae = fromJson(meanAbsoluteError);
const ce = fromJson(categoricalCrossentropy);
const bce = fromJson(binaryCrossentropy);

const losses = /* @__PURE__ */ new Registry<LossFactory>({
  kind: "loss",
  builtins: {
    meanSquaredError: mse,
    mse,
    halfSumSquaredError: fromJson(halfSumSquaredError),
    meanAbsoluteError: mae,
    mae,
    huber: fromJson(huber),
    binaryCrossentropy: bce,
    bce,
    categoricalCrossentropy: ce,
    ce,
    sparseCategoricalCrossentropy: fromJson(sparseCategoricalCrossentropy),
  },
  registerHint: 'register it first: registerLoss("myproject>myLoss", (config) => ({ name, config, compute, gradient }))',
  where: { get: "getLoss", resolve: "resolveLoss", register: "registerLoss" },
  component: { label: "a Loss", keys: ["compute"] },
});

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
  return losses.create(name, config);
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
  return losses.resolve(spec);
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
  losses.register(name, factory, options);
}

/**
 * Removes a custom loss; returns whether there was one. Built-ins cannot be removed.
 * @example
 * ```ts
 * unregisterLoss("acme>scaledMse");
 * ```
 */
export function unregisterLoss(name: string): boolean {
  return losses.unregister(name);
}

/**
 * Every name {@link getLoss} accepts, built-ins (with aliases) first.
 * @example
 * ```ts
 * lossNames().includes("mse"); // true
 * ```
 */
export function lossNames(): string[] {
  return losses.names();
}
