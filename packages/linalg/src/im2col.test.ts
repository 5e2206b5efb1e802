import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { getBackend, setBackend } from "./backend.js";
import type { DType, FloatArray } from "./dtype.js";
import { BackpropError } from "./errors.js";
import {
  col2im,
  col2imReference,
  conv2dForward,
  conv2dInputGradient,
  conv2dBackward,
  conv2dMaxPool,
  conv2dKernelGradient,
  convGeometry,
  im2col,
  im2colReference,
  type ConvGeometry,
  type ConvPadding,
} from "./im2col.js";
import type { KernelBackend } from "./kernel-backend.js";
import { addRowVector, matmul } from "./ops.js";
import { Rng } from "./rng.js";
import { applyRelu, maxPool2dForward, type PoolGeometry } from "./elementwise.js";
import { Matrix, Tensor } from "./tensor.js";
import { typescriptBackend } from "./typescript-backend.js";
import { wasmPrivateInitialPages } from "./generated/wasm-gemm-binary.js";
import { createWasmBackend, isWasmSimdSupported, type WasmBackend } from "./wasm-backend.js";

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

// ---------------------------------------------------------------------------------------------
// Backends: their im2col and col2im must give the reference loops' bits, and their fused
// convolution passes the bits of the composition they replace, on the same backend.

/** Index of the first element whose bits differ (NaN payloads included), or -1; lengths must match. */
function firstDifference(a: FloatArray, b: FloatArray): number {
  expect(a.length).toBe(b.length);
  expect(a instanceof Float32Array).toBe(b instanceof Float32Array);
  const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  if (Buffer.compare(x, y) === 0) return -1;
  const size = a.BYTES_PER_ELEMENT;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return Math.floor(i / size);
  return -1;
}

/** Same bits, element for element; on failure the message names the first differing element. */
function expectSameBits(got: FloatArray, want: FloatArray, what: string): void {
  const i = firstDifference(got, want);
  if (i >= 0) expect.fail(`${what}: element ${i} is ${String(got[i])}, expected ${String(want[i])} (of ${got.length})`);
}

/** Counts the fused passes a backend ran (it may decline one, returning false). */
function spying(inner: KernelBackend): KernelBackend & { ran: number; declined: number } {
  const spy = {
    ...inner,
    ran: 0,
    declined: 0,
  };
  const count = (ran: boolean): boolean => {
    if (ran) spy.ran++;
    else spy.declined++;
    return ran;
  };
  if (inner.conv2dForward) spy.conv2dForward = (...args) => count(inner.conv2dForward?.(...args) === true);
  if (inner.conv2dKernelGradient) spy.conv2dKernelGradient = (...args) => count(inner.conv2dKernelGradient?.(...args) === true);
  if (inner.conv2dInputGradient) spy.conv2dInputGradient = (...args) => count(inner.conv2dInputGradient?.(...args) === true);
  return spy;
}

// Larger shapes than caseArb: most patch matrices span several of the WASM kernels' chunks
// (256 KiB each), with row counts that are not multiples of the chunk or of the 4-row tile.
const largeCaseArb: fc.Arbitrary<Case> = fc.record({
  n: fc.integer({ min: 1, max: 4 }),
  h: fc.integer({ min: 1, max: 40 }),
  w: fc.integer({ min: 1, max: 40 }),
  c: fc.integer({ min: 1, max: 9 }),
  f: fc.integer({ min: 1, max: 19 }),
  kh: fc.integer({ min: 1, max: 6 }),
  kw: fc.integer({ min: 1, max: 6 }),
  sh: fc.integer({ min: 1, max: 3 }),
  sw: fc.integer({ min: 1, max: 3 }),
  dh: fc.integer({ min: 1, max: 3 }),
  dw: fc.integer({ min: 1, max: 3 }),
  padding: paddingArb,
  seed: fc.nat(1000),
});

const dtypeArb = fc.constantFrom<DType>("float32", "float64");

const wasmBackends: [string, () => WasmBackend][] = isWasmSimdSupported()
  ? [
      // minWork 0: every size runs in WASM; the default hands tiny ones to TypeScript.
      ["wasm, minWork 0", () => createWasmBackend({ minWork: 0 })],
      ["wasm, default", () => createWasmBackend()],
      ["wasm, no relaxed SIMD", () => createWasmBackend({ minWork: 0, relaxed: false })],
    ]
  : [];

