import { afterEach, describe, expect, it } from "vitest";
import { getBackend, setBackend, useBackend } from "./backend.js";
import type { KernelBackend } from "./kernel-backend.js";
import { isBackpropError } from "./errors.js";
import { Matrix } from "./tensor.js";
import { matmul } from "./ops.js";
import { Rng } from "./rng.js";
import { typescriptBackend } from "./typescript-backend.js";
import { wasmPrivateInitialPages } from "./generated/wasm-gemm-binary.js";
import { createWasmBackend, isWasmSimdSupported } from "./wasm-backend.js";

// The same matmul suite runs over every backend; the reference is a naive triple loop written here,
// summed in float64 from the (already rounded) inputs.

function naive(a: Matrix, b: Matrix, transA: boolean, transB: boolean): { value: Float64Array; mag: Float64Array } {
  const m = transA ? a.cols : a.rows;
  const k = transA ? a.rows : a.cols;
  const n = transB ? b.rows : b.cols;
  const value = new Float64Array(m * n);
  const mag = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      let t = 0;
      for (let p = 0; p < k; p++) {
        const x = transA ? a.get(p, i) : a.get(i, p);
        const y = transB ? b.get(j, p) : b.get(p, j);
        s += x * y;
        t += Math.abs(x * y);
      }
      value[i * n + j] = s;
      mag[i * n + j] = t;
    }
  }
  return { value, mag };
}

function random(rows: number, cols: number, dtype: "float32" | "float64", rng: Rng): Matrix {
  const m = new Matrix(rows, cols, dtype);
  for (let i = 0; i < m.size; i++) m.data[i] = rng.uniform(-1, 1);
  return m;
}

const backends: [string, () => KernelBackend][] = [["typescript", () => typescriptBackend]];
if (isWasmSimdSupported()) {
  backends.push(["wasm", () => createWasmBackend({ minWork: 0 })]);
  backends.push(["wasm (default threshold)", () => createWasmBackend()]);
}

// Odd sizes hit every partial register tile (4 rows, 8 or 4 columns) and the unpacked path (m < 16).
const shapes: [number, number, number][] = [
  [1, 1, 1],
  [3, 5, 7],
  [4, 8, 16],
  [5, 9, 3],
  [17, 13, 11],
  [1, 128, 784],
  [7, 33, 65],
  [64, 128, 100],
  [33, 10, 128],
];

let restore: KernelBackend | undefined;
afterEach(() => {
  if (restore) setBackend(restore);
  restore = undefined;
});

