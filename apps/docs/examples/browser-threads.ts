import { Dense, Sequential } from "@backprop/layers";
import { Matrix, Rng, getBackend } from "@backprop/linalg";

// A model big enough for threads to pay: W1 of the benchmark, 784-64-10, batches of 64.
const rng = new Rng(7);
const x = rng.fillUniform(Matrix.zeros(256, 784, "float32"), 0, 1);
const y = Matrix.zeros(256, 10, "float32");
for (let i = 0; i < 256; i++) y.set(i, i % 10, 1);
const model = new Sequential([new Dense({ units: 64, inputDim: 784, activation: "relu" }), new Dense({ units: 10, activation: "softmax" })], { seed: 3, dtype: "float32" });
model.compile({ loss: "categoricalCrossentropy", optimizer: "sgd" });

// #region example
import { setBackend } from "@backprop/linalg";
import { createThreadedWasmBackend } from "@backprop/linalg/threads";

// In a browser, SharedArrayBuffer exists only on a cross-origin-isolated page (COOP + COEP).
const canShare = typeof SharedArrayBuffer === "function" && (globalThis.crossOriginIsolated ?? true);
const threads = Math.min(4, globalThis.navigator?.hardwareConcurrency ?? 2);
const backend = canShare ? await createThreadedWasmBackend({ threads }) : undefined;
const previous = backend ? setBackend(backend) : undefined;
const usedBackend = getBackend().name; // "wasm-threads", or the default where threads are unavailable
try {
  model.fit(x, y, { epochs: 1, batchSize: 64 }); // same bits as one thread, for any thread count
} finally {
  if (previous) setBackend(previous);
  await backend?.close();
}
// #endregion example

export { model, threads, usedBackend, x, y };
