// The entry of the WebAssembly module (compiled by scripts/build-wasm.mjs): the GEMM kernels, the
// convolution kernels built on them, the bias kernels of rows.ts and the ReLU and max-pooling kernels
// of elementwise.ts, the LSTM time loop of recurrent.ts and the optimizer updates and finiteness
// check of optimizers.ts and the whole-epoch loop of small dense networks of dense-epochs.ts. Only what is exported here is
// visible to JavaScript.
export { gemmF32, gemmF64 } from "./gemm";
export {
  im2col,
  col2imF32,
  col2imF64,
  convForwardF32,
  convForwardF64,
  convForwardDirectF32,
  convMaxPoolF32,
  windowOffsets,
  convKernelGradientDirectF32,
  convKernelGradientF32,
  convKernelGradientF64,
  convInputGradientF32,
  convInputGradientF64,
} from "./conv";
export { addRowVectorF32, addRowVectorF64, sumColumnsF32, sumColumnsF64, standardizeF32 } from "./rows";
export {
  reluF32,
  reluF64,
  reluBackwardF32,
  reluBackwardF64,
  maxPoolF32,
  maxPoolF64,
  maxPoolValuesF32,
  maxPoolValuesF64,
  maxPoolBackwardF32,
  maxPoolBackwardF64,
} from "./elementwise";
export { lstmForwardF32, lstmBackwardF32 } from "./recurrent";
export { denseEpochsF32, libmExp, libmLog, libmTanh } from "./dense-epochs";
export { sgdF32, sgdF64, sgdAtF32, sgdAtF64, momentumF32, adamF32, nonFiniteF32, nonFiniteF64 } from "./optimizers";
