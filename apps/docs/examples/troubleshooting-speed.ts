// Troubleshooting (guide/troubleshooting.md): what makes training fast or slow.
// #region example
import { Matrix, Rng, getBackend, setBackend, useBackend } from "@backprop/linalg";
import { Dense, Sequential } from "@backprop/layers";
import { adam } from "@backprop/optimizers";

const rng = new Rng(5);
const x = rng.fillUniform(Matrix.zeros(2048, 32), -1, 1);
const y = rng.fillUniform(Matrix.zeros(2048, 1), -1, 1);
const net = (options = {}) => {
  const model = new Sequential([new Dense({ units: 64, inputDim: 32, activation: "relu" }), new Dense({ units: 1 })], { seed: 1, ...options });
  model.compile({ loss: "meanSquaredError", optimizer: adam({ lr: 0.001 }) });
  return model;
};

// 1. Which kernels run: "wasm" (WebAssembly SIMD) wherever the runtime supports it.
console.log(getBackend().name);

// 2. The batch size sets how many steps an epoch takes; each step has a fixed cost.
const seconds = (batchSize: number) => {
  const model = net();
  const start = performance.now();
  model.fit(x, y, { epochs: 2, batchSize });
  return { steps: model.iterations, seconds: (performance.now() - start) / 1000 };
};
const [perSample, perBatch] = [seconds(1), seconds(256)];
console.log(perSample, perBatch); // 4096 steps vs 16 steps for the same 2 epochs

// 3. The fast paths compute the same numbers. In float64 the WebAssembly and TypeScript kernels
//    give the same bits…
const trained = () => {
  const model = net({ dtype: "float64" });
  model.fit(x, y, { epochs: 1, batchSize: 64 });
  return Array.from(model.predict(x).data);
};
const previous = useBackend("typescript");
const portable = trained();
setBackend(previous);
const fast = trained();
// …and so do a tiny network's fused training step (used when every product is under 512
// multiply-adds, as for XOR) and the step through the layers one by one.
const xor = (options = {}) => {
  const model = new Sequential([new Dense({ units: 4, inputDim: 2, activation: "tanh" }), new Dense({ units: 1, activation: "sigmoid" })], { seed: 1, ...options });
  model.compile({ loss: "binaryCrossentropy", optimizer: adam({ lr: 0.05 }) });
  model.fit(Matrix.fromArray([[0, 0], [0, 1], [1, 0], [1, 1]]), Matrix.fromArray([[0], [1], [1], [0]]), { epochs: 200, batchSize: 4 });
  return model.getWeights().flatMap((w) => Array.from(w.data));
};
const [fused, layerByLayer] = [xor(), xor({ stepStrategies: [] })];
console.log(fast.every((v, i) => v === portable[i]), fused.every((v, i) => v === layerByLayer[i])); // true true
// #endregion example

export { fast, fused, layerByLayer, perBatch, perSample, portable };
