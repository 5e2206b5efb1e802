// #region example
import { Matrix, Rng, readConfig } from "@backprop/linalg";
import { Dense, Sequential, registerMetric, type Metric } from "@backprop/layers";
import { adam } from "@backprop/optimizers";
import { modelFromJSON, modelToJSON } from "@backprop/serialize";

/** Top-k accuracy for class indices: the share of samples whose class is among the k highest scores. */
function topKAccuracy(options: { k?: number } = {}): Metric {
  const { k } = readConfig("acme>topKAccuracy", options, { k: { type: "number", default: 5, min: 1, integer: true } });
  return {
    name: "acme>topKAccuracy", // the registry key, and the key of its values in History and logs
    config: { k },
    compute(yPred, yTrue) {
      // the mean over this batch's samples: fit and evaluate weight each batch by its size
      const { rows, cols } = yPred;
      let hits = 0;
      for (let i = 0; i < rows; i++) {
        const score = yPred.data[i * cols + (yTrue.data[i] as number)] as number;
        let higher = 0;
        for (let j = 0; j < cols; j++) if ((yPred.data[i * cols + j] as number) > score) higher++;
        if (higher < k) hits++;
      }
      return rows === 0 ? 0 : hits / rows;
    },
  };
}
registerMetric("acme>topKAccuracy", (config) => topKAccuracy(config));

// Five overlapping clusters on a circle: the right class is often second best
const rng = new Rng(1);
const x = Matrix.zeros(500, 2);
const y = Matrix.zeros(500, 1);
for (let i = 0; i < 500; i++) {
  const angle = (2 * Math.PI * (i % 5)) / 5;
  x.set(i, 0, Math.cos(angle) + rng.normal(0, 0.5));
  x.set(i, 1, Math.sin(angle) + rng.normal(0, 0.5));
  y.set(i, 0, i % 5);
}
const model = new Sequential([new Dense({ units: 16, inputDim: 2, activation: "relu" }), new Dense({ units: 5, activation: "softmax" })], { seed: 1 });
model.compile({ loss: "sparseCategoricalCrossentropy", optimizer: adam({ lr: 0.01 }), metrics: ["accuracy", topKAccuracy({ k: 2 })] });
const history = model.fit(x, y, { epochs: 50, batchSize: 32 });

const restored = modelFromJSON(JSON.parse(JSON.stringify(modelToJSON(model)))); // the file stores { name, config: { k: 2 } }
console.log(history.history["accuracy"]?.at(-1), history.history["acme>topKAccuracy"]?.at(-1)); // ≈0.78, ≈0.95
console.log(restored.evaluate(x, y)); // { loss, accuracy, "acme>topKAccuracy" }: the same as model.evaluate(x, y)
// #endregion example

export { history, model, restored, topKAccuracy, x, y };
