// @ts-check
// The helper thread of the threaded WASM backend (backend-wasm-threads.ts). Plain JavaScript, not
// TypeScript, because a worker loads its script by URL: this same file runs unbundled from src/
// (tests) and from dist/ (tsup copies it as an entry), in Node (worker_threads) and in browsers
// (a module Web Worker).
//
// Protocol, over one Int32Array on a SharedArrayBuffer (the slots are the CONTROL_* constants of
// backend-wasm-threads.ts): the main thread writes a kernel's number (OP) and arguments, bumps SEQ
// and notifies; this thread runs its share, stores SEQ into DONE and notifies back. OP 0 stops the loop.

const SEQ = 0;
const DONE = 1;
const OP = 2;
const SPIN = 400000;
const ARGS = 3; // the float32 flag, then up to 14 arguments of the kernel OP names

/**
 * @param {{ module: WebAssembly.Module, memory: WebAssembly.Memory, control: SharedArrayBuffer }} init
 * @param {(message: string) => void} post
 */
function run(init, post) {
  const instance = new WebAssembly.Instance(init.module, { env: { memory: init.memory } });
  /** @param {string} name */
  const kernel = (name) => /** @type {(...args: number[]) => void} */ (instance.exports[name]);
  // By OP (backend-wasm-threads.ts's OP_* constants): [float32 kernel, float64 kernel].
  const kernels = [
    undefined,
    [kernel("gemmF32"), kernel("gemmF64")],
    [kernel("convForwardF32"), kernel("convForwardF64")],
    [kernel("convKernelGradientF32"), kernel("convKernelGradientF64")],
    [kernel("convInputGradientF32"), kernel("convInputGradientF64")],
    [kernel("convForwardDirectF32"), kernel("convForwardDirectF32")],
    [kernel("convMaxPoolF32"), kernel("convMaxPoolF32")],
    [kernel("convKernelGradientDirectF32"), kernel("convKernelGradientDirectF32")],
    [kernel("sgdAtF32"), kernel("sgdAtF64")],
  ];
  const ctl = new Int32Array(init.control);
  post("ready");
  let seen = 0;
  for (;;) {
    // Products come in bursts (one training step makes several): spin briefly before sleeping,
    // since waking from Atomics.wait takes longer than the spin.
    for (let spin = 0; spin < SPIN && Atomics.load(ctl, SEQ) === seen; spin++);
    Atomics.wait(ctl, SEQ, seen);
    seen = Atomics.load(ctl, SEQ);
    const op = Atomics.load(ctl, OP);
    if (op === 0) break;
    const pair = /** @type {[(...args: number[]) => void, (...args: number[]) => void]} */ (kernels[op]);
    const a = ARGS;
    (ctl[a] === 1 ? pair[0] : pair[1])(
      /** @type {number} */ (ctl[a + 1]),
      /** @type {number} */ (ctl[a + 2]),
      /** @type {number} */ (ctl[a + 3]),
      /** @type {number} */ (ctl[a + 4]),
      /** @type {number} */ (ctl[a + 5]),
      /** @type {number} */ (ctl[a + 6]),
      /** @type {number} */ (ctl[a + 7]),
      /** @type {number} */ (ctl[a + 8]),
      /** @type {number} */ (ctl[a + 9]),
      /** @type {number} */ (ctl[a + 10]),
      /** @type {number} */ (ctl[a + 11]),
      /** @type {number} */ (ctl[a + 12]),
      /** @type {number} */ (ctl[a + 13]),
      /** @type {number} */ (ctl[a + 14]),
    );
    Atomics.store(ctl, DONE, seen);
    Atomics.notify(ctl, DONE);
  }
}

const isNode = typeof process === "object" && typeof process.versions?.node === "string";
if (isNode) {
  const { parentPort } = await import("node:worker_threads");
  const port = /** @type {import("node:worker_threads").MessagePort} */ (parentPort);
  port.once("message", (init) => run(init, (m) => port.postMessage(m)));
} else {
  const scope = /** @type {{ postMessage(m: string): void, addEventListener(t: string, f: (e: { data: any }) => void, o: object): void }} */ (
    /** @type {unknown} */ (globalThis)
  );
  scope.addEventListener("message", (e) => run(e.data, (m) => scope.postMessage(m)), { once: true });
}
