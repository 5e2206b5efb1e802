// AssemblyScript source of the elementwise kernels a convolutional network spends its time in
// outside the products: ReLU forward and backward, and max pooling with argmax indices forward and
// backward (compiled with gemm.ts, conv.ts and rows.ts by scripts/build-wasm.mjs, exported through
// index.ts).
//
// src/elementwise.ts holds the reference loops; these give their bits. In JavaScript each of these
// loops branches on the data, and on real activations (half of them negative, in no order) the
// branch is mispredicted half the time — about 7 ns per element, more than the convolution that
// made them. Here every choice is a lane select, with the same result:
// - ReLU is `x < 0 ? 0 : x`: f32x4.pmax(x, 0) is exactly that (pmax(a, b) = a < b ? b : a), so
//   NaN stays NaN and −0 stays −0.
// - Its derivative is `grad · (x > 0 ? 1 : 0)`: a multiply by exactly 1 or 0, so a NaN or infinite
//   gradient gives NaN where the unit is off, as the reference does.
// - A max-pooling window keeps the first strictly greater value in row-major window order, starting
//   from −∞ with the window's first cell as the winner: the select takes the new value and index
//   exactly where the reference's `if (v > best)` would.

// Pool geometry: 11 i32 at `g` (written by writePoolGeometry in src/wasm-backend.ts, in this order).
// @ts-ignore: decorator
@inline const P_IN_HEIGHT: usize = 0;
// @ts-ignore: decorator
@inline const P_IN_WIDTH: usize = 4;
// @ts-ignore: decorator
@inline const P_CHANNELS: usize = 8;
// @ts-ignore: decorator
@inline const P_POOL_HEIGHT: usize = 12;
// @ts-ignore: decorator
@inline const P_POOL_WIDTH: usize = 16;
// @ts-ignore: decorator
@inline const P_STRIDE_HEIGHT: usize = 20;
// @ts-ignore: decorator
@inline const P_STRIDE_WIDTH: usize = 24;
// @ts-ignore: decorator
@inline const P_OUT_HEIGHT: usize = 28;
// @ts-ignore: decorator
@inline const P_OUT_WIDTH: usize = 32;
// @ts-ignore: decorator
@inline const P_PAD_TOP: usize = 36;
// @ts-ignore: decorator
@inline const P_PAD_LEFT: usize = 40;

/** dst[i] = src[i] < 0 ? 0 : src[i] for n float32 elements; dst may be src. */
export function reluF32(src: usize, dst: usize, n: i32): void {
  const zero = f32x4.splat(0);
  const bytes = <usize>n << 2;
  const vecEnd = <usize>(n & ~3) << 2;
  let i: usize = 0;
  for (; i < vecEnd; i += 16) v128.store(dst + i, f32x4.pmax(v128.load(src + i), zero));
  for (; i < bytes; i += 4) {
    const x = load<f32>(src + i);
    store<f32>(dst + i, select<f32>(0, x, x < 0));
  }
}

/** dst[i] = src[i] < 0 ? 0 : src[i] for n float64 elements; dst may be src. */
export function reluF64(src: usize, dst: usize, n: i32): void {
  const zero = f64x2.splat(0);
  const bytes = <usize>n << 3;
  const vecEnd = <usize>(n & ~1) << 3;
  let i: usize = 0;
  for (; i < vecEnd; i += 16) v128.store(dst + i, f64x2.pmax(v128.load(src + i), zero));
  for (; i < bytes; i += 8) {
    const x = load<f64>(src + i);
    store<f64>(dst + i, select<f64>(0, x, x < 0));
  }
}

/** dst[i] = grad[i] · (x[i] > 0 ? 1 : 0) for n float32 elements; dst may be grad or x. */
export function reluBackwardF32(x: usize, grad: usize, dst: usize, n: i32): void {
  const zero = f32x4.splat(0);
  const one = f32x4.splat(1);
  const bytes = <usize>n << 2;
  const vecEnd = <usize>(n & ~3) << 2;
  let i: usize = 0;
  for (; i < vecEnd; i += 16) {
    const on = v128.and(f32x4.gt(v128.load(x + i), zero), one);
    v128.store(dst + i, f32x4.mul(v128.load(grad + i), on));
  }
  for (; i < bytes; i += 4) store<f32>(dst + i, load<f32>(grad + i) * select<f32>(1, 0, load<f32>(x + i) > 0));
}

/** dst[i] = grad[i] · (x[i] > 0 ? 1 : 0) for n float64 elements; dst may be grad or x. */
export function reluBackwardF64(x: usize, grad: usize, dst: usize, n: i32): void {
  const zero = f64x2.splat(0);
  const one = f64x2.splat(1);
  const bytes = <usize>n << 3;
  const vecEnd = <usize>(n & ~1) << 3;
  let i: usize = 0;
  for (; i < vecEnd; i += 16) {
    const on = v128.and(f64x2.gt(v128.load(x + i), zero), one);
    v128.store(dst + i, f64x2.mul(v128.load(grad + i), on));
  }
  for (; i < bytes; i += 8) store<f64>(dst + i, load<f64>(grad + i) * select<f64>(1, 0, load<f64>(x + i) > 0));
}

