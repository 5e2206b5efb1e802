import { isBackpropError, type FloatArray, type JsonObject } from "@backprop/linalg";
import { scalarGradCheck } from "@backprop/testing";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { defineActivation, type ActivationDefinition } from "./define-activation.js";

// Bent identity: f(x) = (√(x² + 1) − 1)/2 + x, f'(x) = x/(2√(x² + 1)) + 1.
const bent = defineActivation({
  name: "acme>bentIdentity",
  f: (x) => (Math.sqrt(x * x + 1) - 1) / 2 + x,
  df: (x) => x / (2 * Math.sqrt(x * x + 1)) + 1,
});

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return isBackpropError(e) ? e.code : "not a BackpropError";
  }
  return undefined;
}

describe("defineActivation", () => {
  it("builds a frozen activation with f, df and an empty config", () => {
    expect(bent.name).toBe("acme>bentIdentity");
    expect(bent.config).toEqual({});
    expect(Object.isFrozen(bent)).toBe(true);
    // f(0) = 0, f(√3) = (2 − 1)/2 + √3
    expect(bent.f(0)).toBe(0);
    expect(bent.f(Math.sqrt(3))).toBeCloseTo(0.5 + Math.sqrt(3), 15);
    expect(scalarGradCheck(bent.f, (x) => bent.df(x, bent.f(x)), [-4, -1.2, 0.3, 2.5]).maxRelativeError).toBeLessThan(
      1e-6,
    );
  });

  it("derives apply and backward from f and df (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { maxLength: 30 }), (xs) => {
        const x = new Float64Array(xs);
        const y = new Float64Array(xs.length);
        const grad = new Float64Array(xs.map((_, i) => i - 3.5));
        const dx = new Float64Array(xs.length);
        bent.apply(x, y);
        bent.backward(x, y, grad, dx);
        return xs.every(
          (v, i) => y[i] === bent.f(v) && dx[i] === (grad[i] as number) * bent.df(v, bent.f(v)),
        );
      }),
      { seed: 7, numRuns: 100 },
    );
    expect(() => bent.apply(new Float32Array(2), new Float32Array(3))).toThrow(/acme>bentIdentity.apply: lengths differ/);
  });

  it("passes y = f(x) to df", () => {
    const seen: number[] = [];
    const square = defineActivation({
      name: "square",
      f: (x) => x * x,
      df: (x, y) => {
        seen.push(y);
        return 2 * x;
      },
    });
    const x = new Float32Array([3, -2]);
    const y = new Float32Array(2);
    square.apply(x, y);
    const g = new Float32Array([1, 1]);
    square.backward(x, y, g, g);
    expect(seen).toEqual([9, 4]);
    expect(Array.from(g)).toEqual([6, -4]);
  });

  it("uses given vectorised forms", () => {
    let applied = 0;
    const fast = defineActivation({
      name: "fastDouble",
      f: (x) => 2 * x,
      df: () => 2,
      apply(src: FloatArray, dst: FloatArray) {
        applied++;
        for (let i = 0; i < src.length; i++) dst[i] = 2 * (src[i] as number);
      },
    });
    const out = new Float64Array(2);
    fast.apply(new Float64Array([1, 2]), out);
    expect(applied).toBe(1);
    expect(Array.from(out)).toEqual([2, 4]);
  });

  it("copies and freezes the config", () => {
    const config = { k: 2, tags: ["a"], nested: { on: true, none: null } };
    const act = defineActivation({ name: "acme>k", config, f: (x) => x, df: () => 1 });
    config.k = 3;
    config.tags.push("b");
    expect(act.config).toEqual({ k: 2, tags: ["a"], nested: { on: true, none: null } });
    expect(Object.isFrozen(act.config)).toBe(true);
    expect(Object.isFrozen(act.config["nested"])).toBe(true);
  });

  it.each([
    ["an empty name", { name: "", f: Math.sin, df: Math.cos }, "INVALID_ARGUMENT", /invalid name \(got ""/],
    ["a name with spaces", { name: "my act", f: Math.sin, df: Math.cos }, "INVALID_ARGUMENT", /invalid name/],
    ["a number as name", { name: 3, f: Math.sin, df: Math.cos }, "INVALID_ARGUMENT", /invalid name \(got 3/],
    ["a missing f", { name: "a", df: Math.cos }, "INVALID_ARGUMENT", /"a"\): f must be a function \(got undefined/],
    ["a non-function df", { name: "a", f: Math.sin, df: 1 }, "INVALID_ARGUMENT", /df must be a function \(got 1/],
    ["a non-function apply", { name: "a", f: Math.sin, df: Math.cos, apply: "x" }, "INVALID_ARGUMENT", /apply must be/],
    ["a NaN in config", { name: "a", f: Math.sin, df: Math.cos, config: { k: Number.NaN } }, "INVALID_CONFIG", /JSON object/],
    ["a function in config", { name: "a", f: Math.sin, df: Math.cos, config: { k: Math.sin } }, "INVALID_CONFIG", /JSON/],
    ["an array as config", { name: "a", f: Math.sin, df: Math.cos, config: [1] }, "INVALID_CONFIG", /JSON/],
  ])("rejects %s", (_label, definition, code, message) => {
    expect(codeOf(() => defineActivation(definition as unknown as ActivationDefinition))).toBe(code);
    expect(() => defineActivation(definition as unknown as ActivationDefinition)).toThrow(message);
  });

  it("rejects a non-object definition", () => {
    expect(codeOf(() => defineActivation(null as unknown as ActivationDefinition))).toBe("INVALID_ARGUMENT");
    expect(codeOf(() => defineActivation("relu" as unknown as ActivationDefinition))).toBe("INVALID_ARGUMENT");
  });

  it("accepts namespaced names", () => {
    for (const name of ["acme>swish2", "acme/act:v2@2", "my_act-1.0"]) {
      expect(defineActivation({ name, f: (x) => x, df: () => 1, config: {} as JsonObject }).name).toBe(name);
    }
  });
});
