import { getBackend } from "./backend.js";
import type { FloatArray } from "./dtype.js";
import { ShapeMismatchError } from "./errors.js";

/**
 * Everything a pooling kernel needs to know about one layer on one input shape (NHWC images).
 * Window (i, j) covers rows `i·strideHeight − padTop …` and columns `j·strideWidth − padLeft …`,
 * clipped to the input.
 * @example
 * ```ts
 * const g: PoolGeometry = {
 *   inHeight: 4, inWidth: 4, channels: 1, poolHeight: 2, poolWidth: 2,
 *   strideHeight: 2, strideWidth: 2, outHeight: 2, outWidth: 2, padTop: 0, padLeft: 0,
 * };
 * ```
 */
export interface PoolGeometry {
  /** Input height of one sample. */
  readonly inHeight: number;
  /** Input width of one sample. */
  readonly inWidth: number;
  /** Channels of one sample. */
  readonly channels: number;
  /** Window height. */
  readonly poolHeight: number;
  /** Window width. */
  readonly poolWidth: number;
  /** Step between windows, vertically. */
  readonly strideHeight: number;
  /** Step between windows, horizontally. */
  readonly strideWidth: number;
  /** Output height. */
  readonly outHeight: number;
  /** Output width. */
  readonly outWidth: number;
  /** Padding before the first row (0 for `"valid"`); the rest goes after. */
  readonly padTop: number;
  /** Padding before the first column. */
  readonly padLeft: number;
}

/** `dst[i] = src[i] < 0 ? 0 : src[i]`: the loop every backend's ReLU equals (internal). */
export function reluReference(src: FloatArray, dst: FloatArray): void {
  for (let i = 0; i < src.length; i++) {
    const x = src[i] as number;
    dst[i] = x < 0 ? 0 : x;
  }
}

/** `dst[i] = grad[i] · (x[i] > 0 ? 1 : 0)`: the loop every backend's ReLU gradient equals (internal). */
export function reluGradientReference(x: FloatArray, grad: FloatArray, dst: FloatArray): void {
  for (let i = 0; i < x.length; i++) dst[i] = (grad[i] as number) * ((x[i] as number) > 0 ? 1 : 0);
}

/**
 * ReLU over a whole array, `dst[i] = max(src[i], 0)` — NaN stays NaN and −0 stays −0 (`x < 0 ? 0 : x`).
 * Runs on the active backend's kernel where it has one (the WASM backends: branch-free SIMD, ~10×
 * the JavaScript loop on real activations, whose signs defeat the branch predictor) with the
 * same bits; `dst` may be `src`.
 * @throws ShapeMismatchError when the lengths differ
 * @example
 * ```ts
 * const y = new Float32Array(3);
 * applyRelu(Float32Array.of(-1, 0.5, 2), y); // y = [0, 0.5, 2]
 * ```
 */
export function applyRelu(src: FloatArray, dst: FloatArray): void {
  if (dst.length !== src.length) {
    throw new ShapeMismatchError(`applyRelu: lengths differ (got src ${src.length}, dst ${dst.length}, expected equal lengths)`);
  }
  const backend = getBackend();
  if (backend.relu !== undefined && sameType(src, dst) && backend.relu(src, dst)) return;
  reluReference(src, dst);
}

/**
 * The ReLU's backward pass, `dst[i] = grad[i] · (x[i] > 0 ? 1 : 0)` (relu'(0) = 0), on the active
 * backend's kernel where it has one, with the same bits; `dst` may be `grad` or `x`.
 * @throws ShapeMismatchError when the lengths differ
 * @example
 * ```ts
 * const dz = new Float32Array(3);
 * reluGradient(Float32Array.of(-1, 0, 2), Float32Array.of(5, 5, 5), dz); // dz = [0, 0, 5]
 * ```
 */
export function reluGradient(x: FloatArray, grad: FloatArray, dst: FloatArray): void {
  const n = x.length;
  if (grad.length !== n || dst.length !== n) {
    throw new ShapeMismatchError(
      `reluGradient: lengths differ (got x ${n}, grad ${grad.length}, dst ${dst.length}, expected equal lengths)`,
    );
  }
  const backend = getBackend();
  if (backend.reluGradient !== undefined && sameType(x, dst) && sameType(grad, dst) && backend.reluGradient(x, grad, dst)) return;
  reluGradientReference(x, grad, dst);
}

function sameType(a: FloatArray, b: FloatArray): boolean {
  return a instanceof Float32Array === b instanceof Float32Array;
}

