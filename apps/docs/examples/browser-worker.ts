// #region example
// training-worker.ts: trains off the page's thread and sends back progress and the model file.
import { Dense, Sequential } from "@backprop/layers";
import { Matrix } from "@backprop/linalg";
import { adam } from "@backprop/optimizers";
import { modelToJSON, type ModelFile } from "@backprop/serialize";

/** What the page sends, and what this worker answers (plain data: it is copied between threads). */
export type ToWorker = { type: "train"; x: number[][]; y: number[][]; epochs: number };
export type FromWorker =
  | { type: "epoch"; epoch: number; loss: number }
  | { type: "done"; model: ModelFile }
  | { type: "error"; message: string };

// The dedicated worker's global scope, typed with only what this script uses.
const scope = self as unknown as {
  postMessage(message: FromWorker): void;
  addEventListener(type: "message", listener: (event: MessageEvent<ToWorker>) => void): void;
};

scope.addEventListener("message", (event) => {
  try {
    const { x, y, epochs } = event.data;
    const model = new Sequential([
      new Dense({ units: 8, inputDim: x[0]?.length ?? 0, activation: "tanh" }),
      new Dense({ units: y[0]?.length ?? 0, activation: "sigmoid" }),
    ], { seed: 1 });
    model.compile({ loss: "binaryCrossentropy", optimizer: adam({ lr: 0.05 }) });
    // fit is synchronous, which is fine here: nothing else runs on this thread. postMessage
    // delivers each epoch's loss to the page while training goes on.
    const report = { onEpochEnd: (epoch: number, logs: Record<string, number>) => scope.postMessage({ type: "epoch", epoch, loss: logs["loss"] ?? NaN }) };
    model.fit(Matrix.fromArray(x), Matrix.fromArray(y), { epochs, callbacks: [report] });
    scope.postMessage({ type: "done", model: modelToJSON(model) });
  } catch (error) {
    scope.postMessage({ type: "error", message: error instanceof Error ? error.message : String(error) });
  }
});
// #endregion example
