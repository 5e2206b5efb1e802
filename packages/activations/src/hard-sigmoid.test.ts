import { isBackpropError } from "@backprop/linalg";
import { scalarGradCheck } from "@backprop/testing";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { hasExactScalarForm } from "./exact-scalar.js";
import { expectKernelsMatchScalars } from "./kernel-agreement.test-util.js";
import { hardSigmoid, hardSigmoidWith, type HardSigmoidConfig } from "./hard-sigmoid.js";
import { getActivation, resolveActivation } from "./registry.js";

describe("hardSigmoid", () => {
  it("is relu6(x + 3)/6", () => {
    expect(hardSigmoid.f(0)).toBe(0.5);
    expect(hardSigmoid.f(1)).toBe(4 / 6);
    expect(hardSigmoid.f(-1.5)).toBe(0.25);
    expect(hardSigmoid.f(-3)).toBe(0);
    expect(hardSigmoid.f(3)).toBe(1);
    expect(hardSigmoid.f(-1000)).toBe(0);
    expect(hardSigmoid.f(1e308)).toBe(1);
  });

  it("has slope 1/6 strictly inside (−3, 3) and 0 at the kinks", () => {
    expect(hardSigmoid.df(0, 0.5)).toBe(1 / 6);
    expect(hardSigmoid.df(2.999, 0)).toBe(1 / 6);
    expect(hardSigmoid.df(-3, 0)).toBe(0);
    expect(hardSigmoid.df(3, 1)).toBe(0);
    expect(hardSigmoid.df(4, 1)).toBe(0);
  });
});

// TensorFlow.js' and Keras 2's hard_sigmoid: kinks at ±2.5.
const KERAS2: HardSigmoidConfig = { slope: 0.2, offset: 0.5 };
// Away from the kinks (±2.5 for KERAS2, −5 and 2.5 for the shifted one) by more than h.
const POINTS = [-6.1, -4.4, -2.2, -1.3, -0.6, -0.05, 0.02, 0.45, 1.1, 1.9, 2.3, 2.7, 3.5, 7.2];
const SPECIAL = [0, -0, 2.5, -2.5, 5, -5, 1000, -1000, 1e-310, -1e-310, 1e308, -1e308, Infinity, -Infinity, Number.NaN];

