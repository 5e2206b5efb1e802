// Troubleshooting (guide/troubleshooting.md): the packages are ESM-only; require() still loads them.
// #region example
import { createRequire } from "node:module";

// What `require` is in a CommonJS file. On Node.js ≥ 20.19 it loads an ES module synchronously.
const require = createRequire(import.meta.url);
const { Matrix } = require("@backprop/linalg") as typeof import("@backprop/linalg");
const { Dense, Sequential } = require("@backprop/layers") as typeof import("@backprop/layers");

const model = new Sequential([new Dense({ units: 1, inputDim: 2, weights: { kernel: [[1], [2]], bias: [0.5] } })]);
const output = model.predict(Matrix.fromArray([[3, 4]])).data[0];
console.log(process.versions.node, output); // 1·3 + 2·4 + 0.5 = 11.5
// #endregion example

export { output };
