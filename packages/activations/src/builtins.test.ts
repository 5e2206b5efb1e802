import { isBackpropError } from "@backprop/linalg";
import { scalarGradCheck } from "@backprop/testing";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Activation } from "./activation.js";
import { builtinActivations } from "./builtins.js";
import { ALL_BUILTINS as ALL } from "./builtin-instances.test-util.js";
import { expectKernelsMatchScalars } from "./kernel-agreement.test-util.js";


// Spread over the interesting range; no point within h of a kink (0, ±1, ±3, 6), which are
// checked explicitly in each activation's own test.
const POINTS = [-5.3, -3.7, -2.2, -1.45, -0.8, -0.35, -0.05, 0.07, 0.3, 0.9, 1.6, 2.4, 3.9, 5.1];

// Kinks, extremes, subnormals and NaN: the vectorised forms must agree here too.
const SPECIAL = [0, -0, 1, -1, 3, -3, 6, -6, 1000, -1000, 1e-310, -1e-310, 40, -40, 1e308, -1e308, Number.NaN];

describe("every built-in", () => {
  it("is in the registry under its own name", () => {
    const factories = builtinActivations();
    for (const [label, act] of ALL) {
      const factory = factories[act.name];
      expect(factory, label).toBeTypeOf("function");
      expect(factory?.(act.config).name, label).toBe(act.name);
    }
  });

  it.each(ALL)("%s: df matches central differences (float64, h = 1e-5, rel < 1e-6)", (_label, act) => {
    const result = scalarGradCheck(act.f, (x) => act.df(x, act.f(x)), POINTS);
    expect(result.maxRelativeError, JSON.stringify(result)).toBeLessThan(1e-6);
  });

  it.each(ALL)("%s: f and df stay finite at ±1000 and ±1e308", (_label, act) => {
    for (const x of [1000, -1000, 1e308, -1e308]) {
      const y = act.f(x);
      expect(Number.isFinite(y), `f(${x}) = ${y}`).toBe(true);
      const d = act.df(x, y);
      expect(Number.isFinite(d), `df(${x}) = ${d}`).toBe(true);
    }
    const x64 = new Float64Array([1000, -1000, 1e308, -1e308]);
    const y64 = new Float64Array(4);
    const g64 = new Float64Array(4).fill(1);
    act.apply(x64, y64);
    act.backward(x64, y64, g64, g64);
    expect(y64.every(Number.isFinite) && g64.every(Number.isFinite), `${y64} / ${g64}`).toBe(true);
    const x32 = new Float32Array([1000, -1000, 3e38, -3e38]);
    const y32 = new Float32Array(4);
    act.apply(x32.subarray(0, 2), y32.subarray(0, 2));
    expect(y32.subarray(0, 2).every(Number.isFinite)).toBe(true);
  });

  it.each(ALL)("%s: apply/backward equal f and grad·df on Float64Array and Float32Array", (_label, act) => {
    expectKernelsMatchScalars(act, [...POINTS, ...SPECIAL]);
  });

  it.each(ALL)("%s: apply == f and backward == grad·df for random arrays (fast-check)", (_label, act) => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.double(), fc.double({ min: -10, max: 10, noNaN: true })), { maxLength: 40 }),
        (pairs) => {
          const x = new Float64Array(pairs.map((p) => p[0]));
          const grad = new Float64Array(pairs.map((p) => p[1]));
          const y = new Float64Array(x.length);
          const dx = new Float64Array(x.length);
          act.apply(x, y);
          act.backward(x, y, grad, dx);
          return pairs.every(
            ([xi, gi], i) => Object.is(y[i], act.f(xi)) && Object.is(dx[i], gi * act.df(xi, act.f(xi))),
          );
        },
      ),
      { seed: 20240601, numRuns: 200 },
    );
  });

  it.each(ALL)("%s: apply/backward reject arrays of different lengths", (_label, act) => {
    const x = new Float64Array(3);
    expect(() => act.apply(x, new Float64Array(2))).toThrow(/lengths differ/);
    try {
      act.backward(x, new Float64Array(3), new Float64Array(4), new Float64Array(3));
      expect.unreachable();
    } catch (e) {
      expect(isBackpropError(e) && e.code).toBe("SHAPE_MISMATCH");
      expect((e as Error).message).toContain(`${act.name}.backward`);
    }
  });

  it.each(ALL)("%s: is frozen, config included", (_label, act) => {
    expect(Object.isFrozen(act)).toBe(true);
    expect(Object.isFrozen(act.config)).toBe(true);
    expect(JSON.parse(JSON.stringify(act.config))).toEqual(act.config);
  });
});
