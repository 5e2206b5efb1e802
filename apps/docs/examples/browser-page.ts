// #region example
// main.ts: the page starts the worker, shows progress, and gets the trained model back.
import { Matrix } from "@backprop/linalg";
import { modelFromJSON, type ModelFile } from "@backprop/serialize";
import type { FromWorker, ToWorker } from "./browser-worker.js";

function trainInWorker(request: ToWorker, onEpoch: (epoch: number, loss: number) => void): Promise<ModelFile> {
  // Vite, webpack 5 and Parcel bundle the worker from this exact `new Worker(new URL(…))` pattern.
  const worker = new Worker(new URL("./browser-worker.ts", import.meta.url), { type: "module" });
  return new Promise((resolve, reject) => {
    worker.addEventListener("message", (event: MessageEvent<FromWorker>) => {
      const message = event.data;
      if (message.type === "epoch") return onEpoch(message.epoch, message.loss);
      worker.terminate(); // one job per worker here; terminate() is also how to cancel one
      if (message.type === "done") resolve(message.model);
      else reject(new Error(message.message));
    });
    worker.addEventListener("error", (event) => {
      worker.terminate();
      reject(new Error(event.message));
    });
    worker.postMessage(request);
  });
}

const losses: number[] = [];
const file = await trainInWorker(
  { type: "train", x: [[0, 0], [0, 1], [1, 0], [1, 1]], y: [[0], [1], [1], [0]], epochs: 300 },
  (epoch, loss) => losses.push(loss), // e.g. update a <progress> or a chart
);
const model = modelFromJSON(file); // the trained model, on the page, for predictions
console.log(model.predict(Matrix.fromArray([[0, 1], [1, 1]])).toArray()); // [[≈1], [≈0]]
// #endregion example

export { file, losses, model };
