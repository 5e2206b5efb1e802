import { Rng, type FloatArray } from "@backprop/linalg";
import { describe, expect, it } from "vitest";
import type { Activation } from "./activation.js";
import { ALL_BUILTINS } from "./builtin-instances.test-util.js";
import { builtinActivations } from "./builtins.js";
import { defineActivation } from "./define-activation.js";
import { elu } from "./elu.js";
import { hasExactScalarForm } from "./exact-scalar.js";
import { gelu } from "./gelu.js";
import { identity } from "./identity.js";
import { isActivation } from "./is-activation.js";
import { leakyRelu } from "./leaky-relu.js";
import { getActivation, registerActivation, unregisterActivation } from "./registry.js";
import { relu } from "./relu.js";
import { sigmoid } from "./sigmoid.js";
import { tanh } from "./tanh.js";

/**
 * Built-ins that are NOT flagged exact, by registry name, each with the reason its loops differ
 * from `f` / `grad · df`. Only softmax, which has no scalar form: every elementwise built-in's
 * apply/backward is its f/df expression verbatim (identity's `set` stores the same values as
 * `dst[i] = src[i]`, and `grad · 1` is `grad`). The
 * test below fails when a flag and this list disagree, so changing either is a conscious change.
 */
const NOT_EXACT: Readonly<Record<string, string>> = {
  softmax: "a vector activation: no scalar form at all",
};

/** Every flagged built-in (configured ones at their defaults and at other configs). */
const EXACT_BUILTINS: readonly (readonly [string, Activation])[] = [
  ...ALL_BUILTINS,
  ["leakyRelu(-1.7)", leakyRelu({ alpha: -1.7 })],
  ["elu(0.3)", elu({ alpha: 0.3 })],
];

/** Custom activations whose loops defineActivation derives from f/df. */
const DEFINED: readonly (readonly [string, Activation])[] = [
  ["defineActivation cube (df from x)", defineActivation({ name: "test>cube", f: (x) => x ** 3, df: (x) => 3 * x * x })],
  [
    "defineActivation scaledTanh (df from y)",
    defineActivation({ name: "test>scaledTanh", f: (x) => 2 * Math.tanh(x), df: (_x, y) => 2 - 0.5 * y * y }),
  ],
  [
    "defineActivation bentIdentity (config)",
    defineActivation({
      name: "test>bentIdentity",
      config: { half: 0.5 },
      f: (x) => (Math.sqrt(x * x + 1) - 1) * 0.5 + x,
      df: (x) => x / (2 * Math.sqrt(x * x + 1)) + 1,
    }),
  ],
];

const EXACT: readonly (readonly [string, Activation])[] = [...EXACT_BUILTINS, ...DEFINED];

// The edges asked for, plus the kinks of the piecewise ones, the float32 range limits, float64
// subnormals (which a Float32Array flushes to ±0) and float32 subnormals.
const EDGES: readonly number[] = (() => {
  const magnitudes = [
    0, 1e-30, 1, 20, 88, 100, 1000, Infinity, 3, 6, 0.5, 26.6, 40, 710, 1e308, Number.MAX_VALUE,
    3.4028234663852886e38, 1.1754943508222875e-38, 1.401298464324817e-45, 1e-40, 5e-324, 1e-310, 2.2250738585072014e-308,
  ];
  return [...magnitudes.flatMap((m) => [m, -m]), Number.NaN];
})();

const KINKS = [0, 1, -1, 3, -3, 6, -6];

/** `n` inputs: the edges first, then a seeded mix of ordinary, wide-range and raw-bit values. */
function makeInputs(seed: number, n: number): number[] {
  const rng = new Rng(seed);
  const out = [...EDGES];
  const f64 = new Float64Array(1);
  const f64Words = new Uint32Array(f64.buffer);
  const f32 = new Float32Array(1);
  const f32Word = new Uint32Array(f32.buffer);
  while (out.length < n) {
    const sign = rng.uniform() < 0.5 ? -1 : 1;
    switch (rng.int(7)) {
      case 0:
        out.push(rng.normal(0, 3));
        break;
      case 1:
        out.push(rng.uniform(-120, 120));
        break;
      case 2: // log-uniform over the float32 range and a bit beyond, subnormals included
        out.push(sign * 10 ** rng.uniform(-46, 40));
        break;
      case 3: // log-uniform over the whole float64 range
        out.push(sign * 10 ** rng.uniform(-324, 308.2));
        break;
      case 4: // any float64 bit pattern (NaNs with payloads included)
        f64Words[0] = rng.nextUint32();
        f64Words[1] = rng.nextUint32();
        out.push(f64[0] as number);
        break;
      case 5: // any float32 bit pattern
        f32Word[0] = rng.nextUint32();
        out.push(f32[0] as number);
        break;
      default: // next to a kink
        out.push((KINKS[rng.int(KINKS.length)] as number) + rng.normal(0, 1e-6) * (rng.uniform() < 0.2 ? 1e-9 : 1));
    }
  }
  return out;
}

