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

import { maxPoolOutputs, maxPoolValuesF32, reluF32, reluF64 } from "./elementwise";
import { gemmF32, gemmF64, madd } from "./gemm";

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
  if (sizeof<T>() == 4) gemmF32(transA, transB, m, n, k, a, b, c, accumulate, panel, i0, i1, 0, n);
  else gemmF64(transA, transB, m, n, k, a, b, c, accumulate, panel, i0, i1, 0, n);
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

// Forward: C = P·W (+ bias), rows [i0, i1) of C (all: 0, rows), then ReLU over those rows when
// `relu` (the bits of a separate ReLU pass). W is taps×n.
// @ts-ignore: decorator
@inline function forward<T>(
  g: usize, batch: i32, x: usize, w: usize, bias: usize, c: usize, n: i32,
  scratch: usize, chunk: i32, panel: usize, i0: i32, i1: i32, relu: bool,
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
    if (relu) {
      const rows = c + ((<usize>r0 * n) << shift);
      if (sizeof<T>() == 4) reluF32(rows, rows, (r1 - r0) * n);
      else reluF64(rows, rows, (r1 - r0) * n);
    }
  }
}

/** float32 forward pass: rows [i0, i1) of C = im2col(x)·W (+ bias when `bias` is not 0), ReLU'd when `relu`. */
export function convForwardF32(
  g: usize, batch: i32, x: usize, w: usize, bias: usize, c: usize, n: i32,
  scratch: usize, chunk: i32, panel: usize, i0: i32, i1: i32, relu: bool,
): void {
  forward<f32>(g, batch, x, w, bias, c, n, scratch, chunk, panel, i0, i1, relu);
}

/** float64 forward pass; see convForwardF32. */
export function convForwardF64(
  g: usize, batch: i32, x: usize, w: usize, bias: usize, c: usize, n: i32,
  scratch: usize, chunk: i32, panel: usize, i0: i32, i1: i32, relu: bool,
): void {
  forward<f64>(g, batch, x, w, bias, c, n, scratch, chunk, panel, i0, i1, relu);
}

// Kernel gradient: rows [i0, i1) of C (+)= Pᵀ·D, C taps×n, D rows×n; the sum over rows runs in
// chunks. A thread given a range of taps still gathers every patch row (its chunks are whole rows).
// @ts-ignore: decorator
@inline function kernelGradient<T>(
  g: usize, batch: i32, x: usize, d: usize, c: usize, n: i32, accumulate: bool,
  scratch: usize, chunk: i32, panel: usize, i0: i32, i1: i32,
): void {
  const m = taps(g);
  const rows = rowsOf(g, batch);
  const shift: i32 = sizeof<T>() == 4 ? 2 : 3;
  for (let p0 = 0; p0 < rows; p0 += chunk) {
    const p1 = min(rows, p0 + chunk);
    im2col(g, x, scratch, p0, p1, shift);
    gemm<T>(true, false, m, n, p1 - p0, scratch, d + ((<usize>p0 * n) << shift), c, accumulate || p0 > 0, panel, i0, i1);
  }
}

/** float32 kernel gradient: rows [i0, i1) of C = im2col(x)ᵀ·D (all: 0, taps), or C += … when `accumulate`. */
export function convKernelGradientF32(
  g: usize, batch: i32, x: usize, d: usize, c: usize, n: i32, accumulate: bool,
  scratch: usize, chunk: i32, panel: usize, i0: i32, i1: i32,
): void {
  kernelGradient<f32>(g, batch, x, d, c, n, accumulate, scratch, chunk, panel, i0, i1);
}

/** float64 kernel gradient; see convKernelGradientF32. */
export function convKernelGradientF64(
  g: usize, batch: i32, x: usize, d: usize, c: usize, n: i32, accumulate: bool,
  scratch: usize, chunk: i32, panel: usize, i0: i32, i1: i32,
): void {
  kernelGradient<f64>(g, batch, x, d, c, n, accumulate, scratch, chunk, panel, i0, i1);
}

