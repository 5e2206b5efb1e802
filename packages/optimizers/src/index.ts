export type { Optimizer, OptimizerState, OptimizerConfig, OptimizerSpec } from "./optimizer.js";
export {
  defineOptimizer,
  type OptimizerDefinition,
  type OptimizerFactory,
  type OptimizerOptions,
  type CommonOptimizerOptions,
  type Hyperparameters,
  type HyperparameterValues,
  type SlotSpec,
  type SlotOptions,
  type UpdateArgs,
} from "./define-optimizer.js";
export type { HyperparameterRange } from "./config.js";

// Built-in rules, by increasing complexity.
export { sgd, type SgdOptions } from "./sgd.js";
export { adagrad, type AdagradOptions } from "./adagrad.js";
export { rmsprop, type RmspropOptions } from "./rmsprop.js";
export { adadelta, type AdadeltaOptions } from "./adadelta.js";
export { adam, type AdamOptions } from "./adam.js";
export { adamw, type AdamwOptions } from "./adamw.js";
export { adamax, type AdamaxOptions } from "./adamax.js";
export { nadam, type NadamOptions } from "./nadam.js";

export {
  getOptimizer,
  resolveOptimizer,
  registerOptimizer,
  unregisterOptimizer,
  optimizerNames,
  optimizerFromState,
} from "./registry.js";

export { isSchedule, type Schedule, type ScheduleConfig, type ScheduleSpec, type ScheduleFactory } from "./schedule.js";
export { stepDecay, type StepDecayOptions } from "./step-decay.js";
export { exponentialDecay, type ExponentialDecayOptions } from "./exponential-decay.js";
export { cosineDecay, type CosineDecayOptions } from "./cosine-decay.js";
export { linearWarmup, type LinearWarmupOptions } from "./linear-warmup.js";
export { getSchedule, resolveSchedule, registerSchedule, scheduleNames } from "./schedule-registry.js";

export { clipGradValue, clipGradNorm } from "./clip.js";
