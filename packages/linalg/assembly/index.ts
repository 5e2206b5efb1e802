// The entry of the WebAssembly module (compiled by scripts/build-wasm.mjs): the GEMM kernels, the
// convolution kernels built on them and the bias kernels of rows.ts. Only what is exported here is
// visible to JavaScript.
export { gemmF32, gemmF64 } from "./gemm";
export {
  im2col,
  col2imF32,
  col2imF64,
  convForwardF32,
  convForwardF64,
  convKernelGradientF32,
  convKernelGradientF64,
  convInputGradientF32,
  convInputGradientF64,
} from "./conv";
export { addRowVectorF32, addRowVectorF64, sumColumnsF32, sumColumnsF64 } from "./rows";
