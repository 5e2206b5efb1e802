import { Rng, isBackpropError } from "@backprop/linalg";
import { describe, expect, it } from "vitest";
import { toMatrix, trainValidationSplit } from "./split.js";

const n = 10;
const x = Array.from({ length: n }, (_, i) => [i, 10 * i]);
const y = Array.from({ length: n }, (_, i) => [i % 2]);

describe("trainValidationSplit", () => {
  it("holds out round(n · fraction) samples, each sample exactly once, x and y together", () => {
    const s = trainValidationSplit(x, y, 0.25, 3);
    expect(s.trainX.length).toBe(7); // round(2.5) = 3 held out
    expect(s.valX.length).toBe(3);
    const seen = [...s.trainX, ...s.valX].map((r) => r[0]).sort((a, b) => (a as number) - (b as number));
    expect(seen).toEqual(x.map((r) => r[0]));
    [...s.trainX.map((r, k) => [r, s.trainY[k]]), ...s.valX.map((r, k) => [r, s.valY[k]])].forEach(([row, target]) => {
      expect(target).toEqual([(row?.[0] as number) % 2]);
      expect(row?.[1]).toBe(10 * (row?.[0] as number));
    });
  });

  it("is deterministic in the seed, and a seed equals a fresh Rng of it", () => {
    const a = trainValidationSplit(x, y, 0.3, 7);
    expect(trainValidationSplit(x, y, 0.3, 7)).toEqual(a);
    expect(trainValidationSplit(x, y, 0.3, new Rng(7))).toEqual(a);
    expect(trainValidationSplit(x, y, 0.3, 8).valX).not.toEqual(a.valX);
  });

  it("shuffles even with no validation set", () => {
    const s = trainValidationSplit(x, y, 0, 1);
    expect(s.valX).toEqual([]);
    expect(s.trainX).toHaveLength(n);
    expect(s.trainX).not.toEqual(x);
  });

  it("keeps at least one sample on each side", () => {
    expect(trainValidationSplit(x, y, 0.01, 1).valX).toHaveLength(1);
    expect(trainValidationSplit(x, y, 0.99, 1).trainX).toHaveLength(1);
  });

  it("rejects bad arguments", () => {
    const codeOf = (f: () => unknown): string => {
      try {
        f();
      } catch (e) {
        if (isBackpropError(e)) return `${e.code} ${e.message}`;
      }
      return "no error";
    };
    expect(codeOf(() => trainValidationSplit(x, y, 1, 1))).toBe(
      "INVALID_ARGUMENT --validation-split: must be in [0, 1) (got 1)",
    );
    expect(codeOf(() => trainValidationSplit(x, y.slice(1), 0.2, 1))).toBe(
      "INVALID_ARGUMENT --validation-split: the data has 10 input rows but 9 targets (expected the same)",
    );
    expect(codeOf(() => trainValidationSplit([[1]], [[1]], 0.5, 1))).toBe(
      "INVALID_ARGUMENT --validation-split: cannot hold out rows from 1 sample (expected at least 2)",
    );
  });
});

describe("toMatrix", () => {
  it("packs rows row-major in the requested dtype", () => {
    const m = toMatrix([[1, 2, 3], [4, 5, 6]], "float32");
    expect([m.rows, m.cols, m.dtype]).toEqual([2, 3, "float32"]);
    expect(Array.from(m.data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(toMatrix([[0.1]]).data).toBeInstanceOf(Float64Array);
  });
});
