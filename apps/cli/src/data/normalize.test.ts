import { describe, expect, it } from "vitest";
import { messageOf } from "./error-of.test-util.js";
import { applyNormalizer, fitNormalizer, invertNormalizer, parseNormalizer } from "./normalize.js";


const X = [
  [1, 10, 5],
  [2, 20, 5],
  [3, 60, 5],
  [6, 30, 5],
];

describe("fitNormalizer", () => {
  it("standard: population mean and std, constant column scaled by 1", () => {
    const norm = fitNormalizer(X, "standard");
    // column 0: mean 3, deviations -2,-1,0,3 → variance 14/4; column 1: mean 30, variance (400+100+900+0)/4
    expect(norm).toEqual({ method: "standard", mean: [3, 30, 5], std: [Math.sqrt(3.5), Math.sqrt(350), 1] });
    const z = applyNormalizer(norm, X);
    for (let j = 0; j < 2; j++) {
      const col = z.map((r) => r[j] as number);
      expect(col.reduce((a, b) => a + b, 0)).toBeCloseTo(0, 12);
      expect(col.reduce((a, b) => a + b * b, 0) / col.length).toBeCloseTo(1, 12);
    }
    expect(z.map((r) => r[2])).toEqual([0, 0, 0, 0]);
  });

  it("standard: a constant column of a value that does not divide evenly is still constant", () => {
    const norm = fitNormalizer([[0.1], [0.1], [0.1]], "standard");
    if (norm.method !== "standard") throw new Error("method");
    expect(norm.std).toEqual([1]);
    for (const [v] of applyNormalizer(norm, [[0.1]])) expect(Math.abs(v as number)).toBeLessThan(1e-15);
  });

  it("minmax: maps the fitting data onto [0, 1], constant column to 0", () => {
    const norm = fitNormalizer(X, "minmax");
    expect(norm).toEqual({ method: "minmax", min: [1, 10, 5], max: [6, 60, 5] });
    expect(applyNormalizer(norm, X)).toEqual([
      [0, 0, 0],
      [0.2, 0.2, 0],
      [0.4, 1, 0],
      [1, 0.4, 0],
    ]);
  });

  it("none: identity that still checks the feature count", () => {
    const norm = fitNormalizer(X, "none");
    expect(norm).toEqual({ method: "none", features: 3 });
    expect(applyNormalizer(norm, [[7, 8, 9]])).toEqual([[7, 8, 9]]);
    expect(messageOf(() => applyNormalizer(norm, [[1, 2]]))).toBe(
      "INVALID_ARGUMENT the input: row 0 has 2 features (expected 3, as the model's saved scaling)",
    );
  });

  it("round trips through JSON and back through invertNormalizer", () => {
    for (const method of ["standard", "minmax", "none"] as const) {
      const norm = fitNormalizer(X, method);
      const restored = parseNormalizer(JSON.parse(JSON.stringify(norm)), "model.json");
      const unseen = [[2.5, -7, 4], [100, 0.25, 5]];
      expect(applyNormalizer(restored, unseen)).toEqual(applyNormalizer(norm, unseen));
      const back = invertNormalizer(restored, applyNormalizer(restored, unseen));
      back.forEach((row, i) => row.forEach((v, j) => expect(v).toBeCloseTo(unseen[i]?.[j] as number, 12)));
    }
  });

  it("does not modify its input", () => {
    const copy = X.map((r) => [...r]);
    applyNormalizer(fitNormalizer(X, "standard"), X);
    expect(X).toEqual(copy);
  });

  it("rejects bad input", () => {
    expect(messageOf(() => fitNormalizer([], "standard"))).toBe("INVALID_ARGUMENT --normalize: no training rows to fit the scaling on");
    expect(messageOf(() => fitNormalizer([[1, 2], [3]], "minmax"))).toBe(
      "INVALID_ARGUMENT --normalize: row 1 has 1 features (expected 2, as row 0)",
    );
    expect(messageOf(() => fitNormalizer([[1, Number.NaN]], "minmax"))).toBe(
      "INVALID_ARGUMENT --normalize: training row 0, input 1 is not a finite number (got NaN)",
    );
    expect(messageOf(() => fitNormalizer(X, "zscore" as "standard"))).toBe(
      'INVALID_ARGUMENT --normalize: unknown method "zscore" (expected one of standard, minmax, none)',
    );
    const norm = fitNormalizer(X, "standard");
    expect(messageOf(() => applyNormalizer(norm, [[1, 2, 3], [1, 2, 3, 4]]))).toBe(
      "INVALID_ARGUMENT the input: row 1 has 4 features (expected 3, as the model's saved scaling)",
    );
  });
});

describe("parseNormalizer", () => {
  it("rejects malformed normalisers from a model file", () => {
    expect(messageOf(() => parseNormalizer(null, "m.json"))).toBe("INVALID_FILE m.json: normalizer must be an object");
    expect(messageOf(() => parseNormalizer({ method: "pca" }, "m.json"))).toBe(
      'INVALID_FILE m.json: unknown normalizer method "pca" (expected one of standard, minmax, none)',
    );
    expect(messageOf(() => parseNormalizer({ method: "standard", mean: [0, 1], std: [1] }, "m.json"))).toBe(
      "INVALID_FILE m.json: normalizer.mean and normalizer.std must have the same non-zero length (got 2 and 1)",
    );
    expect(messageOf(() => parseNormalizer({ method: "standard", mean: [0], std: [0] }, "m.json"))).toBe(
      "INVALID_FILE m.json: normalizer.std must be positive",
    );
    expect(messageOf(() => parseNormalizer({ method: "minmax", min: ["a"], max: [1] }, "m.json"))).toBe(
      "INVALID_FILE m.json: normalizer.min must be an array of finite numbers",
    );
    expect(messageOf(() => parseNormalizer({ method: "none", features: 0 }, "m.json"))).toBe(
      "INVALID_FILE m.json: normalizer.features must be a positive integer (got 0)",
    );
  });
});
