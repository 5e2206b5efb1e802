// @ts-check
// The helper thread of the threaded WASM backend (backend-wasm-threads.ts). Plain JavaScript, not
// TypeScript, because a worker loads its script by URL: this same file runs unbundled from src/
// (tests) and from dist/ (tsup copies it as an entry), in Node (worker_threads) and in browsers
// (a module Web Worker).
//
// Protocol, over one Int32Array on a SharedArrayBuffer (the slots are the CONTROL_* constants of
// backend-wasm-threads.ts): the main thread writes a product's arguments, bumps SEQ and notifies;
// this thread runs its rows, stores SEQ into DONE and notifies back. OP 0 stops the loop.

const SEQ = 0;
const DONE = 1;
const OP = 2;
const SPIN = 20000;
const ARGS = 3; // f32, transA, transB, m, n, k, a, b, c, accumulate, panel, i0, i1

/**
 * @param {{ module: WebAssembly.Module, memory: WebAssembly.Memory, control: SharedArrayBuffer }} init
 * @param {(message: string) => void} post
 */
function run(init, post) {
  const instance = new WebAssembly.Instance(init.module, { env: { memory: init.memory } });
  const gemmF32 = /** @type {(...args: number[]) => void} */ (instance.exports["gemmF32"]);
  const gemmF64 = /** @type {(...args: number[]) => void} */ (instance.exports["gemmF64"]);
  const ctl = new Int32Array(init.control);
  post("ready");
  let seen = 0;
  for (;;) {
    // Products come in bursts (one training step makes several): spin briefly before sleeping,
    // since waking from Atomics.wait takes longer than the spin.
    for (let spin = 0; spin < SPIN && Atomics.load(ctl, SEQ) === seen; spin++);
    Atomics.wait(ctl, SEQ, seen);
    seen = Atomics.load(ctl, SEQ);
    if (Atomics.load(ctl, OP) === 0) break;
    const a = ARGS;
    (ctl[a] === 1 ? gemmF32 : gemmF64)(
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
