import type { DType, FloatArray } from "./dtype.js";
import type { PoolGeometry } from "./elementwise.js";
import type { ConvGeometry } from "./im2col.js";

/**
 * The hot kernels, behind one interface so a faster implementation (WASM SIMD, threads) can be
 * swapped in without changing any caller. Arrays are row-major, already shape-checked, and
 * share one dtype; implementations must not allocate per call.
 *
 * Only `gemm` is required. The convolution and bias kernels are optional: where a backend lacks
 * one, the functions of `im2col.ts` and `ops.ts` run the TypeScript reference loops (im2col,
 * col2im, addRowVector, sumColumns) or compose im2col and `gemm` (the `conv2d*` passes). Whatever
 * a backend provides must give the bits of that reference or composition on the same backend.
 */
export interface KernelBackend {
  /** Registry-style name, e.g. `"typescript"`. */
  readonly name: string;
  /**
   * General matrix multiply: `C = op(A)·op(B)` (or `C += …` when `accumulate`), where
   * op(A) is m×k and op(B) is k×n. With `transA`, A is stored k×m; with `transB`, B is stored n×k.
   */
  gemm(
    transA: boolean,
    transB: boolean,
    m: number,
    n: number,
    k: number,
    a: FloatArray,
    b: FloatArray,
    c: FloatArray,
    accumulate: boolean,
  ): void;
  /**
   * Products with at most this many multiply-adds (m·n·k) are computed in the reference order:
   * each element of C is one float64 sum over p = 0…k−1 that starts from 0 (from the old C(i, j)
   * when accumulating with untransposed B) and is rounded once, when stored; an accumulating
   * transposed-B product adds the old C(i, j) to the finished sum. Code that computes such small
   * products itself — the fused small-network step of `@backprop/layers` — then gets the same bits
   * in float32 as well as float64. Absent means 0: no product is promised to follow it.
   */
  readonly exactUpTo?: number;
  /**
   * im2col: writes every element of `out`, the `(batch·outHeight·outWidth)×(kh·kw·channels)` patch
   * matrix of the NHWC images `x`, exactly as the reference loop of `im2col.ts` (a pure copy, so
   * the bits of `x` and zeros).
   */
  im2col?(g: ConvGeometry, batch: number, x: FloatArray, out: FloatArray): void;
  /**
   * col2im, the adjoint: zeroes the images `out`, then adds each element of `patches` onto the
   * position it was read from, in the reference loop's order (patch rows in increasing order, one
   * rounded add per element), so every sum is bit-identical to the reference.
   */
  col2im?(g: ConvGeometry, batch: number, patches: FloatArray, out: FloatArray): void;
  /**
   * The forward product of a convolution without handing out the patch matrix P = im2col(x):
   * `out = P·kernel` (`kernel` taps×filters), then `out[i, f] += bias[f]` when `bias` is given,
   * bit-identical to `im2col`, `gemm` and a row-vector add on this backend; then, when `relu`,
   * `out = max(out, 0)` with the bits of {@link KernelBackend.relu} (a fused activation). Returns
   * false, having written nothing, when it would not run the product itself (tiny products, say):
   * the caller then runs exactly that composition.
   */
  conv2dForward?(
    g: ConvGeometry,
    batch: number,
    x: FloatArray,
    kernel: FloatArray,
    filters: number,
    bias: FloatArray | undefined,
    out: FloatArray,
    relu?: boolean,
  ): boolean;
  /**
   * The kernel gradient `out = Pᵀ·delta` (`out += …` when `accumulate`) with P = im2col(x) and
   * `delta` (batch·outHeight·outWidth)×filters; bit-identical to im2col then `gemm` with `transA`.
   * Returns false, having written nothing, as {@link KernelBackend.conv2dForward}.
   */
  conv2dKernelGradient?(
    g: ConvGeometry,
    batch: number,
    x: FloatArray,
    delta: FloatArray,
    filters: number,
    out: FloatArray,
    accumulate: boolean,
  ): boolean;
  /**
   * The input gradient `out = col2im(delta·kernelᵀ)`; bit-identical to `gemm` with `transB`
   * then col2im. Returns false, having written nothing, as {@link KernelBackend.conv2dForward}.
   */
  conv2dInputGradient?(
    g: ConvGeometry,
    batch: number,
    delta: FloatArray,
    kernel: FloatArray,
    filters: number,
    out: FloatArray,
  ): boolean;
  /**
   * Inference through a convolution and the max pooling after it: `out = maxPool(z)` with
   * `z = im2col(x)·kernel (+ bias)`, ReLU'd when `relu` — the bits of `conv2dForward` then
   * `maxPool2dForward` without argmax — with z never leaving the backend (`pool` is a pooling
   * geometry over z's images; `out` holds `batch` pooled images). Returns false, having written
   * nothing, when it would not: the caller runs the two steps.
   */
  conv2dMaxPool?(
    g: ConvGeometry,
    pool: PoolGeometry,
    batch: number,
    x: FloatArray,
    kernel: FloatArray,
    filters: number,
    bias: FloatArray | undefined,
    relu: boolean,
    out: FloatArray,
  ): boolean;
  /**
   * Both gradients of a convolution (`conv2dKernelGradient` then `conv2dInputGradient`, same
   * arguments and bits) in one call, so that a backend with threads can run them at once. Returns
   * false, having written nothing, when it would not: the caller runs the two passes.
   */
  conv2dBackward?(
    g: ConvGeometry,
    batch: number,
    x: FloatArray,
    delta: FloatArray,
    kernel: FloatArray,
    filters: number,
    kernelGradient: FloatArray,
    accumulate: boolean,
    inputGradient: FloatArray,
  ): boolean;
  /**
   * The bias add `out[i, j] = a[i, j] + v[j]` of a rows×cols `a` and a 1×cols `v`, bit-identical
   * to the reference loop of `addRowVector` in ops.ts (one rounded add per element). `out` is `a`
   * or shares no element with `a` or `v`. Returns false, having written nothing, when it would not
   * run the add itself (small matrices, where the call costs more): the caller runs the reference.
   */
  addRowVector?(rows: number, cols: number, a: FloatArray, v: FloatArray, out: FloatArray): boolean;
  /**
   * Standardization by column, `out[i, j] = (x[i, j] − mean[j]) / std[j]`, of a rows×cols float32
   * `x` with float32 means and float64 standard deviations: subtract and divide in float64, one
   * rounding when stored — the bits of the Normalization layer's loop. `out` is `x` or shares no
   * element with it. Returns false, having written nothing, when it would not run it (small or
   * float64 arrays): the caller runs its loop.
   */
  standardize?(rows: number, cols: number, x: FloatArray, mean: FloatArray, std: Float64Array, out: FloatArray): boolean;
  /**
   * The bias gradient `out[j] = Σᵢ a[i, j]` (`out[j] += …` when `accumulate`) of a rows×cols `a`,
   * bit-identical to the reference loop of `sumColumns` in ops.ts: each column summed in
   * increasing row order from +0 (from the old `out[j]` when accumulating), rounded to the dtype
   * after every add. `out` shares no element with `a`. Returns false, having written nothing, as
   * {@link KernelBackend.addRowVector}.
   */
  sumColumns?(rows: number, cols: number, a: FloatArray, out: FloatArray, accumulate: boolean): boolean;
  /**
   * ReLU, `dst[i] = src[i] < 0 ? 0 : src[i]`, bit-identical to `applyRelu`'s reference loop (NaN
   * and −0 kept); `src` and `dst` have the same length and element type, and `dst` is `src` or
   * shares no element with it. Returns false, having written nothing, when it would not run it
   * itself (small arrays): the caller runs the reference.
   */
  relu?(src: FloatArray, dst: FloatArray): boolean;
  /**
   * The ReLU gradient `dst[i] = grad[i] · (x[i] > 0 ? 1 : 0)`, bit-identical to `reluGradient`'s
   * reference loop; same lengths and element types, `dst` may be `grad` or `x`. Returns false as
   * {@link KernelBackend.relu}.
   */
  reluGradient?(x: FloatArray, grad: FloatArray, dst: FloatArray): boolean;
  /**
   * Max pooling forward with argmax indices over `batch` NHWC images, bit-identical to
   * `maxPool2dForward`'s reference loop (same maxima, same winners on ties and NaN); without
   * `argmax` (inference), the maxima alone. Lengths are checked by the caller. Returns false as
   * {@link KernelBackend.relu}.
   */
  maxPool2dForward?(g: PoolGeometry, batch: number, x: FloatArray, y: FloatArray, argmax: Int32Array | undefined): boolean;
  /**
   * Max pooling backward, `dx = 0` then `dx[argmax[o]] += dy[o]` in increasing `o`, bit-identical
   * to `maxPool2dBackward`'s reference loop (indices outside `dx` are skipped, as a typed-array
   * write there is) — except which NaN a sum of two NaNs gives, which neither IEEE 754 nor
   * JavaScript fixes (the reference loop itself differs there between V8's tiers). Returns false as
   * {@link KernelBackend.relu}.
   */
  maxPool2dBackward?(dy: FloatArray, argmax: Int32Array, dx: FloatArray): boolean;
  /**
   * The forward time loop of an LSTM whose gates use σ and whose activation is tanh, in float32,
   * for the time-major layout of `@backprop/layers`' `LSTMCell`: for each step t, `z_t += h_t·U`,
   * then the gates `i, f, g, o = σ, σ, tanh, σ` of z_t's four `units`-wide blocks (to `gates`),
   * `c_{t+1} = f·c_t + i·g`, `tanh(c_{t+1})` (to `cellOut`) and `h_{t+1} = o·tanh(c_{t+1})`. `h` and
   * `c` hold steps + 1 slots of batch × units (slot 0 read, the others written); `mask` (one byte
   * per step and sample, 0 = padded) carries a padded sample's states over and zeroes its gates.
   * `z` is scratch afterwards.
   *
   * Unlike the other hooks this one does **not** promise the reference loop's bits: σ and tanh are
   * float32 polynomials, within a few float32 ulp of the float64 functions, so a backend that runs
   * it gives different (deterministic) low bits than one that does not. Returns false, having
   * written nothing, when it does not run it (float64, units not a multiple of 4, small work).
   */
  /**
   * Plain SGD, `value[i] = value[i] − lr·(grad[i] + weightDecay·value[i])`, computed in float64 and
   * rounded once when stored — the bits of `@backprop/optimizers`' `sgd` rule. `value` and `grad`
   * have the same length and element type. Returns false, having written nothing, when it would
   * not run it (small arrays): the caller runs its own loop.
   */
  sgdUpdate?(value: FloatArray, grad: FloatArray, lr: number, weightDecay: number): boolean;
  /**
   * SGD with momentum (PyTorch's, dampening 0), per element: `d = g + weightDecay·p`,
   * `b = momentum·b + d` (stored in `buffer`), `p = p − lr·(nesterov ? d + momentum·b : b)`, in
   * float64 with one rounding when storing `p` — the bits of the `sgd` rule with momentum.
   * Returns false, having written nothing, as {@link KernelBackend.sgdUpdate} (the wasm backend
   * also declines float64 parameters).
   */
  momentumUpdate?(
    value: FloatArray,
    grad: FloatArray,
    buffer: Float64Array,
    lr: number,
    momentum: number,
    weightDecay: number,
    nesterov: boolean,
  ): boolean;
  /**
   * Adam, per element as the `adam` rule writes it: `g += weightDecay·p`, `m = β₁m + (1 − β₁)g`,
   * `v = β₂v + (1 − β₂)·g·g` (with AMSGrad, `v = max(vMax, v)`, stored in `vMax`),
   * `p = p − (stepSize·m) / (√v / sqrtCorrection2 + eps)`; float64 moments, one rounding when
   * storing `p`. `stepSize` is `lr / (1 − β₁ᵗ)` and `sqrtCorrection2` is `√(1 − β₂ᵗ)`, computed by the
   * caller. Returns false, having written nothing, as {@link KernelBackend.sgdUpdate} (the wasm
   * backend also declines float64 parameters).
   */
  adamUpdate?(value: FloatArray, grad: FloatArray, moments: AdamMoments, step: AdamStep): boolean;
  /**
   * Whether every element of `d` is finite: 0 when all are, 1 when some element is ±∞ or NaN,
   * −1 when the backend would not check (small arrays): the caller then checks.
   */
  nonFinite?(d: FloatArray): number;
  /**
   * A fused forward and backward pass through a stack of dense layers for batches of
   * `plan.batch` samples, each pass one call that does not return between layers (see
   * {@link DenseStack}). Every product, bias add and bias sum, ReLU and ReLU gradient gives the bits
   * this backend's own `gemm`, `addRowVector`, `sumColumns`, `relu` and `reluGradient` give — the
   * bits of the layer-by-layer passes. Returns undefined when it would not run the plan (float64
   * with a tiny product, say: then some product would run elsewhere).
   */
  denseStack?(plan: DenseStackPlan): DenseStack | undefined;
  /**
   * Whole full-batch float32 training epochs of a small stack of dense layers in one call (see
   * {@link DenseEpochs}): forward pass, loss, gradients and plain SGD update, `count` times, with
   * the arithmetic of the layer-by-layer step on this backend. Returns undefined when it would not
   * run the plan.
   */
  denseEpochs?(plan: DenseEpochsPlan): DenseEpochs | undefined;
  lstmForward?(
    steps: number,
    batch: number,
    units: number,
    z: Float32Array,
    recurrent: Float32Array,
    h: Float32Array,
    c: Float32Array,
    gates: Float32Array,
    cellOut: Float32Array,
    mask: Uint8Array | undefined,
  ): boolean;
  /**
   * Backpropagation through {@link KernelBackend.lstmForward}'s loop: from dLoss/dh and dLoss/dc of
   * the final states (`dh`, `dc`, updated in place to those of the initial states) and, when given,
   * dLoss/dOutput of every step (`outputGradients`, time-major), writes δ = dLoss/dz of every step
   * to `dz`, with `dh₋₁ = δ·Uᵀ` step by step and the derivatives σ' = y(1 − y), tanh' = 1 − y² read
   * from the stored gates. Float32 arithmetic throughout (not the reference loop's bits). Returns
   * false, having written nothing, as {@link KernelBackend.lstmForward}.
   */
  lstmBackward?(
    steps: number,
    batch: number,
    units: number,
    recurrent: Float32Array,
    c: Float32Array,
    gates: Float32Array,
    cellOut: Float32Array,
    mask: Uint8Array | undefined,
    outputGradients: Float32Array | undefined,
    dh: Float32Array,
    dc: Float32Array,
    dz: Float32Array,
  ): boolean;
}