/** Gradients: mostly ordinary, some at the edges (0, −0, ±∞, NaN, tiny, huge). */
function makeGrads(seed: number, n: number): number[] {
  const rng = new Rng(seed);
  const special = [0, -0, 1, -1, Infinity, -Infinity, Number.NaN, 1e-30, -1e-300, 5e-324, 1e30, -3e38];
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const r = rng.uniform();
    out.push(r < 0.1 ? (special[rng.int(special.length)] as number) : r < 0.2 ? rng.normal(0, 1e6) : rng.normal(0, 1));
  }
  return out;
}

const N = 4000;
const INPUTS = makeInputs(20240917, N);
const GRADS = makeGrads(7, N);

type FloatArrayConstructor = Float32ArrayConstructor | Float64ArrayConstructor;

const TYPES: readonly FloatArrayConstructor[] = [Float32Array, Float64Array];

/** The value a scalar result becomes when stored into `dst`: `Math.fround` for float32. */
function stored(dst: FloatArray, value: number): number {
  return dst instanceof Float32Array ? Math.fround(value) : value;
}

/**
 * The first few indices where `got[i]` and `want(i)` differ as values: `Object.is`, so −0 ≠ 0
 * and NaN = NaN; for non-NaN doubles (and float32 values read back) that is bit identity.
 */
function mismatches(got: FloatArray, want: (i: number) => number, where: (i: number) => string): string[] {
  const out: string[] = [];
  for (let i = 0; i < got.length && out.length < 5; i++) {
    const w = want(i);
    if (!Object.is(got[i], w)) out.push(`${where(i)}: loop ${String(got[i])}, scalar ${String(w)}`);
  }
  return out;
}

describe("hasExactScalarForm", () => {
  it("is true exactly for the built-ins not listed in NOT_EXACT (at default and other configs)", () => {
    const factories = builtinActivations();
    for (const [registered, factory] of Object.entries(factories)) {
      const act = factory();
      expect(hasExactScalarForm(act), `${registered}: ${NOT_EXACT[act.name] ?? "flagged exact"}`).toBe(
        !Object.hasOwn(NOT_EXACT, act.name),
      );
    }
    for (const [label, act] of EXACT_BUILTINS) {
      expect(hasExactScalarForm(act), label).toBe(!Object.hasOwn(NOT_EXACT, act.name));
    }
  });

  it("lists every built-in either in the bit-identity checks or in NOT_EXACT with a reason", () => {
    const registered = new Set(Object.values(builtinActivations()).map((factory) => factory().name));
    const checked = new Set(EXACT_BUILTINS.map(([, act]) => act.name));
    for (const name of registered) {
      const reason = NOT_EXACT[name];
      if (reason === undefined) expect(checked.has(name), `${name} is flagged but not bit-checked`).toBe(true);
      else {
        expect(checked.has(name), `${name} is in NOT_EXACT and in EXACT_BUILTINS`).toBe(false);
        expect(reason.length, `${name}: give the reason`).toBeGreaterThan(10);
      }
    }
    for (const name of [...checked, ...Object.keys(NOT_EXACT)]) expect(registered.has(name), name).toBe(true);
    expect(registered.size).toBe(18);
  });

  it("is true for defineActivation without apply/backward (also with apply: undefined)", () => {
    for (const [label, act] of DEFINED) expect(hasExactScalarForm(act), label).toBe(true);
    const explicit = defineActivation({ name: "test>sq", f: (x) => x * x, df: (x) => 2 * x, apply: undefined, backward: undefined });
    expect(hasExactScalarForm(explicit)).toBe(true);
  });

  it("is false for defineActivation with its own apply and/or backward", () => {
    const f = (x: number): number => x * x;
    const df = (x: number): number => 2 * x;
    const apply = (src: FloatArray, dst: FloatArray): void => {
      for (let i = 0; i < src.length; i++) dst[i] = f(src[i] as number);
    };
    const backward = (x: FloatArray, _y: FloatArray, grad: FloatArray, dst: FloatArray): void => {
      for (let i = 0; i < x.length; i++) dst[i] = (grad[i] as number) * df(x[i] as number);
    };
    // NOTE: even though these loops happen to be exact: user code is not inspected.
    expect(hasExactScalarForm(defineActivation({ name: "test>a", f, df, apply }))).toBe(false);
    expect(hasExactScalarForm(defineActivation({ name: "test>b", f, df, backward }))).toBe(false);
    expect(hasExactScalarForm(defineActivation({ name: "test>c", f, df, apply, backward }))).toBe(false);
  });

  it("is false for objects not built by makeActivation, even copies of a flagged built-in", () => {
    const literal: Activation = {
      name: "test>literal",
      config: {},
      f: (x) => x,
      df: () => 1,
      apply(src, dst) {
        dst.set(src);
      },
      backward(_x, _y, grad, dst) {
        dst.set(grad);
      },
    };
    expect(isActivation(literal)).toBe(true);
    expect(hasExactScalarForm(literal)).toBe(false);
    expect(hasExactScalarForm({ ...relu })).toBe(false);
    expect(hasExactScalarForm(Object.freeze({ ...sigmoid }))).toBe(false);
    expect(hasExactScalarForm(Object.create(tanh) as Activation)).toBe(false);
    // untyped callers: no throw for primitives or null
    expect(hasExactScalarForm(null as unknown as Activation)).toBe(false);
    expect(hasExactScalarForm("relu" as unknown as Activation)).toBe(false);
  });

  it("survives the registry: resolved built-ins and registered custom ones keep the answer", () => {
    expect(hasExactScalarForm(getActivation("relu"))).toBe(true);
    expect(hasExactScalarForm(getActivation("swish"))).toBe(true);
    expect(hasExactScalarForm(getActivation("leakyRelu", { alpha: 0.3 }))).toBe(true);
    expect(hasExactScalarForm(getActivation("gelu", { approximate: true }))).toBe(true);
    const custom = defineActivation({ name: "test>registeredCube", f: (x) => x ** 3, df: (x) => 3 * x * x });
    registerActivation(custom);
    try {
      expect(hasExactScalarForm(getActivation("test>registeredCube"))).toBe(true);
    } finally {
      unregisterActivation("test>registeredCube");
    }
    const literal = { ...relu, name: "test>literalRelu" };
    expect(hasExactScalarForm(getActivation("test>literalRelu", undefined, { custom: { "test>literalRelu": literal } }))).toBe(
      false,
    );
  });
});

