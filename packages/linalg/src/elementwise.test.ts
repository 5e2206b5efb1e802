// The elementwise kernels of elementwise.ts (applyRelu, reluGradient, maxPool2dForward,
// maxPool2dBackward) on every backend — TypeScript, one-thread WASM and, where shared memory
// exists, threaded WASM — for float32 and float64. Each result must be BIT-IDENTICAL to the
// reference loop (compared through Uint32/BigUint64 views, so −0 vs +0 and NaN bits count; only a
// NaN + NaN sum in the backward pass may differ in sign, see ANY_NAN), on
// random data full of NaN, ±0, ±∞, denormals and ties, at every SIMD tail length, in place, and
// over many pooling geometries (fast-check). A few hand-worked examples pin literal numbers, and
// length mismatches must throw ShapeMismatchError. Each WASM subject is wrapped so the tests also
// check that its kernel really ran instead of declining to the reference.

import fc from "fast-check";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { getBackend, setBackend } from "./backend.js";
import { createThreadedWasmBackend, type ThreadedWasmBackend } from "./backend-wasm-threads.js";
import type { DType, FloatArray } from "./dtype.js";
import {
  applyRelu,
  maxPool2dBackward,
  maxPool2dBackwardReference,
  maxPool2dForward,
  maxPool2dReference,
  reluGradient,
  reluGradientReference,
  reluReference,
  type PoolGeometry,
} from "./elementwise.js";
import { ShapeMismatchError } from "./errors.js";
import type { KernelBackend } from "./kernel-backend.js";
import { Rng } from "./rng.js";
import { typescriptBackend } from "./typescript-backend.js";
import { createWasmBackend, isWasmSimdSupported } from "./wasm-backend.js";

// ---------------------------------------------------------------------------------------------
// Helpers

const DTYPES: readonly DType[] = ["float32", "float64"];

function alloc(dtype: DType, n: number): FloatArray {
  return dtype === "float32" ? new Float32Array(n) : new Float64Array(n);
}

function bitsOf(a: FloatArray): Uint32Array | BigUint64Array {
  return a instanceof Float32Array
    ? new Uint32Array(a.buffer, a.byteOffset, a.length)
    : new BigUint64Array(a.buffer, a.byteOffset, a.length);
}

/**
 * A description of the first element whose bits differ, or undefined when all are identical. With
 * `anyNaN`, two NaNs count as equal whatever their sign and payload (see the backward tests).
 */
function firstBitDifference(got: FloatArray, want: FloatArray, anyNaN = false): string | undefined {
  if (got.length !== want.length) return `lengths differ: got ${got.length}, want ${want.length}`;
  if (got instanceof Float32Array !== want instanceof Float32Array) return "element types differ";
  const g = bitsOf(got);
  const w = bitsOf(want);
  for (let i = 0; i < g.length; i++) {
    if (g[i] !== w[i] && !(anyNaN && Number.isNaN(got[i]) && Number.isNaN(want[i]))) {
      return `element ${i}: got ${String(got[i])} (0x${(g[i] as number | bigint).toString(16)}), want ${String(want[i])} (0x${(w[i] as number | bigint).toString(16)})`;
    }
  }
  return undefined;
}

function expectSameBits(got: FloatArray, want: FloatArray, what: string, anyNaN = false): void {
  expect(firstBitDifference(got, want, anyNaN), what).toBeUndefined();
}

// NOTE: when the backward pass adds two NaNs of different signs (a cell whose sum is already NaN
// receiving a −NaN gradient), IEEE 754, JavaScript and WebAssembly all leave open which operand's
// NaN comes out. The reference's own answer changes with V8's tier (in float64, interpreted
// `dx[i] + dy[o]` gave dy's NaN and optimized code dx's), and the WASM add returns dx's. So dx is
// compared bit for bit except that any NaN matches any NaN (−0 vs +0 and NaN vs a number still fail).
const ANY_NAN = true;

function expectSameInts(got: Int32Array, want: Int32Array, what: string): void {
  let diff: string | undefined;
  if (got.length !== want.length) diff = `lengths differ: got ${got.length}, want ${want.length}`;
  for (let i = 0; diff === undefined && i < got.length; i++) {
    if (got[i] !== want[i]) diff = `element ${i}: got ${String(got[i])}, want ${String(want[i])}`;
  }
  expect(diff, what).toBeUndefined();
}

