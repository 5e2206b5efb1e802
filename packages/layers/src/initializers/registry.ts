import type { NamedConfig } from "../named-config.js";
import { Registry, type JsonObject, type RegisterOptions } from "@backprop/linalg";
import { constant, ones, zeros } from "./constant.js";
import { glorotNormal, glorotUniform } from "./glorot.js";
import { heNormal, heUniform } from "./he.js";
import type { Initializer } from "./initializer.js";
import { lecunNormal, lecunUniform } from "./lecun.js";
import { orthogonal } from "./orthogonal.js";
import { randomNormal } from "./random-normal.js";
import { randomUniform } from "./random-uniform.js";
import { truncatedNormal } from "./truncated-normal.js";
import { varianceScaling } from "./variance-scaling.js";

/** Builds an initializer from its JSON config (`{}` or omitted for the defaults). */
export type InitializerFactory = (config?: Readonly<JsonObject>) => Initializer;

/** What {@link resolveInitializer} accepts: a name, a saved `{ name, config }`, or an initializer. */
export type InitializerSpec =
  | string
  | NamedConfig
  | Initializer;

// NOTE: every factory checks its JSON config itself (readConfig), so its typed options are only a cast.
function fromJson<O>(factory: (options?: O) => Initializer): InitializerFactory {
  return (config) => factory(config as O | undefined);
}

const initializers = /* @__PURE__ */ new Registry<InitializerFactory>({
  kind: "initializer",
  builtins: {
    zeros: fromJson(zeros),
    ones: fromJson(ones),
    constant: fromJson(constant),
    randomUniform: fromJson(randomUniform),
    randomNormal: fromJson(randomNormal),
    truncatedNormal: fromJson(truncatedNormal),
    varianceScaling: fromJson(varianceScaling),
    glorotUniform: fromJson(glorotUniform),
    glorotNormal: fromJson(glorotNormal),
    heUniform: fromJson(heUniform),
    heNormal: fromJson(heNormal),
    lecunUniform: fromJson(lecunUniform),
    lecunNormal: fromJson(lecunNormal),
    orthogonal: fromJson(orthogonal),
  },
  registerHint: 'register it first: registerInitializer("myproject>myInit", (config) => ({ name, config, init }))',
  where: { get: "getInitializer", resolve: "resolveInitializer", register: "registerInitializer" },
  component: { label: "an Initializer", keys: ["init"] },
});

/**
 * The initializer registered under `name` (lowerCamel, e.g. `"glorotUniform"`), built with `config`.
 * @throws BackpropError `UNKNOWN_COMPONENT` listing the registered names, or `INVALID_CONFIG`
 * @example
 * ```ts
 * getInitializer("constant", { value: 0.35 }).config; // { value: 0.35 }
 * ```
 */
export function getInitializer(name: string, config?: Readonly<JsonObject>): Initializer {
  return initializers.create(name, config);
}

/**
 * Turns an initializer spec into an initializer: a name or `{ name, config }` goes through
 * {@link getInitializer}; an initializer object is returned as is.
 *
 * @throws BackpropError `UNKNOWN_COMPONENT`, `INVALID_CONFIG`, or `INVALID_ARGUMENT` for anything else
 * @example
 * ```ts
 * resolveInitializer({ name: "randomNormal", config: { stddev: 0.1 } });
 * ```
 */
export function resolveInitializer(spec: InitializerSpec): Initializer {
  return initializers.resolve(spec);
}

/**
 * Adds a custom initializer factory under `name` (namespace it, e.g. `"acme>orthogonal"`).
 * @throws BackpropError `DUPLICATE_COMPONENT` for a built-in or taken name (unless `override`)
 * @example
 * ```ts
 * registerInitializer("acme>half", () => ({ name: "acme>half", config: {}, init: (m) => m.fill(0.5) }));
 * ```
 */
export function registerInitializer(name: string, factory: InitializerFactory, options?: RegisterOptions): void {
  initializers.register(name, factory, options);
}

/**
 * Removes a custom initializer; returns whether there was one. Built-ins cannot be removed.
 * @example
 * ```ts
 * unregisterInitializer("acme>half");
 * ```
 */
export function unregisterInitializer(name: string): boolean {
  return initializers.unregister(name);
}

/**
 * Every name {@link getInitializer} accepts, built-ins first.
 * @example
 * ```ts
 * initializerNames().includes("heNormal"); // true
 * ```
 */
export function initializerNames(): string[] {
  return initializers.names();
}
