import { BackpropError, Registry, type JsonObject, type RegisterOptions } from "@backprop/linalg";
import type { Activation, ActivationFactory, ActivationSpec } from "./activation.js";
import { builtinActivations, fixedFactory } from "./builtins.js";
import { describeValue } from "./config.js";
import { isActivation } from "./is-activation.js";

/** Options of {@link getActivation} and {@link resolveActivation}. */
export interface ResolveActivationOptions {
  /**
   * Activations known only to this call, looked up before the registry (Keras' `custom_objects`):
   * an {@link Activation} (its config is fixed) or an {@link ActivationFactory}.
   */
  readonly custom?: Readonly<Record<string, Activation | ActivationFactory>>;
}

// NOTE: the built-ins are a function, built on the first lookup, so importing the package does
// no work (sideEffects: false).
const activations = /* @__PURE__ */ new Registry<ActivationFactory>({
  kind: "activation",
  builtins: builtinActivations,
  registerHint: (name) =>
    `register it first: registerActivation(defineActivation({ name: ${JSON.stringify(name)}, f: (x) => …, df: (x, y) => … }))`,
  where: { get: "getActivation", resolve: "resolveActivation", register: "registerActivation" },
  component: {
    label: "an Activation",
    is: isActivation,
    keys: ["f"],
    fixed: fixedFactory,
    hint: "wrap a bare { name, f, df } with defineActivation({ name, f, df })",
  },
});

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
  return activations.create(name, config, options);
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
  return activations.resolve(spec, options);
}

/**
 * Makes an activation resolvable by name, so models that use it can be loaded — by this copy of
 * the package and by any other copy in the same process.
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
    activations.register(activationOrName, factoryOrOptions as ActivationFactory, options);
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
  activations.register(activationOrName.name, fixedFactory(activationOrName), registerOptions);
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
  return activations.unregister(name);
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
  return activations.names();
}
