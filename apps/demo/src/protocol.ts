import type { Point } from "./datasets.js";
import type { LossCurve } from "./loss-history.js";
import type { DemoState } from "./state.js";

/** Messages from the page to the training worker. */
export type ToWorker =
  /** A new network and data (training starts over); `run` tags every answer to it. */
  | { readonly type: "configure"; readonly run: number; readonly state: DemoState; readonly train: readonly Point[]; readonly test: readonly Point[] }
  /** Settings that apply to the running network without starting over: lr, regularization, batch size. */
  | { readonly type: "tune"; readonly state: DemoState }
  /** Drops the network (the page's configuration is invalid): nothing trains until the next configure. */
  | { readonly type: "discard" }
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
  /** The configure message this answers. */
  readonly run: number;
  /** Epochs completed. */
  readonly epoch: number;
  readonly playing: boolean;
  /** Data loss (without the weight penalty) on the training and test points after `epoch`. */
  readonly trainLoss: number;
  readonly testLoss: number;
  /** The L1/L2 weight penalty after `epoch` (0 without regularization). */
  readonly penalty: number;
  /** Down-sampled data-loss curve, bounded in size however long training runs. */
  readonly history: LossCurve;
  /** Test accuracy (classification only). */
  readonly testAccuracy: number | undefined;
  /** The learning rate and batch size training uses now (they change live). */
  readonly lr: number;
  readonly batchSize: number;
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
  | { readonly type: "error"; readonly run: number; readonly message: string }
  | { readonly type: "export"; readonly json: string };
