// AssemblyScript source of the convolution kernels: im2col, col2im, and the three passes of a
// convolution that keep the patch matrix in linear memory (compiled with gemm.ts by
// scripts/build-wasm.mjs, exported through index.ts).
//
// src/im2col.ts holds the reference loops; these follow them exactly. im2col is a pure gather (a
// byte copy, so one function serves both dtypes). col2im adds each patch element into the input
// position it was read from, in the reference loop's order — patch rows in increasing order, so
// every input element receives its terms in increasing row order — with one rounded add per term
// (f32.add rounds exactly as JavaScript's double add then fround), so sums are bit-identical.
//
// A geometry is the 13 numbers of a ConvGeometry, as i32 at `g` (written by writeGeometry in
// src/wasm-backend.ts, in this order).

import { gemmF32, gemmF64 } from "./gemm";

// @ts-ignore: decorator
@inline const G_IN_HEIGHT: usize = 0;
// @ts-ignore: decorator
@inline const G_IN_WIDTH: usize = 4;
// @ts-ignore: decorator
@inline const G_CHANNELS: usize = 8;
// @ts-ignore: decorator
@inline const G_KERNEL_HEIGHT: usize = 12;
// @ts-ignore: decorator
@inline const G_KERNEL_WIDTH: usize = 16;
// @ts-ignore: decorator
@inline const G_STRIDE_HEIGHT: usize = 20;
// @ts-ignore: decorator
@inline const G_STRIDE_WIDTH: usize = 24;
// @ts-ignore: decorator
@inline const G_DILATION_HEIGHT: usize = 28;
// @ts-ignore: decorator
@inline const G_DILATION_WIDTH: usize = 32;
// @ts-ignore: decorator
@inline const G_PAD_TOP: usize = 36;
// @ts-ignore: decorator
@inline const G_PAD_LEFT: usize = 40;
// @ts-ignore: decorator
@inline const G_OUT_HEIGHT: usize = 44;
// @ts-ignore: decorator
@inline const G_OUT_WIDTH: usize = 48;

// NOTE: the gather writes whole v128s and lets the last one of a run spill up to 15 bytes past it.
// The patch matrix is written strictly in increasing address order and every write starts where
// the previous run ended and stores at least 16 bytes, so it overwrites the spill (and leaves at
// most 15 bytes of its own): only the spill after the last row remains, which is why the caller
// leaves 16 bytes of slack after the output (and after the image, for the loads). A run of 5
// float32 (a 5-wide kernel on one channel) is then two v128 copies, not a vector plus a scalar.

// @ts-ignore: decorator
@inline function zeroBytes(dst: usize, bytes: usize): usize {
  const end = dst + bytes;
  const z = i32x4.splat(0);
  do {
    v128.store(dst, z);
    dst += 16;
  } while (dst < end);
  return end;
}

// @ts-ignore: decorator
@inline function copyBytes(dst: usize, src: usize, bytes: usize): usize {
  const end = dst + bytes;
  do {
    v128.store(dst, v128.load(src));
    dst += 16;
    src += 16;
  } while (dst < end);
  return end;
}

/**
 * Rows [r0, r1) of the patch matrix of `x` (NHWC images, from sample 0), written from `out` on
 * (`out` holds row r0), elements of 1 << shift bytes. Same layout and zeros as src/im2col.ts.
 * Writes up to 15 bytes past the last row and reads up to 15 past a run of `x` (see above).
 */