// Special values, as bit patterns so a NaN's sign bit survives.
const F32_SPECIAL_BITS = [
  0x7fc00000, // NaN
  0xffc00000, // NaN with the sign bit set
  0x00000000, // +0
  0x80000000, // -0
  0x7f800000, // +Infinity
  0xff800000, // -Infinity
  0x00000001, // smallest denormal
  0x80000001, // its negative
  0x007fffff, // largest denormal
  0x807fffff,
  0x00800000, // smallest normal
  0x7f7fffff, // largest finite
  0xff7fffff,
  0x3f800000, // 1
  0xbf800000, // -1
];
const F64_SPECIAL_BITS = [
  0x7ff8000000000000n, // NaN
  0xfff8000000000000n, // NaN with the sign bit set
  0x0000000000000000n, // +0
  0x8000000000000000n, // -0
  0x7ff0000000000000n, // +Infinity
  0xfff0000000000000n, // -Infinity
  0x0000000000000001n, // smallest denormal
  0x8000000000000001n,
  0x000fffffffffffffn, // largest denormal
  0x800fffffffffffffn,
  0x0010000000000000n, // smallest normal
  0x7fefffffffffffffn, // largest finite
  0xffefffffffffffffn,
  0x3ff0000000000000n, // 1
  0xbff0000000000000n, // -1
];

function f32Bits(v: number): number {
  return new Uint32Array(Float32Array.of(v).buffer)[0] as number;
}
function f64Bits(v: number): bigint {
  return new BigUint64Array(Float64Array.of(v).buffer)[0] as bigint;
}

/** fast-check arrays of `dtype` with lengths in [min, max]: specials, arbitrary floats, small integers. */
function floatArrayArb(dtype: DType, min: number, max: number): fc.Arbitrary<FloatArray> {
  const small = fc.integer({ min: -3, max: 3 });
  if (dtype === "float32") {
    const bits = fc.oneof(fc.constantFrom(...F32_SPECIAL_BITS), fc.float().map(f32Bits), small.map(f32Bits));
    return fc
      .array(bits, { minLength: min, maxLength: max })
      .map((b) => new Float32Array(Uint32Array.from(b).buffer));
  }
  const bits = fc.oneof(fc.constantFrom(...F64_SPECIAL_BITS), fc.double().map(f64Bits), small.map(f64Bits));
  return fc
    .array(bits, { minLength: min, maxLength: max })
    .map((b) => new Float64Array(BigUint64Array.from(b).buffer));
}

/** `n` seeded values of `dtype`: a special value one time in four, else a float of varied magnitude. */
function randomValues(dtype: DType, n: number, rng: Rng): FloatArray {
  const out = alloc(dtype, n);
  const bits = bitsOf(out);
  for (let i = 0; i < n; i++) {
    if (rng.uniform() < 0.25) {
      if (bits instanceof Uint32Array) bits[i] = F32_SPECIAL_BITS[rng.int(F32_SPECIAL_BITS.length)] as number;
      else bits[i] = F64_SPECIAL_BITS[rng.int(F64_SPECIAL_BITS.length)] as bigint;
    } else {
      out[i] = rng.normal() * 10 ** (rng.int(17) - 8);
    }
  }
  return out;
}

/** One axis under TensorFlow's rules; undefined when a "valid" window does not fit. */
function poolAxis(input: number, pool: number, stride: number, padding: "valid" | "same"): { out: number; pad: number } | undefined {
  if (padding === "valid") {
    return input < pool ? undefined : { out: Math.floor((input - pool) / stride) + 1, pad: 0 };
  }
  const out = Math.ceil(input / stride);
  const total = Math.max((out - 1) * stride + pool - input, 0);
  return { out, pad: Math.floor(total / 2) };
}

function poolGeometry(
  [inHeight, inWidth, channels]: readonly [number, number, number],
  [poolHeight, poolWidth]: readonly [number, number],
  [strideHeight, strideWidth]: readonly [number, number],
  padding: "valid" | "same",
): PoolGeometry | undefined {
  const rows = poolAxis(inHeight, poolHeight, strideHeight, padding);
  const cols = poolAxis(inWidth, poolWidth, strideWidth, padding);
  if (rows === undefined || cols === undefined) return undefined;
  return {
    inHeight, inWidth, channels, poolHeight, poolWidth, strideHeight, strideWidth,
    outHeight: rows.out, outWidth: cols.out, padTop: rows.pad, padLeft: cols.pad,
  };
}

function mustGeometry(...args: Parameters<typeof poolGeometry>): PoolGeometry {
  const g = poolGeometry(...args);
  if (g === undefined) throw new Error("test bug: the window does not fit");
  return g;
}

const inputsOf = (g: PoolGeometry, batch: number) => batch * g.inHeight * g.inWidth * g.channels;
const outputsOf = (g: PoolGeometry, batch: number) => batch * g.outHeight * g.outWidth * g.channels;

/** Index in x of the first (top-left, clipped) cell of output o's window: where an all-NaN window points. */
function firstCellOf(g: PoolGeometry, o: number): number {
  const c = o % g.channels;
  const ox = Math.floor(o / g.channels) % g.outWidth;
  const oy = Math.floor(o / (g.channels * g.outWidth)) % g.outHeight;
  const b = Math.floor(o / (g.channels * g.outWidth * g.outHeight));
  const iy = Math.max(oy * g.strideHeight - g.padTop, 0);
  const ix = Math.max(ox * g.strideWidth - g.padLeft, 0);
  return ((b * g.inHeight + iy) * g.inWidth + ix) * g.channels + c;
}

