/**
 * `@backprop/linalg/threads`: the multi-threaded WASM backend. A subpath of its own because it
 * starts helper threads from a worker script shipped beside it (`backend-wasm-worker.js`), which
 * the main entry should not make every bundle carry.
 */
export {
  createThreadedWasmBackend,
  type ThreadedWasmBackend,
  type ThreadedWasmBackendOptions,
} from "./backend-wasm-threads.js";
