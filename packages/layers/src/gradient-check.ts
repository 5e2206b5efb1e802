import type { Activation } from "@backprop/activations";
import { BackpropError, Rng, Tensor, finiteDifferenceCheck, type Shape } from "@backprop/linalg";
import type { Layer } from "./layer.js";

/** Options of {@link gradientCheck}. */
export interface GradientCheckOptions {
  /** Per-sample input shape of a layer (required for a layer unless it declares `inputShape`). */
  readonly inputShape?: Shape;
  /** Samples in the random batch. Default 3. */
  readonly batch?: number;
  /** Seed of the random inputs, weights and output weighting. Default 7. */
  readonly seed?: number;
  /** Finite-difference step. Default 1e-5. */
  readonly h?: number;
  /** Largest relative error that passes. Default 1e-6 (float64 central differences). */
  readonly tolerance?: number;
  /** For an activation: the points x to check; default 41 points on [−4, 4] avoiding 0 (kinks). */
  readonly points?: readonly number[];
}

/** One gradient compared: what was checked, its worst relative error, and where. */
export interface GradientCheckEntry {
  /** `"input"`, a parameter name such as `"layers.0.kernel"`, or `"activation"`. */
  readonly name: string;
  /** The worst relative error over its coordinates. */
  readonly maxRelativeError: number;
  /** The coordinate where it happened. */
  readonly index: number;
  /** The analytic and numerical derivatives there. */
  readonly analytic: number;
  readonly numeric: number;
}

/** What {@link gradientCheck} found. */
export interface GradientCheckReport {
  /** True when every entry is within the tolerance. */
  readonly ok: boolean;
  /** The tolerance used. */
  readonly tolerance: number;
  /** One entry per gradient checked. */
  readonly entries: readonly GradientCheckEntry[];
}

function isLayer(value: unknown): value is Layer {
  const v = value as Partial<Layer> | null;
  return typeof v === "object" && v !== null && typeof v.forward === "function" && typeof v.backward === "function" && typeof v.build === "function";
}

/**
 * Checks a layer's or an activation's backward pass against central differences in float64: the
 * test every built-in has, for your own components.
 *
 * - A **layer** is built for `inputShape` in float64 with seeded random weights and fed a random
 *   batch; with `L = Σ y ⊙ R + penalties` for a fixed random R, its `backward(R)` must match the
 *   numerical derivatives of L with respect to the input and every trainable parameter.
 * - An **activation**'s `df` (or, for a vector activation, its `backward`) must match the
 *   numerical derivative of `f` (of `apply`).
 *
 * @returns a report with one entry per gradient; `ok` is false when any exceeds the tolerance
 * @throws BackpropError `INVALID_ARGUMENT` for something that is neither, or a layer with no input shape
 * @example
 * ```ts
 * const report = gradientCheck(new Scale({ units: 3 }), { inputShape: [3] });
 * if (!report.ok) console.table(report.entries);
 * ```
 */
export function gradientCheck(component: Layer | Activation, options: GradientCheckOptions = {}): GradientCheckReport {
  const tolerance = options.tolerance ?? 1e-6;
  const entries = isLayer(component) ? checkLayer(component, options) : checkActivation(component, options);
  return { ok: entries.every((e) => e.maxRelativeError <= tolerance), tolerance, entries };
}

function entry(name: string, r: ReturnType<typeof finiteDifferenceCheck>): GradientCheckEntry {
  return { name, maxRelativeError: r.maxRelativeError, index: r.worstIndex, analytic: r.analytic, numeric: r.numeric };
}

function checkLayer(layer: Layer, options: GradientCheckOptions): GradientCheckEntry[] {
  const shape = options.inputShape ?? layer.inputShape;
  if (!shape) {
    throw new BackpropError("INVALID_ARGUMENT", `gradientCheck: no input shape for layer "${layer.name}"`, {
      hint: "pass { inputShape: [...] }, the shape of one sample",
    });
  }
  const rng = new Rng(options.seed ?? 7);
  const batch = options.batch ?? 3;
  if (!layer.built) layer.build(shape, { dtype: "float64", rng, prefix: layer.name });
  const x = rng.fillNormal(new Tensor([batch, ...shape], "float64"));
  const r = rng.fillNormal(new Tensor([batch, ...layer.computeOutputShape(shape)], "float64"));
  const lossOf = (): number => {
    const y = layer.forward(x, { training: true });
    let s = layer.regularizationLoss();
    for (let i = 0; i < y.data.length; i++) s += (y.data[i] as number) * (r.data[i] as number);
    return s;
  };
  lossOf();
  const params = layer.params().filter((p) => p.trainable);
  for (const p of params) p.grad.fill(0);
  const dx = Float64Array.from(layer.backward(r, { inputGradient: true }).data);
  const grads = params.map((p) => Float64Array.from(p.grad.data));
  return [
    entry("input", finiteDifferenceCheck(x.data, dx, lossOf, options.h)),
    ...params.map((p, i) => entry(p.name, finiteDifferenceCheck(p.value.data, grads[i] as Float64Array, lossOf, options.h))),
  ];
}

const DEFAULT_POINTS: readonly number[] = Array.from({ length: 41 }, (_, i) => -4 + 0.2 * i + 0.013);

function checkActivation(act: Activation, options: GradientCheckOptions): GradientCheckEntry[] {
  if (typeof act !== "object" || act === null || typeof act.apply !== "function") {
    throw new BackpropError("INVALID_ARGUMENT", "gradientCheck: expected a layer or an activation");
  }
  const points = Float64Array.from(options.points ?? DEFAULT_POINTS);
  if (act.vector === true) {
    // L = Σ apply(x) ⊙ R over one vector; backward(R) is dL/dx.
    const r = new Rng(options.seed ?? 7).fillNormal(new Tensor([points.length], "float64")).data;
    const y = new Float64Array(points.length);
    const lossOf = (): number => {
      act.apply(points, y, points.length);
      let s = 0;
      for (let i = 0; i < y.length; i++) s += (y[i] as number) * (r[i] as number);
      return s;
    };
    lossOf();
    const dx = new Float64Array(points.length);
    act.backward(points, y, r, dx, points.length);
    return [entry("activation", finiteDifferenceCheck(points, dx, lossOf, options.h))];
  }
  let worst: GradientCheckEntry = { name: "activation", maxRelativeError: 0, index: -1, analytic: 0, numeric: 0 };
  points.forEach((x, i) => {
    const at = Float64Array.of(x);
    const r = finiteDifferenceCheck(at, [act.df(x, act.f(x))], () => act.f(at[0] as number), options.h);
    if (!(r.maxRelativeError <= worst.maxRelativeError)) worst = entry("activation", { ...r, worstIndex: i });
  });
  return [worst];
}