type Fill = "ties" | "nans" | "allNaN" | "zeros" | "floats";

/** Pooling inputs: small integers (ties), many NaNs (all-NaN windows), signed zeros, or anything. */
function poolInput(dtype: DType, n: number, fill: Fill, rng: Rng): FloatArray {
  if (fill === "floats") return randomValues(dtype, n, rng);
  const out = alloc(dtype, n);
  for (let i = 0; i < n; i++) {
    const u = rng.uniform();
    if (fill === "allNaN") out[i] = NaN;
    else if (fill === "nans") out[i] = u < 0.7 ? NaN : rng.int(3) - 1;
    else if (fill === "zeros") out[i] = u < 0.4 ? -0 : u < 0.8 ? 0 : u < 0.9 ? -Infinity : NaN;
    else out[i] = u < 0.1 ? NaN : u < 0.2 ? -0 : rng.int(5) - 2;
  }
  return out;
}

type Kernel = "relu" | "reluGradient" | "maxPool2dForward" | "maxPool2dBackward";

/**
 * `inner` with its elementwise kernels wrapped to count the calls that ran (returned true), so a
 * test can tell a WASM kernel from a silent fall-back to the reference loop.
 */
function counting(inner: KernelBackend): { backend: KernelBackend; ran: Record<Kernel, number> } {
  const ran: Record<Kernel, number> = { relu: 0, reluGradient: 0, maxPool2dForward: 0, maxPool2dBackward: 0 };
  const backend: KernelBackend = {
    name: inner.name,
    gemm: (...args) => inner.gemm(...args),
  };
  const { relu, reluGradient: grad, maxPool2dForward: fwd, maxPool2dBackward: bwd } = inner;
  const count = (kernel: Kernel, done: boolean): boolean => {
    if (done) ran[kernel]++;
    return done;
  };
  if (relu) backend.relu = (src, dst) => count("relu", relu.call(inner, src, dst));
  if (grad) backend.reluGradient = (x, g, dst) => count("reluGradient", grad.call(inner, x, g, dst));
  if (fwd) backend.maxPool2dForward = (g, b, x, y, a) => count("maxPool2dForward", fwd.call(inner, g, b, x, y, a));
  if (bwd) backend.maxPool2dBackward = (dy, a, dx) => count("maxPool2dBackward", bwd.call(inner, dy, a, dx));
  return { backend, ran };
}

// ---------------------------------------------------------------------------------------------
// Subjects

const simd = isWasmSimdSupported();
const threadsAvailable = simd && typeof SharedArrayBuffer === "function";

interface Subject {
  backend: KernelBackend;
  ran: Record<Kernel, number>;
  /** Whether the kernels must run natively (a WASM backend) rather than fall back. */
  native: boolean;
}

const SUBJECT_NAMES = ["typescript", ...(simd ? ["wasm"] : []), ...(threadsAvailable ? ["wasm-threads"] : [])];
const subjects = new Map<string, Subject>();
let threaded: ThreadedWasmBackend | undefined;

beforeAll(async () => {
  subjects.set("typescript", { ...counting(typescriptBackend), native: false });
  if (simd) subjects.set("wasm", { ...counting(createWasmBackend({ minWork: 0 })), native: true });
  if (threadsAvailable) {
    threaded = await createThreadedWasmBackend({ threads: 2, minWork: 0, minParallelWork: 0 });
    subjects.set("wasm-threads", { ...counting(threaded), native: true });
  }
});

afterAll(async () => {
  await threaded?.close();
});

const initialBackend = getBackend();
afterEach(() => {
  setBackend(initialBackend);
});

/** Activates the named subject with its counters reset. */
function use(name: string): Subject {
  const subject = subjects.get(name);
  if (subject === undefined) throw new Error(`no subject ${name}`);
  for (const k of Object.keys(subject.ran) as Kernel[]) subject.ran[k] = 0;
  setBackend(subject.backend);
  return subject;
}

/** After a test: a WASM subject must have run `kernel` itself (at least `atLeast` times). */
function expectRan(subject: Subject, kernel: Kernel, atLeast = 1): void {
  if (subject.native) expect(subject.ran[kernel], `${kernel} calls that ran in WASM`).toBeGreaterThanOrEqual(atLeast);
  else expect(subject.ran[kernel]).toBe(0);
}

it("has the subjects it expects (WASM SIMD is available in this Node)", () => {
  expect(simd).toBe(true);
  expect(subjects.has("wasm")).toBe(true);
});

