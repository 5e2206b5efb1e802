import { describe, expect, it } from "vitest";
import { messageOf } from "./error-of.test-util.js";
import type { Dataset } from "./dataset.js";
import { isDatasetName, listDatasets, loadDataset } from "./builtin.js";


/** Shape checks every dataset must pass: rectangular finite x, one-hot y over its classes. */
function expectWellFormed(d: Dataset, samples: number, features: number, classes: number): void {
  expect(d.x).toHaveLength(samples);
  expect(d.y).toHaveLength(samples);
  expect(d.featureNames).toHaveLength(features);
  expect(d.classes).toHaveLength(classes);
  // NOTE: one expect per dataset, not per value: mnist has 7.8 million of them.
  const badX = d.x.findIndex((row) => row.length !== features || !row.every(Number.isFinite));
  expect(badX).toBe(-1);
  const badY = d.y.findIndex(
    (row) => row.length !== classes || row.filter((v) => v === 1).length !== 1 || row.some((v) => v !== 0 && v !== 1),
  );
  expect(badY).toBe(-1);
}

/** The smallest and largest value in x, and whether every value is an integer. */
function valueRange(d: Dataset): { min: number; max: number; integers: boolean } {
  let min = Infinity;
  let max = -Infinity;
  let integers = true;
  for (const row of d.x) {
    for (const v of row) {
      if (v < min) min = v;
      if (v > max) max = v;
      if (!Number.isInteger(v)) integers = false;
    }
  }
  return { min, max, integers };
}

function classCounts(d: Dataset): number[] {
  const counts = new Array<number>(d.classes?.length ?? 0).fill(0);
  for (const row of d.y) counts[row.indexOf(1)]! += 1;
  return counts;
}

describe("generated datasets", () => {
  it("xor: the four corners labelled a XOR b", () => {
    const d = loadDataset("xor", { seed: 1 });
    expectWellFormed(d, 4, 2, 2);
    const points = d.x.map((p, i) => `${p.join(",")}:${d.y[i]?.indexOf(1)}`).sort();
    expect(points).toEqual(["0,0:0", "0,1:1", "1,0:1", "1,1:0"]);
  });

  it("xor with more samples: noisy points near the corners with the corner's label", () => {
    const d = loadDataset("xor", { seed: 2, samples: 400, noise: 0.1 });
    expectWellFormed(d, 400, 2, 2);
    expect(classCounts(d)).toEqual([200, 200]);
    d.x.forEach((p, i) => {
      const a = Math.round(p[0] as number);
      const b = Math.round(p[1] as number);
      expect(d.y[i]?.indexOf(1)).toBe(a ^ b); // σ = 0.1: no point strays past 0.5
    });
  });

  it("circles: radius 1 for class 0 and 0.5 for class 1, up to the noise", () => {
    const d = loadDataset("circles", { seed: 3, samples: 101, noise: 0 });
    expectWellFormed(d, 101, 2, 2);
    expect(classCounts(d)).toEqual([50, 51]);
    d.x.forEach((p, i) => {
      expect(Math.hypot(p[0] as number, p[1] as number)).toBeCloseTo(d.y[i]?.[0] === 1 ? 1 : 0.5, 12);
    });
  });

  it("moons: points on the two half circles when noise is 0", () => {
    const d = loadDataset("moons", { seed: 4, samples: 60, noise: 0 });
    expectWellFormed(d, 60, 2, 2);
    d.x.forEach((p, i) => {
      const [px, py] = p as [number, number];
      // upper moon: unit circle around (0, 0), y ≥ 0; lower: unit circle around (1, 0.5), y ≤ 0.5
      if (d.y[i]?.[0] === 1) {
        expect(Math.hypot(px, py)).toBeCloseTo(1, 12);
        expect(py).toBeGreaterThanOrEqual(-1e-12);
      } else {
        expect(Math.hypot(px - 1, py - 0.5)).toBeCloseTo(1, 12);
        expect(py).toBeLessThanOrEqual(0.5 + 1e-12);
      }
    });
  });

  it("spirals: three arms of radius 0..1", () => {
    const d = loadDataset("spirals", { seed: 5, samples: 301 });
    expectWellFormed(d, 301, 2, 3);
    expect(classCounts(d)).toEqual([101, 100, 100]);
    for (const p of d.x) expect(Math.hypot(p[0] as number, p[1] as number)).toBeLessThanOrEqual(1 + 1e-12);
  });

  it.each(["xor", "circles", "moons", "spirals"])("%s: same seed, same data; another seed, other data", (name) => {
    const options = { samples: 50, noise: 0.1 };
    const a = loadDataset(name, { seed: 11, ...options });
    expect(loadDataset(name, { seed: 11, ...options })).toEqual(a);
    expect(loadDataset(name, { seed: 12, ...options }).x).not.toEqual(a.x);
  });

  it("defaults match listDatasets", () => {
    for (const info of listDatasets().filter((i) => i.source.startsWith("generated"))) {
      const d = loadDataset(info.name, { seed: 0 });
      expect([d.x.length, d.x[0]?.length, d.classes?.length]).toEqual([info.samples, info.features, info.classes]);
    }
  });

  it("rejects bad options", () => {
    expect(messageOf(() => loadDataset("xor", { seed: 1, samples: 3 }))).toBe(
      "INVALID_ARGUMENT xor: samples must be an integer from 4 to any size (got 3)",
    );
    expect(messageOf(() => loadDataset("moons", { seed: 1, noise: -1 }))).toBe(
      "INVALID_ARGUMENT moons: noise must be a finite number ≥ 0 (got -1)",
    );
    expect(messageOf(() => loadDataset("circles", { seed: Number.NaN }))).toBe(
      "INVALID_ARGUMENT circles: seed must be a finite number (got NaN)",
    );
  });
});

