import type { NamedConfig } from "../named-config.js";
import { BackpropError, Registry, type JsonObject, type RegisterOptions } from "@backprop/linalg";
import type { EmptyOptions } from "../losses/read-config.js";
import { constant, ones, zeros, type ConstantOptions } from "./constant.js";
import { glorotNormal, glorotUniform } from "./glorot.js";
import { heNormal, heUniform } from "./he.js";
import type { Initializer } from "./initializer.js";
import { lecunNormal, lecunUniform } from "./lecun.js";
import { randomNormal, type NormalOptions } from "./random-normal.js";
import { randomUniform, type RandomUniformOptions } from "./random-uniform.js";
import { truncatedNormal } from "./truncated-normal.js";
import { varianceScaling, type VarianceScalingOptions } from "./variance-scaling.js";

/** Builds an initializer from its JSON config (`{}` or omitted for the defaults). */
export type InitializerFactory = (config?: Readonly<JsonObject>) => Initializer;

/** What {@link resolveInitializer} accepts: a name, a saved `{ name, config }`, or an initializer. */
export type InitializerSpec =
  | string
  | NamedConfig
  | Initializer;

// Factories take typed options; a JSON config is validated at runtime by each factory.
const noOptions =
  (f: (o?: EmptyOptions) => Initializer): InitializerFactory =>
  (c) =>
    f(c as EmptyOptions | undefined);

const registry = /* @__PURE__ */ new Registry<InitializerFactory>(
  "initializer",
  {
    zeros: noOptions(zeros),
    ones: noOptions(ones),
    constant: (c) => constant(c as ConstantOptions | undefined),
    randomUniform: (c) => randomUniform(c as RandomUniformOptions | undefined),
    randomNormal: (c) => randomNormal(c as NormalOptions | undefined),
    truncatedNormal: (c) => truncatedNormal(c as NormalOptions | undefined),
    varianceScaling: (c) => varianceScaling(c as VarianceScalingOptions | undefined),
    glorotUniform: noOptions(glorotUniform),
    glorotNormal: noOptions(glorotNormal),
    heUniform: noOptions(heUniform),
    heNormal: noOptions(heNormal),
    lecunUniform: noOptions(lecunUniform),
    lecunNormal: noOptions(lecunNormal),
  },
  'register it first with registerInitializer("myproject>myInit", (config) => ({ name, config, init }))',
);

/**
 * The initializer registered under `name` (lowerCamel, e.g. `"glorotUniform"`), built with `config`.
 * @throws BackpropError `UNKNOWN_COMPONENT` listing the registered names, or `INVALID_CONFIG`
 * @example
 * ```ts
 * getInitializer("constant", { value: 0.35 }).config; // { value: 0.35 }
 * ```
 */
export function getInitializer(name: string, config?: Readonly<JsonObject>): Initializer {
  return registry.get(name)(config);
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
  if (typeof spec === "string") return getInitializer(spec);
  if (typeof spec === "object" && spec !== null && typeof spec.name === "string") {
    if ("init" in spec && typeof spec.init === "function") return spec;
    if (!("init" in spec)) return getInitializer(spec.name, spec.config);
  }
  throw new BackpropError(
    "INVALID_ARGUMENT",
    `resolveInitializer: cannot make an initializer from ${describeSpec(spec)} (expected a name, { name, config } or an Initializer object)`,
  );
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
  registry.register(name, factory, options);
}

/**
 * Removes a custom initializer; returns whether there was one. Built-ins cannot be removed.
 * @example
 * ```ts
 * unregisterInitializer("acme>half");
 * ```
 */
export function unregisterInitializer(name: string): boolean {
  return registry.unregister(name);
}

/**
 * Every name {@link getInitializer} accepts, built-ins first.
 * @example
 * ```ts
 * initializerNames().includes("heNormal"); // true
 * ```
 */
export function initializerNames(): string[] {
  return registry.names();
}

function describeSpec(spec: unknown): string {
  if (spec === null) return "null";
  if (typeof spec === "object") return "an object without a string name";
  return `${typeof spec} ${String(spec)}`;
}