// ---------------------------------------------------------------------------------------------
// ReLU forward and backward

describe.each(DTYPES)("ReLU (%s)", (dtype) => {
  const ctor = dtype === "float32" ? Float32Array : Float64Array;

  it.each(SUBJECT_NAMES)("applyRelu on %s equals the reference bit for bit, also in place", (name) => {
    const subject = use(name);
    fc.assert(
      fc.property(floatArrayArb(dtype, 0, 150), (src) => {
        const before = src.slice();
        const want = alloc(dtype, src.length);
        reluReference(src, want);
        const got = alloc(dtype, src.length).fill(12345);
        applyRelu(src, got);
        expectSameBits(got, want, "applyRelu(src, dst)");
        expectSameBits(src, before, "src is left unchanged");
        const inPlace = src.slice();
        applyRelu(inPlace, inPlace);
        expectSameBits(inPlace, want, "applyRelu(src, src)");
      }),
      { numRuns: 300, seed: 101 },
    );
    expectRan(subject, "relu", 100);
  });

  it.each(SUBJECT_NAMES)("applyRelu on %s: every tail length, long arrays and unaligned views", (name) => {
    const subject = use(name);
    const rng = new Rng(7);
    const lengths = [...Array.from({ length: 18 }, (_, i) => i), 1021, 1022, 1023, 1024, 1025, 100_003];
    for (const n of lengths) {
      const src = randomValues(dtype, n, rng);
      const want = alloc(dtype, n);
      reluReference(src, want);
      const got = alloc(dtype, n);
      applyRelu(src, got);
      expectSameBits(got, want, `length ${n}`);
      // Views that start one element into their buffer (not 16-byte aligned).
      const srcView = new ctor(n + 1).subarray(1);
      srcView.set(src);
      const dstView = new ctor(n + 2).subarray(1, n + 1);
      applyRelu(srcView, dstView);
      expectSameBits(dstView, want, `length ${n}, offset views`);
    }
    expectRan(subject, "relu", 2 * (lengths.length - 1));
  });

  it("applyRelu gives the documented values on special inputs", () => {
    const src = ctor.of(-1, 0.5, 2, -0, 0, NaN, Infinity, -Infinity, -5e-324, 5e-324);
    for (const name of SUBJECT_NAMES) {
      use(name);
      const got = alloc(dtype, src.length);
      applyRelu(src, got);
      const tiny = dtype === "float32" ? 0 : 5e-324; // 5e-324 rounds to 0 in float32
      const want = [0, 0.5, 2, -0, 0, NaN, Infinity, 0, dtype === "float32" ? -0 : 0, tiny];
      want.forEach((w, i) => expect(Object.is(got[i], w), `${name}: element ${i} is ${String(got[i])}, want ${String(w)}`).toBe(true));
    }
  });

  it.each(SUBJECT_NAMES)("reluGradient on %s equals the reference bit for bit, in every aliasing", (name) => {
    const subject = use(name);
    const pair = fc.integer({ min: 0, max: 150 }).chain((n) => fc.tuple(floatArrayArb(dtype, n, n), floatArrayArb(dtype, n, n)));
    fc.assert(
      fc.property(pair, ([x, grad]) => {
        const n = x.length;
        const want = alloc(dtype, n);
        reluGradientReference(x, grad, want);
        const xBefore = x.slice();
        const gradBefore = grad.slice();
        const got = alloc(dtype, n).fill(12345);
        reluGradient(x, grad, got);
        expectSameBits(got, want, "reluGradient(x, grad, dst)");
        expectSameBits(x, xBefore, "x is left unchanged");
        expectSameBits(grad, gradBefore, "grad is left unchanged");

        const intoGrad = grad.slice();
        reluGradient(x, intoGrad, intoGrad);
        expectSameBits(intoGrad, want, "dst === grad");

        const intoX = x.slice();
        reluGradient(intoX, grad, intoX);
        expectSameBits(intoX, want, "dst === x");

        const same = x.slice();
        const wantSame = alloc(dtype, n);
        reluGradientReference(x, x, wantSame);
        reluGradient(same, same, same);
        expectSameBits(same, wantSame, "x === grad === dst");
      }),
      { numRuns: 300, seed: 202 },
    );
    expectRan(subject, "reluGradient", 4 * 200);
  });

  it.each(SUBJECT_NAMES)("reluGradient on %s: every tail length and long arrays", (name) => {
    const subject = use(name);
    const rng = new Rng(8);
    const lengths = [...Array.from({ length: 18 }, (_, i) => i), 1021, 1022, 1023, 1024, 1025, 100_003];
    for (const n of lengths) {
      const x = randomValues(dtype, n, rng);
      const grad = randomValues(dtype, n, rng);
      const want = alloc(dtype, n);
      reluGradientReference(x, grad, want);
      const got = alloc(dtype, n);
      reluGradient(x, grad, got);
      expectSameBits(got, want, `length ${n}`);
    }
    expectRan(subject, "reluGradient", lengths.length - 1);
  });

  it("reluGradient gives the documented values (relu'(0) = 0, NaN gradients where the unit is off)", () => {
    const x = ctor.of(-1, 0, 2, -0, 3, -2, NaN, Infinity, 1);
    const grad = ctor.of(5, 5, 5, 5, -4, -4, 7, NaN, Infinity);
    for (const name of SUBJECT_NAMES) {
      use(name);
      const got = alloc(dtype, x.length);
      reluGradient(x, grad, got);
      const want = [0, 0, 5, 0, -4, -0, 0, NaN, Infinity];
      want.forEach((w, i) => expect(Object.is(got[i], w), `${name}: element ${i} is ${String(got[i])}, want ${String(w)}`).toBe(true));
    }
  });

  it("throws ShapeMismatchError on length mismatches", () => {
    for (const name of SUBJECT_NAMES) {
      use(name);
      const a = alloc(dtype, 5);
      const b = alloc(dtype, 4);
      expect(() => applyRelu(a, b)).toThrow(ShapeMismatchError);
      expect(() => applyRelu(b, a)).toThrow(ShapeMismatchError);
      expect(() => reluGradient(a, b, a)).toThrow(ShapeMismatchError);
      expect(() => reluGradient(a, a, b)).toThrow(ShapeMismatchError);
      expect(() => reluGradient(b, a, a)).toThrow(ShapeMismatchError);
      try {
        applyRelu(a, b);
        expect.unreachable("applyRelu accepted lengths 5 and 4");
      } catch (e) {
        expect((e as ShapeMismatchError).code).toBe("SHAPE_MISMATCH");
      }
    }
  });
});

