import type { FloatArray } from "./dtype.js";
import { col2imReference, im2colReference } from "./im2col.js";
import type { KernelBackend } from "./kernel-backend.js";
import { packedDoubles } from "./packed-doubles.js";

/*
 * Row-major GEMM in plain TypeScript.
 *
 * op(A)(i, p) = a[i * ai + p * ap]   (ai = k, ap = 1 untransposed; ai = 1, ap = m transposed)
 * op(B)(p, j) = b[p * bp + j * bj]   (bp = n, bj = 1 untransposed; bp = 1, bj = k transposed)
 *
 * Medium and large products run the packed path (the GotoBLAS / BLIS structure, scaled down to
 * what V8 keeps in registers): op(A) is copied, MR rows at a time, into a k×MR panel and op(B),
 * NR columns at a time, into a k×NR panel, both as float64 whatever the input dtype. A 4×3 tile of
 * C then lives in 12 scalar locals while p runs over k, doing 12 multiply-adds per 7 loads from
 * contiguous, monomorphic packed-double scratch — 2–3× the throughput of streaming rows of C, and
 * the transposes cost nothing beyond the packing copy (O(mk + kn) against O(mnk) work).
 * Small products (the tiny nets, a single input row) skip the packing, which would cost more
 * than the product, and use the streaming loops below.
 *
 * Summation order, on every path and in the WASM kernels (assembly/gemm.ts), per element:
 * C(i, j) = (((c₀ + a₀b₀) + a₁b₁) + …) with p increasing, where c₀ is the old C(i, j) when
 * accumulating into an untransposed-B product and 0 otherwise; a transposed-B product sums from 0
 * and adds the old C(i, j) last. float64 results are therefore bit-identical across backends.
 */

const MR = 4;
const NR = 3;
/** Packed A is processed in chunks of rows so the panel set stays in L2 (≈ 512 KiB of float64). */
const PACKED_A_BUDGET = 65536;
/** Below this many multiply-adds (or with fewer than MR rows or NR columns), packing does not pay. */
const MIN_PACKED_WORK = 4096;
/** Up to this many multiply-adds, a plain dot product per element beats any set-up. */
const MAX_TINY_WORK = 512;

/*
 * The panels are plain JS arrays kept in V8's packed-double representation, not Float64Arrays, on
 * purpose. Once any ArrayBuffer in the process has been detached — a WebAssembly memory that grows
 * (ours or another library's), a transferred buffer — V8 drops its "no detached buffers" assumption
 * for good and every typed-array load in optimized code re-checks its buffer. That made the
 * micro-kernel ~15% slower (4.4 → 3.8 GFLOP/s on the W1 shapes) for the rest of the process. A
 * packed double array carries no buffer to check and measured faster even before any detach (the
 * 4×3 kernel at 6.3 GFLOP/s against 5.1).
 *
 * Scratch owned by the backend: allocated on first use, grown when a larger product comes, never
 * shrunk, so steady-state training allocates nothing here.
 */
type Panel = number[];

let packedA: Panel = packedDoubles(0);
let packedB: Panel = packedDoubles(0);
/** Scratch for tiles cut by the edge of C, one per dtype so the kernels see C's own array type. */
const edgeTile32 = new Float32Array(MR * NR);
const edgeTile64 = new Float64Array(MR * NR);

/**
 * Copies rows [i0, i0 + rows) of op(A) into `dst` as consecutive k×MR panels, zero-padded past
 * the last row. Reads run along whichever index is contiguous in memory.
 */
