// #region example
import { Matrix, Param } from "@backprop/linalg";
import { defineOptimizer, getOptimizer, registerOptimizer } from "@backprop/optimizers";

// signSGD with momentum: m ← βm + (1 − β)g, p ← p − η·sign(m)
const signSgd = defineOptimizer({
  name: "acme>signSgd",
  defaults: { lr: 0.01, momentum: 0.9 },
  ranges: { momentum: { min: 0, max: 1 } },
  slots: ["m"],
  update({ value, grad, slots, lr, hp }) {
    const m = slots.m;
    for (let i = 0; i < value.length; i++) {
      m[i] = hp.momentum * m[i]! + (1 - hp.momentum) * grad[i]!;
      value[i] = value[i]! - lr * Math.sign(m[i]!);
    }
  },
});
registerOptimizer(signSgd);                          // now a model file can name it

const p = new Param("w", Matrix.rowVector([1, -1]));
const opt = signSgd({ lr: 0.1 });
p.grad.data.set([0.5, -2]);
opt.step([p]);
console.log(p.value.toArray());                      // [[0.9, -0.9]]
console.log(getOptimizer("acme>signSgd", { lr: 0.1 }).stateDict().config); // rebuilt by name
// #endregion example

export { opt, p };
