// Troubleshooting (guide/troubleshooting.md): seeds, determinism, float32 and float64.
// #region seeds
import { Matrix, Rng, type DType } from "@backprop/linalg";
import { Dense, Dropout, Sequential } from "@backprop/layers";
import { adam } from "@backprop/optimizers";

// Your data and your split come from your own seeded generator…
const rng = new Rng(7);
const x = new Matrix(300, 2);
const y = new Matrix(300, 1);
for (let i = 0; i < 300; i++) {
  const label = i % 2;
  x.set(i, 0, rng.normal(label ? 1 : -1, 1));
  x.set(i, 1, rng.normal(label ? -1 : 1, 1));
  y.set(i, 0, label);
}

// …and everything random in training comes from the model's seed: the initial weights, the
// dropout masks, the order of the samples in every epoch.
function run(seed: number, dtype: DType = "float32") {
  const model = new Sequential([
    new Dense({ units: 8, inputDim: 2, activation: "relu" }),
    new Dropout({ rate: 0.2 }),
    new Dense({ units: 1, activation: "sigmoid" }),
  ], { seed, dtype });
  model.compile({ loss: "binaryCrossentropy", optimizer: adam({ lr: 0.05 }), metrics: ["binaryAccuracy"] });
  const history = model.fit(x, y, { epochs: 20, batchSize: 16, validationSplit: 0.2 });
  return { model, history, weights: model.getWeights().flatMap((w) => Array.from(w.data)) };
}
const sameBits = (a: number[], b: number[]) => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));

const [first, again, other] = [run(1), run(1), run(2)];
console.log(sameBits(first.weights, again.weights)); // true: the same seed gives the same bits
console.log(sameBits(first.weights, other.weights)); // false: another seed, another run
// #endregion seeds

// #region dtype
// The same run in float64: twice the memory, and the same model up to rounding.
const double = run(1, "float64");
const bytes = (r: ReturnType<typeof run>) => r.model.params().reduce((s, p) => s + p.value.data.byteLength, 0);
const p32 = first.model.predict(x).data;
const p64 = double.model.predict(x).data;
const largestGap = Math.max(...Array.from(p32, (p, i) => Math.abs(p - (p64[i] as number))));
const accuracies = [first, double].map((r) => r.history.history["val_binaryAccuracy"]?.at(-1));
console.log(bytes(first), bytes(double), largestGap, accuracies); // 132 and 264 bytes of weights; predictions ≈ 3e-7 apart; the same accuracy
// #endregion dtype

export { accuracies, again, bytes, double, first, largestGap, other, sameBits };
