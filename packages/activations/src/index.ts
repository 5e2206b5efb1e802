export type { Activation, ActivationConfig, ActivationFactory, ActivationSpec } from "./activation.js";
export { isActivation } from "./is-activation.js";
export { hasExactScalarForm } from "./exact-scalar.js";
export { defineActivation, type ActivationDefinition } from "./define-activation.js";
export {
  getActivation,
  resolveActivation,
  registerActivation,
  unregisterActivation,
  listActivations,
  type ResolveActivationOptions,
} from "./registry.js";
export { identity } from "./identity.js";
export { sigmoid } from "./sigmoid.js";
export { softmax } from "./softmax.js";
export { tanh } from "./tanh.js";
export { relu } from "./relu.js";
export { leakyRelu, type LeakyReluConfig } from "./leaky-relu.js";
export { elu, type EluConfig } from "./elu.js";
export { selu } from "./selu.js";
export { gelu, type GeluConfig } from "./gelu.js";
export { softplus } from "./softplus.js";
export { softsign } from "./softsign.js";
export { silu } from "./silu.js";
export { mish } from "./mish.js";
export { hardSigmoid, hardSigmoidWith, type HardSigmoidConfig } from "./hard-sigmoid.js";
export { hardTanh } from "./hard-tanh.js";
export { relu6 } from "./relu6.js";
export { sinusoid } from "./sinusoid.js";
export { gaussian } from "./gaussian.js";
