import type { KernelBackend } from "./kernel-backend.js";
import type { FloatArray } from "./dtype.js";
import { BackpropError } from "./errors.js";
import { wasmGemmBase64, wasmGemmRelaxedBase64 } from "./generated/wasm-gemm-binary.js";
import type { PoolGeometry } from "./elementwise.js";
import { col2imReference, im2colReference, type ConvGeometry } from "./im2col.js";
import { exactBelow, typescriptBackend } from "./typescript-backend.js";
import { createDenseEpochs } from "./wasm-dense-epochs.js";
import { createDenseStack, type DenseStackKit } from "./wasm-dense-stack.js";

/*
 * The WebAssembly SIMD backend. The kernels (assembly/, compiled by scripts/build-wasm.mjs) work on
 * linear memory, so operands living on the JS heap are copied in and the result copied out: a
 * memcpy of O(mk + kn + mn) against O(mnk) multiply-adds, a few percent at the W1 shapes.
 *
 * The convolution kernels (assembly/conv.ts) take the same approach, with one twist: the patch
 * matrix of im2col, 25× the input for a 5×5 kernel on one channel, is made and consumed in chunks
 * of rows that stay in cache, so only the images, the kernel and the (smaller) result cross the
 * boundary, and the memory never grows for the patches.
 *
 * ES2022 without the DOM lib has no WebAssembly types, so the few we use are declared here.
 */

