import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { DType } from "./dtype.js";
import { BackpropError } from "./errors.js";
import { col2im, convGeometry, im2col, type ConvGeometry, type ConvPadding } from "./im2col.js";
import { matmul } from "./ops.js";
import { Rng } from "./rng.js";
import { Matrix, Tensor } from "./tensor.js";

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return e instanceof BackpropError ? e.code : `not a BackpropError: ${String(e)}`;
  }
  return undefined;
}

/**
 * The convolution written straight from its definition, in float64:
 * y[b, oy, ox, f] = Σ_{ky, kx, c} x[b, oy·sh − top + ky·dh, ox·sw − left + kx·dw, c] · k[ky, kx, c, f],
 * skipping taps outside the input.
 */
function directConv(x: Tensor, kernel: Tensor, g: ConvGeometry): Float64Array {
  const [n, H, W, C] = x.shape as [number, number, number, number];
  const [KH, KW, , F] = kernel.shape as [number, number, number, number];
  const y = new Float64Array(n * g.outHeight * g.outWidth * F);
  for (let b = 0; b < n; b++)
    for (let oy = 0; oy < g.outHeight; oy++)
      for (let ox = 0; ox < g.outWidth; ox++)
        for (let f = 0; f < F; f++) {
          let s = 0;
          for (let ky = 0; ky < KH; ky++)
            for (let kx = 0; kx < KW; kx++) {
              const iy = oy * g.strideHeight - g.padTop + ky * g.dilationHeight;
              const ix = ox * g.strideWidth - g.padLeft + kx * g.dilationWidth;
              if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
              for (let c = 0; c < C; c++) {
                s += (x.data[((b * H + iy) * W + ix) * C + c] as number) * (kernel.data[((ky * KW + kx) * C + c) * F + f] as number);
              }
            }
          y[((b * g.outHeight + oy) * g.outWidth + ox) * F + f] = s;
        }
  return y;
}

interface Case {
  readonly n: number;
  readonly h: number;
  readonly w: number;
  readonly c: number;
  readonly f: number;
  readonly kh: number;
  readonly kw: number;
  readonly sh: number;
  readonly sw: number;
  readonly dh: number;
  readonly dw: number;
  readonly padding: ConvPadding;
  readonly seed: number;
}

const paddingArb: fc.Arbitrary<ConvPadding> = fc.oneof(
  fc.constant("valid" as const),
  fc.constant("same" as const),
  fc
    .tuple(fc.nat(2), fc.nat(2), fc.nat(2), fc.nat(2))
    .map(([t, b, l, r]) => [[t, b], [l, r]] as const),
);

const caseArb: fc.Arbitrary<Case> = fc.record({
  n: fc.integer({ min: 1, max: 3 }),
  h: fc.integer({ min: 1, max: 9 }),
  w: fc.integer({ min: 1, max: 9 }),
  c: fc.integer({ min: 1, max: 4 }),
  f: fc.integer({ min: 1, max: 3 }),
  kh: fc.integer({ min: 1, max: 4 }),
  kw: fc.integer({ min: 1, max: 4 }),
  sh: fc.integer({ min: 1, max: 3 }),
  sw: fc.integer({ min: 1, max: 3 }),
  dh: fc.integer({ min: 1, max: 3 }),
  dw: fc.integer({ min: 1, max: 3 }),
  padding: paddingArb,
  seed: fc.nat(1000),
});

/** The geometry of a case, or undefined when the window does not fit (then convGeometry must say so). */
function geometryOf(t: Case): ConvGeometry | undefined {
  const options = {
    inputShape: [t.h, t.w, t.c],
    kernelSize: [t.kh, t.kw] as const,
    strides: [t.sh, t.sw] as const,
    dilation: [t.dh, t.dw] as const,
    padding: t.padding,
  };
  const spanH = (t.kh - 1) * t.dh + 1;
  const spanW = (t.kw - 1) * t.dw + 1;
  const extra = t.padding === "valid" ? [0, 0] : t.padding === "same" ? undefined : [t.padding[0][0] + t.padding[0][1], t.padding[1][0] + t.padding[1][1]];
  if (extra && (t.h + (extra[0] as number) < spanH || t.w + (extra[1] as number) < spanW)) {
    expect(codeOf(() => convGeometry(options))).toBe("SHAPE_MISMATCH");
    return undefined;
  }
  return convGeometry(options);
}

