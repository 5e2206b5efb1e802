import type { Json, JsonObject, Param, ParameterUpdate, SlotHolder } from "@backprop/linalg";

/**
 * A saved optimizer: its name and config, the step count and, per parameter name, the slot
 * arrays (momentum, first/second moments, …) as plain numbers so it serializes to JSON.
 *
 * @example
 * ```ts
 * const state: OptimizerState = opt.stateDict();
 * // { name: "sgd", config: { lr: 0.1, momentum: 0.9, … }, step: 3,
 * //   slots: { "layers.0.kernel": { momentumBuffer: [ … ] } }, extra: { paramSteps: { … } } }
 * ```
 */
export interface OptimizerState {
  /** The rule's registry name, e.g. `"adam"`. */
  readonly name: string;
  /** The rule's hyperparameters when the state was taken. */
  readonly config: Readonly<JsonObject>;
  /** Number of `step` calls so far (drives bias correction and schedules). */
  readonly step: number;
  /** `slots[paramName][slotName]` = the slot's values, row-major. */
  readonly slots: Readonly<Record<string, Readonly<Record<string, readonly number[]>>>>;
  /**
   * Anything else needed to resume exactly. Optimizers from {@link defineOptimizer} store
   * `paramSteps: { [paramName]: updates applied }` here (bias correction counts per parameter,
   * as in PyTorch); without it every parameter resumes at `step`.
   */
  readonly extra?: Readonly<Record<string, Json>>;
}

/**
 * An update rule over parameters and their gradients.
 *
 * `step` reads each trainable `Param.grad` and updates `Param.value` in place; parameters with
 * `trainable = false` are skipped. State is kept per `Param.name`, created on first sight.
 *
 * @example
 * ```ts
 * const opt = adam({ lr: 1e-3 });
 * for (const batch of batches) {
 *   model.forward(batch.x); model.backward(dLoss);
 *   opt.step(model.params());
 * }
 * const checkpoint = JSON.stringify(opt.stateDict());
 * ```
 */
export interface Optimizer {
  /** Registry key, e.g. `"adam"`. */
  readonly name: string;
  /**
   * Hyperparameters, e.g. `{ lr: 0.001, beta1: 0.9, beta2: 0.999, eps: 1e-8, … }`; a scheduled
   * `lr` is stored as the schedule's `{ name, config }`.
   */
  readonly config: Readonly<JsonObject>;
  /** Number of steps taken. */
  readonly iterations: number;
  /** The learning rate the next step will use (after any schedule). */
  readonly learningRate: number;
  /** Applies one update to every trainable param. */
  step(params: readonly Param[]): void;
  /**
   * When this optimizer's next steps are plain SGD — `p ← p − lr·(g + weightDecay·p)` per element,
   * in float64 rounded once when stored, with a fixed `lr`, no momentum, no clipping — its `lr` and
   * `weightDecay`, so that a fused kernel may apply them itself (and then report them with
   * {@link Optimizer.recordSteps}); undefined otherwise. Optional: optimizers without it are never
   * fused.
   */
  plainSgd?(): { readonly lr: number; readonly weightDecay: number } | undefined;
  /**
   * The next update of each of `params` (same order; undefined for a frozen one) as a fused kernel
   * runs it — the rule, its scalars for this step, its slot arrays — when every one is such a rule
   * (plain SGD, momentum SGD, Adam) and no clipping applies; undefined otherwise. The kernel that
   * applies them reports it with {@link Optimizer.recordSteps}(params, 1). A `holder` may keep the
   * slots' values instead of writing them back: the optimizer calls its `release` before it next
   * reads or writes them (its own step, a state dict, another holder). Optional: optimizers
   * without it are stepped by `step` only.
   */
  fusedUpdates?(params: readonly Param[], holder?: SlotHolder): readonly (ParameterUpdate | undefined)[] | undefined;
  /**
   * Records that `count` updates were applied to the trainable `params` outside `step` (the rule
   * {@link Optimizer.plainSgd} describes, or those {@link Optimizer.fusedUpdates} handed out): the
   * step count and each parameter's update count advance exactly as `count` calls of `step` would
   * have advanced them.
   */
  recordSteps?(params: readonly Param[], count: number): void;
  /** Everything needed to resume: config, step count, slots. */
  stateDict(): OptimizerState;
  /**
   * Restores a state from {@link Optimizer.stateDict}; checks names and slot lengths against the
   * params it will later see and throws a typed error on mismatch. The optimizer keeps its own
   * config (so a run can resume with, say, a new `lr`); use `optimizerFromState` to rebuild the
   * saved one.
   */
  loadStateDict(state: OptimizerState): void;
}

/**
 * What a model file stores to name an optimizer: `{ name, config }`.
 * @example
 * ```ts
 * const stored: OptimizerConfig = { name: "adam", config: { lr: 3e-4 } };
 * ```
 */
export interface OptimizerConfig {
  /** Registry name, e.g. `"adam"`. */
  readonly name: string;
  /** Hyperparameters; omitted or `{}` means the defaults. */
  readonly config?: JsonObject;
}

/**
 * Anything {@link resolveOptimizer} accepts: a registered name, a stored `{ name, config }`, or
 * an optimizer object.
 * @example
 * ```ts
 * const specs: OptimizerSpec[] = ["sgd", { name: "adam", config: { lr: 1e-3 } }, rmsprop()];
 * ```
 */
export type OptimizerSpec = string | OptimizerConfig | Optimizer;
