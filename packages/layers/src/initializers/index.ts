export { initializerConfig, type Initializer } from "./initializer.js";
export { zeros, ones, constant, type ConstantOptions } from "./constant.js";
export { randomUniform, type RandomUniformOptions } from "./random-uniform.js";
export { randomNormal, type NormalOptions } from "./random-normal.js";
export { truncatedNormal, fillTruncatedNormal } from "./truncated-normal.js";
export {
  varianceScaling,
  TRUNCATED_NORMAL_STDDEV,
  type VarianceScalingOptions,
  type FanMode,
  type VarianceScalingDistribution,
} from "./variance-scaling.js";
export { glorotUniform, glorotNormal } from "./glorot.js";
export { heUniform, heNormal } from "./he.js";
export { lecunUniform, lecunNormal } from "./lecun.js";
export { orthogonal, type OrthogonalOptions } from "./orthogonal.js";
export {
  getInitializer,
  resolveInitializer,
  registerInitializer,
  unregisterInitializer,
  initializerNames,
  type InitializerFactory,
  type InitializerSpec,
} from "./registry.js";