describe("convGeometry", () => {
  it('"same" is TensorFlow\'s: output ⌈in/stride⌉, the odd padding row/column after', () => {
    const g = convGeometry({ inputShape: [28, 28, 1], kernelSize: [5, 5], strides: [2, 2], padding: "same" });
    expect([g.outHeight, g.outWidth, g.padTop, g.padLeft]).toEqual([14, 14, 1, 1]); // 3 rows: 1 above, 2 below
    const odd = convGeometry({ inputShape: [8, 7, 2], kernelSize: [3, 3], strides: [2, 2], padding: "same" });
    // rows: (4 − 1)·2 + 3 − 8 = 1 → 0 above, 1 below; columns: (4 − 1)·2 + 3 − 7 = 2 → 1 and 1.
    expect([odd.outHeight, odd.outWidth, odd.padTop, odd.padLeft]).toEqual([4, 4, 0, 1]);
    const dilated = convGeometry({ inputShape: [6, 6, 1], kernelSize: [3, 3], dilation: [2, 2], padding: "same" });
    // span 5: 4 zeros, 2 on each side.
    expect([dilated.outHeight, dilated.padTop]).toEqual([6, 2]);
    const big = convGeometry({ inputShape: [2, 2, 1], kernelSize: [5, 5], padding: "same" });
    expect([big.outHeight, big.padTop]).toEqual([2, 2]);
  });

  it('"valid" is ⌊(in − span)/stride⌋ + 1; explicit padding adds to the input', () => {
    const g = convGeometry({ inputShape: [28, 28, 1], kernelSize: [5, 5] });
    expect([g.outHeight, g.outWidth, g.padTop, g.padLeft]).toEqual([24, 24, 0, 0]);
    const s = convGeometry({ inputShape: [8, 9, 1], kernelSize: [3, 2], strides: [2, 3], dilation: [2, 1] });
    expect([s.outHeight, s.outWidth]).toEqual([2, 3]);
    const p = convGeometry({ inputShape: [4, 4, 1], kernelSize: [3, 3], padding: [[1, 0], [2, 2]] });
    expect([p.outHeight, p.outWidth, p.padTop, p.padLeft]).toEqual([3, 6, 1, 2]);
    expect(Object.isFrozen(p)).toBe(true);
  });

  it("rejects a window larger than the padded input and malformed options with our errors", () => {
    expect(codeOf(() => convGeometry({ inputShape: [4, 4, 1], kernelSize: [5, 5] }))).toBe("SHAPE_MISMATCH");
    expect(codeOf(() => convGeometry({ inputShape: [5, 5, 1], kernelSize: [3, 3], dilation: [3, 1] }))).toBe("SHAPE_MISMATCH");
    expect(() => convGeometry({ inputShape: [4, 4, 1], kernelSize: [5, 5] })).toThrow(/the 5×5 window does not fit the 4×4 input with "valid" padding \(got an output of 0×0, expected at least 1×1\)/);
    expect(codeOf(() => convGeometry({ inputShape: [4, 4], kernelSize: [1, 1] }))).toBe("SHAPE_MISMATCH");
    expect(codeOf(() => convGeometry({ inputShape: [4, 4, 1], kernelSize: [0, 1] }))).toBe("INVALID_ARGUMENT");
    expect(codeOf(() => convGeometry({ inputShape: [4, 4, 1], kernelSize: [1, 1], strides: [0, 1] }))).toBe("INVALID_ARGUMENT");
    expect(codeOf(() => convGeometry({ inputShape: [4, 4, 1], kernelSize: [1, 1], padding: [[-1, 0], [0, 0]] }))).toBe("INVALID_ARGUMENT");
    expect(codeOf(() => convGeometry({ inputShape: [4, 4, 1], kernelSize: [1, 1], padding: "full" as ConvPadding }))).toBe("INVALID_ARGUMENT");
  });
});

