// Troubleshooting (guide/troubleshooting.md): activations that are linear near zero.
// #region example
import { defineActivation } from "@backprop/activations";
import { Matrix } from "@backprop/linalg";
import { Dense, Sequential, type DenseConfig, type Layer } from "@backprop/layers";
import { adam, sgd, type Optimizer } from "@backprop/optimizers";

// XOR: no straight line separates the 1s from the 0s, so a network that is linear cannot learn it.
const x = Matrix.fromArray([[0, 0], [0, 1], [1, 0], [1, 1]]);
const y = Matrix.fromArray([[0], [1], [1], [0]]);
function xor(activation: DenseConfig["activation"], optimizer: Optimizer, kernelInitializer: DenseConfig["kernelInitializer"] = "glorotUniform") {
  const model = new Sequential([
    new Dense({ units: 4, inputDim: 2, activation, kernelInitializer }),
    new Dense({ units: 1, activation: "sigmoid", kernelInitializer }),
  ], { seed: 1 });
  model.compile({ loss: "binaryCrossentropy", optimizer });
  const history = model.fit(x, y, { epochs: 500, batchSize: 4 });
  return { model, loss: history.history["loss"]?.at(-1) as number, predictions: Array.from(model.predict(x).data) };
}

// 1. A custom activation f(x) = x: two linear layers make one linear map.
const identity = defineActivation({ name: "acme>identity", f: (v) => v, df: () => 1 });
const linear = xor(identity, sgd({ lr: 0.5 }));
console.log(linear.loss, linear.predictions); // ln 2 = 0.6931…, [0.5, 0.5, 0.5, 0.5]: it answers "don't know"

// 2. tanh is nonlinear, but tanh(z) ≈ z for small z: with tiny initial weights the network starts
//    out (almost) linear, at a point where plain SGD's gradient is almost zero.
const small = { name: "randomNormal", config: { stddev: 0.01 } };
const flat = xor("tanh", sgd({ lr: 0.5 }), small);
const hidden = (flat.model.layers[0] as Layer).forward(x.clone(flat.model.dtype)).data; // tanh(z), per unit
const deviation = Math.max(...Array.from(hidden, (h) => (h === 0 ? 0 : Math.abs(Math.atanh(h) - h) / Math.abs(Math.atanh(h)))));
console.log(flat.loss, deviation); // still ln 2 after 500 epochs; tanh differs from z by under 0.1 %

// 3. The fixes: weights large enough for the curvature to matter (the default glorotUniform)…
const glorot = xor("tanh", sgd({ lr: 0.5 }));
// …or an optimizer that rescales each weight's step (Adam), which leaves the flat start quickly.
const rescaled = xor("tanh", adam({ lr: 0.05 }), small);
console.log(glorot.loss, glorot.predictions, rescaled.loss);
// #endregion example

export { deviation, flat, glorot, linear, rescaled };