describe("ReLU with mixed element types", () => {
  it.each(SUBJECT_NAMES)("on %s falls back to the reference loop (float64 in, float32 out and back)", (name) => {
    use(name);
    const rng = new Rng(9);
    for (const [inType, outType] of [["float64", "float32"], ["float32", "float64"]] as const) {
      const src = randomValues(inType, 37, rng);
      const grad = randomValues(outType, 37, rng);
      const want = alloc(outType, 37);
      const got = alloc(outType, 37);
      reluReference(src, want);
      applyRelu(src, got);
      expectSameBits(got, want, `applyRelu ${inType} -> ${outType}`);
      reluGradientReference(src, grad, want);
      reluGradient(src, grad, got);
      expectSameBits(got, want, `reluGradient ${inType} x -> ${outType}`);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Max pooling

interface PoolCase {
  g: PoolGeometry;
  batch: number;
  fill: Fill;
  seed: number;
}

/** TensorFlow "same" and "valid" geometries with 1..9 channels, pools and strides 1..3, batch 1..3. */
function poolCaseArb(options: { overlapping?: boolean } = {}): fc.Arbitrary<PoolCase> {
  return fc
    .record({
      h: fc.integer({ min: 1, max: 9 }),
      w: fc.integer({ min: 1, max: 9 }),
      c: fc.integer({ min: 1, max: 9 }),
      ph: fc.integer({ min: 1, max: 3 }),
      pw: fc.integer({ min: 1, max: 3 }),
      sh: fc.integer({ min: 1, max: 3 }),
      sw: fc.integer({ min: 1, max: 3 }),
      padding: fc.constantFrom("valid" as const, "same" as const),
      batch: fc.integer({ min: 1, max: 3 }),
      fill: fc.constantFrom<Fill>("ties", "ties", "nans", "allNaN", "zeros", "floats"),
      seed: fc.nat(1_000_000),
    })
    .map(({ h, w, c, ph, pw, sh, sw, padding, batch, fill, seed }) => {
      // Overlapping windows: the stride below the pool wherever the pool allows it.
      const strides: [number, number] = options.overlapping ? [Math.min(sh, Math.max(ph - 1, 1)), Math.min(sw, Math.max(pw - 1, 1))] : [sh, sw];
      return { g: poolGeometry([h, w, c], [ph, pw], strides, padding), batch, fill, seed };
    })
    .filter((x): x is PoolCase => x.g !== undefined);
}

/** Runs the reference and the active backend on the same input; both start from garbage. */
function forwardBoth(dtype: DType, { g, batch, fill, seed }: PoolCase) {
  const x = poolInput(dtype, inputsOf(g, batch), fill, new Rng(seed));
  const outputs = outputsOf(g, batch);
  const want = alloc(dtype, outputs).fill(999);
  const wantArgmax = new Int32Array(outputs).fill(-7);
  maxPool2dReference(x, want, wantArgmax, batch, g);
  const got = alloc(dtype, outputs).fill(555);
  const gotArgmax = new Int32Array(outputs).fill(-9);
  maxPool2dForward(x, got, gotArgmax, batch, g);
  return { x, want, wantArgmax, got, gotArgmax };
}

describe.each(DTYPES)("max pooling forward (%s)", (dtype) => {
  const ctor = dtype === "float32" ? Float32Array : Float64Array;

  it.each(SUBJECT_NAMES)("on %s equals the reference (y bits and argmax) over many geometries", (name) => {
    const subject = use(name);
    let allNaNWindows = 0;
    let padded = 0;
    fc.assert(
      fc.property(poolCaseArb(), (c) => {
        const { x, want, wantArgmax, got, gotArgmax } = forwardBoth(dtype, c);
        expectSameBits(got, want, "y");
        expectSameInts(gotArgmax, wantArgmax, "argmax");
        if (c.g.padTop > 0 || c.g.padLeft > 0) padded++;
        for (let o = 0; o < got.length; o++) {
          const winner = x[gotArgmax[o] as number];
          if (got[o] === -Infinity && Number.isNaN(winner)) {
            // An all-NaN window: −∞, pointing at the window's first cell.
            allNaNWindows++;
            expect(gotArgmax[o], `all-NaN window ${o}`).toBe(firstCellOf(c.g, o));
          } else {
            expect(Object.is(winner, got[o]), `y[${o}] is the value at argmax[${o}]`).toBe(true);
          }
        }
      }),
      { numRuns: 400, seed: 303 },
    );
    // The generator did reach the interesting cases.
    expect(allNaNWindows).toBeGreaterThan(100);
    expect(padded).toBeGreaterThan(50);
    expectRan(subject, "maxPool2dForward", 300);
  });

  it.each(SUBJECT_NAMES)("on %s without argmax (inference) gives the same maxima as with it", (name) => {
    const subject = use(name);
    fc.assert(
      fc.property(poolCaseArb(), (c) => {
        const { x, want } = forwardBoth(dtype, c);
        const got = alloc(dtype, want.length).fill(777);
        maxPool2dForward(x, got, undefined, c.batch, c.g);
        expectSameBits(got, want, "y without argmax");
      }),
      { numRuns: 300, seed: 404 },
    );
    expectRan(subject, "maxPool2dForward", 200);
  });

  it.each(SUBJECT_NAMES)("on %s equals the reference on larger images (heap growth, vector channels)", (name) => {
    const subject = use(name);
    const cases: [readonly [number, number, number], [number, number], [number, number], "valid" | "same", number][] = [
      [[28, 28, 16], [3, 3], [2, 2], "same", 4],
      [[32, 32, 3], [2, 2], [2, 2], "valid", 8],
      [[13, 17, 7], [3, 2], [1, 3], "same", 2],
      [[64, 64, 32], [2, 2], [1, 1], "valid", 2],
      [[5, 5, 3], [1, 1], [1, 1], "valid", 1],
    ];
    let seed = 1;
    for (const [shape, pool, strides, padding, batch] of cases) {
      for (const fill of ["ties", "nans", "floats"] as const) {
        const g = mustGeometry(shape, pool, strides, padding);
        const { want, wantArgmax, got, gotArgmax } = forwardBoth(dtype, { g, batch, fill, seed: seed++ });
        expectSameBits(got, want, `${JSON.stringify(g)} ${fill}: y`);
        expectSameInts(gotArgmax, wantArgmax, `${JSON.stringify(g)} ${fill}: argmax`);
      }
    }
    expectRan(subject, "maxPool2dForward", cases.length * 3);
  });

  it.each(SUBJECT_NAMES)("on %s: an all-NaN input gives -Infinity and each window's first cell", (name) => {
    const subject = use(name);
    let checked = 0;
    for (const padding of ["valid", "same"] as const) {
      for (const c of [1, 2, 3, 4, 5, 8, 9]) {
        const g = mustGeometry([7, 6, c], [3, 2], [2, 3], padding);
        const batch = 2;
        const x = alloc(dtype, inputsOf(g, batch)).fill(NaN);
        const y = alloc(dtype, outputsOf(g, batch));
        const argmax = new Int32Array(y.length).fill(-1);
        maxPool2dForward(x, y, argmax, batch, g);
        for (let o = 0; o < y.length; o++) {
          expect(Object.is(y[o], -Infinity), `y[${o}] = ${String(y[o])}`).toBe(true);
          expect(argmax[o], `argmax[${o}]`).toBe(firstCellOf(g, o));
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(200);
    expectRan(subject, "maxPool2dForward", 14);
  });

  it("a hand-worked 4×4×1 image with a 2×2 pool, stride 2, valid", () => {
    // 1  3 | 2  0
    // 4  2 | 1  5
    // -----+------
    // 0  7 | 7  7      window (1, 1): the tie of 7 and 7 goes to the first, index 10
    // NaN 1| -0 -1     window (1, 0): NaN never wins
    const x = ctor.of(1, 3, 2, 0, 4, 2, 1, 5, 0, 7, 7, 7, NaN, 1, -0, -1);
    const g = mustGeometry([4, 4, 1], [2, 2], [2, 2], "valid");
    expect(g).toEqual({
      inHeight: 4, inWidth: 4, channels: 1, poolHeight: 2, poolWidth: 2,
      strideHeight: 2, strideWidth: 2, outHeight: 2, outWidth: 2, padTop: 0, padLeft: 0,
    });
    for (const name of SUBJECT_NAMES) {
      use(name);
      const y = alloc(dtype, 4);
      const argmax = new Int32Array(4);
      maxPool2dForward(x, y, argmax, 1, g);
      expect(Array.from(y), name).toEqual([4, 5, 7, 7]);
      expect(Array.from(argmax), name).toEqual([4, 7, 9, 10]);
    }
  });

  it("a hand-worked 3×3×1 image with a 3×3 pool, stride 1, same (padTop = padLeft = 1)", () => {
    const x = ctor.of(1, 2, 3, 4, 5, 6, 7, 8, 9);
    const g = mustGeometry([3, 3, 1], [3, 3], [1, 1], "same");
    expect([g.outHeight, g.outWidth, g.padTop, g.padLeft]).toEqual([3, 3, 1, 1]);
    for (const name of SUBJECT_NAMES) {
      use(name);
      const y = alloc(dtype, 9);
      const argmax = new Int32Array(9);
      maxPool2dForward(x, y, argmax, 1, g);
      expect(Array.from(y), name).toEqual([5, 6, 6, 8, 9, 9, 8, 9, 9]);
      expect(Array.from(argmax), name).toEqual([4, 5, 5, 7, 8, 8, 7, 8, 8]);
    }
  });

  it("a hand-worked 2×2 image with 2, 4 and 5 channels: -0 ties, all-NaN channels, batch 2", () => {
    // Per channel, the four cells in row-major order, for sample 0 then sample 1.
    const channels = [
      { cells: [-0, 0, -0, 0], y: -0, at: 0 }, // +0 is not > -0: the first -0 stays
      { cells: [NaN, NaN, NaN, NaN], y: -Infinity, at: 0 },
      { cells: [-Infinity, -Infinity, -3, -Infinity], y: -3, at: 2 },
      { cells: [2, NaN, 2, 3], y: 3, at: 3 },
      { cells: [0, -0, 0, 0], y: 0, at: 0 },
    ];
    for (const C of [2, 4, 5]) {
      const g = mustGeometry([2, 2, C], [2, 2], [2, 2], "valid");
      const x = alloc(dtype, 2 * 4 * C);
      for (let b = 0; b < 2; b++)
        for (let cell = 0; cell < 4; cell++)
          for (let c = 0; c < C; c++) x[(b * 4 + cell) * C + c] = channels[c]?.cells[cell] as number;
      for (const name of SUBJECT_NAMES) {
        use(name);
        const y = alloc(dtype, 2 * C);
        const argmax = new Int32Array(2 * C);
        maxPool2dForward(x, y, argmax, 2, g);
        for (let b = 0; b < 2; b++) {
          for (let c = 0; c < C; c++) {
            const want = channels[c] as { y: number; at: number };
            const o = b * C + c;
            expect(Object.is(y[o], want.y), `${name}, C=${C}, sample ${b}, channel ${c}: y = ${String(y[o])}`).toBe(true);
            expect(argmax[o], `${name}, C=${C}, sample ${b}, channel ${c}: argmax`).toBe((b * 4 + want.at) * C + c);
          }
        }
      }
    }
  });

  it("throws ShapeMismatchError when x, y or argmax does not match the geometry", () => {
    const g = mustGeometry([4, 4, 2], [2, 2], [2, 2], "valid");
    for (const name of SUBJECT_NAMES) {
      use(name);
      const x = alloc(dtype, 32);
      expect(() => maxPool2dForward(alloc(dtype, 31), alloc(dtype, 8), new Int32Array(8), 1, g)).toThrow(ShapeMismatchError);
      expect(() => maxPool2dForward(x, alloc(dtype, 9), new Int32Array(8), 1, g)).toThrow(ShapeMismatchError);
      expect(() => maxPool2dForward(x, alloc(dtype, 8), new Int32Array(7), 1, g)).toThrow(ShapeMismatchError);
      expect(() => maxPool2dForward(x, alloc(dtype, 8), new Int32Array(8), 2, g)).toThrow(ShapeMismatchError);
    }
  });
});

describe.each(DTYPES)("max pooling backward (%s)", (dtype) => {
  const ctor = dtype === "float32" ? Float32Array : Float64Array;

  it.each(SUBJECT_NAMES)("on %s equals the reference with the forward pass's argmax, overlapping windows included", (name) => {
    const subject = use(name);
    let shared = 0;
    fc.assert(
      fc.property(poolCaseArb({ overlapping: true }), (c) => {
        const { x, wantArgmax: argmax } = forwardBoth(dtype, c);
        const dy = randomValues(dtype, argmax.length, new Rng(c.seed + 1));
        const want = alloc(dtype, x.length).fill(NaN);
        maxPool2dBackwardReference(dy, argmax, want);
        const got = alloc(dtype, x.length).fill(NaN);
        maxPool2dBackward(dy, argmax, got);
        expectSameBits(got, want, "dx", ANY_NAN);
        if (new Set(argmax).size < argmax.length) shared++;
      }),
      { numRuns: 400, seed: 404 },
    );
    expect(shared, "cases where one input received several gradients").toBeGreaterThan(100);
    expectRan(subject, "maxPool2dBackward", 300);
  });

  it.each(SUBJECT_NAMES)("on %s equals the reference for arbitrary argmax, out-of-range indices skipped", (name) => {
    const subject = use(name);
    const arb = fc.record({
      n: fc.integer({ min: 1, max: 60 }),
      outputs: fc.integer({ min: 0, max: 120 }),
      seed: fc.nat(1_000_000),
    });
    fc.assert(
      fc.property(arb, ({ n, outputs, seed }) => {
        const rng = new Rng(seed);
        const out = [-1, -2, n, n + 1, n + 1000, -(2 ** 31), 2 ** 31 - 1, 2 ** 29];
        const argmax = new Int32Array(outputs);
        // Mostly a few popular indices (many adds into one cell), some out of range.
        for (let o = 0; o < outputs; o++) {
          const u = rng.uniform();
          argmax[o] = u < 0.15 ? (out[rng.int(out.length)] as number) : u < 0.6 ? rng.int(Math.min(n, 3)) : rng.int(n);
        }
        const dy = randomValues(dtype, outputs, rng);
        const want = alloc(dtype, n).fill(7);
        maxPool2dBackwardReference(dy, argmax, want);
        const got = alloc(dtype, n).fill(-7);
        maxPool2dBackward(dy, argmax, got);
        expectSameBits(got, want, "dx", ANY_NAN);
      }),
      { numRuns: 400, seed: 505 },
    );
    expectRan(subject, "maxPool2dBackward", 300);
  });

  it("a hand-worked overlapping example: four windows share one winner, adds in order", () => {
    // 3×3 image with its maximum in the centre, 2×2 pool, stride 1: all four windows pick cell 4.
    const g = mustGeometry([3, 3, 1], [2, 2], [1, 1], "valid");
    const x = ctor.of(0, 0, 0, 0, 9, 0, 0, 0, 0);
    // In order, 1e8 + 1 − 1e8 + 1 is 1 in float32 (1e8 + 1 rounds to 1e8) and 2 in float64.
    const dy = ctor.of(1e8, 1, -1e8, 1);
    for (const name of SUBJECT_NAMES) {
      use(name);
      const y = alloc(dtype, 4);
      const argmax = new Int32Array(4);
      maxPool2dForward(x, y, argmax, 1, g);
      expect(Array.from(argmax), name).toEqual([4, 4, 4, 4]);
      const dx = alloc(dtype, 9).fill(3);
      maxPool2dBackward(dy, argmax, dx);
      expect(Array.from(dx), name).toEqual([0, 0, 0, 0, dtype === "float32" ? 1 : 2, 0, 0, 0, 0]);
    }
  });

  it("a hand-worked example with out-of-range indices, which are skipped", () => {
    const dy = ctor.of(5, 6, 7, 8, 9);
    const argmax = Int32Array.of(-1, 4, 0, 3, 2 ** 31 - 1);
    for (const name of SUBJECT_NAMES) {
      use(name);
      const dx = alloc(dtype, 4).fill(NaN);
      maxPool2dBackward(dy, argmax, dx);
      expect(Array.from(dx), name).toEqual([7, 0, 0, 8]);
      const want = alloc(dtype, 4);
      maxPool2dBackwardReference(dy, argmax, want);
      expectSameBits(dx, want, `${name}: the reference agrees`);
    }
  });

  it("throws ShapeMismatchError when argmax and dy differ in length", () => {
    for (const name of SUBJECT_NAMES) {
      use(name);
      const dx = alloc(dtype, 9).fill(1);
      expect(() => maxPool2dBackward(alloc(dtype, 4), new Int32Array(3), dx)).toThrow(ShapeMismatchError);
      expect(() => maxPool2dBackward(alloc(dtype, 3), new Int32Array(4), dx)).toThrow(ShapeMismatchError);
      expect(Array.from(dx), "dx untouched by a rejected call").toEqual(new Array(9).fill(1));
    }
  });
});

