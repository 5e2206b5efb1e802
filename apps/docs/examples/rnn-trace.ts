// #region example
import { Tensor } from "@backprop/linalg";
import { Dense, LSTM, Sequential } from "@backprop/layers";
import { sgd } from "@backprop/optimizers";

// One LSTM unit over a sequence of three steps, then a linear read-out: small enough to read.
const model = new Sequential([new LSTM({ units: 1, inputShape: [3, 1] }), new Dense({ units: 1 })], { dtype: "float64", seed: 2 });
model.compile({ loss: "meanSquaredError", optimizer: sgd({ lr: 0.1 }) });
const x = Tensor.fromArray([[[0.5], [-1], [2]]]);
const trace = model.traceStep(x, Tensor.fromArray([[1]]));

const lstm = trace.layers[0]!;
// Forward: every gate at every step ([sample][step][unit]).
for (const gate of ["input", "forget", "candidate", "output", "cell", "hidden"]) {
  console.log(gate.padEnd(10), JSON.stringify(lstm.timeSteps?.[gate]));
}
// Backward through time: dLoss/d(pre-activation) of each gate at each step.
for (const gate of ["input", "forget", "candidate", "output"]) {
  console.log(`δ ${gate}`.padEnd(12), JSON.stringify(lstm.timeStepGradients?.[gate]));
}
// #endregion example

export { lstm, trace };