/** A `WebAssembly.Memory` (internal to the wasm backends). */
export interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  grow(pages: number): number;
}
/** A `WebAssembly.Instance` (internal to the wasm backends). */
export interface WasmInstance {
  readonly exports: Record<string, unknown>;
}
/** The part of the `WebAssembly` namespace the backends use (internal). */
export interface WasmNamespace {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => WasmInstance;
  Memory: new (descriptor: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
}
/** The signature of the kernels' `gemmF32`/`gemmF64` exports (internal). */
export type GemmExport = (
  transA: number,
  transB: number,
  m: number,
  n: number,
  k: number,
  a: number,
  b: number,
  c: number,
  accumulate: number,
  panel: number,
  i0: number,
  i1: number,
  j0: number,
  j1: number,
) => void;

/** The signature of the kernels' `im2col` export (internal). */
type Im2colExport = (g: number, x: number, out: number, r0: number, r1: number, shift: number) => void;
/** The signature of the kernels' `col2imF32`/`col2imF64` exports (internal). */
type Col2imExport = (g: number, p: number, dx: number, r0: number, r1: number) => void;
/** `convForwardF32`/`F64`: rows [i0, i1) of C = im2col(x)·W (+ bias unless 0) (internal). */
export type ConvForwardExport = (
  g: number, batch: number, x: number, w: number, bias: number, c: number, n: number,
  scratch: number, chunk: number, panel: number, i0: number, i1: number, relu: number,
) => void;
/** `convForwardDirectF32`: rows [i0, i1) of C = im2col(x)·W (+ bias) read from the image directly (internal). */
export type ConvForwardDirectExport = (
  g: number, batch: number, x: number, w: number, bias: number, c: number, n: number,
  panel: number, i0: number, i1: number, relu: number,
) => void;
/** `windowOffsets`: each patch row's window offset in x, u32, at `table` (internal). */
export type WindowOffsetsExport = (g: number, batch: number, table: number) => void;
/** `convKernelGradientDirectF32`: tap groups [q0, q1) of C (+)= im2col(x)ᵀ·D (internal). */
export type ConvKernelGradientDirectExport = (
  g: number, batch: number, x: number, d: number, c: number, n: number, accumulate: number, table: number, q0: number, q1: number,
) => void;
/** `convMaxPoolF32`: samples [b0, b1) of maxPool(relu?(conv(x) + bias)) (internal). */
export type ConvMaxPoolExport = (
  g: number, pg: number, x: number, w: number, bias: number, n: number, relu: number,
  panel: number, scratch: number, out: number, b0: number, b1: number,
) => void;
/** `convKernelGradientF32`/`F64`: rows [i0, i1) of C (+)= im2col(x)ᵀ·D (internal). */
export type ConvKernelGradientExport = (
  g: number, batch: number, x: number, d: number, c: number, n: number, accumulate: number,
  scratch: number, chunk: number, panel: number, i0: number, i1: number,
) => void;
/** `convInputGradientF32`/`F64`: dx = col2im(D·Wᵀ) for samples [b0, b1) (internal). */
export type ConvInputGradientExport = (
  g: number, batch: number, d: number, w: number, dx: number, n: number,
  scratch: number, chunk: number, panel: number, b0: number, b1: number,
) => void;

/** Bytes in a WebAssembly page. */
export const PAGE = 65536;
/** Where operands start in linear memory: the module's own static data, if any, lives below. */
export const HEAP_BASE = PAGE;
/**
 * Where the backends write a {@link ConvGeometry} for the convolution kernels (13 i32, see
 * assembly/conv.ts): in the first page, which the module leaves free (build-wasm.mjs fails if the
 * module ever gets static data).
 */
export const GEOMETRY = 256;
/** Where the fused convolution + pooling pass reads its pooling geometry (after the convolution's). */
export const POOL_GEOMETRY = GEOMETRY + 64;

/** Decodes base64 (the embedded modules) without Node's Buffer, so browsers can too. */
export function decode(base64: string): Uint8Array {
  const text = atob(base64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

let cachedBytes: Uint8Array | undefined;
function moduleBytes(): Uint8Array {
  cachedBytes ??= decode(wasmGemmBase64);
  return cachedBytes;
}

let relaxedSupported: boolean | undefined;
let cachedRelaxed: Uint8Array | undefined;
/** Whether this runtime validates relaxed-SIMD modules (checked once). */
export function isRelaxedSimdSupported(): boolean {
  return relaxedBytes() !== undefined;
}

function relaxedBytes(): Uint8Array | undefined {
  if (relaxedSupported === undefined) {
    const bytes = decode(wasmGemmRelaxedBase64);
    const validates = (): boolean => {
      try {
        return wasmNamespace()?.validate(bytes) === true;
      } catch {
        return false;
      }
    };
    relaxedSupported = validates() || (allowRelaxedSimdInNode() && validates());
    if (relaxedSupported) cachedRelaxed = bytes;
  }
  return cachedRelaxed;
}

/**
 * Turns relaxed SIMD on in a Node.js that has it behind a flag (Node 20:
 * `--experimental-wasm-relaxed-simd`); returns whether it could try. V8 reads the flag when a
 * module is validated or compiled, so setting it at run time, before our first relaxed module,
 * works as if it had been given on the command line (Node ≥ 22 and current browsers have relaxed
 * SIMD on, so this never runs there). `process.getBuiltinModule` (Node ≥ 20.16) keeps this file
 * free of a static `node:` import, so browser bundles are unaffected. `relaxed: false` on the
 * backend never gets here.
 */
function allowRelaxedSimdInNode(): boolean {
  const node = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const v8 = node?.getBuiltinModule?.("node:v8") as { setFlagsFromString?: (flags: string) => void } | undefined;
  if (typeof v8?.setFlagsFromString !== "function") return false;
  try {
    v8.setFlagsFromString("--experimental-wasm-relaxed-simd");
    return true;
  } catch {
    return false;
  }
}

/** The global `WebAssembly`, if any. */
export function wasmNamespace(): WasmNamespace | undefined {
  return (globalThis as { WebAssembly?: WasmNamespace }).WebAssembly;
}

let supported: boolean | undefined;

/**
 * True when this runtime can run the WASM SIMD backend (WebAssembly with the fixed-width SIMD
 * proposal: Node ≥ 16.4, Chrome ≥ 91, Firefox ≥ 89, Safari ≥ 16.4). Checked once by validating
 * the backend's own module, so it answers exactly for the code that would run.
 * @example
 * ```ts
 * if (isWasmSimdSupported()) setBackend(createWasmBackend());
 * ```
 */
export function isWasmSimdSupported(): boolean {
  if (supported === undefined) {
    const wasm = wasmNamespace();
    try {
      supported = wasm !== undefined && wasm.validate(moduleBytes());
    } catch {
      supported = false;
    }
  }
  return supported;
}

/** Options of {@link createWasmBackend}. */
export interface WasmBackendOptions {
  /**
   * Products with fewer multiply-adds (`m·n·k`) than this run on the TypeScript backend, where a
   * call costs less than crossing into WASM and copying. Default 256: a call plus the copies costs
   * ~0.3 µs, so even a 150×8·8×3 product is ~4× faster in WASM. im2col and col2im stay in
   * TypeScript below 4× as many patch-matrix elements (a copy is cheaper than a multiply-add), the
   * bias add and bias gradient (`addRowVector`, `sumColumns`) below as many matrix elements.
   * 0 sends everything to WASM.
   */
  readonly minWork?: number;
  /**
   * Use relaxed SIMD's fused multiply-add for float32 where the runtime has it (Node ≥ 22,
   * Chrome ≥ 114; Node 20 with `--experimental-wasm-relaxed-simd`): ~1.4× the throughput, with
   * results that may differ in the last bit between machines. float64 never fuses. Default true.
   */
  readonly relaxed?: boolean;
}

/** A {@link KernelBackend} running WebAssembly SIMD kernels, with its linear memory. */
export interface WasmBackend extends KernelBackend {
  readonly name: "wasm";
  /** True when float32 products use fused multiply-add (relaxed SIMD). */
  readonly fused: boolean;
  // The hooks this backend always has (declared here so callers need not test for them).
  /** See {@link KernelBackend.sgdUpdate}. */
  readonly sgdUpdate: NonNullable<KernelBackend["sgdUpdate"]>;
  /** See {@link KernelBackend.momentumUpdate}. */
  readonly momentumUpdate: NonNullable<KernelBackend["momentumUpdate"]>;
  /** See {@link KernelBackend.adamUpdate}. */
  readonly adamUpdate: NonNullable<KernelBackend["adamUpdate"]>;
  /** See {@link KernelBackend.nonFinite}. */
  readonly nonFinite: NonNullable<KernelBackend["nonFinite"]>;
  /** See {@link KernelBackend.denseStack}. */
  readonly denseStack: NonNullable<KernelBackend["denseStack"]>;
  /** See {@link KernelBackend.denseEpochs}. */
  readonly denseEpochs: NonNullable<KernelBackend["denseEpochs"]>;
  /** Bytes of linear memory currently reserved by the module (it only grows). */
  memoryBytes(): number;
}

/** Rounds up to a multiple of 16 bytes (v128 alignment). */
export function align16(bytes: number): number {
  return (bytes + 15) & ~15;
}

/**
 * `bytes` rounded up to a 64-byte cache line (internal). Operands that start on a line are read
 * by the kernels' 16-byte loads without any load straddling two lines: measured 4.7 µs against
 * 5.8 µs (16-byte aligned) and 6.5–7 µs (4-byte aligned) for the matrix-vector product of a
 * 784×128 float32 matrix.
 */
export function alignLine(bytes: number): number {
  return (bytes + 63) & ~63;
}

/**
 * A module's linear memory as the backends see it (internal): typed views of the whole memory,
 * made again whenever it grows (a private memory's buffer is detached by growth; a shared one's
 * old views keep their old length).
 */
export interface WasmHeap {
  readonly f32: Float32Array;
  readonly f64: Float64Array;
  readonly i32: Int32Array;
  /** Makes the memory at least `bytes` long (it never shrinks). */
  reserve(bytes: number): void;
  /** Writes `g` where the convolution kernels read it ({@link GEOMETRY}). */
  writeGeometry(g: ConvGeometry): void;
  /** Writes `g` where the pooling kernels read it (at `at`, default {@link GEOMETRY}; 11 i32, see assembly/elementwise.ts). */
  writePoolGeometry(g: PoolGeometry, at?: number): void;
}

/** The {@link WasmHeap} of `memory`, which only the calling thread grows (internal). */
export function createHeap(memory: WasmMemory): WasmHeap {
  // NOTE: the size is tracked here rather than read from memory.buffer on every call: only this
  // thread grows the memory, and the getter is not free.
  let size = memory.buffer.byteLength;
  const heap = {
    f32: new Float32Array(memory.buffer),
    f64: new Float64Array(memory.buffer),
    i32: new Int32Array(memory.buffer),
    reserve(bytes: number): void {
      if (bytes <= size) return;
      memory.grow(Math.ceil((bytes - size) / PAGE));
      size = memory.buffer.byteLength;
      heap.f32 = new Float32Array(memory.buffer);
      heap.f64 = new Float64Array(memory.buffer);
      heap.i32 = new Int32Array(memory.buffer);
    },
    writeGeometry(g: ConvGeometry): void {
      const o = GEOMETRY >> 2;
      const i32 = heap.i32;
      i32[o] = g.inHeight;
      i32[o + 1] = g.inWidth;
      i32[o + 2] = g.channels;
      i32[o + 3] = g.kernelHeight;
      i32[o + 4] = g.kernelWidth;
      i32[o + 5] = g.strideHeight;
      i32[o + 6] = g.strideWidth;
      i32[o + 7] = g.dilationHeight;
      i32[o + 8] = g.dilationWidth;
      i32[o + 9] = g.padTop;
      i32[o + 10] = g.padLeft;
      i32[o + 11] = g.outHeight;
      i32[o + 12] = g.outWidth;
    },
    writePoolGeometry(g: PoolGeometry, at = GEOMETRY): void {
      const o = at >> 2;
      const i32 = heap.i32;
      i32[o] = g.inHeight;
      i32[o + 1] = g.inWidth;
      i32[o + 2] = g.channels;
      i32[o + 3] = g.poolHeight;
      i32[o + 4] = g.poolWidth;
      i32[o + 5] = g.strideHeight;
      i32[o + 6] = g.strideWidth;
      i32[o + 7] = g.outHeight;
      i32[o + 8] = g.outWidth;
      i32[o + 9] = g.padTop;
      i32[o + 10] = g.padLeft;
    },
  };
  return heap;
}

/** im2col and col2im run in WASM from `minWork` times this many patch-matrix elements (internal). */
export const CONV_ELEMENTS_PER_WORK = 4;
/** Patch-matrix bytes the convolution kernels make and consume at a time (about half an L2). */
const CHUNK_BYTES = 1 << 18;
/** Bound on every coordinate term, so that sums of three stay exact in the kernels' i32 arithmetic. */
const COORDINATE_LIMIT = 2 ** 29;

/**
 * Whether the float32 forward pass can read its windows from the image directly
 * (assembly/conv.ts, convForwardDirectF32): no padding, every window inside the image, and a
 * window row's taps adjacent (dilation width 1) (internal).
 */
export function directForward(g: ConvGeometry): boolean {
  return (
    g.padTop === 0 &&
    g.padLeft === 0 &&
    g.dilationWidth === 1 &&
    (g.outHeight - 1) * g.strideHeight + (g.kernelHeight - 1) * g.dilationHeight < g.inHeight &&
    (g.outWidth - 1) * g.strideWidth + g.kernelWidth - 1 < g.inWidth
  );
}

/**
 * Whether the fused inference pass (convolution, optional ReLU, max pooling, assembly/conv.ts's
 * convMaxPoolF32) runs for these operands: float32, a direct forward geometry, a pooling geometry
 * over the convolution's output, and indices that stay exact in i32 (internal).
 */
export function fusesConvPool(g: ConvGeometry, pool: PoolGeometry, batch: number, filters: number, isF32: boolean): boolean {
  return (
    isF32 &&
    directForward(g) &&
    pool.inHeight === g.outHeight &&
    pool.inWidth === g.outWidth &&
    pool.channels === filters &&
    convFits(g, batch) &&
    batch * g.outHeight * g.outWidth * filters < COORDINATE_LIMIT
  );
}

/**
 * Whether the float32 kernel gradient can read its windows from the image (assembly/conv.ts,
 * convKernelGradientDirectF32): directForward's windows and whole blocks of 8 filters (internal).
 */
export function directKernelGradient(g: ConvGeometry, filters: number): boolean {
  return directForward(g) && filters % 8 === 0;
}

/** The tap groups the direct kernel gradient works in (and threads split): five adjacent taps of a window row. */
export function kernelGradientGroups(g: ConvGeometry): number {
  return g.kernelHeight * Math.ceil((g.kernelWidth * g.channels) / 5);
}

/** Bytes of the direct forward pass's packed kernel: (filters + 7)/8 panels of taps×8, and a 4×8 tile. */
export function directPanelBytes(taps: number, filters: number): number {
  return Math.ceil(filters / 8) * taps * 32 + 128;
}

/** Rows of the patch matrix per chunk: a multiple of 4, the GEMM's tile height, so no chunk ends in a partial tile. */
export function chunkRows(taps: number, size: number): number {
  return Math.max(4, Math.floor(CHUNK_BYTES / (taps * size) / 4) * 4);
}

/**
 * Whether the kernels' i32 index arithmetic is exact for `g` over `batch` samples: any geometry
 * from convGeometry for images that fit in memory. Hand-made ones with extreme offsets or strides
 * (a pad of 2³⁰ rows, say) run on the TypeScript loops instead.
 */
export function convFits(g: ConvGeometry, batch: number): boolean {
  const terms = [
    g.inHeight * g.inWidth * g.channels,
    (g.outHeight - 1) * g.strideHeight,
    (g.outWidth - 1) * g.strideWidth,
    (g.kernelHeight - 1) * g.dilationHeight,
    (g.kernelWidth - 1) * g.dilationWidth,
    Math.abs(g.padTop),
    Math.abs(g.padLeft),
  ];
  for (const t of terms) if (!(t < COORDINATE_LIMIT)) return false;
  // Row numbers of the patch matrix and its element count stay below 2³¹.
  return batch * g.outHeight * g.outWidth * g.kernelHeight * g.kernelWidth * g.channels < 2 ** 31;
}

/** The im2col and col2im of a wasm backend: the image copied in once, the patch matrix in chunks (internal). */
export interface WasmConvKernels {
  im2col(g: ConvGeometry, batch: number, x: FloatArray, out: FloatArray): void;
  col2im(g: ConvGeometry, batch: number, patches: FloatArray, out: FloatArray): void;
}

/**
 * {@link WasmConvKernels} over a module's exports and heap (internal; shared by the wasm backends).
 * Patch matrices of fewer than `minElements` elements stay on the TypeScript loops (same bits).
 */
export function createConvKernels(exports: Record<string, unknown>, heap: WasmHeap, minElements: number): WasmConvKernels {
  const im2colExport = exports["im2col"] as Im2colExport;
  const col2imF32 = exports["col2imF32"] as Col2imExport;
  const col2imF64 = exports["col2imF64"] as Col2imExport;
  return {
    im2col(g, batch, x, out) {
      const taps = g.kernelHeight * g.kernelWidth * g.channels;
      const rows = batch * g.outHeight * g.outWidth;
      if (rows * taps < minElements || rows === 0 || !convFits(g, batch)) {
        im2colReference(g, batch, x, out);
        return;
      }
      const isF32 = x instanceof Float32Array;
      const size = isF32 ? 4 : 8;
      const shift = isF32 ? 2 : 3;
      const chunk = chunkRows(taps, size);
      // 16 bytes of slack after the image and after the chunk: the gather reads and writes whole
      // v128s (see assembly/conv.ts).
      const xOff = HEAP_BASE;
      const pOff = align16(xOff + x.length * size + 16);
      heap.reserve(pOff + Math.min(rows, chunk) * taps * size + 16);
      heap.writeGeometry(g);
      const view = isF32 ? heap.f32 : heap.f64;
      view.set(x, xOff >> shift);
      const p = pOff >> shift;
      for (let r0 = 0; r0 < rows; r0 += chunk) {
        const r1 = Math.min(rows, r0 + chunk);
        im2colExport(GEOMETRY, xOff, pOff, r0, r1, shift);
        out.set(view.subarray(p, p + (r1 - r0) * taps), r0 * taps);
      }
    },
    col2im(g, batch, patches, out) {
      const taps = g.kernelHeight * g.kernelWidth * g.channels;
      const rows = batch * g.outHeight * g.outWidth;
      if (rows * taps < minElements || rows === 0 || !convFits(g, batch)) {
        col2imReference(g, batch, patches, out);
        return;
      }
      const isF32 = out instanceof Float32Array;
      const size = isF32 ? 4 : 8;
      const shift = isF32 ? 2 : 3;
      const chunk = chunkRows(taps, size);
      const dxOff = HEAP_BASE;
      const pOff = align16(dxOff + out.length * size);
      heap.reserve(pOff + Math.min(rows, chunk) * taps * size);
      heap.writeGeometry(g);
      const view = isF32 ? heap.f32 : heap.f64;
      const dx = dxOff >> shift;
      view.fill(0, dx, dx + out.length);
      const kernel = isF32 ? col2imF32 : col2imF64;
      // Chunks in increasing row order: each input element receives its terms in the reference order.
      for (let r0 = 0; r0 < rows; r0 += chunk) {
        const r1 = Math.min(rows, r0 + chunk);
        view.set(patches.subarray(r0 * taps, r1 * taps), pOff >> shift);
        kernel(GEOMETRY, pOff, dxOff, r0, r1);
      }
      out.set(view.subarray(dx, dx + out.length));
    },
  };
}

/** The signature of the kernels' `addRowVectorF32`/`F64` exports (internal). */
type AddRowVectorExport = (rows: number, cols: number, a: number, v: number, out: number) => void;
/** The signature of the kernels' `standardizeF32` export (internal). */
type StandardizeExport = (rows: number, cols: number, a: number, mean: number, std: number, out: number) => void;
/** The signature of the kernels' `sumColumnsF32`/`F64` exports (internal). */
type SumColumnsExport = (rows: number, cols: number, a: number, out: number, accumulate: number) => void;

/**
 * The bias add and bias gradient run in WASM from `minWork` times this many matrix elements
 * (internal). Below that the call and the copies, not the adds, are most of the time and the
 * TypeScript loops of ops.ts win: measured even at ~256 elements (32×8), 2–4× faster from 64×8.
 */
export const ROW_ELEMENTS_PER_WORK = 1;

/** The bias kernels of a wasm backend (internal; see {@link KernelBackend.addRowVector}). */
export interface WasmRowKernels {
  addRowVector(rows: number, cols: number, a: FloatArray, v: FloatArray, out: FloatArray): boolean;
  sumColumns(rows: number, cols: number, a: FloatArray, out: FloatArray, accumulate: boolean): boolean;
  standardize(rows: number, cols: number, x: FloatArray, mean: FloatArray, std: Float64Array, out: FloatArray): boolean;
}

/**
 * {@link WasmRowKernels} over a module's exports and heap (internal; shared by the wasm backends).
 * Matrices of fewer than `minElements` elements are declined (the caller's loops give the same bits).
 */
export function createRowKernels(exports: Record<string, unknown>, heap: WasmHeap, minElements: number): WasmRowKernels {
  const addF32 = exports["addRowVectorF32"] as AddRowVectorExport;
  const addF64 = exports["addRowVectorF64"] as AddRowVectorExport;
  const sumF32 = exports["sumColumnsF32"] as SumColumnsExport;
  const sumF64 = exports["sumColumnsF64"] as SumColumnsExport;
  const standardizeF32 = exports["standardizeF32"] as StandardizeExport;
  return {
    standardize(rows, cols, x, mean, std, out) {
      const n = rows * cols;
      if (n < minElements || n === 0 || !(x instanceof Float32Array && out instanceof Float32Array && mean instanceof Float32Array)) return false;
      const sOff = HEAP_BASE;
      const mOff = align16(sOff + cols * 8);
      const xOff = align16(mOff + cols * 4);
      heap.reserve(xOff + n * 4);
      heap.f64.set(std.subarray(0, cols), sOff >> 3);
      heap.f32.set(mean.subarray(0, cols), mOff >> 2);
      heap.f32.set(x.subarray(0, n), xOff >> 2);
      standardizeF32(rows, cols, xOff, mOff, sOff, xOff);
      out.set(heap.f32.subarray(xOff >> 2, (xOff >> 2) + n));
      return true;
    },
    addRowVector(rows, cols, a, v, out) {
      const n = rows * cols;
      if (n < minElements || n === 0) return false;
      const isF32 = out instanceof Float32Array;
      const size = isF32 ? 4 : 8;
      const shift = isF32 ? 2 : 3;
      const vOff = HEAP_BASE;
      const aOff = align16(vOff + cols * size);
      heap.reserve(aOff + n * size);
      const view = isF32 ? heap.f32 : heap.f64;
      view.set(v.subarray(0, cols), vOff >> shift);
      view.set(a.subarray(0, n), aOff >> shift);
      // In place on the copy of a: one region copied in and out, the least memory traffic.
      (isF32 ? addF32 : addF64)(rows, cols, aOff, vOff, aOff);
      out.set(view.subarray(aOff >> shift, (aOff >> shift) + n));
      return true;
    },
    sumColumns(rows, cols, a, out, accumulate) {
      const n = rows * cols;
      if (n < minElements || n === 0) return false;
      const isF32 = out instanceof Float32Array;
      const size = isF32 ? 4 : 8;
      const shift = isF32 ? 2 : 3;
      const oOff = HEAP_BASE;
      const aOff = align16(oOff + cols * size);
      heap.reserve(aOff + n * size);
      const view = isF32 ? heap.f32 : heap.f64;
      view.set(a.subarray(0, n), aOff >> shift);
      if (accumulate) view.set(out.subarray(0, cols), oOff >> shift);
      (isF32 ? sumF32 : sumF64)(rows, cols, aOff, oOff, +accumulate);
      out.set(view.subarray(oOff >> shift, (oOff >> shift) + cols));
      return true;
    },
  };
}

/** `sgdF32`/`sgdF64` (internal; see assembly/optimizers.ts). */
type SgdExport = (value: number, grad: number, n: number, lr: number, wd: number) => void;
/** `momentumF32` (internal). */
type MomentumExport = (value: number, grad: number, buffer: number, n: number, lr: number, mu: number, wd: number, nesterov: number) => void;
/** `adamF32` (internal): the step's scalars are 6 doubles at `hp`. */
type AdamExport = (value: number, grad: number, m: number, v: number, vmax: number, n: number, hp: number) => void;
/** `nonFiniteF32`/`nonFiniteF64` (internal). */
type NonFiniteExport = (src: number, n: number) => number;

/** The optimizer updates and the finiteness check of a wasm backend (internal). */
export type WasmOptimizerKernels = Required<Pick<KernelBackend, "sgdUpdate" | "momentumUpdate" | "adamUpdate" | "nonFinite">>;

/**
 * The optimizer kernels run in WASM from `minWork` times this many elements (internal). An update
 * is a few flops per element, so below a few thousand elements the copies in and out and the
 * call cost more than the TypeScript loop saves (a 4 096-element SGD step: 2.5 µs in TypeScript).
 */
export const UPDATE_ELEMENTS_PER_WORK = 16;

/** Elements the finiteness check copies in at a time (512 KiB of float64). */
const CHECK_CHUNK_ELEMENTS = 1 << 16;

/**
 * {@link WasmOptimizerKernels} over a module's exports and heap (internal; shared by the wasm
 * backends). Each call copies its arrays in, updates them there and copies the changed ones out;
 * arrays of fewer than `minElements` elements are declined.
 */
export function createOptimizerKernels(exports: Record<string, unknown>, heap: WasmHeap, minElements: number): WasmOptimizerKernels {
  const sgdF32 = exports["sgdF32"] as SgdExport;
  const sgdF64 = exports["sgdF64"] as SgdExport;
  const momentumF32 = exports["momentumF32"] as MomentumExport;
  const adamF32 = exports["adamF32"] as AdamExport;
  const nonFiniteF32 = exports["nonFiniteF32"] as NonFiniteExport;
  const nonFiniteF64 = exports["nonFiniteF64"] as NonFiniteExport;
  /** Whether the kernels take `value` and `grad`: long enough, one element type. */
  function takes(value: FloatArray, grad: FloatArray): boolean {
    const n = value.length;
    return n >= minElements && n > 0 && grad.length === n && value instanceof Float32Array === grad instanceof Float32Array;
  }
  return {
    sgdUpdate(value, grad, lr, weightDecay) {
      if (!takes(value, grad)) return false;
      const n = value.length;
      const isF32 = value instanceof Float32Array;
      const shift = isF32 ? 2 : 3;
      const pOff = HEAP_BASE;
      const gOff = align16(pOff + (n << shift));
      heap.reserve(gOff + (n << shift));
      const view = isF32 ? heap.f32 : heap.f64;
      view.set(value, pOff >> shift);
      view.set(grad, gOff >> shift);
      (isF32 ? sgdF32 : sgdF64)(pOff, gOff, n, lr, weightDecay);
      value.set(view.subarray(pOff >> shift, (pOff >> shift) + n));
      return true;
    },
    momentumUpdate(value, grad, buffer, lr, momentum, weightDecay, nesterov) {
      // float32 only (float64 runs the rule's loop): see assembly/optimizers.ts.
      if (!takes(value, grad) || buffer.length !== value.length || !(value instanceof Float32Array)) return false;
      const n = value.length;
      const bOff = HEAP_BASE;
      const pOff = align16(bOff + n * 8);
      const gOff = align16(pOff + n * 4);
      heap.reserve(gOff + n * 4);
      heap.f64.set(buffer, bOff >> 3);
      heap.f32.set(value, pOff >> 2);
      heap.f32.set(grad, gOff >> 2);
      momentumF32(pOff, gOff, bOff, n, lr, momentum, weightDecay, +nesterov);
      value.set(heap.f32.subarray(pOff >> 2, (pOff >> 2) + n));
      buffer.set(heap.f64.subarray(bOff >> 3, (bOff >> 3) + n));
      return true;
    },
    adamUpdate(value, grad, moments, step) {
      const { expAvg, expAvgSq, maxExpAvgSq } = moments;
      const n = value.length;
      if (
        !takes(value, grad) ||
        !(value instanceof Float32Array) ||
        expAvg.length !== n ||
        expAvgSq.length !== n ||
        (maxExpAvgSq !== undefined && maxExpAvgSq.length !== n)
      ) {
        return false;
      }
      const hp = HEAP_BASE;
      const mOff = align16(hp + 6 * 8);
      const vOff = align16(mOff + n * 8);
      const xOff = align16(vOff + n * 8);
      const pOff = align16(xOff + (maxExpAvgSq ? n * 8 : 0));
      const gOff = align16(pOff + n * 4);
      heap.reserve(gOff + n * 4);
      const f64 = heap.f64;
      const h = hp >> 3;
      f64[h] = step.stepSize;
      f64[h + 1] = step.sqrtCorrection2;
      f64[h + 2] = step.beta1;
      f64[h + 3] = step.beta2;
      f64[h + 4] = step.eps;
      f64[h + 5] = step.weightDecay;
      f64.set(expAvg, mOff >> 3);
      f64.set(expAvgSq, vOff >> 3);
      if (maxExpAvgSq) f64.set(maxExpAvgSq, xOff >> 3);
      heap.f32.set(value, pOff >> 2);
      heap.f32.set(grad, gOff >> 2);
      adamF32(pOff, gOff, mOff, vOff, maxExpAvgSq ? xOff : 0, n, hp);
      value.set(heap.f32.subarray(pOff >> 2, (pOff >> 2) + n));
      expAvg.set(f64.subarray(mOff >> 3, (mOff >> 3) + n));
      expAvgSq.set(f64.subarray(vOff >> 3, (vOff >> 3) + n));
      if (maxExpAvgSq) maxExpAvgSq.set(f64.subarray(xOff >> 3, (xOff >> 3) + n));
      return true;
    },
    nonFinite(d) {
      const n = d.length;
      if (n < minElements || n === 0) return -1;
      const isF32 = d instanceof Float32Array;
      const shift = isF32 ? 2 : 3;
      const off = HEAP_BASE;
      // In chunks: a whole data set (fit checks its x) must not grow the memory, and a chunk
      // copied in is still in cache when the kernel reads it.
      const chunk = Math.min(n, CHECK_CHUNK_ELEMENTS);
      heap.reserve(off + (chunk << shift));
      const view = isF32 ? heap.f32 : heap.f64;
      const check = isF32 ? nonFiniteF32 : nonFiniteF64;
      for (let start = 0; start < n; start += chunk) {
        const end = Math.min(n, start + chunk);
        view.set(start === 0 && end === n ? d : d.subarray(start, end), off >> shift);
        if (check(off, end - start) !== 0) return 1;
      }
      return 0;
    },
  };
}

/** `lstmForwardF32` (internal; see assembly/recurrent.ts). */
type LstmForwardExport = (
  steps: number, batch: number, units: number, z: number, recurrent: number, h: number, c: number,
  gates: number, cellOut: number, mask: number, panel: number,
) => void;
/** `lstmBackwardF32` (internal; see assembly/recurrent.ts). */
type LstmBackwardExport = (
  steps: number, batch: number, units: number, recurrent: number, c: number, gates: number, cellOut: number,
  mask: number, outGrad: number, dh: number, dc: number, dz: number, panel: number,
) => void;

/** The LSTM time-loop kernels of a wasm backend (internal). */
export type WasmRecurrentKernels = Required<Pick<KernelBackend, "lstmForward" | "lstmBackward">>;

/**
 * {@link WasmRecurrentKernels} over a module's exports and heap (internal; shared by the wasm
 * backends). Each call copies its operands in, runs the whole sequence, and copies the results
 * out; sequences of fewer than `minWork` multiply-adds stay on the layers' own loops.
 */
export function createRecurrentKernels(exports: Record<string, unknown>, heap: WasmHeap, minWork: number): WasmRecurrentKernels {
  const lstmForwardF32 = exports["lstmForwardF32"] as LstmForwardExport;
  const lstmBackwardF32 = exports["lstmBackwardF32"] as LstmBackwardExport;
  /** Lays out `arrays` one after another from HEAP_BASE (16-byte aligned); returns their byte offsets and the end. */
  function layout(lengths: readonly number[]): { at: number[]; end: number } {
    const at: number[] = [];
    let next = HEAP_BASE;
    for (const n of lengths) {
      at.push(next);
      next = align16(next + n * 4);
    }
    return { at, end: next };
  }
  const runs = (steps: number, batch: number, units: number) =>
    units % 4 === 0 && units > 0 && steps > 0 && batch > 0 && steps * batch * units * units * 4 >= minWork;
  return {
    lstmForward(steps, batch, units, z, recurrent, h, c, gates, cellOut, mask) {
      if (!runs(steps, batch, units)) return false;
      const block = batch * units;
      // The GEMM panel of h·U needs units·32 + 128 bytes.
      const { at, end } = layout([z.length, recurrent.length, h.length, c.length, gates.length, cellOut.length, mask ? (mask.length + 3) >> 2 : 0, units * 8 + 64]);
      const [zAt, uAt, hAt, cAt, gAt, oAt, mAt, panel] = at as [number, number, number, number, number, number, number, number];
      heap.reserve(end);
      const f32 = heap.f32;
      f32.set(z, zAt >> 2);
      f32.set(recurrent, uAt >> 2);
      f32.set(h.subarray(0, block), hAt >> 2);
      f32.set(c.subarray(0, block), cAt >> 2);
      if (mask) new Uint8Array(f32.buffer, mAt, mask.length).set(mask);
      lstmForwardF32(steps, batch, units, zAt, uAt, hAt, cAt, gAt, oAt, mask ? mAt : 0, panel);
      h.set(f32.subarray(hAt >> 2, (hAt >> 2) + h.length));
      c.set(f32.subarray(cAt >> 2, (cAt >> 2) + c.length));
      gates.set(f32.subarray(gAt >> 2, (gAt >> 2) + gates.length));
      cellOut.set(f32.subarray(oAt >> 2, (oAt >> 2) + cellOut.length));
      return true;
    },
    lstmBackward(steps, batch, units, recurrent, c, gates, cellOut, mask, outputGradients, dh, dc, dz) {
      if (!runs(steps, batch, units)) return false;
      const width = 4 * units;
      const { at, end } = layout([
        recurrent.length, c.length, gates.length, cellOut.length, mask ? (mask.length + 3) >> 2 : 0,
        // The GEMM panel of δ·Uᵀ needs 4·units·32 + 128 bytes.
        outputGradients ? outputGradients.length : 0, dh.length, dc.length, dz.length, width * 8 + 64,
      ]);
      const [uAt, cAt, gAt, oAt, mAt, ogAt, dhAt, dcAt, dzAt, panel] = at as [number, number, number, number, number, number, number, number, number, number];
      heap.reserve(end);
      const f32 = heap.f32;
      f32.set(recurrent, uAt >> 2);
      f32.set(c, cAt >> 2);
      f32.set(gates, gAt >> 2);
      f32.set(cellOut, oAt >> 2);
      if (mask) new Uint8Array(f32.buffer, mAt, mask.length).set(mask);
      if (outputGradients) f32.set(outputGradients, ogAt >> 2);
      f32.set(dh, dhAt >> 2);
      f32.set(dc, dcAt >> 2);
      lstmBackwardF32(steps, batch, units, uAt, cAt, gAt, oAt, mask ? mAt : 0, outputGradients ? ogAt : 0, dhAt, dcAt, dzAt, panel);
      dh.set(f32.subarray(dhAt >> 2, (dhAt >> 2) + dh.length));
      dc.set(f32.subarray(dcAt >> 2, (dcAt >> 2) + dc.length));
      dz.set(f32.subarray(dzAt >> 2, (dzAt >> 2) + dz.length));
      return true;
    },
  };
}

/** `reluF32`/`F64`: dst = relu(src) over n elements (internal). */
type ReluExport = (src: number, dst: number, n: number) => void;
/** `reluBackwardF32`/`F64`: dst = grad · (x > 0) over n elements (internal). */
type ReluBackwardExport = (x: number, grad: number, dst: number, n: number) => void;
/** `maxPoolF32`/`F64`: y, argmax = max pooling of x (internal). */
type MaxPoolExport = (g: number, batch: number, x: number, y: number, argmax: number) => void;
/** `maxPoolValuesF32`/`F64`: y = max pooling of x, no argmax (internal). */
type MaxPoolValuesExport = (g: number, batch: number, x: number, y: number) => void;
/** `maxPoolBackwardF32`/`F64`: dx = scatter-add of dy at argmax (internal). */
type MaxPoolBackwardExport = (dy: number, argmax: number, dx: number, nOut: number, nIn: number) => void;

/** The ReLU and max-pooling kernels of a wasm backend (internal). */
export type WasmElementKernels = Required<Pick<KernelBackend, "relu" | "reluGradient" | "maxPool2dForward" | "maxPool2dBackward">>;

/** Bound on a pooling geometry's sizes, so that every index stays exact in the kernels' i32 arithmetic. */
function poolFits(g: PoolGeometry, batch: number): boolean {
  const inputs = batch * g.inHeight * g.inWidth * g.channels;
  const terms = [inputs, (g.outHeight - 1) * g.strideHeight + g.poolHeight, (g.outWidth - 1) * g.strideWidth + g.poolWidth];
  for (const t of terms) if (!(t < COORDINATE_LIMIT)) return false;
  return Math.abs(g.padTop) < COORDINATE_LIMIT && Math.abs(g.padLeft) < COORDINATE_LIMIT;
}

/**
 * {@link WasmElementKernels} over a module's exports and heap (internal; shared by the wasm
 * backends). Arrays of fewer than `minElements` elements stay on the reference loops (same bits).
 */
export function createElementKernels(exports: Record<string, unknown>, heap: WasmHeap, minElements: number): WasmElementKernels {
  const reluF32 = exports["reluF32"] as ReluExport;
  const reluF64 = exports["reluF64"] as ReluExport;
  const reluBackwardF32 = exports["reluBackwardF32"] as ReluBackwardExport;
  const reluBackwardF64 = exports["reluBackwardF64"] as ReluBackwardExport;
  const maxPoolF32 = exports["maxPoolF32"] as MaxPoolExport;
  const maxPoolF64 = exports["maxPoolF64"] as MaxPoolExport;
  const maxPoolValuesF32 = exports["maxPoolValuesF32"] as MaxPoolValuesExport;
  const maxPoolValuesF64 = exports["maxPoolValuesF64"] as MaxPoolValuesExport;
  const maxPoolBackwardF32 = exports["maxPoolBackwardF32"] as MaxPoolBackwardExport;
  const maxPoolBackwardF64 = exports["maxPoolBackwardF64"] as MaxPoolBackwardExport;
  return {
    relu(src, dst) {
      const n = src.length;
      if (n < minElements || n === 0) return false;
      const isF32 = dst instanceof Float32Array;
      const shift = isF32 ? 2 : 3;
      const off = HEAP_BASE;
      heap.reserve(off + (n << shift));
      const view = isF32 ? heap.f32 : heap.f64;
      view.set(src, off >> shift);
      (isF32 ? reluF32 : reluF64)(off, off, n);
      dst.set(view.subarray(off >> shift, (off >> shift) + n));
      return true;
    },
    reluGradient(x, grad, dst) {
      const n = x.length;
      if (n < minElements || n === 0) return false;
      const isF32 = dst instanceof Float32Array;
      const shift = isF32 ? 2 : 3;
      const xOff = HEAP_BASE;
      const gOff = align16(xOff + (n << shift));
      heap.reserve(gOff + (n << shift));
      const view = isF32 ? heap.f32 : heap.f64;
      view.set(x, xOff >> shift);
      view.set(grad, gOff >> shift);
      (isF32 ? reluBackwardF32 : reluBackwardF64)(xOff, gOff, gOff, n);
      dst.set(view.subarray(gOff >> shift, (gOff >> shift) + n));
      return true;
    },
    maxPool2dForward(g, batch, x, y, argmax) {
      const n = x.length;
      if (n < minElements || y.length === 0 || !poolFits(g, batch)) return false;
      const isF32 = y instanceof Float32Array;
      const shift = isF32 ? 2 : 3;
      const outputs = y.length;
      const xOff = HEAP_BASE;
      const yOff = align16(xOff + (n << shift));
      const aOff = align16(yOff + (outputs << shift));
      heap.reserve(aOff + outputs * 4);
      heap.writePoolGeometry(g);
      const view = isF32 ? heap.f32 : heap.f64;
      view.set(x, xOff >> shift);
      if (argmax) (isF32 ? maxPoolF32 : maxPoolF64)(GEOMETRY, batch, xOff, yOff, aOff);
      else (isF32 ? maxPoolValuesF32 : maxPoolValuesF64)(GEOMETRY, batch, xOff, yOff);
      y.set(view.subarray(yOff >> shift, (yOff >> shift) + outputs));
      if (argmax) argmax.set(heap.i32.subarray(aOff >> 2, (aOff >> 2) + outputs));
      return true;
    },
    maxPool2dBackward(dy, argmax, dx) {
      const n = dx.length;
      const outputs = dy.length;
      if (n < minElements || n === 0 || n >= COORDINATE_LIMIT) return false;
      const isF32 = dx instanceof Float32Array;
      const shift = isF32 ? 2 : 3;
      const dOff = HEAP_BASE;
      const aOff = align16(dOff + (outputs << shift));
      const xOff = align16(aOff + outputs * 4);
      heap.reserve(xOff + (n << shift));
      const view = isF32 ? heap.f32 : heap.f64;
      view.set(dy, dOff >> shift);
      heap.i32.set(argmax, aOff >> 2);
      (isF32 ? maxPoolBackwardF32 : maxPoolBackwardF64)(dOff, aOff, xOff, outputs, n);
      dx.set(view.subarray(xOff >> shift, (xOff >> shift) + n));
      return true;
    },
  };
}

/** Scratch a thread needs per product: a k×8 packed panel of B plus one 4×8 tile (see assembly/gemm.ts). */
export function panelBytes(k: number): number {
  return k * 32 + 128;
}

/**
 * Creates a backend whose matmul runs on WebAssembly SIMD: a 4×8 (float32, f32x4; 5×8 when A is
 * transposed, where small k makes a tile's fixed cost weigh more) or 4×4 (float64, f64x2)
 * register-blocked GEMM for every transpose combination. float64 never uses FMA,
 * so its results are bit-identical to {@link typescriptBackend}'s; float32 results agree within
 * float32 rounding (the TypeScript backend rounds sums from float64; relaxed SIMD may fuse).
 *
 * Each instance owns a WebAssembly module and memory (grown on demand, never shrunk).
 * @throws BackpropError `INVALID_STATE` when the runtime lacks WASM SIMD (see {@link isWasmSimdSupported})
 * @example
 * ```ts
 * import { setBackend, createWasmBackend } from "@backprop/linalg";
 * setBackend(createWasmBackend());
 * ```
 */
export function createWasmBackend(options: WasmBackendOptions = {}): WasmBackend {
  const minWork = options.minWork ?? 256;
  if (!(typeof minWork === "number" && minWork >= 0)) {
    throw new BackpropError(
      "INVALID_ARGUMENT",
      `createWasmBackend: minWork must be a non-negative number (got ${String(minWork)})`,
    );
  }
  const wasm = wasmNamespace();
  if (!wasm || !isWasmSimdSupported()) {
    throw new BackpropError("INVALID_STATE", "createWasmBackend: this runtime has no WebAssembly SIMD support", {
      hint: 'use the TypeScript backend: useBackend("typescript")',
    });
  }
  const relaxed = options.relaxed === false ? undefined : relaxedBytes();
  // NOTE: the module's own memory starts at 64 MiB, reserved rather than committed, so it grows —
  // and detaches its ArrayBuffer, which V8 then makes every typed-array loop in the process pay
  // for — only for products with more operands than that. A shared memory would never detach, but
  // V8 copies into a SharedArrayBuffer with slower, tear-free copies (measured 3–5% on W1).
  const compiled = new wasm.Module(relaxed ?? moduleBytes());
  const instance = new wasm.Instance(compiled, {});
  const exports = instance.exports;
  const memory = exports["memory"] as WasmMemory;
  const gemmF32 = exports["gemmF32"] as GemmExport;
  const gemmF64 = exports["gemmF64"] as GemmExport;
  const convForwardF32 = exports["convForwardF32"] as ConvForwardExport;
  const convForwardF64 = exports["convForwardF64"] as ConvForwardExport;
  const convForwardDirectF32 = exports["convForwardDirectF32"] as ConvForwardDirectExport;
  const convMaxPoolF32 = exports["convMaxPoolF32"] as ConvMaxPoolExport;
  const windowOffsets = exports["windowOffsets"] as WindowOffsetsExport;
  const convKernelGradientDirectF32 = exports["convKernelGradientDirectF32"] as ConvKernelGradientDirectExport;
  const convKernelGradientF32 = exports["convKernelGradientF32"] as ConvKernelGradientExport;
  const convKernelGradientF64 = exports["convKernelGradientF64"] as ConvKernelGradientExport;
  const convInputGradientF32 = exports["convInputGradientF32"] as ConvInputGradientExport;
  const convInputGradientF64 = exports["convInputGradientF64"] as ConvInputGradientExport;
  const heap = createHeap(memory);
  const conv = createConvKernels(exports, heap, CONV_ELEMENTS_PER_WORK * minWork);
  const rowKernels = createRowKernels(exports, heap, ROW_ELEMENTS_PER_WORK * minWork);
  const elementKernels = createElementKernels(exports, heap, ROW_ELEMENTS_PER_WORK * minWork);
  const recurrentKernels = createRecurrentKernels(exports, heap, minWork);
  const optimizerKernels = createOptimizerKernels(exports, heap, UPDATE_ELEMENTS_PER_WORK * minWork);
  // The fused passes and epoch loops each get their own instance of the compiled module.
  const kit: DenseStackKit = {
    instantiate: () => {
      const own = new wasm.Instance(compiled, {});
      const memory = own.exports["memory"] as WasmMemory;
      return {
        exports: own.exports,
        memory,
        reserve(bytes) {
          if (bytes > memory.buffer.byteLength) memory.grow(Math.ceil((bytes - memory.buffer.byteLength) / PAGE));
        },
      };
    },
    minWork,
    heapBase: HEAP_BASE,
    panelBytes,
  };

  /**
   * Whether the product of a convolution pass (m·n·k = rows·taps·filters for all three) runs here,
   * exactly as `gemm` decides it; otherwise a fused pass declines and the caller composes.
   */
  function fuses(g: ConvGeometry, batch: number, filters: number): boolean {
    const rows = batch * g.outHeight * g.outWidth;
    const taps = g.kernelHeight * g.kernelWidth * g.channels;
    return rows * taps * filters >= minWork && rows > 0 && filters > 0 && convFits(g, batch);
  }

  function gemm(
    transA: boolean,
    transB: boolean,
    m: number,
    n: number,
    k: number,
    a: FloatArray,
    b: FloatArray,
    c: FloatArray,
    accumulate: boolean,
  ): void {
    if (m * n * k < minWork || m === 0 || n === 0) {
      typescriptBackend.gemm(transA, transB, m, n, k, a, b, c, accumulate);
      return;
    }
    const isF32 = c instanceof Float32Array;
    const size = isF32 ? 4 : 8;
    const panel = HEAP_BASE;
    // Operands on cache lines: no 16-byte load then straddles two (see alignLine).
    const aOff = alignLine(panel + panelBytes(k));
    const bOff = alignLine(aOff + m * k * size);
    const cOff = alignLine(bOff + k * n * size);
    heap.reserve(cOff + m * n * size);
    const view = isF32 ? heap.f32 : heap.f64;
    const shift = isF32 ? 2 : 3;
    view.set(a.subarray(0, m * k), aOff >> shift);
    view.set(b.subarray(0, k * n), bOff >> shift);
    if (accumulate) view.set(c.subarray(0, m * n), cOff >> shift);
    (isF32 ? gemmF32 : gemmF64)(+transA, +transB, m, n, k, aOff, bOff, cOff, +accumulate, panel, 0, m, 0, n);
    c.set(view.subarray(cOff >> shift, (cOff >> shift) + m * n));
  }

  function conv2dForward(
    g: ConvGeometry,
    batch: number,
    x: FloatArray,
    kernel: FloatArray,
    filters: number,
    bias: FloatArray | undefined,
    out: FloatArray,
    relu = false,
  ): boolean {
    if (!fuses(g, batch, filters)) return false;
    const isF32 = out instanceof Float32Array;
    const size = isF32 ? 4 : 8;
    const shift = isF32 ? 2 : 3;
    const rows = batch * g.outHeight * g.outWidth;
    const taps = g.kernelHeight * g.kernelWidth * g.channels;
    if (isF32 && directForward(g)) {
      const panelEnd = align16(HEAP_BASE + directPanelBytes(taps, filters));
      const xAt = panelEnd;
      const wAt = align16(xAt + x.length * size);
      const bAt = align16(wAt + kernel.length * size);
      const cAt = align16(bAt + (bias ? bias.length : 0) * size);
      heap.reserve(cAt + rows * filters * size);
      heap.writeGeometry(g);
      const f32 = heap.f32;
      f32.set(x, xAt >> 2);
      f32.set(kernel, wAt >> 2);
      if (bias) f32.set(bias, bAt >> 2);
      convForwardDirectF32(GEOMETRY, batch, xAt, wAt, bias ? bAt : 0, cAt, filters, HEAP_BASE, 0, rows, +relu);
      out.set(heap.f32.subarray(cAt >> 2, (cAt >> 2) + rows * filters));
      return true;
    }
    const chunk = chunkRows(taps, size);
    // Regions sized by what is copied in (the arrays), so none can spill into the next.
    const panel = HEAP_BASE;
    const xOff = align16(panel + panelBytes(taps));
    const wOff = align16(xOff + x.length * size + 16);
    const bOff = align16(wOff + kernel.length * size);
    const cOff = align16(bOff + (bias ? bias.length : 0) * size);
    const sOff = align16(cOff + rows * filters * size);
    heap.reserve(sOff + Math.min(rows, chunk) * taps * size + 16);
    heap.writeGeometry(g);
    const view = isF32 ? heap.f32 : heap.f64;
    view.set(x, xOff >> shift);
    view.set(kernel, wOff >> shift);
    if (bias) view.set(bias, bOff >> shift);
    (isF32 ? convForwardF32 : convForwardF64)(GEOMETRY, batch, xOff, wOff, bias ? bOff : 0, cOff, filters, sOff, chunk, panel, 0, rows, +relu);
    out.set(view.subarray(cOff >> shift, (cOff >> shift) + rows * filters));
    return true;
  }

  function conv2dMaxPool(
    g: ConvGeometry,
    pool: PoolGeometry,
    batch: number,
    x: FloatArray,
    kernel: FloatArray,
    filters: number,
    bias: FloatArray | undefined,
    relu: boolean,
    out: FloatArray,
  ): boolean {
    if (!fuses(g, batch, filters) || !fusesConvPool(g, pool, batch, filters, out instanceof Float32Array)) return false;
    const taps = g.kernelHeight * g.kernelWidth * g.channels;
    const scratch = align16(HEAP_BASE + directPanelBytes(taps, filters));
    const xAt = align16(scratch + g.outHeight * g.outWidth * filters * 4 + 16);
    const wAt = align16(xAt + x.length * 4);
    const bAt = align16(wAt + kernel.length * 4);
    const oAt = align16(bAt + (bias ? bias.length : 0) * 4);
    heap.reserve(oAt + out.length * 4);
    heap.writeGeometry(g);
    heap.writePoolGeometry(pool, POOL_GEOMETRY);
    heap.f32.set(x, xAt >> 2);
    heap.f32.set(kernel, wAt >> 2);
    if (bias) heap.f32.set(bias, bAt >> 2);
    convMaxPoolF32(GEOMETRY, POOL_GEOMETRY, xAt, wAt, bias ? bAt : 0, filters, +relu, HEAP_BASE, scratch, oAt, 0, batch);
    out.set(heap.f32.subarray(oAt >> 2, (oAt >> 2) + out.length));
    return true;
  }

  function conv2dKernelGradient(
    g: ConvGeometry,
    batch: number,
    x: FloatArray,
    delta: FloatArray,
    filters: number,
    out: FloatArray,
    accumulate: boolean,
  ): boolean {
    if (!fuses(g, batch, filters)) return false;
    const isF32 = out instanceof Float32Array;
    const size = isF32 ? 4 : 8;
    const shift = isF32 ? 2 : 3;
    const rows = batch * g.outHeight * g.outWidth;
    const taps = g.kernelHeight * g.kernelWidth * g.channels;
    if (isF32 && directKernelGradient(g, filters)) {
      const tAt = HEAP_BASE;
      const xAt = align16(tAt + rows * 4);
      const dAt = align16(xAt + x.length * 4 + 16);
      const cAt = align16(dAt + delta.length * 4);
      heap.reserve(cAt + taps * filters * 4);
      heap.writeGeometry(g);
      heap.f32.set(x, xAt >> 2);
      heap.f32.set(delta, dAt >> 2);
      if (accumulate) heap.f32.set(out.subarray(0, taps * filters), cAt >> 2);
      windowOffsets(GEOMETRY, batch, tAt);
      convKernelGradientDirectF32(GEOMETRY, batch, xAt, dAt, cAt, filters, +accumulate, tAt, 0, kernelGradientGroups(g));
      out.set(heap.f32.subarray(cAt >> 2, (cAt >> 2) + taps * filters));
      return true;
    }
    const chunk = chunkRows(taps, size);
    // The GEMM's k is a chunk of rows here, so that sizes its panel.
    const panel = HEAP_BASE;
    const xOff = align16(panel + panelBytes(Math.min(rows, chunk)));
    const dOff = align16(xOff + x.length * size + 16);
    const cOff = align16(dOff + delta.length * size);
    const sOff = align16(cOff + Math.max(out.length, taps * filters) * size);
    heap.reserve(sOff + Math.min(rows, chunk) * taps * size + 16);
    heap.writeGeometry(g);
    const view = isF32 ? heap.f32 : heap.f64;
    view.set(x, xOff >> shift);
    view.set(delta, dOff >> shift);
    if (accumulate) view.set(out, cOff >> shift);
    (isF32 ? convKernelGradientF32 : convKernelGradientF64)(GEOMETRY, batch, xOff, dOff, cOff, filters, +accumulate, sOff, chunk, panel, 0, taps);
    out.set(view.subarray(cOff >> shift, (cOff >> shift) + taps * filters));
    return true;
  }

  function conv2dInputGradient(
    g: ConvGeometry,
    batch: number,
    delta: FloatArray,
    kernel: FloatArray,
    filters: number,
    out: FloatArray,
  ): boolean {
    if (!fuses(g, batch, filters)) return false;
    const isF32 = out instanceof Float32Array;
    const size = isF32 ? 4 : 8;
    const shift = isF32 ? 2 : 3;
    const rows = batch * g.outHeight * g.outWidth;
    const taps = g.kernelHeight * g.kernelWidth * g.channels;
    const chunk = chunkRows(taps, size);
    const panel = HEAP_BASE;
    const dOff = align16(panel + panelBytes(filters));
    const wOff = align16(dOff + delta.length * size);
    const xOff = align16(wOff + kernel.length * size);
    const sOff = align16(xOff + out.length * size);
    heap.reserve(sOff + Math.min(rows, chunk) * taps * size);
    heap.writeGeometry(g);
    const view = isF32 ? heap.f32 : heap.f64;
    view.set(delta, dOff >> shift);
    view.set(kernel, wOff >> shift);
    (isF32 ? convInputGradientF32 : convInputGradientF64)(GEOMETRY, batch, dOff, wOff, xOff, filters, sOff, chunk, panel, 0, batch);
    const images = batch * g.inHeight * g.inWidth * g.channels;
    out.set(view.subarray(xOff >> shift, (xOff >> shift) + images));
    return true;
  }

  return {
    name: "wasm",
    fused: relaxed !== undefined,
    exactUpTo: exactBelow(minWork),
    gemm,
    im2col: conv.im2col,
    col2im: conv.col2im,
    conv2dForward,
    conv2dKernelGradient,
    conv2dInputGradient,
    conv2dMaxPool,
    addRowVector: rowKernels.addRowVector,
    sumColumns: rowKernels.sumColumns,
    standardize: rowKernels.standardize,
    ...elementKernels,
    ...recurrentKernels,
    ...optimizerKernels,
    denseStack: (plan) => createDenseStack(kit, plan),
    denseEpochs: (plan) => createDenseEpochs(kit, plan),
    memoryBytes: () => memory.buffer.byteLength,
  };
}
