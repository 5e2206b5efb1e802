import type { KernelBackend } from "./kernel-backend.js";
import type { FloatArray } from "./dtype.js";
import type { PoolGeometry } from "./elementwise.js";
import type { ConvGeometry } from "./im2col.js";
import { BackpropError } from "./errors.js";
import { wasmGemmSharedBase64, wasmGemmSharedRelaxedBase64, wasmSharedMaxPages } from "./generated/wasm-gemm-binary.js";
import { exactBelow, typescriptBackend } from "./typescript-backend.js";
import { createDenseStack, type DenseStackKit } from "./wasm-dense-stack.js";
import {
  CONV_ELEMENTS_PER_WORK,
  HEAP_BASE,
  align16,
  createConvKernels,
  GEOMETRY,
  chunkRows,
  convFits,
  createHeap,
  directForward,
  directPanelBytes,
  fusesConvPool,
  directKernelGradient,
  kernelGradientGroups,
  POOL_GEOMETRY,
  createWasmBackend,
  decode,
  isRelaxedSimdSupported,
  isWasmSimdSupported,
  panelBytes,
  wasmNamespace,
  type ConvForwardDirectExport,
  type ConvForwardExport,
  type ConvMaxPoolExport,
  type ConvKernelGradientDirectExport,
  type WindowOffsetsExport,
  type ConvInputGradientExport,
  type ConvKernelGradientExport,
  type GemmExport,
  type WasmMemory,
} from "./wasm-backend.js";

/*
 * Kernel-level parallelism: one product's rows are split between the calling thread and helper
 * threads that share the module's memory (a shared WebAssembly.Memory on a SharedArrayBuffer).
 * The split falls on multiples of 4 rows, the kernel's tile height, so every tile is computed by
 * exactly the code a single thread would run: results are bit-identical to the one-thread WASM
 * backend (same relaxed setting) whatever the thread count, and therefore deterministic.
 *
 * Each helper waits on its own control word (Atomics.wait), runs its rows, and notifies back; the
 * caller works on its own rows meanwhile, then waits (Node's main thread may block; a browser's
 * main thread cannot, so there it spins on Atomics.load). Operands are copied into the shared
 * memory and the result out, as in the one-thread backend.
 *
 * im2col and col2im, the bias add and gradient (addRowVector, sumColumns), and ReLU and max pooling run on the calling
 * thread, with the one-thread backend's kernels and glue (the same bits). The three convolution
 * passes are split too, with the patch matrix made in chunks by each thread in its own scratch:
 * the forward pass by output rows, the kernel gradient by taps (rows of the result), the input
 * gradient by samples — each element computed by one thread in the one-thread order, so the bits
 * do not depend on the thread count.
 */

// Slots of a helper's control Int32Array; backend-wasm-worker.js reads the same layout.
const SEQ = 0;
const DONE = 1;
const OP = 2;
const ARGS = 3;
const CONTROL_SLOTS = 20;
const OP_STOP = 0;
const OP_GEMM = 1;
const OP_CONV_FORWARD = 2;
const OP_CONV_KERNEL_GRADIENT = 3;
const OP_CONV_INPUT_GRADIENT = 4;
const OP_CONV_FORWARD_DIRECT = 5;
const OP_CONV_MAX_POOL = 6;
const OP_CONV_KERNEL_GRADIENT_DIRECT = 7;
const OP_SGD = 8;
/** Filters from which a kernel gradient is split across threads (see conv2dKernelGradient). */
const SPLIT_KERNEL_GRADIENT_FILTERS = 32;
const SPIN = 200000;
/** Where sgdAt writes lr and the weight decay for the helpers: in the first page, after the geometries. */
const SGD_SCALARS = 1024;
/** Parameters from which a fused step's SGD update is split across threads. */
const SPLIT_UPDATE_ELEMENTS = 32768;
/** `sgdAtF32`/`sgdAtF64`: SGD with lr and weight decay read from memory (assembly/optimizers.ts). */
type SgdAtExport = (value: number, grad: number, n: number, hp: number) => void;

/** A helper thread as the backend sees it: Node `worker_threads.Worker` or a Web `Worker`. */
interface Helper {
  readonly control: Int32Array;
  terminate(): Promise<unknown> | void;
}

/** Options of {@link createThreadedWasmBackend}. */
export interface ThreadedWasmBackendOptions {
  /** Threads working on one product, the caller's included: 2 uses one helper. Default 2, at most 16. */
  readonly threads?: number;
  /**
   * Products with fewer multiply-adds than this run on the TypeScript backend, and so do im2col
   * and col2im of fewer than 4× as many patch-matrix elements; addRowVector and sumColumns of
   * fewer matrix elements than this run on the loops of ops.ts. Default 256.
   */
  readonly minWork?: number;
  /**
   * Products with fewer multiply-adds than this run on the calling thread alone: waking a helper
   * costs a few microseconds. Default 200 000 (W1's big products, 6.4 M each, are split).
   */
  readonly minParallelWork?: number;
  /** Use relaxed SIMD's fused multiply-add for float32 where available. Default true. */
  readonly relaxed?: boolean;
}

