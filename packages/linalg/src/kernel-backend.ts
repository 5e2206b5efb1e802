import type { FloatArray } from "./dtype.js";

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