/** The float64 moment slots of one parameter for {@link KernelBackend.adamUpdate}. */
export interface AdamMoments {
  /** First moment m (`expAvg`). */
  readonly expAvg: Float64Array;
  /** Second moment v (`expAvgSq`). */
  readonly expAvgSq: Float64Array;
  /** The running maximum of v, with AMSGrad; undefined without. */
  readonly maxExpAvgSq: Float64Array | undefined;
}

/** The scalars of one Adam update for {@link KernelBackend.adamUpdate}. */
export interface AdamStep {
  /** lr / (1 − β₁ᵗ). */
  readonly stepSize: number;
  /** √(1 − β₂ᵗ). */
  readonly sqrtCorrection2: number;
  /** Decay β₁ of the first moment. */
  readonly beta1: number;
  /** Decay β₂ of the second moment. */
  readonly beta2: number;
  /** Added to the denominator, outside the square root. */
  readonly eps: number;
  /** L2 penalty λ added to the gradient. */
  readonly weightDecay: number;
}

/** One layer of a {@link DenseStackPlan}: `y = act(x·W + b)` with W `inputs`×`units`. */
export interface DenseStackLayer {
  /** Inputs: rows of the kernel (the previous layer's units). */
  readonly inputs: number;
  /** Units: columns of the kernel. */
  readonly units: number;
  /** Whether the layer adds a bias. */
  readonly bias: boolean;
  /**
   * `"identity"` and `"relu"` run in the backend; `"external"` (last layer only) means the caller
   * applies the activation to the pre-activation the forward pass hands out, and passes δ = dL/dz
   * back.
   */
  readonly activation: "identity" | "relu" | "external";
}

