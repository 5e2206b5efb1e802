import type { Point } from "./datasets.js";
import type { LossCurve } from "./loss-history.js";
import type { DemoState } from "./state.js";

/** Messages from the page to the training worker. */
export type ToWorker =
  /**
   * A new network and data (training starts over); `run` tags every answer to it. `weights`, when
   * given (a shared link's or an imported model's), replace the initial ones.
   */
  | { readonly type: "configure"; readonly run: number; readonly state: DemoState; readonly train: readonly Point[]; readonly test: readonly Point[]; readonly weights?: readonly LayerWeights[] }
  /** New points for the running network (a point added by a click): weights and epoch stay. */
  | { readonly type: "data"; readonly train: readonly Point[]; readonly test: readonly Point[] }
  /** Sets one weight, `weights[layer].kernel[from][to]` (an edited edge); training continues from it. */
  | { readonly type: "setWeight"; readonly layer: number; readonly from: number; readonly to: number; readonly value: number }
  /** A model file to read (import): the worker answers with `imported` or `importError`. */
  | { readonly type: "import"; readonly text: string; readonly fileName: string }
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
  /** Test accuracy (classification only; the training accuracy without a test set). */
  readonly testAccuracy: number | undefined;
  /** The learning rate and batch size training uses now (they change live). */
  readonly lr: number;
  readonly batchSize: number;
  readonly weights: readonly LayerWeights[];
  /** ∂loss/∂weight of the last batch trained (zeros before the first), shaped as `weights`. */
  readonly gradients: readonly LayerWeights[];
  /** Mean gradient norm of each Dense layer's kernel per epoch, down-sampled like the loss curve. */
  readonly gradientFlow: { readonly epochs: readonly number[]; readonly norms: readonly (readonly number[])[] };
  /** Classification: `confusion[true][predicted]` on the test points (the training points without a test set). */
  readonly confusion: readonly (readonly number[])[] | undefined;
  /** Per Dense layer (inputs first), neuron-major `units × grid²` outputs over the plane. */
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
  /** A live change (tune) applied: training goes on with this learning rate and batch size from now. */
  | { readonly type: "tuned"; readonly run: number; readonly lr: number; readonly batchSize: number }
  | { readonly type: "export"; readonly json: string }
  /** An imported model: the playground link of its configuration and its weights. */
  | { readonly type: "imported"; readonly hash: string; readonly weights: readonly LayerWeights[]; readonly note: string }
  | { readonly type: "importError"; readonly message: string };
