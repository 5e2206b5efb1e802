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

/**
 * The learning rate the playground starts each optimizer with: one that trains its small networks
 * on every data set (the library defaults suit larger models: Adam's 0.001 crawls here, and
 * Adadelta needs its lr of 1). Switching optimizer sets it.
 */
export const PLAYGROUND_LR: Readonly<Record<string, number>> = {
  sgd: 0.1, adagrad: 0.1, rmsprop: 0.003, adadelta: 1, adam: 0.01, adamw: 0.01, adamax: 0.02, nadam: 0.01,
};

/**
 * The playground's learning rate for an optimizer (see {@link PLAYGROUND_LR}); the library's
 * default for one it does not list.
 *
 * @example
 * ```ts
 * defaultLearningRate("adadelta"); // 1
 * ```
 */
export function defaultLearningRate(name: string): number {
  const lr = PLAYGROUND_LR[name] ?? OPTIMIZERS[name]?.defaults["lr"];
  return typeof lr === "number" ? lr : 0.01;
}