/** What {@link KernelBackend.denseStack} fuses: the element type, the batch size and the layers. */
export interface DenseStackPlan {
  /** Element type of every array. */
  readonly dtype: DType;
  /** Samples per batch. */
  readonly batch: number;
  /** The layers, first to last. */
  readonly layers: readonly DenseStackLayer[];
}

/**
 * The fused passes of a {@link DenseStackPlan}. The parameters are read from the caller's arrays
 * on every forward pass (so changes between steps are seen) and the gradients written to the
 * caller's arrays by every backward pass; the activations in between stay inside the backend.
 */
export interface DenseStack {
  /**
   * The forward pass of the batch `x` (batch×inputs of the first layer): writes the last layer's
   * output to `out` — its activation for `"identity"`/`"relu"`, its pre-activation z for
   * `"external"`. `biases[l]` is ignored for a layer without bias.
   *
   * With `reuseParameters`, the caller promises that `kernels` and `biases` still hold what the
   * stack last read from them or wrote to them (its last forward pass or update): the stack then
   * computes with the copy it keeps instead of reading them again — a pass over every weight less,
   * which for a batch of one is most of the work. It reads them anyway when it keeps no copy, or
   * when its copy may have been overwritten (a memory shared with other kernels).
   */
  forward(
    x: FloatArray,
    kernels: readonly FloatArray[],
    biases: readonly (FloatArray | undefined)[],
    out: FloatArray,
    reuseParameters?: boolean,
  ): void;
  /**
   * The backward pass from the last forward: `outputGradient` is dL/dy of the last layer, or δ =
   * dL/dz when `isDelta` (always for `"external"`). Writes every kernel and bias gradient whose
   * array is given (undefined: frozen, not computed). Returns 0 when every gradient written is
   * finite, 1 otherwise.
   */
  backward(
    outputGradient: FloatArray,
    isDelta: boolean,
    kernelGrads: readonly (FloatArray | undefined)[],
    biasGrads: readonly (FloatArray | undefined)[],
  ): number;
  /**
   * The optimizer's update of every parameter the last backward pass computed a gradient for, on
   * the parameters of the last forward pass with those gradients, inside the backend:
   * `kernelUpdates[l]` and `biasUpdates[l]` say each one's rule and arguments (see
   * {@link ParameterUpdate}; the bits are those of {@link KernelBackend.sgdUpdate},
   * {@link KernelBackend.momentumUpdate} and {@link KernelBackend.adamUpdate}). Writes the new
   * values to `kernels` and `biases` (the arrays given to `forward`).
   *
   * The slots of momentum and Adam may stay inside the backend after the update, the stack then
   * holding them for the optimizer (see {@link SlotHolder}): their arrays are up to date again only
   * after {@link DenseStack.release}, which the optimizer calls before it reads or writes them.
   *
   * Returns false, having changed nothing, when it does not apply them all (the parameters it held
   * were overwritten since, a rule it does not run for this element type, a missing update): the
   * caller then steps the optimizer itself.
   */
  update(
    kernelUpdates: readonly (ParameterUpdate | undefined)[],
    biasUpdates: readonly (ParameterUpdate | undefined)[],
    kernels: readonly FloatArray[],
    biases: readonly (FloatArray | undefined)[],
  ): boolean;
  /** Writes the optimizer slots the stack holds back to their arrays and stops holding them. */
  release(): void;
}

