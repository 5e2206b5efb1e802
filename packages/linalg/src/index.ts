export {
  Tensor,
  Matrix,
  shapeString,
  formatShape,
  sizeOf,
  sameShape,
  rowsOf,
  type Shape,
  type NestedArray,
} from "./tensor.js";
export { allocate, dtypeOf, isDType, type DType, type FloatArray } from "./dtype.js";
export {
  matmul,
  addRowVector,
  sumColumns,
  map,
  add,
  sub,
  hadamard,
  axpy,
  scale,
  sum,
  sumSquares,
  argmaxRows,
  transpose,
  allClose,
  type MatmulOptions,
  type CloseOptions,
} from "./ops.js";
export { getBackend, setBackend, useBackend, type BackendName } from "./backend.js";
export type {
  AdamMoments,
  AdamStep,
  DenseEpochs,
  DenseEpochsArrays,
  DenseEpochsLayer,
  DenseEpochsPlan,
  DenseStack,
  DenseStackLayer,
  DenseStackPlan,
  KernelBackend,
  ParameterUpdate,
  SlotHolder,
} from "./kernel-backend.js";
export { typescriptBackend } from "./typescript-backend.js";
export { packedDoubles } from "./packed-doubles.js";
export {
  im2col,
  col2im,
  conv2dForward,
  conv2dKernelGradient,
  conv2dInputGradient,
  conv2dBackward,
  conv2dMaxPool,
  convGeometry,
  type ConvGeometry,
  type ConvGeometryOptions,
  type ConvPadding,
} from "./im2col.js";
export {
  applyRelu,
  reluGradient,
  maxPool2dForward,
  maxPool2dBackward,
  type PoolGeometry,
} from "./elementwise.js";
export { finiteDifferenceCheck, type FiniteDifferenceResult } from "./finite-difference.js";
export {
  createWasmBackend,
  isWasmSimdSupported,
  type WasmBackend,
  type WasmBackendOptions,
} from "./wasm-backend.js";
export { Rng, type RngState, type ShuffleTarget } from "./rng.js";
export { Param } from "./param.js";
export {
  Registry,
  type RegisterOptions,
  type RegistryOptions,
  type ComponentOptions,
  type CreateOptions,
  type ComponentSpec,
  type StoredComponent,
} from "./registry.js";
export {
  readConfig,
  readField,
  describeRange,
  describeValue,
  isPlainObject,
  type ConfigSchema,
  type ConfigField,
  type ConfigValues,
  type NumberField,
  type BooleanField,
  type StringField,
  type CustomField,
  type NumberRange,
} from "./config-reader.js";
export {
  BackpropError,
  ShapeMismatchError,
  isBackpropError,
  type ErrorCode,
  type BackpropErrorOptions,
} from "./errors.js";
export type { Json, JsonObject } from "./json.js";
