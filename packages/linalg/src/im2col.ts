import { getBackend } from "./backend.js";
import type { FloatArray } from "./dtype.js";
import { BackpropError, ShapeMismatchError } from "./errors.js";
import type { KernelBackend } from "./kernel-backend.js";
import { applyRelu, type PoolGeometry } from "./elementwise.js";
import { addRowVector } from "./ops.js";
import { Matrix, Tensor, formatShape, shapeString, type Shape } from "./tensor.js";

/*
 * A 2-D convolution as one matrix product (im2col): every output pixel's receptive field is copied
 * into one row of a patch matrix, so `patches · kernel` is the whole convolution and runs on the
 * GEMM backend. `col2im` is its adjoint: it scatters a gradient of the patch matrix back onto the
 * input, adding where receptive fields overlap.
 *
 * Both run on the active backend when it has them (the WASM one does), else on the TypeScript
 * loops at the end of this file, which are the reference. The three passes of a convolution
 * (`conv2dForward`, `conv2dKernelGradient`, `conv2dInputGradient`) are im2col/col2im and one
 * product each; a backend may run one without handing the patch matrix out (the WASM one keeps
 * it in its memory), with the same bits.
 */

/**
 * Where a 2-D sliding window (a convolution kernel or a pooling window) reads an NHWC input: the
 * input size, the window, its stride and dilation, the zero padding before the first row and column,
 * and the output size. Output pixel `(oy, ox)`'s tap `(ky, kx)` reads input row
 * `oy·strideHeight − padTop + ky·dilationHeight` and column `ox·strideWidth − padLeft + kx·dilationWidth`;
 * a position outside the input reads 0. The padding after the last row/column is implied by the output
 * size, so "same" and "valid" are both just offsets. Make one with {@link convGeometry}.
 *
 * @example
 * ```ts
 * const g = convGeometry({ inputShape: [5, 5, 3], kernelSize: [3, 3], padding: "same" });
 * // { inHeight: 5, …, padTop: 1, padLeft: 1, outHeight: 5, outWidth: 5 }
 * ```
 */
export interface ConvGeometry {
  /** Input height (rows). */
  readonly inHeight: number;
  /** Input width (columns). */
  readonly inWidth: number;
  /** Input channels (the last axis). */
  readonly channels: number;
  /** Window height. */
  readonly kernelHeight: number;
  /** Window width. */
  readonly kernelWidth: number;
  /** Rows between consecutive windows. */
  readonly strideHeight: number;
  /** Columns between consecutive windows. */
  readonly strideWidth: number;
  /** Rows between consecutive taps of a window (1: adjacent). */
  readonly dilationHeight: number;
  /** Columns between consecutive taps of a window (1: adjacent). */
  readonly dilationWidth: number;
  /** Zero rows before the first input row. */
  readonly padTop: number;
  /** Zero columns before the first input column. */
  readonly padLeft: number;
  /** Output height. */
  readonly outHeight: number;
  /** Output width. */
  readonly outWidth: number;
}

/**
 * The padding of a {@link convGeometry}: `"valid"` (none: windows lie inside the input), `"same"`
 * (TensorFlow's: output `⌈in/stride⌉`, the padding split evenly with the odd one after), or explicit
 * `[[top, bottom], [left, right]]` rows and columns of zeros.
 *
 * @example
 * ```ts
 * const padding: ConvPadding = [[1, 2], [0, 0]]; // one row above, two below
 * ```
 */
export type ConvPadding = "valid" | "same" | readonly [readonly [number, number], readonly [number, number]];

/**
 * Options of {@link convGeometry}.
 * @example
 * ```ts
 * const options: ConvGeometryOptions = { inputShape: [28, 28, 1], kernelSize: [5, 5], strides: [2, 2], padding: "same" };
 * ```
 */
export interface ConvGeometryOptions {
  /** One sample's shape, `[height, width, channels]` (NHWC without the batch axis). */
  readonly inputShape: Shape;
  /** Window `[height, width]`. */
  readonly kernelSize: readonly [number, number];
  /** `[height, width]` step between windows. Default `[1, 1]`. */
  readonly strides?: readonly [number, number];
  /** `[height, width]` step between a window's taps. Default `[1, 1]`. */
  readonly dilation?: readonly [number, number];
  /** Default `"valid"`. */
  readonly padding?: ConvPadding;
  /** Prefix of error messages (a layer's name). Default `"convGeometry"`. */
  readonly where?: string;
}

// Frozen geometries already checked (all from convGeometry): a layer passes the same object every
// batch, so the per-call cost is one lookup.
const checkedGeometries = new WeakSet<ConvGeometry>();

function positiveInt(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value > 0;
}

function pair(where: string, key: string, value: unknown, min: number): readonly [number, number] {
  if (
    !Array.isArray(value) ||
    value.length !== 2 ||
    !value.every((v) => typeof v === "number" && Number.isSafeInteger(v) && v >= min)
  ) {
    throw new BackpropError(
      "INVALID_ARGUMENT",
      `${where}: invalid ${key} (got ${JSON.stringify(value)}, expected [height, width] of integers ≥ ${min})`,
    );
  }
  return value as unknown as readonly [number, number];
}

/**
 * TensorFlow's "same" padding along one axis: the output has `⌈size/stride⌉` positions and the
 * padding needed for that, `max(0, (out − 1)·stride + span − size)` with `span = (k − 1)·dilation + 1`,
 * is split with the odd one after (bottom/right).
 */