describe.each(backends)("matmul on the %s backend", (_label, make) => {
  for (const dtype of ["float32", "float64"] as const) {
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        it(`${dtype} transA=${transA} transB=${transB}, all shapes, with and without accumulate`, () => {
          restore = setBackend(make());
          const rng = new Rng(42);
          const eps = dtype === "float32" ? 2 ** -23 : 2 ** -52;
          for (const [m, n, k] of shapes) {
            const a = transA ? random(k, m, dtype, rng) : random(m, k, dtype, rng);
            const b = transB ? random(n, k, dtype, rng) : random(k, n, dtype, rng);
            const { value, mag } = naive(a, b, transA, transB);
            const c = matmul(a, b, undefined, { transA, transB });
            const c0 = random(m, n, dtype, rng);
            const acc = matmul(a, b, c0.clone(), { transA, transB, accumulate: true });
            for (let i = 0; i < m * n; i++) {
              // Error bound of a k-term sum: (k + 2)·eps·Σ|aᵢbᵢ| (+ the rounded addend when accumulating).
              const tol = (k + 2) * eps * ((mag[i] as number) + 1);
              expect(Math.abs((c.data[i] as number) - (value[i] as number))).toBeLessThanOrEqual(tol);
              const want = (value[i] as number) + (c0.data[i] as number);
              expect(Math.abs((acc.data[i] as number) - want)).toBeLessThanOrEqual(tol);
            }
          }
        });
      }
    }
  }

  it("follows the reference order exactly (float32 too) for every product up to exactUpTo", () => {
    const backend = make();
    const limit = backend.exactUpTo ?? 0;
    const rng = new Rng(17);
    let checked = 0;
    for (let m = 1; m <= 9; m++) {
      for (let n = 1; n <= 9; n++) {
        for (let k = 1; k <= 9; k++) {
          if (m * n * k > limit) continue;
          for (const dtype of ["float32", "float64"] as const) {
            for (const [transA, transB, accumulate] of [
              [false, false, false], [true, false, true], [false, true, false], [false, true, true], [true, true, true], [false, false, true],
            ] as const) {
              const a = transA ? random(k, m, dtype, rng) : random(m, k, dtype, rng);
              const b = transB ? random(n, k, dtype, rng) : random(k, n, dtype, rng);
              const c = random(m, n, dtype, rng);
              const want = c.clone();
              // The reference order, written out: one float64 sum per element, rounded once.
              for (let i = 0; i < m; i++) {
                for (let j = 0; j < n; j++) {
                  let s = accumulate && !transB ? want.get(i, j) : 0;
                  for (let p = 0; p < k; p++) s += (transA ? a.get(p, i) : a.get(i, p)) * (transB ? b.get(j, p) : b.get(p, j));
                  want.data[i * n + j] = accumulate && transB ? want.get(i, j) + s : s;
                }
              }
              backend.gemm(transA, transB, m, n, k, a.data, b.data, c.data, accumulate);
              expect(c.data).toEqual(want.data);
              checked++;
            }
          }
        }
      }
    }
    if (backend.name === "typescript") expect(checked).toBeGreaterThan(1000);
  });

  it("overwrites a dirty output and leaves the operands untouched", () => {
    restore = setBackend(make());
    const rng = new Rng(7);
    const a = random(9, 21, "float32", rng);
    const b = random(21, 10, "float32", rng);
    const aCopy = a.clone();
    const bCopy = b.clone();
    const out = Matrix.full(9, 10, Number.NaN, "float32");
    matmul(a, b, out);
    expect(out.data.every(Number.isFinite)).toBe(true);
    expect(a.data).toEqual(aCopy.data);
    expect(b.data).toEqual(bCopy.data);
  });

  it("handles k = 0 (an empty sum is zero, accumulate keeps the output)", () => {
    restore = setBackend(make());
    const a = new Matrix(3, 0, "float32");
    const b = new Matrix(0, 5, "float32");
    expect(Array.from(matmul(a, b, Matrix.full(3, 5, 2, "float32")).data)).toEqual(new Array(15).fill(0));
    const kept = matmul(a, b, Matrix.full(3, 5, 2, "float32"), { accumulate: true });
    expect(Array.from(kept.data)).toEqual(new Array(15).fill(2));
  });
});