export function im2col(g: usize, x: usize, out: usize, r0: i32, r1: i32, shift: i32): void {
  const H = load<i32>(g, G_IN_HEIGHT), W = load<i32>(g, G_IN_WIDTH), C = load<i32>(g, G_CHANNELS);
  const KH = load<i32>(g, G_KERNEL_HEIGHT), KW = load<i32>(g, G_KERNEL_WIDTH);
  const SH = load<i32>(g, G_STRIDE_HEIGHT), SW = load<i32>(g, G_STRIDE_WIDTH);
  const DH = load<i32>(g, G_DILATION_HEIGHT), DW = load<i32>(g, G_DILATION_WIDTH);
  const padTop = load<i32>(g, G_PAD_TOP), padLeft = load<i32>(g, G_PAD_LEFT);
  const OH = load<i32>(g, G_OUT_HEIGHT), OW = load<i32>(g, G_OUT_WIDTH);
  const pixel = <usize>C << shift;
  const windowRow = <usize>KW * pixel;
  const imageRow = <usize>W * pixel;
  const sampleBytes = <usize>H * imageRow;
  const perSample = OH * OW;
  const b = r0 / perSample;
  let oy = (r0 - b * perSample) / OW;
  let ox = r0 - b * perSample - oy * OW;
  let sample = x + <usize>b * sampleBytes;
  let o = out;
  // Whole windows inside the image (every window of a "valid" convolution): KH runs of KW·C
  // elements DH image rows apart when DW is 1, with no bounds to check per tap.
  const spanH = (KH - 1) * DH;
  const spanW = (KW - 1) * DW;
  const rowStep = <usize>DH * imageRow;
  for (let r = r0; r < r1; r++) {
    const y0 = oy * SH - padTop;
    const x0 = ox * SW - padLeft;
    if (DW == 1 && y0 >= 0 && y0 + spanH < H && x0 >= 0 && x0 + spanW < W) {
      let src = sample + <usize>y0 * imageRow + <usize>x0 * pixel;
      // A short window row is one or two v128s (a 5-wide kernel on 1 channel: 20 bytes); either
      // way the spill stays under 16 bytes.
      if (windowRow <= 16) {
        for (let ky = 0; ky < KH; ky++, src += rowStep) {
          v128.store(o, v128.load(src));
          o += windowRow;
        }
      } else if (windowRow <= 32) {
        for (let ky = 0; ky < KH; ky++, src += rowStep) {
          v128.store(o, v128.load(src));
          v128.store(o, v128.load(src, 16), 16);
          o += windowRow;
        }
      } else {
        for (let ky = 0; ky < KH; ky++, src += rowStep) o = copyBytes(o, src, windowRow);
      }
    } else {
      // The taps kx in [kx0, kx1) land inside the row: x0 + kx·DW in [0, W).
      let kx0 = 0;
      let kx1 = KW;
      if (x0 < 0) kx0 = min(KW, (DW - 1 - x0) / DW);
      if (x0 + spanW >= W) kx1 = W > x0 ? max(kx0, min(KW, (W - x0 + DW - 1) / DW)) : kx0;
      const lead = <usize>kx0 * pixel;
      const run = <usize>(kx1 - kx0) * pixel;
      const trail = <usize>(KW - kx1) * pixel;
      let y = y0;
      for (let ky = 0; ky < KH; ky++, y += DH) {
        if (<u32>y >= <u32>H || run == 0) {
          o = zeroBytes(o, windowRow);
          continue;
        }
        if (lead) o = zeroBytes(o, lead);
        const row = sample + <usize>y * imageRow;
        if (DW == 1) {
          o = copyBytes(o, row + <usize>(x0 + kx0) * pixel, run);
        } else {
          for (let kx = kx0; kx < kx1; kx++) o = copyBytes(o, row + <usize>(x0 + kx * DW) * pixel, pixel);
        }
        if (trail) o = zeroBytes(o, trail);
      }
    }
    if (++ox == OW) {
      ox = 0;
      if (++oy == OH) {
        oy = 0;
        sample += sampleBytes;
      }
    }
  }
}

// dst[0..n) += src[0..n), element by element (one rounded add each, as the reference loop).
// @ts-ignore: decorator
@inline function addRun<T>(dst: usize, src: usize, n: i32): void {
  let i = 0;
  if (sizeof<T>() == 4) {
    for (; i + 4 <= n; i += 4, dst += 16, src += 16) v128.store(dst, f32x4.add(v128.load(dst), v128.load(src)));
  } else {
    for (; i + 2 <= n; i += 2, dst += 16, src += 16) v128.store(dst, f64x2.add(v128.load(dst), v128.load(src)));
  }
  for (; i < n; i++, dst += sizeof<T>(), src += sizeof<T>()) store<T>(dst, load<T>(dst) + load<T>(src));
}

