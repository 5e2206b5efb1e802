// The entry of the WebAssembly module (compiled by scripts/build-wasm.mjs): the GEMM kernels and
// the convolution kernels built on them. Only what is exported here is visible to JavaScript.
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
