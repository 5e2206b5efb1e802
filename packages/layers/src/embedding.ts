import {
  BackpropError,
  Matrix,
  Param,
  formatShape,
  readConfig,
  shapeString,
  sizeOf,
  type JsonObject,
  type Shape,
  type Tensor,
} from "@backprop/linalg";
import { BufferPool } from "./buffer-pool.js";
import { initializerConfig, resolveInitializer, type Initializer, type InitializerSpec } from "./initializers/index.js";
import { batchShapeText, checkInputShape, readInputShape } from "./input-shape.js";
import type { BackwardContext, BuildContext, ForwardContext, Layer, LayerInspection, ParamShape, TimeMask } from "./layer.js";
import {
  addRegularizerGradient,
  makeRegularizer,
  regularizerConfig,
  regularizerPenalty,
  type Regularizer,
  type RegularizerConfig,
} from "./regularizer.js";

/**
 * Options of {@link Embedding} (Keras' names and defaults).
 * @example
 * ```ts
 * const config: EmbeddingConfig = { inputDim: 10000, outputDim: 64, maskZero: true, inputLength: 80 };
 * ```
 */
export interface EmbeddingConfig {
  /** Size of the vocabulary: ids run from 0 to `inputDim − 1`. */
  readonly inputDim: number;
  /** Length of each embedding vector. */
  readonly outputDim: number;
  /** Initializer of the `[inputDim, outputDim]` table. Default `"randomUniform"` on [−0.05, 0.05] (Keras). */
  readonly embeddingsInitializer?: InitializerSpec;
  /** L1/L2 penalty on the table (its gradient touches every row, not only the looked-up ones). */
  readonly embeddingsRegularizer?: RegularizerConfig | null;
  /**
   * Whether id 0 is padding: the layer then hands on a time mask marking the steps whose id is 0,
   * so recurrent layers skip them. Id 0 is still looked up (Keras). Needs `[batch, steps]` inputs.
   * Default false.
   */
  readonly maskZero?: boolean;
  /** Length of every sequence, when fixed: the shorthand for `inputShape: [inputLength]`. */
  readonly inputLength?: number | null;
  /** Per-sample input shape (the ids of one sample), when this is the model's first layer. */
  readonly inputShape?: readonly number[] | null;
  /** Layer name, assigned by the model when omitted. */
  readonly name?: string;
}

/**
 * Looks up a learned vector for each integer id (Keras' / TensorFlow.js' `Embedding`): the input
 * holds ids in `[0, inputDim)` stored as floats, `[batch, steps]`; the output is
 * `[batch, steps, outputDim]` with `y[b, t] = embeddings[x[b, t]]`. A per-sample input of any rank
 * r gives an output of rank r + 1.
 *
 * Backward is sparse: each output-gradient row is added to the gradient row of its id only
 * (`dL/dE[id] += dL/dy[b, t]`), so a step costs batch·steps·outputDim whatever the vocabulary;
 * every other row of the gradient stays 0. Ids are not differentiable: dL/dx is zeros.
 *
 * One parameter, `embeddings` `[inputDim, outputDim]`.
 *
 * @see Bengio et al. 2003, "A Neural Probabilistic Language Model"
 * @example
 * ```ts
 * const model = new Sequential([
 *   new Embedding({ inputDim: 50, outputDim: 8, inputLength: 12 }), // ids → [12, 8]
 *   new Flatten(),                                                   // → [96]
 *   new Dense({ units: 3, activation: "softmax" }),
 * ]);
 * ```
 */
export class Embedding implements Layer {
  /** Registry name of this layer type. */
  readonly className = "embedding";
  /** Layer name. */
  name: string;
  /** Size of the vocabulary. */
  readonly inputDim: number;
  /** Length of each embedding vector. */
  readonly outputDim: number;
  /** Whether id 0 marks padding steps (see {@link Embedding.computeMask}). */
  readonly maskZero: boolean;
  /** The fixed sequence length, if configured. */
  readonly inputLength: number | undefined;
  /** The per-sample input shape from the config (`inputShape`, or `[inputLength]`), if given. */
  readonly inputShape: Shape | undefined;
  private readonly initializer: Initializer;
  private readonly regularizer: Regularizer | undefined;