const original = getBackend();
afterEach(() => {
  setBackend(original);
});

interface Operands {
  readonly g: ConvGeometry;
  readonly x: Tensor;
  readonly kernel: Matrix;
  readonly bias: Matrix;
  readonly delta: Matrix;
  readonly patches: Matrix;
  readonly start: Matrix;
}

function operands(t: Case, dtype: DType): Operands | undefined {
  const g = geometryOf(t);
  if (!g) return undefined;
  const rng = new Rng(t.seed + 3);
  const rows = t.n * g.outHeight * g.outWidth;
  const taps = t.kh * t.kw * t.c;
  return {
    g,
    x: rng.fillNormal(new Tensor([t.n, t.h, t.w, t.c], dtype)),
    kernel: rng.fillNormal(new Matrix(taps, t.f, dtype)),
    bias: rng.fillNormal(new Matrix(1, t.f, dtype)),
    delta: rng.fillNormal(new Matrix(rows, t.f, dtype)),
    patches: rng.fillNormal(new Matrix(rows, taps, dtype)),
    start: rng.fillNormal(new Matrix(taps, t.f, dtype)),
  };
}

/** im2col and col2im on `backend` against the reference loops. */
function checkGatherScatter(backend: KernelBackend, o: Operands): void {
  setBackend(backend);
  const { g, x, patches } = o;
  const batch = x.shape[0] as number;
  const want = new Matrix(patches.rows, patches.cols, x.dtype);
  im2colReference(g, batch, x.data, want.data);
  expectSameBits(im2col(x, g, Matrix.full(patches.rows, patches.cols, Number.NaN, x.dtype)).data, want.data, "im2col");
  const wantDx = new Tensor(x.shape, x.dtype);
  col2imReference(g, batch, patches.data, wantDx.data);
  expectSameBits(col2im(patches, g, Tensor.full(x.shape, Number.NaN, x.dtype)).data, wantDx.data, "col2im");
}

/** The three fused passes on `backend` against im2col/col2im composed with matmul on the same backend. */
/** How many conv2dMaxPool calls a backend ran itself (checkPasses counts them). */
let fusedPools = 0;

function checkPasses(backend: KernelBackend, o: Operands): void {
  setBackend(backend);
  const { g, x, kernel, bias, delta } = o;
  const p = im2col(x, g);
  for (const withBias of [false, true]) {
    const want = matmul(p, kernel);
    if (withBias) addRowVector(want, bias, want);
    const got = conv2dForward(x, g, kernel, Matrix.full(want.rows, want.cols, Number.NaN, x.dtype), withBias ? bias : undefined);
    expectSameBits(got.data, want.data, `conv2dForward${withBias ? " with bias" : ""}`);
    // The fused ReLU: the bits of applyRelu on the result.
    applyRelu(want.data, want.data);
    const activated = conv2dForward(x, g, kernel, Matrix.full(want.rows, want.cols, Number.NaN, x.dtype), withBias ? bias : undefined, "relu");
    expectSameBits(activated.data, want.data, `conv2dForward${withBias ? " with bias" : ""} and ReLU`);
  }
  for (const accumulate of [false, true]) {
    const want = matmul(p, delta, o.start.clone(), { transA: true, accumulate });
    const got = conv2dKernelGradient(x, g, delta, accumulate ? o.start.clone() : Matrix.full(o.start.rows, o.start.cols, Number.NaN, x.dtype), accumulate);
    expectSameBits(got.data, want.data, `conv2dKernelGradient${accumulate ? " accumulating" : ""}`);
  }
  const want = col2im(matmul(delta, kernel, undefined, { transB: true }), g);
  expectSameBits(conv2dInputGradient(delta, g, kernel, Tensor.full(x.shape, Number.NaN, x.dtype)).data, want.data, "conv2dInputGradient");
  // Inference through a max pooling after the convolution, in one call where the backend has it:
  // the bits of the two steps, or nothing written.
  const filters = kernel.cols;
  const batch = x.shape[0] as number;
  const ph = Math.min(2, g.outHeight);
  const pw = Math.min(3, g.outWidth);
  const pool: PoolGeometry = {
    inHeight: g.outHeight, inWidth: g.outWidth, channels: filters, poolHeight: ph, poolWidth: pw, strideHeight: ph, strideWidth: 1,
    outHeight: Math.floor((g.outHeight - ph) / ph) + 1, outWidth: g.outWidth - pw + 1, padTop: 0, padLeft: 0,
  };
  for (const activation of [undefined, "relu"] as const) {
    const z = conv2dForward(x, g, kernel, undefined, bias, activation);
    const pooled = Tensor.full([batch, pool.outHeight, pool.outWidth, filters], Number.NaN, x.dtype);
    const wantPooled = pooled.clone();
    maxPool2dForward(z.data, wantPooled.data, undefined, batch, pool);
    if (conv2dMaxPool(x, g, kernel, bias, pool, pooled, activation)) {
      fusedPools++;
      expectSameBits(pooled.data, wantPooled.data, `conv2dMaxPool${activation ? " with ReLU" : ""}`);
    } else {
      expect(pooled.data.every((v) => Number.isNaN(v))).toBe(true);
    }
  }
  // Both gradients in one call: the same bits as the two passes.
  const kernelGradient = o.start.clone();
  const inputGradient = Tensor.full(x.shape, Number.NaN, x.dtype);
  conv2dBackward(x, g, delta, kernel, kernelGradient, inputGradient, true);
  expectSameBits(kernelGradient.data, matmul(p, delta, o.start.clone(), { transA: true, accumulate: true }).data, "conv2dBackward's kernel gradient");
  expectSameBits(inputGradient.data, want.data, "conv2dBackward's input gradient");
}

