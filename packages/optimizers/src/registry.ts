import { BackpropError, Registry, type JsonObject, type RegisterOptions } from "@backprop/linalg";
import { adadelta } from "./adadelta.js";
import { adagrad } from "./adagrad.js";
import { adam } from "./adam.js";
import { adamax } from "./adamax.js";
import { adamw } from "./adamw.js";
import { describeValue, isPlainObject } from "./config.js";
import type { OptimizerFactory } from "./define-optimizer.js";
import { nadam } from "./nadam.js";
import type { Optimizer, OptimizerSpec, OptimizerState } from "./optimizer.js";
import { rmsprop } from "./rmsprop.js";
import { sgd } from "./sgd.js";

/** A factory of any rule, as the registry holds it (only `fromConfig` is called). */
type AnyOptimizerFactory = OptimizerFactory<never>;

const BUILTINS: Readonly<Record<string, AnyOptimizerFactory>> = {
  sgd,
  adagrad,
  rmsprop,
  adadelta,
  adam,
  adamw,
  adamax,
  nadam,
};

/** Whether `value` looks like an {@link Optimizer} object. */
function isOptimizer(value: unknown): value is Optimizer {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { step?: unknown }).step === "function" &&
    typeof (value as { stateDict?: unknown }).stateDict === "function" &&
    typeof (value as { loadStateDict?: unknown }).loadStateDict === "function"
  );
}

const optimizers = /* @__PURE__ */ new Registry<AnyOptimizerFactory, Optimizer>({
  kind: "optimizer",
  builtins: BUILTINS,
  registerHint:
    'register it first: registerOptimizer(defineOptimizer({ name: "myproject>myRule", defaults: { lr: 0.01 }, update }))',
  where: { get: "getOptimizer", resolve: "resolveOptimizer", register: "registerOptimizer" },
  component: { label: "an Optimizer", is: isOptimizer, create: (factory, config) => factory.fromConfig(config) },
});

/**
 * A new optimizer of the rule registered under `name`, configured by `config` (defaults for
 * missing keys).
 * @throws BackpropError `UNKNOWN_COMPONENT` listing the registered names; `INVALID_CONFIG`
 * @example
 * ```ts
 * const opt = getOptimizer("adam", { lr: 3e-4 });
 * ```
 */
export function getOptimizer(name: string, config?: Readonly<JsonObject>): Optimizer {
  return optimizers.create(name, config);
}

/**
 * Turns a name, a stored `{ name, config }` or an optimizer into an optimizer; optimizer objects
 * pass through unchanged (with their state).
 * @throws BackpropError `UNKNOWN_COMPONENT`, `INVALID_CONFIG`; `INVALID_ARGUMENT` for anything else
 * @example
 * ```ts
 * resolveOptimizer("sgd");
 * resolveOptimizer({ name: "adamw", config: { lr: 1e-3, weightDecay: 0.05 } });
 * resolveOptimizer(adam());
 * ```
 */
export function resolveOptimizer(spec: OptimizerSpec): Optimizer {
  return optimizers.resolve(spec);
}

/**
 * Makes a custom rule loadable by name (from a model file, the CLI, `resolveOptimizer`).
 *
 * Pass a factory from {@link defineOptimizer} (it carries its name), or a name and a hand-written
 * `(config) => Optimizer` whose optimizers report that name. Built-in names cannot be replaced;
 * pass `{ override: true }` to replace a custom one.
 *
 * @throws BackpropError `DUPLICATE_COMPONENT`, `INVALID_ARGUMENT`
 * @example
 * ```ts
 * const lion = defineOptimizer({ name: "acme>lion", defaults: { lr: 1e-4 }, update });
 * registerOptimizer(lion);
 * getOptimizer("acme>lion", { lr: 3e-5 });
 * ```
 */
export function registerOptimizer(factory: OptimizerFactory<never>, options?: RegisterOptions): void;
export function registerOptimizer(
  name: string,
  factory: (config?: Readonly<JsonObject>) => Optimizer,
  options?: RegisterOptions,
): void;
export function registerOptimizer(
  first: OptimizerFactory<never> | string,
  second?: RegisterOptions | ((config?: Readonly<JsonObject>) => Optimizer),
  third?: RegisterOptions,
): void {
  if (typeof first === "string") {
    const name = first;
    const build = second;
    if (typeof build !== "function") {
      throw new BackpropError(
        "INVALID_ARGUMENT",
        `registerOptimizer: factory for "${name}" must be a function (got ${describeValue(build)}, expected (config) => Optimizer)`,
      );
    }
    const fromConfig = (config?: Readonly<JsonObject>): Optimizer => {
      const opt = build(config);
      if (!isOptimizer(opt) || opt.name !== name) {
        throw new BackpropError(
          "INVALID_STATE",
          `optimizer factory "${name}" returned ${isOptimizer(opt) ? `an optimizer named "${opt.name}"` : describeValue(opt)} (expected an Optimizer named "${name}")`,
          { hint: "an optimizer's name must equal the name it is registered under, or saved files will not load" },
        );
      }
      return opt;
    };
    const factory = Object.assign((config?: never): Optimizer => fromConfig(config), {
      optimizerName: name,
      defaults: Object.freeze({}),
      fromConfig,
    });
    optimizers.register(name, factory, third);
    return;
  }
  if (typeof first !== "function" || typeof first.fromConfig !== "function" || typeof first.optimizerName !== "string") {
    throw new BackpropError(
      "INVALID_ARGUMENT",
      `registerOptimizer: expected a factory from defineOptimizer (got ${describeValue(first)})`,
      { hint: 'or pass a name and a function: registerOptimizer("acme>rule", (config) => optimizer)' },
    );
  }
  optimizers.register(first.optimizerName, first, typeof second === "function" ? undefined : second);
}

/**
 * Removes a custom optimizer; returns whether there was one. Built-ins stay.
 * @example
 * ```ts
 * unregisterOptimizer("acme>lion"); // true if it was registered
 * ```
 */
export function unregisterOptimizer(name: string): boolean {
  return optimizers.unregister(name);
}

/**
 * Every registered optimizer name: built-ins first, then custom ones, each group sorted.
 * @example
 * ```ts
 * optimizerNames(); // ["adadelta", "adagrad", "adam", "adamax", "adamw", "nadam", "rmsprop", "sgd", …]
 * ```
 */
export function optimizerNames(): string[] {
  return optimizers.names();
}

/**
 * Rebuilds an optimizer from a saved state: the rule and config it names, with its state loaded,
 * so training resumes exactly where it stopped.
 * @throws BackpropError `INVALID_STATE`, `UNKNOWN_COMPONENT`, `INVALID_CONFIG`
 * @example
 * ```ts
 * const saved = JSON.stringify(opt.stateDict());
 * const resumed = optimizerFromState(JSON.parse(saved));
 * ```
 */
export function optimizerFromState(state: OptimizerState): Optimizer {
  if (!isPlainObject(state) || typeof state.name !== "string" || !isPlainObject(state.config)) {
    throw new BackpropError(
      "INVALID_STATE",
      `optimizerFromState: invalid state (got ${describeValue(state)}, expected { name, config, step, slots })`,
    );
  }
  const opt = getOptimizer(state.name, state.config as JsonObject);
  opt.loadStateDict(state);
  return opt;
}