describe.runIf(isWasmSimdSupported())("the wasm backend", () => {
  it("gives a one-row float32 product the bits of the same row inside a taller product (odd and even k, accumulate, transposed A)", () => {
    // One row runs the matrix-vector kernel (two rows of B per iteration, an odd first row
    // before the loop); more rows run the register tiles. Both sum each element over p in
    // increasing order with the same multiply-add, so they agree bit for bit on every column of
    // a four-column block. (The last n mod 4 columns of one row are scalar sums, without the
    // fused multiply-add: as before, a one-sample batch may round those differently.)
    for (const relaxed of [true, false]) {
      const wasm = createWasmBackend({ minWork: 0, relaxed });
      const rng = new Rng(8);
      for (const k of [1, 2, 3, 64, 783, 784]) {
        for (const n of [4, 32, 36, 128, 132]) {
          for (const transA of [false, true]) {
            for (const accumulate of [false, true]) {
              const rows = random(2, k, "float32", rng);
              const a = transA ? random(k, 2, "float32", rng) : rows;
              if (transA) for (let p = 0; p < k; p++) for (let i = 0; i < 2; i++) a.data[p * 2 + i] = rows.data[i * k + p] as number;
              const b = random(k, n, "float32", rng);
              const start = random(2, n, "float32", rng);
              const tall = start.clone();
              wasm.gemm(transA, false, 2, n, k, a.data, b.data, tall.data, accumulate);
              const one = new Matrix(1, n, "float32");
              one.data.set(start.data.subarray(0, n));
              wasm.gemm(false, false, 1, n, k, rows.data.subarray(0, k), b.data, one.data, accumulate);
              expect(one.data).toEqual(tall.data.subarray(0, n));
            }
          }
        }
      }
    }
  });

  it("gives float64 results bit-identical to the TypeScript backend (same summation order, no FMA)", () => {
    const wasm = createWasmBackend({ minWork: 0 });
    const rng = new Rng(3);
    for (const [m, n, k] of shapes) {
      for (const transA of [false, true]) {
        for (const transB of [false, true]) {
          for (const accumulate of [false, true]) {
            const a = transA ? random(k, m, "float64", rng) : random(m, k, "float64", rng);
            const b = transB ? random(n, k, "float64", rng) : random(k, n, "float64", rng);
            const start = random(m, n, "float64", rng);
            const ours = start.clone();
            const reference = start.clone();
            wasm.gemm(transA, transB, m, n, k, a.data, b.data, ours.data, accumulate);
            typescriptBackend.gemm(transA, transB, m, n, k, a.data, b.data, reference.data, accumulate);
            expect(ours.data).toEqual(reference.data);
          }
        }
      }
    }
  });

  it("keeps working after its memory grows past the initial 64 MiB", () => {
    const wasm = createWasmBackend({ minWork: 0 });
    const rng = new Rng(5);
    const small = [random(2, 3, "float32", rng), random(3, 2, "float32", rng)] as const;
    const c1 = new Float32Array(4);
    wasm.gemm(false, false, 2, 2, 3, small[0].data, small[1].data, c1, false);
    const before = wasm.memoryBytes();
    // 4100×4200 float32 operands: 68.9 MB, more than the initial memory.
    const m = 4100;
    const k = 4200;
    const a = new Float32Array(m * k);
    for (let i = 0; i < a.length; i++) a[i] = ((i * 7919) % 1000) / 1000 - 0.5;
    const b = new Float32Array(k * 2);
    for (let i = 0; i < b.length; i++) b[i] = ((i * 104729) % 1000) / 1000 - 0.5;
    const big = new Float32Array(m * 2);
    wasm.gemm(false, false, m, 2, k, a, b, big, false);
    expect(wasm.memoryBytes()).toBeGreaterThan(before);
    const c2 = new Float32Array(4);
    wasm.gemm(false, false, 2, 2, 3, small[0].data, small[1].data, c2, false);
    expect(c2).toEqual(c1);
    const row = 1234;
    let want = 0;
    for (let p = 0; p < k; p++) want += (a[row * k + p] as number) * (b[p * 2 + 1] as number);
    expect(Math.abs((big[row * 2 + 1] as number) - want)).toBeLessThan(1e-3);
  });

  it("needs no memory growth (which detaches a buffer and slows every typed-array loop in V8) up to 64 MiB of operands", () => {
    const wasm = createWasmBackend({ minWork: 0 });
    const initial = wasmPrivateInitialPages * 65536;
    expect(wasm.memoryBytes()).toBe(initial);
    const rng = new Rng(8);
    // The W1 products (batch 64, 784-128-10) and a 1000×1000 one: all within the initial memory.
    for (const [m, n, k] of [[64, 128, 784], [784, 128, 64], [64, 784, 128], [1000, 1000, 1000]] as const) {
      const a = random(m, k, "float32", rng);
      const b = random(k, n, "float32", rng);
      wasm.gemm(false, false, m, n, k, a.data, b.data, new Float32Array(m * n), false);
    }
    expect(wasm.memoryBytes()).toBe(initial);
  });

  it("is what getBackend picks by default when SIMD is supported", () => {
    restore = useBackend("auto");
    expect(getBackend().name).toBe("wasm");
  });
});

describe("backend selection", () => {
  it("useBackend switches by name and returns the previous backend", () => {
    restore = useBackend("typescript");
    expect(getBackend()).toBe(typescriptBackend);
    const previous = useBackend("typescript");
    expect(previous).toBe(typescriptBackend);
  });

  it("rejects an unknown name with a BackpropError listing the valid ones", () => {
    let caught: unknown;
    try {
      useBackend("gpu" as never);
    } catch (e) {
      caught = e;
    }
    expect(isBackpropError(caught)).toBe(true);
    expect(String((caught as Error).message)).toMatch(/"typescript", "wasm" or "auto"/);
  });

  it("rejects a negative minWork", () => {
    expect(() => createWasmBackend({ minWork: -1 })).toThrow(/minWork/);
  });
});