function samePadding(size: number, kernel: number, stride: number, dilation: number): { before: number; out: number } {
  const out = Math.ceil(size / stride);
  const span = (kernel - 1) * dilation + 1;
  const total = Math.max(0, (out - 1) * stride + span - size);
  return { before: Math.floor(total / 2), out };
}

/**
 * The geometry of a 2-D convolution or pooling window over NHWC samples of `inputShape`, with the
 * output size
 *
 * - `"valid"`: `⌊(in − span)/stride⌋ + 1` where `span = (k − 1)·dilation + 1`, no padding;
 * - `"same"`: `⌈in/stride⌉`, padding `max(0, (out − 1)·stride + span − in)` split with the odd one
 *   on the bottom/right (TensorFlow and Keras);
 * - `[[top, bottom], [left, right]]`: `⌊(in + top + bottom − span)/stride⌋ + 1`.
 *
 * @returns a frozen {@link ConvGeometry}
 * @throws BackpropError `INVALID_ARGUMENT` for a malformed option; `SHAPE_MISMATCH` when the window
 *   does not fit the padded input (no output position)
 * @example
 * ```ts
 * const g = convGeometry({ inputShape: [28, 28, 1], kernelSize: [5, 5], padding: "same", strides: [2, 2] });
 * g.outHeight; // 14
 * g.padTop;    // 1 (and 2 below: (14 − 1)·2 + 5 − 28 = 3)
 * ```
 */
export function convGeometry(options: ConvGeometryOptions): ConvGeometry {
  const where = options.where ?? "convGeometry";
  const shape = options.inputShape;
  if (!Array.isArray(shape) || shape.length !== 3 || !shape.every(positiveInt)) {
    throw new ShapeMismatchError(
      `${where}: the input shape must be [height, width, channels] of positive integers (got ${Array.isArray(shape) ? formatShape(shape) : JSON.stringify(shape)})`,
    );
  }
  const [kh, kw] = pair(where, "kernelSize", options.kernelSize, 1);
  const [sh, sw] = pair(where, "strides", options.strides ?? [1, 1], 1);
  const [dh, dw] = pair(where, "dilation", options.dilation ?? [1, 1], 1);
  const [h, w, c] = shape as unknown as [number, number, number];
  const spanH = (kh - 1) * dh + 1;
  const spanW = (kw - 1) * dw + 1;
  const padding = options.padding ?? "valid";
  let padTop = 0;
  let padLeft = 0;
  let outHeight: number;
  let outWidth: number;
  let padText: string;
  if (padding === "same") {
    const rows = samePadding(h, kh, sh, dh);
    const cols = samePadding(w, kw, sw, dw);
    padTop = rows.before;
    padLeft = cols.before;
    outHeight = rows.out;
    outWidth = cols.out;
    padText = '"same" padding';
  } else {
    let padH = 0;
    let padW = 0;
    if (padding === "valid") {
      padText = '"valid" padding';
    } else {
      if (!Array.isArray(padding) || padding.length !== 2) {
        throw new BackpropError(
          "INVALID_ARGUMENT",
          `${where}: invalid padding (got ${JSON.stringify(padding)}, expected "valid", "same" or [[top, bottom], [left, right]])`,
        );
      }
      const [top, bottom] = pair(where, "padding[0]", padding[0], 0);
      const [left, right] = pair(where, "padding[1]", padding[1], 0);
      padTop = top;
      padLeft = left;
      padH = top + bottom;
      padW = left + right;
      padText = `padding ${JSON.stringify(padding)}`;
    }
    // NOTE: floor of a negative quotient + 1 can be ≤ 0, which is exactly the "does not fit" case.
    outHeight = Math.floor((h + padH - spanH) / sh) + 1;
    outWidth = Math.floor((w + padW - spanW) / sw) + 1;
  }
  if (outHeight < 1 || outWidth < 1) {
    const dilated = dh > 1 || dw > 1 ? `, ${spanH}×${spanW} dilated` : "";
    throw new ShapeMismatchError(
      `${where}: the ${kh}×${kw} window${dilated} does not fit the ${h}×${w} input with ${padText} (got an output of ${Math.max(outHeight, 0)}×${Math.max(outWidth, 0)}, expected at least 1×1)`,
      { hint: 'use padding "same", a smaller kernel or dilation, or a larger input' },
    );
  }
  const geometry: ConvGeometry = Object.freeze({
    inHeight: h,
    inWidth: w,
    channels: c,
    kernelHeight: kh,
    kernelWidth: kw,
    strideHeight: sh,
    strideWidth: sw,
    dilationHeight: dh,
    dilationWidth: dw,
    padTop,
    padLeft,
    outHeight,
    outWidth,
  });
  checkedGeometries.add(geometry);
  return geometry;
}

const GEOMETRY_KEYS = [
  "inHeight",
  "inWidth",
  "channels",
  "kernelHeight",
  "kernelWidth",
  "strideHeight",
  "strideWidth",
  "dilationHeight",
  "dilationWidth",
  "outHeight",
  "outWidth",
] as const;

