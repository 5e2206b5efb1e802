// #region example
import { Matrix, Param } from "@backprop/linalg";
import { clipGradNorm, clipGradValue, sgd } from "@backprop/optimizers";

const p = new Param("w", Matrix.rowVector([0, 0]));
p.grad.data.set([3, 4]);                           // ‖g‖ = 5
const norm = clipGradNorm([p], 1);                 // rescales to ‖g‖ ≤ 1, returns 5
console.log(norm, p.grad.toArray());               // 5 [[≈0.6, ≈0.8]]

p.grad.data.set([3, -0.5]);
clipGradValue([p], 1);                             // clamps each element to [−1, 1]
console.log(p.grad.toArray());                     // [[1, -0.5]]

const opt = sgd({ lr: 0.1, clipNorm: 1 });         // or let the optimizer clip before every step
p.grad.data.set([30, 40]);
opt.step([p]);
console.log(p.value.toArray());                    // [[≈-0.06, ≈-0.08]]
// #endregion example

export { norm, p };