describe("im2col and col2im", () => {
  it("im2col · kernel equals a direct convolution (random shapes, strides, dilations, padding), float64 and float32", () => {
    fc.assert(
      fc.property(caseArb, fc.constantFrom<DType>("float64", "float32"), (t, dtype) => {
        const g = geometryOf(t);
        if (!g) return;
        const rng = new Rng(t.seed);
        const x = rng.fillNormal(new Tensor([t.n, t.h, t.w, t.c], dtype));
        const kernel = rng.fillNormal(new Tensor([t.kh, t.kw, t.c, t.f], dtype));
        const patches = im2col(x, g);
        expect(patches.shape).toEqual([t.n * g.outHeight * g.outWidth, t.kh * t.kw * t.c]);
        const y = matmul(patches, kernel.reshape([-1, t.f]) as Matrix);
        const want = directConv(x, kernel, g);
        // float32 sums of ≤ 64 products of unit normals, each rounded to ~6e-8 relative.
        const tol = dtype === "float64" ? 1e-12 : 1e-4;
        for (let i = 0; i < want.length; i++) expect(Math.abs((y.data[i] as number) - (want[i] as number))).toBeLessThanOrEqual(tol);
      }),
      { numRuns: 300, seed: 20240611 },
    );
  });

  it("col2im is the adjoint of im2col: ⟨im2col(x), P⟩ = ⟨x, col2im(P)⟩ in float64", () => {
    fc.assert(
      fc.property(caseArb, (t) => {
        const g = geometryOf(t);
        if (!g) return;
        const rng = new Rng(t.seed + 1);
        const x = rng.fillNormal(new Tensor([t.n, t.h, t.w, t.c], "float64"));
        const p = rng.fillNormal(new Matrix(t.n * g.outHeight * g.outWidth, t.kh * t.kw * t.c, "float64"));
        const ix = im2col(x, g);
        const cp = col2im(p, g);
        let left = 0;
        let scale = 0;
        for (let i = 0; i < p.size; i++) {
          left += (ix.data[i] as number) * (p.data[i] as number);
          scale += Math.abs((ix.data[i] as number) * (p.data[i] as number));
        }
        let right = 0;
        for (let i = 0; i < x.size; i++) right += (x.data[i] as number) * (cp.data[i] as number);
        expect(Math.abs(left - right)).toBeLessThanOrEqual(1e-12 * Math.max(1, scale));
      }),
      { numRuns: 300, seed: 7 },
    );
  });

  it("writes every element of a preallocated out (im2col) and zeroes col2im's out first", () => {
    const g = convGeometry({ inputShape: [3, 3, 2], kernelSize: [2, 2], padding: "same" });
    const x = Tensor.fromFlat([1, 3, 3, 2], Array.from({ length: 18 }, (_, i) => i + 1), "float32");
    const out = Matrix.full(9, 8, Number.NaN, "float32");
    expect(im2col(x, g, out)).toBe(out);
    expect(out.data.every((v) => Number.isFinite(v))).toBe(true);
    // Output pixel (0, 0) reads input (0..1, 0..1); (2, 2) reads (2, 2) and three taps of padding.
    expect(Array.from(out.data.subarray(0, 8))).toEqual([1, 2, 3, 4, 7, 8, 9, 10]);
    expect(Array.from(out.data.subarray(64, 72))).toEqual([17, 18, 0, 0, 0, 0, 0, 0]);
    const dx = Tensor.full([1, 3, 3, 2], 99, "float32");
    col2im(Matrix.full(9, 8, 1, "float32"), g, dx);
    // How many windows read each input pixel: 1 in the corner, 4 inside.
    expect(Array.from(dx.data.filter((_, i) => i % 2 === 0))).toEqual([1, 2, 2, 2, 4, 4, 2, 4, 4]);
  });

  it("checks shapes, dtypes and aliasing at the edge with our errors", () => {
    const g = convGeometry({ inputShape: [4, 4, 1], kernelSize: [3, 3] });
    const x = new Tensor([2, 4, 4, 1]);
    expect(codeOf(() => im2col(new Tensor([2, 4, 5, 1]), g))).toBe("SHAPE_MISMATCH");
    expect(codeOf(() => im2col(x, g, new Matrix(8, 8)))).toBe("SHAPE_MISMATCH");
    expect(codeOf(() => im2col(x, g, new Matrix(8, 9, "float32")))).toBe("INVALID_ARGUMENT");
    expect(codeOf(() => col2im(new Matrix(8, 8), g))).toBe("SHAPE_MISMATCH");
    expect(codeOf(() => col2im(new Matrix(8, 9), g, new Tensor([3, 4, 4, 1])))).toBe("SHAPE_MISMATCH");
    const shared = new Float64Array(32 + 72);
    const xs = new Tensor([2, 4, 4, 1], "float64", shared.subarray(0, 32));
    expect(codeOf(() => im2col(xs, g, new Matrix(8, 9, "float64", shared.subarray(30, 102))))).toBe("INVALID_ARGUMENT");
    expect(codeOf(() => im2col(x, { ...g, strideHeight: 0 }))).toBe("INVALID_ARGUMENT");
    // A hand-made geometry is fine when consistent; extreme offsets only read padding.
    const far = im2col(x, { ...g, padTop: 100 });
    expect(far.data.every((v) => v === 0)).toBe(true);
  });
});