function checkGeometry(where: string, g: ConvGeometry): void {
  if (checkedGeometries.has(g)) return;
  if (typeof g !== "object" || g === null) {
    throw new BackpropError("INVALID_ARGUMENT", `${where}: expected a geometry from convGeometry()`);
  }
  for (const key of GEOMETRY_KEYS) {
    if (!positiveInt(g[key])) {
      throw new BackpropError("INVALID_ARGUMENT", `${where}: invalid geometry.${key} (got ${JSON.stringify(g[key])}, expected a positive integer)`);
    }
  }
  // Any integer offset is safe: every tap is bounds-checked, and one outside the input reads 0.
  if (!Number.isSafeInteger(g.padTop) || !Number.isSafeInteger(g.padLeft)) {
    throw new BackpropError("INVALID_ARGUMENT", `${where}: geometry.padTop and padLeft must be integers (got ${String(g.padTop)}, ${String(g.padLeft)})`);
  }
  // Only a frozen object stays as checked; another could be changed before the next call.
  if (Object.isFrozen(g)) checkedGeometries.add(g);
}

function checkImages(where: string, name: string, t: Tensor, g: ConvGeometry): number {
  const s = t.shape;
  if (s.length !== 4 || s[1] !== g.inHeight || s[2] !== g.inWidth || s[3] !== g.channels) {
    throw new ShapeMismatchError(
      `${where}: ${name} is ${t.describeShape()} (expected [n, ${g.inHeight}, ${g.inWidth}, ${g.channels}])`,
    );
  }
  return s[0] as number;
}

function checkPatches(where: string, name: string, m: Matrix, g: ConvGeometry, batch: number): void {
  const rows = batch * g.outHeight * g.outWidth;
  const cols = g.kernelHeight * g.kernelWidth * g.channels;
  if (m.rows !== rows || m.cols !== cols) {
    throw new ShapeMismatchError(
      `${where}: ${name} is ${m.describeShape()} (expected ${rows}×${cols}: ${batch}·${g.outHeight}·${g.outWidth} windows × ${g.kernelHeight}·${g.kernelWidth}·${g.channels} taps)`,
    );
  }
}

function checkPair(where: string, a: FloatArray, b: FloatArray, outName: string, inName = "the input"): void {
  if ((a instanceof Float32Array) !== (b instanceof Float32Array)) {
    throw new BackpropError(
      "INVALID_ARGUMENT",
      `${where}: dtypes do not match (${inName} is ${a instanceof Float32Array ? "float32" : "float64"}, ${outName} is ${b instanceof Float32Array ? "float32" : "float64"})`,
      { hint: "convert one side with tensor.clone(dtype)" },
    );
  }
  if (
    a.length > 0 &&
    b.length > 0 &&
    a.buffer === b.buffer &&
    a.byteOffset < b.byteOffset + b.byteLength &&
    b.byteOffset < a.byteOffset + a.byteLength
  ) {
    throw new BackpropError("INVALID_ARGUMENT", `${where}: ${outName} must not share memory with ${inName}`);
  }
}

function checkMatrix(where: string, name: string, m: Matrix, rows: number, cols: number, what: string): void {
  if (m.rows !== rows || m.cols !== cols) {
    throw new ShapeMismatchError(`${where}: ${name} is ${m.describeShape()} (expected ${rows}×${cols}: ${what})`);
  }
}

/** A matrix operand of a convolution pass: its shape, its dtype (that of `out`) and no overlap with `out`. */
function checkOperand(where: string, name: string, m: Matrix, rows: number, cols: number, what: string, out: FloatArray): void {
  checkMatrix(where, name, m, rows, cols, what);
  checkPair(where, m.data, out, "out", name);
}

/**
 * Unfolds a batch of NHWC images into the patch matrix of a convolution (im2col): row
 * `(b·outHeight + oy)·outWidth + ox` holds the receptive field of output pixel `(b, oy, ox)`,
 * kernel-position-major then channel:
 *
 * `patches[row, (ky·kw + kx)·C + c] = x[b, oy·sh − padTop + ky·dh, ox·sw − padLeft + kx·dw, c]`
 * (0 outside the input).
 *
 * That column order is a Keras kernel `[kh, kw, C, filters]` read as a `(kh·kw·C)×filters` matrix,
 * so a whole convolution is one product: `matmul(im2col(x, g), kernel.reshape([-1, filters]))`.
 *
 * @param x - images `[n, inHeight, inWidth, channels]`
 * @param g - the geometry, from {@link convGeometry}
 * @param out - the `(n·outHeight·outWidth)×(kh·kw·C)` result, same dtype as `x`; allocated when
 *   omitted. Every element is written; nothing else is allocated.
 * @throws BackpropError `SHAPE_MISMATCH` when `x` or `out` does not fit the geometry,
 *   `INVALID_ARGUMENT` for different dtypes or `out` sharing memory with `x`
 * @example
 * ```ts
 * const g = convGeometry({ inputShape: [28, 28, 1], kernelSize: [5, 5] });
 * const patches = im2col(images, g);                   // (n·24·24)×25
 * matmul(patches, kernel.reshape([25, 8]) as Matrix, z); // the convolution, (n·24·24)×8
 * ```
 */
export function im2col(x: Tensor, g: ConvGeometry, out?: Matrix): Matrix {
  checkGeometry("im2col", g);
  const batch = checkImages("im2col", "x", x, g);
  const o = out ?? new Matrix(batch * g.outHeight * g.outWidth, g.kernelHeight * g.kernelWidth * g.channels, x.dtype);
  checkPatches("im2col", "out", o, g, batch);
  checkPair("im2col", x.data, o.data, "out");
  runIm2col(getBackend(), g, batch, x.data, o.data);
  return o;
}

