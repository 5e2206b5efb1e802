// #region example
import { getActivation, leakyRelu, listActivations, relu, sigmoid } from "@backprop/activations";

sigmoid.f(0);                                   // 0.5
sigmoid.df(0, sigmoid.f(0));                    // 0.25: df gets x and y = f(x)
relu.df(0, 0);                                  // 0: the value at the kink is defined

const act = leakyRelu({ alpha: 0.2 });          // configured activations are factories
const x = Float64Array.of(-2, 3);
const y = new Float64Array(2);
act.apply(x, y);                                // y = [-0.4, 3]
const grad = Float64Array.of(1, 1);
act.backward(x, y, grad, grad);                 // grad = [0.2, 1], in place

const again = getActivation(act.name, act.config); // what a model file stores: { name, config }
console.log(y, grad, again.f(-1), listActivations().length);
// #endregion example

export { again, grad, y };