  private embeddingsParam: Param<Matrix> | undefined;
  private shape: Shape | undefined;
  private yPool: BufferPool | undefined;
  private dxPool: BufferPool | undefined;
  // Sequences of ids may be of any length (generation feeds one id at a time): buffers per length.
  private readonly poolsByLength = new Map<number, { y: BufferPool; dx: BufferPool }>();
  // The ids of the last forward, checked and as integers: backward reads these rather than the
  // input, which the caller may have reused by then. Grows to the largest batch, never shrinks.
  private ids = new Int32Array(0);
  private idCount = 0;
  // One mask per batch size (as the buffer pools), so a training loop allocates none after its first batch.
  private readonly masks = new Map<number, TimeMask>();
  private lastX: Tensor | undefined;
  private lastY: Tensor | undefined;
  private lastDy: Tensor | undefined;
  private lastDx: Tensor | undefined;

  constructor(config: EmbeddingConfig) {
    const c = readConfig("Embedding", config, {
      inputDim: { type: "number", integer: true, min: 1 },
      outputDim: { type: "number", integer: true, min: 1 },
      embeddingsInitializer: { type: "custom", default: "randomUniform", read: (v) => resolveInitializer(v as InitializerSpec) },
      embeddingsRegularizer: {
        type: "custom",
        optional: true,
        nullable: true,
        read: (v) => makeRegularizer("Embedding.embeddingsRegularizer", v as RegularizerConfig),
      },
      maskZero: { type: "boolean", default: false },
      inputLength: { type: "number", integer: true, min: 1, optional: true, nullable: true },
      inputShape: { type: "custom", optional: true, nullable: true, read: (v) => readInputShape("Embedding", { inputShape: v as readonly number[] }) },
      name: { type: "string", default: "embedding" },
    });
    this.name = c.name;
    this.inputDim = c.inputDim;
    this.outputDim = c.outputDim;
    this.initializer = c.embeddingsInitializer;
    this.regularizer = c.embeddingsRegularizer;
    this.maskZero = c.maskZero;
    this.inputLength = c.inputLength;
    if (c.inputLength !== undefined && c.inputShape !== undefined && (c.inputShape.length !== 1 || c.inputShape[0] !== c.inputLength)) {
      throw new BackpropError(
        "INVALID_CONFIG",
        `Embedding: inputLength ${c.inputLength} disagrees with inputShape ${formatShape(c.inputShape)} (expected [${c.inputLength}])`,
        { hint: "give one of them: inputLength is the shorthand for inputShape [inputLength]" },
      );
    }
    this.inputShape = c.inputShape ?? (c.inputLength === undefined ? undefined : [c.inputLength]);
  }

  /** Whether {@link Embedding.build} has run. */
  get built(): boolean {
    return this.embeddingsParam !== undefined;
  }

  /** The `[inputDim, outputDim]` table. Throws before build. */
  get embeddings(): Param<Matrix> {
    if (!this.embeddingsParam) {
      throw new BackpropError("NOT_BUILT", `${this.name}: the layer has no weights yet`, {
        hint: "add it to a Sequential model and call build(), fit() or predict() first",
      });
    }
    return this.embeddingsParam;
  }

  private checkShape(inputShape: Shape): void {
    checkInputShape(this.name, inputShape, 1);
    if (this.inputLength !== undefined && (inputShape.length !== 1 || inputShape[0] !== this.inputLength)) {
      throw new BackpropError(
        "SHAPE_MISMATCH",
        `${this.name}: input shape ${formatShape(inputShape)} per sample does not match inputLength (expected [${this.inputLength}])`,
      );
    }
    if (this.maskZero && inputShape.length !== 1) {
      throw new BackpropError(
        "SHAPE_MISMATCH",
        `${this.name}: maskZero needs one sequence of ids per sample (got the shape ${formatShape(inputShape)} per sample, expected [steps])`,
        { hint: "a time mask marks steps of [batch, steps] inputs; reshape the ids, or drop maskZero" },
      );
    }
  }

  /** The input shape with `outputDim` appended: `[steps]` → `[steps, outputDim]`. */
  computeOutputShape(inputShape: Shape): Shape {
    this.checkShape(inputShape);
    return [...inputShape, this.outputDim];
  }

  /** `embeddings` `[inputDim, outputDim]`. */
  paramShapes(inputShape: Shape): readonly ParamShape[] {
    this.checkShape(inputShape);
    return [{ name: "embeddings", shape: [this.inputDim, this.outputDim] }];
  }