/**
 * The adjoint of {@link im2col} (col2im): zeroes `out`, then adds every element of the patch
 * matrix back onto the input position it was read from,
 *
 * `out[b, iy, ix, c] = Σ patches[row, (ky·kw + kx)·C + c]` over the windows and taps reading `(iy, ix)`
 * (taps in the padding are dropped).
 *
 * With `patches = dL/dPatches` this is `dL/dx` of a convolution, and `⟨im2col(x), P⟩ = ⟨x, col2im(P)⟩`
 * for any x and P.
 *
 * @param patches - `(n·outHeight·outWidth)×(kh·kw·C)`, as {@link im2col} writes it
 * @param g - the geometry, from {@link convGeometry}
 * @param out - the images `[n, inHeight, inWidth, channels]`, same dtype; allocated when omitted.
 *   Overwritten (zeroed first); nothing else is allocated.
 * @throws BackpropError `SHAPE_MISMATCH` when `patches` or `out` does not fit the geometry,
 *   `INVALID_ARGUMENT` for different dtypes or shared memory
 * @example
 * ```ts
 * matmul(delta, kernel2d, dPatches, { transB: true }); // dL/dPatches = δ·Wᵀ
 * col2im(dPatches, g, dx);                             // dL/dx
 * ```
 */
export function col2im(patches: Matrix, g: ConvGeometry, out?: Tensor): Tensor {
  checkGeometry("col2im", g);
  const perSample = g.outHeight * g.outWidth;
  const batch = out ? checkImages("col2im", "out", out, g) : Math.floor(patches.rows / perSample);
  checkPatches("col2im", "patches", patches, g, batch);
  const o = out ?? new Tensor([batch, g.inHeight, g.inWidth, g.channels], patches.dtype);
  checkPair("col2im", patches.data, o.data, "out");
  runCol2im(getBackend(), g, batch, patches.data, o.data);
  return o;
}

function runIm2col(backend: KernelBackend, g: ConvGeometry, batch: number, x: FloatArray, out: FloatArray): void {
  if (backend.im2col) backend.im2col(g, batch, x, out);
  else im2colReference(g, batch, x, out);
}

function runCol2im(backend: KernelBackend, g: ConvGeometry, batch: number, patches: FloatArray, out: FloatArray): void {
  if (backend.col2im) backend.col2im(g, batch, patches, out);
  else col2imReference(g, batch, patches, out);
}

// The patch matrix of the composed passes (a backend without fused ones, or one declining a
// product): one per dtype, grown on demand and never shrunk, as a backend's scratch.
let scratch32 = new Float32Array(0);
let scratch64 = new Float64Array(0);

function patchScratch(like: FloatArray, size: number): FloatArray {
  if (like instanceof Float32Array) {
    if (scratch32.length < size) scratch32 = new Float32Array(size);
    return scratch32.length === size ? scratch32 : scratch32.subarray(0, size);
  }
  if (scratch64.length < size) scratch64 = new Float64Array(size);
  return scratch64.length === size ? scratch64 : scratch64.subarray(0, size);
}

/**
 * The forward product of a convolution, `out = im2col(x)·kernel (+ bias)`, without handing out the
 * patch matrix: `out[(b·outHeight + oy)·outWidth + ox, f] = Σ_t patches[row, t] · kernel[t, f] + bias[f]`.
 * The bits are exactly those of {@link im2col}, `matmul` and `addRowVector` on the active backend;
 * the WASM backend makes the patches in its own memory, a chunk at a time while the product
 * consumes them, so they are never copied out and back in (other backends compose the three with
 * a scratch patch matrix kept here).
 *
 * @param x - images `[n, inHeight, inWidth, channels]`
 * @param g - the geometry, from {@link convGeometry}
 * @param kernel - `(kh·kw·channels)×filters`: a Keras kernel `[kh, kw, channels, filters]` reshaped
 * @param out - `(n·outHeight·outWidth)×filters`; allocated when omitted
 * @param bias - `1×filters`, added to every row; none when omitted
 * @param activation - `"relu"` to return `max(z, 0)` instead of z, with the bits of {@link applyRelu}
 *   on z (the WASM backends apply it before the result leaves their memory); none when omitted
 * @throws BackpropError `SHAPE_MISMATCH` for operands that do not fit the geometry,
 *   `INVALID_ARGUMENT` for different dtypes or `out` sharing memory with an operand
 * @example
 * ```ts
 * const g = convGeometry({ inputShape: [28, 28, 1], kernelSize: [5, 5] });
 * const z = conv2dForward(images, g, kernel.reshape([25, 8]) as Matrix, undefined, bias.asMatrix()); // (n·576)×8
 * ```
 */