/**
 * Adds rows [r0, r1) of a patch-matrix gradient (`p` holds row r0) into the images `dx` (sample
 * 0 on), which the caller zeroed before the first row. Rows must come in increasing order across
 * calls for the sums to match the reference.
 */
// @ts-ignore: decorator
@inline function col2imRows<T>(g: usize, p: usize, dx: usize, r0: i32, r1: i32): void {
  const H = load<i32>(g, G_IN_HEIGHT), W = load<i32>(g, G_IN_WIDTH), C = load<i32>(g, G_CHANNELS);
  const KH = load<i32>(g, G_KERNEL_HEIGHT), KW = load<i32>(g, G_KERNEL_WIDTH);
  const SH = load<i32>(g, G_STRIDE_HEIGHT), SW = load<i32>(g, G_STRIDE_WIDTH);
  const DH = load<i32>(g, G_DILATION_HEIGHT), DW = load<i32>(g, G_DILATION_WIDTH);
  const padTop = load<i32>(g, G_PAD_TOP), padLeft = load<i32>(g, G_PAD_LEFT);
  const OH = load<i32>(g, G_OUT_HEIGHT), OW = load<i32>(g, G_OUT_WIDTH);
  const pixel = <usize>C * sizeof<T>();
  const windowRow = <usize>KW * pixel;
  const imageRow = <usize>W * pixel;
  const sampleBytes = <usize>H * imageRow;
  const perSample = OH * OW;
  const b = r0 / perSample;
  let oy = (r0 - b * perSample) / OW;
  let ox = r0 - b * perSample - oy * OW;
  let sample = dx + <usize>b * sampleBytes;
  let s = p;
  const spanH = (KH - 1) * DH;
  const spanW = (KW - 1) * DW;
  const rowStep = <usize>DH * imageRow;
  const windowCount = KW * C;
  for (let r = r0; r < r1; r++) {
    const y0 = oy * SH - padTop;
    const x0 = ox * SW - padLeft;
    if (DW == 1 && y0 >= 0 && y0 + spanH < H && x0 >= 0 && x0 + spanW < W) {
      // The whole window inside the image: KH runs of KW·C elements, DH image rows apart.
      let dst = sample + <usize>y0 * imageRow + <usize>x0 * pixel;
      for (let ky = 0; ky < KH; ky++, dst += rowStep, s += windowRow) addRun<T>(dst, s, windowCount);
    } else {
      let kx0 = 0;
      let kx1 = KW;
      if (x0 < 0) kx0 = min(KW, (DW - 1 - x0) / DW);
      if (x0 + spanW >= W) kx1 = W > x0 ? max(kx0, min(KW, (W - x0 + DW - 1) / DW)) : kx0;
      const lead = <usize>kx0 * pixel;
      const count = (kx1 - kx0) * C;
      const trail = <usize>(KW - kx1) * pixel;
      let y = y0;
      for (let ky = 0; ky < KH; ky++, y += DH) {
        if (<u32>y >= <u32>H || count == 0) {
          s += windowRow;
          continue;
        }
        s += lead;
        const row = sample + <usize>y * imageRow;
        if (DW == 1) {
          addRun<T>(row + <usize>(x0 + kx0) * pixel, s, count);
          s += <usize>count * sizeof<T>();
        } else {
          for (let kx = kx0; kx < kx1; kx++) {
            addRun<T>(row + <usize>(x0 + kx * DW) * pixel, s, C);
            s += pixel;
          }
        }
        s += trail;
      }
    }
    if (++ox == OW) {
      ox = 0;
      if (++oy == OH) {
        oy = 0;
        sample += sampleBytes;
      }
    }
  }
}

