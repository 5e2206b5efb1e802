// #region example
import { Rng, Tensor } from "@backprop/linalg";
import { Dense, Embedding, LSTM, Sequential } from "@backprop/layers";
import { adam } from "@backprop/optimizers";

// Character-level: every character is an id; a window of 24 characters predicts, at each
// step, the character that follows it (so one window is 24 training examples).
const text = "the quick brown fox jumps over the lazy dog. ".repeat(12);
const chars = [...new Set(text)].sort();
const id = new Map(chars.map((c, i) => [c, i]));
const length = 24;
const starts = Array.from({ length: text.length - length - 1 }, (_, i) => i);
const x = new Tensor([starts.length, length], "float32");
const y = new Tensor([starts.length, length, 1], "float32");
starts.forEach((s, n) => {
  for (let t = 0; t < length; t++) {
    x.data[n * length + t] = id.get(text[s + t]!)!;
    y.data[n * length + t] = id.get(text[s + t + 1]!)!;
  }
});

const embedding = new Embedding({ inputDim: chars.length, outputDim: 16, inputLength: length });
const lstm = new LSTM({ units: 64, returnSequences: true });
const output = new Dense({ units: chars.length, activation: "softmax" });
const model = new Sequential([embedding, lstm, output], { seed: 1 });
model.compile({ loss: "sparseCategoricalCrossentropy", optimizer: adam({ lr: 0.01 }) });
const history = model.fit(x, y, { epochs: 15, batchSize: 32 });

// Generation, one character at a time: the LSTM's state carries over between calls
// (`call` returns the final states), so no window is ever run twice.
function generate(prompt: string, count: number, temperature: number, seed: number): string {
  const rng = new Rng(seed);
  let states: Tensor[] | undefined;
  let next = "";
  let out = "";
  for (const c of [...prompt].map((ch) => id.get(ch)!)) ({ next, states } = step(c, states, rng, temperature));
  for (let i = 0; i < count; i++) {
    out += next;
    ({ next, states } = step(id.get(next)!, states, rng, temperature));
  }
  return out;
}

function step(charId: number, states: Tensor[] | undefined, rng: Rng, temperature: number) {
  const input = embedding.forward(new Tensor([1, 1], "float32", Float32Array.of(charId)));
  const run = lstm.call(input, states ? { initialState: states } : {});
  const p = output.forward(run.output).data;
  // Temperature: p^(1/T), renormalised; T → 0 is always the likeliest character.
  const weights = Array.from(p, (v) => Math.pow(v, 1 / temperature));
  let r = rng.uniform() * weights.reduce((a, b) => a + b, 0);
  let k = 0;
  while (k < weights.length - 1 && (r -= weights[k]!) > 0) k++;
  return { next: chars[k]!, states: run.states.map((s) => s.clone()) };
}

const sample = generate("the quick ", 40, 0.5, 7);
console.log(history.history.loss?.at(-1), JSON.stringify(sample));
// #endregion example

export { chars, generate, history, sample, text };
