import type { FloatArray, JsonObject } from "@backprop/linalg";

/**
 * An elementwise activation function and its derivative.
 *
 * `df` receives both the input `x` and the output `y = f(x)`, so functions whose derivative is
 * cheapest in terms of the output (sigmoid: `y(1−y)`, tanh: `1−y²`) reuse it. At a kink the
 * derivative is defined explicitly (relu'(0) = 0).
 *
 * `apply` and `backward` are vectorised forms over typed arrays used by layers in hot loops;
 * every built-in writes them as tight loops, and {@link defineActivation} derives them from
 * `f`/`df` for custom ones. Both throw `SHAPE_MISMATCH` when the array lengths differ.
 *
 * `{ name, config }` is all a model file stores: {@link getActivation} rebuilds the same
 * activation from it.
 *
 * @example
 * ```ts
 * const y = new Float64Array(x.length);
 * relu.apply(x, y);                 // forward
 * relu.backward(x, y, dy, dy);      // dy ← dy · relu'(x), in place
 * ```
 */
export interface Activation {
  /** Registry key, e.g. `"leakyRelu"`; custom ones may namespace: `"acme>swish2"`. */
  readonly name: string;
  /** Hyperparameters, e.g. `{ alpha: 0.01 }`; with `name` this is all a model file stores. */
  readonly config: Readonly<JsonObject>;
  /** f(x). */
  f(x: number): number;
  /** f'(x), given x and y = f(x). */
  df(x: number, y: number): number;
  /**
   * Absent (or false) for an elementwise function. True for a vector activation such as
   * {@link softmax}, whose every output depends on the whole last axis: `f` and `df` then have no
   * meaning, and `apply`/`backward` receive the length of that axis as `width`.
   */
  readonly vector?: boolean;
  /**
   * dst[i] = f(src[i]) for i < src.length; dst may be src. A vector activation applies itself to
   * each run of `width` consecutive elements (a row; the last axis of a tensor).
   */
  apply(src: FloatArray, dst: FloatArray, width?: number): void;
  /**
   * Backward pass through the activation: `dst[i] = grad[i] · f'(x[i], y[i])` (for a vector
   * activation the Jacobian-vector product of each run of `width`). `dst` may alias `grad`.
   */
  backward(x: FloatArray, y: FloatArray, grad: FloatArray, dst: FloatArray, width?: number): void;
}

/**
 * Builds an activation from its stored config; what the registry holds for each name.
 *
 * It validates `config` itself (unknown keys, wrong types) and throws `INVALID_CONFIG`.
 *
 * @example
 * ```ts
 * const scaledTanh: ActivationFactory = (config) =>
 *   defineActivation({ name: "acme>scaledTanh", config, f: (x) => 2 * Math.tanh(x), df: (x) => 2 / Math.cosh(x) ** 2 });
 * ```
 */
export type ActivationFactory = (config?: JsonObject) => Activation;

/** What a model file (or a layer option) stores to name an activation: `{ name, config }`. */
export interface ActivationConfig {
  /** Registry name, e.g. `"leakyRelu"`. */
  readonly name: string;
  /** Hyperparameters; omitted or `{}` means the defaults. */
  readonly config?: JsonObject;
}

/**
 * Anything {@link resolveActivation} accepts: a registered name, a stored `{ name, config }`,
 * or an activation object.
 */
export type ActivationSpec = string | ActivationConfig | Activation;