/** float32 col2im over rows [r0, r1); see col2imRows. */
export function col2imF32(g: usize, p: usize, dx: usize, r0: i32, r1: i32): void {
  col2imRows<f32>(g, p, dx, r0, r1);
}

/** float64 col2im over rows [r0, r1); see col2imRows. */
export function col2imF64(g: usize, p: usize, dx: usize, r0: i32, r1: i32): void {
  col2imRows<f64>(g, p, dx, r0, r1);
}

// ---------------------------------------------------------------------------------------------
// The three passes of a convolution with the patch matrix P = im2col(x) kept in linear memory:
// P is made `chunk` rows at a time into `scratch` (16-byte aligned, chunk·taps elements plus 16
// bytes) and consumed by the GEMM while it is still in cache. Each runs exactly the GEMM calls of
// the unfused product, restricted to a range of rows (forward, input gradient: the threaded
// backend's split, where each element's sum is the same instructions in the same order) or of p
// (kernel gradient: every chunk after the first accumulates onto C, and the vector accumulators
// hold exactly the stored f32/f64 value, so stopping and reloading changes no bit). `chunk` is a
// multiple of 4, the tile height, so no chunk ends in a partial tile. `panel` is the GEMM's scratch.

// @ts-ignore: decorator
@inline function gemm<T>(
  transA: bool, transB: bool, m: i32, n: i32, k: i32,
  a: usize, b: usize, c: usize, accumulate: bool, panel: usize, i0: i32, i1: i32,
): void {
  if (sizeof<T>() == 4) gemmF32(transA, transB, m, n, k, a, b, c, accumulate, panel, i0, i1);
  else gemmF64(transA, transB, m, n, k, a, b, c, accumulate, panel, i0, i1);
}

// c[i0..i1) rows += bias (one rounded add per element, as addRowVector).
// @ts-ignore: decorator
@inline function addBias<T>(c: usize, bias: usize, n: i32, i0: i32, i1: i32): void {
  const rowBytes = <usize>n * sizeof<T>();
  let row = c + <usize>i0 * rowBytes;
  for (let i = i0; i < i1; i++, row += rowBytes) addRun<T>(row, bias, n);
}

// @ts-ignore: decorator
@inline function taps(g: usize): i32 {
  return load<i32>(g, G_KERNEL_HEIGHT) * load<i32>(g, G_KERNEL_WIDTH) * load<i32>(g, G_CHANNELS);
}

// @ts-ignore: decorator
@inline function rowsOf(g: usize, batch: i32): i32 {
  return batch * load<i32>(g, G_OUT_HEIGHT) * load<i32>(g, G_OUT_WIDTH);
}

// Forward: C = P·W (+ bias), rows [i0, i1) of C (all: 0, rows). W is taps×n.
// @ts-ignore: decorator
@inline function forward<T>(
  g: usize, batch: i32, x: usize, w: usize, bias: usize, c: usize, n: i32,
  scratch: usize, chunk: i32, panel: usize, i0: i32, i1: i32,
): void {
  const k = taps(g);
  const m = rowsOf(g, batch);
  const shift: i32 = sizeof<T>() == 4 ? 2 : 3;
  for (let r0 = i0; r0 < i1; r0 += chunk) {
    const r1 = min(i1, r0 + chunk);
    im2col(g, x, scratch, r0, r1, shift);
    // Row i of P is at scratch + (i − r0)·k: the GEMM indexes A from row 0 (wrapping is fine).
    gemm<T>(false, false, m, n, k, scratch - ((<usize>r0 * k) << shift), w, c, false, panel, r0, r1);
    if (bias) addBias<T>(c, bias, n, r0, r1);
  }
}

/** float32 forward pass: rows [i0, i1) of C = im2col(x)·W (+ bias when `bias` is not 0). */
export function convForwardF32(
  g: usize, batch: i32, x: usize, w: usize, bias: usize, c: usize, n: i32,
  scratch: usize, chunk: i32, panel: usize, i0: i32, i1: i32,
): void {
  forward<f32>(g, batch, x, w, bias, c, n, scratch, chunk, panel, i0, i1);
}

