import type { Activation } from "./activation.js";

/**
 * The activations whose loops are their scalar forms, element by element. Only `makeActivation`
 * adds to it, so an object that never went through it (a hand-built literal, a spread copy of a
 * built-in) is never in it.
 */
const EXACT: WeakSet<Activation> = /* @__PURE__ */ new WeakSet<Activation>();

/** Records that `activation`'s loops compute exactly `f` and `grad · df`; internal to the package. */
export function markExactScalar(activation: Activation): void {
  EXACT.add(activation);
}

/**
 * True when `activation.apply` and `activation.backward` compute exactly `f(x)` and
 * `grad · df(x, y)` element by element (same float64 expression, one rounding when stored), so a
 * caller evaluating one element at a time gets bit-identical results:
 *
 * - `apply(src, dst)` stores `dst[i] = f(src[i])`, i.e. `Math.fround(f(src[i]))` in a
 *   `Float32Array` and `f(src[i])` in a `Float64Array`;
 * - `backward(x, y, grad, dst)` stores `dst[i] = grad[i] * df(x[i], y[i])`, in that order, rounded
 *   the same way.
 *
 * Bit-identical means `Object.is` per element: `-0` stays `-0`, and NaN stays NaN (JavaScript does
 * not specify NaN payload bits, so those are not promised). Pass `df` the same `x` and `y` the
 * loop reads: for activations whose derivative uses the output (sigmoid, tanh, gaussian), `y` is
 * the *stored* output, which in a `Float32Array` is `Math.fround(f(x))`, not `f(x)`. `dst` must be
 * the same array as the input it overwrites (`src`, `grad`) or not overlap it.
 *
 * True for every built-in (each writes its loops as the same expression as its `f`/`df`) and for
 * {@link defineActivation} without `apply` and `backward` (the loops are then derived from `f` and
 * `df`, which must be pure for the promise to hold). False when `defineActivation` was given its
 * own `apply` or `backward`, and for any object not built by this package, even one copied from a
 * built-in: the answer is recorded when the activation is created, not inferred from its shape.
 *
 * @example
 * ```ts
 * hasExactScalarForm(sigmoid);                                               // true
 * hasExactScalarForm(defineActivation({ name: "acme>cube", f: (x) => x ** 3, df: (x) => 3 * x * x })); // true
 * hasExactScalarForm({ ...sigmoid });                                        // false: not built here
 *
 * // So a layer may evaluate one element at a time and match apply/backward bit for bit:
 * if (hasExactScalarForm(act)) {
 *   const y = Math.fround(act.f(z));          // == what act.apply stores into a Float32Array
 *   const dz = Math.fround(g * act.df(z, y)); // == what act.backward stores
 * }
 * ```
 */
export function hasExactScalarForm(activation: Activation): boolean {
  // NOTE: WeakSet#has is false (it does not throw) for primitives, so untyped callers are safe.
  return EXACT.has(activation);
}
