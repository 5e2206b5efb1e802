export type { Loss, FusedGradient } from "./loss.js";
export { softmax } from "./softmax.js";
export { meanSquaredError } from "./mean-squared-error.js";
export { halfSumSquaredError } from "./half-sum-squared-error.js";
export { meanAbsoluteError } from "./mean-absolute-error.js";
export { huber, type HuberOptions } from "./huber.js";
export { binaryCrossentropy, type BinaryCrossentropyOptions } from "./binary-crossentropy.js";
export { categoricalCrossentropy } from "./categorical-crossentropy.js";
export { sparseCategoricalCrossentropy } from "./sparse-categorical-crossentropy.js";
export type { CrossentropyOptions, CrossentropyConfig } from "./crossentropy-options.js";
export type { EmptyOptions } from "./read-config.js";
export {
  getLoss,
  resolveLoss,
  registerLoss,
  unregisterLoss,
  lossNames,
  type LossFactory,
  type LossSpec,
} from "./registry.js";
