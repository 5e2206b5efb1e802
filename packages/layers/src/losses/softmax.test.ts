import { Matrix, isBackpropError } from "@backprop/linalg";
import { expectClose } from "@backprop/testing";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { softmax } from "./softmax.js";

const finiteRows = fc
  .integer({ min: 1, max: 6 })
  .chain((cols) =>
    fc.array(fc.array(fc.double({ noNaN: true, noDefaultInfinity: true }), { minLength: cols, maxLength: cols }), {
      minLength: 1,
      maxLength: 4,
    }),
  );

describe("softmax", () => {
  it("gives known values", () => {
    expectClose(softmax(Matrix.fromArray([[0, Math.log(3)]])), [0.25, 0.75], 1e-15, "softmax");
    expectClose(softmax(Matrix.fromArray([[1, 1, 1, 1]])), [0.25, 0.25, 0.25, 0.25], 0, "uniform");
  });

  it("is stable for logits ±1000", () => {
    expectClose(softmax(Matrix.fromArray([[1000, 1000], [-1000, 1000], [-1000, -1000]])), [0.5, 0.5, 0, 1, 0.5, 0.5], 0, "±1000");
  });

  it("rows are in [0, 1] and sum to 1 for any finite logits", () => {
    fc.assert(
      fc.property(finiteRows, (rows) => {
        const p = softmax(Matrix.fromArray(rows));
        for (let i = 0; i < p.rows; i++) {
          let s = 0;
          for (let j = 0; j < p.cols; j++) {
            const v = p.get(i, j);
            expect(v).toBeGreaterThanOrEqual(0);
            expect(v).toBeLessThanOrEqual(1);
            s += v;
          }
          expect(Math.abs(s - 1)).toBeLessThan(1e-12);
        }
      }),
    );
  });

  it("does not change when a constant is added to a row", () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -50, max: 50, noNaN: true }), { minLength: 1, maxLength: 6 }),
        fc.double({ min: -1000, max: 1000, noNaN: true }),
        (row, c) => {
          const a = softmax(Matrix.fromArray([row]));
          const b = softmax(Matrix.fromArray([row.map((v) => v + c)]));
          for (let j = 0; j < row.length; j++) expect(Math.abs(a.data[j]! - b.data[j]!)).toBeLessThan(1e-9);
        },
      ),
    );
  });

  it("works in place and on float32", () => {
    const z = Matrix.fromArray([[0, Math.log(3)], [2, 2]], "float32");
    const out = softmax(z, z);
    expect(out).toBe(z);
    expectClose(z, [0.25, 0.75, 0.5, 0.5], 1e-7, "in place float32");
  });

  it("allocates the output with the input dtype and checks a given one", () => {
    expect(softmax(Matrix.zeros(2, 3, "float32")).dtype).toBe("float32");
    try {
      softmax(Matrix.zeros(2, 3), Matrix.zeros(3, 2));
      expect.unreachable();
    } catch (e) {
      expect(isBackpropError(e) && e.code).toBe("SHAPE_MISMATCH");
      expect((e as Error).message).toContain("got 3×2, expected 2×3");
    }
  });
});