/**
 * Something that may keep copies of an optimizer's slot arrays between updates instead of writing
 * them back each time (a fused kernel's memory). The optimizer calls `release` before anything
 * else reads or writes those arrays: its own step, a state dict, loading one, or handing its next
 * updates to another holder.
 */
export interface SlotHolder {
  /** Writes every slot held back to its array and stops holding it. */
  release(): void;
}

/**
 * One parameter's next update as an optimizer hands it to a fused kernel ({@link DenseStack.update}):
 * the rule, its scalars for this step, and its float64 slots.
 * - `"sgd"`: `p ← p − lr·(g + weightDecay·p)` ({@link KernelBackend.sgdUpdate}).
 * - `"momentum"`: PyTorch's momentum SGD with `buffer` ({@link KernelBackend.momentumUpdate}).
 * - `"adam"`: Adam with `moments` and this step's bias corrections ({@link KernelBackend.adamUpdate}).
 *
 * @example
 * ```ts
 * const update: ParameterUpdate = { rule: "sgd", lr: 0.1, weightDecay: 0 };
 * ```
 */
export type ParameterUpdate =
  | { readonly rule: "sgd"; readonly lr: number; readonly weightDecay: number }
  | {
      readonly rule: "momentum";
      readonly lr: number;
      readonly momentum: number;
      readonly weightDecay: number;
      readonly nesterov: boolean;
      readonly buffer: Float64Array;
    }
  | { readonly rule: "adam"; readonly moments: AdamMoments; readonly step: AdamStep };

