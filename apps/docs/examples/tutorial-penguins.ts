// The tabular tutorial (guide/tutorial-tabular.md) shows this file one region at a time.
// #region load
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

// Palmer Archipelago penguins (CC0), as shipped by the vega-datasets npm package: one object per bird.
type Cell = string | number | null;
type Row = Record<string, Cell>;
const packageDir = dirname(createRequire(import.meta.url).resolve("vega-datasets")); // …/vega-datasets/build
const table = JSON.parse(readFileSync(join(packageDir, "../data/penguins.json"), "utf8")) as Row[];

const columns = Object.keys(table[0] ?? {});
const missing = Object.fromEntries(columns.map((c) => [c, table.filter((r) => r[c] === null).length]));
const valuesOf = (c: string) => Object.fromEntries([...new Set(table.map((r) => String(r[c])))].map((v) => [v, table.filter((r) => String(r[c]) === v).length]));
console.log(table.length, columns);      // 344 rows, 7 columns
console.log(missing);                    // { "Beak Length (mm)": 2, …, Sex: 10 }
console.log(valuesOf("Species"));        // { Adelie: 152, Chinstrap: 68, Gentoo: 124 }
console.log(valuesOf("Sex"));            // { MALE: 168, FEMALE: 165, null: 10, ".": 1 }
// #endregion load

// #region clean
const NUMERIC = ["Beak Length (mm)", "Beak Depth (mm)", "Flipper Length (mm)", "Body Mass (g)"];
const SPECIES = ["Adelie", "Chinstrap", "Gentoo"];

// Two birds have no measurement at all: nothing to learn from, so drop them.
const rows = table.filter((r) => NUMERIC.every((c) => typeof r[c] === "number"));
// Sex is missing for 8 of the rest, and "." (a data-entry placeholder) for one: both count as unknown.
const sexOf = (r: Row): string | null => (r["Sex"] === "MALE" || r["Sex"] === "FEMALE" ? r["Sex"] : null);
console.log(rows.length, rows.filter((r) => sexOf(r) === null).length); // 342 9
// #endregion clean

// #region split
import { Matrix, Rng, argmaxRows } from "@backprop/linalg";

// The file is sorted by species: shuffle once (seeded), then cut 70 % / 15 % / 15 %.
const order = Array.from(new Rng(1).permutation(rows.length), (i) => rows[i] as Row);
const nTest = Math.round(rows.length * 0.15);
const test = order.slice(0, nTest);
const validation = order.slice(nTest, 2 * nTest);
const train = order.slice(2 * nTest);
console.log(train.length, validation.length, test.length); // 240 51 51
// #endregion split

// #region encode
// Categories come from the training rows only; a category never seen there (or a missing one)
// is all zeros. Numbers pass through unchanged: the model normalises them itself.
const categories = (c: string) => [...new Set(train.map((r) => (c === "Sex" ? sexOf(r) : r[c])))].filter((v) => v !== null).map(String).sort();
const ISLANDS = categories("Island");   // ["Biscoe", "Dream", "Torgersen"]
const SEXES = categories("Sex");        // ["FEMALE", "MALE"]
const FEATURES = [...NUMERIC, ...ISLANDS.map((k) => `Island=${k}`), ...SEXES.map((k) => `Sex=${k}`)];

const encode = (r: Row): number[] => [
  ...NUMERIC.map((c) => r[c] as number),
  ...ISLANDS.map((k) => (r["Island"] === k ? 1 : 0)),   // one-hot
  ...SEXES.map((k) => (sexOf(r) === k ? 1 : 0)),        // one-hot; unknown sex: [0, 0]
];
const inputs = (part: Row[]) => Matrix.fromArray(part.map(encode));
const labels = (part: Row[]) => Matrix.fromArray(part.map((r) => [SPECIES.indexOf(r["Species"] as string)]));
const [trainX, trainY] = [inputs(train), labels(train)];
const [valX, valY] = [inputs(validation), labels(validation)];
const [testX, testY] = [inputs(test), labels(test)];
console.log(FEATURES.length, trainX.rows, trainX.cols); // 9 240 9
// #endregion encode

// #region model
import { Dense, Dropout, Normalization, Sequential, earlyStopping } from "@backprop/layers";
import { adam } from "@backprop/optimizers";

// Mean and variance of each input column, from the training rows only; stored in the model.
const normalization = new Normalization({ inputDim: FEATURES.length });
normalization.adapt(trainX);

const model = new Sequential([
  normalization,
  new Dense({ units: 16, activation: "relu", kernelInitializer: "heNormal" }),
  new Dropout({ rate: 0.2 }),
  new Dense({ units: SPECIES.length, activation: "softmax" }),
], { seed: 1 });
model.compile({ loss: "sparseCategoricalCrossentropy", optimizer: adam({ lr: 0.01 }), metrics: ["accuracy"] });
console.log(model.build().summary()); // 9 → 16 → 3: 211 weights to train, 18 statistics
// #endregion model

// #region fit
const stopper = earlyStopping({ monitor: "val_loss", patience: 10, restoreBestWeights: true });
const history = model.fit(trainX, trainY, {
  epochs: 200,
  batchSize: 16,
  validationData: [valX, valY],
  callbacks: [stopper],
});
console.log(history.epoch.length, stopper.bestEpoch, stopper.best); // epochs run, best epoch, its val_loss
// #endregion fit

// #region evaluate
const scores = model.evaluate(testX, testY);                  // { loss, accuracy } on the 51 test birds
const predicted = argmaxRows(model.predict(testX).asMatrix()); // the most probable class of each row
const confusion = SPECIES.map(() => SPECIES.map(() => 0));    // rows: true species, columns: predicted
test.forEach((_, i) => { confusion[testY.get(i, 0)]![predicted[i]!]! += 1; });
const misses = test.filter((_, i) => predicted[i] !== testY.get(i, 0)); // the birds to look at
console.log(scores, misses);
console.table(Object.fromEntries(SPECIES.map((s, i) => [s, Object.fromEntries(SPECIES.map((p, j) => [p, confusion[i]![j]]))])));
// #endregion evaluate

// #region predict
// A bird measured in the field: raw numbers and categories, encoded exactly as the training rows.
const bird: Row = { Island: "Biscoe", "Beak Length (mm)": 48.2, "Beak Depth (mm)": 15.1, "Flipper Length (mm)": 219, "Body Mass (g)": 5100, Sex: "MALE" };
const probabilities = Array.from(model.predict(Matrix.fromArray([encode(bird)])).data);
console.log(Object.fromEntries(SPECIES.map((s, k) => [s, probabilities[k]?.toFixed(4)]))); // Gentoo ≈ 1
// #endregion predict

// #region save
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { loadModel, saveModel } from "@backprop/serialize/node";

// The file holds the layers, the weights and the normalisation statistics; the metadata holds
// what `encode` needs, so another program can rebuild the same inputs.
const file = join(await mkdtemp(join(tmpdir(), "penguins-")), "penguins.json");
await saveModel(model, file, { metadata: { species: SPECIES, numeric: NUMERIC, islands: ISLANDS, sexes: SEXES } });
const { model: reloaded, metadata } = await loadModel(file);
console.log(metadata["species"], Array.from(reloaded.predict(Matrix.fromArray([encode(bird)])).data)); // the same probabilities
// #endregion save

export { FEATURES, bird, columns, confusion, file, history, metadata, misses, missing, model, probabilities, reloaded, rows, scores, stopper, table, test, testX, train, validation };
