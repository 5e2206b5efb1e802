import { createRequire } from "node:module";
import type { Matrix } from "@backprop/linalg";
import type { Dataset } from "../data.js";

/*
 * brain.js 2.0.0-beta.24 (NeuralNetwork, CPU). It trains one sample at a time (online SGD, no
 * mini-batches) and applies the same activation to every layer with a squared-error loss (no
 * softmax), so its W1/W2 nets are the closest it can express: same sizes, same activation.
 */

interface BrainNet {
  train(data: { input: number[]; output: number[] }[], options: Record<string, unknown>): unknown;
  run(input: number[] | Float32Array): ArrayLike<number>;
}
interface BrainModule {
  NeuralNetwork: new (options: Record<string, unknown>) => BrainNet;
}

let brain: BrainModule | undefined;

/** Loads brain.js (CommonJS) once. */
export function loadBrain(): BrainModule {
  brain ??= createRequire(import.meta.url)("brain.js") as BrainModule;
  return brain;
}

function samples(d: Dataset): { input: number[]; output: number[] }[] {
  const out: { input: number[]; output: number[] }[] = [];
  for (let i = 0; i < d.x.rows; i++) {
    out.push({
      input: Array.from(d.x.data.subarray(i * d.x.cols, (i + 1) * d.x.cols)),
      output: Array.from(d.y.data.subarray(i * d.y.cols, (i + 1) * d.y.cols)),
    });
  }
  return out;
}

function trainOptions(iterations: number, lr: number): Record<string, unknown> {
  // brain.js rejects 0 for both: a tiny momentum is plain SGD, a tiny errorThresh never stops early.
  return { iterations, learningRate: lr, momentum: 1e-9, errorThresh: 1e-12, log: false, callback: undefined };
}

/** W1 (one epoch over all samples) or W2 (`iterations` epochs). */
export function brainTrain(d: Dataset, hidden: number, activation: "relu" | "sigmoid", iterations: number, lr: number) {
  const { NeuralNetwork } = loadBrain();
  const data = samples(d);
  const net = new NeuralNetwork({ hiddenLayers: [hidden], activation });
  return {
    run() {
      net.train(data, trainOptions(iterations, lr));
    },
  };
}

/** W3: `run` on each of the rows of `x`, `iterations` times (brain.js has no batched forward). */
export function brainInfer(x: Matrix, d: Dataset, iterations: number) {
  const { NeuralNetwork } = loadBrain();
  const net = new NeuralNetwork({ hiddenLayers: [128], activation: "relu" });
  net.train(samples({ x: d.x.rowSlice(0, 1), y: d.y.rowSlice(0, 1) }), trainOptions(1, 0.01)); // sizes the net
  const rows: Float32Array[] = [];
  for (let i = 0; i < x.rows; i++) rows.push(x.data.subarray(i * x.cols, (i + 1) * x.cols) as Float32Array);
  return {
    run() {
      for (let it = 0; it < iterations; it++) for (const r of rows) net.run(r);
    },
  };
}
