// #region example
import { Matrix, Tensor, rowsOf } from "@backprop/linalg";

const images = Tensor.zeros([4, 2, 2, 1], "float32");        // 4 images of 2×2 pixels, 1 channel
images.data.set([0, 1, 2, 3], 4);                             // the second image
const second = images.batchSlice(1, 2);                       // [1, 2, 2, 1], the same memory
const rows = images.reshape([4, -1]) as Matrix;               // a 4×4 Matrix: one row per image
const pixels = images.asMatrix();                             // 16×1: every pixel a row, channels as columns

console.log(second.toArray());                                // [[[[0], [1]], [[2], [3]]]]
console.log(rows.get(1, 3), pixels.rows, pixels.cols);        // 3 16 1
console.log(rowsOf([[1, 2], [3, 4]]), Tensor.fromArray([[[1], [2]]]).shape); // [[1, 2], [3, 4]] [1, 2, 1]
// #endregion example

export { images, pixels, rows, second };
