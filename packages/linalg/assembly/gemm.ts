// AssemblyScript source of the WASM SIMD kernels (compiled by scripts/build-wasm.mjs).
//
// C = op(A)·op(B) (or C += …) on row-major arrays that the caller has placed in linear memory.
// op(A)(i, p) = A[i*ai + p*ap]: ai = k, ap = 1 untransposed; ai = 1, ap = m transposed. Either way
// one element of op(A) is a scalar load that we broadcast (for transposed float32 A, also a lane
// of a v128 load, see tileF32T5), so A is never copied.
// op(B) is packed, eight columns (f32) or four (f64) at a time, into a zero-padded k×8 panel so the
// micro-kernel streams it contiguously from L1 whatever B's layout; untransposed B with full blocks
// and a short A skips the packing (it would cost as much as the product).
//
// Each lane accumulates over p in increasing order starting from C (NN/TN) or from 0 (NT, adding
// C at the end), which is exactly the order of the TypeScript backend, so float64 results agree
// bit for bit with it (no FMA: mul then add, both rounded, as in JavaScript).

// float32 multiply-add: fused where the build enables relaxed SIMD (one instruction instead of two,
// ~1.4× the throughput), else mul then add. float64 never fuses, to stay bit-exact.
// @ts-ignore: decorator
@inline export function madd(s: v128, b: v128, acc: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(s, b, acc);
  return f32x4.add(acc, f32x4.mul(s, b));
}

// ---------------------------------------------------------------------------------------------
// float32: 4×8 register tile (8 f32x4 accumulators)

function packF32(transB: bool, n: i32, k: i32, b: usize, j: i32, w: i32, panel: usize): void {
  if (!transB && w == 8) {
    // The common case is a plain 32-byte copy per row; keep it vectorised, packing is overhead.
    let src = b + (<usize>j << 2);
    const stride = <usize>n << 2;
    for (let p = 0; p < k; p++) {
      const dst = panel + (<usize>p << 5);
      v128.store(dst, v128.load(src));
      v128.store(dst, v128.load(src, 16), 16);
      src += stride;
    }
    return;
  }
  let p0 = 0;
  if (transB && w == 8) {
    // B stored n×k: eight rows of B become the panel's columns. Four p at a time, each 4×4 block
    // is transposed in registers (two shuffle stages) instead of 32 scalar loads and stores.
    const rowBytes = <usize>k << 2;
    for (; p0 + 4 <= k; p0 += 4) {
      const dst = panel + (<usize>p0 << 5);
      for (let half = 0; half < 2; half++) {
        const src = b + ((<usize>(j + half * 4) * k + p0) << 2);
        const r0 = v128.load(src);
        const r1 = v128.load(src + rowBytes);
        const r2 = v128.load(src + 2 * rowBytes);
        const r3 = v128.load(src + 3 * rowBytes);
        const t0 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5);
        const t1 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7);
        const t2 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5);
        const t3 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
        const o = dst + (<usize>half << 4);
        v128.store(o, v128.shuffle<f32>(t0, t2, 0, 1, 4, 5));
        v128.store(o + 32, v128.shuffle<f32>(t0, t2, 2, 3, 6, 7));
        v128.store(o + 64, v128.shuffle<f32>(t1, t3, 0, 1, 4, 5));
        v128.store(o + 96, v128.shuffle<f32>(t1, t3, 2, 3, 6, 7));
      }
    }
  }
  for (let p = p0; p < k; p++) {
    const dst = panel + (<usize>p << 5);
    v128.store(dst, f32x4.splat(0));
    v128.store(dst, f32x4.splat(0), 16);
    if (transB) {
      for (let jj = 0; jj < w; jj++) store<f32>(dst + (<usize>jj << 2), load<f32>(b + ((<usize>(j + jj) * k + p) << 2)));
    } else {
      const src = b + ((<usize>p * n + j) << 2);
      for (let jj = 0; jj < w; jj++) store<f32>(dst + (<usize>jj << 2), load<f32>(src + (<usize>jj << 2)));
    }
  }
}

