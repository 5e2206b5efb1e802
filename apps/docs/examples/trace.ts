// #region example
import { referenceModel } from "@backprop/layers";

const { model, x, y } = referenceModel();          // 2-2-2 sigmoid network, ½·Σ squared error, SGD lr 0.5
const trace = model.traceStep(x, y);               // one training step, every number kept
const [hidden, output] = trace.layers;

console.log(hidden?.preActivation, hidden?.output); // net and out of h1, h2
console.log(output?.output, trace.loss);            // out of o1, o2 and the total error
console.log(output?.delta, hidden?.delta);          // δ = ∂E/∂net of each neuron
console.log(output?.params[0]?.after);              // the output kernel after the update
// #endregion example

export { trace };
