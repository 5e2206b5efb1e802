// AssemblyScript source of the row-vector kernels of a layer's bias: the bias add
// `out[i, j] = a[i, j] + v[j]` and the bias gradient `out[j] (+)= Σᵢ a[i, j]` (compiled with gemm.ts
// and conv.ts by scripts/build-wasm.mjs, exported through index.ts).
//
// src/ops.ts holds the reference loops (addRowVector, sumColumns); these give their bits. The add is
// one rounded add per element, order-free. The column sums add each column's terms in increasing
// row order into one running sum that starts from +0 (or from the old out[j] when accumulating)
// and is rounded to the element type after every add — f32.add rounds exactly as JavaScript's
// double add then Math.fround, which is what the float32 reference does — so the sums are
// bit-identical. Vectorizing across columns keeps that order: a lane is one column.
//
// Matrices are row-major, `rows`×`cols`, at byte addresses; `out` may equal `a` for the add.

/**
 * Rows of a panel of the column sums: about 32 KiB of `a`, so a wide matrix, swept once per block
 * of columns, is read from memory once and from L1 for the other blocks.
 */
// @ts-ignore: decorator
@inline function panelRows(rowBytes: i32): i32 {
  return max(1, (32 * 1024) / rowBytes);
}

/** `out = a + v` row by row, float32; `out` may be `a`. */
export function addRowVectorF32(rows: i32, cols: i32, a: usize, v: usize, out: usize): void {
  const rowBytes = <usize>cols << 2;
  const vecEnd = <usize>(cols & ~3) << 2;
  for (let i = 0; i < rows; i++) {
    let j: usize = 0;
    // The vector's lanes come from L1 every row: cheaper than keeping a wide bias in registers.
    for (; j < vecEnd; j += 16) v128.store(out + j, f32x4.add(v128.load(a + j), v128.load(v + j)));
    for (; j < rowBytes; j += 4) store<f32>(out + j, load<f32>(a + j) + load<f32>(v + j));
    a += rowBytes;
    out += rowBytes;
  }
}

/** `out = a + v` row by row, float64; `out` may be `a`. */
export function addRowVectorF64(rows: i32, cols: i32, a: usize, v: usize, out: usize): void {
  const rowBytes = <usize>cols << 3;
  const vecEnd = <usize>(cols & ~1) << 3;
  for (let i = 0; i < rows; i++) {
    let j: usize = 0;
    for (; j < vecEnd; j += 16) v128.store(out + j, f64x2.add(v128.load(a + j), v128.load(v + j)));
    for (; j < rowBytes; j += 8) store<f64>(out + j, load<f64>(a + j) + load<f64>(v + j));
    a += rowBytes;
    out += rowBytes;
  }
}

/**
 * Column sums of float32 `a` into `out` (1×cols): from +0, or from `out`'s values when
 * `accumulate`. Blocks of 16, 8, 4 and 1 columns, each a running sum per lane held in registers over
 * a panel of rows (four independent accumulators hide the add latency of a narrow matrix).
 */
export function sumColumnsF32(rows: i32, cols: i32, a: usize, out: usize, accumulate: i32): void {
  if (!accumulate) memory.fill(out, 0, <usize>cols << 2);
  const rowBytes = <usize>cols << 2;
  const panel = panelRows(<i32>rowBytes);
  for (let r0 = 0; r0 < rows; r0 += panel) {
    const r1 = min(rows, r0 + panel);
    const base = a + <usize>r0 * rowBytes;
    let j: usize = 0;
    for (; j + 64 <= rowBytes; j += 64) {
      let s0 = v128.load(out + j), s1 = v128.load(out + j, 16);
      let s2 = v128.load(out + j, 32), s3 = v128.load(out + j, 48);
      let p = base + j;
      for (let i = r0; i < r1; i++) {
        s0 = f32x4.add(s0, v128.load(p));
        s1 = f32x4.add(s1, v128.load(p, 16));
        s2 = f32x4.add(s2, v128.load(p, 32));
        s3 = f32x4.add(s3, v128.load(p, 48));
        p += rowBytes;
      }
      v128.store(out + j, s0);
      v128.store(out + j, s1, 16);
      v128.store(out + j, s2, 32);
      v128.store(out + j, s3, 48);
    }
    // A narrow bias (8 float32, 4 float64) is one sweep with two independent sums.
    for (; j + 32 <= rowBytes; j += 32) {
      let s0 = v128.load(out + j), s1 = v128.load(out + j, 16);
      let p = base + j;
      for (let i = r0; i < r1; i++) {
        s0 = f32x4.add(s0, v128.load(p));
        s1 = f32x4.add(s1, v128.load(p, 16));
        p += rowBytes;
      }
      v128.store(out + j, s0);
      v128.store(out + j, s1, 16);
    }
    for (; j + 16 <= rowBytes; j += 16) {
      let s = v128.load(out + j);
      let p = base + j;
      for (let i = r0; i < r1; i++) {
        s = f32x4.add(s, v128.load(p));
        p += rowBytes;
      }
      v128.store(out + j, s);
    }
    for (; j < rowBytes; j += 4) {
      let s = load<f32>(out + j);
      let p = base + j;
      for (let i = r0; i < r1; i++) {
        s += load<f32>(p);
        p += rowBytes;
      }
      store<f32>(out + j, s);
    }
  }
}