  /** Creates the table and draws its initial values (fanIn = inputDim, fanOut = outputDim, as Keras). */
  build(inputShape: Shape, ctx: BuildContext): void {
    const outputShape = this.computeOutputShape(inputShape);
    const embeddings = new Param(`${ctx.prefix}.embeddings`, new Matrix(this.inputDim, this.outputDim, ctx.dtype));
    this.initializer.init(embeddings.value, ctx.rng, { fanIn: this.inputDim, fanOut: this.outputDim });
    this.embeddingsParam = embeddings;
    this.shape = inputShape.slice();
    this.yPool = new BufferPool(outputShape, ctx.dtype);
    this.dxPool = new BufferPool(inputShape, ctx.dtype);
  }

  /**
   * `y[…, :] = embeddings[x[…]]` for every id of the batch.
   * @throws BackpropError `INVALID_ARGUMENT` for an id that is not an integer in `[0, inputDim)`,
   *   naming the sample, the step and the value
   */
  forward(x: Tensor, _ctx?: ForwardContext): Tensor {
    const embeddings = this.embeddings;
    const built = this.shape as Shape;
    const anyLength = built.length === 1 && x.rank === 2 && (x.shape[1] as number) > 0;
    if (!anyLength && !hasSampleShape(x, built)) {
      throw new BackpropError("SHAPE_MISMATCH", `${this.name}: input is ${shapeString(x)} (expected ${batchShapeText(built)} ids)`);
    }
    const shape = anyLength ? [x.shape[1] as number] : built;
    const xd = x.data;
    const count = xd.length;
    if (this.ids.length < count) this.ids = new Int32Array(count);
    const ids = this.ids;
    const vocabulary = this.inputDim;
    for (let i = 0; i < count; i++) {
      const id = xd[i] as number;
      // NOTE: written so that NaN fails too (every comparison with NaN is false).
      if (!(id >= 0 && id < vocabulary && Math.floor(id) === id)) throw this.badId(id, i, shape);
      ids[i] = id;
    }
    const width = this.outputDim;
    const table = embeddings.value.data;
    const y = this.pools(shape).y.get(x.shape[0] as number);
    const yd = y.data;
    for (let i = 0, out = 0; i < count; i++, out += width) {
      const row = (ids[i] as number) * width;
      for (let k = 0; k < width; k++) yd[out + k] = table[row + k] as number;
    }
    this.idCount = count;
    this.lastX = x;
    this.lastY = y;
    this.lastDy = undefined;
    this.lastDx = undefined;
    return y;
  }

  /** The output and input-gradient buffers for samples of `shape` (the built one, or another sequence length). */
  private pools(shape: Shape): { y: BufferPool; dx: BufferPool } {
    const built = this.shape as Shape;
    if (shape.length !== 1 || shape[0] === built[0]) return { y: this.yPool as BufferPool, dx: this.dxPool as BufferPool };
    const steps = shape[0] as number;
    let pools = this.poolsByLength.get(steps);
    if (!pools) {
      const dtype = this.embeddings.value.dtype;
      pools = { y: new BufferPool([steps, this.outputDim], dtype), dx: new BufferPool([steps], dtype) };
      // NOTE: a stream of new lengths (a growing prompt) must not keep every buffer alive.
      if (this.poolsByLength.size >= 32) this.poolsByLength.clear();
      this.poolsByLength.set(steps, pools);
    }
    return pools;
  }

  private badId(id: number, index: number, shape: Shape): BackpropError {
    const sampleSize = sizeOf(shape);
    const within = index % sampleSize;
    const sample = (index - within) / sampleSize;
    const where = shape.length === 1 ? `step ${within}` : `position ${formatShape(unravel(within, shape))}`;
    const last = this.inputDim - 1;
    const problem = Number.isInteger(id) ? "is out of range" : "is not an integer";
    return new BackpropError(
      "INVALID_ARGUMENT",
      `${this.name}: id ${String(id)} at sample ${sample}, ${where} ${problem} (vocabulary of ${this.inputDim} ids: 0…${last})`,
      { hint: "ids are whole numbers below inputDim; make inputDim the vocabulary size (largest id + 1)" },
    );
  }

