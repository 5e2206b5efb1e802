import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { FloatArray } from "./dtype.js";
import type { AdamStep } from "./kernel-backend.js";
import { createWasmBackend } from "./wasm-backend.js";

// The wasm backend's optimizer updates must give the bits of the TypeScript rules of
// @backprop/optimizers, written out here as those rules write them: float64 arithmetic, one
// rounding when storing into the parameter's array, float64 slots.

const wasm = createWasmBackend({ minWork: 0 });
const wasmUnfused = createWasmBackend({ minWork: 0, relaxed: false });
const wasmDefault = createWasmBackend();

type Kind = "float32" | "float64";

/** Values that exercise the rounding: wide magnitudes, −0, subnormals, values that overflow float32 after the update. */
const element = fc.oneof(
  fc.double({ min: -4, max: 4, noNaN: true }),
  fc.double({ min: -1e38, max: 1e38, noNaN: true }),
  fc.constantFrom(0, -0, 1e-45, -1e-40, 3.4e38, -3.4e38, 1e-310),
);

function arrayOf(kind: Kind, values: readonly number[]): FloatArray {
  return kind === "float32" ? Float32Array.from(values) : Float64Array.from(values);
}

function bits(a: FloatArray | Float64Array): Uint8Array {
  return new Uint8Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength));
}

const cases = fc.record({
  kind: fc.constantFrom<Kind>("float32", "float64"),
  values: fc.array(fc.tuple(element, element, element, fc.double({ min: 0, max: 1e6, noNaN: true })), { minLength: 1, maxLength: 41 }),
  lr: fc.double({ min: 1e-6, max: 2, noNaN: true }),
  wd: fc.constantFrom(0, 1e-4, 0.3),
  mu: fc.double({ min: 0.01, max: 0.99, noNaN: true }),
  nesterov: fc.boolean(),
  unfused: fc.boolean(),
});

