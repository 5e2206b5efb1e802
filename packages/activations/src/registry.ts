import { BackpropError, Registry, type JsonObject, type RegisterOptions } from "@backprop/linalg";
import type { Activation, ActivationFactory, ActivationSpec } from "./activation.js";
import { builtinActivations, fixedFactory } from "./builtins.js";
import { describeValue, isPlainObject } from "./config.js";
import { isActivation } from "./is-activation.js";

/** Options of {@link getActivation} and {@link resolveActivation}. */
export interface ResolveActivationOptions {
  /**
   * Activations known only to this call, looked up before the registry (Keras' `custom_objects`):
   * an {@link Activation} (its config is fixed) or an {@link ActivationFactory}.
   */
  readonly custom?: Readonly<Record<string, Activation | ActivationFactory>>;
}

const REGISTER_EXAMPLE = "registerActivation(defineActivation({ name, f: (x) => …, df: (x, y) => … }))";

let store: Registry<ActivationFactory> | undefined;

// NOTE: created on first use, so importing the package does no work (sideEffects: false).
function registry(): Registry<ActivationFactory> {
  store ??= new Registry<ActivationFactory>("activation", builtinActivations(), `register it first: ${REGISTER_EXAMPLE}`);
  return store;
}

function normalise(name: string): string {
  return name.toLowerCase().replace(/[\s_-]/g, "");
}

function unknownActivation(name: string, customNames: readonly string[]): BackpropError {
  const known = [...registry().names(), ...customNames];
  const close = known.find((k) => normalise(k) === normalise(name));
  const register = `register it first: ${REGISTER_EXAMPLE.replace("name,", `name: ${JSON.stringify(name)},`)}`;
  return new BackpropError(
    "UNKNOWN_COMPONENT",
    `getActivation: unknown activation ${JSON.stringify(name)} (registered: ${known.join(", ")})`,
    { hint: close === undefined ? register : `did you mean "${close}"? Otherwise ${register}` },
  );
}

function factoryFor(name: string, custom: ResolveActivationOptions["custom"]): ActivationFactory {
  if (custom !== undefined && Object.hasOwn(custom, name)) {
    const entry: unknown = custom[name];
    if (typeof entry === "function") return entry as ActivationFactory;
    if (isActivation(entry)) return fixedFactory(entry, name);
    throw new BackpropError(
      "INVALID_ARGUMENT",
      `getActivation: custom entry "${name}" is neither an activation nor a factory (got ${describeValue(entry)}, expected an Activation or (config) => Activation)`,
      { hint: "build it with defineActivation({ name, f, df })" },
    );
  }
  const found = registry().find(name);
  if (found === undefined) throw unknownActivation(name, custom === undefined ? [] : Object.keys(custom));
  return found;
}

/**
 * The activation registered as `name`, built from `config` (a model file's `{ name, config }`).
 *
 * Lookup order: `options.custom`, then the registry (built-ins and {@link registerActivation}).
 * Built-in names are lowerCamel (`"leakyRelu"`); `"linear"` and `"swish"` are aliases of
 * `"identity"` and `"silu"`, and resolve to activations carrying the canonical name.
 *
 * @param config - hyperparameters; omitted means the defaults
 * @throws BackpropError `UNKNOWN_COMPONENT` listing the registered names, with a hint showing how
 *   to register one; `INVALID_CONFIG` when the config is rejected
 * @example
 * ```ts
 * const act = getActivation("leakyRelu", { alpha: 0.2 });
 * const again = getActivation(act.name, act.config); // same function
 * ```
 */
export function getActivation(name: string, config?: JsonObject, options: ResolveActivationOptions = {}): Activation {
  if (typeof name !== "string" || name.length === 0) {
    throw new BackpropError(
      "INVALID_ARGUMENT",
      `getActivation: name must be a non-empty string (got ${describeValue(name)}, expected e.g. "relu")`,
    );
  }
  const activation: unknown = factoryFor(name, options.custom)(config);
  if (!isActivation(activation)) {
    throw new BackpropError(
      "INVALID_STATE",
      `getActivation("${name}"): the registered factory returned ${describeValue(activation)} (expected an Activation)`,
      { hint: "build the result with defineActivation({ name, f, df, config })" },
    );
  }
  return activation;
}

