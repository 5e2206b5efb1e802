// #region example
import { Matrix, Rng, finiteDifferenceCheck, readConfig } from "@backprop/linalg";
import { Dense, Sequential, registerLoss, type Loss } from "@backprop/layers";
import { adam } from "@backprop/optimizers";
import { modelFromJSON, modelToJSON } from "@backprop/serialize";

/**
 * Binary focal loss (Lin et al. 2017), averaged over every output like binaryCrossentropy:
 * L = −(1/n) Σ [α·t·(1 − p)^γ·log p + (1 − α)(1 − t)·p^γ·log(1 − p)], p clipped to [eps, 1 − eps].
 * γ > 0 shrinks the loss of the examples already classified well; γ = 0, α = ½ is half the BCE.
 */
function binaryFocal(options: { gamma?: number; alpha?: number; eps?: number } = {}): Loss {
  // Checks the options (a typo or a bad value in a model file is an INVALID_CONFIG error)
  const { gamma, alpha, eps } = readConfig("acme>binaryFocal", options, {
    gamma: { type: "number", default: 2, min: 0 },
    alpha: { type: "number", default: 0.25, min: 0, max: 1 },
    eps: { type: "number", default: 1e-7, min: 0, max: 0.5, minExclusive: true, maxExclusive: true },
  });
  const clip = (p: number): number => Math.min(Math.max(p, eps), 1 - eps);
  return {
    name: "acme>binaryFocal", // the name model files store
    config: { gamma, alpha, eps },
    compute(yPred, yTrue) {
      const n = yPred.data.length;
      let sum = 0;
      for (let i = 0; i < n; i++) {
        const p = clip(yPred.data[i] as number);
        const t = yTrue.data[i] as number;
        sum -= alpha * t * (1 - p) ** gamma * Math.log(p) + (1 - alpha) * (1 - t) * p ** gamma * Math.log(1 - p);
      }
      return n === 0 ? 0 : sum / n;
    },
    gradient(yPred, yTrue, out) {
      // dL/dp of each output, with the 1/n of the mean
      const n = yPred.data.length;
      for (let i = 0; i < n; i++) {
        const p = clip(yPred.data[i] as number);
        const t = yTrue.data[i] as number;
        const positive = alpha * t * (gamma * (1 - p) ** (gamma - 1) * Math.log(p) - (1 - p) ** gamma / p);
        const negative = (1 - alpha) * (1 - t) * (p ** gamma / (1 - p) - gamma * p ** (gamma - 1) * Math.log(1 - p));
        out.data[i] = (positive + negative) / n;
      }
      return out;
    },
  };
}
registerLoss("acme>binaryFocal", (config) => binaryFocal(config)); // model files can now name it

// 1. The gradient against central differences (float64, h = 1e-5)
const rng = new Rng(1);
const p = rng.fillUniform(Matrix.zeros(4, 3), 0.05, 0.95);
const t = rng.fillUniform(Matrix.zeros(4, 3), 0, 1);
const focal = binaryFocal({ gamma: 2, alpha: 0.75 });
const analytic = focal.gradient(p, t, Matrix.zeros(4, 3)).data;
const check = finiteDifferenceCheck(p.data, analytic, () => focal.compute(p, t));

// 2. Trained in a model: 400 points, about 1 in 9 inside the small disc (class 1)
const x = Matrix.zeros(400, 2);
const y = Matrix.zeros(400, 1);
for (let i = 0; i < 400; i++) {
  const [a, b] = [rng.uniform(-1, 1), rng.uniform(-1, 1)];
  x.set(i, 0, a);
  x.set(i, 1, b);
  y.set(i, 0, a * a + b * b < 0.15 ? 1 : 0);
}
const model = new Sequential([new Dense({ units: 16, inputDim: 2, activation: "tanh" }), new Dense({ units: 1, activation: "sigmoid" })], { seed: 1 });
model.compile({ loss: focal, optimizer: adam({ lr: 0.02 }), metrics: ["accuracy"] });
const history = model.fit(x, y, { epochs: 100, batchSize: 32 });

// 3. Saved and loaded back: the file names the loss, the registry rebuilds it
const json = JSON.stringify(modelToJSON(model));
const restored = modelFromJSON(JSON.parse(json));
console.log(check.maxRelativeError, history.history["accuracy"]?.at(-1), restored.loss?.config); // ≈2e-9, ≈0.99, { gamma: 2, alpha: 0.75, eps: 1e-7 }
// #endregion example

export { binaryFocal, check, history, json, model, restored, x, y };