// Input gradient: dx = col2im(D·Wᵀ), D rows×n, W taps×n, for the samples [b0, b1), whose dx is
// zeroed here. A sample's patch rows add only into its own image, so threads given disjoint
// samples never touch the same element, and each element still gets its terms in row order.
// @ts-ignore: decorator
@inline function inputGradient<T>(
  g: usize, batch: i32, d: usize, w: usize, dx: usize, n: i32,
  scratch: usize, chunk: i32, panel: usize, b0: i32, b1: i32,
): void {
  const k = taps(g);
  const rows = rowsOf(g, batch);
  const perSample = rowsOf(g, 1);
  const shift: i32 = sizeof<T>() == 4 ? 2 : 3;
  const image = <usize>load<i32>(g, G_IN_HEIGHT) * load<i32>(g, G_IN_WIDTH) * load<i32>(g, G_CHANNELS);
  memory.fill(dx + ((<usize>b0 * image) << shift), 0, (<usize>(b1 - b0) * image) << shift);
  const end = b1 * perSample;
  for (let r0 = b0 * perSample; r0 < end; r0 += chunk) {
    const r1 = min(end, r0 + chunk);
    gemm<T>(false, true, rows, k, n, d, w, scratch - ((<usize>r0 * k) << shift), false, panel, r0, r1);
    col2imRows<T>(g, scratch, dx, r0, r1);
  }
}

/** float32 input gradient: dx = col2im(D·Wᵀ) for samples [b0, b1) (all: 0, batch). */
export function convInputGradientF32(
  g: usize, batch: i32, d: usize, w: usize, dx: usize, n: i32,
  scratch: usize, chunk: i32, panel: usize, b0: i32, b1: i32,
): void {
  inputGradient<f32>(g, batch, d, w, dx, n, scratch, chunk, panel, b0, b1);
}

/** float64 input gradient; see convInputGradientF32. */
export function convInputGradientF64(
  g: usize, batch: i32, d: usize, w: usize, dx: usize, n: i32,
  scratch: usize, chunk: i32, panel: usize, b0: i32, b1: i32,
): void {
  inputGradient<f64>(g, batch, d, w, dx, n, scratch, chunk, panel, b0, b1);
}

// ---------------------------------------------------------------------------------------------
// Direct float32 forward pass for windows that never leave the image (no padding) with adjacent
// taps along a row (dilation width 1): the GEMM's 4×8 register tile with each row's A operand read
// from the image in place of a patch-matrix row. A window is KH runs of KW·C adjacent elements,
// one image row (times the dilation) apart, in exactly the patch row's order (ky, then kx and c),
// so every lane sums the same products in the same order from 0 and then adds the bias, as
// im2col → gemmF32 → addBias do: the same bits, without writing and reading back the patch
// matrix (which for a one-channel 5×5 convolution costs as much as the product).
// W (taps×n) is packed into zero-padded taps×8 panels at `panel`, (n + 7)/8 of them.

// The window of the next output row: its output position and the address of its first tap,
// stepped one row at a time (integer division only at the start of a pass, not per row).
let windowOy: i32 = 0;
let windowOx: i32 = 0;
let windowSample: usize = 0;

// @ts-ignore: decorator
@inline function startWindows(g: usize, x: usize, r: i32): void {
  const H = load<i32>(g, G_IN_HEIGHT), W = load<i32>(g, G_IN_WIDTH), C = load<i32>(g, G_CHANNELS);
  const perSample = load<i32>(g, G_OUT_HEIGHT) * load<i32>(g, G_OUT_WIDTH);
  const OW = load<i32>(g, G_OUT_WIDTH);
  const b = r / perSample;
  const rem = r - b * perSample;
  windowOy = rem / OW;
  windowOx = rem - windowOy * OW;
  windowSample = x + ((<usize>b * H * W * C) << 2);
}

/** The address of the current row's window, then steps to the next row. */
// @ts-ignore: decorator
@inline function nextWindow(g: usize): usize {
  const H = load<i32>(g, G_IN_HEIGHT), W = load<i32>(g, G_IN_WIDTH), C = load<i32>(g, G_CHANNELS);
  const SH = load<i32>(g, G_STRIDE_HEIGHT), SW = load<i32>(g, G_STRIDE_WIDTH);
  const at = windowSample + ((<usize>(windowOy * SH) * W + <usize>(windowOx * SW)) * C << 2);
  if (++windowOx == load<i32>(g, G_OUT_WIDTH)) {
    windowOx = 0;
    if (++windowOy == load<i32>(g, G_OUT_HEIGHT)) {
      windowOy = 0;
      windowSample += (<usize>H * W * C) << 2;
    }
  }
  return at;
}

/** Rows [i0, i1) of C = im2col(x)·W (+ bias, then ReLU when `relu`), float32, directly from the image; see above. */
export function convForwardDirectF32(
  g: usize, batch: i32, x: usize, w: usize, bias: usize, c: usize, n: i32, panel: usize, i0: i32, i1: i32, relu: bool,
): void {
  packDirect(g, w, n, panel);
  directRows(g, x, bias, c, n, panel, i0, i1, relu);
}

