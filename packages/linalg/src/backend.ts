import type { FloatArray } from "./dtype.js";
import { BackpropError } from "./errors.js";
import { typescriptBackend } from "./typescript-backend.js";
import { createWasmBackend, isWasmSimdSupported, type WasmBackend } from "./wasm-backend.js";

/**
 * The hot kernels, behind one interface so a faster implementation (WASM SIMD, threads) can be
 * swapped in without changing any caller. Arrays are row-major, already shape-checked, and
 * share one dtype; implementations must not allocate per call.
 */
export interface KernelBackend {
  /** Registry-style name, e.g. `"typescript"`. */
  readonly name: string;
  /**
   * General matrix multiply: `C = op(A)·op(B)` (or `C += …` when `accumulate`), where
   * op(A) is m×k and op(B) is k×n. With `transA`, A is stored k×m; with `transB`, B is stored n×k.
   */
  gemm(
    transA: boolean,
    transB: boolean,
    m: number,
    n: number,
    k: number,
    a: FloatArray,
    b: FloatArray,
    c: FloatArray,
    accumulate: boolean,
  ): void;
  /**
   * Products with at most this many multiply-adds (m·n·k) are computed in the reference order:
   * each element of C is one float64 sum over p = 0…k−1 that starts from 0 (from the old C(i, j)
   * when accumulating with untransposed B) and is rounded once, when stored; an accumulating
   * transposed-B product adds the old C(i, j) to the finished sum. Code that computes such small
   * products itself — the fused small-network step of `@backprop/layers` — then gets the same bits
   * in float32 as well as float64. Absent means 0: no product is promised to follow it.
   */
  readonly exactUpTo?: number;
}

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