describe("the TypeScript backend's im2col and col2im", () => {
  it("are the reference loops", () => {
    expect(typescriptBackend.im2col).toBe(im2colReference);
    expect(typescriptBackend.col2im).toBe(col2imReference);
  });

  it("compose the three passes: a direct convolution and its gradients (float64)", () => {
    setBackend(typescriptBackend);
    fc.assert(
      fc.property(caseArb, (t) => {
        const o = operands(t, "float64");
        if (!o) return;
        const { g, x, kernel, bias, delta } = o;
        const kernel4 = kernel.reshape([t.kh, t.kw, t.c, t.f]);
        const want = directConv(x, kernel4, g);
        const z = conv2dForward(x, g, kernel, undefined, bias);
        for (let i = 0; i < want.length; i++) {
          expect(Math.abs((z.data[i] as number) - (want[i] as number) - (bias.data[i % t.f] as number))).toBeLessThanOrEqual(1e-12);
        }
        // ⟨z(x)·δ⟩ is bilinear: its gradients are dW = Pᵀδ and dx = col2im(δWᵀ), so
        // ⟨dW, K⟩ = ⟨δ, conv(x, K)⟩ = ⟨dx, x⟩.
        const dW = conv2dKernelGradient(x, g, delta);
        const dx = conv2dInputGradient(delta, g, kernel);
        let viaW = 0;
        let viaX = 0;
        let direct = 0;
        let scale = 0;
        for (let i = 0; i < kernel.size; i++) viaW += (dW.data[i] as number) * (kernel.data[i] as number);
        for (let i = 0; i < x.size; i++) viaX += (dx.data[i] as number) * (x.data[i] as number);
        for (let i = 0; i < want.length; i++) {
          direct += (delta.data[i] as number) * (want[i] as number);
          scale += Math.abs((delta.data[i] as number) * (want[i] as number));
        }
        expect(Math.abs(viaW - direct)).toBeLessThanOrEqual(1e-11 * Math.max(1, scale));
        expect(Math.abs(viaX - direct)).toBeLessThanOrEqual(1e-11 * Math.max(1, scale));
      }),
      { numRuns: 150, seed: 31 },
    );
  });
});