// One 4×8 tile. Rows past m repeat row m-1 (valid memory, result discarded); columns past n read
// the panel's zero padding.
function tileF32(
  i: i32, h: i32, j: i32, w: i32, m: i32, n: i32, k: i32,
  a: usize, ai: i32, ap: i32, bp: usize, ldb: usize, c: usize, accumulate: bool, addLast: bool, t: usize,
): void {
  const r1 = min(i + 1, m - 1);
  const r2 = min(i + 2, m - 1);
  const r3 = min(i + 3, m - 1);
  let a0 = a + (<usize>(i * ai) << 2);
  let a1 = a + (<usize>(r1 * ai) << 2);
  let a2 = a + (<usize>(r2 * ai) << 2);
  let a3 = a + (<usize>(r3 * ai) << 2);
  const astep = <usize>ap << 2;
  const full = h == 4 && w == 8;
  const c0 = c + ((<usize>i * n + j) << 2);
  const rowBytes = <usize>n << 2;

  let x00 = f32x4.splat(0), x01 = f32x4.splat(0);
  let x10 = f32x4.splat(0), x11 = f32x4.splat(0);
  let x20 = f32x4.splat(0), x21 = f32x4.splat(0);
  let x30 = f32x4.splat(0), x31 = f32x4.splat(0);
  if (accumulate && !addLast) {
    if (full) {
      x00 = v128.load(c0); x01 = v128.load(c0, 16);
      x10 = v128.load(c0 + rowBytes); x11 = v128.load(c0 + rowBytes, 16);
      x20 = v128.load(c0 + 2 * rowBytes); x21 = v128.load(c0 + 2 * rowBytes, 16);
      x30 = v128.load(c0 + 3 * rowBytes); x31 = v128.load(c0 + 3 * rowBytes, 16);
    } else {
      readTileF32(c0, rowBytes, h, w, t);
      x00 = v128.load(t); x01 = v128.load(t, 16);
      x10 = v128.load(t, 32); x11 = v128.load(t, 48);
      x20 = v128.load(t, 64); x21 = v128.load(t, 80);
      x30 = v128.load(t, 96); x31 = v128.load(t, 112);
    }
  }
  let bq = bp;
  for (let p = 0; p < k; p++) {
    const b0 = v128.load(bq);
    const b1 = v128.load(bq, 16);
    bq += ldb;
    let s = v128.load32_splat(a0);
    x00 = madd(s, b0, x00);
    x01 = madd(s, b1, x01);
    s = v128.load32_splat(a1);
    x10 = madd(s, b0, x10);
    x11 = madd(s, b1, x11);
    s = v128.load32_splat(a2);
    x20 = madd(s, b0, x20);
    x21 = madd(s, b1, x21);
    s = v128.load32_splat(a3);
    x30 = madd(s, b0, x30);
    x31 = madd(s, b1, x31);
    a0 += astep; a1 += astep; a2 += astep; a3 += astep;
  }
  if (accumulate && addLast) {
    readTileF32(c0, rowBytes, h, w, t);
    x00 = f32x4.add(v128.load(t), x00); x01 = f32x4.add(v128.load(t, 16), x01);
    x10 = f32x4.add(v128.load(t, 32), x10); x11 = f32x4.add(v128.load(t, 48), x11);
    x20 = f32x4.add(v128.load(t, 64), x20); x21 = f32x4.add(v128.load(t, 80), x21);
    x30 = f32x4.add(v128.load(t, 96), x30); x31 = f32x4.add(v128.load(t, 112), x31);
  }
  if (full) {
    v128.store(c0, x00); v128.store(c0, x01, 16);
    v128.store(c0 + rowBytes, x10); v128.store(c0 + rowBytes, x11, 16);
    v128.store(c0 + 2 * rowBytes, x20); v128.store(c0 + 2 * rowBytes, x21, 16);
    v128.store(c0 + 3 * rowBytes, x30); v128.store(c0 + 3 * rowBytes, x31, 16);
  } else {
    v128.store(t, x00); v128.store(t, x01, 16);
    v128.store(t, x10, 32); v128.store(t, x11, 48);
    v128.store(t, x20, 64); v128.store(t, x21, 80);
    v128.store(t, x30, 96); v128.store(t, x31, 112);
    for (let r = 0; r < h; r++) {
      for (let q = 0; q < w; q++) {
        store<f32>(c0 + <usize>r * rowBytes + (<usize>q << 2), load<f32>(t + (<usize>(r * 8 + q) << 2)));
      }
    }
  }
}

