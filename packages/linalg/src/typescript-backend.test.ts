import { describe, expect, it } from "vitest";
import type { FloatArray } from "./dtype.js";
import { typescriptBackend } from "./typescript-backend.js";

/*
 * The backend's raw gemm contract, checked on bare typed arrays (no Matrix, no validation):
 * C (m×n) = op(A)·op(B), with A stored m×k (k×m when transA) and B stored k×n (n×k when transB).
 */

/** Deterministic values in [-1, 1) with about a third exact zeros, from a tiny LCG local to the test. */
function fill(array: FloatArray, seed: number): FloatArray {
  let s = seed >>> 0;
  for (let i = 0; i < array.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const u = s / 2 ** 32;
    array[i] = u < 1 / 3 ? 0 : 2 * u - 1;
  }
  return array;
}

function naive(transA: boolean, transB: boolean, m: number, n: number, k: number, a: FloatArray, b: FloatArray) {
  const c = new Float64Array(m * n);
  const mag = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      let t = 0;
      for (let p = 0; p < k; p++) {
        const x = (transA ? a[p * m + i] : a[i * k + p]) as number;
        const y = (transB ? b[j * k + p] : b[p * n + j]) as number;
        s += x * y;
        t += Math.abs(x * y);
      }
      c[i * n + j] = s;
      mag[i * n + j] = t;
    }
  }
  return { c, mag };
}

const makers = {
  float32: (n: number) => new Float32Array(n),
  float64: (n: number) => new Float64Array(n),
} as const;

describe("typescriptBackend.gemm", () => {
  it("is named typescript", () => {
    expect(typescriptBackend.name).toBe("typescript");
  });

  for (const [dtype, make] of Object.entries(makers)) {
    const tol = dtype === "float64" ? 1e-12 : 1e-5;
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        for (const accumulate of [false, true]) {
          const label = `${dtype} ${transA ? "T" : "N"}${transB ? "T" : "N"}${accumulate ? " accumulate" : ""}`;
          it(label, () => {
            let seed = 1;
            for (const m of [1, 2, 4, 6, 9]) {
              for (const n of [1, 3, 4, 8, 11]) {
                for (const k of [0, 1, 5, 12]) {
                  const a = fill(make(m * k), seed++);
                  const b = fill(make(k * n), seed++);
                  const c = fill(make(m * n), seed++);
                  if (!accumulate) c.fill(Number.NaN);
                  const before = Float64Array.from(c);
                  typescriptBackend.gemm(transA, transB, m, n, k, a, b, c, accumulate);
                  const ref = naive(transA, transB, m, n, k, a, b);
                  for (let i = 0; i < m * n; i++) {
                    const start = accumulate ? (before[i] as number) : 0;
                    const expected = start + (ref.c[i] as number);
                    const bound = tol * (Math.abs(start) + (ref.mag[i] as number));
                    const got = c[i] as number;
                    if (!(Math.abs(got - expected) <= bound)) {
                      expect.fail(`${label} ${m}×${n}×${k} [${i}]: got ${got}, expected ${expected}`);
                    }
                  }
                }
              }
            }
          });
        }
      }
    }
  }

  it("is exact in float64 (same summation order as a plain loop)", () => {
    const m = 7;
    const n = 9;
    const k = 13;
    const a = fill(new Float64Array(m * k), 11);
    const b = fill(new Float64Array(k * n), 12);
    for (const transB of [false, true]) {
      // Lay B out as the flag expects; the naive loop reads it the same way.
      const bb = transB ? new Float64Array(n * k) : b;
      if (transB) for (let p = 0; p < k; p++) for (let j = 0; j < n; j++) bb[j * k + p] = b[p * n + j] as number;
      const c = new Float64Array(m * n);
      typescriptBackend.gemm(false, transB, m, n, k, a, bb, c, false);
      expect(Array.from(c)).toEqual(Array.from(naive(false, transB, m, n, k, a, bb).c));
    }
  });

  it("is exact in float64 on the packed and few-row paths too: edge tiles, row chunks, every transpose", () => {
    // 170×13×800: 4×3 tiles with a 2-row and a 1-column edge, and packed A in three row chunks;
    // 2×11×300: fewer rows than a tile (the batch-1 path).
    for (const [m, n, k] of [[9, 6, 500], [170, 13, 800], [2, 11, 300]] as const) {
      for (const transA of [false, true]) {
        for (const transB of [false, true]) {
          const a = fill(new Float64Array(m * k), m + 1);
          const b = fill(new Float64Array(k * n), n + 2);
          const c = new Float64Array(m * n).fill(Number.NaN);
          typescriptBackend.gemm(transA, transB, m, n, k, a, b, c, false);
          expect(Array.from(c)).toEqual(Array.from(naive(transA, transB, m, n, k, a, b).c));
        }
      }
    }
  });
});