describe.each(EXACT)("%s: loops are bit-identical to the scalar forms", (_label, act) => {
  it("is flagged", () => {
    expect(hasExactScalarForm(act)).toBe(true);
  });

  it.each(TYPES.flatMap((src) => TYPES.map((dst) => [src.name, dst.name, src, dst] as const)))(
    "apply(%s → %s) == f per element, also in place",
    (_s, _d, Src, Dst) => {
      const src = Src.from(INPUTS);
      const dst = new Dst(src.length);
      act.apply(src, dst);
      expect(
        mismatches(dst, (i) => stored(dst, act.f(src[i] as number)), (i) => `f(${String(src[i])})`),
      ).toEqual([]);
      if (Src === Dst) {
        const inPlace = Src.from(src);
        act.apply(inPlace, inPlace);
        expect(mismatches(inPlace, (i) => stored(inPlace, act.f(src[i] as number)), (i) => `in place f(${String(src[i])})`)).toEqual(
          [],
        );
      }
    },
  );

  it.each(TYPES.flatMap((src) => TYPES.map((dst) => [src.name, dst.name, src, dst] as const)))(
    "backward(x, y, grad: %s → dst: %s) == grad · df(x, y) per element, y = stored f(x), also in place",
    (_s, _d, Src, Dst) => {
      const x = Src.from(INPUTS);
      const y = new Src(x.length);
      for (let i = 0; i < x.length; i++) y[i] = act.f(x[i] as number);
      const grad = Src.from(GRADS);
      const dst = new Dst(x.length);
      act.backward(x, y, grad, dst);
      const scalar = (i: number): number => (grad[i] as number) * act.df(x[i] as number, y[i] as number);
      const where = (i: number): string => `${String(grad[i])} · df(${String(x[i])}, ${String(y[i])})`;
      expect(mismatches(dst, (i) => stored(dst, scalar(i)), where)).toEqual([]);
      if (Src === Dst) {
        const inPlace = Src.from(grad);
        act.backward(x, y, inPlace, inPlace);
        expect(mismatches(inPlace, (i) => stored(inPlace, scalar(i)), where)).toEqual([]);
      }
    },
  );
});
