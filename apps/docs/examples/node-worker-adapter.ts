// #region example
// node-web-worker.ts: runs a Web Worker script (one that talks to `self`) in a Node worker thread,
// behind the part of the Web Worker API a page uses. Handy to test a browser worker in Node.
import { Worker as ThreadWorker } from "node:worker_threads";

/** The worker's side: `self.postMessage` and `self.addEventListener("message")` over parentPort. */
const BOOTSTRAP = `
import { parentPort, workerData } from "node:worker_threads";
globalThis.self = Object.assign(globalThis, {
  postMessage: (message) => parentPort.postMessage(message),
  addEventListener: (type, listener) => type === "message" && parentPort.on("message", (data) => listener({ data })),
});
for (const module of workerData.preload) await import(module);
await import(workerData.script);
`;

export class NodeWebWorker {
  readonly #thread: ThreadWorker;
  /** `preload`: module URLs the thread imports before the script, e.g. one that registers a TypeScript loader. */
  constructor(url: URL, options: { preload?: readonly string[] } = {}) {
    const bootstrap = new URL(`data:text/javascript,${encodeURIComponent(BOOTSTRAP)}`);
    this.#thread = new ThreadWorker(bootstrap, { workerData: { script: url.href, preload: options.preload ?? [] } });
  }
  postMessage(message: unknown): void {
    this.#thread.postMessage(message);
  }
  addEventListener(type: "message" | "error", listener: (event: { data?: unknown; message?: string }) => void): void {
    if (type === "message") this.#thread.on("message", (data) => listener({ data }));
    else this.#thread.on("error", (error) => listener({ message: error.message }));
  }
  terminate(): void {
    void this.#thread.terminate();
  }
}
// #endregion example