describe.each(wasmBackends)("the %s backend's convolution kernels", (_label, make) => {
  const backend = make();

  it("im2col and col2im give the reference's bits (random shapes, strides, dilation, padding; both dtypes)", () => {
    fc.assert(
      fc.property(caseArb, dtypeArb, (t, dtype) => {
        const o = operands(t, dtype);
        if (o) checkGatherScatter(backend, o);
      }),
      { numRuns: 300, seed: 101 },
    );
  });

  it("im2col and col2im give the reference's bits over several chunks", () => {
    fc.assert(
      fc.property(largeCaseArb, dtypeArb, (t, dtype) => {
        const o = operands(t, dtype);
        if (o) checkGatherScatter(backend, o);
      }),
      { numRuns: 60, seed: 202 },
    );
  });

  it("the fused passes give the bits of im2col/col2im and matmul on the same backend", () => {
    const spy = spying(backend);
    fc.assert(
      fc.property(fc.oneof(caseArb, largeCaseArb), dtypeArb, (t, dtype) => {
        const o = operands(t, dtype);
        if (o) checkPasses(spy, o);
      }),
      { numRuns: 120, seed: 303 },
    );
    expect(spy.ran).toBeGreaterThan(200);
    // The default minWork hands tiny products to TypeScript: the passes decline those.
    if (backend.exactUpTo !== undefined && backend.exactUpTo > 0) expect(spy.declined).toBeGreaterThan(0);
    else expect(spy.declined).toBe(0);
  });

  it("covers the MNIST-style layers and the direct passes exactly (one channel 28×28 and 8 channels 12×12, 5×5 kernels)", () => {
    fusedPools = 0;
    for (const dtype of ["float32", "float64"] as const) {
      for (const t of [
        { n: 32, h: 28, w: 28, c: 1, f: 8, kh: 5, kw: 5, sh: 1, sw: 1, dh: 1, dw: 1, padding: "valid", seed: 1 },
        { n: 32, h: 12, w: 12, c: 8, f: 16, kh: 5, kw: 5, sh: 1, sw: 1, dh: 1, dw: 1, padding: "valid", seed: 2 },
        { n: 7, h: 28, w: 28, c: 1, f: 6, kh: 5, kw: 5, sh: 2, sw: 2, dh: 1, dw: 1, padding: "same", seed: 3 },
        // The direct float32 forward pass (windows read from the image): a partial block of
        // filters, strides, a dilated height, and a row count that is not a multiple of 4.
        { n: 5, h: 11, w: 9, c: 3, f: 13, kh: 3, kw: 2, sh: 2, sw: 1, dh: 2, dw: 1, padding: "valid", seed: 4 },
        // The direct float32 kernel gradient: 16 filters, window rows of 3·3 = 9 taps (a group of
        // five and a short group of four), a stride across.
        { n: 3, h: 10, w: 9, c: 3, f: 16, kh: 3, kw: 3, sh: 1, sw: 2, dh: 1, dw: 1, padding: "valid", seed: 5 },
      ] as const) {
        const o = operands(t, dtype) as Operands;
        checkGatherScatter(backend, o);
        checkPasses(backend, o);
      }
    }
    // float32 with unpadded windows: both activations fused, for each of the four valid cases.
    expect(fusedPools).toBe(8);
  });

  it("falls back to the TypeScript loops for a hand-made geometry beyond its i32 arithmetic", () => {
    const g = convGeometry({ inputShape: [6, 6, 2], kernelSize: [3, 3] });
    const rng = new Rng(9);
    const x = rng.fillNormal(new Tensor([40, 6, 6, 2], "float32"));
    for (const far of [{ ...g, padTop: 2 ** 40 }, { ...g, padLeft: -(2 ** 31) }, { ...g, padTop: 100 }, { ...g, padLeft: -3 }]) {
      const o: Operands = {
        g: far,
        x,
        kernel: rng.fillNormal(new Matrix(18, 3, "float32")),
        bias: rng.fillNormal(new Matrix(1, 3, "float32")),
        delta: rng.fillNormal(new Matrix(40 * 16, 3, "float32")),
        patches: rng.fillNormal(new Matrix(40 * 16, 18, "float32")),
        start: rng.fillNormal(new Matrix(18, 3, "float32")),
      };
      checkGatherScatter(backend, o);
      checkPasses(backend, o);
    }
  });
});

