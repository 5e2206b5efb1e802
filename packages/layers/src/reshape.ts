import {
  BackpropError,
  describeValue,
  formatShape,
  readConfig,
  shapeString,
  sizeOf,
  type CustomField,
  type FloatArray,
  type JsonObject,
  type Param,
  type Shape,
  type Tensor,
} from "@backprop/linalg";
import { checkInputShape, readInputShape } from "./input-shape.js";
import type { BackwardContext, BuildContext, ForwardContext, Layer, LayerInspection, ParamShape } from "./layer.js";

/**
 * Options of {@link Reshape}.
 * @example
 * ```ts
 * const config: ReshapeConfig = { targetShape: [28, 28, 1], inputShape: [784] };
 * ```
 */
export interface ReshapeConfig {
  /**
   * The per-sample output shape (no batch axis), positive integers; one axis may be `-1`, inferred
   * from the input size (as Keras). E.g. `[28, 28, 1]`, or `[-1, 4]`.
   */
  readonly targetShape: readonly number[];
  /** Per-sample input shape, when this is the model's first layer. */
  readonly inputShape?: readonly number[] | null;
  /** Layer name, assigned by the model when omitted. */
  readonly name?: string;
}

/**
 * The `inputShape` field of a layer config for {@link readConfig}: absent or `null`, or a non-empty
 * list of positive integers (the shape of one sample).
 * @example
 * ```ts
 * readConfig("Flatten", config, { inputShape: inputShapeField("Flatten") });
 * ```
 */
export function inputShapeField(where: string): CustomField<Shape | undefined> {
  return {
    type: "custom",
    optional: true,
    nullable: true,
    read: (value: unknown): Shape | undefined => readInputShape(where, { inputShape: value as readonly number[] }),
  };
}

/**
 * A parameter-free layer whose output is its input under another per-sample shape: forward and
 * backward are views of the same memory (row-major order is unchanged), nothing is copied. The
 * base of {@link Reshape} and `Flatten`; a subclass says only which shape it gives.
 * @example
 * ```ts
 * const view: ViewLayer = new Reshape({ targetShape: [-1] });
 * view.computeOutputShape([4, 4, 2]); // [32]
 * ```
 */
export abstract class ViewLayer implements Layer {
  /** Registry name of the layer type. */
  abstract readonly className: string;
  /** Layer name. */
  name: string;
  /** The per-sample input shape from the config, if given. */
  readonly inputShape: Shape | undefined;
  private sample: Shape | undefined;
  private outSample: Shape | undefined;
  // One view per array seen: the buffers before and after a layer are reused batch after batch,
  // so after the first batch of each size no view is made (weak keys: views of arrays nobody holds
  // any more go with them).
  private readonly forwardViews = new WeakMap<FloatArray, Tensor>();
  private readonly backwardViews = new WeakMap<FloatArray, Tensor>();
  private lastX: Tensor | undefined;
  private lastY: Tensor | undefined;
  private lastDy: Tensor | undefined;
  private lastDx: Tensor | undefined;

  protected constructor(name: string, inputShape: Shape | undefined) {
    this.name = name;
    this.inputShape = inputShape;
  }

  /** The per-sample output shape for a per-sample input shape (checked). */
  abstract computeOutputShape(inputShape: Shape): Shape;
  /** The layer's JSON config. */
  abstract getConfig(): JsonObject;

  /** Whether {@link ViewLayer.build} has run. */
  get built(): boolean {
    return this.sample !== undefined;
  }

  /** None: no parameters. */
  paramShapes(inputShape: Shape): readonly ParamShape[] {
    this.computeOutputShape(inputShape);
    return [];
  }

  /** Records the input and output shapes; nothing is allocated. */
  build(inputShape: Shape, _ctx: BuildContext): void {
    this.outSample = this.computeOutputShape(inputShape).slice();
    this.sample = inputShape.slice();
  }

  /** The input's memory as `[n, ...outputShape]`. */
  forward(x: Tensor, _ctx?: ForwardContext): Tensor {
    const sample = this.sample;
    const out = this.outSample;
    if (!sample || !out) {
      throw new BackpropError("NOT_BUILT", `${this.name}: the layer is not built`, {
        hint: "add it to a Sequential model, or call build(inputShape, ctx) first",
      });
    }
    if (!hasSampleShape(x, sample)) {
      throw new BackpropError("SHAPE_MISMATCH", `${this.name}: input is ${shapeString(x)} (expected [n, ${sample.join(", ")}])`);
    }
    const y = viewOf(this.forwardViews, x, out);
    this.lastX = x;
    this.lastY = y;
    this.lastDy = undefined;
    this.lastDx = undefined;
    return y;
  }