// One full 5×8 tile for transposed A (stored k×m), used while five rows remain. With k as small as
// a batch (64) the fixed cost of a tile (call, C stores, loop exit) is a large share of the 4×8
// tile's time; five rows spread it over 1.25× the multiply-adds. Op(A)'s rows at one p are adjacent
// here, so rows i..i+3 come from one v128 load broadcast lane by lane (shuffles V8 schedules next
// to their use) and only row i+4 is a splat load: as loads are issued together ahead of the
// multiply-adds, 10 accumulators + 4 loaded vectors + 1 broadcast is what fits V8's 15 usable
// v128 registers (6×8 spills and is slower than 4×8). Every lane sums over p in the same order as
// tileF32, so an element's value does not depend on which tile computed it.
function tileF32T5(
  i: i32, j: i32, m: i32, n: i32, k: i32,
  a: usize, bp: usize, ldb: usize, c: usize, accumulate: bool, addLast: bool,
): void {
  let aq = a + (<usize>i << 2);
  const astep = <usize>m << 2;
  const c0 = c + ((<usize>i * n + j) << 2);
  const rowBytes = <usize>n << 2;
  let x00 = f32x4.splat(0), x01 = f32x4.splat(0);
  let x10 = f32x4.splat(0), x11 = f32x4.splat(0);
  let x20 = f32x4.splat(0), x21 = f32x4.splat(0);
  let x30 = f32x4.splat(0), x31 = f32x4.splat(0);
  let x40 = f32x4.splat(0), x41 = f32x4.splat(0);
  if (accumulate && !addLast) {
    x00 = v128.load(c0); x01 = v128.load(c0, 16);
    x10 = v128.load(c0 + rowBytes); x11 = v128.load(c0 + rowBytes, 16);
    x20 = v128.load(c0 + 2 * rowBytes); x21 = v128.load(c0 + 2 * rowBytes, 16);
    x30 = v128.load(c0 + 3 * rowBytes); x31 = v128.load(c0 + 3 * rowBytes, 16);
    x40 = v128.load(c0 + 4 * rowBytes); x41 = v128.load(c0 + 4 * rowBytes, 16);
  }
  let bq = bp;
  const bend = bp + <usize>k * ldb;
  while (bq < bend) {
    const b0 = v128.load(bq);
    const b1 = v128.load(bq, 16);
    const av = v128.load(aq);
    let s = v128.shuffle<f32>(av, av, 0, 0, 0, 0);
    x00 = madd(s, b0, x00);
    x01 = madd(s, b1, x01);
    s = v128.shuffle<f32>(av, av, 1, 1, 1, 1);
    x10 = madd(s, b0, x10);
    x11 = madd(s, b1, x11);
    s = v128.shuffle<f32>(av, av, 2, 2, 2, 2);
    x20 = madd(s, b0, x20);
    x21 = madd(s, b1, x21);
    s = v128.shuffle<f32>(av, av, 3, 3, 3, 3);
    x30 = madd(s, b0, x30);
    x31 = madd(s, b1, x31);
    s = v128.load32_splat(aq, 16);
    x40 = madd(s, b0, x40);
    x41 = madd(s, b1, x41);
    bq += ldb;
    aq += astep;
  }
  if (accumulate && addLast) {
    x00 = f32x4.add(v128.load(c0), x00); x01 = f32x4.add(v128.load(c0, 16), x01);
    x10 = f32x4.add(v128.load(c0 + rowBytes), x10); x11 = f32x4.add(v128.load(c0 + rowBytes, 16), x11);
    x20 = f32x4.add(v128.load(c0 + 2 * rowBytes), x20); x21 = f32x4.add(v128.load(c0 + 2 * rowBytes, 16), x21);
    x30 = f32x4.add(v128.load(c0 + 3 * rowBytes), x30); x31 = f32x4.add(v128.load(c0 + 3 * rowBytes, 16), x31);
    x40 = f32x4.add(v128.load(c0 + 4 * rowBytes), x40); x41 = f32x4.add(v128.load(c0 + 4 * rowBytes, 16), x41);
  }
  v128.store(c0, x00); v128.store(c0, x01, 16);
  v128.store(c0 + rowBytes, x10); v128.store(c0 + rowBytes, x11, 16);
  v128.store(c0 + 2 * rowBytes, x20); v128.store(c0 + 2 * rowBytes, x21, 16);
  v128.store(c0 + 3 * rowBytes, x30); v128.store(c0 + 3 * rowBytes, x31, 16);
  v128.store(c0 + 4 * rowBytes, x40); v128.store(c0 + 4 * rowBytes, x41, 16);
}

