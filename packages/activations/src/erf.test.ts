import { describe, expect, it } from "vitest";
import { erf, erfc, normalCdf } from "./erf.js";

// Reference values: erf/erfc from the definition at 40 digits (mpmath), matching the published
// tables (Abramowitz & Stegun 7.1); Φ(1.959963984540054) = 0.975 by definition of the quantile.
const ERF: readonly (readonly [number, number])[] = [
  [0.1, 0.11246291601828489],
  [0.46875, 0.49261347321793799],
  [0.5, 0.52049987781304654],
  [1, 0.84270079294971487],
  [2, 0.99532226501895273],
  [-0.3, -0.32862675945912743],
  [-2.5, -0.99959304798255504],
];
const ERFC: readonly (readonly [number, number])[] = [
  [0.1, 0.88753708398171511],
  [1, 0.15729920705028513],
  [2, 0.0046777349810472658],
  [3, 2.2090496998585441e-5],
  [4.5, 1.9661604415428875e-10],
  [5, 1.5374597944280349e-12],
  [10, 2.0884875837625448e-45],
  [-0.3, 1.3286267594591274],
  [-2.5, 1.999593047982555],
];

function relErr(a: number, b: number): number {
  return Math.abs(a - b) / Math.abs(b);
}

describe("erf / erfc", () => {
  it("match published values to ~1e-15 relative", () => {
    for (const [x, v] of ERF) expect(relErr(erf(x), v), `erf(${x})`).toBeLessThan(2e-15);
    for (const [x, v] of ERFC) expect(relErr(erfc(x), v), `erfc(${x})`).toBeLessThan(2e-15);
  });

  it("are odd / reflect, saturate and propagate NaN", () => {
    expect(erf(0)).toBe(0);
    expect(erfc(0)).toBe(1);
    for (const x of [0.2, 0.7, 3.3, 6]) {
      expect(erf(-x)).toBe(-erf(x));
      expect(erfc(-x)).toBeCloseTo(2 - erfc(x), 15);
    }
    expect(erf(1e308)).toBe(1);
    expect(erf(-Infinity)).toBe(-1);
    expect(erfc(30)).toBe(0);
    expect(erfc(-1e308)).toBe(2);
    expect(erf(Number.NaN)).toBeNaN();
    expect(erfc(Number.NaN)).toBeNaN();
  });

  it("gives the normal CDF", () => {
    expect(normalCdf(0)).toBe(0.5);
    expect(relErr(normalCdf(1.959963984540054), 0.975)).toBeLessThan(1e-15);
    expect(relErr(normalCdf(-1), 0.15865525393145705)).toBeLessThan(2e-15);
    // erfc form keeps relative accuracy deep in the lower tail, where 1 + erf(x/√2) would be 0
    expect(relErr(normalCdf(-10), 7.6198530241605261e-24)).toBeLessThan(1e-13);
  });
});
