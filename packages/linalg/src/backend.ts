import { BackpropError } from "./errors.js";
import type { KernelBackend } from "./kernel-backend.js";
import { typescriptBackend } from "./typescript-backend.js";
import { createWasmBackend, isWasmSimdSupported, type WasmBackend } from "./wasm-backend.js";

// Chosen on first use rather than at import time, so importing the package does no work.
let active: KernelBackend | undefined;
let sharedWasm: WasmBackend | undefined;

/** The names {@link useBackend} accepts. */
export type BackendName = "typescript" | "wasm" | "auto";

function wasmBackend(): WasmBackend {
  sharedWasm ??= createWasmBackend();
  return sharedWasm;
}

/**
 * The backend the kernels currently dispatch to. Unless one was set, the first call picks
 * `"wasm"` when the runtime supports WebAssembly SIMD and `"typescript"` otherwise.
 */
export function getBackend(): KernelBackend {
  active ??= isWasmSimdSupported() ? wasmBackend() : typescriptBackend;
  return active;
}

/**
 * Selects a built-in backend by name and returns the previous one: `"typescript"` (portable,
 * the reference), `"wasm"` (WebAssembly SIMD; throws where unsupported) or `"auto"` (the default:
 * wasm when supported). The wasm instance is created once and shared.
 * @throws BackpropError `INVALID_ARGUMENT` for an unknown name, `INVALID_STATE` for `"wasm"`
 *   on a runtime without WebAssembly SIMD
 * @example
 * ```ts
 * const previous = useBackend("typescript");
 * try { model.fit(x, y); } finally { setBackend(previous); }
 * ```
 */
export function useBackend(name: BackendName): KernelBackend {
  let next: KernelBackend;
  if (name === "typescript") next = typescriptBackend;
  else if (name === "wasm") next = wasmBackend();
  else if (name === "auto") next = isWasmSimdSupported() ? wasmBackend() : typescriptBackend;
  else {
    throw new BackpropError(
      "INVALID_ARGUMENT",
      `useBackend: unknown backend (got ${JSON.stringify(name)}, expected "typescript", "wasm" or "auto")`,
    );
  }
  return setBackend(next);
}

/**
 * Makes `backend` the one every kernel uses from now on, and returns the previous one.
 * @example
 * ```ts
 * const previous = setBackend(myWasmBackend);
 * try { model.fit(x, y); } finally { setBackend(previous); }
 * ```
 */
export function setBackend(backend: KernelBackend): KernelBackend {
  if (typeof backend !== "object" || backend === null || typeof backend.gemm !== "function") {
    throw new BackpropError("INVALID_ARGUMENT", "setBackend: expected an object with a gemm method");
  }
  const previous = getBackend();
  active = backend;
  return previous;
}
