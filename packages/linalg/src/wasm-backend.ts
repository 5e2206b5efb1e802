import type { KernelBackend } from "./kernel-backend.js";
import type { FloatArray } from "./dtype.js";
import { BackpropError } from "./errors.js";
import { wasmGemmBase64, wasmGemmRelaxedBase64 } from "./generated/wasm-gemm-binary.js";
import { exactBelow, typescriptBackend } from "./typescript-backend.js";

/*
 * The WebAssembly SIMD backend. The kernels (assembly/gemm.ts, compiled by scripts/build-wasm.mjs)
 * work on linear memory, so operands living on the JS heap are copied in and the result copied out:
 * a memcpy of O(mk + kn + mn) against O(mnk) multiply-adds, a few percent at the W1 shapes. Arrays
 * that already live in the module's memory (see `WasmBackend.allocate`) are used in place.
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
) => void;

/** Bytes in a WebAssembly page. */
export const PAGE = 65536;
/** Where operands start in linear memory: the module's own static data, if any, lives below. */
export const HEAP_BASE = PAGE;

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
    try {
      relaxedSupported = wasmNamespace()?.validate(bytes) === true;
    } catch {
      relaxedSupported = false;
    }
    if (relaxedSupported) cachedRelaxed = bytes;
  }
  return cachedRelaxed;
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
   * ~0.3 µs, so even a 150×8·8×3 product is ~4× faster in WASM. 0 sends everything to WASM.
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
  /** Bytes of linear memory currently reserved by the module (it only grows). */
  memoryBytes(): number;
}

/** Rounds up to a multiple of 16 bytes (v128 alignment). */
export function align16(bytes: number): number {
  return (bytes + 15) & ~15;
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
  const instance = new wasm.Instance(new wasm.Module(relaxed ?? moduleBytes()), {});
  const memory = instance.exports["memory"] as WasmMemory;
  const gemmF32 = instance.exports["gemmF32"] as GemmExport;
  const gemmF64 = instance.exports["gemmF64"] as GemmExport;
  let f32 = new Float32Array(memory.buffer);
  let f64 = new Float64Array(memory.buffer);

  function reserve(bytes: number): void {
    const have = memory.buffer.byteLength;
    if (bytes <= have) return;
    memory.grow(Math.ceil((bytes - have) / PAGE));
    // NOTE: growing detaches the old ArrayBuffer, so views must be made again.
    f32 = new Float32Array(memory.buffer);
    f64 = new Float64Array(memory.buffer);
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
    const aOff = align16(panel + panelBytes(k));
    const bOff = align16(aOff + m * k * size);
    const cOff = align16(bOff + k * n * size);
    reserve(cOff + m * n * size);
    const view = isF32 ? f32 : f64;
    const shift = isF32 ? 2 : 3;
    view.set(a.subarray(0, m * k), aOff >> shift);
    view.set(b.subarray(0, k * n), bOff >> shift);
    if (accumulate) view.set(c.subarray(0, m * n), cOff >> shift);
    (isF32 ? gemmF32 : gemmF64)(+transA, +transB, m, n, k, aOff, bOff, cOff, +accumulate, panel, 0, m);
    c.set(view.subarray(cOff >> shift, (cOff >> shift) + m * n));
  }

  return {
    name: "wasm",
    fused: relaxed !== undefined,
    exactUpTo: exactBelow(minWork),
    gemm,
    memoryBytes: () => memory.buffer.byteLength,
  };
}