function packA(i0: number, rows: number, k: number, a: FloatArray, ai: number, ap: number, dst: Panel): void {
  for (let r0 = 0; r0 < rows; r0 += MR) {
    const base = r0 * k;
    const i = i0 + r0;
    if (r0 + MR <= rows && ai === 1) {
      // op(A) = stored Aᵀ: the MR values of one p are adjacent.
      let s = i;
      for (let p = 0, o = base; p < k; p++, o += MR, s += ap) {
        dst[o] = a[s] as number;
        dst[o + 1] = a[s + 1] as number;
        dst[o + 2] = a[s + 2] as number;
        dst[o + 3] = a[s + 3] as number;
      }
      continue;
    }
    for (let r = 0; r < MR; r++) {
      let o = base + r;
      if (r0 + r >= rows) {
        for (let p = 0; p < k; p++, o += MR) dst[o] = 0;
        continue;
      }
      let s = (i + r) * ai;
      for (let p = 0; p < k; p++, o += MR, s += ap) dst[o] = a[s] as number;
    }
  }
}

/** Copies columns [j0, j0 + NR) of op(B) into `dst` as one k×NR panel, zero-padded past n. */
function packB(j0: number, n: number, k: number, b: FloatArray, bp: number, bj: number, dst: Panel): void {
  if (j0 + NR <= n && bj === 1) {
    // Untransposed B: the NR values of one p are adjacent.
    for (let p = 0, o = 0, s = j0; p < k; p++, o += NR, s += bp) {
      dst[o] = b[s] as number;
      dst[o + 1] = b[s + 1] as number;
      dst[o + 2] = b[s + 2] as number;
    }
    return;
  }
  for (let q = 0; q < NR; q++) {
    let o = q;
    if (j0 + q >= n) {
      for (let p = 0; p < k; p++, o += NR) dst[o] = 0;
      continue;
    }
    let s = (j0 + q) * bj;
    for (let p = 0; p < k; p++, o += NR, s += bp) dst[o] = b[s] as number;
  }
}

/** How a tile of C combines with the product: see the summation order above. */
const OVERWRITE = 0;
const START_FROM_C = 1;
const ADD_C_LAST = 2;

/*
 * The 4×3 micro-kernel: C[co…co+2, 4 rows n apart] (=, +=) Apanel·Bpanel over k, each of the 12
 * sums in increasing p. 12 accumulators + 3 values of B + 1 of A fit the 16 float registers of
 * x86-64, so V8 spills nothing (a 4×4 tile needs 21 and measured ~5% slower). The loop touches
 * only the packed-double panels, so it stays monomorphic whatever C's dtype; C is read and written
 * once per tile.
 *
 * One copy per way of combining with C, on purpose: with a `mode` branch inside, V8 optimizes for
 * the modes seen so far, deoptimizes on the first new one and re-optimizes the loop ~2× slower
 * (measured: forward products first, then an accumulating weight gradient — a training step).
 */

/** C = A·B over the tile. */
function kernelOverwrite(k: number, pa: Panel, ao: number, pb: Panel, c: FloatArray, co: number, n: number): void {
  const o1 = co + n;
  const o2 = o1 + n;
  const o3 = o2 + n;
  let c00 = 0, c01 = 0, c02 = 0, c10 = 0, c11 = 0, c12 = 0;
  let c20 = 0, c21 = 0, c22 = 0, c30 = 0, c31 = 0, c32 = 0;
  let bo = 0;
  for (let p = 0; p < k; p++) {
    const b0 = pb[bo] as number;
    const b1 = pb[bo + 1] as number;
    const b2 = pb[bo + 2] as number;
    let x = pa[ao] as number;
    c00 += x * b0; c01 += x * b1; c02 += x * b2;
    x = pa[ao + 1] as number;
    c10 += x * b0; c11 += x * b1; c12 += x * b2;
    x = pa[ao + 2] as number;
    c20 += x * b0; c21 += x * b1; c22 += x * b2;
    x = pa[ao + 3] as number;
    c30 += x * b0; c31 += x * b1; c32 += x * b2;
    ao += 4;
    bo += 3;
  }
  c[co] = c00; c[co + 1] = c01; c[co + 2] = c02;
  c[o1] = c10; c[o1 + 1] = c11; c[o1 + 2] = c12;
  c[o2] = c20; c[o2 + 1] = c21; c[o2 + 2] = c22;
  c[o3] = c30; c[o3 + 1] = c31; c[o3 + 2] = c32;
}

