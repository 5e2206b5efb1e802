import type { Activation } from "@backprop/activations";
import { getBackend, Matrix, type DenseStack, type DType, type FloatArray, type KernelBackend, type Tensor } from "@backprop/linalg";
import type { Dense } from "../dense.js";
import type { Layer } from "../layer.js";
import { denseLayers, frozenPrefix, planActivation, stackLayers } from "./dense-stack-step.js";
import { forwardLayers } from "./train-step.js";

/*
 * The fast path of `Sequential.predictor` for a stack of Dense layers on a kernel backend with fused
 * Dense passes (`KernelBackend.denseStack`): the predictor's weights are its own copy, which nothing
 * but `refresh` writes, so once a backend stack has read them it keeps them and every later call
 * copies in only the batch — for a single sample of a 784-128-10 network that is 3 KB instead of
 * 400 KB, and the weights stay in the cache between calls.
 */

/** Options of `Sequential.predictor`. */
export interface PredictorOptions {
  /**
   * Samples per pass, as `predict`'s `batchSize`: larger inputs are split into batches of this
   * size. Size it for the calls you make (1 for one sample at a time). Default 256, as `predict`.
   */
  readonly batchSize?: number;
}

/**
 * A model frozen for inference (see `Sequential.predictor`): it predicts with a copy of the model's
 * weights taken when it was made, or at its last {@link Predictor.refresh}, and gives exactly the
 * numbers `model.predict(x, { batchSize })` gives for those weights and the same batch size.
 */
export interface Predictor {
  /** Samples per pass. */
  readonly batchSize: number;
  /**
   * The outputs for `x` (inference mode), as `model.predict(x, { batchSize })` gives them for the
   * predictor's weights: a new tensor whose first axis is the samples, a {@link Matrix} when each
   * output is a vector. Validates `x` as `predict` does (shape, finite values).
   */
  predict(x: Tensor): Tensor;
  /** Copies the model's current weights into the predictor (after training further, say). */
  refresh(): void;
}

/** A backend stack for one batch size, with the version of the weights it has read. */
interface StackEntry {
  readonly stack: DenseStack;
  /** The last layer's pre-activation when its activation is applied here. */
  readonly z: FloatArray | undefined;
  loaded: number;
}

/**
 * The fused Dense-stack forward pass of a predictor's private layers. `run` returns false when it
 * does not apply (other layers, a backend without fused passes, a product it would not run), and
 * the predictor then runs its layers one by one.
 */
export class DenseStackInference {
  private readonly dense: Dense[] | undefined;
  private readonly kernels: FloatArray[] = [];
  private readonly biases: (FloatArray | undefined)[] = [];
  private readonly lastActivation: Activation | undefined;
  private readonly external: boolean;
  private backend: KernelBackend | undefined;
  // At most two sizes: the batch size and the last (partial) batch of the latest call.
  private readonly stacks = new Map<number, StackEntry | null>();
  private version = 0;

  private readonly prefix: readonly Layer[];

  constructor(
    layers: readonly Layer[],
    private readonly dtype: DType,
    private readonly batchSize: number,
  ) {
    // A Normalization, Flatten or Reshape first runs on its own, batch by batch (as in training).
    const prefixLength = frozenPrefix(layers, false);
    this.prefix = layers.slice(0, prefixLength);
    this.dense = denseLayers(layers.slice(prefixLength), false);
    const last = this.dense?.[this.dense.length - 1];
    this.lastActivation = last?.activation;
    this.external = last !== undefined && planActivation(last.activation, true) === "external";
    for (const layer of this.dense ?? []) {
      this.kernels.push(layer.kernel.value.data);
      this.biases.push(layer.bias?.value.data);
    }
  }

  /** The layers' weights changed (refresh): every stack reads them again. */
  invalidate(): void {
    this.version++;
  }

  /**
   * Writes the outputs for the samples of `x` (the model's input, its dtype) to `out` (n×units);
   * false, having written nothing, when the fused passes do not apply.
   */
  run(x: Tensor, out: Matrix): boolean {
    if (!this.dense) return false;
    const n = x.shape[0] as number;
    const inputs = (this.dense[0] as Dense).kernel.value.rows;
    // Without a prefix the samples go in as they are: they must be vectors of the first layer's inputs.
    if (this.prefix.length === 0 && x.size !== n * inputs) return false;
    const backend = getBackend();
    if (backend !== this.backend) {
      this.backend = backend;
      this.stacks.clear();
    }
    const units = out.cols;
    // Every batch's stack first, so a declined size leaves `out` untouched.
    const full = n >= this.batchSize ? this.stackFor(this.batchSize) : undefined;
    const rest = n % this.batchSize;
    const partial = rest > 0 ? this.stackFor(rest) : undefined;
    if ((n >= this.batchSize && !full) || (rest > 0 && !partial)) return false;
    for (let start = 0; start < n; start += this.batchSize) {
      const rows = Math.min(this.batchSize, n - start);
      const entry = (rows === this.batchSize ? full : partial) as StackEntry;
      const xs =
        this.prefix.length > 0
          ? forwardLayers(this.prefix, x.batchSlice(start, start + rows), false).data
          : x.data.subarray(start * inputs, (start + rows) * inputs);
      const ys = out.data.subarray(start * units, (start + rows) * units);
      entry.stack.forward(xs, this.kernels, this.biases, entry.z ?? ys, entry.loaded === this.version);
      entry.loaded = this.version;
      // The last layer's activation, as Dense.forward applies it (softmax, sigmoid, …).
      if (entry.z) (this.lastActivation as Activation).apply(entry.z, ys, units);
    }
    return true;
  }

  private stackFor(rows: number): StackEntry | undefined {
    const known = this.stacks.get(rows);
    if (known !== undefined) return known ?? undefined;
    if (this.stacks.size >= 2) {
      for (const size of this.stacks.keys()) if (size !== this.batchSize) this.stacks.delete(size);
    }
    const dense = this.dense as Dense[];
    const stack = this.backend?.denseStack?.({ dtype: this.dtype, batch: rows, layers: stackLayers(dense) });
    const units = (dense[dense.length - 1] as Dense).kernel.value.cols;
    const entry = stack ? { stack, z: this.external ? new Matrix(rows, units, this.dtype).data : undefined, loaded: -1 } : null;
    this.stacks.set(rows, entry);
    return entry ?? undefined;
  }
}