/**
 * Turns whatever a layer option or a model file holds into an activation: a name (`"relu"`), a
 * stored `{ name, config }`, or an activation object (returned as is).
 *
 * @throws BackpropError as {@link getActivation}; `INVALID_ARGUMENT` for anything else
 * @example
 * ```ts
 * resolveActivation("relu");                                  // relu
 * resolveActivation({ name: "elu", config: { alpha: 0.5 } }); // elu({ alpha: 0.5 })
 * resolveActivation(sigmoid);                                 // sigmoid
 * ```
 */
export function resolveActivation(spec: ActivationSpec, options: ResolveActivationOptions = {}): Activation {
  if (typeof spec === "string") return getActivation(spec, undefined, options);
  if (isActivation(spec)) return spec;
  if (typeof spec === "object" && spec !== null && typeof spec.name === "string" && !("f" in spec)) {
    const config: unknown = spec.config;
    if (config !== undefined && !isPlainObject(config)) {
      throw new BackpropError(
        "INVALID_CONFIG",
        `resolveActivation("${spec.name}"): config must be an object (got ${describeValue(config)}, expected e.g. {})`,
      );
    }
    return getActivation(spec.name, spec.config, options);
  }
  throw new BackpropError(
    "INVALID_ARGUMENT",
    `resolveActivation: cannot resolve ${describeValue(spec)} (expected a name, { name, config } or an Activation)`,
    { hint: "wrap a bare { name, f, df } with defineActivation({ name, f, df })" },
  );
}

/**
 * Makes an activation resolvable by name, so models that use it can be loaded.
 *
 * - `registerActivation(activation)` registers a fixed activation under `activation.name`; loading
 *   accepts its own config only.
 * - `registerActivation(name, factory)` registers a factory that builds one from any stored config.
 *
 * Built-in names cannot be replaced; a taken custom name needs `{ override: true }`.
 *
 * @throws BackpropError `INVALID_ARGUMENT` for a non-activation / non-function,
 *   `DUPLICATE_COMPONENT` when the name is taken
 * @example
 * ```ts
 * registerActivation(defineActivation({ name: "acme>cube", f: (x) => x ** 3, df: (x) => 3 * x * x }));
 * registerActivation("acme>scaledTanh", (config = {}) => {
 *   const k = typeof config.k === "number" ? config.k : 1;
 *   return defineActivation({ name: "acme>scaledTanh", config: { k }, f: (x) => k * Math.tanh(x), df: (_x, y) => k - (y * y) / k });
 * });
 * ```
 */
export function registerActivation(activation: Activation, options?: RegisterOptions): void;
export function registerActivation(name: string, factory: ActivationFactory, options?: RegisterOptions): void;
export function registerActivation(
  activationOrName: Activation | string,
  factoryOrOptions?: ActivationFactory | RegisterOptions,
  options?: RegisterOptions,
): void {
  if (typeof activationOrName === "string") {
    if (typeof factoryOrOptions !== "function") {
      throw new BackpropError(
        "INVALID_ARGUMENT",
        `registerActivation("${activationOrName}"): factory must be a function (got ${describeValue(factoryOrOptions)}, expected (config) => Activation)`,
      );
    }
    registry().register(activationOrName, factoryOrOptions, options);
    return;
  }
  if (!isActivation(activationOrName)) {
    throw new BackpropError(
      "INVALID_ARGUMENT",
      `registerActivation: not an activation (got ${describeValue(activationOrName)}, expected an Activation or a name and a factory)`,
      { hint: "create one with defineActivation({ name, f, df })" },
    );
  }
  const registerOptions = typeof factoryOrOptions === "function" ? undefined : factoryOrOptions;
  registry().register(activationOrName.name, fixedFactory(activationOrName), registerOptions);
}

/**
 * Removes a custom activation registered with {@link registerActivation}; returns whether there
 * was one. Built-ins stay.
 *
 * @example
 * ```ts
 * unregisterActivation("acme>cube"); // true; getActivation("acme>cube") now throws UNKNOWN_COMPONENT
 * ```
 */
export function unregisterActivation(name: string): boolean {
  return registry().unregister(name);
}

/**
 * Every name {@link getActivation} resolves: built-ins (with the aliases `linear` and `swish`)
 * first, then registered custom ones, each group sorted.
 *
 * @example
 * ```ts
 * listActivations(); // ["elu", "gaussian", "gelu", …, "acme>cube"]
 * ```
 */
export function listActivations(): string[] {
  return registry().names();
}
