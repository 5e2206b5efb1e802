import { hasExactScalarForm, type Activation } from "@backprop/activations";
import { Matrix, getBackend, packedDoubles, type DType, type FloatArray, type Param, type Tensor } from "@backprop/linalg";
import { BufferPool } from "../buffer-pool.js";
import { Dense } from "../dense.js";
import type { Layer } from "../layer.js";
import type { FusedGradient, Loss } from "../losses/index.js";
import { fusedOutputDelta, type StepModel, type StepPasses, type StepStrategy } from "./train-step.js";

/*
 * The fused step for small networks (XOR, toy classifiers): a stack of Dense layers whose every
 * product is small enough that the kernel backend promises the reference summation order
 * (`KernelBackend.exactUpTo`). There the general step costs far more in per-operation overhead —
 * a dozen calls into products, bias adds and activation loops of a few elements each, each over
 * typed arrays — than in arithmetic. This path runs the same arithmetic in a few loops over plain
 * arrays of doubles (V8 keeps them unboxed, and unlike typed arrays they need no detached-buffer
 * check), calling each activation's scalar `f` and `df`, and rounding to float32 exactly where the
 * general path stores into a Float32Array. The results are the same bits as the general path
 * (`small-net.test.ts` compares the two on random networks).
 *
 * It is a step strategy (`fusedSmallNetStep`, see train-step.ts): loss, fused loss gradient,
 * gradient check and optimizer step stay the model's own. The fused passes read the weights from
 * the params and write the gradients into them, so everything that looks at a model between steps
 * (callbacks, metrics, getWeights, optimizer state) sees what the layer passes would show; only
 * what the layers themselves recorded of their last pass (`inspect()`) is not renewed by a fused
 * step, which is why `traceStep` always goes through the layers.
 */

type Doubles = number[];

/**
 * Σ a[ai + p·as]·b[bi + p·bs] over p = 0…len−1, summed from 0 in increasing p (the backend's
 * reference order), with the short lengths of small nets written out: V8 runs a loop of two to
 * four steps at about half the speed of the same sum unrolled.
 */
function dot(a: Doubles, ai: number, as: number, b: Doubles, bi: number, bs: number, len: number): number {
  switch (len) {
    case 1:
      return 0 + (a[ai] as number) * (b[bi] as number);
    case 2:
      return 0 + (a[ai] as number) * (b[bi] as number) + (a[ai + as] as number) * (b[bi + bs] as number);
    case 3:
      return (
        0 +
        (a[ai] as number) * (b[bi] as number) +
        (a[ai + as] as number) * (b[bi + bs] as number) +
        (a[ai + 2 * as] as number) * (b[bi + 2 * bs] as number)
      );
    case 4:
      return (
        0 +
        (a[ai] as number) * (b[bi] as number) +
        (a[ai + as] as number) * (b[bi + bs] as number) +
        (a[ai + 2 * as] as number) * (b[bi + 2 * bs] as number) +
        (a[ai + 3 * as] as number) * (b[bi + 3 * bs] as number)
      );
    default: {
      let v = 0;
      for (let p = 0; p < len; p++) v += (a[ai + p * as] as number) * (b[bi + p * bs] as number);
      return v;
    }
  }
}

interface Stage {
  /** Inputs (rows of the kernel) and units. */
  readonly k: number;
  readonly n: number;
  readonly kernel: Param;
  readonly bias: Param | undefined;
  readonly act: Activation;
  readonly w: Doubles;
  readonly b: Doubles;
  readonly z: Doubles;
  readonly y: Doubles;
  readonly dz: Doubles;
}

/** The Dense layers of `layers`, if every layer qualifies for the fused step; else undefined. */
function denseStack(layers: readonly Layer[]): Dense[] | undefined {
  const out: Dense[] = [];
  for (const layer of layers) {
    if (!(layer instanceof Dense) || !layer.built) return undefined;
    const act = layer.activation;
    if (act.vector === true || !hasExactScalarForm(act)) return undefined;
    const config = layer.getConfig();
    if (config["kernelRegularizer"] !== null || config["biasRegularizer"] !== null) return undefined;
    out.push(layer);
  }
  return out.length > 0 ? out : undefined;
}