describe("the wasm optimizer kernels", () => {
  it("SGD gives the rule's bits (float32 and float64, every tail length)", () => {
    fc.assert(
      fc.property(cases, (c) => {
        const value = arrayOf(c.kind, c.values.map((v) => v[0]));
        const grad = arrayOf(c.kind, c.values.map((v) => v[1]));
        const expected = value.slice();
        for (let i = 0; i < expected.length; i++) {
          const p = expected[i] as number;
          expected[i] = p - c.lr * ((grad[i] as number) + c.wd * p);
        }
        expect((c.unfused ? wasmUnfused : wasm).sgdUpdate(value, grad, c.lr, c.wd)).toBe(true);
        expect(bits(value)).toEqual(bits(expected));
      }),
      { numRuns: 300 },
    );
  });

  it("SGD with (Nesterov) momentum gives the rule's bits, buffer included (float32)", () => {
    fc.assert(
      fc.property(cases, (c) => {
        const value = arrayOf(c.kind, c.values.map((v) => v[0]));
        const grad = arrayOf(c.kind, c.values.map((v) => v[1]));
        const buffer = Float64Array.from(c.values.map((v) => v[2]));
        const expected = value.slice();
        const expectedBuffer = buffer.slice();
        for (let i = 0; i < expected.length; i++) {
          const p = expected[i] as number;
          const d = (grad[i] as number) + c.wd * p;
          const b = c.mu * (expectedBuffer[i] as number) + d;
          expectedBuffer[i] = b;
          expected[i] = p - c.lr * (c.nesterov ? d + c.mu * b : b);
        }
        const ran = wasm.momentumUpdate(value, grad, buffer, c.lr, c.mu, c.wd, c.nesterov);
        // float32 only: float64 parameters are declined, untouched (the rule's loop runs them).
        expect(ran).toBe(c.kind === "float32");
        if (!ran) return;
        expect(bits(value)).toEqual(bits(expected));
        expect(bits(buffer)).toEqual(bits(expectedBuffer));
      }),
      { numRuns: 300 },
    );
  });

  it("Adam (and AMSGrad) gives the rule's bits, moments included (float32)", () => {
    fc.assert(
      fc.property(cases, fc.boolean(), fc.integer({ min: 1, max: 50 }), (c, amsgrad, t) => {
        const value = arrayOf(c.kind, c.values.map((v) => v[0]));
        const grad = arrayOf(c.kind, c.values.map((v) => v[1] / 1e30));
        const expAvg = Float64Array.from(c.values.map((v) => v[2] / 1e30));
        const expAvgSq = Float64Array.from(c.values.map((v) => v[3]));
        const maxExpAvgSq = Float64Array.from(c.values.map((v) => v[3] * 1.5));
        const beta1 = 0.9;
        const beta2 = 0.999;
        const eps = 1e-8;
        const step: AdamStep = {
          stepSize: c.lr / (1 - beta1 ** t),
          sqrtCorrection2: Math.sqrt(1 - beta2 ** t),
          beta1,
          beta2,
          eps,
          weightDecay: c.wd,
        };
        const expected = value.slice();
        const m = expAvg.slice();
        const v2 = expAvgSq.slice();
        const vMax = maxExpAvgSq.slice();
        for (let i = 0; i < expected.length; i++) {
          const p = expected[i] as number;
          const g = (grad[i] as number) + c.wd * p;
          const mi = beta1 * (m[i] as number) + (1 - beta1) * g;
          let vi = beta2 * (v2[i] as number) + (1 - beta2) * g * g;
          m[i] = mi;
          v2[i] = vi;
          if (amsgrad) {
            vi = Math.max(vMax[i] as number, vi);
            vMax[i] = vi;
          }
          expected[i] = p - (step.stepSize * mi) / (Math.sqrt(vi) / step.sqrtCorrection2 + eps);
        }
        const moments = { expAvg, expAvgSq, maxExpAvgSq: amsgrad ? maxExpAvgSq : undefined };
        const before = bits(value);
        const ran = (c.unfused ? wasmUnfused : wasm).adamUpdate(value, grad, moments, step);
        expect(ran).toBe(c.kind === "float32");
        if (!ran) {
          expect(bits(value)).toEqual(before);
          return;
        }
        expect(bits(value)).toEqual(bits(expected));
        expect(bits(expAvg)).toEqual(bits(m));
        expect(bits(expAvgSq)).toEqual(bits(v2));
        if (amsgrad) expect(bits(maxExpAvgSq)).toEqual(bits(vMax));
      }),
      { numRuns: 300 },
    );
  });

  it("declines small arrays on the default backend, and mismatched lengths or element types anywhere", () => {
    const small = new Float32Array(100);
    expect(wasmDefault.sgdUpdate(small, small.slice(), 0.1, 0)).toBe(false);
    expect(wasmDefault.nonFinite(small)).toBe(-1);
    const large = new Float32Array(8192);
    expect(wasmDefault.sgdUpdate(large, large.slice(), 0.1, 0)).toBe(true);
    expect(wasm.sgdUpdate(new Float32Array(8), new Float64Array(8), 0.1, 0)).toBe(false);
    expect(wasm.sgdUpdate(new Float32Array(8), new Float32Array(7), 0.1, 0)).toBe(false);
    expect(wasm.momentumUpdate(new Float32Array(8), new Float32Array(8), new Float64Array(7), 0.1, 0.9, 0, false)).toBe(false);
  });
});

describe("the wasm finiteness check", () => {
  it("finds one ±∞ or NaN anywhere, in either dtype, across chunk boundaries", () => {
    fc.assert(
      fc.property(
        fc.constantFrom<Kind>("float32", "float64"),
        fc.integer({ min: 1, max: 140_000 }),
        fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
        fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1e39),
        (kind, n, where, bad) => {
          const d = kind === "float32" ? new Float32Array(n) : new Float64Array(n);
          for (let i = 0; i < n; i++) d[i] = ((i * 2654435761) % 1000) / 7 - 70;
          expect(wasm.nonFinite(d)).toBe(0);
          const at = Math.floor(where * n);
          d[at] = bad;
          // 1e39 is finite in float64 and +∞ once stored in float32.
          const finite = kind === "float64" && Number.isFinite(bad);
          expect(wasm.nonFinite(d)).toBe(finite ? 0 : 1);
        },
      ),
      { numRuns: 60 },
    );
  });
});