/** One layer of a {@link DenseEpochsPlan}. */
export interface DenseEpochsLayer {
  /** Inputs: rows of the kernel (the previous layer's units). */
  readonly inputs: number;
  /** Units: columns of the kernel. */
  readonly units: number;
  /** Whether the layer adds a bias. */
  readonly bias: boolean;
  /** The layer's activation; `"softmax"` on the last layer only. */
  readonly activation: "identity" | "relu" | "sigmoid" | "tanh" | "softmax";
}

/** What {@link KernelBackend.denseEpochs} runs: the network, the batch (all samples) and the loss. */
export interface DenseEpochsPlan {
  /** Element type of every array. */
  readonly dtype: DType;
  /** Samples, all in one batch. */
  readonly rows: number;
  /** The layers, first to last. */
  readonly layers: readonly DenseEpochsLayer[];
  /** The loss (the probability form of categorical cross-entropy; `eps` is its clamp). */
  readonly loss: { readonly name: "meanSquaredError" | "categoricalCrossentropy"; readonly eps: number };
  /** Whether the loss's gradient is fused with the output activation (softmax δ = (p·Σt − t)/B). */
  readonly fused: boolean;
}

/** The arrays one run of {@link DenseEpochs.run} reads and writes. */
export interface DenseEpochsArrays {
  /** Inputs, rows×inputs of the first layer. */
  readonly x: FloatArray;
  /** Targets, rows×units of the last layer. */
  readonly y: FloatArray;
  /** Each layer's kernel: read, then updated in place. */
  readonly kernels: readonly FloatArray[];
  /** Each layer's bias (undefined without bias): read, then updated in place. */
  readonly biases: readonly (FloatArray | undefined)[];
  /** Where each layer's kernel gradient of the last epoch run is written. */
  readonly kernelGrads: readonly FloatArray[];
  /** Where each layer's bias gradient of the last epoch run is written (undefined without bias). */
  readonly biasGrads: readonly (FloatArray | undefined)[];
  /** Where the last epoch's output (rows×units of the last layer) is written. */
  readonly output: FloatArray;
}

/** Whole epochs of a {@link DenseEpochsPlan} (see {@link KernelBackend.denseEpochs}). */
export interface DenseEpochs {
  /**
   * Runs up to `count` epochs of plain SGD (`p ← p − lr·(g + weightDecay·p)`), writing each
   * epoch's loss to `losses`. Stops before the update of an epoch whose loss or gradient is not
   * finite. Returns the number of epochs completed; the parameters are those after the last
   * completed epoch.
   */
  run(arrays: DenseEpochsArrays, count: number, lr: number, weightDecay: number, losses: Float64Array): number;
}