/** A {@link KernelBackend} splitting each large product across threads; see {@link createThreadedWasmBackend}. */
export interface ThreadedWasmBackend extends KernelBackend {
  readonly name: "wasm-threads";
  /** Threads per product, the caller's included. */
  readonly threads: number;
  /** True when float32 products use fused multiply-add (relaxed SIMD). */
  readonly fused: boolean;
  /** Bytes of shared memory currently reserved (it starts at 2 MiB and only grows). */
  memoryBytes(): number;
  /** Stops the helper threads. The backend must not be used afterwards. */
  close(): Promise<void>;
}

/** True when this runtime can share WebAssembly memory between threads (SharedArrayBuffer, Atomics). */
function isSharedMemorySupported(): boolean {
  return typeof SharedArrayBuffer === "function" && typeof Atomics === "object";
}

const isNode = typeof process === "object" && typeof process.versions?.node === "string";

/** Starts one helper running backend-wasm-worker.js and hands it the module, memory and control word. */
async function startHelper(module: object, memory: WasmMemory): Promise<Helper> {
  const url = new URL("./backend-wasm-worker.js", import.meta.url);
  const control = new Int32Array(new SharedArrayBuffer(CONTROL_SLOTS * 4));
  control[OP] = OP_GEMM;
  const init = { module, memory, control: control.buffer };
  if (isNode) {
    const { Worker } = await import("node:worker_threads");
    const worker = new Worker(url);
    await new Promise<void>((resolve, reject) => {
      worker.once("message", () => resolve());
      worker.once("error", reject);
      worker.postMessage(init);
    });
    // NOTE: an idle helper sleeps in Atomics.wait; unref lets the process exit without close().
    worker.unref();
    return { control, terminate: () => worker.terminate() };
  }
  type WebWorker = {
    postMessage(m: unknown): void;
    terminate(): void;
    addEventListener(t: string, f: (e: unknown) => void, o?: object): void;
  };
  const WorkerClass = (globalThis as { Worker?: new (url: URL, options: object) => WebWorker }).Worker;
  if (!WorkerClass) throw new BackpropError("INVALID_STATE", "createThreadedWasmBackend: this runtime has no Worker");
  const worker = new WorkerClass(url, { type: "module" });
  await new Promise<void>((resolve, reject) => {
    worker.addEventListener("message", () => resolve(), { once: true });
    worker.addEventListener("error", reject, { once: true });
    worker.postMessage(init);
  });
  return { control, terminate: () => worker.terminate() };
}