/** C = C + A·B, summed from C (untransposed-B accumulation). */
function kernelFromC(k: number, pa: Panel, ao: number, pb: Panel, c: FloatArray, co: number, n: number): void {
  const o1 = co + n;
  const o2 = o1 + n;
  const o3 = o2 + n;
  let c00 = 0, c01 = 0, c02 = 0, c10 = 0, c11 = 0, c12 = 0;
  let c20 = 0, c21 = 0, c22 = 0, c30 = 0, c31 = 0, c32 = 0;
  c00 = c[co] as number; c01 = c[co + 1] as number; c02 = c[co + 2] as number;
  c10 = c[o1] as number; c11 = c[o1 + 1] as number; c12 = c[o1 + 2] as number;
  c20 = c[o2] as number; c21 = c[o2 + 1] as number; c22 = c[o2 + 2] as number;
  c30 = c[o3] as number; c31 = c[o3 + 1] as number; c32 = c[o3 + 2] as number;
  let bo = 0;
  for (let p = 0; p < k; p++) {
    const b0 = pb[bo] as number;
    const b1 = pb[bo + 1] as number;
    const b2 = pb[bo + 2] as number;
    let x = pa[ao] as number;
    c00 += x * b0; c01 += x * b1; c02 += x * b2;
    x = pa[ao + 1] as number;
    c10 += x * b0; c11 += x * b1; c12 += x * b2;
    x = pa[ao + 2] as number;
    c20 += x * b0; c21 += x * b1; c22 += x * b2;
    x = pa[ao + 3] as number;
    c30 += x * b0; c31 += x * b1; c32 += x * b2;
    ao += 4;
    bo += 3;
  }
  c[co] = c00; c[co + 1] = c01; c[co + 2] = c02;
  c[o1] = c10; c[o1 + 1] = c11; c[o1 + 2] = c12;
  c[o2] = c20; c[o2 + 1] = c21; c[o2 + 2] = c22;
  c[o3] = c30; c[o3 + 1] = c31; c[o3 + 2] = c32;
}

/** C = C + (A·B), C added last (transposed-B accumulation). */
function kernelAddLast(k: number, pa: Panel, ao: number, pb: Panel, c: FloatArray, co: number, n: number): void {
  const o1 = co + n;
  const o2 = o1 + n;
  const o3 = o2 + n;
  let c00 = 0, c01 = 0, c02 = 0, c10 = 0, c11 = 0, c12 = 0;
  let c20 = 0, c21 = 0, c22 = 0, c30 = 0, c31 = 0, c32 = 0;
  let bo = 0;
  for (let p = 0; p < k; p++) {
    const b0 = pb[bo] as number;
    const b1 = pb[bo + 1] as number;
    const b2 = pb[bo + 2] as number;
    let x = pa[ao] as number;
    c00 += x * b0; c01 += x * b1; c02 += x * b2;
    x = pa[ao + 1] as number;
    c10 += x * b0; c11 += x * b1; c12 += x * b2;
    x = pa[ao + 2] as number;
    c20 += x * b0; c21 += x * b1; c22 += x * b2;
    x = pa[ao + 3] as number;
    c30 += x * b0; c31 += x * b1; c32 += x * b2;
    ao += 4;
    bo += 3;
  }
  c00 += c[co] as number; c01 += c[co + 1] as number; c02 += c[co + 2] as number;
  c10 += c[o1] as number; c11 += c[o1 + 1] as number; c12 += c[o1 + 2] as number;
  c20 += c[o2] as number; c21 += c[o2 + 1] as number; c22 += c[o2 + 2] as number;
  c30 += c[o3] as number; c31 += c[o3 + 1] as number; c32 += c[o3 + 2] as number;
  c[co] = c00; c[co + 1] = c01; c[co + 2] = c02;
  c[o1] = c10; c[o1 + 1] = c11; c[o1 + 2] = c12;
  c[o2] = c20; c[o2 + 1] = c21; c[o2 + 2] = c22;
  c[o3] = c30; c[o3 + 1] = c31; c[o3 + 2] = c32;
}