describe.runIf(isWasmSimdSupported())("the wasm convolution kernels when the memory must grow", () => {
  // One 2900×2900 float64 image is 67 MB, more than the 64 MiB the module starts with; a stride of
  // 7 keeps the patch matrix (and the reference's time) small.
  const initial = wasmPrivateInitialPages * 65536;
  const g = convGeometry({ inputShape: [2900, 2900, 1], kernelSize: [3, 3], strides: [7, 7], padding: "same" });
  const rows = g.outHeight * g.outWidth;
  const big = new Tensor([1, 2900, 2900, 1], "float64");
  for (let i = 0; i < big.size; i++) big.data[i] = ((i * 7919) % 2003) / 1001 - 1;
  const rng = new Rng(12);
  const small = operands({ n: 3, h: 9, w: 8, c: 2, f: 3, kh: 3, kw: 2, sh: 1, sw: 2, dh: 2, dw: 1, padding: "same", seed: 4 }, "float64") as Operands;

  it("im2col and col2im give the reference's bits, before and after growing", () => {
    const wasm = createWasmBackend({ minWork: 0 });
    checkGatherScatter(wasm, small);
    expect(wasm.memoryBytes()).toBe(initial);
    checkGatherScatter(wasm, {
      ...small,
      g,
      x: big,
      patches: rng.fillNormal(new Matrix(rows, 9, "float64")),
    });
    expect(wasm.memoryBytes()).toBeGreaterThan(initial);
    // The views of the grown memory are new: a small call after growth is still exact.
    checkGatherScatter(wasm, small);
    checkPasses(wasm, small);
  });

  it("the fused passes give the composition's bits when the first of them grows the memory", () => {
    const wasm = createWasmBackend({ minWork: 0 });
    expect(wasm.memoryBytes()).toBe(initial);
    checkPasses(wasm, {
      g,
      x: big,
      kernel: rng.fillNormal(new Matrix(9, 4, "float64")),
      bias: rng.fillNormal(new Matrix(1, 4, "float64")),
      delta: rng.fillNormal(new Matrix(rows, 4, "float64")),
      patches: new Matrix(rows, 9, "float64"),
      start: rng.fillNormal(new Matrix(9, 4, "float64")),
    });
    expect(wasm.memoryBytes()).toBeGreaterThan(initial);
    checkPasses(wasm, small);
  });
});