export function conv2dForward(x: Tensor, g: ConvGeometry, kernel: Matrix, out?: Matrix, bias?: Matrix, activation?: "relu"): Matrix {
  const where = "conv2dForward";
  if (activation !== undefined && activation !== "relu") {
    throw new BackpropError("INVALID_ARGUMENT", `${where}: activation must be "relu" or omitted (got ${JSON.stringify(activation)})`, {
      hint: "apply any other activation to the result",
    });
  }
  const relu = activation === "relu";
  checkGeometry(where, g);
  const batch = checkImages(where, "x", x, g);
  const taps = g.kernelHeight * g.kernelWidth * g.channels;
  const rows = batch * g.outHeight * g.outWidth;
  const filters = kernel.cols;
  const o = out ?? new Matrix(rows, filters, x.dtype);
  checkMatrix(where, "out", o, rows, filters, `${batch}·${g.outHeight}·${g.outWidth} windows × ${filters} filters`);
  checkPair(where, x.data, o.data, "out", "x");
  checkOperand(where, "kernel", kernel, taps, filters, `${g.kernelHeight}·${g.kernelWidth}·${g.channels} taps × filters`, o.data);
  if (bias) checkOperand(where, "bias", bias, 1, filters, "one per filter", o.data);
  const backend = getBackend();
  if (backend.conv2dForward?.(g, batch, x.data, kernel.data, filters, bias?.data, o.data, relu)) return o;
  const patches = patchScratch(x.data, rows * taps);
  runIm2col(backend, g, batch, x.data, patches);
  backend.gemm(false, false, rows, filters, taps, patches, kernel.data, o.data, false);
  if (bias) addRowVector(o, bias, o);
  if (relu) applyRelu(o.data, o.data);
  return o;
}

/**
 * The kernel gradient of a convolution, `out = im2col(x)ᵀ·delta` (`out += …` when `accumulate`),
 * with `delta = dL/dz` of {@link conv2dForward}'s output. Bit-identical to {@link im2col} then
 * `matmul(patches, delta, out, { transA: true, accumulate })` on the active backend, without the
 * patch matrix leaving the WASM backend's memory.
 *
 * @param x - the images of the forward pass, `[n, inHeight, inWidth, channels]`
 * @param g - the geometry, from {@link convGeometry}
 * @param delta - `(n·outHeight·outWidth)×filters`
 * @param out - `(kh·kw·channels)×filters`; allocated when omitted
 * @param accumulate - add to `out` (a gradient summed over calls). Default false.
 * @throws BackpropError as {@link conv2dForward}
 * @example
 * ```ts
 * conv2dKernelGradient(images, g, delta, kernelGrad, true); // dL/dW += Pᵀ·δ
 * ```
 */
export function conv2dKernelGradient(x: Tensor, g: ConvGeometry, delta: Matrix, out?: Matrix, accumulate = false): Matrix {
  const where = "conv2dKernelGradient";
  checkGeometry(where, g);
  const batch = checkImages(where, "x", x, g);
  const taps = g.kernelHeight * g.kernelWidth * g.channels;
  const rows = batch * g.outHeight * g.outWidth;
  const filters = delta.cols;
  const o = out ?? new Matrix(taps, filters, x.dtype);
  checkMatrix(where, "out", o, taps, filters, `${g.kernelHeight}·${g.kernelWidth}·${g.channels} taps × ${filters} filters`);
  checkPair(where, x.data, o.data, "out", "x");
  checkOperand(where, "delta", delta, rows, filters, `${batch}·${g.outHeight}·${g.outWidth} windows × filters`, o.data);
  const backend = getBackend();
  if (backend.conv2dKernelGradient?.(g, batch, x.data, delta.data, filters, o.data, accumulate)) return o;
  const patches = patchScratch(x.data, rows * taps);
  runIm2col(backend, g, batch, x.data, patches);
  backend.gemm(true, false, taps, filters, rows, patches, delta.data, o.data, accumulate);
  return o;
}

/**
 * The input gradient of a convolution, `out = col2im(delta·kernelᵀ)` = dL/dx. Bit-identical to
 * `matmul(delta, kernel, dPatches, { transB: true })` then {@link col2im} on the active backend,
 * without the patch-matrix gradient leaving the WASM backend's memory.
 *
 * @param delta - `(n·outHeight·outWidth)×filters`, dL/dz of {@link conv2dForward}'s output
 * @param g - the geometry, from {@link convGeometry}
 * @param kernel - `(kh·kw·channels)×filters`
 * @param out - the images' gradient `[n, inHeight, inWidth, channels]`; allocated when omitted.
 *   Overwritten.
 * @throws BackpropError as {@link conv2dForward}
 * @example
 * ```ts
 * conv2dInputGradient(delta, g, kernel.reshape([25, 8]) as Matrix, dx); // dL/dx
 * ```
 */
export function conv2dInputGradient(delta: Matrix, g: ConvGeometry, kernel: Matrix, out?: Tensor): Tensor {
  const where = "conv2dInputGradient";
  checkGeometry(where, g);
  const perSample = g.outHeight * g.outWidth;
  const batch = out ? checkImages(where, "out", out, g) : Math.floor(delta.rows / perSample);
  const taps = g.kernelHeight * g.kernelWidth * g.channels;
  const rows = batch * perSample;
  const filters = kernel.cols;
  const o = out ?? new Tensor([batch, g.inHeight, g.inWidth, g.channels], delta.dtype);
  checkOperand(where, "delta", delta, rows, filters, `${batch}·${g.outHeight}·${g.outWidth} windows × ${filters} filters`, o.data);
  checkOperand(where, "kernel", kernel, taps, filters, `${g.kernelHeight}·${g.kernelWidth}·${g.channels} taps × filters`, o.data);
  const backend = getBackend();
  if (backend.conv2dInputGradient?.(g, batch, delta.data, kernel.data, filters, o.data)) return o;
  const dPatches = patchScratch(delta.data, rows * taps);
  backend.gemm(false, true, rows, taps, filters, delta.data, kernel.data, dPatches, false);
  runCol2im(backend, g, batch, dPatches, o.data);
  return o;
}