function gemmPacked(
  m: number,
  n: number,
  k: number,
  a: FloatArray,
  ai: number,
  ap: number,
  b: FloatArray,
  bp: number,
  bj: number,
  c: FloatArray,
  mode: number,
): void {
  const chunk = Math.max(MR, Math.floor(PACKED_A_BUDGET / k / MR) * MR);
  const chunkRows = Math.min(m, chunk);
  const needA = Math.ceil(chunkRows / MR) * MR * k;
  if (packedA.length < needA) packedA = packedDoubles(needA);
  if (packedB.length < k * NR) packedB = packedDoubles(k * NR);
  const pa = packedA;
  const pb = packedB;
  for (let i0 = 0; i0 < m; i0 += chunk) {
    const rows = Math.min(chunk, m - i0);
    packA(i0, rows, k, a, ai, ap, pa);
    for (let j = 0; j < n; j += NR) {
      packB(j, n, k, b, bp, bj, pb);
      const w = Math.min(NR, n - j);
      for (let r0 = 0; r0 < rows; r0 += MR) {
        const h = Math.min(MR, rows - r0);
        const co = (i0 + r0) * n + j;
        if (h === MR && w === NR) {
          if (mode === OVERWRITE) kernelOverwrite(k, pa, r0 * k, pb, c, co, n);
          else if (mode === START_FROM_C) kernelFromC(k, pa, r0 * k, pb, c, co, n);
          else kernelAddLast(k, pa, r0 * k, pb, c, co, n);
          continue;
        }
        // An edge tile: the panels are zero-padded past the last row and column, so the full
        // kernel runs on a scratch tile of C's dtype (same per-element order, same rounding) and
        // only the valid part is copied back. Plain dot products here cost ~5% on n = 128.
        const tile = c instanceof Float32Array ? edgeTile32 : edgeTile64;
        // Only the valid part is read in: the rest of the tile is computed and discarded.
        if (mode !== OVERWRITE) {
          for (let r = 0; r < h; r++) for (let q = 0; q < w; q++) tile[r * NR + q] = c[co + r * n + q] as number;
        }
        if (mode === OVERWRITE) kernelOverwrite(k, pa, r0 * k, pb, tile, 0, NR);
        else if (mode === START_FROM_C) kernelFromC(k, pa, r0 * k, pb, tile, 0, NR);
        else kernelAddLast(k, pa, r0 * k, pb, tile, 0, NR);
        for (let r = 0; r < h; r++) for (let q = 0; q < w; q++) c[co + r * n + q] = tile[r * NR + q] as number;
      }
    }
  }
}

/**
 * Tiny products (the XOR and Iris nets): one dot product per element, straight into C, with no
 * zero-fill pass and no blocking — at these sizes the call and loop set-up are the cost.
 */
function gemmTiny(
  m: number,
  n: number,
  k: number,
  a: FloatArray,
  ai: number,
  ap: number,
  b: FloatArray,
  bp: number,
  bj: number,
  c: FloatArray,
  mode: number,
): void {
  for (let i = 0, o = 0; i < m; i++) {
    const aRow = i * ai;
    for (let j = 0; j < n; j++, o++) {
      let s = mode === START_FROM_C ? (c[o] as number) : 0;
      for (let p = 0, x = aRow, y = j * bj; p < k; p++, x += ap, y += bp) s += (a[x] as number) * (b[y] as number);
      c[o] = mode === ADD_C_LAST ? (c[o] as number) + s : s;
    }
  }
}

/**
 * Fewer rows than a tile (batch-1 inference), untransposed B: eight columns of one row of C in
 * registers while p runs down B, so B is read once and C written once.
 */
