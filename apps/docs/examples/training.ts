// #region example
import { Matrix, Rng } from "@backprop/linalg";
import { Dense, Dropout, Sequential, earlyStopping, type Callback } from "@backprop/layers";
import { adam } from "@backprop/optimizers";

// Two noisy clouds of 200 points each, labelled 0 and 1 (one column of class indices).
const rng = new Rng(7);
const x = new Matrix(400, 2);
const y = new Matrix(400, 1);
for (let i = 0; i < 400; i++) {
  const label = i % 2;
  x.set(i, 0, rng.normal(label === 0 ? -1 : 1, 0.7));
  x.set(i, 1, rng.normal(label === 0 ? 1 : -1, 0.7));
  y.set(i, 0, label);
}

const model = new Sequential([
  new Dense({ units: 16, inputDim: 2, activation: "relu", kernelInitializer: "heNormal" }),
  new Dropout({ rate: 0.1 }),
  new Dense({ units: 2, activation: "softmax" }),     // fused with the cross-entropy below
], { seed: 1, dtype: "float64" });
model.compile({ loss: "sparseCategoricalCrossentropy", optimizer: adam({ lr: 0.01 }), metrics: ["accuracy"] });

const log: string[] = [];
const printer: Callback = {
  onEpochEnd(epoch, logs) { if (epoch % 10 === 0) log.push(`epoch ${epoch}: loss ${logs["loss"]?.toFixed(4)}, val_accuracy ${logs["val_accuracy"]}`); },
};
const stopper = earlyStopping({ monitor: "val_loss", patience: 5, restoreBestWeights: true });
const history = model.fit(x, y, { epochs: 200, batchSize: 32, validationSplit: 0.25, callbacks: [printer, stopper] });

console.log(log.join("\n"));
console.log(`stopped after epoch ${stopper.stoppedEpoch}, best val_loss ${stopper.best} at epoch ${stopper.bestEpoch}`);
console.log(model.evaluate(x, y));                     // { loss, accuracy }
console.log(model.predict(x.rowSlice(0, 2)).toArray()); // class probabilities per row
console.log(model.summary());
// #endregion example

export { history, model, stopper, x, y };
