// #region example
import { Matrix, Rng } from "@backprop/linalg";
import { Dense, Sequential } from "@backprop/layers";

const model = new Sequential([new Dense({ units: 128, inputDim: 784, activation: "relu" }), new Dense({ units: 10, activation: "softmax" })], { seed: 1 });
model.compile({ loss: "categoricalCrossentropy", optimizer: "sgd" });
const sample = new Rng(2).fillUniform(new Matrix(1, 784), 0, 1);

const predictor = model.predictor({ batchSize: 1 }); // its own copy of the weights
const before = predictor.predict(sample);               // 1×10, exactly model.predict(sample, { batchSize: 1 })

const labels = new Matrix(1, 10);
labels.data[3] = 1;
model.fit(sample, labels, { epochs: 5, batchSize: 1 }); // the model changes ...
const stale = predictor.predict(sample);                // ... the predictor does not
predictor.refresh();                                    // copies the trained weights
const after = predictor.predict(sample);                // = model.predict(sample, { batchSize: 1 })
// #endregion example

export { after, before, model, sample, stale };
