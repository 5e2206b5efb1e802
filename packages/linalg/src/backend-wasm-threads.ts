import type { KernelBackend } from "./kernel-backend.js";
import type { FloatArray } from "./dtype.js";
import { BackpropError } from "./errors.js";
import { wasmGemmSharedBase64, wasmGemmSharedRelaxedBase64, wasmSharedMaxPages } from "./generated/wasm-gemm-binary.js";
import { exactBelow, typescriptBackend } from "./typescript-backend.js";
import {
  CONV_ELEMENTS_PER_WORK,
  ROW_ELEMENTS_PER_WORK,
  HEAP_BASE,
  align16,
  createConvKernels,
  createHeap,
  createRowKernels,
  decode,
  isRelaxedSimdSupported,
  isWasmSimdSupported,
  panelBytes,
  wasmNamespace,
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
 * im2col and col2im, and the bias add and gradient (addRowVector, sumColumns), run on the calling
 * thread, with the one-thread backend's kernels and glue (the same bits). The fused convolution passes are not provided: `conv2dForward` & co. compose im2col
 * with this backend's split gemm instead.
 */

// Slots of a helper's control Int32Array; backend-wasm-worker.js reads the same layout.
const SEQ = 0;
const DONE = 1;
const OP = 2;
const ARGS = 3;
const CONTROL_SLOTS = 16;
const OP_STOP = 0;
const OP_GEMM = 1;
const SPIN = 4000;

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
  const conv = createConvKernels(instance.exports, heap, CONV_ELEMENTS_PER_WORK * minWork);
  const rowKernels = createRowKernels(instance.exports, heap, ROW_ELEMENTS_PER_WORK * minWork);
  let closed = false;

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
    // Rows per thread, a multiple of the 4-row tile; fewer threads when there are few rows.
    const parallel = work >= minParallelWork && m > 4 ? threads : 1;
    const chunk = Math.ceil(m / parallel / 4) * 4;
    const used = Math.ceil(m / chunk);
    const panelStride = align16(panelBytes(k));
    const aOff = align16(HEAP_BASE + used * panelStride);
    const bOff = align16(aOff + m * k * size);
    const cOff = align16(bOff + k * n * size);
    heap.reserve(cOff + m * n * size);
    const view = isF32 ? heap.f32 : heap.f64;
    const shift = isF32 ? 2 : 3;
    view.set(a.subarray(0, m * k), aOff >> shift);
    view.set(b.subarray(0, k * n), bOff >> shift);
    if (accumulate) view.set(c.subarray(0, m * n), cOff >> shift);
    for (let t = 1; t < used; t++) {
      const control = (helpers[t - 1] as Helper).control;
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
      control[ARGS + 10] = HEAP_BASE + t * panelStride;
      control[ARGS + 11] = t * chunk;
      control[ARGS + 12] = Math.min(m, (t + 1) * chunk);
      Atomics.add(control, SEQ, 1);
      Atomics.notify(control, SEQ);
    }
    (isF32 ? gemmF32 : gemmF64)(+transA, +transB, m, n, k, aOff, bOff, cOff, +accumulate, HEAP_BASE, 0, Math.min(m, chunk));
    for (let t = 1; t < used; t++) {
      const control = (helpers[t - 1] as Helper).control;
      waitFor(control, Atomics.load(control, SEQ));
    }
    c.set(view.subarray(cOff >> shift, (cOff >> shift) + m * n));
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
    // Memory-bound, so on the calling thread alone: the one-thread backend's kernels and glue.
    addRowVector(rows, cols, a, v, out) {
      checkOpen();
      return rowKernels.addRowVector(rows, cols, a, v, out);
    },
    sumColumns(rows, cols, a, out, accumulate) {
      checkOpen();
      return rowKernels.sumColumns(rows, cols, a, out, accumulate);
    },
    memoryBytes: () => memory.buffer.byteLength,
    close,
  };
}
