/*
 * Shared fixture of the golden-trajectory tests. Each rule's test file writes its own scalar
 * reference from the paper's equations in plain numbers; this file only provides the problem
 * (initial values, gradients) and runs the library optimizer on it.
 */
import { Matrix, Param, type DType } from "@backprop/linalg";
import { expectClose } from "@backprop/testing";
import type { Optimizer } from "./optimizer.js";

/** Steps of every golden trajectory (Keras tests optimizers over 5 steps too). */
export const STEPS = 5;

/** Initial values: a 2×2 "w" and a 1×3 "b" with mixed signs, a zero and a large entry. */
const W0 = [
  [0.5, -1.25],
  [2, 0],
];
const B0 = [[-0.3, 0.75, 1.5]];

/** The seven starting values in the order the params flatten (w row-major, then b). */
export const INITIAL: readonly number[] = [...W0.flat(), ...B0.flat()];

/** Base gradient per step (rows) and element (columns): signs flip, one is 0 at step 1, magnitudes vary. */
const BASE: readonly (readonly number[])[] = [
  [0.1, -0.2, 1.5, 0, 0.05, -3, 0.4],
  [-0.4, 0.3, 0.9, 0.25, -0.6, -2, 0.35],
  [0.2, 0.2, -1.1, 0.5, 0.01, 1, -0.8],
  [0.7, -0.05, 0.3, -0.45, 0.2, 2.5, 0.15],
  [-0.15, 0.6, 0.05, 0.3, -0.9, -0.4, 1.2],
];

/**
 * The gradient of element `k` at step `t` (1-based) when its value is `p`: a fixed base plus
 * `0.3·p`, so each trajectory feeds back on itself (element 3 starts at 0 with a 0 gradient).
 */
export function gradAt(t: number, k: number, p: number): number {
  const base = BASE[t - 1]?.[k];
  if (base === undefined) throw new Error(`no gradient for step ${t}, element ${k}`);
  return base + 0.3 * p;
}

/** Fresh params "w" and "b" with the initial values, in `dtype`. */
export function makeParams(dtype: DType = "float64"): Param[] {
  return [new Param("w", Matrix.fromArray(W0, dtype)), new Param("b", Matrix.fromArray(B0, dtype))];
}

/** Writes `gradAt(t, ·, current value)` into every param's gradient. */
export function setGradients(params: readonly Param[], t: number): void {
  let k = 0;
  for (const p of params) {
    const v = p.value.data;
    const g = p.grad.data;
    for (let i = 0; i < v.length; i++, k++) g[i] = gradAt(t, k, v[i] as number);
  }
}

/** Flat values of all params, in order. */
export function flatValues(params: readonly Param[]): number[] {
  return params.flatMap((p) => Array.from(p.value.data));
}

/** Runs `steps` steps of `opt` on the golden problem; returns the flat values after each step. */
export function runOptimizer(opt: Optimizer, steps = STEPS, dtype: DType = "float64"): number[][] {
  const params = makeParams(dtype);
  const out: number[][] = [];
  for (let t = 1; t <= steps; t++) {
    setGradients(params, t);
    opt.step(params);
    out.push(flatValues(params));
  }
  return out;
}

/**
 * A scalar reference rule: given a starting value and the gradient as a function of (step, value),
 * returns the value after each of `steps` steps.
 */
export type ScalarReference = (p0: number, grad: (t: number, p: number) => number, steps: number) => number[];

/** The golden trajectory of `reference`, element by element; same layout as {@link runOptimizer}. */
export function referenceTrajectory(reference: ScalarReference, steps = STEPS): number[][] {
  const perElement = INITIAL.map((p0, k) => reference(p0, (t, p) => gradAt(t, k, p), steps));
  return Array.from({ length: steps }, (_, t) => perElement.map((values) => values[t] as number));
}

/** Largest absolute difference between two trajectories of the same shape. */
export function maxAbsDiff(a: readonly (readonly number[])[], b: readonly (readonly number[])[]): number {
  let worst = 0;
  for (let t = 0; t < a.length; t++) {
    const ra = a[t] ?? [];
    const rb = b[t] ?? [];
    if (ra.length !== rb.length) return Infinity;
    for (let k = 0; k < ra.length; k++) worst = Math.max(worst, Math.abs((ra[k] as number) - (rb[k] as number)));
  }
  return a.length === b.length ? worst : Infinity;
}

/**
 * Asserts `actual` matches `expected` step by step within `tol` (absolute), and that the
 * trajectory really moves (so two do-nothing rules cannot agree vacuously).
 */
export function expectTrajectory(
  actual: readonly (readonly number[])[],
  expected: readonly (readonly number[])[],
  tol: number,
  label: string,
): void {
  if (actual.length !== expected.length) throw new Error(`${label}: ${actual.length} steps, expected ${expected.length}`);
  for (let t = 0; t < expected.length; t++) expectClose(actual[t] ?? [], expected[t] ?? [], tol, `${label} step ${t + 1}`);
  const last = expected[expected.length - 1] ?? [];
  if (last.every((v, k) => Math.abs(v - (INITIAL[k] as number)) < 1e-6)) {
    throw new Error(`${label}: the expected trajectory never moves; the test would prove nothing`);
  }
}