/** Whether this thread may block in Atomics.wait (Node and workers: yes; a browser's main thread: no). */
function canBlock(): boolean {
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Creates a WASM SIMD backend that splits every large product across `threads` threads (the
 * caller's plus helpers on `worker_threads` in Node, module Web Workers in browsers — the latter
 * need a cross-origin-isolated page for SharedArrayBuffer). Results are bit-identical to
 * {@link createWasmBackend}'s with the same `relaxed` setting, for any thread count.
 *
 * Asynchronous because starting a thread is; `close()` stops the helpers (in Node they do not keep
 * the process alive anyway).
 * @throws BackpropError `INVALID_ARGUMENT` for a bad option, `INVALID_STATE` without WASM SIMD or
 *   shared memory
 * @example
 * ```ts
 * const backend = await createThreadedWasmBackend({ threads: 2 });
 * const previous = setBackend(backend);
 * try { model.fit(x, y, { epochs: 5 }); } finally { setBackend(previous); await backend.close(); }
 * ```
 */
export async function createThreadedWasmBackend(options: ThreadedWasmBackendOptions = {}): Promise<ThreadedWasmBackend> {
  const threads = options.threads ?? 2;
  const minWork = options.minWork ?? 256;
  const minParallelWork = options.minParallelWork ?? 200_000;
  if (!(Number.isSafeInteger(threads) && threads >= 1 && threads <= 16)) {
    throw new BackpropError(
      "INVALID_ARGUMENT",
      `createThreadedWasmBackend: threads must be an integer in 1..16 (got ${String(threads)})`,
    );
  }
  for (const [key, value] of [["minWork", minWork], ["minParallelWork", minParallelWork]] as const) {
    if (!(typeof value === "number" && value >= 0)) {
      throw new BackpropError(
        "INVALID_ARGUMENT",
        `createThreadedWasmBackend: ${key} must be a non-negative number (got ${String(value)})`,
      );
    }
  }
  const wasm = wasmNamespace();
  if (!wasm || !isWasmSimdSupported() || !isSharedMemorySupported()) {
    throw new BackpropError(
      "INVALID_STATE",
      "createThreadedWasmBackend: this runtime lacks WebAssembly SIMD or shared memory (SharedArrayBuffer)",
      { hint: 'use the one-thread backends: useBackend("wasm") or useBackend("typescript")' },
    );
  }
  const fused = options.relaxed !== false && isRelaxedSimdSupported();
  const module = new wasm.Module(decode(fused ? wasmGemmSharedRelaxedBase64 : wasmGemmSharedBase64));
  const memory = new wasm.Memory({ initial: 32, maximum: wasmSharedMaxPages, shared: true });
  const instance = new wasm.Instance(module, { env: { memory } });
  const gemmF32 = instance.exports["gemmF32"] as GemmExport;
  const gemmF64 = instance.exports["gemmF64"] as GemmExport;
  const convForwardF32 = instance.exports["convForwardF32"] as ConvForwardExport;
  const convForwardF64 = instance.exports["convForwardF64"] as ConvForwardExport;
  const convForwardDirectF32 = instance.exports["convForwardDirectF32"] as ConvForwardDirectExport;
  const convMaxPoolF32 = instance.exports["convMaxPoolF32"] as ConvMaxPoolExport;
  const windowOffsets = instance.exports["windowOffsets"] as WindowOffsetsExport;
  const convKernelGradientDirectF32 = instance.exports["convKernelGradientDirectF32"] as ConvKernelGradientDirectExport;
  const convKernelGradientF32 = instance.exports["convKernelGradientF32"] as ConvKernelGradientExport;
  const convKernelGradientF64 = instance.exports["convKernelGradientF64"] as ConvKernelGradientExport;
  const convInputGradientF32 = instance.exports["convInputGradientF32"] as ConvInputGradientExport;
  const convInputGradientF64 = instance.exports["convInputGradientF64"] as ConvInputGradientExport;
  const sgdAtF32 = instance.exports["sgdAtF32"] as SgdAtExport;
  const sgdAtF64 = instance.exports["sgdAtF64"] as SgdAtExport;
  const helpers: Helper[] = [];
  try {
    for (let t = 1; t < threads; t++) helpers.push(await startHelper(module, memory));
  } catch (error) {
    await Promise.all(helpers.map((h) => h.terminate()));
    throw new BackpropError("INVALID_STATE", "createThreadedWasmBackend: a helper thread failed to start", {
      cause: error,
    });
  }
  const blocking = canBlock();
  // NOTE: a shared memory never detaches, but each `buffer` read after growth is a new, longer
  // view; the heap makes its views again when it grows the memory (only this thread does).
  const heap = createHeap(memory);
  // Every kernel that writes the shared memory reserves it first: counting the reservations tells
  // a dense stack whether its activations may have been overwritten between its passes.
  const reserveShared = heap.reserve.bind(heap);
  let generation = 0;
  heap.reserve = (bytes: number): void => {
    generation++;
    reserveShared(bytes);
  };
  const conv = createConvKernels(instance.exports, heap, CONV_ELEMENTS_PER_WORK * minWork);
  // NOTE: the bias, ReLU and pooling kernels are memory-bound and run on this thread alone, so they
  // get a module instance of their own with a plain memory: V8 copies into and out of a shared
  // one with tear-free copies at less than half the speed (measured: 46 µs against 20 µs for a
  // 576 KiB round trip), which for a CNN's activations cost more than the kernels.
  const local = createWasmBackend({ minWork, relaxed: fused });
  const rowKernels = {
    addRowVector: local.addRowVector as NonNullable<KernelBackend["addRowVector"]>,
    sumColumns: local.sumColumns as NonNullable<KernelBackend["sumColumns"]>,
    standardize: local.standardize as NonNullable<KernelBackend["standardize"]>,
  };
  const elementKernels = {
    relu: local.relu as NonNullable<KernelBackend["relu"]>,
    reluGradient: local.reluGradient as NonNullable<KernelBackend["reluGradient"]>,
    maxPool2dForward: local.maxPool2dForward as NonNullable<KernelBackend["maxPool2dForward"]>,
    maxPool2dBackward: local.maxPool2dBackward as NonNullable<KernelBackend["maxPool2dBackward"]>,
  };
  let closed = false;
  const stackKit: DenseStackKit = {
    instantiate: () => ({ exports: instance.exports, memory, reserve: reserveShared }),
    minWork,
    heapBase: HEAP_BASE,
    panelBytes: (k) => threads * align16(panelBytes(k)),
    // Checked on every product and update: after close() the helpers are gone, and waiting for
    // them would never end.
    gemm: (isF32, transA, transB, m, n, k, a, b, c, accumulate, panel) => {
      checkOpen();
      gemmAt(isF32, transA, transB, m, n, k, a, b, c, accumulate, panel, align16(panelBytes(k)));
    },
    sgd: (isF32, value, grad, n, lr, weightDecay) => {
      checkOpen();
      sgdAt(isF32, value, grad, n, lr, weightDecay, SGD_SCALARS);
    },
    generation: () => generation,
    written: () => {
      generation++;
    },
  };

  function checkOpen(): void {
    if (closed) throw new BackpropError("INVALID_STATE", "wasm-threads backend: used after close()");
  }

  function waitFor(control: Int32Array, seq: number): void {
    let done = Atomics.load(control, DONE);
    for (let spin = 0; done !== seq; spin++) {
      if (blocking && spin > SPIN) Atomics.wait(control, DONE, done);
      done = Atomics.load(control, DONE);
    }
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
    checkOpen();
    const work = m * n * k;
    if (work < minWork || m === 0 || n === 0) {
      typescriptBackend.gemm(transA, transB, m, n, k, a, b, c, accumulate);
      return;
    }
    const isF32 = c instanceof Float32Array;
    const size = isF32 ? 4 : 8;
    const panelStride = align16(panelBytes(k));
    const aOff = align16(HEAP_BASE + threads * panelStride);
    const bOff = align16(aOff + m * k * size);
    const cOff = align16(bOff + k * n * size);
    heap.reserve(cOff + m * n * size);
    const view = isF32 ? heap.f32 : heap.f64;
    const shift = isF32 ? 2 : 3;
    view.set(a.subarray(0, m * k), aOff >> shift);
    view.set(b.subarray(0, k * n), bOff >> shift);
    if (accumulate) view.set(c.subarray(0, m * n), cOff >> shift);
    gemmAt(isF32, transA, transB, m, n, k, aOff, bOff, cOff, accumulate, HEAP_BASE, panelStride);
    c.set(view.subarray(cOff >> shift, (cOff >> shift) + m * n));
  }

  /**
   * A product whose operands are already in the shared memory (byte offsets), with thread t's
   * panel at `panel0 + t·panelStride`: large ones split across the threads, small ones on this
   * thread. The split is by columns (multiples of the 8-column panel) when every thread gets at
   * least two panels, else by rows (multiples of the 4-row tile): a row split makes every thread
   * pack all of B, which for a short batch (64 rows times a 784×128 kernel) costs as much as the
   * products it shares. Either split gives the bits of one thread.
   */
  function gemmAt(
    isF32: boolean,
    transA: boolean,
    transB: boolean,
    m: number,
    n: number,
    k: number,
    aOff: number,
    bOff: number,
    cOff: number,
    accumulate: boolean,
    panel0: number,
    panelStride: number,
  ): void {
    const parallel = m * n * k >= minParallelWork && m > 4 ? threads : 1;
    const byColumns = parallel > 1 && n >= 16 * parallel;
    // Columns (rows) per thread, a multiple of the panel width (tile height); fewer threads when
    // there are few of them.
    const extent = byColumns ? n : m;
    const quantum = byColumns ? 8 : 4;
    const chunk = Math.ceil(extent / parallel / quantum) * quantum;
    const used = Math.ceil(extent / chunk);
    for (let t = 1; t < used; t++) {
      const control = (helpers[t - 1] as Helper).control;
      const from = t * chunk;
      const to = Math.min(extent, (t + 1) * chunk);
      control[OP] = OP_GEMM;
      control[ARGS] = isF32 ? 1 : 0;
      control[ARGS + 1] = +transA;
      control[ARGS + 2] = +transB;
      control[ARGS + 3] = m;
      control[ARGS + 4] = n;
      control[ARGS + 5] = k;
      control[ARGS + 6] = aOff;
      control[ARGS + 7] = bOff;
      control[ARGS + 8] = cOff;
      control[ARGS + 9] = +accumulate;
      control[ARGS + 10] = panel0 + t * panelStride;
      control[ARGS + 11] = byColumns ? 0 : from;
      control[ARGS + 12] = byColumns ? m : to;
      control[ARGS + 13] = byColumns ? from : 0;
      control[ARGS + 14] = byColumns ? to : n;
      Atomics.add(control, SEQ, 1);
      Atomics.notify(control, SEQ);
    }
    const own = Math.min(extent, chunk);
    (isF32 ? gemmF32 : gemmF64)(+transA, +transB, m, n, k, aOff, bOff, cOff, +accumulate, panel0, 0, byColumns ? m : own, 0, byColumns ? own : n);
    for (let t = 1; t < used; t++) {
      const control = (helpers[t - 1] as Helper).control;
      waitFor(control, Atomics.load(control, SEQ));
    }
  }

  /**
   * Plain SGD over n elements at byte offsets, split across the threads in blocks of 16 elements
   * when large (an elementwise update: any split gives the same bits). `hp` is where lr and the
   * weight decay are written as two doubles for the helpers.
   */
  function sgdAt(isF32: boolean, value: number, grad: number, n: number, lr: number, weightDecay: number, hp: number): void {
    const f64 = heap.f64;
    f64[hp >> 3] = lr;
    f64[(hp >> 3) + 1] = weightDecay;
    const size = isF32 ? 4 : 8;
    const parts = n >= SPLIT_UPDATE_ELEMENTS ? threads : 1;
    const chunk = Math.ceil(n / parts / 16) * 16;
    const used = Math.ceil(n / chunk);
    fanOut(OP_SGD, isF32, used, (t) => [value + t * chunk * size, grad + t * chunk * size, Math.min(chunk, n - t * chunk), hp], () =>
      (isF32 ? sgdAtF32 : sgdAtF64)(value, grad, Math.min(chunk, n), hp),
    );
  }

  /**
   * Runs `op` on helpers 1…parts−1 with `args(t)` (the float32 flag first), then `own()` on this
   * thread, then waits for the helpers: one round trip per pass, as for a product.
   */
  function fanOut(op: number, isF32: boolean, parts: number, args: (t: number) => readonly number[], own: () => void): void {
    for (let t = 1; t < parts; t++) {
      const control = (helpers[t - 1] as Helper).control;
      const values = args(t);
      control[OP] = op;
      control[ARGS] = isF32 ? 1 : 0;
      for (let i = 0; i < values.length; i++) control[ARGS + 1 + i] = values[i] as number;
      Atomics.add(control, SEQ, 1);
      Atomics.notify(control, SEQ);
    }
    own();
    for (let t = 1; t < parts; t++) {
      const control = (helpers[t - 1] as Helper).control;
      waitFor(control, Atomics.load(control, SEQ));
    }
  }

  /** Whether a convolution pass runs here (as the one-thread backend decides), and on how many threads. */
  function convThreads(g: ConvGeometry, batch: number, filters: number, split: number): number {
    const rows = batch * g.outHeight * g.outWidth;
    const taps = g.kernelHeight * g.kernelWidth * g.channels;
    const work = rows * taps * filters;
    if (!(work >= minWork && rows > 0 && filters > 0 && convFits(g, batch))) return 0;
    return work >= minParallelWork ? Math.max(1, Math.min(threads, split)) : 1;
  }

  /**
   * Lays out per-thread GEMM panels (`panelK` deep) and patch-matrix scratch (`chunk` rows of
   * `taps`) from HEAP_BASE on, then the operands of `sizes` elements; returns their offsets.
   */
  function layout(parts: number, panelK: number, chunk: number, taps: number, size: number, sizes: readonly number[]) {
    const panelStride = align16(panelBytes(panelK));
    const scratchStride = align16(chunk * taps * size + 16);
    const scratch = align16(HEAP_BASE + parts * panelStride);
    let next = scratch + parts * scratchStride;
    const offsets: number[] = [];
    // 16 bytes of slack after each operand: the gather reads whole v128s past an image's end.
    for (const n of sizes) {
      offsets.push(next);
      next = align16(next + n * size + 16);
    }
    heap.reserve(next);
    return {
      panel: (t: number) => HEAP_BASE + t * panelStride,
      scratch: (t: number) => scratch + t * scratchStride,
      offsets,
    };
  }

  /**
   * Copies x and delta in for the direct kernel gradient (after a window-offset table, which it
   * fills) and leaves room for `outputs` result elements; returns the offsets and where free
   * memory starts (`end`, reserved by the caller for anything more).
   */
  function directKernelGradientLayout(g: ConvGeometry, batch: number, x: FloatArray, delta: FloatArray, outputs: number) {
    const rows = batch * g.outHeight * g.outWidth;
    const tAt = HEAP_BASE;
    const xAt = align16(tAt + rows * 4);
    const dAt = align16(xAt + x.length * 4 + 16);
    const cAt = align16(dAt + delta.length * 4);
    const end = align16(cAt + outputs * 4);
    heap.reserve(end);
    heap.writeGeometry(g);
    heap.f32.set(x, xAt >> 2);
    heap.f32.set(delta, dAt >> 2);
    windowOffsets(GEOMETRY, batch, tAt);
    return { tAt, xAt, dAt, cAt, end };
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
    checkOpen();
    const rows = batch * g.outHeight * g.outWidth;
    const parts = convThreads(g, batch, filters, Math.floor(rows / 4));
    if (parts === 0) return false;
    const isF32 = out instanceof Float32Array;
    const size = isF32 ? 4 : 8;
    const shift = isF32 ? 2 : 3;
    const taps = g.kernelHeight * g.kernelWidth * g.channels;
    const per = Math.ceil(rows / parts / 4) * 4;
    const used = Math.ceil(rows / per);
    if (isF32 && directForward(g)) {
      // Each thread packs the kernel into its own panels and reads windows from the image.
      const panelStride = align16(directPanelBytes(taps, filters));
      let next = HEAP_BASE + used * panelStride;
      const xAt = next;
      next = align16(xAt + x.length * 4);
      const wAt = next;
      next = align16(wAt + kernel.length * 4);
      const bAt = next;
      next = align16(bAt + (bias ? bias.length : 0) * 4);
      const cAt = next;
      heap.reserve(cAt + rows * filters * 4);
      heap.writeGeometry(g);
      heap.f32.set(x, xAt >> 2);
      heap.f32.set(kernel, wAt >> 2);
      if (bias) heap.f32.set(bias, bAt >> 2);
      const bias0 = bias ? bAt : 0;
      fanOut(
        OP_CONV_FORWARD_DIRECT,
        true,
        used,
        (t) => [GEOMETRY, batch, xAt, wAt, bias0, cAt, filters, HEAP_BASE + t * panelStride, t * per, Math.min(rows, (t + 1) * per), +relu],
        () => convForwardDirectF32(GEOMETRY, batch, xAt, wAt, bias0, cAt, filters, HEAP_BASE, 0, Math.min(rows, per), +relu),
      );
      out.set(heap.f32.subarray(cAt >> 2, (cAt >> 2) + rows * filters));
      return true;
    }
    const chunk = chunkRows(taps, size);
    const m = layout(used, taps, Math.min(chunk, per), taps, size, [x.length, kernel.length, bias ? bias.length : 0, rows * filters]);
    const [xOff, wOff, bOff, cOff] = m.offsets as [number, number, number, number];
    heap.writeGeometry(g);
    const view = isF32 ? heap.f32 : heap.f64;
    view.set(x, xOff >> shift);
    view.set(kernel, wOff >> shift);
    if (bias) view.set(bias, bOff >> shift);
    const run = isF32 ? convForwardF32 : convForwardF64;
    const biasOff = bias ? bOff : 0;
    fanOut(
      OP_CONV_FORWARD,
      isF32,
      used,
      (t) => [GEOMETRY, batch, xOff, wOff, biasOff, cOff, filters, m.scratch(t), chunk, m.panel(t), t * per, Math.min(rows, (t + 1) * per), +relu],
      () => run(GEOMETRY, batch, xOff, wOff, biasOff, cOff, filters, m.scratch(0), chunk, m.panel(0), 0, Math.min(rows, per), +relu),
    );
    out.set(view.subarray(cOff >> shift, (cOff >> shift) + rows * filters));
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
    checkOpen();
    const taps = g.kernelHeight * g.kernelWidth * g.channels;
    if (out instanceof Float32Array && directKernelGradient(g, filters)) {
      // Windows read from the image: on this thread, in the private memory. Split across threads
      // (by groups of taps) it took 1.5× as long on W4's first layer, whose five groups each
      // stream all of δ; a later layer's kernel gradient runs beside its input gradient instead
      // (conv2dBackward).
      return (local.conv2dKernelGradient as NonNullable<KernelBackend["conv2dKernelGradient"]>)(g, batch, x, delta, filters, out, accumulate);
    }
    // Split over the taps (rows of the result): every thread gathers the whole patch matrix, chunk
    // by chunk, but sums its own rows over all of it in the one-thread order. The gather is then
    // done once per thread, which pays only when each gathered element feeds enough filters
    // (measured on W4's layers: with 8 and 16 filters two threads took longer than one).
    const parts = convThreads(g, batch, filters, filters >= SPLIT_KERNEL_GRADIENT_FILTERS ? Math.floor(taps / 4) : 1);
    if (parts === 0) return false;
    const isF32 = out instanceof Float32Array;
    const size = isF32 ? 4 : 8;
    const shift = isF32 ? 2 : 3;
    const rows = batch * g.outHeight * g.outWidth;
    const chunk = chunkRows(taps, size);
    const per = Math.ceil(taps / parts / 4) * 4;
    const used = Math.ceil(taps / per);
    const m = layout(used, Math.min(rows, chunk), Math.min(rows, chunk), taps, size, [x.length, delta.length, taps * filters]);
    const [xOff, dOff, cOff] = m.offsets as [number, number, number];
    heap.writeGeometry(g);
    const view = isF32 ? heap.f32 : heap.f64;
    view.set(x, xOff >> shift);
    view.set(delta, dOff >> shift);
    if (accumulate) view.set(out.subarray(0, taps * filters), cOff >> shift);
    const run = isF32 ? convKernelGradientF32 : convKernelGradientF64;
    fanOut(
      OP_CONV_KERNEL_GRADIENT,
      isF32,
      used,
      (t) => [GEOMETRY, batch, xOff, dOff, cOff, filters, +accumulate, m.scratch(t), chunk, m.panel(t), t * per, Math.min(taps, (t + 1) * per)],
      () => run(GEOMETRY, batch, xOff, dOff, cOff, filters, +accumulate, m.scratch(0), chunk, m.panel(0), 0, Math.min(taps, per)),
    );
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
    checkOpen();
    // Split over samples: a sample's patch rows add only into its own image.
    const parts = convThreads(g, batch, filters, batch);
    if (parts === 0) return false;
    const isF32 = out instanceof Float32Array;
    const size = isF32 ? 4 : 8;
    const shift = isF32 ? 2 : 3;
    const taps = g.kernelHeight * g.kernelWidth * g.channels;
    const chunk = chunkRows(taps, size);
    const per = Math.ceil(batch / parts);
    const used = Math.ceil(batch / per);
    const rows = batch * g.outHeight * g.outWidth;
    const images = batch * g.inHeight * g.inWidth * g.channels;
    const m = layout(used, filters, Math.min(rows, chunk), taps, size, [delta.length, kernel.length, images]);
    const [dOff, wOff, xOff] = m.offsets as [number, number, number];
    heap.writeGeometry(g);
    const view = isF32 ? heap.f32 : heap.f64;
    view.set(delta, dOff >> shift);
    view.set(kernel, wOff >> shift);
    const run = isF32 ? convInputGradientF32 : convInputGradientF64;
    fanOut(
      OP_CONV_INPUT_GRADIENT,
      isF32,
      used,
      (t) => [GEOMETRY, batch, dOff, wOff, xOff, filters, m.scratch(t), chunk, m.panel(t), t * per, Math.min(batch, (t + 1) * per)],
      () => run(GEOMETRY, batch, dOff, wOff, xOff, filters, m.scratch(0), chunk, m.panel(0), 0, Math.min(batch, per)),
    );
    out.set(view.subarray(xOff >> shift, (xOff >> shift) + images));
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
    checkOpen();
    // Split over samples: each thread convolves and pools its own images in its own scratch.
    const parts = convThreads(g, batch, filters, batch);
    if (parts === 0 || !fusesConvPool(g, pool, batch, filters, out instanceof Float32Array)) return false;
    const per = Math.ceil(batch / parts);
    const used = Math.ceil(batch / per);
    const taps = g.kernelHeight * g.kernelWidth * g.channels;
    const panelStride = align16(directPanelBytes(taps, filters));
    const scratchStride = align16(g.outHeight * g.outWidth * filters * 4 + 16);
    const scratch = align16(HEAP_BASE + used * panelStride);
    const xAt = scratch + used * scratchStride;
    const wAt = align16(xAt + x.length * 4);
    const bAt = align16(wAt + kernel.length * 4);
    const oAt = align16(bAt + (bias ? bias.length : 0) * 4);
    heap.reserve(oAt + out.length * 4);
    heap.writeGeometry(g);
    heap.writePoolGeometry(pool, POOL_GEOMETRY);
    heap.f32.set(x, xAt >> 2);
    heap.f32.set(kernel, wAt >> 2);
    if (bias) heap.f32.set(bias, bAt >> 2);
    const bias0 = bias ? bAt : 0;
    const args = (t: number) =>
      [GEOMETRY, POOL_GEOMETRY, xAt, wAt, bias0, filters, +relu, HEAP_BASE + t * panelStride, scratch + t * scratchStride, oAt, t * per, Math.min(batch, (t + 1) * per)] as const;
    fanOut(OP_CONV_MAX_POOL, true, used, args, () => convMaxPoolF32(...args(0)));
    out.set(heap.f32.subarray(oAt >> 2, (oAt >> 2) + out.length));
    return true;
  }

  function conv2dBackward(
    g: ConvGeometry,
    batch: number,
    x: FloatArray,
    delta: FloatArray,
    kernel: FloatArray,
    filters: number,
    kernelGradient: FloatArray,
    accumulate: boolean,
    inputGradient: FloatArray,
  ): boolean {
    checkOpen();
    // The two products at once: a helper sums the kernel gradient while this thread makes the
    // input gradient, each exactly as one thread would. Only where both would run here at all,
    // are large enough to be worth a helper, and the kernel gradient would not be split anyway.
    if (threads < 2 || convThreads(g, batch, filters, 2) < 2 || filters >= SPLIT_KERNEL_GRADIENT_FILTERS) return false;
    const isF32 = inputGradient instanceof Float32Array;
    const size = isF32 ? 4 : 8;
    const shift = isF32 ? 2 : 3;
    const taps = g.kernelHeight * g.kernelWidth * g.channels;
    const rows = batch * g.outHeight * g.outWidth;
    const chunk = chunkRows(taps, size);
    const images = batch * g.inHeight * g.inWidth * g.channels;
    if (isF32 && directKernelGradient(g, filters)) {
      // The helper reads windows from the image (no patch matrix); this thread makes dL/dx.
      const k0 = directKernelGradientLayout(g, batch, x, delta, taps * filters);
      const pAt = k0.end;
      const sAt = align16(pAt + panelBytes(filters));
      const wAt = align16(sAt + Math.min(rows, chunk) * taps * 4 + 16);
      const iAt = align16(wAt + kernel.length * 4);
      heap.reserve(iAt + images * 4);
      heap.f32.set(kernel, wAt >> 2);
      if (accumulate) heap.f32.set(kernelGradient.subarray(0, taps * filters), k0.cAt >> 2);
      const groups = kernelGradientGroups(g);
      fanOut(
        OP_CONV_KERNEL_GRADIENT_DIRECT,
        true,
        2,
        () => [GEOMETRY, batch, k0.xAt, k0.dAt, k0.cAt, filters, +accumulate, k0.tAt, 0, groups],
        () => convInputGradientF32(GEOMETRY, batch, k0.dAt, wAt, iAt, filters, sAt, chunk, pAt, 0, batch),
      );
      kernelGradient.set(heap.f32.subarray(k0.cAt >> 2, (k0.cAt >> 2) + taps * filters));
      inputGradient.set(heap.f32.subarray(iAt >> 2, (iAt >> 2) + images));
      return true;
    }
    const depth = Math.max(filters, Math.min(rows, chunk));
    const m = layout(2, depth, Math.min(rows, chunk), taps, size, [x.length, delta.length, kernel.length, taps * filters, images]);
    const [xOff, dOff, wOff, kOff, iOff] = m.offsets as [number, number, number, number, number];
    heap.writeGeometry(g);
    const view = isF32 ? heap.f32 : heap.f64;
    view.set(x, xOff >> shift);
    view.set(delta, dOff >> shift);
    view.set(kernel, wOff >> shift);
    if (accumulate) view.set(kernelGradient.subarray(0, taps * filters), kOff >> shift);
    const inputPass = isF32 ? convInputGradientF32 : convInputGradientF64;
    fanOut(
      OP_CONV_KERNEL_GRADIENT,
      isF32,
      2,
      () => [GEOMETRY, batch, xOff, dOff, kOff, filters, +accumulate, m.scratch(1), chunk, m.panel(1), 0, taps],
      () => inputPass(GEOMETRY, batch, dOff, wOff, iOff, filters, m.scratch(0), chunk, m.panel(0), 0, batch),
    );
    kernelGradient.set(view.subarray(kOff >> shift, (kOff >> shift) + taps * filters));
    inputGradient.set(view.subarray(iOff >> shift, (iOff >> shift) + images));
    return true;
  }

  async function close(): Promise<void> {
    if (closed) return;
    closed = true;
    for (const h of helpers) {
      Atomics.store(h.control, OP, OP_STOP);
      Atomics.add(h.control, SEQ, 1);
      Atomics.notify(h.control, SEQ);
    }
    await Promise.all(helpers.map((h) => h.terminate()));
  }

  return {
    name: "wasm-threads",
    threads,
    fused,
    exactUpTo: exactBelow(minWork),
    gemm,
    im2col(g, batch, x, out) {
      checkOpen();
      conv.im2col(g, batch, x, out);
    },
    col2im(g, batch, patches, out) {
      checkOpen();
      conv.col2im(g, batch, patches, out);
    },
    conv2dForward,
    conv2dKernelGradient,
    conv2dInputGradient,
    conv2dBackward,
    conv2dMaxPool,
    // Memory-bound, so on the calling thread alone: the one-thread backend's kernels and glue.
    addRowVector(rows, cols, a, v, out) {
      checkOpen();
      return rowKernels.addRowVector(rows, cols, a, v, out);
    },
    sumColumns(rows, cols, a, out, accumulate) {
      checkOpen();
      return rowKernels.sumColumns(rows, cols, a, out, accumulate);
    },
    standardize(rows, cols, x, mean, std, out) {
      checkOpen();
      return rowKernels.standardize(rows, cols, x, mean, std, out);
    },
    relu(src, dst) {
      checkOpen();
      return elementKernels.relu(src, dst);
    },
    reluGradient(x, grad, dst) {
      checkOpen();
      return elementKernels.reluGradient(x, grad, dst);
    },
    maxPool2dForward(g, batch, x, y, argmax) {
      checkOpen();
      return elementKernels.maxPool2dForward(g, batch, x, y, argmax);
    },
    maxPool2dBackward(dy, argmax, dx) {
      checkOpen();
      return elementKernels.maxPool2dBackward(dy, argmax, dx);
    },
    // An LSTM step's products are a few thousand multiply-adds: too small to share, so the time
    // loop runs on the calling thread alone.
    lstmForward(steps, batch, units, z, recurrent, h, c, gates, cellOut, mask) {
      checkOpen();
      return (local.lstmForward as NonNullable<KernelBackend["lstmForward"]>)(steps, batch, units, z, recurrent, h, c, gates, cellOut, mask);
    },
    lstmBackward(steps, batch, units, recurrent, c, gates, cellOut, mask, outputGradients, dh, dc, dz) {
      checkOpen();
      return (local.lstmBackward as NonNullable<KernelBackend["lstmBackward"]>)(steps, batch, units, recurrent, c, gates, cellOut, mask, outputGradients, dh, dc, dz);
    },
    // Optimizer updates and the finiteness check: a few flops per element, memory-bound, on the
    // calling thread with the one-thread backend's kernels.
    sgdUpdate(value, grad, lr, weightDecay) {
      checkOpen();
      return (local.sgdUpdate as NonNullable<KernelBackend["sgdUpdate"]>)(value, grad, lr, weightDecay);
    },
    momentumUpdate(value, grad, buffer, lr, momentum, weightDecay, nesterov) {
      checkOpen();
      return (local.momentumUpdate as NonNullable<KernelBackend["momentumUpdate"]>)(value, grad, buffer, lr, momentum, weightDecay, nesterov);
    },
    adamUpdate(value, grad, moments, step) {
      checkOpen();
      return (local.adamUpdate as NonNullable<KernelBackend["adamUpdate"]>)(value, grad, moments, step);
    },
    nonFinite(d) {
      checkOpen();
      return (local.nonFinite as NonNullable<KernelBackend["nonFinite"]>)(d);
    },
    // A Dense stack's passes on the shared memory: its large products split across the threads
    // (gemmAt), its SGD update too, everything else on this thread; the same bits as one thread.
    denseStack(plan) {
      checkOpen();
      return createDenseStack(stackKit, plan);
    },
    memoryBytes: () => memory.buffer.byteLength,
    close,
  };
}
