import { Rng, Tensor } from "@backprop/linalg";
import { errorCode } from "@backprop/testing";
import { describe, expect, it } from "vitest";
import {
  IndexPool,
  avgPool2dBackward,
  avgPool2dForward,
  maxPool2dBackward,
  maxPool2dForward,
  poolAxis,
  poolGeometry,
  readPooling2DConfig,
  type PoolPadding,
} from "./pool2d.js";

/**
 * The textbook definition, written independently of the kernels: pad the input explicitly (padded
 * cells marked as absent), then look at every window cell by cell.
 */
function naivePool(x: Tensor, pool: [number, number], strides: [number, number], padding: PoolPadding, kind: "max" | "avg"): number[] {
  const [n, h, w, c] = x.shape as [number, number, number, number];
  const at = (b: number, i: number, j: number, k: number) => x.data[((b * h + i) * w + j) * c + k] as number;
  const axis = (len: number, p: number, s: number) => {
    if (padding === "valid") return { out: Math.floor((len - p) / s) + 1, before: 0 };
    const out = Math.ceil(len / s);
    const total = Math.max((out - 1) * s + p - len, 0);
    return { out, before: Math.floor(total / 2) };
  };
  const rows = axis(h, pool[0], strides[0]);
  const cols = axis(w, pool[1], strides[1]);
  const out: number[] = [];
  for (let b = 0; b < n; b++)
    for (let i = 0; i < rows.out; i++)
      for (let j = 0; j < cols.out; j++)
        for (let k = 0; k < c; k++) {
          const cells: number[] = [];
          for (let p = 0; p < pool[0]; p++)
            for (let q = 0; q < pool[1]; q++) {
              const r = i * strides[0] + p - rows.before;
              const s = j * strides[1] + q - cols.before;
              if (r >= 0 && r < h && s >= 0 && s < w) cells.push(at(b, r, s, k));
            }
          out.push(kind === "max" ? Math.max(...cells) : cells.reduce((a, v) => a + v, 0) / cells.length);
        }
  return out;
}

const cases: { shape: [number, number, number]; pool: [number, number]; strides: [number, number]; padding: PoolPadding }[] = [
  { shape: [4, 4, 1], pool: [2, 2], strides: [2, 2], padding: "valid" },
  { shape: [5, 7, 3], pool: [2, 2], strides: [2, 2], padding: "valid" },
  { shape: [5, 7, 3], pool: [2, 2], strides: [2, 2], padding: "same" },
  { shape: [7, 6, 2], pool: [3, 3], strides: [2, 2], padding: "valid" },
  { shape: [7, 6, 2], pool: [3, 3], strides: [2, 2], padding: "same" },
  { shape: [5, 5, 2], pool: [3, 2], strides: [1, 1], padding: "same" },
  { shape: [5, 5, 2], pool: [2, 3], strides: [1, 2], padding: "valid" },
  { shape: [6, 5, 1], pool: [1, 1], strides: [3, 2], padding: "same" },
  { shape: [3, 3, 4], pool: [4, 4], strides: [1, 1], padding: "same" },
];