/** The fused forward and backward passes of one model for batches of `rows` samples. */
class SmallNet {
  /** The largest `rows·units·inputs` over the layers: the backend must promise that many. */
  readonly largestProduct: number;
  private readonly stages: Stage[];
  private readonly f32: boolean;
  private readonly input: Doubles;
  private readonly output: Matrix;
  /** Units of the last layer. */
  readonly outputWidth: number;

  private constructor(stack: readonly Dense[], readonly rows: number, dtype: DType) {
    this.f32 = dtype === "float32";
    this.stages = stack.map((layer) => {
      const kernel = layer.kernel;
      const k = kernel.value.rows;
      const n = kernel.value.cols;
      return {
        k,
        n,
        kernel,
        bias: layer.bias,
        act: layer.activation,
        w: packedDoubles(k * n),
        b: packedDoubles(n),
        z: packedDoubles(rows * n),
        y: packedDoubles(rows * n),
        dz: packedDoubles(rows * n),
      };
    });
    this.largestProduct = Math.max(...this.stages.map((s) => rows * s.n * s.k));
    this.input = packedDoubles(rows * (this.stages[0] as Stage).k);
    this.outputWidth = (this.stages[this.stages.length - 1] as Stage).n;
    this.output = new Matrix(rows, this.outputWidth, dtype);
  }

  /** The fused passes for `layers`, or undefined when some layer does not qualify. */
  static plan(layers: readonly Layer[], rows: number, dtype: DType): SmallNet | undefined {
    const stack = denseStack(layers);
    return stack ? new SmallNet(stack, rows, dtype) : undefined;
  }

  /** The network's output for the batch `x` (rows×inputs), in a matrix owned by this object. */
  forward(x: Matrix): Matrix {
    const f32 = this.f32;
    const rows = this.rows;
    const xd = x.data;
    let a = this.input;
    for (let i = 0; i < a.length; i++) a[i] = xd[i] as number;
    const stages = this.stages;
    for (let l = 0; l < stages.length; l++) {
      const s = stages[l] as Stage;
      const { k, n, w, b, z, y, act } = s;
      const wd = s.kernel.value.data;
      for (let i = 0; i < w.length; i++) w[i] = wd[i] as number;
      const bias = s.bias;
      if (bias) {
        const bd = bias.value.data;
        for (let j = 0; j < n; j++) b[j] = bd[j] as number;
      }
      for (let i = 0, o = 0; i < rows; i++) {
        const row = i * k;
        for (let j = 0; j < n; j++, o++) {
          // As the backend's product (one sum, rounded once) then addRowVector, then apply.
          let v = dot(a, row, 1, w, j, n, k);
          if (f32) v = Math.fround(v);
          if (bias) v = f32 ? Math.fround(v + (b[j] as number)) : v + (b[j] as number);
          z[o] = v;
          const out = act.f(v);
          y[o] = f32 ? Math.fround(out) : out;
        }
      }
      a = y;
    }
    const od = this.output.data;
    for (let i = 0; i < a.length; i++) od[i] = a[i] as number;
    return this.output;
  }