function readTileF32(c0: usize, rowBytes: usize, h: i32, w: i32, t: usize): void {
  for (let r = 0; r < 4; r++) {
    for (let q = 0; q < 8; q++) {
      const v: f32 = r < h && q < w ? load<f32>(c0 + <usize>r * rowBytes + (<usize>q << 2)) : 0;
      store<f32>(t + (<usize>(r * 8 + q) << 2), v);
    }
  }
}

// One row of op(A) times untransposed B (batch-1 inference): y = a·B over 32 columns at a time, so
// eight independent f32x4 accumulators hide the multiply-add latency; B is read in place, once.
// float32 only; the order over p is the same increasing order as everywhere else.
function gemvF32(n: i32, ldb: i32, k: i32, a: usize, astep: usize, b: usize, c: usize, accumulate: bool): void {
  const rowBytes = <usize>ldb << 2;
  let j = 0;
  for (; j + 32 <= n; j += 32) {
    const c0 = c + (<usize>j << 2);
    let x0 = f32x4.splat(0), x1 = f32x4.splat(0), x2 = f32x4.splat(0), x3 = f32x4.splat(0);
    let x4 = f32x4.splat(0), x5 = f32x4.splat(0), x6 = f32x4.splat(0), x7 = f32x4.splat(0);
    if (accumulate) {
      x0 = v128.load(c0); x1 = v128.load(c0, 16); x2 = v128.load(c0, 32); x3 = v128.load(c0, 48);
      x4 = v128.load(c0, 64); x5 = v128.load(c0, 80); x6 = v128.load(c0, 96); x7 = v128.load(c0, 112);
    }
    let bq = b + (<usize>j << 2);
    let aq = a;
    let p = 0;
    // Two rows of B per iteration: measured 2× faster than one in V8 (5.5 against 12 µs for a
    // 784×128 B), with the same sums in the same order. An odd first row goes before the loop:
    // after it, the same code made the loop as slow again (8.2 µs).
    if (k & 1) {
      const s = v128.load32_splat(aq);
      x0 = madd(s, v128.load(bq), x0); x1 = madd(s, v128.load(bq, 16), x1);
      x2 = madd(s, v128.load(bq, 32), x2); x3 = madd(s, v128.load(bq, 48), x3);
      x4 = madd(s, v128.load(bq, 64), x4); x5 = madd(s, v128.load(bq, 80), x5);
      x6 = madd(s, v128.load(bq, 96), x6); x7 = madd(s, v128.load(bq, 112), x7);
      bq += rowBytes;
      aq += astep;
      p = 1;
    }
    for (; p + 2 <= k; p += 2) {
      let s = v128.load32_splat(aq);
      x0 = madd(s, v128.load(bq), x0); x1 = madd(s, v128.load(bq, 16), x1);
      x2 = madd(s, v128.load(bq, 32), x2); x3 = madd(s, v128.load(bq, 48), x3);
      x4 = madd(s, v128.load(bq, 64), x4); x5 = madd(s, v128.load(bq, 80), x5);
      x6 = madd(s, v128.load(bq, 96), x6); x7 = madd(s, v128.load(bq, 112), x7);
      bq += rowBytes;
      s = v128.load32_splat(aq + astep);
      x0 = madd(s, v128.load(bq), x0); x1 = madd(s, v128.load(bq, 16), x1);
      x2 = madd(s, v128.load(bq, 32), x2); x3 = madd(s, v128.load(bq, 48), x3);
      x4 = madd(s, v128.load(bq, 64), x4); x5 = madd(s, v128.load(bq, 80), x5);
      x6 = madd(s, v128.load(bq, 96), x6); x7 = madd(s, v128.load(bq, 112), x7);
      bq += rowBytes;
      aq += astep << 1;
    }
    v128.store(c0, x0); v128.store(c0, x1, 16); v128.store(c0, x2, 32); v128.store(c0, x3, 48);
    v128.store(c0, x4, 64); v128.store(c0, x5, 80); v128.store(c0, x6, 96); v128.store(c0, x7, 112);
  }
  for (; j + 4 <= n; j += 4) {
    const c0 = c + (<usize>j << 2);
    let x0 = accumulate ? v128.load(c0) : f32x4.splat(0);
    let bq = b + (<usize>j << 2);
    let aq = a;
    for (let p = 0; p < k; p++) {
      x0 = madd(v128.load32_splat(aq), v128.load(bq), x0);
      bq += rowBytes;
      aq += astep;
    }
    v128.store(c0, x0);
  }
  for (; j < n; j++) {
    const c0 = c + (<usize>j << 2);
    let x: f32 = accumulate ? load<f32>(c0) : 0;
    let bq = b + (<usize>j << 2);
    let aq = a;
    for (let p = 0; p < k; p++) {
      x += load<f32>(aq) * load<f32>(bq);
      bq += rowBytes;
      aq += astep;
    }
    store<f32>(c0, x);
  }
}