describe("poolAxis and poolGeometry (TensorFlow's output sizes and padding)", () => {
  it("valid: ⌊(in − pool)/stride⌋ + 1; same: ⌈in/stride⌉ with the odd padded cell after the input", () => {
    expect(poolAxis(5, 2, 2, "valid")).toEqual({ out: 2, padBefore: 0 });
    expect(poolAxis(5, 2, 2, "same")).toEqual({ out: 3, padBefore: 0 });
    expect(poolAxis(5, 3, 1, "same")).toEqual({ out: 5, padBefore: 1 });
    expect(poolAxis(5, 4, 1, "same")).toEqual({ out: 5, padBefore: 1 }); // 3 padded cells: 1 before, 2 after
    expect(poolAxis(7, 3, 2, "valid")).toEqual({ out: 3, padBefore: 0 });
    expect(poolAxis(4, 2, 2, "same")).toEqual({ out: 2, padBefore: 0 });
    expect(poolAxis(6, 1, 3, "same")).toEqual({ out: 2, padBefore: 0 });
  });

  it("rejects non-images and windows that do not fit with padding valid", () => {
    expect(poolGeometry("p", [5, 5, 3], [2, 2], [2, 2], "same")).toMatchObject({ outHeight: 3, outWidth: 3, padTop: 0, padLeft: 0 });
    expect(errorCode(() => poolGeometry("p", [1, 5, 3], [2, 2], [2, 2], "valid"))).toBe("SHAPE_MISMATCH");
    expect(poolGeometry("p", [1, 5, 3], [2, 2], [2, 2], "same")).toMatchObject({ outHeight: 1, outWidth: 3 });
    expect(errorCode(() => poolGeometry("p", [5, 5], [2, 2], [2, 2], "valid"))).toBe("SHAPE_MISMATCH");
    expect(errorCode(() => poolGeometry("p", [5, 5, 0], [2, 2], [2, 2], "valid"))).toBe("SHAPE_MISMATCH");
    expect(() => poolGeometry("maxPooling2d_0", [1, 1, 3], [2, 2], [2, 2], "valid")).toThrow(
      /^maxPooling2d_0: a 2×2 window does not fit the input 1×1 with padding "valid" \(got \[1, 1, 3\], expected/,
    );
  });

  it("readPooling2DConfig fills Keras' defaults and reads a number as both axes", () => {
    expect(readPooling2DConfig("P", {})).toEqual({ poolSize: [2, 2], strides: [2, 2], padding: "valid", inputShape: undefined, name: undefined });
    expect(readPooling2DConfig("P", { poolSize: 3 })).toMatchObject({ poolSize: [3, 3], strides: [3, 3] });
    expect(readPooling2DConfig("P", { poolSize: [3, 2], strides: null })).toMatchObject({ poolSize: [3, 2], strides: [3, 2] });
    expect(readPooling2DConfig("P", { strides: [1, 2], padding: "same" })).toMatchObject({ poolSize: [2, 2], strides: [1, 2], padding: "same" });
  });
});

describe("pooling kernels agree with the textbook definition", () => {
  for (const { shape, pool, strides, padding } of cases) {
    const label = `[${shape.join(", ")}] pool ${pool.join("×")} stride ${strides.join("×")} ${padding}`;
    it(label, () => {
      const batch = 2;
      const g = poolGeometry("p", shape, pool, strides, padding);
      for (const dtype of ["float64", "float32"] as const) {
        const x = new Rng(11).fillNormal(new Tensor([batch, ...shape], dtype));
        const outSize = batch * g.outHeight * g.outWidth * g.channels;
        const y = new Tensor([outSize], dtype).data;
        const argmax = new Int32Array(outSize);
        maxPool2dForward(x.data, y, argmax, batch, g);
        expect(Array.from(y)).toEqual(naivePool(x, pool, strides, padding, "max"));
        // argmax points at the value that won.
        expect(Array.from(argmax, (i) => x.data[i])).toEqual(Array.from(y));
        avgPool2dForward(x.data, y, batch, g, new Float64Array(g.channels));
        const expected = naivePool(x, pool, strides, padding, "avg");
        if (dtype === "float64") {
          expect(Array.from(y).every((v, i) => Math.abs(v - (expected[i] as number)) < 1e-15)).toBe(true);
        } else {
          // float32: the float64 average rounded once.
          expect(Array.from(y)).toEqual(Array.from(Float32Array.from(expected)));
        }
      }
    });
  }

  it("backward kernels are the transposes of the forward ones: ⟨dy, pool(x)⟩ = ⟨pool'(dy), x⟩ for the linear average", () => {
    const shape: [number, number, number] = [7, 6, 2];
    const g = poolGeometry("p", shape, [3, 3], [2, 2], "same");
    const rng = new Rng(3);
    const x = rng.fillNormal(new Tensor([2, ...shape], "float64"));
    const dy = rng.fillNormal(new Tensor([2, g.outHeight, g.outWidth, g.channels], "float64"));
    const y = new Float64Array(dy.size);
    const dx = new Float64Array(x.size).fill(7); // the kernels overwrite, never add to old values
    const scratch = new Float64Array(g.channels);
    avgPool2dForward(x.data, y, 2, g, scratch);
    avgPool2dBackward(dy.data, dx, 2, g, scratch);
    const lhs = y.reduce((s, v, i) => s + v * (dy.data[i] as number), 0);
    const rhs = dx.reduce((s, v, i) => s + v * (x.data[i] as number), 0);
    expect(Math.abs(lhs - rhs)).toBeLessThan(1e-12);
  });

  it("max backward scatters dy to the recorded winners and adds where windows overlap", () => {
    // One channel, 1×3 input, windows of 2 with stride 1: both windows pick the middle cell.
    const g = poolGeometry("p", [1, 3, 1], [1, 2], [1, 1], "valid");
    const y = new Float64Array(2);
    const argmax = new Int32Array(2);
    maxPool2dForward(Float64Array.of(1, 5, 2), y, argmax, 1, g);
    expect(Array.from(y)).toEqual([5, 5]);
    const dx = Float64Array.of(9, 9, 9);
    maxPool2dBackward(Float64Array.of(0.5, 0.25), argmax, dx);
    expect(Array.from(dx)).toEqual([0, 0.75, 0]);
  });

  it("IndexPool hands out one array per batch size", () => {
    const pool = new IndexPool(6);
    const a = pool.get(4);
    expect(a.length).toBe(24);
    expect(pool.get(3)).not.toBe(a);
    expect(pool.get(4)).toBe(a);
  });
});