  /** dL/dx: dL/dy's memory as `[n, ...inputShape]`. */
  backward(dy: Tensor, _ctx?: BackwardContext): Tensor {
    const y = this.lastY;
    const sample = this.sample;
    if (!y || !sample) throw new BackpropError("INVALID_STATE", `${this.name}.backward: called before forward`);
    if (dy.size !== y.size || dy.shape[0] !== y.shape[0]) {
      throw new BackpropError("SHAPE_MISMATCH", `${this.name}.backward: gradient is ${shapeString(dy)} (expected ${shapeString(y)}, the output's shape)`);
    }
    const dx = viewOf(this.backwardViews, dy, sample);
    this.lastDy = dy;
    this.lastDx = dx;
    return dx;
  }

  /** None. */
  params(): readonly Param[] {
    return [];
  }

  /** 0: no weights. */
  regularizationLoss(): number {
    return 0;
  }

  /** Input, output and their gradients from the last passes (views of the same memory). */
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

/**
 * `t`'s memory as `[n, ...sample]`, from the cache when this array was seen before: the array's
 * length fixes `n`, so a cached view of the same array is the same view.
 */
function viewOf(cache: WeakMap<FloatArray, Tensor>, t: Tensor, sample: Shape): Tensor {
  let view = cache.get(t.data);
  if (view === undefined) {
    view = t.reshape([t.shape[0] as number, ...sample]);
    cache.set(t.data, view);
  }
  return view;
}

function readTargetShape(value: unknown): number[] {
  const ok =
    Array.isArray(value) &&
    value.length > 0 &&
    value.every((d) => d === -1 || (typeof d === "number" && Number.isSafeInteger(d) && d > 0)) &&
    value.indexOf(-1) === value.lastIndexOf(-1);
  if (!ok) {
    throw new BackpropError(
      "INVALID_CONFIG",
      `Reshape: invalid targetShape (got ${describeValue(value)}, expected a non-empty list of positive integers, at most one of them -1)`,
      { hint: "give the shape of one sample, without the batch axis: [28, 28, 1], or [-1, 4] to infer one axis" },
    );
  }
  return (value as number[]).slice();
}

/**
 * Gives each sample another shape with the same number of elements, in row-major order (Keras' /
 * TensorFlow.js' `Reshape`): `[d₁, …, dₖ]` → `targetShape`, where one axis may be `-1` and is then
 * `(d₁·…·dₖ) / (product of the others)`. The batch axis is left alone.
 *
 * Forward and backward are views (`Tensor.reshape`): no copy, and `dL/dx` is `dL/dy` read in the
 * input's shape.
 *
 * @example
 * ```ts
 * const model = new Sequential([
 *   new Reshape({ targetShape: [28, 28, 1], inputShape: [784] }), // CSV rows → images
 *   new MaxPooling2D({ poolSize: 2 }),                            // → [14, 14, 1]
 *   new Flatten(),
 *   new Dense({ units: 10, activation: "softmax" }),
 * ]);
 * ```
 */
export class Reshape extends ViewLayer {
  /** Registry name of this layer type. */
  readonly className = "reshape";
  /** The target per-sample shape as configured (it may hold one `-1`). */
  readonly targetShape: readonly number[];

  constructor(config: ReshapeConfig) {
    const c = readConfig("Reshape", config, {
      targetShape: { type: "custom", read: readTargetShape },
      inputShape: inputShapeField("Reshape"),
      name: { type: "string", optional: true, nullable: true },
    });
    super(c.name ?? "reshape", c.inputShape);
    this.targetShape = c.targetShape;
    // A configured input shape is checked now, not when the model is built.
    if (this.inputShape) this.computeOutputShape(this.inputShape);
  }

  /**
   * `targetShape` with its `-1` worked out.
   * @throws BackpropError `SHAPE_MISMATCH` when the sizes differ (or the `-1` axis would not be whole)
   */
  computeOutputShape(inputShape: Shape): Shape {
    checkInputShape(this.name, inputShape, 1);
    const size = sizeOf(inputShape);
    const target = this.targetShape;
    const free = target.indexOf(-1);
    const known = free < 0 ? sizeOf(target) : sizeOf(target.filter((_, i) => i !== free));
    if (free < 0 ? known !== size : size % known !== 0) {
      throw new BackpropError(
        "SHAPE_MISMATCH",
        `${this.name}: cannot reshape ${formatShape(inputShape)} to ${formatShape(target)} (got ${size} elements per sample, expected ${free < 0 ? known : `a multiple of ${known}`})`,
      );
    }
    return free < 0 ? target.slice() : target.map((d, i) => (i === free ? size / known : d));
  }

  /** `{ name, targetShape, inputShape? }` (`targetShape` as configured, `-1` kept). */
  getConfig(): JsonObject {
    return {
      name: this.name,
      targetShape: [...this.targetShape],
      ...(this.inputShape ? { inputShape: [...this.inputShape] } : {}),
    };
  }
}
