import fc from "fast-check";
import { Matrix, Rng, Tensor, isBackpropError } from "@backprop/linalg";
import { describe, expect, it } from "vitest";
import { orthogonal } from "./orthogonal.js";
import { getInitializer } from "./registry.js";

/** max |(AAᵀ or AᵀA) − gain²·I| for the rows×cols matrix `a`, over its shorter side. */
function orthogonalityError(a: ArrayLike<number>, rows: number, cols: number, gain: number): number {
  const byRows = rows < cols;
  const n = byRows ? rows : cols;
  let worst = 0;
  for (let p = 0; p < n; p++) {
    for (let q = 0; q < n; q++) {
      let dot = 0;
      if (byRows) for (let j = 0; j < cols; j++) dot += (a[p * cols + j] as number) * (a[q * cols + j] as number);
      else for (let i = 0; i < rows; i++) dot += (a[i * cols + p] as number) * (a[i * cols + q] as number);
      worst = Math.max(worst, Math.abs(dot - (p === q ? gain * gain : 0)));
    }
  }
  return worst;
}

const fan = { fanIn: 1, fanOut: 1 };

describe("orthogonal", () => {
  it("gives orthonormal columns (tall) or rows (wide), times gain, in float64", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 40 }), fc.double({ min: -3, max: 3, noNaN: true }), fc.nat(1000), (rows, cols, gain, seed) => {
        const w = orthogonal({ gain }).init(Matrix.zeros(rows, cols, "float64"), new Rng(seed), fan);
        expect(orthogonalityError(w.data, rows, cols, gain)).toBeLessThan(1e-12 * Math.max(1, gain * gain));
      }),
      { numRuns: 200, seed: 11 },
    );
  });

  it("flattens every axis but the last (a [3, 3, 4, 8] convolution kernel is 36×8) and fills float32", () => {
    const w = orthogonal().init(new Tensor([3, 3, 4, 8], "float32"), new Rng(3), fan);
    expect(orthogonalityError(w.data, 36, 8, 1)).toBeLessThan(1e-6);
    // An LSTM recurrent kernel, [units, 4·units]: orthonormal rows.
    const u = orthogonal().init(Matrix.zeros(16, 64, "float32"), new Rng(4), fan);
    expect(orthogonalityError(u.data, 16, 64, 1)).toBeLessThan(1e-6);
  });

  it("is the Q with a positive R diagonal: a square draw's Q, not another orthogonal matrix", () => {
    // For a square matrix A = QR with diag(R) > 0, QᵀA = R is upper triangular with a positive
    // diagonal; the same seed's normal draws (row-major) are A.
    const n = 6;
    const rng = new Rng(9);
    const a = Array.from({ length: n * n }, () => rng.normal());
    const q = orthogonal().init(Matrix.zeros(n, n, "float64"), new Rng(9), fan).data;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let r = 0;
        for (let k = 0; k < n; k++) r += (q[k * n + i] as number) * (a[k * n + j] as number);
        if (i > j) expect(Math.abs(r)).toBeLessThan(1e-12);
        if (i === j) expect(r).toBeGreaterThan(0);
      }
    }
  });

  it("still gives an orthonormal result when the draws are dependent (a generator stuck on one value)", () => {
    const stuck = { normal: () => 1 } as unknown as Rng;
    for (const [rows, cols] of [[6, 4], [3, 7], [5, 5]] as const) {
      const w = orthogonal().init(Matrix.zeros(rows, cols, "float64"), stuck, fan);
      expect(orthogonalityError(w.data, rows, cols, 1)).toBeLessThan(1e-12);
    }
  });

  it("is deterministic for a seed and differs between seeds", () => {
    const a = orthogonal().init(Matrix.zeros(5, 7), new Rng(1), fan);
    const b = orthogonal().init(Matrix.zeros(5, 7), new Rng(1), fan);
    const c = orthogonal().init(Matrix.zeros(5, 7), new Rng(2), fan);
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
    expect(Array.from(a.data)).not.toEqual(Array.from(c.data));
  });

  it("is in the registry with its config, and rejects a bias and bad options with our errors", () => {
    const init = getInitializer("orthogonal", { gain: 2 });
    expect(init.name).toBe("orthogonal");
    expect(init.config).toEqual({ gain: 2 });
    expect(orthogonal().config).toEqual({ gain: 1 });
    let caught: unknown;
    try {
      orthogonal().init(new Tensor([8], "float64"), new Rng(1), fan);
    } catch (e) {
      caught = e;
    }
    expect(isBackpropError(caught) && caught.code === "INVALID_ARGUMENT").toBe(true);
    expect(String((caught as Error).message)).toMatch(/orthogonal: the weight is \[8\] \(expected rank 2 or more/);
    expect(() => getInitializer("orthogonal", { gain: "big" } as never)).toThrow(/gain/);
    expect(() => getInitializer("orthogonal", { scale: 2 } as never)).toThrow(/scale/);
  });
});
