// #region example
import { defineActivation, registerActivation } from "@backprop/activations";
import { Matrix } from "@backprop/linalg";
import { Dense, Sequential } from "@backprop/layers";
import { modelFromJSON, modelToJSON } from "@backprop/serialize";

// f(x) = x·σ(βx) with a hyperparameter β, stored in the model file as { name, config: { beta } }.
const swishBeta = (config: { beta?: number } = {}) => {
  const beta = config.beta ?? 1;
  const s = (x: number) => 1 / (1 + Math.exp(-beta * x));
  return defineActivation({
    name: "acme>swishBeta",
    config: { beta },
    f: (x) => x * s(x),
    df: (x) => s(x) + beta * x * s(x) * (1 - s(x)),
  });
};
registerActivation("acme>swishBeta", (config) => swishBeta({ beta: Number(config?.["beta"] ?? 1) }));

const model = new Sequential([new Dense({ units: 3, inputDim: 2, activation: swishBeta({ beta: 1.5 }) })], { seed: 3 }).build();
const json = JSON.stringify(modelToJSON(model));        // the file names "acme>swishBeta" and { beta: 1.5 }
const restored = modelFromJSON(JSON.parse(json));       // the registry rebuilds it by name
const x = Matrix.fromArray([[0.5, -1]]);
console.log(model.predict(x).toArray(), restored.predict(x).toArray()); // identical
// #endregion example

export { json, model, restored, x };