/**
 * Max pooling forward over `batch` NHWC images at `x` (float32 when `shift` is 2, float64 when 3):
 * y = the window maxima, argmax = the index in x (counted from x's first element, across the
 * batch) of each winner. Vectors of 4 channels for float32 (2 for float64, whose i32 indices are
 * selected by widening the mask), the remaining channels one at a time.
 */
// @ts-ignore: decorator
@inline function maxPool<T>(g: usize, batch: i32, x: usize, y: usize, argmax: usize): void {
  const H = load<i32>(g, P_IN_HEIGHT), W = load<i32>(g, P_IN_WIDTH), C = load<i32>(g, P_CHANNELS);
  const PH = load<i32>(g, P_POOL_HEIGHT), PW = load<i32>(g, P_POOL_WIDTH);
  const SH = load<i32>(g, P_STRIDE_HEIGHT), SW = load<i32>(g, P_STRIDE_WIDTH);
  const OH = load<i32>(g, P_OUT_HEIGHT), OW = load<i32>(g, P_OUT_WIDTH);
  const padTop = load<i32>(g, P_PAD_TOP), padLeft = load<i32>(g, P_PAD_LEFT);
  const lanes: i32 = sizeof<T>() == 4 ? 4 : 2;
  const vecC = C & ~(lanes - 1);
  const laneIndex = i32x4(0, 1, 2, 3);
  const size = <usize>sizeof<T>();
  let o: i32 = 0;
  for (let b = 0; b < batch; b++) {
    const xb = b * H * W * C;
    for (let oy = 0; oy < OH; oy++) {
      const top = oy * SH - padTop;
      const y0 = max(top, 0);
      const y1 = min(top + PH, H);
      for (let ox = 0; ox < OW; ox++, o += C) {
        const left = ox * SW - padLeft;
        const x0 = max(left, 0);
        const x1 = min(left + PW, W);
        const first = xb + (y0 * W + x0) * C;
        let c = 0;
        for (; c < vecC; c += lanes) {
          let best = sizeof<T>() == 4 ? f32x4.splat(-Infinity) : f64x2.splat(-Infinity);
          let index = i32x4.add(i32x4.splat(first + c), laneIndex);
          for (let iy = y0; iy < y1; iy++) {
            for (let ix = x0; ix < x1; ix++) {
              const i = xb + (iy * W + ix) * C + c;
              const v = v128.load(x + (<usize>i) * size);
              if (sizeof<T>() == 4) {
                const wins = f32x4.gt(v, best);
                best = v128.bitselect(v, best, wins);
                index = v128.bitselect(i32x4.add(i32x4.splat(i), laneIndex), index, wins);
              } else {
                // Two 64-bit lane masks → the low two 32-bit lanes of an i32 mask.
                const wins = f64x2.gt(v, best);
                best = v128.bitselect(v, best, wins);
                const wins32 = i8x16.shuffle(wins, wins, 0, 1, 2, 3, 8, 9, 10, 11, 0, 1, 2, 3, 8, 9, 10, 11);
                index = v128.bitselect(i32x4.add(i32x4.splat(i), laneIndex), index, wins32);
              }
            }
          }
          v128.store(y + (<usize>(o + c)) * size, best);
          if (sizeof<T>() == 4) {
            v128.store(argmax + (<usize>(o + c) << 2), index);
          } else {
            v128.store64_lane(argmax + (<usize>(o + c) << 2), index, 0);
          }
        }
        for (; c < C; c++) {
          let best: T = <T>-Infinity;
          let index = first + c;
          for (let iy = y0; iy < y1; iy++) {
            for (let ix = x0; ix < x1; ix++) {
              const i = xb + (iy * W + ix) * C + c;
              const v = load<T>(x + (<usize>i) * size);
              const wins = v > best;
              best = select<T>(v, best, wins);
              index = select<i32>(i, index, wins);
            }
          }
          store<T>(y + (<usize>(o + c)) * size, best);
          store<i32>(argmax + (<usize>(o + c) << 2), index);
        }
      }
    }
  }
}

/**
 * Max pooling forward without the argmax (inference, where no backward pass follows): the same
 * maxima, each window's running maximum kept by pmax(best, v) = best < v ? v : best, which is
 * the reference's strict `v > best` (NaN never wins; an all-NaN window stays −∞).
 */