  /**
   * Adds each row of dL/dy to the gradient row of its id (sparse: other rows are not touched),
   * plus the regularizer's gradient; returns zeros (ids have no gradient).
   */
  backward(dy: Tensor, ctx: BackwardContext = {}): Tensor {
    const x = this.lastX;
    const y = this.lastY;
    if (!x || !y) throw new BackpropError("INVALID_STATE", `${this.name}.backward: called before forward`);
    if (dy.size !== y.size || dy.shape[dy.rank - 1] !== this.outputDim) {
      throw new BackpropError(
        "SHAPE_MISMATCH",
        `${this.name}.backward: gradient is ${shapeString(dy)} (expected ${shapeString(y)}, the output's shape)`,
      );
    }
    const embeddings = this.embeddings;
    if (embeddings.trainable) {
      const grad = embeddings.grad.data;
      const dyd = dy.data;
      const ids = this.ids;
      const width = this.outputDim;
      for (let i = 0, from = 0; i < this.idCount; i++, from += width) {
        const row = (ids[i] as number) * width;
        for (let k = 0; k < width; k++) grad[row + k] = (grad[row + k] as number) + (dyd[from + k] as number);
      }
      if (this.regularizer) addRegularizerGradient(this.regularizer, embeddings.value, embeddings.grad);
    }
    const dx = this.pools(x.shape.slice(1)).dx.get(x.shape[0] as number);
    this.lastDy = dy;
    if (ctx.inputGradient === false) {
      this.lastDx = undefined;
      return dx;
    }
    // NOTE: cleared every time: the buffer is handed out, and a caller may have written into it.
    dx.fill(0);
    this.lastDx = dx;
    return dx;
  }

  /** The table. */
  params(): readonly Param[] {
    return this.embeddingsParam ? [this.embeddingsParam] : [];
  }

  /** The L1/L2 penalty of the table (0 without a regularizer). */
  regularizationLoss(): number {
    return this.regularizer && this.embeddingsParam ? regularizerPenalty(this.regularizer, this.embeddingsParam.value) : 0;
  }

  /**
   * With `maskZero`, the time mask of `[batch, steps]` ids: a step is padding where its id is 0
   * (a mask arriving from before is replaced, as Keras). Without `maskZero`, none.
   * @throws BackpropError `SHAPE_MISMATCH` with `maskZero` for input that is not `[batch, steps]`
   */
  computeMask(input: Tensor, _mask: TimeMask | undefined): TimeMask | undefined {
    if (!this.maskZero) return undefined;
    if (input.rank !== 2) {
      throw new BackpropError("SHAPE_MISMATCH", `${this.name}.computeMask: input is ${shapeString(input)} (expected [batch, steps] ids)`);
    }
    const batch = input.shape[0] as number;
    const steps = input.shape[1] as number;
    let mask = this.masks.get(batch);
    if (mask === undefined || mask.steps !== steps) {
      mask = { data: new Uint8Array(batch * steps), batch, steps };
      this.masks.set(batch, mask);
    }
    const md = mask.data;
    const xd = input.data;
    for (let i = 0; i < md.length; i++) md[i] = xd[i] === 0 ? 0 : 1;
    return mask;
  }

  /** The JSON config (no weights). */
  getConfig(): JsonObject {
    const shape = this.inputShape ?? this.shape;
    return {
      name: this.name,
      inputDim: this.inputDim,
      outputDim: this.outputDim,
      embeddingsInitializer: initializerConfig(this.initializer),
      embeddingsRegularizer: regularizerConfig(this.regularizer),
      maskZero: this.maskZero,
      inputLength: this.inputLength ?? null,
      ...(shape ? { inputShape: [...shape] } : {}),
    };
  }

  /** The ids, the looked-up vectors and their gradients from the last passes. */
  inspect(): LayerInspection {
    return {
      ...(this.lastX ? { input: this.lastX } : {}),
      ...(this.lastY ? { output: this.lastY } : {}),
      ...(this.lastDy ? { outputGradient: this.lastDy } : {}),
      ...(this.lastDx ? { inputGradient: this.lastDx } : {}),
    };
  }
}

/** Whether `x` is a batch of samples of shape `sample`; no allocation. */
function hasSampleShape(x: Tensor, sample: Shape): boolean {
  if (x.rank !== sample.length + 1) return false;
  for (let i = 0; i < sample.length; i++) if (x.shape[i + 1] !== sample[i]) return false;
  return true;
}

/** The row-major coordinates of flat index `index` within `shape`, for messages. */
function unravel(index: number, shape: Shape): number[] {
  const coords = new Array<number>(shape.length);
  let rest = index;
  for (let a = shape.length - 1; a >= 0; a--) {
    const d = shape[a] as number;
    coords[a] = rest % d;
    rest = Math.floor(rest / d);
  }
  return coords;
}
