import { describe, expect, it } from "vitest";
import {
  CLASSIFICATION_DATASETS, DATASET_LABELS, DOMAIN, MULTICLASS_DATASETS, REGRESSION_DATASETS,
  classCount, generateDataset, isMulticlass, isRegression, multiGaussTarget, splitDataset, type Point,
} from "./datasets.js";

const ALL = [...CLASSIFICATION_DATASETS, ...MULTICLASS_DATASETS, ...REGRESSION_DATASETS];

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
    expect(isRegression("custom")).toBe(false);
  });

  it("keeps every class in train when the test side would take a class whole", () => {
    // class 2 only at the end: a plain 50 % cut leaves it all in test
    const points: Point[] = [
      ...Array.from({ length: 6 }, (_, i) => ({ x: i, y: 0, label: i % 2 })),
      { x: 10, y: 0, label: 2 },
      { x: 11, y: 0, label: 2 },
    ];
    const { train, test } = splitDataset(points, 0.5);
    expect(train).toHaveLength(4);
    expect(test).toHaveLength(4);
    expect(new Set(train.map((p) => p.label))).toEqual(new Set([0, 1, 2]));
    expect([...train, ...test].sort((a, b) => a.x - b.x)).toEqual(points);
    expect(splitDataset(points, 0.5)).toEqual({ train, test }); // deterministic
    // the last training point of a class with points to spare trades places with the first missing one
    expect(train[3]).toEqual({ x: 10, y: 0, label: 2 });
    expect(test.map((p) => p.x)).toEqual([4, 5, 3, 11]);
  });

  it("keeps every class of every multiclass set in train, even at a 10 % split", () => {
    for (const name of MULTICLASS_DATASETS) {
      const { train } = splitDataset(generateDataset(name, { noise: 0.1, seed: 9, samples: 40 }), 0.1);
      expect(train).toHaveLength(4);
      expect(new Set(train.map((p) => p.label)).size, name).toBe(Math.min(4, classCount(name)));
    }
  });

  it("splits regression points by position only", () => {
    const points = generateDataset("plane", { noise: 0, seed: 1, samples: 20 });
    expect(splitDataset(points, 0.3).train).toEqual(points.slice(0, 6));
  });

  it("does the best it can when there are more classes than training points", () => {
    const points: Point[] = [0, 1, 2, 3, 4].map((label) => ({ x: label, y: 0, label }));
    const { train, test } = splitDataset(points, 0.4);
    expect(train.map((p) => p.label)).toEqual([0, 1]);
    expect(test.map((p) => p.label)).toEqual([2, 3, 4]);
  });
});

describe("multiclass data sets", () => {
  it.each(MULTICLASS_DATASETS)("%s: k classes, balanced within 10 %%, inside the plane at any noise", (name) => {
    const k = classCount(name);
    expect(k).toBe({ blobs3: 3, blobs4: 4, spiral3: 3, spiral5: 5 }[name]);
    expect(isMulticlass(name)).toBe(true);
    for (const noise of [0, 0.25, 0.5]) {
      for (const seed of [1, 2, 3]) {
        const points = generateDataset(name, { noise, seed });
        expect(points).toHaveLength(500);
        const counts = Array.from({ length: k }, (_, c) => points.filter((p) => p.label === c).length);
        expect(counts.reduce((a, b) => a + b, 0)).toBe(500); // every label is an index 0..k−1
        for (const count of counts) expect(Math.abs(count - 500 / k)).toBeLessThanOrEqual(0.1 * (500 / k));
        expect(points.every((p) => Math.abs(p.x) <= DOMAIN && Math.abs(p.y) <= DOMAIN)).toBe(true);
        expect(points.every((p) => Number.isFinite(p.x) && Number.isFinite(p.y))).toBe(true);
      }
    }
    expect(DATASET_LABELS[name]).toMatch(/\w/);
  });

  it("counts classes: 2 for binary sets, 1 for regression, and refuses the user's own data", () => {
    for (const name of CLASSIFICATION_DATASETS) expect(classCount(name)).toBe(2);
    for (const name of REGRESSION_DATASETS) expect(classCount(name)).toBe(1);
    expect(ALL.filter(isMulticlass)).toEqual([...MULTICLASS_DATASETS]);
    expect(isMulticlass("custom")).toBe(false);
    expect(() => classCount("custom")).toThrow(/custom/);
  });

  it("cannot generate the user's own data, and says so", () => {
    expect(() => generateDataset("custom", { noise: 0, seed: 1 })).toThrow(/"custom" is the user's own data/);
    expect(DATASET_LABELS.custom).toBe("Your data");
  });

  it("puts each blob's points around its own centre, one centre per class", () => {
    const points = generateDataset("blobs4", { noise: 0, seed: 4 });
    const quadrant = (p: Point): number => (p.x >= 0 ? (p.y >= 0 ? 0 : 3) : p.y >= 0 ? 1 : 2);
    for (let c = 0; c < 4; c++) {
      const mine = points.filter((p) => p.label === c);
      const home = mine.filter((p) => quadrant(p) === c).length;
      expect(home / mine.length, `class ${c}`).toBeGreaterThan(0.9);
    }
  });

  it("winds each spiral arm out from the centre to radius 5", () => {
    const points = generateDataset("spiral5", { noise: 0, seed: 1 });
    for (let c = 0; c < 5; c++) {
      const radii = points.filter((p) => p.label === c).map((p) => Math.hypot(p.x, p.y));
      expect(Math.min(...radii)).toBe(0);
      expect(Math.max(...radii)).toBeGreaterThan(4.9);
      expect(Math.max(...radii)).toBeLessThan(5);
    }
  });

  it("spreads blobs and spiral arms more with noise", () => {
    const spread = (name: "blobs3" | "spiral3", noise: number): number => {
      const pts = generateDataset(name, { noise, seed: 5 });
      const sorted = (c: number): Point[] => pts.filter((p) => p.label === c);
      // mean distance to the nearest point of another class: shrinks as classes overlap
      let total = 0;
      for (const p of sorted(0)) total += Math.min(...[...sorted(1), ...sorted(2)].map((q) => Math.hypot(p.x - q.x, p.y - q.y)));
      return total / sorted(0).length;
    };
    expect(spread("blobs3", 0.5)).toBeLessThan(spread("blobs3", 0));
    expect(spread("spiral3", 0.5)).toBeLessThan(spread("spiral3", 0));
  });
});