// @ts-ignore: decorator
@inline function maxPoolValues<T>(g: usize, batch: i32, x: usize, y: usize): void {
  const H = load<i32>(g, P_IN_HEIGHT), W = load<i32>(g, P_IN_WIDTH), C = load<i32>(g, P_CHANNELS);
  const PH = load<i32>(g, P_POOL_HEIGHT), PW = load<i32>(g, P_POOL_WIDTH);
  const SH = load<i32>(g, P_STRIDE_HEIGHT), SW = load<i32>(g, P_STRIDE_WIDTH);
  const OH = load<i32>(g, P_OUT_HEIGHT), OW = load<i32>(g, P_OUT_WIDTH);
  const padTop = load<i32>(g, P_PAD_TOP), padLeft = load<i32>(g, P_PAD_LEFT);
  const lanes: i32 = sizeof<T>() == 4 ? 4 : 2;
  const vecC = C & ~(lanes - 1);
  const size = <usize>sizeof<T>();
  let o: i32 = 0;
  for (let b = 0; b < batch; b++) {
    const xb = b * H * W * C;
    for (let oy = 0; oy < OH; oy++) {
      const top = oy * SH - padTop;
      const y0 = max(top, 0);
      const y1 = min(top + PH, H);
      for (let ox = 0; ox < OW; ox++, o += C) {
        const left = ox * SW - padLeft;
        const x0 = max(left, 0);
        const x1 = min(left + PW, W);
        let c = 0;
        for (; c < vecC; c += lanes) {
          let best = sizeof<T>() == 4 ? f32x4.splat(-Infinity) : f64x2.splat(-Infinity);
          for (let iy = y0; iy < y1; iy++) {
            let at = x + (<usize>(xb + (iy * W + x0) * C + c)) * size;
            for (let ix = x0; ix < x1; ix++, at += <usize>C * size) {
              const v = v128.load(at);
              best = sizeof<T>() == 4 ? f32x4.pmax(best, v) : f64x2.pmax(best, v);
            }
          }
          v128.store(y + (<usize>(o + c)) * size, best);
        }
        for (; c < C; c++) {
          let best: T = <T>-Infinity;
          for (let iy = y0; iy < y1; iy++) {
            for (let ix = x0; ix < x1; ix++) {
              const v = load<T>(x + (<usize>(xb + (iy * W + ix) * C + c)) * size);
              best = select<T>(v, best, v > best);
            }
          }
          store<T>(y + (<usize>(o + c)) * size, best);
        }
      }
    }
  }
}

/** Outputs of one sample's max pooling (outHeight · outWidth · channels) under the geometry at `g`. */
// @ts-ignore: decorator
@inline export function maxPoolOutputs(g: usize): i32 {
  return load<i32>(g, P_OUT_HEIGHT) * load<i32>(g, P_OUT_WIDTH) * load<i32>(g, P_CHANNELS);
}

/** float32 max pooling forward without argmax; see maxPoolValues. */
export function maxPoolValuesF32(g: usize, batch: i32, x: usize, y: usize): void {
  maxPoolValues<f32>(g, batch, x, y);
}

/** float64 max pooling forward without argmax; see maxPoolValues. */
export function maxPoolValuesF64(g: usize, batch: i32, x: usize, y: usize): void {
  maxPoolValues<f64>(g, batch, x, y);
}

/** float32 max pooling forward; see maxPool. */
export function maxPoolF32(g: usize, batch: i32, x: usize, y: usize, argmax: usize): void {
  maxPool<f32>(g, batch, x, y, argmax);
}

/** float64 max pooling forward; see maxPool. */
export function maxPoolF64(g: usize, batch: i32, x: usize, y: usize, argmax: usize): void {
  maxPool<f64>(g, batch, x, y, argmax);
}

/**
 * Max pooling backward: dx (nIn elements) = 0, then dx[argmax[o]] += dy[o] for o in increasing
 * order (one rounded add per term, as the reference loop), float32. Indices outside [0, nIn) are
 * skipped.
 */
export function maxPoolBackwardF32(dy: usize, argmax: usize, dx: usize, nOut: i32, nIn: i32): void {
  memory.fill(dx, 0, <usize>nIn << 2);
  for (let o = 0; o < nOut; o++) {
    const i = load<i32>(argmax + (<usize>o << 2));
    // An index outside dx is skipped, as a typed-array write past the end is in the reference.
    if (<u32>i >= <u32>nIn) continue;
    const at = dx + (<usize>i << 2);
    store<f32>(at, load<f32>(at) + load<f32>(dy + (<usize>o << 2)));
  }
}

/** float64 max pooling backward; see maxPoolBackwardF32. */
export function maxPoolBackwardF64(dy: usize, argmax: usize, dx: usize, nOut: i32, nIn: i32): void {
  memory.fill(dx, 0, <usize>nIn << 3);
  for (let o = 0; o < nOut; o++) {
    const i = load<i32>(argmax + (<usize>o << 2));
    // An index outside dx is skipped, as a typed-array write past the end is in the reference.
    if (<u32>i >= <u32>nIn) continue;
    const at = dx + (<usize>i << 3);
    store<f64>(at, load<f64>(at) + load<f64>(dy + (<usize>o << 3)));
  }
}