/**
 * Inference through a convolution and the max pooling after it in one backend call, where the
 * active backend has one (the WASM backends, for float32 convolutions without padding whose taps
 * are adjacent along a row): `out = maxPool(z)` with `z = conv(x) + bias`, ReLU'd when
 * `activation` is `"relu"` — the bits of {@link conv2dForward} then `maxPool2dForward` without
 * argmax, with z never leaving the backend's memory (a LeNet's first convolution output is 4×
 * the pooled one). Returns false, having written nothing, where the backend does not: the caller
 * runs the two steps.
 *
 * @param x - images `[n, inHeight, inWidth, channels]`
 * @param g - the convolution's geometry, from {@link convGeometry}
 * @param kernel - `(kh·kw·channels)×filters`
 * @param bias - `1×filters`, or undefined
 * @param pool - a pooling geometry over the convolution's output (`inHeight = g.outHeight`, …,
 *   `channels = filters`)
 * @param out - `[n, pool.outHeight, pool.outWidth, filters]`
 * @param activation - `"relu"`, or undefined for none
 * @throws BackpropError `SHAPE_MISMATCH` or `INVALID_ARGUMENT` as {@link conv2dForward}, and
 *   when `pool` is not over the convolution's output
 * @example
 * ```ts
 * if (!conv2dMaxPool(x, g, kernel, bias, pool, out, "relu")) {
 *   // compose: conv2dForward(x, g, kernel, z, bias, "relu"); maxPool2dForward(z.data, out.data, undefined, n, pool)
 * }
 * ```
 */
export function conv2dMaxPool(
  x: Tensor,
  g: ConvGeometry,
  kernel: Matrix,
  bias: Matrix | undefined,
  pool: PoolGeometry,
  out: Tensor,
  activation?: "relu",
): boolean {
  const where = "conv2dMaxPool";
  if (activation !== undefined && activation !== "relu") {
    throw new BackpropError("INVALID_ARGUMENT", `${where}: activation must be "relu" or omitted (got ${JSON.stringify(activation)})`);
  }
  checkGeometry(where, g);
  const batch = checkImages(where, "x", x, g);
  const taps = g.kernelHeight * g.kernelWidth * g.channels;
  const filters = kernel.cols;
  checkMatrix(where, "kernel", kernel, taps, filters, `${g.kernelHeight}·${g.kernelWidth}·${g.channels} taps × filters`);
  if (bias) checkMatrix(where, "bias", bias, 1, filters, "one per filter");
  if (pool.inHeight !== g.outHeight || pool.inWidth !== g.outWidth || pool.channels !== filters) {
    throw new ShapeMismatchError(
      `${where}: the pooling is over ${pool.inHeight}×${pool.inWidth}×${pool.channels} images (expected the convolution's output, ${g.outHeight}×${g.outWidth}×${filters})`,
    );
  }
  const want = [batch, pool.outHeight, pool.outWidth, filters];
  if (out.rank !== 4 || out.shape.some((d, i) => d !== want[i])) {
    throw new ShapeMismatchError(`${where}: out is ${shapeString(out)} (expected ${formatShape(want)})`);
  }
  checkPair(where, x.data, out.data, "out", "x");
  checkPair(where, kernel.data, out.data, "out", "kernel");
  if (bias) checkPair(where, bias.data, out.data, "out", "bias");
  const backend = getBackend();
  return backend.conv2dMaxPool?.(g, pool, batch, x.data, kernel.data, filters, bias?.data, activation === "relu", out.data) === true;
}

/**
 * Both gradients of a convolution in one call: `kernelGradient (+)= im2col(x)ᵀ·delta` and
 * `inputGradient = col2im(delta·kernelᵀ)`, each bit-identical to {@link conv2dKernelGradient} and
 * {@link conv2dInputGradient}. One call lets a threaded backend run the two products at the same
 * time on different threads (the kernel gradient cannot be split without gathering the patch
 * matrix twice); other backends run them one after the other.
 *
 * @param x - the images of the forward pass, `[n, inHeight, inWidth, channels]`
 * @param g - the geometry, from {@link convGeometry}
 * @param delta - `(n·outHeight·outWidth)×filters`, dL/dz
 * @param kernel - `(kh·kw·channels)×filters`
 * @param kernelGradient - `(kh·kw·channels)×filters`, written (or added to when `accumulate`)
 * @param inputGradient - `[n, inHeight, inWidth, channels]`, overwritten
 * @param accumulate - add to `kernelGradient`. Default false.
 * @throws BackpropError as {@link conv2dForward}
 * @example
 * ```ts
 * conv2dBackward(x, g, delta, kernel, kernelGrad, dx, true); // dL/dW += Pᵀ·δ, dL/dx = col2im(δ·Wᵀ)
 * ```
 */