/** The max-pooling forward loop every backend equals (internal); see {@link maxPool2dForward}. */
export function maxPool2dReference(x: FloatArray, y: FloatArray, argmax: Int32Array | undefined, batch: number, g: PoolGeometry): void {
  // Without argmax (inference) the same loop writes its indices into a scratch that is not kept.
  const indices = argmax ?? scratchIndices(y.length);
  const { inHeight: H, inWidth: W, channels: C, outHeight: OH, outWidth: OW } = g;
  const { poolHeight: PH, poolWidth: PW, strideHeight: SH, strideWidth: SW, padTop, padLeft } = g;
  const inSample = H * W * C;
  const outSample = OH * OW * C;
  for (let b = 0; b < batch; b++) {
    const xb = b * inSample;
    let o = b * outSample;
    for (let oy = 0; oy < OH; oy++) {
      const top = oy * SH - padTop;
      const y0 = top < 0 ? 0 : top;
      const y1 = top + PH > H ? H : top + PH;
      for (let ox = 0; ox < OW; ox++, o += C) {
        const left = ox * SW - padLeft;
        const x0 = left < 0 ? 0 : left;
        const x1 = left + PW > W ? W : left + PW;
        const first = xb + (y0 * W + x0) * C;
        for (let c = 0; c < C; c++) {
          // NOTE: start below every number, with the first cell as the winner, so an all-NaN
          // window still points at a real input cell (TensorFlow also yields -Infinity there).
          y[o + c] = Number.NEGATIVE_INFINITY;
          indices[o + c] = first + c;
        }
        for (let iy = y0; iy < y1; iy++) {
          for (let ix = x0; ix < x1; ix++) {
            const i = xb + (iy * W + ix) * C;
            for (let c = 0; c < C; c++) {
              const v = x[i + c] as number;
              // Strictly greater: on a tie the first maximum in scan order keeps the gradient.
              if (v > (y[o + c] as number)) {
                y[o + c] = v;
                indices[o + c] = i + c;
              }
            }
          }
        }
      }
    }
  }
}

let indexScratch = new Int32Array(0);
function scratchIndices(n: number): Int32Array {
  if (indexScratch.length < n) indexScratch = new Int32Array(n);
  return indexScratch;
}

/** The max-pooling backward loop every backend equals (internal); see {@link maxPool2dBackward}. */
export function maxPool2dBackwardReference(dy: FloatArray, argmax: Int32Array, dx: FloatArray): void {
  dx.fill(0);
  for (let o = 0; o < dy.length; o++) {
    const i = argmax[o] as number;
    dx[i] = (dx[i] as number) + (dy[o] as number);
  }
}

/**
 * Max pooling forward over `batch` NHWC images: `y[b, i, j, c]` = the maximum over window (i, j)
 * of `x[b, ·, ·, c]`, and `argmax[o]` = the index in `x` of the value that won (the first maximum
 * in row-major window order on ties, as TensorFlow; an all-NaN window gives −∞ and its first
 * cell). `y` and `argmax` have one entry per output; pass `undefined` for `argmax` when no
 * backward pass follows (inference), and only the maxima are computed. Runs on the active
 * backend's kernel where it has one (the WASM backends), with the same bits.
 * @throws ShapeMismatchError when an array's length does not match `g` and `batch`
 * @example
 * ```ts
 * const g = { inHeight: 2, inWidth: 2, channels: 1, poolHeight: 2, poolWidth: 2,
 *   strideHeight: 2, strideWidth: 2, outHeight: 1, outWidth: 1, padTop: 0, padLeft: 0 };
 * const y = new Float32Array(1), argmax = new Int32Array(1);
 * maxPool2dForward(Float32Array.of(1, 4, 3, 2), y, argmax, 1, g); // y = [4], argmax = [1]
 * ```
 */
export function maxPool2dForward(x: FloatArray, y: FloatArray, argmax: Int32Array | undefined, batch: number, g: PoolGeometry): void {
  const inputs = batch * g.inHeight * g.inWidth * g.channels;
  const outputs = batch * g.outHeight * g.outWidth * g.channels;
  if (x.length !== inputs || y.length !== outputs || (argmax !== undefined && argmax.length !== outputs)) {
    throw new ShapeMismatchError(
      `maxPool2dForward: got x ${x.length}, y ${y.length}, argmax ${argmax?.length ?? "none"} elements (expected ${inputs}, ${outputs} and ${outputs} for ${batch} samples)`,
    );
  }
  const backend = getBackend();
  if (backend.maxPool2dForward !== undefined && sameType(x, y) && backend.maxPool2dForward(g, batch, x, y, argmax)) return;
  maxPool2dReference(x, y, argmax, batch, g);
}

/**
 * Max pooling backward: `dx = 0`, then `dx[argmax[o]] += dy[o]` for every output in order — the
 * gradient goes to each window's winner, and adds up where overlapping windows share one. On the
 * active backend's kernel where it has one, with the same bits.
 * @throws ShapeMismatchError when `argmax` and `dy` differ in length
 * @example
 * ```ts
 * const dx = new Float32Array(4);
 * maxPool2dBackward(Float32Array.of(1), Int32Array.of(1), dx); // dx = [0, 1, 0, 0]
 * ```
 */
export function maxPool2dBackward(dy: FloatArray, argmax: Int32Array, dx: FloatArray): void {
  if (argmax.length !== dy.length) {
    throw new ShapeMismatchError(`maxPool2dBackward: dy has ${dy.length} elements, argmax ${argmax.length} (expected equal lengths)`);
  }
  const backend = getBackend();
  if (backend.maxPool2dBackward !== undefined && sameType(dy, dx) && backend.maxPool2dBackward(dy, argmax, dx)) return;
  maxPool2dBackwardReference(dy, argmax, dx);
}