  /**
   * Backward from the last forward: `grad` is dLoss/dOutput, or δ = dLoss/dNet of the last layer
   * when `isDelta` (the fused softmax/sigmoid cross-entropy gradient). Writes the gradient of every
   * kernel and bias: computed for trainable ones, zeros for the others, as the general step leaves
   * them. Returns false when some gradient is not finite (the caller then names it).
   */
  backward(grad: Matrix, isDelta: boolean): boolean {
    const f32 = this.f32;
    const rows = this.rows;
    const stages = this.stages;
    const last = stages.length - 1;
    const gd = grad.data;
    let probe = 0;
    {
      const s = stages[last] as Stage;
      const { z, y, dz, act } = s;
      if (isDelta) {
        for (let i = 0; i < dz.length; i++) dz[i] = gd[i] as number;
      } else {
        for (let i = 0; i < dz.length; i++) {
          const v = (gd[i] as number) * act.df(z[i] as number, y[i] as number);
          dz[i] = f32 ? Math.fround(v) : v;
        }
      }
    }
    for (let l = last; l >= 0; l--) {
      const s = stages[l] as Stage;
      const { k, n, w, dz } = s;
      const a = l > 0 ? (stages[l - 1] as Stage).y : this.input;
      const gw: FloatArray = s.kernel.grad.data;
      if (s.kernel.trainable) {
        // dW = xᵀ·δ, one sum per element over the batch, rounded once.
        for (let i = 0; i < k; i++) {
          for (let j = 0; j < n; j++) {
            let v = dot(a, i, k, dz, j, n, rows);
            if (f32) v = Math.fround(v);
            gw[i * n + j] = v;
            // 0 for a finite value, NaN for ±Infinity or NaN.
            probe += v * 0;
          }
        }
      } else {
        gw.fill(0);
      }
      const bias = s.bias;
      if (bias) {
        const gb: FloatArray = bias.grad.data;
        if (bias.trainable) {
          // db = column sums of δ, rounded after every row as sumColumns stores each partial sum.
          for (let j = 0; j < n; j++) {
            let v = 0;
            for (let i = 0; i < rows; i++) {
              v += dz[i * n + j] as number;
              if (f32) v = Math.fround(v);
            }
            gb[j] = v;
            probe += v * 0;
          }
        } else {
          gb.fill(0);
        }
      }
      if (l === 0) break;
      // dX = δ·Wᵀ, then through the previous layer's activation.
      const prev = stages[l - 1] as Stage;
      const { z: pz, y: py, dz: pdz, act: pact } = prev;
      for (let i = 0; i < rows; i++) {
        for (let j = 0; j < k; j++) {
          let v = dot(dz, i * n, 1, w, j * n, 1, n);
          if (f32) v = Math.fround(v);
          const o = i * k + j;
          const d = v * pact.df(pz[o] as number, py[o] as number);
          pdz[o] = f32 ? Math.fround(d) : d;
        }
      }
    }
    return probe === 0;
  }
}

/**
 * The fused small-network step as a step strategy: it applies when every layer is a built
 * {@link Dense} with an exactly computable scalar activation and no regularizer, and the active
 * kernel backend promises the reference summation order for every product of the batch
 * (`KernelBackend.exactUpTo`). The model's default strategies include it; pass
 * `{ stepStrategies: [] }` to `Sequential` to train through the layers only.
 */
export const fusedSmallNetStep: StepStrategy = Object.freeze({
  name: "fusedSmallNet",
  passesFor(model: StepModel, loss: Loss, batch: number): StepPasses | undefined {
    // Samples must be vectors: the fused loops treat a batch as rows×inputs.
    if (model.inputShape.length !== 1) return undefined;
    const net = SmallNet.plan(model.layers, batch, model.dtype);
    if (!net || net.largestProduct > (getBackend().exactUpTo ?? 0)) return undefined;
    return new SmallNetPasses(net, loss, fusedOutputDelta(model.layers[model.layers.length - 1], loss), batch, model.dtype);
  },
});

/** The step's passes through a {@link SmallNet}; the loss's gradient (or the fused δ) starts the backward one. */
class SmallNetPasses implements StepPasses {
  private readonly gradPool: BufferPool;

  constructor(
    private readonly net: SmallNet,
    private readonly loss: Loss,
    private readonly fused: FusedGradient | undefined,
    private readonly batch: number,
    dtype: DType,
  ) {
    this.gradPool = new BufferPool(net.outputWidth, dtype);
  }

  forward(x: Tensor): Tensor {
    return this.net.forward(x.asMatrix());
  }

  backward(yPred: Tensor, yTrue: Tensor): boolean {
    const out = this.gradPool.matrix(this.batch);
    return this.fused
      ? this.net.backward(this.fused(yPred.asMatrix(), yTrue.asMatrix(), out), true)
      : this.net.backward(this.loss.gradient(yPred.asMatrix(), yTrue.asMatrix(), out), false);
  }
}
