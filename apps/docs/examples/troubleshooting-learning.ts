// Troubleshooting (guide/troubleshooting.md): a network that does not learn, and why.
// #region data
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { Matrix, Rng } from "@backprop/linalg";
import { Dense, Normalization, Sequential, type Layer } from "@backprop/layers";
import { adam, sgd, type Optimizer } from "@backprop/optimizers";

// Is a penguin male? From its four measurements: a harder question than its species.
type Row = Record<string, string | number | null>;
const NUMERIC = ["Beak Length (mm)", "Beak Depth (mm)", "Flipper Length (mm)", "Body Mass (g)"];
const file = join(dirname(createRequire(import.meta.url).resolve("vega-datasets")), "../data/penguins.json");
const known = (JSON.parse(readFileSync(file, "utf8")) as Row[]).filter((r) => r["Sex"] === "MALE" || r["Sex"] === "FEMALE");
const shuffled = Array.from(new Rng(1).permutation(known.length), (i) => known[i] as Row);
const inputs = (rows: Row[]) => Matrix.fromArray(rows.map((r) => NUMERIC.map((c) => r[c] as number)));
const labels = (rows: Row[]) => Matrix.fromArray(rows.map((r) => [r["Sex"] === "MALE" ? 1 : 0]));
const x = inputs(shuffled);
const y = labels(shuffled);

/** A Normalization layer fitted to `data`. */
function normalised(data = x): Normalization {
  const layer = new Normalization({ inputDim: NUMERIC.length });
  layer.adapt(data);
  return layer;
}

/** Trains on the first 80 % of the rows, validates on the last 20 %; returns the model and its history. */
function train(layers: Layer[], optimizer: Optimizer, { loss = "binaryCrossentropy", epochs = 30, data = { x, y }, shuffle = true } = {}) {
  const model = new Sequential(layers, { seed: 1 });
  model.compile({ loss, optimizer, metrics: ["binaryAccuracy"] });
  const history = model.fit(data.x, data.y, { epochs, batchSize: 32, validationSplit: 0.2, shuffle });
  const last = (key: string) => history.history[key]?.at(-1) as number;
  return { model, history, loss: last("loss"), accuracy: last("binaryAccuracy"), valAccuracy: last("val_binaryAccuracy") };
}
const hidden = (activation = "relu") => new Dense({ units: 16, activation });
const output = () => new Dense({ units: 1, activation: "sigmoid" });
// #endregion data

// #region rate
const slow = train([normalised(), hidden(), output()], adam({ lr: 1e-5 }));
const good = train([normalised(), hidden(), output()], adam({ lr: 0.01 }));
console.log(slow.history.history["loss"]?.[0], slow.loss, slow.valAccuracy); // the loss barely moves
console.log(good.history.history["loss"]?.[0], good.loss, good.valAccuracy);
// #endregion rate

// #region dead
// Two ReLU layers and a learning rate of 1: large updates push every unit of the second layer
// below zero for every input. Its gradient is then 0, and nothing can bring it back.
const dying = train([normalised(), hidden(), hidden(), output()], adam({ lr: 1 }));
const [norm, first, second] = dying.model.layers as [Layer, Layer, Layer, Layer];
const activity = second.forward(first.forward(norm.forward(x.clone(dying.model.dtype)))).asMatrix(); // the second layer's outputs
const dead = Array.from({ length: activity.cols }, (_, j) => j).filter((j) => {
  for (let i = 0; i < activity.rows; i++) if (activity.get(i, j) > 0) return false;
  return true; // 0 for all 333 penguins
}).length;
console.log(dead, dying.loss, dying.valAccuracy); // 16 of 16 dead, loss ≈ ln 2
const leaky = train([normalised(), hidden("leakyRelu"), hidden("leakyRelu"), output()], adam({ lr: 1 }));
console.log(leaky.valAccuracy); // a leaky ReLU always passes some gradient
// #endregion dead

// #region output
// A softmax over one unit is always 1: its gradient is 0, the loss never moves.
const oneSoftmax = train([normalised(), hidden(), new Dense({ units: 1, activation: "softmax" })], sgd({ lr: 0.1 }));
console.log(oneSoftmax.history.history["loss"]?.[0], oneSoftmax.loss, oneSoftmax.valAccuracy);
// #endregion output

// #region mse
// Same network, same 20 epochs of SGD: only the loss differs.
const withMse = train([normalised(), new Dense({ units: 8, activation: "relu" }), output()], sgd({ lr: 0.1 }), { loss: "meanSquaredError", epochs: 20 });
const withBce = train([normalised(), new Dense({ units: 8, activation: "relu" }), output()], sgd({ lr: 0.1 }), { loss: "binaryCrossentropy", epochs: 20 });
console.log(withMse.valAccuracy, withBce.valAccuracy);
// #endregion mse

// #region shuffle
// The same rows, sorted by the target (females first), as exported files often are.
const sorted = [...known].sort((a, b) => String(a["Sex"]).localeCompare(String(b["Sex"])));
const sortedData = { x: inputs(sorted), y: labels(sorted) };
// validationSplit holds out the LAST 20 % of the rows, before fit shuffles anything: only males.
const heldOut = sortedData.y.rowSlice(Math.floor(sorted.length * 0.8), sorted.length);
const onlyMales = heldOut.data.every((v) => v === 1);
const unshuffled = train([normalised(sortedData.x), hidden(), output()], adam({ lr: 0.01 }), { data: sortedData });
// The fix: shuffle the rows once, with a seed, before splitting (as `data` above).
const reshuffled = train([normalised(), hidden(), output()], adam({ lr: 0.01 }));
console.log(onlyMales, unshuffled.accuracy, unshuffled.valAccuracy, reshuffled.valAccuracy);
// #endregion shuffle

// #region capacity
// Two rings, one inside the other: no straight line separates them.
const rng = new Rng(3);
const rings = { x: new Matrix(400, 2), y: new Matrix(400, 1) };
for (let i = 0; i < 400; i++) {
  const inner = i % 2;
  const radius = inner ? rng.uniform(0, 0.5) : rng.uniform(0.7, 1);
  const angle = rng.uniform(0, 2 * Math.PI);
  rings.x.set(i, 0, radius * Math.cos(angle));
  rings.x.set(i, 1, radius * Math.sin(angle));
  rings.y.set(i, 0, inner);
}
const ring = (units: number) => train([new Dense({ units, inputDim: 2, activation: "relu" }), output()], adam({ lr: 0.05 }), { data: rings, epochs: 200 });
const [narrow, wide] = [ring(2), ring(16)];
console.log(narrow.valAccuracy, wide.valAccuracy); // 2 hidden units draw 2 lines; 16 can draw a closed curve
// #endregion capacity

export { dead, dying, good, leaky, narrow, onlyMales, oneSoftmax, reshuffled, shuffled, slow, sorted, unshuffled, wide, withBce, withMse };
