// #region example
import { Matrix, Param } from "@backprop/linalg";
import { adam, optimizerFromState, sgd } from "@backprop/optimizers";

// Minimise f(p) = ½‖p − c‖² by hand: its gradient is p − c.
const c = [3, -1];
const p = new Param("p", Matrix.rowVector([0, 0]));
const opt = adam({ lr: 0.1 });
for (let t = 0; t < 300; t++) {
  for (let i = 0; i < 2; i++) p.grad.data[i] = p.value.data[i]! - c[i]!;
  opt.step([p]);                                   // updates p.value in place; keeps m, v per Param.name
}
console.log(p.value.toArray());                    // ≈ [[3, -1]]

const saved = JSON.stringify(opt.stateDict());     // config, step count, slots: a checkpoint
const resumed = optimizerFromState(JSON.parse(saved));
console.log(resumed.name, resumed.config);         // "adam" { lr: 0.1, beta1: 0.9, … }
const momentum = sgd({ lr: 0.01, momentum: 0.9, nesterov: true });
console.log(momentum.config);
// #endregion example

export { opt, p, resumed };