describe("iris", () => {
  it("has 150 × 4 measurements and 3 species of 50", () => {
    const d = loadDataset("iris", { seed: 1 });
    expectWellFormed(d, 150, 4, 3);
    expect(d.classes).toEqual(["setosa", "versicolor", "virginica"]);
    expect(classCounts(d)).toEqual([50, 50, 50]);
    // Fisher's first flower is a setosa with sepal 5.1 × 3.5 and petal 1.4 × 0.2
    const first = d.x.findIndex((r) => r.join() === "5.1,3.5,1.4,0.2");
    expect(d.y[first]).toEqual([1, 0, 0]);
    expect(d.license).toMatch(/CC BY 4\.0/);
  });

  it("is shuffled by the seed and cut by samples", () => {
    const a = loadDataset("iris", { seed: 1 });
    expect(loadDataset("iris", { seed: 1 })).toEqual(a);
    expect(loadDataset("iris", { seed: 2 }).x).not.toEqual(a.x);
    expect(loadDataset("iris", { seed: 1, samples: 30 }).x).toEqual(a.x.slice(0, 30));
    expect(messageOf(() => loadDataset("iris", { seed: 1, samples: 151 }))).toBe(
      "INVALID_ARGUMENT iris: samples must be an integer from 1 to 150 (got 151)",
    );
  });
});

describe("digits", () => {
  it("has 1797 images of 8×8 pixels in 0..16 and 10 classes", () => {
    const d = loadDataset("digits", { seed: 1 });
    expectWellFormed(d, 1797, 64, 10);
    expect(d.classes).toEqual(["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]);
    expect(valueRange(d)).toEqual({ min: 0, max: 16, integers: true });
    // scikit-learn's load_digits class counts
    expect(classCounts(d)).toEqual([178, 182, 177, 183, 181, 182, 181, 179, 174, 180]);
    expect(d.featureNames[9]).toBe("pixel_1_1");
  });

  it("same seed, same order; another seed, another order", () => {
    const a = loadDataset("digits", { seed: 4, samples: 100 });
    expect(loadDataset("digits", { seed: 4, samples: 100 })).toEqual(a);
    expect(loadDataset("digits", { seed: 5, samples: 100 }).x).not.toEqual(a.x);
  });
});

describe("mnist", () => {
  it("has 784 features in [0, 1] and 10 classes, from our own seeded shuffle", () => {
    const d = loadDataset("mnist", { seed: 1 });
    expectWellFormed(d, 10_000, 784, 10);
    const { min, max } = valueRange(d);
    expect([min, max]).toEqual([0, 1]);
    // every digit is present, and the shuffle mixes them (not 1001 zeros first, as the package stores them)
    const counts = classCounts(d);
    expect(counts.every((c) => c > 800)).toBe(true);
    expect(new Set(d.y.slice(0, 50).map((r) => r.indexOf(1))).size).toBeGreaterThan(5);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(10_000);
  });

  it("same seed, same data; another seed, another order; samples cuts it", () => {
    const a = loadDataset("mnist", { seed: 3, samples: 20 });
    expectWellFormed(a, 20, 784, 10);
    expect(loadDataset("mnist", { seed: 3, samples: 20 })).toEqual(a);
    expect(loadDataset("mnist", { seed: 4, samples: 20 }).y).not.toEqual(a.y);
    expect(messageOf(() => loadDataset("mnist", { seed: 1, samples: 0 }))).toBe(
      "INVALID_ARGUMENT mnist: samples must be an integer from 1 to 10000 (got 0)",
    );
  });
});

describe("listDatasets / loadDataset", () => {
  it("lists every dataset with its source, without loading any", () => {
    const list = listDatasets();
    expect(list.map((d) => d.name)).toEqual(["xor", "circles", "moons", "spirals", "iris", "digits", "mnist"]);
    expect(list.find((d) => d.name === "mnist")).toMatchObject({ samples: 10_000, features: 784, classes: 10 });
    expect(list.find((d) => d.name === "mnist")?.source).toMatch(/CC BY-SA 3\.0/);
    expect(list.find((d) => d.name === "digits")?.source).toMatch(/BSD-3-Clause/);
    expect(isDatasetName("moons")).toBe(true);
    expect(isDatasetName("toString")).toBe(false);
  });

  it("rejects an unknown name, listing the known ones", () => {
    expect(messageOf(() => loadDataset("mnits", { seed: 1 }))).toBe(
      'INVALID_ARGUMENT unknown dataset "mnits" (expected one of xor, circles, moons, spirals, iris, digits, mnist)\n' +
        "help: run `backprop datasets` to see them, or pass a .csv or .json file",
    );
  });
});