export function conv2dBackward(
  x: Tensor,
  g: ConvGeometry,
  delta: Matrix,
  kernel: Matrix,
  kernelGradient: Matrix,
  inputGradient: Tensor,
  accumulate = false,
): void {
  const where = "conv2dBackward";
  checkGeometry(where, g);
  const batch = checkImages(where, "x", x, g);
  checkImages(where, "inputGradient", inputGradient, g);
  if (inputGradient.shape[0] !== batch) {
    throw new BackpropError(
      "SHAPE_MISMATCH",
      `${where}: inputGradient is ${shapeString(inputGradient)} (expected ${batch} images, as x)`,
    );
  }
  const taps = g.kernelHeight * g.kernelWidth * g.channels;
  const rows = batch * g.outHeight * g.outWidth;
  const filters = kernel.cols;
  checkMatrix(where, "kernelGradient", kernelGradient, taps, filters, `${g.kernelHeight}·${g.kernelWidth}·${g.channels} taps × ${filters} filters`);
  checkPair(where, x.data, kernelGradient.data, "kernelGradient", "x");
  checkPair(where, x.data, inputGradient.data, "inputGradient", "x");
  checkPair(where, kernelGradient.data, inputGradient.data, "inputGradient", "kernelGradient");
  checkMatrix(where, "delta", delta, rows, filters, `${batch}·${g.outHeight}·${g.outWidth} windows × filters`);
  checkMatrix(where, "kernel", kernel, taps, filters, `${g.kernelHeight}·${g.kernelWidth}·${g.channels} taps × filters`);
  for (const [out, outName] of [[kernelGradient.data, "kernelGradient"], [inputGradient.data, "inputGradient"]] as const) {
    checkPair(where, delta.data, out, outName, "delta");
    checkPair(where, kernel.data, out, outName, "kernel");
  }
  const backend = getBackend();
  if (backend.conv2dBackward?.(g, batch, x.data, delta.data, kernel.data, filters, kernelGradient.data, accumulate, inputGradient.data)) return;
  conv2dKernelGradient(x, g, delta, kernelGradient, accumulate);
  conv2dInputGradient(delta, g, kernel, inputGradient);
}

/**
 * The reference im2col (and the TypeScript backend's): the patch matrix of `batch` images, as
 * {@link im2col} documents it. Internal; call {@link im2col}.
 */
export function im2colReference(g: ConvGeometry, batch: number, x: FloatArray, out: FloatArray): void {
  if (x instanceof Float32Array) im2colF32(x, out as Float32Array, batch, g);
  else im2colF64(x, out as Float64Array, batch, g);
}

/**
 * The reference col2im (and the TypeScript backend's), as {@link col2im} documents it; its order
 * of additions is the one every backend follows. Internal; call {@link col2im}.
 */
export function col2imReference(g: ConvGeometry, batch: number, patches: FloatArray, out: FloatArray): void {
  if (out instanceof Float32Array) col2imF32(patches as Float32Array, out, batch, g);
  else col2imF64(patches as Float64Array, out as Float64Array, batch, g);
}

/*
 * The loops, one copy per dtype: a loop that has seen both element kinds is polymorphic, and that
 * measured 13–19% slower in float64 on an 8×32×32×16 batch with a 3×3 kernel (float32 and a
 * one-channel 28×28 input were unaffected). The bodies are identical but for the array types;
 * change both together.
 *
 * Each window row (fixed oy, ky) is entirely in the padding (zeros), or the taps kx in [kx0, kx1)
 * inside the input with zeros for the taps left and right of them. With dilation 1 those taps are
 * one contiguous run of (kx1 − kx0)·C input elements.
 */

function im2colF32(x: Float32Array, out: Float32Array, batch: number, g: ConvGeometry): void {
  const H = g.inHeight, W = g.inWidth, C = g.channels;
  const KH = g.kernelHeight, KW = g.kernelWidth;
  const SH = g.strideHeight, SW = g.strideWidth, DH = g.dilationHeight, DW = g.dilationWidth;
  const OH = g.outHeight, OW = g.outWidth, padTop = g.padTop, padLeft = g.padLeft;
  const rowLen = KW * C;
  let o = 0;
  for (let b = 0; b < batch; b++) {
    const sample = b * H * W * C;
    for (let oy = 0; oy < OH; oy++) {
      const y0 = oy * SH - padTop;
      for (let ox = 0; ox < OW; ox++) {
        const x0 = ox * SW - padLeft;
        // The taps kx in [kx0, kx1) land inside the row: x0 + kx·DW in [0, W).
        const kx0 = x0 >= 0 ? 0 : Math.min(KW, Math.ceil(-x0 / DW));
        const kx1 = Math.max(kx0, Math.min(KW, Math.ceil((W - x0) / DW)));
        for (let ky = 0; ky < KH; ky++) {
          const iy = y0 + ky * DH;
          if (iy < 0 || iy >= H || kx1 === kx0) {
            for (const end = o + rowLen; o < end; ) out[o++] = 0;
            continue;
          }
          for (const end = o + kx0 * C; o < end; ) out[o++] = 0;
          const row = sample + iy * W * C;
          if (DW === 1) {
            let s = row + (x0 + kx0) * C;
            for (const end = o + (kx1 - kx0) * C; o < end; ) out[o++] = x[s++] as number;
          } else {
            for (let kx = kx0; kx < kx1; kx++) {
              let s = row + (x0 + kx * DW) * C;
              for (const end = o + C; o < end; ) out[o++] = x[s++] as number;
            }
          }
          for (const end = o + (KW - kx1) * C; o < end; ) out[o++] = 0;
        }
      }
    }
  }
}

