import { adadelta, adagrad, adam, adamax, adamw, nadam, rmsprop, sgd, type OptimizerFactory } from "@backprop/optimizers";

/** Every optimizer of @backprop/optimizers, by registry name, in increasing complexity. */
export const OPTIMIZERS: Readonly<Record<string, OptimizerFactory<never>>> = {
  sgd, adagrad, rmsprop, adadelta, adam, adamw, adamax, nadam,
};

/** The optimizer names offered on the page. */
export const OPTIMIZER_NAMES: readonly string[] = Object.keys(OPTIMIZERS);

/** A hyperparameter value: every built-in's are numbers or booleans. */
export type HyperValue = number | boolean;

/**
 * The hyperparameters of an optimizer other than the learning rate, with their defaults.
 *
 * @example
 * ```ts
 * optimizerDefaults("adam"); // { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, amsgrad: false }
 * ```
 */
export function optimizerDefaults(name: string): Record<string, HyperValue> {
  const factory = OPTIMIZERS[name];
  if (!factory) return {};
  const out: Record<string, HyperValue> = {};
  for (const [key, value] of Object.entries(factory.defaults)) {
    if (key === "lr") continue;
    if (typeof value === "number" || typeof value === "boolean") out[key] = value;
  }
  return out;
}
