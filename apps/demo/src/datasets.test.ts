import { describe, expect, it } from "vitest";
import { CLASSIFICATION_DATASETS, DOMAIN, REGRESSION_DATASETS, generateDataset, isRegression, multiGaussTarget, splitDataset } from "./datasets.js";

const ALL = [...CLASSIFICATION_DATASETS, ...REGRESSION_DATASETS];

describe("data set generators", () => {
  it.each(ALL)("%s: 500 points by default, deterministic per seed, different across seeds", (name) => {
    const a = generateDataset(name, { noise: 0.2, seed: 3 });
    expect(a).toHaveLength(500);
    expect(generateDataset(name, { noise: 0.2, seed: 3 })).toEqual(a);
    expect(generateDataset(name, { noise: 0.2, seed: 4 })).not.toEqual(a);
    expect(generateDataset(name, { noise: 0, seed: 1, samples: 40 })).toHaveLength(40);
  });

  it.each(CLASSIFICATION_DATASETS)("%s: two balanced-ish classes labelled 0 and 1, inside the plane", (name) => {
    const points = generateDataset(name, { noise: 0, seed: 1 });
    const ones = points.filter((p) => p.label === 1).length;
    expect(points.every((p) => p.label === 0 || p.label === 1)).toBe(true);
    expect(ones).toBeGreaterThan(150);
    expect(ones).toBeLessThan(350);
    // gaussians have unbounded tails; the others stay in the square
    if (name !== "gauss") expect(points.every((p) => Math.abs(p.x) <= DOMAIN && Math.abs(p.y) <= DOMAIN)).toBe(true);
  });

  it.each(REGRESSION_DATASETS)("%s: targets in [−1, 1] that vary", (name) => {
    const labels = generateDataset(name, { noise: 0, seed: 1 }).map((p) => p.label);
    expect(labels.every((v) => v >= -1 && v <= 1)).toBe(true);
    expect(Math.max(...labels) - Math.min(...labels)).toBeGreaterThan(1);
  });

  it("labels the noiseless circle by radius: inside 2.5 is class 1", () => {
    for (const p of generateDataset("circle", { noise: 0, seed: 2 })) {
      expect(p.label, `(${p.x}, ${p.y})`).toBe(Math.hypot(p.x, p.y) < 2.5 ? 1 : 0);
    }
  });

  it("labels the noiseless XOR by the quadrant's sign", () => {
    for (const p of generateDataset("xor", { noise: 0, seed: 2 })) expect(p.label).toBe(p.x * p.y >= 0 ? 1 : 0);
  });

  it("labels the noiseless plane as (x + y) / 12", () => {
    for (const p of generateDataset("plane", { noise: 0, seed: 2 })) expect(p.label).toBeCloseTo((p.x + p.y) / 12, 12);
  });

  it("peaks the multi-gaussian target at its centres with the centre's sign", () => {
    expect(multiGaussTarget(-4, 2.5)).toBeCloseTo(1, 12);
    expect(multiGaussTarget(0, 2.5)).toBeCloseTo(-1, 12);
    expect(Math.abs(multiGaussTarget(-2, 0))).toBeLessThan(0.3);
  });

  it("noise flips some circle labels relative to the radius rule", () => {
    const flipped = generateDataset("circle", { noise: 0.5, seed: 2 }).filter((p) => p.label !== (Math.hypot(p.x, p.y) < 2.5 ? 1 : 0));
    expect(flipped.length).toBeGreaterThan(5);
  });

  it("spreads the gaussians more with noise", () => {
    const spread = (noise: number) => {
      const pts = generateDataset("gauss", { noise, seed: 5 }).filter((p) => p.label === 1);
      return pts.reduce((s, p) => s + (p.x - 2) ** 2, 0) / pts.length;
    };
    expect(spread(0.5)).toBeGreaterThan(2 * spread(0));
  });

  it("splits by ratio, keeping at least one point on each side", () => {
    const points = generateDataset("xor", { noise: 0, seed: 1 });
    const { train, test } = splitDataset(points, 0.7);
    expect(train).toHaveLength(350);
    expect(test).toHaveLength(150);
    expect([...train, ...test]).toEqual(points);
    expect(splitDataset(points, 0).train).toHaveLength(1);
    expect(splitDataset(points, 1).test).toHaveLength(1);
  });

  it("knows which sets are regression", () => {
    expect(ALL.filter(isRegression)).toEqual(["plane", "multiGauss"]);
  });
});
