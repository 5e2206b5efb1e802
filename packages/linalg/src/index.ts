export {
  Tensor,
  Matrix,
  shapeString,
  formatShape,
  sizeOf,
  sameShape,
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
export type { KernelBackend } from "./kernel-backend.js";
export { typescriptBackend } from "./typescript-backend.js";
export { packedDoubles } from "./packed-doubles.js";
export {
  createWasmBackend,
  isWasmSimdSupported,
  type WasmBackend,
  type WasmBackendOptions,
} from "./wasm-backend.js";
export { Rng, type RngState, type ShuffleTarget } from "./rng.js";
export { Param } from "./param.js";
export { Registry, type RegisterOptions } from "./registry.js";
export {
  BackpropError,
  ShapeMismatchError,
  isBackpropError,
  type ErrorCode,
  type BackpropErrorOptions,
} from "./errors.js";
export type { Json, JsonObject } from "./json.js";