/** float64 forward pass; see convForwardF32. */
export function convForwardF64(
  g: usize, batch: i32, x: usize, w: usize, bias: usize, c: usize, n: i32,
  scratch: usize, chunk: i32, panel: usize, i0: i32, i1: i32,
): void {
  forward<f64>(g, batch, x, w, bias, c, n, scratch, chunk, panel, i0, i1);
}

// Kernel gradient: C (+)= Pᵀ·D, C taps×n, D rows×n; the sum over rows runs in chunks.
// @ts-ignore: decorator
@inline function kernelGradient<T>(
  g: usize, batch: i32, x: usize, d: usize, c: usize, n: i32, accumulate: bool,
  scratch: usize, chunk: i32, panel: usize,
): void {
  const m = taps(g);
  const rows = rowsOf(g, batch);
  const shift: i32 = sizeof<T>() == 4 ? 2 : 3;
  for (let p0 = 0; p0 < rows; p0 += chunk) {
    const p1 = min(rows, p0 + chunk);
    im2col(g, x, scratch, p0, p1, shift);
    gemm<T>(true, false, m, n, p1 - p0, scratch, d + ((<usize>p0 * n) << shift), c, accumulate || p0 > 0, panel, 0, m);
  }
}

/** float32 kernel gradient: C = im2col(x)ᵀ·D, or C += … when `accumulate`. */
export function convKernelGradientF32(
  g: usize, batch: i32, x: usize, d: usize, c: usize, n: i32, accumulate: bool,
  scratch: usize, chunk: i32, panel: usize,
): void {
  kernelGradient<f32>(g, batch, x, d, c, n, accumulate, scratch, chunk, panel);
}

/** float64 kernel gradient; see convKernelGradientF32. */
export function convKernelGradientF64(
  g: usize, batch: i32, x: usize, d: usize, c: usize, n: i32, accumulate: bool,
  scratch: usize, chunk: i32, panel: usize,
): void {
  kernelGradient<f64>(g, batch, x, d, c, n, accumulate, scratch, chunk, panel);
}

// Input gradient: dx = col2im(D·Wᵀ), D rows×n, W taps×n; dx is zeroed here.
// @ts-ignore: decorator
@inline function inputGradient<T>(
  g: usize, batch: i32, d: usize, w: usize, dx: usize, n: i32,
  scratch: usize, chunk: i32, panel: usize,
): void {
  const k = taps(g);
  const rows = rowsOf(g, batch);
  const shift: i32 = sizeof<T>() == 4 ? 2 : 3;
  const images = <usize>batch * load<i32>(g, G_IN_HEIGHT) * load<i32>(g, G_IN_WIDTH) * load<i32>(g, G_CHANNELS);
  memory.fill(dx, 0, images << shift);
  for (let r0 = 0; r0 < rows; r0 += chunk) {
    const r1 = min(rows, r0 + chunk);
    gemm<T>(false, true, rows, k, n, d, w, scratch - ((<usize>r0 * k) << shift), false, panel, r0, r1);
    col2imRows<T>(g, scratch, dx, r0, r1);
  }
}

/** float32 input gradient: dx = col2im(D·Wᵀ). */
export function convInputGradientF32(
  g: usize, batch: i32, d: usize, w: usize, dx: usize, n: i32,
  scratch: usize, chunk: i32, panel: usize,
): void {
  inputGradient<f32>(g, batch, d, w, dx, n, scratch, chunk, panel);
}

/** float64 input gradient; see convInputGradientF32. */
export function convInputGradientF64(
  g: usize, batch: i32, d: usize, w: usize, dx: usize, n: i32,
  scratch: usize, chunk: i32, panel: usize,
): void {
  inputGradient<f64>(g, batch, d, w, dx, n, scratch, chunk, panel);
}