function im2colF64(x: Float64Array, out: Float64Array, batch: number, g: ConvGeometry): void {
  const H = g.inHeight, W = g.inWidth, C = g.channels;
  const KH = g.kernelHeight, KW = g.kernelWidth;
  const SH = g.strideHeight, SW = g.strideWidth, DH = g.dilationHeight, DW = g.dilationWidth;
  const OH = g.outHeight, OW = g.outWidth, padTop = g.padTop, padLeft = g.padLeft;
  const rowLen = KW * C;
  let o = 0;
  for (let b = 0; b < batch; b++) {
    const sample = b * H * W * C;
    for (let oy = 0; oy < OH; oy++) {
      const y0 = oy * SH - padTop;
      for (let ox = 0; ox < OW; ox++) {
        const x0 = ox * SW - padLeft;
        // The taps kx in [kx0, kx1) land inside the row: x0 + kx·DW in [0, W).
        const kx0 = x0 >= 0 ? 0 : Math.min(KW, Math.ceil(-x0 / DW));
        const kx1 = Math.max(kx0, Math.min(KW, Math.ceil((W - x0) / DW)));
        for (let ky = 0; ky < KH; ky++) {
          const iy = y0 + ky * DH;
          if (iy < 0 || iy >= H || kx1 === kx0) {
            for (const end = o + rowLen; o < end; ) out[o++] = 0;
            continue;
          }
          for (const end = o + kx0 * C; o < end; ) out[o++] = 0;
          const row = sample + iy * W * C;
          if (DW === 1) {
            let s = row + (x0 + kx0) * C;
            for (const end = o + (kx1 - kx0) * C; o < end; ) out[o++] = x[s++] as number;
          } else {
            for (let kx = kx0; kx < kx1; kx++) {
              let s = row + (x0 + kx * DW) * C;
              for (const end = o + C; o < end; ) out[o++] = x[s++] as number;
            }
          }
          for (const end = o + (KW - kx1) * C; o < end; ) out[o++] = 0;
        }
      }
    }
  }
}

function col2imF32(p: Float32Array, dx: Float32Array, batch: number, g: ConvGeometry): void {
  const H = g.inHeight, W = g.inWidth, C = g.channels;
  const KH = g.kernelHeight, KW = g.kernelWidth;
  const SH = g.strideHeight, SW = g.strideWidth, DH = g.dilationHeight, DW = g.dilationWidth;
  const OH = g.outHeight, OW = g.outWidth, padTop = g.padTop, padLeft = g.padLeft;
  const rowLen = KW * C;
  dx.fill(0);
  let o = 0;
  for (let b = 0; b < batch; b++) {
    const sample = b * H * W * C;
    for (let oy = 0; oy < OH; oy++) {
      const y0 = oy * SH - padTop;
      for (let ox = 0; ox < OW; ox++) {
        const x0 = ox * SW - padLeft;
        // The taps kx in [kx0, kx1) land inside the row: x0 + kx·DW in [0, W).
        const kx0 = x0 >= 0 ? 0 : Math.min(KW, Math.ceil(-x0 / DW));
        const kx1 = Math.max(kx0, Math.min(KW, Math.ceil((W - x0) / DW)));
        for (let ky = 0; ky < KH; ky++) {
          const iy = y0 + ky * DH;
          if (iy < 0 || iy >= H || kx1 === kx0) {
            o += rowLen;
            continue;
          }
          o += kx0 * C;
          const row = sample + iy * W * C;
          if (DW === 1) {
            let s = row + (x0 + kx0) * C;
            for (const end = o + (kx1 - kx0) * C; o < end; s++) dx[s] = (dx[s] as number) + (p[o++] as number);
          } else {
            for (let kx = kx0; kx < kx1; kx++) {
              let s = row + (x0 + kx * DW) * C;
              for (const end = o + C; o < end; s++) dx[s] = (dx[s] as number) + (p[o++] as number);
            }
          }
          o += (KW - kx1) * C;
        }
      }
    }
  }
}

function col2imF64(p: Float64Array, dx: Float64Array, batch: number, g: ConvGeometry): void {
  const H = g.inHeight, W = g.inWidth, C = g.channels;
  const KH = g.kernelHeight, KW = g.kernelWidth;
  const SH = g.strideHeight, SW = g.strideWidth, DH = g.dilationHeight, DW = g.dilationWidth;
  const OH = g.outHeight, OW = g.outWidth, padTop = g.padTop, padLeft = g.padLeft;
  const rowLen = KW * C;
  dx.fill(0);
  let o = 0;
  for (let b = 0; b < batch; b++) {
    const sample = b * H * W * C;
    for (let oy = 0; oy < OH; oy++) {
      const y0 = oy * SH - padTop;
      for (let ox = 0; ox < OW; ox++) {
        const x0 = ox * SW - padLeft;
        // The taps kx in [kx0, kx1) land inside the row: x0 + kx·DW in [0, W).
        const kx0 = x0 >= 0 ? 0 : Math.min(KW, Math.ceil(-x0 / DW));
        const kx1 = Math.max(kx0, Math.min(KW, Math.ceil((W - x0) / DW)));
        for (let ky = 0; ky < KH; ky++) {
          const iy = y0 + ky * DH;
          if (iy < 0 || iy >= H || kx1 === kx0) {
            o += rowLen;
            continue;
          }
          o += kx0 * C;
          const row = sample + iy * W * C;
          if (DW === 1) {
            let s = row + (x0 + kx0) * C;
            for (const end = o + (kx1 - kx0) * C; o < end; s++) dx[s] = (dx[s] as number) + (p[o++] as number);
          } else {
            for (let kx = kx0; kx < kx1; kx++) {
              let s = row + (x0 + kx * DW) * C;
              for (const end = o + C; o < end; s++) dx[s] = (dx[s] as number) + (p[o++] as number);
            }
          }
          o += (KW - kx1) * C;
        }
      }
    }
  }
}
