// #region example
import { Matrix, addRowVector, allClose, map, matmul, sumColumns, transpose } from "@backprop/linalg";

const x = Matrix.fromArray([[1, 2], [3, 4], [5, 6]]);     // 3×2, float64 by default
const w = Matrix.fromArray([[0.5, -1], [0.25, 2]], "float32").clone("float64");
const b = Matrix.rowVector([0.1, -0.1]);

const z = addRowVector(matmul(x, w), b);                  // z = x·w + b, one row per sample
const a = map(z, (v) => Math.max(0, v));                  // a new matrix: relu(z)
const dw = matmul(x, a, undefined, { transA: true });     // xᵀ·a without building xᵀ
const db = sumColumns(a);                                 // Σ over the rows, 1×2

console.log(z.toArray(), dw.toArray(), db.toArray());
console.log(allClose(dw, matmul(transpose(x), a)));       // true
console.log(Matrix.zeros(2, 2, "float32").data);          // Float32Array(4) [0, 0, 0, 0]
// #endregion example

export { a, b, db, dw, w, x, z };