function gemmFewRows(
  m: number,
  n: number,
  k: number,
  a: FloatArray,
  ai: number,
  ap: number,
  b: FloatArray,
  c: FloatArray,
  startFromC: boolean,
): void {
  for (let i = 0; i < m; i++) {
    const aRow = i * ai;
    const o = i * n;
    let j = 0;
    for (; j + 8 <= n; j += 8) {
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
      if (startFromC) {
        s0 = c[o + j] as number; s1 = c[o + j + 1] as number; s2 = c[o + j + 2] as number; s3 = c[o + j + 3] as number;
        s4 = c[o + j + 4] as number; s5 = c[o + j + 5] as number; s6 = c[o + j + 6] as number; s7 = c[o + j + 7] as number;
      }
      for (let p = 0, x = aRow, y = j; p < k; p++, x += ap, y += n) {
        const v = a[x] as number;
        s0 += v * (b[y] as number); s1 += v * (b[y + 1] as number);
        s2 += v * (b[y + 2] as number); s3 += v * (b[y + 3] as number);
        s4 += v * (b[y + 4] as number); s5 += v * (b[y + 5] as number);
        s6 += v * (b[y + 6] as number); s7 += v * (b[y + 7] as number);
      }
      c[o + j] = s0; c[o + j + 1] = s1; c[o + j + 2] = s2; c[o + j + 3] = s3;
      c[o + j + 4] = s4; c[o + j + 5] = s5; c[o + j + 6] = s6; c[o + j + 7] = s7;
    }
    for (; j < n; j++) {
      let s = startFromC ? (c[o + j] as number) : 0;
      for (let p = 0, x = aRow, y = j; p < k; p++, x += ap, y += n) s += (a[x] as number) * (b[y] as number);
      c[o + j] = s;
    }
  }
}

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
 * `exactUpTo` of a backend that hands products under `minWork` multiply-adds to this one: those up
 * to the tiny-path limit follow the reference order (internal to the package).
 */
export function exactBelow(minWork: number): number {
  return Math.min(Math.ceil(minWork) - 1, MAX_TINY_WORK);
}

/**
 * The portable backend: plain TypeScript loops over typed arrays, exact in float64. Medium and
 * large products run a packed, register-blocked 4×3 kernel (~5–5.5 GFLOP/s in V8 on the W1 shapes,
 * float32 or float64); small ones stream rows. It is always available and is the reference the
 * faster backends are tested against. Its scratch panels are module-level and reused. Its im2col
 * and col2im are the reference loops of `im2col.ts`; the convolution passes compose them with gemm.
 */
export const typescriptBackend: KernelBackend = {
  name: "typescript",
  // Only the tiny path is promised: in float32 the streaming path rounds C after every step.
  exactUpTo: MAX_TINY_WORK,
  gemm(transA, transB, m, n, k, a, b, c, accumulate) {
    if (m === 0 || n === 0) return;
    const ai = transA ? 1 : k;
    const ap = transA ? m : 1;
    const work = m * n * k;
    const mode = !accumulate ? OVERWRITE : transB ? ADD_C_LAST : START_FROM_C;
    if (work <= MAX_TINY_WORK) {
      gemmTiny(m, n, k, a, ai, ap, b, transB ? 1 : n, transB ? k : 1, c, mode);
    } else if (m >= MR && n >= NR && work >= MIN_PACKED_WORK) {
      gemmPacked(m, n, k, a, ai, ap, b, transB ? 1 : n, transB ? k : 1, c, mode);
    } else if (m < MR && !transB) {
      gemmFewRows(m, n, k, a, ai, ap, b, c, accumulate);
    } else if (transB) {
      gemmDotB(m, n, k, a, ai, ap, b, c, accumulate);
    } else {
      gemmStreamB(m, n, k, a, ai, ap, b, c, accumulate);
    }
  },
  im2col: im2colReference,
  col2im: col2imReference,
};
