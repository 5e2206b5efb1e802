import { afterEach, describe, expect, it } from "vitest";
import { getBackend, setBackend } from "./backend.js";
import type { KernelBackend } from "./kernel-backend.js";
import { BackpropError } from "./errors.js";
import { Matrix } from "./tensor.js";
import { add, matmul } from "./ops.js";
import { typescriptBackend } from "./typescript-backend.js";

interface Call {
  readonly transA: boolean;
  readonly transB: boolean;
  readonly m: number;
  readonly n: number;
  readonly k: number;
  readonly accumulate: boolean;
}

/** Wraps `inner`, recording every gemm call before delegating. */
function counting(inner: KernelBackend): KernelBackend & { readonly calls: Call[] } {
  const calls: Call[] = [];
  return {
    name: "counting",
    calls,
    gemm(transA, transB, m, n, k, a, b, c, accumulate) {
      calls.push({ transA, transB, m, n, k, accumulate });
      inner.gemm(transA, transB, m, n, k, a, b, c, accumulate);
    },
  };
}

// Whatever the package picked by default (another test file may cover which); restored after each test.
const original = getBackend();
afterEach(() => {
  setBackend(original);
});

describe("kernel backends", () => {
  it("keeps one active backend until it is replaced", () => {
    expect(typeof original.name).toBe("string");
    expect(typeof original.gemm).toBe("function");
    expect(getBackend()).toBe(original);
    expect(setBackend(typescriptBackend)).toBe(original);
    expect(getBackend()).toBe(typescriptBackend);
    expect(typescriptBackend.name).toBe("typescript");
  });

  it("matmul dispatches to the active backend, with op shapes and flags", () => {
    const spy = counting(original);
    expect(setBackend(spy)).toBe(original);
    expect(getBackend()).toBe(spy);

    const a = Matrix.fromArray([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const b = Matrix.fromArray([
      [1, 0],
      [0, 1],
      [1, 1],
    ]);
    expect(matmul(a, b).toArray()).toEqual([
      [4, 5],
      [10, 11],
    ]);
    const out = Matrix.ones(3, 3);
    matmul(a, a, out, { transA: true, accumulate: true });
    matmul(b, b, undefined, { transB: true });
    expect(spy.calls).toEqual([
      { transA: false, transB: false, m: 2, n: 2, k: 3, accumulate: false },
      { transA: true, transB: false, m: 3, n: 3, k: 2, accumulate: true },
      { transA: false, transB: true, m: 3, n: 3, k: 2, accumulate: false },
    ]);
    expect(out.get(0, 0)).toBe(1 + 1 + 16);

    // Elementwise kernels do not go through gemm.
    add(a, a);
    expect(spy.calls).toHaveLength(3);
  });

  it("uses whatever the backend computes, and stops when restored", () => {
    const fake: KernelBackend = {
      name: "sevens",
      gemm(_ta, _tb, m, n, _k, _a, _b, c) {
        c.fill(7, 0, m * n);
      },
    };
    const previous = setBackend(fake);
    expect(matmul(Matrix.ones(2, 2), Matrix.ones(2, 2)).toArray()).toEqual([
      [7, 7],
      [7, 7],
    ]);
    expect(setBackend(previous)).toBe(fake);
    expect(matmul(Matrix.ones(2, 2), Matrix.ones(2, 2)).toArray()).toEqual([
      [2, 2],
      [2, 2],
    ]);
  });

  it("validates in matmul before calling the backend", () => {
    const spy = counting(typescriptBackend);
    setBackend(spy);
    expect(() => matmul(Matrix.zeros(2, 3), Matrix.zeros(2, 3))).toThrow(BackpropError);
    expect(spy.calls).toHaveLength(0);
  });

  it("setBackend rejects non-backends and keeps the active one", () => {
    for (const bad of [null, undefined, {}, { name: "x", gemm: 1 }, "typescript"]) {
      let err: unknown;
      try {
        setBackend(bad as unknown as KernelBackend);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(BackpropError);
      expect((err as BackpropError).code).toBe("INVALID_ARGUMENT");
      expect(getBackend()).toBe(original);
    }
  });
});