// Packs W's columns eight at a time into zero-padded taps×8 panels at `panel`.
// @ts-ignore: decorator
@inline function packDirect(g: usize, w: usize, n: i32, panel: usize): void {
  const k = load<i32>(g, G_KERNEL_HEIGHT) * load<i32>(g, G_KERNEL_WIDTH) * load<i32>(g, G_CHANNELS);
  const blocks = (n + 7) >> 3;
  const panelBytes = <usize>k << 5;
  for (let jb = 0; jb < blocks; jb++) {
    const j = jb << 3;
    const wcols = min(8, n - j);
    let dst = panel + <usize>jb * panelBytes;
    for (let p = 0; p < k; p++, dst += 32) {
      v128.store(dst, f32x4.splat(0));
      v128.store(dst, f32x4.splat(0), 16);
      const src = w + ((<usize>p * n + j) << 2);
      for (let q = 0; q < wcols; q++) store<f32>(dst + (<usize>q << 2), load<f32>(src + (<usize>q << 2)));
    }
  }
}

// Rows [i0, i1) of the direct forward pass from packed panels; row i is written at c + i·n·4.
function directRows(g: usize, x: usize, bias: usize, c: usize, n: i32, panel: usize, i0: i32, i1: i32, relu: bool): void {
  const KH = load<i32>(g, G_KERNEL_HEIGHT), KW = load<i32>(g, G_KERNEL_WIDTH), C = load<i32>(g, G_CHANNELS);
  const W = load<i32>(g, G_IN_WIDTH), DH = load<i32>(g, G_DILATION_HEIGHT);
  const run = KW * C;
  const k = KH * run;
  const rowStep = <usize>DH * W * C << 2;
  const rowBytes = <usize>n << 2;
  const blocks = (n + 7) >> 3;
  const panelBytes = <usize>k << 5;
  startWindows(g, x, i0);
  for (let i = i0; i < i1; i += 4) {
    const h = min(4, i1 - i);
    // Rows past i1 repeat the last row (valid memory; their results are not stored).
    const a0 = nextWindow(g);
    const a1 = h > 1 ? nextWindow(g) : a0;
    const a2 = h > 2 ? nextWindow(g) : a1;
    const a3 = h > 3 ? nextWindow(g) : a2;
    for (let jb = 0; jb < blocks; jb++) {
      const j = jb << 3;
      const wcols = min(8, n - j);
      let bq = panel + <usize>jb * panelBytes;
      let x00 = f32x4.splat(0), x01 = f32x4.splat(0);
      let x10 = f32x4.splat(0), x11 = f32x4.splat(0);
      let x20 = f32x4.splat(0), x21 = f32x4.splat(0);
      let x30 = f32x4.splat(0), x31 = f32x4.splat(0);
      let off: usize = 0;
      // One running offset for the four windows (base + index addressing), not four pointers.
      const runBytes = <usize>run << 2;
      for (let ky = 0; ky < KH; ky++, off += rowStep) {
        const end = off + runBytes;
        for (let q = off; q < end; q += 4) {
          const b0 = v128.load(bq);
          const b1 = v128.load(bq, 16);
          bq += 32;
          let s = v128.load32_splat(a0 + q);
          x00 = madd(s, b0, x00);
          x01 = madd(s, b1, x01);
          s = v128.load32_splat(a1 + q);
          x10 = madd(s, b0, x10);
          x11 = madd(s, b1, x11);
          s = v128.load32_splat(a2 + q);
          x20 = madd(s, b0, x20);
          x21 = madd(s, b1, x21);
          s = v128.load32_splat(a3 + q);
          x30 = madd(s, b0, x30);
          x31 = madd(s, b1, x31);
        }
      }
      if (bias) {
        // The bias lanes past n are never stored; read them from a zero-padded copy of its block.
        let b0: v128, b1: v128;
        if (wcols == 8) {
          b0 = v128.load(bias + (<usize>j << 2));
          b1 = v128.load(bias + (<usize>j << 2), 16);
        } else {
          const t = panel + <usize>blocks * panelBytes;
          v128.store(t, f32x4.splat(0));
          v128.store(t, f32x4.splat(0), 16);
          for (let q = 0; q < wcols; q++) store<f32>(t + (<usize>q << 2), load<f32>(bias + (<usize>(j + q) << 2)));
          b0 = v128.load(t);
          b1 = v128.load(t, 16);
        }
        x00 = f32x4.add(x00, b0); x01 = f32x4.add(x01, b1);
        x10 = f32x4.add(x10, b0); x11 = f32x4.add(x11, b1);
        x20 = f32x4.add(x20, b0); x21 = f32x4.add(x21, b1);
        x30 = f32x4.add(x30, b0); x31 = f32x4.add(x31, b1);
      }
      if (relu) {
        // max(z, 0) as the ReLU pass would apply it to the stored sums: pmax keeps NaN and −0.
        const zero = f32x4.splat(0);
        x00 = f32x4.pmax(x00, zero); x01 = f32x4.pmax(x01, zero);
        x10 = f32x4.pmax(x10, zero); x11 = f32x4.pmax(x11, zero);
        x20 = f32x4.pmax(x20, zero); x21 = f32x4.pmax(x21, zero);
        x30 = f32x4.pmax(x30, zero); x31 = f32x4.pmax(x31, zero);
      }
      const c0 = c + ((<usize>i * n + j) << 2);
      if (wcols == 8) {
        v128.store(c0, x00); v128.store(c0, x01, 16);
        if (h > 1) { v128.store(c0 + rowBytes, x10); v128.store(c0 + rowBytes, x11, 16); }
        if (h > 2) { v128.store(c0 + 2 * rowBytes, x20); v128.store(c0 + 2 * rowBytes, x21, 16); }
        if (h > 3) { v128.store(c0 + 3 * rowBytes, x30); v128.store(c0 + 3 * rowBytes, x31, 16); }
      } else {
        const t = panel + <usize>blocks * panelBytes;
        v128.store(t, x00); v128.store(t, x01, 16);
        v128.store(t, x10, 32); v128.store(t, x11, 48);
        v128.store(t, x20, 64); v128.store(t, x21, 80);
        v128.store(t, x30, 96); v128.store(t, x31, 112);
        for (let r = 0; r < h; r++) {
          for (let q = 0; q < wcols; q++) {
            store<f32>(c0 + <usize>r * rowBytes + (<usize>q << 2), load<f32>(t + (<usize>(r * 8 + q) << 2)));
          }
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Inference through a convolution (direct float32, optionally ReLU'd) and the max pooling after
// it, sample by sample: each sample's convolution output goes to `scratch` (OH·OW·n floats, a few
// KiB to ~100 KiB, so it stays in cache) and is pooled from there into `out`. Nothing but the
// pooled result leaves WASM memory, and every value has the bits of the two steps. The pool's
// geometry is 11 i32 at `pg` (assembly/elementwise.ts's layout).

/** Samples [b0, b1) of maxPool(relu?(conv(x) + bias)) into `out` (the whole batch's output). */
export function convMaxPoolF32(
  g: usize, pg: usize, x: usize, w: usize, bias: usize, n: i32, relu: bool,
  panel: usize, scratch: usize, out: usize, b0: i32, b1: i32,
): void {
  packDirect(g, w, n, panel);
  const perSample = load<i32>(g, G_OUT_HEIGHT) * load<i32>(g, G_OUT_WIDTH);
  const pooled = <usize>maxPoolOutputs(pg) << 2;
  for (let b = b0; b < b1; b++) {
    const r0 = b * perSample;
    // Row r0 of this sample lands at scratch (the kernel indexes rows from the batch's row 0).
    directRows(g, x, bias, scratch - ((<usize>r0 * n) << 2), n, panel, r0, r0 + perSample, relu);
    maxPoolValuesF32(pg, 1, scratch, out + <usize>b * pooled);
  }
}

// ---------------------------------------------------------------------------------------------
// Direct float32 kernel gradient, C (+)= Pᵀ·D, for the windows of directForward (no padding,
// adjacent taps along a row) and filters in whole blocks of 8: each group of five taps within one
// window row is read from the image at every patch row (the five are adjacent there) instead of
// from a patch matrix — the GEMM's 5×8 transposed-A tile with the rows of A found through a table
// of window offsets. Every lane sums over the patch rows in increasing order from C (or 0), as the
// chunked im2col → gemmF32 path does, so the bits are the same; and a thread given some of the
// tap groups needs no patch matrix of its own.

/** The byte offset of each patch row's window in x (u32, `rows` of them) at `table`. */
export function windowOffsets(g: usize, batch: i32, table: usize): void {
  const rows = batch * load<i32>(g, G_OUT_HEIGHT) * load<i32>(g, G_OUT_WIDTH);
  startWindows(g, 0, 0);
  for (let r = 0; r < rows; r++) store<u32>(table + (<usize>r << 2), <u32>nextWindow(g));
}

/** Tap groups of a window row: ⌈KW·C / 5⌉ (the last one may hold fewer than five taps). */
// @ts-ignore: decorator
@inline function groupsPerRow(g: usize): i32 {
  return (load<i32>(g, G_KERNEL_WIDTH) * load<i32>(g, G_CHANNELS) + 4) / 5;
}

/**
 * Tap groups [q0, q1) of C (+)= im2col(x)ᵀ·D (C taps×n, D rows×n, n a multiple of 8), with the
 * window offsets of windowOffsets at `table`.
 */
export function convKernelGradientDirectF32(
  g: usize, batch: i32, x: usize, d: usize, c: usize, n: i32, accumulate: bool, table: usize, q0: i32, q1: i32,
): void {
  const C = load<i32>(g, G_CHANNELS), W = load<i32>(g, G_IN_WIDTH), DH = load<i32>(g, G_DILATION_HEIGHT);
  const run = load<i32>(g, G_KERNEL_WIDTH) * C;
  const groups = groupsPerRow(g);
  const rows = batch * load<i32>(g, G_OUT_HEIGHT) * load<i32>(g, G_OUT_WIDTH);
  const rowBytes = <usize>n << 2;
  const tableEnd = table + (<usize>rows << 2);
  for (let q = q0; q < q1; q++) {
    const ky = q / groups;
    const j = (q - ky * groups) * 5;
    const taps = min(5, run - j);
    const tap = ky * run + j;
    const at = x + ((<usize>ky * DH * W * C + <usize>j) << 2);
    for (let f = 0; f < n; f += 8) {
      const c0 = c + ((<usize>tap * n + f) << 2);
      let dq = d + (<usize>f << 2);
      if (taps == 5) {
        let x00 = f32x4.splat(0), x01 = f32x4.splat(0);
        let x10 = f32x4.splat(0), x11 = f32x4.splat(0);
        let x20 = f32x4.splat(0), x21 = f32x4.splat(0);
        let x30 = f32x4.splat(0), x31 = f32x4.splat(0);
        let x40 = f32x4.splat(0), x41 = f32x4.splat(0);
        if (accumulate) {
          x00 = v128.load(c0); x01 = v128.load(c0, 16);
          x10 = v128.load(c0 + rowBytes); x11 = v128.load(c0 + rowBytes, 16);
          x20 = v128.load(c0 + 2 * rowBytes); x21 = v128.load(c0 + 2 * rowBytes, 16);
          x30 = v128.load(c0 + 3 * rowBytes); x31 = v128.load(c0 + 3 * rowBytes, 16);
          x40 = v128.load(c0 + 4 * rowBytes); x41 = v128.load(c0 + 4 * rowBytes, 16);
        }
        for (let t = table; t < tableEnd; t += 4, dq += rowBytes) {
          const w = at + <usize>load<u32>(t);
          const b0 = v128.load(dq);
          const b1 = v128.load(dq, 16);
          const av = v128.load(w);
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
          s = v128.load32_splat(w, 16);
          x40 = madd(s, b0, x40);
          x41 = madd(s, b1, x41);
        }
        v128.store(c0, x00); v128.store(c0, x01, 16);
        v128.store(c0 + rowBytes, x10); v128.store(c0 + rowBytes, x11, 16);
        v128.store(c0 + 2 * rowBytes, x20); v128.store(c0 + 2 * rowBytes, x21, 16);
        v128.store(c0 + 3 * rowBytes, x30); v128.store(c0 + 3 * rowBytes, x31, 16);
        v128.store(c0 + 4 * rowBytes, x40); v128.store(c0 + 4 * rowBytes, x41, 16);
      } else {
        // The last, short group of a window row: one tap at a time.
        for (let i = 0; i < taps; i++) {
          const ci = c0 + <usize>i * rowBytes;
          let y0 = f32x4.splat(0), y1 = f32x4.splat(0);
          if (accumulate) {
            y0 = v128.load(ci);
            y1 = v128.load(ci, 16);
          }
          let dr = dq;
          const ai = at + (<usize>i << 2);
          for (let t = table; t < tableEnd; t += 4, dr += rowBytes) {
            const s = v128.load32_splat(ai + <usize>load<u32>(t));
            y0 = madd(s, v128.load(dr), y0);
            y1 = madd(s, v128.load(dr, 16), y1);
          }
          v128.store(ci, y0);
          v128.store(ci, y1, 16);
        }
      }
    }
  }
}