describe("the convolution passes", () => {
  const g = convGeometry({ inputShape: [4, 4, 2], kernelSize: [3, 3] });
  const x = new Tensor([2, 4, 4, 2]);
  const kernel = new Matrix(18, 3);

  it("allocate their output when it is omitted", () => {
    expect(conv2dForward(x, g, kernel).shape).toEqual([8, 3]);
    expect(conv2dKernelGradient(x, g, new Matrix(8, 3)).shape).toEqual([18, 3]);
    expect(conv2dInputGradient(new Matrix(8, 3), g, kernel).shape).toEqual([2, 4, 4, 2]);
  });

  it("check shapes, dtypes and aliasing at the edge with our errors", () => {
    expect(codeOf(() => conv2dForward(x, g, new Matrix(17, 3)))).toBe("SHAPE_MISMATCH");
    expect(codeOf(() => conv2dForward(x, g, kernel, new Matrix(8, 2)))).toBe("SHAPE_MISMATCH");
    expect(codeOf(() => conv2dForward(x, g, kernel, undefined, new Matrix(1, 2)))).toBe("SHAPE_MISMATCH");
    expect(codeOf(() => conv2dForward(new Tensor([2, 4, 3, 2]), g, kernel))).toBe("SHAPE_MISMATCH");
    expect(codeOf(() => conv2dForward(x, g, new Matrix(18, 3, "float32")))).toBe("INVALID_ARGUMENT");
    expect(codeOf(() => conv2dForward(x.clone("float32"), g, kernel))).toBe("INVALID_ARGUMENT");
    expect(codeOf(() => conv2dKernelGradient(x, g, new Matrix(9, 3)))).toBe("SHAPE_MISMATCH");
    expect(codeOf(() => conv2dKernelGradient(x, g, new Matrix(8, 3), new Matrix(18, 2)))).toBe("SHAPE_MISMATCH");
    expect(codeOf(() => conv2dKernelGradient(x, g, new Matrix(8, 3, "float32")))).toBe("INVALID_ARGUMENT");
    expect(codeOf(() => conv2dInputGradient(new Matrix(8, 3), g, new Matrix(18, 2)))).toBe("SHAPE_MISMATCH");
    expect(codeOf(() => conv2dInputGradient(new Matrix(7, 3), g, kernel))).toBe("SHAPE_MISMATCH");
    expect(codeOf(() => conv2dInputGradient(new Matrix(8, 3), g, kernel, new Tensor([3, 4, 4, 2])))).toBe("SHAPE_MISMATCH");
    expect(codeOf(() => conv2dInputGradient(new Matrix(8, 3), g, kernel, new Tensor([2, 4, 4, 2], "float32")))).toBe("INVALID_ARGUMENT");
    // out sharing memory with an operand.
    const shared = new Float64Array(64 + 24);
    const xs = new Tensor([2, 4, 4, 2], "float64", shared.subarray(0, 64));
    expect(codeOf(() => conv2dForward(xs, g, kernel, new Matrix(8, 3, "float64", shared.subarray(60, 84))))).toBe("INVALID_ARGUMENT");
    const both = new Float64Array(24 + 54);
    const delta = new Matrix(8, 3, "float64", both.subarray(0, 24));
    expect(codeOf(() => conv2dKernelGradient(x, g, delta, new Matrix(18, 3, "float64", both.subarray(20, 74))))).toBe("INVALID_ARGUMENT");
    expect(codeOf(() => conv2dInputGradient(delta, g, kernel, new Tensor([2, 4, 4, 2], "float64", both.subarray(10, 74))))).toBe("INVALID_ARGUMENT");
    expect(() => conv2dForward(x, g, kernel, undefined, new Matrix(1, 2))).toThrow(/conv2dForward: bias is 1×2 \(expected 1×3: one per filter\)/);
    expect(() => conv2dForward(x, g, kernel, undefined, undefined, "tanh" as "relu")).toThrow(/conv2dForward: activation must be "relu" or omitted \(got "tanh"\)/);
    // Inference through a pooling: the pooling must be over the convolution's output.
    const pool: PoolGeometry = {
      inHeight: g.outHeight, inWidth: g.outWidth, channels: 3, poolHeight: 2, poolWidth: 1, strideHeight: 2, strideWidth: 1,
      outHeight: 1, outWidth: g.outWidth, padTop: 0, padLeft: 0,
    };
    const pooled = new Tensor([2, 1, g.outWidth, 3]);
    expect(() => conv2dMaxPool(x, g, kernel, undefined, { ...pool, channels: 4 }, pooled)).toThrow(/conv2dMaxPool: the pooling is over 2×2×4 images \(expected the convolution's output, 2×2×3\)/);
    expect(() => conv2dMaxPool(x, g, kernel, undefined, pool, new Tensor([2, 2, 2, 3]))).toThrow(/conv2dMaxPool: out is \[2, 2, 2, 3\] \(expected \[2, 1, 2, 3\]\)/);
    expect(codeOf(() => conv2dMaxPool(x, g, kernel, new Matrix(1, 2), pool, pooled))).toBe("SHAPE_MISMATCH");
    expect(codeOf(() => conv2dMaxPool(x, g, kernel, undefined, pool, new Tensor([2, 1, 2, 3], "float32")))).toBe("INVALID_ARGUMENT");
    expect(codeOf(() => conv2dMaxPool(x, g, kernel, undefined, pool, pooled, "tanh" as "relu"))).toBe("INVALID_ARGUMENT");
    // Both gradients at once: each operand and output checked, named.
    const dW = new Matrix(18, 3);
    const dx = new Tensor([2, 4, 4, 2]);
    const d = new Matrix(8, 3);
    expect(() => conv2dBackward(x, g, new Matrix(9, 3), kernel, dW, dx)).toThrow(/conv2dBackward: delta is 9×3 \(expected 8×3/);
    expect(() => conv2dBackward(x, g, d, new Matrix(17, 3), dW, dx)).toThrow(/conv2dBackward: kernel is 17×3/);
    expect(() => conv2dBackward(x, g, d, kernel, new Matrix(18, 2), dx)).toThrow(/conv2dBackward: kernelGradient is 18×2/);
    expect(() => conv2dBackward(x, g, d, kernel, dW, new Tensor([3, 4, 4, 2]))).toThrow(/conv2dBackward: inputGradient is \[3, 4, 4, 2\] \(expected 2 images, as x\)/);
    expect(codeOf(() => conv2dBackward(x, g, d, kernel, dW, new Tensor([2, 4, 3, 2])))).toBe("SHAPE_MISMATCH");
    expect(codeOf(() => conv2dBackward(x, g, d, kernel, new Matrix(18, 3, "float32"), dx))).toBe("INVALID_ARGUMENT");
    expect(codeOf(() => conv2dBackward(x, g, d, kernel, dW, new Tensor([2, 4, 4, 2], "float32")))).toBe("INVALID_ARGUMENT");
    expect(() => conv2dBackward(x, g, delta, kernel, dW, new Tensor([2, 4, 4, 2], "float64", both.subarray(10, 74)))).toThrow(
      /conv2dBackward: inputGradient must not share memory with delta/,
    );
  });
});
