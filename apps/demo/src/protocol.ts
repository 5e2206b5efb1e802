import type { Point } from "./datasets.js";
import type { DemoState } from "./state.js";

/** Messages from the page to the training worker. */
export type ToWorker =
  | { readonly type: "configure"; readonly state: DemoState; readonly train: readonly Point[]; readonly test: readonly Point[] }
  | { readonly type: "play"; readonly epochsPerFrame: number }
  | { readonly type: "ack" }
  | { readonly type: "pause" }
  | { readonly type: "step" }
  | { readonly type: "export" };

/** Weights of one Dense layer: kernel rows are inputs, columns are units. */
export interface LayerWeights {
  readonly kernel: number[][];
  readonly bias: number[];
}

/** What the worker reports after configuring and while training. */
export interface Snapshot {
  readonly type: "snapshot";
  /** Epochs completed. */
  readonly epoch: number;
  readonly playing: boolean;
  /** Loss per completed epoch, plus the loss before training at index 0. */
  readonly trainLoss: readonly number[];
  readonly testLoss: readonly number[];
  /** Test accuracy (classification only). */
  readonly testAccuracy: number | undefined;
  readonly weights: readonly LayerWeights[];
  /** Per layer (inputs first), neuron-major `units × grid²` outputs over the plane. */
  readonly maps: readonly Float32Array[];
  readonly grid: number;
  /** Whether the formula activation's derivative is numerical. */
  readonly numericDerivative: boolean;
  /** Wall-clock milliseconds spent training since configure. */
  readonly trainingMs: number;
}

/** Messages from the training worker to the page. */
export type FromWorker =
  | Snapshot
  | { readonly type: "error"; readonly message: string }
  | { readonly type: "export"; readonly json: string };