/**
 * float32 GEMM over the block [i0, i1) × [j0, j1) of C (all of it: 0, m, 0, n). `panel` is scratch
 * of at least k·32 + 128 bytes, 16-byte aligned, owned by the calling thread. Each element's sum
 * runs over p in the same order whatever tile computes it, so any split of the rows at multiples
 * of 4 or of the columns at multiples of 8 gives the single-thread results bit for bit. (A one-row
 * product is never split by columns: its scalar tail columns would then change.)
 */
export function gemmF32(
  transA: bool, transB: bool, m: i32, n: i32, k: i32,
  a: usize, b: usize, c: usize, accumulate: bool, panel: usize, i0: i32, i1: i32, j0: i32, j1: i32,
): void {
  const ai = transA ? 1 : k;
  const ap = transA ? m : 1;
  const t = panel + (<usize>k << 5);
  if (k == 0) {
    if (!accumulate) for (let i = i0; i < i1; i++) memory.fill(c + ((<usize>i * n + j0) << 2), 0, <usize>(j1 - j0) << 2);
    return;
  }
  if (m == 1 && !transB) {
    gemvF32(j1 - j0, n, k, a, <usize>ap << 2, b + (<usize>j0 << 2), c + (<usize>j0 << 2), accumulate);
    return;
  }
  const direct = !transB && m < 16;
  for (let j = j0; j < j1; j += 8) {
    const w = min(8, n - j);
    let bp: usize = panel;
    let ldb: usize = 32;
    if (direct && w == 8) {
      bp = b + (<usize>j << 2);
      ldb = <usize>n << 2;
    } else {
      packF32(transB, n, k, b, j, w, panel);
    }
    let i = i0;
    if (transA && w == 8) {
      // The 4×8 tiles below finish the rows (fewer than five) that are left.
      for (; i + 5 <= i1; i += 5) tileF32T5(i, j, m, n, k, a, bp, ldb, c, accumulate, transB);
    }
    for (; i < i1; i += 4) {
      tileF32(i, min(4, i1 - i), j, w, m, n, k, a, ai, ap, bp, ldb, c, accumulate, transB, t);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// float64: 4×4 register tile (8 f64x2 accumulators), same structure

function packF64(transB: bool, n: i32, k: i32, b: usize, j: i32, w: i32, panel: usize): void {
  if (!transB && w == 4) {
    let src = b + (<usize>j << 3);
    const stride = <usize>n << 3;
    for (let p = 0; p < k; p++) {
      const dst = panel + (<usize>p << 5);
      v128.store(dst, v128.load(src));
      v128.store(dst, v128.load(src, 16), 16);
      src += stride;
    }
    return;
  }
  for (let p = 0; p < k; p++) {
    const dst = panel + (<usize>p << 5);
    v128.store(dst, f64x2.splat(0));
    v128.store(dst, f64x2.splat(0), 16);
    if (transB) {
      for (let jj = 0; jj < w; jj++) store<f64>(dst + (<usize>jj << 3), load<f64>(b + ((<usize>(j + jj) * k + p) << 3)));
    } else {
      const src = b + ((<usize>p * n + j) << 3);
      for (let jj = 0; jj < w; jj++) store<f64>(dst + (<usize>jj << 3), load<f64>(src + (<usize>jj << 3)));
    }
  }
}

function readTileF64(c0: usize, rowBytes: usize, h: i32, w: i32, t: usize): void {
  for (let r = 0; r < 4; r++) {
    for (let q = 0; q < 4; q++) {
      const v: f64 = r < h && q < w ? load<f64>(c0 + <usize>r * rowBytes + (<usize>q << 3)) : 0;
      store<f64>(t + (<usize>(r * 4 + q) << 3), v);
    }
  }
}

function tileF64(
  i: i32, h: i32, j: i32, w: i32, m: i32, n: i32, k: i32,
  a: usize, ai: i32, ap: i32, bp: usize, ldb: usize, c: usize, accumulate: bool, addLast: bool, t: usize,
): void {
  const r1 = min(i + 1, m - 1);
  const r2 = min(i + 2, m - 1);
  const r3 = min(i + 3, m - 1);
  let a0 = a + (<usize>(i * ai) << 3);
  let a1 = a + (<usize>(r1 * ai) << 3);
  let a2 = a + (<usize>(r2 * ai) << 3);
  let a3 = a + (<usize>(r3 * ai) << 3);
  const astep = <usize>ap << 3;
  const full = h == 4 && w == 4;
  const c0 = c + ((<usize>i * n + j) << 3);
  const rowBytes = <usize>n << 3;

  let x00 = f64x2.splat(0), x01 = f64x2.splat(0);
  let x10 = f64x2.splat(0), x11 = f64x2.splat(0);
  let x20 = f64x2.splat(0), x21 = f64x2.splat(0);
  let x30 = f64x2.splat(0), x31 = f64x2.splat(0);
  if (accumulate && !addLast) {
    if (full) {
      x00 = v128.load(c0); x01 = v128.load(c0, 16);
      x10 = v128.load(c0 + rowBytes); x11 = v128.load(c0 + rowBytes, 16);
      x20 = v128.load(c0 + 2 * rowBytes); x21 = v128.load(c0 + 2 * rowBytes, 16);
      x30 = v128.load(c0 + 3 * rowBytes); x31 = v128.load(c0 + 3 * rowBytes, 16);
    } else {
      readTileF64(c0, rowBytes, h, w, t);
      x00 = v128.load(t); x01 = v128.load(t, 16);
      x10 = v128.load(t, 32); x11 = v128.load(t, 48);
      x20 = v128.load(t, 64); x21 = v128.load(t, 80);
      x30 = v128.load(t, 96); x31 = v128.load(t, 112);
    }
  }
  let bq = bp;
  for (let p = 0; p < k; p++) {
    const b0 = v128.load(bq);
    const b1 = v128.load(bq, 16);
    bq += ldb;
    let s = v128.load64_splat(a0);
    x00 = f64x2.add(x00, f64x2.mul(s, b0));
    x01 = f64x2.add(x01, f64x2.mul(s, b1));
    s = v128.load64_splat(a1);
    x10 = f64x2.add(x10, f64x2.mul(s, b0));
    x11 = f64x2.add(x11, f64x2.mul(s, b1));
    s = v128.load64_splat(a2);
    x20 = f64x2.add(x20, f64x2.mul(s, b0));
    x21 = f64x2.add(x21, f64x2.mul(s, b1));
    s = v128.load64_splat(a3);
    x30 = f64x2.add(x30, f64x2.mul(s, b0));
    x31 = f64x2.add(x31, f64x2.mul(s, b1));
    a0 += astep; a1 += astep; a2 += astep; a3 += astep;
  }
  if (accumulate && addLast) {
    readTileF64(c0, rowBytes, h, w, t);
    x00 = f64x2.add(v128.load(t), x00); x01 = f64x2.add(v128.load(t, 16), x01);
    x10 = f64x2.add(v128.load(t, 32), x10); x11 = f64x2.add(v128.load(t, 48), x11);
    x20 = f64x2.add(v128.load(t, 64), x20); x21 = f64x2.add(v128.load(t, 80), x21);
    x30 = f64x2.add(v128.load(t, 96), x30); x31 = f64x2.add(v128.load(t, 112), x31);
  }
  if (full) {
    v128.store(c0, x00); v128.store(c0, x01, 16);
    v128.store(c0 + rowBytes, x10); v128.store(c0 + rowBytes, x11, 16);
    v128.store(c0 + 2 * rowBytes, x20); v128.store(c0 + 2 * rowBytes, x21, 16);
    v128.store(c0 + 3 * rowBytes, x30); v128.store(c0 + 3 * rowBytes, x31, 16);
  } else {
    v128.store(t, x00); v128.store(t, x01, 16);
    v128.store(t, x10, 32); v128.store(t, x11, 48);
    v128.store(t, x20, 64); v128.store(t, x21, 80);
    v128.store(t, x30, 96); v128.store(t, x31, 112);
    for (let r = 0; r < h; r++) {
      for (let q = 0; q < w; q++) {
        store<f64>(c0 + <usize>r * rowBytes + (<usize>q << 3), load<f64>(t + (<usize>(r * 4 + q) << 3)));
      }
    }
  }
}

/**
 * float64 GEMM over the block [i0, i1) × [j0, j1) of C (all of it: 0, m, 0, n). `panel` is scratch
 * of at least k·32 + 128 bytes, 16-byte aligned, owned by the calling thread; i0 must be a multiple
 * of 4 and j0 of 4 so every thread computes exactly the tiles a single thread would (same
 * results, bit for bit).
 */
export function gemmF64(
  transA: bool, transB: bool, m: i32, n: i32, k: i32,
  a: usize, b: usize, c: usize, accumulate: bool, panel: usize, i0: i32, i1: i32, j0: i32, j1: i32,
): void {
  const ai = transA ? 1 : k;
  const ap = transA ? m : 1;
  const t = panel + (<usize>k << 5);
  if (k == 0) {
    if (!accumulate) for (let i = i0; i < i1; i++) memory.fill(c + ((<usize>i * n + j0) << 3), 0, <usize>(j1 - j0) << 3);
    return;
  }
  const direct = !transB && m < 16;
  for (let j = j0; j < j1; j += 4) {
    const w = min(4, n - j);
    let bp: usize = panel;
    let ldb: usize = 32;
    if (direct && w == 4) {
      bp = b + (<usize>j << 3);
      ldb = <usize>n << 3;
    } else {
      packF64(transB, n, k, b, j, w, panel);
    }
    for (let i = i0; i < i1; i += 4) {
      tileF64(i, min(4, i1 - i), j, w, m, n, k, a, ai, ap, bp, ldb, c, accumulate, transB, t);
    }
  }
}