/** Column sums of float64 `a` into `out`, as {@link sumColumnsF32} with blocks of 8, 4, 2 and 1 columns. */
export function sumColumnsF64(rows: i32, cols: i32, a: usize, out: usize, accumulate: i32): void {
  if (!accumulate) memory.fill(out, 0, <usize>cols << 3);
  const rowBytes = <usize>cols << 3;
  const panel = panelRows(<i32>rowBytes);
  for (let r0 = 0; r0 < rows; r0 += panel) {
    const r1 = min(rows, r0 + panel);
    const base = a + <usize>r0 * rowBytes;
    let j: usize = 0;
    for (; j + 64 <= rowBytes; j += 64) {
      let s0 = v128.load(out + j), s1 = v128.load(out + j, 16);
      let s2 = v128.load(out + j, 32), s3 = v128.load(out + j, 48);
      let p = base + j;
      for (let i = r0; i < r1; i++) {
        s0 = f64x2.add(s0, v128.load(p));
        s1 = f64x2.add(s1, v128.load(p, 16));
        s2 = f64x2.add(s2, v128.load(p, 32));
        s3 = f64x2.add(s3, v128.load(p, 48));
        p += rowBytes;
      }
      v128.store(out + j, s0);
      v128.store(out + j, s1, 16);
      v128.store(out + j, s2, 32);
      v128.store(out + j, s3, 48);
    }
    // A narrow bias (8 float32, 4 float64) is one sweep with two independent sums.
    for (; j + 32 <= rowBytes; j += 32) {
      let s0 = v128.load(out + j), s1 = v128.load(out + j, 16);
      let p = base + j;
      for (let i = r0; i < r1; i++) {
        s0 = f64x2.add(s0, v128.load(p));
        s1 = f64x2.add(s1, v128.load(p, 16));
        p += rowBytes;
      }
      v128.store(out + j, s0);
      v128.store(out + j, s1, 16);
    }
    for (; j + 16 <= rowBytes; j += 16) {
      let s = v128.load(out + j);
      let p = base + j;
      for (let i = r0; i < r1; i++) {
        s = f64x2.add(s, v128.load(p));
        p += rowBytes;
      }
      v128.store(out + j, s);
    }
    for (; j < rowBytes; j += 8) {
      let s = load<f64>(out + j);
      let p = base + j;
      for (let i = r0; i < r1; i++) {
        s += load<f64>(p);
        p += rowBytes;
      }
      store<f64>(out + j, s);
    }
  }
}

/**
 * `out[i, j] = f32((f64(a[i, j]) − f64(mean[j])) / std[j])` row by row (the Normalization layer's
 * arithmetic: float32 data and means, float64 standard deviations, a float64 subtract and divide,
 * one rounding when stored); `out` may be `a`. Two columns per f64x2 divide: the loop is bound by
 * the divider's throughput, twice the scalar loop's elements per divide.
 */
export function standardizeF32(rows: i32, cols: i32, a: usize, mean: usize, std: usize, out: usize): void {
  const rowBytes = <usize>cols << 2;
  const pairEnd = <usize>(cols & ~1) << 2;
  for (let i = 0; i < rows; i++) {
    let j: usize = 0;
    for (; j < pairEnd; j += 8) {
      const x = f64x2.promote_low_f32x4(v128.load64_zero(a + j));
      const m = f64x2.promote_low_f32x4(v128.load64_zero(mean + j));
      const q = f64x2.div(f64x2.sub(x, m), v128.load(std + (j << 1)));
      v128.store64_lane(out + j, f32x4.demote_f64x2_zero(q), 0);
    }
    for (; j < rowBytes; j += 4) {
      store<f32>(out + j, <f32>((<f64>load<f32>(a + j) - <f64>load<f32>(mean + j)) / load<f64>(std + (j << 1))));
    }
    a += rowBytes;
    out += rowBytes;
  }
}
