import type { FloatArray } from "./dtype.js";
import type { KernelBackend } from "./backend.js";

/*
 * Row-major GEMM in plain TypeScript.
 *
 * op(A)(i, p) = a[i * ai + p * ap]   (ai = k, ap = 1 untransposed; ai = 1, ap = m transposed)
 *
 * When B is untransposed its rows are contiguous, so we stream them: C[i, :] += A(i, p) · B[p, :],
 * four rows of C at a time so each B row is read once per four outputs. When B is transposed, its
 * rows are the columns of op(B), so each C[i, j] is a dot product of two contiguous runs; we do four
 * of them at a time. Either way the inner loop walks contiguous memory and transposes cost no copy.
 */

function gemmStreamB(
  m: number,
  n: number,
  k: number,
  a: FloatArray,
  ai: number,
  ap: number,
  b: FloatArray,
  c: FloatArray,
  accumulate: boolean,
): void {
  if (!accumulate) c.fill(0, 0, m * n);
  let i = 0;
  for (; i + 4 <= m; i += 4) {
    const c0 = i * n;
    const c1 = c0 + n;
    const c2 = c1 + n;
    const c3 = c2 + n;
    for (let p = 0; p < k; p++) {
      const base = i * ai + p * ap;
      const a0 = a[base] as number;
      const a1 = a[base + ai] as number;
      const a2 = a[base + 2 * ai] as number;
      const a3 = a[base + 3 * ai] as number;
      if (a0 === 0 && a1 === 0 && a2 === 0 && a3 === 0) continue; // ReLU zeros are common
      const bRow = p * n;
      for (let j = 0; j < n; j++) {
        const bv = b[bRow + j] as number;
        c[c0 + j] = (c[c0 + j] as number) + a0 * bv;
        c[c1 + j] = (c[c1 + j] as number) + a1 * bv;
        c[c2 + j] = (c[c2 + j] as number) + a2 * bv;
        c[c3 + j] = (c[c3 + j] as number) + a3 * bv;
      }
    }
  }
  for (; i < m; i++) {
    const c0 = i * n;
    for (let p = 0; p < k; p++) {
      const a0 = a[i * ai + p * ap] as number;
      if (a0 === 0) continue;
      const bRow = p * n;
      for (let j = 0; j < n; j++) c[c0 + j] = (c[c0 + j] as number) + a0 * (b[bRow + j] as number);
    }
  }
}

function gemmDotB(
  m: number,
  n: number,
  k: number,
  a: FloatArray,
  ai: number,
  ap: number,
  b: FloatArray,
  c: FloatArray,
  accumulate: boolean,
): void {
  for (let i = 0; i < m; i++) {
    const aRow = i * ai;
    const cRow = i * n;
    let j = 0;
    for (; j + 4 <= n; j += 4) {
      const b0 = j * k;
      const b1 = b0 + k;
      const b2 = b1 + k;
      const b3 = b2 + k;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let p = 0; p < k; p++) {
        const av = a[aRow + p * ap] as number;
        s0 += av * (b[b0 + p] as number);
        s1 += av * (b[b1 + p] as number);
        s2 += av * (b[b2 + p] as number);
        s3 += av * (b[b3 + p] as number);
      }
      if (accumulate) {
        c[cRow + j] = (c[cRow + j] as number) + s0;
        c[cRow + j + 1] = (c[cRow + j + 1] as number) + s1;
        c[cRow + j + 2] = (c[cRow + j + 2] as number) + s2;
        c[cRow + j + 3] = (c[cRow + j + 3] as number) + s3;
      } else {
        c[cRow + j] = s0;
        c[cRow + j + 1] = s1;
        c[cRow + j + 2] = s2;
        c[cRow + j + 3] = s3;
      }
    }
    for (; j < n; j++) {
      const b0 = j * k;
      let s = 0;
      for (let p = 0; p < k; p++) s += (a[aRow + p * ap] as number) * (b[b0 + p] as number);
      c[cRow + j] = accumulate ? (c[cRow + j] as number) + s : s;
    }
  }
}

/**
 * The portable backend: plain TypeScript loops over typed arrays, exact in float64.
 * It is always available and is the reference the faster backends are tested against.
 */
export const typescriptBackend: KernelBackend = {
  name: "typescript",
  gemm(transA, transB, m, n, k, a, b, c, accumulate) {
    const ai = transA ? 1 : k;
    const ap = transA ? m : 1;
    if (transB) gemmDotB(m, n, k, a, ai, ap, b, c, accumulate);
    else gemmStreamB(m, n, k, a, ai, ap, b, c, accumulate);
  },
};
