// #region example
// vite.config.ts: what `defineConfig({ … })` receives
const isolation = { "Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp" };

export default {
  // SharedArrayBuffer, and so @backprop/linalg/threads, needs a cross-origin-isolated page.
  server: { headers: isolation },
  preview: { headers: isolation },
  // The dev server's pre-bundling would separate the threads entry from the helper script it
  // loads by URL (`new URL("./backend-wasm-worker.js", import.meta.url)`): serve it as it ships.
  optimizeDeps: { exclude: ["@backprop/linalg"] },
  // Module workers, so a worker can import the packages.
  worker: { format: "es" as const },
};
// #endregion example
