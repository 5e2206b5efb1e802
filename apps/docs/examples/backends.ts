// #region example
import { Matrix, Rng, getBackend, isWasmSimdSupported, matmul, setBackend, useBackend } from "@backprop/linalg";

const rng = new Rng(1);
const a = rng.fillUniform(Matrix.zeros(64, 32), -1, 1);
const b = rng.fillUniform(Matrix.zeros(32, 16), -1, 1);

const previous = useBackend("typescript");            // the portable reference kernels
const reference = matmul(a, b);
if (isWasmSimdSupported()) useBackend("wasm");         // WebAssembly SIMD, when the runtime has it
const fast = matmul(a, b);
console.log(getBackend().name, fast.data.every((v, i) => v === reference.data[i])); // float64: bit-identical
setBackend(previous);                                  // put back what was active
// #endregion example

export { fast, reference };