describe("hardSigmoid with a config: clip(slope·x + offset, 0, 1)", () => {
  it("no config, {} or the defaults give the built-in itself: config {}, today's (x + 3)/6 bits", () => {
    const defaults: (Record<string, number> | undefined)[] = [undefined, {}, { slope: 1 / 6 }, { offset: 0.5 }, { slope: 1 / 6, offset: 0.5 }];
    for (const config of defaults) {
      expect(hardSigmoidWith(config)).toBe(hardSigmoid);
      expect(getActivation("hardSigmoid", config)).toBe(hardSigmoid);
    }
    expect(hardSigmoid.config).toEqual({});
    // 1/6·x + 0.5 would round differently from (x + 3)/6: the default keeps the latter.
    const x = -2.99994;
    expect(hardSigmoid.f(x)).toBe((x + 3) / 6);
    expect((x + 3) / 6).not.toBe((1 / 6) * x + 0.5);
  });

  it("{ slope: 0.2, offset: 0.5 } is Keras 2's / TF.js' hard_sigmoid: 0.2x + 0.5 clipped at ±2.5", () => {
    const act = hardSigmoidWith(KERAS2);
    expect(act.name).toBe("hardSigmoid");
    expect(act.config).toEqual({ slope: 0.2, offset: 0.5 });
    expect(act.f(0)).toBe(0.5);
    expect(act.f(1)).toBe(0.2 * 1 + 0.5);
    expect(act.f(-1)).toBe(0.2 * -1 + 0.5);
    expect(act.f(-2.5)).toBe(0);
    expect(act.f(2.5)).toBe(1);
    expect(act.f(-3)).toBe(0);
    expect(act.f(3)).toBe(1);
    expect(act.f(1e308)).toBe(1);
    expect(act.f(-1e308)).toBe(0);
    expect(act.df(0, 0.5)).toBe(0.2);
    expect(act.df(2.49, 0)).toBe(0.2);
    expect(act.df(2.5, 1)).toBe(0); // 0 at the kinks, as the default
    expect(act.df(-2.5, 0)).toBe(0);
    expect(act.df(10, 1)).toBe(0);
  });

  it.each([
    ["{ slope: 0.2, offset: 0.5 }", KERAS2],
    ["{ slope: 0.1, offset: 0.5 } (shifted kinks −5, 5)", { slope: 0.1, offset: 0.5 }],
    ["{ slope: 2, offset: 0.7 }", { slope: 2, offset: 0.7 }],
  ])("%s: df matches central differences (float64, h = 1e-5, rel < 1e-6)", (_label, config) => {
    const act = hardSigmoidWith(config);
    const points = POINTS.filter((x) => {
      const z = (config.slope ?? 0) * x + (config.offset ?? 0);
      return Math.abs(z) > 1e-3 && Math.abs(z - 1) > 1e-3;
    });
    const result = scalarGradCheck(act.f, (x) => act.df(x, act.f(x)), points);
    expect(result.maxRelativeError, JSON.stringify(result)).toBeLessThan(1e-6);
    // Both flat parts and the slope are visited.
    expect(points.some((x) => act.df(x, act.f(x)) === 0)).toBe(true);
    expect(points.some((x) => act.df(x, act.f(x)) === config.slope)).toBe(true);
  });

  it("apply/backward equal f and grad·df element by element on Float64Array and Float32Array, in place too", () => {
    const act = hardSigmoidWith(KERAS2);
    expect(hasExactScalarForm(act)).toBe(true);
    expectKernelsMatchScalars(act, [...POINTS, ...SPECIAL]);
    expect(() => act.apply(new Float64Array(3), new Float64Array(2))).toThrow(/hardSigmoid\.apply: lengths differ/);
  });

  it("apply == f and backward == grad·df for random arrays and configs (fast-check)", () => {
    fc.assert(
      fc.property(
        fc.double({ min: 1e-3, max: 10, noNaN: true }),
        fc.double({ min: -2, max: 2, noNaN: true }),
        fc.array(fc.tuple(fc.double(), fc.double({ min: -10, max: 10, noNaN: true })), { maxLength: 30 }),
        (slope, offset, pairs) => {
          const act = hardSigmoidWith({ slope, offset });
          const x = new Float64Array(pairs.map((p) => p[0]));
          const grad = new Float64Array(pairs.map((p) => p[1]));
          const y = new Float64Array(x.length);
          const dx = new Float64Array(x.length);
          act.apply(x, y);
          act.backward(x, y, grad, dx);
          return pairs.every(([xi, gi], i) => {
            const yi = act.f(xi);
            const inRange = Number.isNaN(xi) || (yi >= 0 && yi <= 1);
            return inRange && Object.is(y[i], yi) && Object.is(dx[i], gi * act.df(xi, yi));
          });
        },
      ),
      { seed: 20240601, numRuns: 200 },
    );
  });

  it("is frozen, and its config survives the registry (getActivation, resolveActivation, JSON)", () => {
    const act = getActivation("hardSigmoid", { slope: 0.2, offset: 0.5 });
    expect(Object.isFrozen(act) && Object.isFrozen(act.config)).toBe(true);
    const stored = JSON.parse(JSON.stringify({ name: act.name, config: act.config }));
    expect(stored).toEqual({ name: "hardSigmoid", config: { slope: 0.2, offset: 0.5 } });
    const again = resolveActivation(stored);
    expect(again.config).toEqual(act.config);
    for (const x of [...POINTS, ...SPECIAL]) expect(Object.is(again.f(x), act.f(x))).toBe(true);
    // Only the offset given: the default slope 1/6 with another offset.
    expect(getActivation("hardSigmoid", { offset: 0.25 }).config).toEqual({ slope: 1 / 6, offset: 0.25 });
  });

  it.each([
    [{ slope: 0 }, /invalid slope \(got 0, expected a finite number > 0\)/],
    [{ slope: -0.2 }, /invalid slope \(got -0.2, expected a finite number > 0\)/],
    [{ slope: Number.NaN }, /invalid slope \(got NaN, expected a finite number > 0\)/],
    [{ slope: Infinity }, /invalid slope/],
    [{ slope: "0.2" }, /invalid slope \(got "0.2"/],
    [{ offset: Number.NaN }, /invalid offset \(got NaN, expected a finite number\)/],
    [{ offset: null }, /invalid offset/],
    [{ slope: 0.2, alpha: 0.2 }, /unknown config key "alpha"/],
    [null, /config must be an object \(got null/],
    [[0.2], /config must be an object/],
  ])("rejects %j with INVALID_CONFIG naming hardSigmoid", (config, message) => {
    for (const make of [() => hardSigmoidWith(config as unknown as HardSigmoidConfig), () => getActivation("hardSigmoid", config as never)]) {
      try {
        make();
        expect.unreachable();
      } catch (e) {
        expect(isBackpropError(e) && e.code).toBe("INVALID_CONFIG");
        expect((e as Error).message).toMatch(/hardSigmoid: /);
        expect((e as Error).message).toMatch(message);
      }
    }
  });
});
