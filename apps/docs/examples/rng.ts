// #region example
import { Matrix, Rng } from "@backprop/linalg";

const rng = new Rng(42);                                    // xoshiro128**, seeded
const w = rng.fillNormal(Matrix.zeros(2, 3), 0, 0.1);       // N(0, 0.1²) in place
const order = rng.permutation(5);                           // a shuffled 0..4
const saved = rng.getState();
const next = rng.uniform();
rng.setState(saved);                                        // rewind
console.log(rng.uniform() === next);                        // true: same state, same bits
const child = rng.fork();                                   // an independent stream (e.g. for dropout)

console.log(w.toArray(), order, child.int(10));
// #endregion example

export { next, order, w };
