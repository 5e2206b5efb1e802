import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setBackend } from "./backend.js";
import { createThreadedWasmBackend, type ThreadedWasmBackend } from "./backend-wasm-threads.js";
import type { FloatArray } from "./dtype.js";
import type { ParameterUpdate } from "./kernel-backend.js";
import { isBackpropError } from "./errors.js";
import {
  col2imReference,
  conv2dBackward,
  conv2dForward,
  conv2dInputGradient,
  conv2dKernelGradient,
  convGeometry,
  im2colReference,
  type ConvGeometry,
} from "./im2col.js";
import { Matrix, Tensor } from "./tensor.js";
import { addRowVector, matmul, sumColumns } from "./ops.js";
import { Rng } from "./rng.js";
import { createWasmBackend, isWasmSimdSupported, type WasmBackend } from "./wasm-backend.js";

// The threaded backend splits rows on 4-row tile boundaries, so each element is computed by the
// same instructions in the same order as on one thread: results must be bit-identical.

function random(rows: number, cols: number, dtype: "float32" | "float64", rng: Rng): Matrix {
  const m = new Matrix(rows, cols, dtype);
  for (let i = 0; i < m.size; i++) m.data[i] = rng.uniform(-1, 1);
  return m;
}

/** Same bits, element for element (NaN payloads included). */
/** Plain SGD for every parameter of a stack of up to three layers. */
function sgdUpdates(lr: number, weightDecay: number): ParameterUpdate[] {
  return [0, 1, 2].map(() => ({ rule: "sgd", lr, weightDecay }));
}

function sameBits(a: FloatArray, b: FloatArray): boolean {
  return (
    a.length === b.length &&
    Buffer.compare(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), new Uint8Array(b.buffer, b.byteOffset, b.byteLength)) === 0
  );
}

/** A geometry (undefined where the window does not fit), a batch size and a seed for the operands. */
function convCaseArb(big: boolean): fc.Arbitrary<{ g: ConvGeometry | undefined; batch: number; seed: number }> {
  const size = big ? fc.integer({ min: 20, max: 60 }) : fc.integer({ min: 1, max: 12 });
  const pair = (max: number) => fc.tuple(fc.integer({ min: 1, max }), fc.integer({ min: 1, max }));
  const padding = fc.oneof(
    fc.constant("valid" as const),
    fc.constant("same" as const),
    fc.tuple(fc.nat(2), fc.nat(2), fc.nat(2), fc.nat(2)).map(([t, b, l, r]) => [[t, b], [l, r]] as const),
  );
  return fc
    .record({
      h: size,
      w: size,
      c: fc.integer({ min: 1, max: big ? 8 : 5 }),
      kernelSize: pair(5),
      strides: pair(3),
      dilation: pair(2),
      padding,
      batch: fc.integer({ min: 1, max: big ? 16 : 4 }),
      seed: fc.nat(10_000),
    })
    .map(({ h, w, c, batch, seed, ...options }) => {
      try {
        return { g: convGeometry({ inputShape: [h, w, c], ...options }), batch, seed };
      } catch {
        return { g: undefined, batch, seed }; // the window does not fit
      }
    });
}

const shapes: [number, number, number][] = [
  [5, 9, 3],
  [17, 13, 11],
  [64, 128, 100],
  [33, 10, 128],
  [130, 70, 9],
  [1, 128, 784],
  // Split by columns with a partial last panel, and an empty inner dimension split by columns.
  [9, 53, 5],
  [12, 72, 0],
];

describe.runIf(isWasmSimdSupported() && typeof SharedArrayBuffer === "function")("the threaded wasm backend", () => {
  let two: ThreadedWasmBackend;
  let three: ThreadedWasmBackend;
  let single: WasmBackend;
  beforeAll(async () => {
    // minParallelWork 0: split even the small products, to exercise every edge of the split.
    two = await createThreadedWasmBackend({ threads: 2, minWork: 0, minParallelWork: 0 });
    three = await createThreadedWasmBackend({ threads: 3, minWork: 0, minParallelWork: 0 });
    single = createWasmBackend({ minWork: 0, relaxed: two.fused });
  });
  afterAll(async () => {
    await two.close();
    await three.close();
  });

  it("matches the one-thread wasm backend bit for bit (both dtypes, all transposes, accumulate)", () => {
    const rng = new Rng(11);
    for (const dtype of ["float32", "float64"] as const) {
      for (const [m, n, k] of shapes) {
        for (const transA of [false, true]) {
          for (const transB of [false, true]) {
            for (const accumulate of [false, true]) {
              const a = transA ? random(k, m, dtype, rng) : random(m, k, dtype, rng);
              const b = transB ? random(n, k, dtype, rng) : random(k, n, dtype, rng);
              const start = random(m, n, dtype, rng);
              const want = start.clone();
              single.gemm(transA, transB, m, n, k, a.data, b.data, want.data, accumulate);
              for (const backend of [two, three]) {
                const got = start.clone();
                backend.gemm(transA, transB, m, n, k, a.data, b.data, got.data, accumulate);
                expect(got.data).toEqual(want.data);
              }
            }
          }
        }
      }
    }
  });

  it("trains a small MLP to exactly the weights of one thread (same seed)", () => {
    // Hand-written 20-32-4 tanh regression with SGD: forward, backward and update through matmul.
    function train(): Float32Array {
      const rng = new Rng(5);
      const x = random(96, 20, "float32", rng);
      const t = random(96, 4, "float32", rng);
      const w1 = random(20, 32, "float32", rng);
      const b1 = new Matrix(1, 32, "float32");
      const w2 = random(32, 4, "float32", rng);
      const h = new Matrix(96, 32, "float32");
      const y = new Matrix(96, 4, "float32");
      const dy = new Matrix(96, 4, "float32");
      const dh = new Matrix(96, 32, "float32");
      const g1 = new Matrix(20, 32, "float32");
      const gb1 = new Matrix(1, 32, "float32");
      const g2 = new Matrix(32, 4, "float32");
      for (let step = 0; step < 20; step++) {
        addRowVector(matmul(x, w1, h), b1, h);
        for (let i = 0; i < h.size; i++) h.data[i] = Math.tanh(h.data[i] as number);
        matmul(h, w2, y);
        for (let i = 0; i < y.size; i++) dy.data[i] = ((y.data[i] as number) - (t.data[i] as number)) / 96;
        matmul(h, dy, g2, { transA: true });
        matmul(dy, w2, dh, { transB: true });
        for (let i = 0; i < dh.size; i++) dh.data[i] = (dh.data[i] as number) * (1 - (h.data[i] as number) ** 2);
        matmul(x, dh, g1, { transA: true });
        sumColumns(dh, gb1);
        for (const [p, g] of [[w1, g1], [b1, gb1], [w2, g2]] as const) {
          for (let i = 0; i < p.size; i++) p.data[i] = (p.data[i] as number) - 0.1 * (g.data[i] as number);
        }
      }
      return Float32Array.from([...w1.data, ...b1.data, ...w2.data]);
    }
    const previous = setBackend(single);
    let one: Float32Array;
    let threaded: Float32Array;
    try {
      one = train();
      setBackend(two);
      threaded = train();
    } finally {
      setBackend(previous);
    }
    expect(threaded).toEqual(one);
    expect(one.every(Number.isFinite)).toBe(true);
  });

  it("runs im2col and col2im with the reference's bits (random geometries, both dtypes, growing its memory)", () => {
    // The shared memory starts at 2 MiB: the big cases (up to 16 samples of 60×60×8) grow it.
    const before = [two.memoryBytes(), three.memoryBytes()];
    let checked = 0;
    fc.assert(
      fc.property(fc.oneof({ arbitrary: convCaseArb(false), weight: 4 }, convCaseArb(true)), fc.constantFrom("float32", "float64" as const), ({ g, batch, seed }, dtype) => {
        if (!g) return;
        const rng = new Rng(seed);
        const x = rng.fillNormal(new Tensor([batch, g.inHeight, g.inWidth, g.channels], dtype));
        const rows = batch * g.outHeight * g.outWidth;
        const taps = g.kernelHeight * g.kernelWidth * g.channels;
        const p = rng.fillNormal(new Matrix(rows, taps, dtype));
        const want = new Matrix(rows, taps, dtype);
        const wantDx = new Tensor(x.shape, dtype);
        im2colReference(g, batch, x.data, want.data);
        col2imReference(g, batch, p.data, wantDx.data);
        for (const backend of [two, three]) {
          const got = Matrix.full(rows, taps, Number.NaN, dtype);
          backend.im2col?.(g, batch, x.data, got.data);
          expect(sameBits(got.data, want.data)).toBe(true);
          const dx = Tensor.full(x.shape, Number.NaN, dtype);
          backend.col2im?.(g, batch, p.data, dx.data);
          expect(sameBits(dx.data, wantDx.data)).toBe(true);
        }
        checked++;
      }),
      { numRuns: 150, seed: 23 },
    );
    expect(checked).toBeGreaterThan(80);
    expect(two.memoryBytes()).toBeGreaterThan(before[0] as number);
    expect(three.memoryBytes()).toBeGreaterThan(before[1] as number);
  });

  it("splits the convolution passes across threads with the one-thread backend's bits", () => {
    // Threads split the rows, taps or samples, never a sum, and gather with the same kernels: the
    // passes here must equal the one-thread backend's bit for bit, whatever the thread count.
    const previous = setBackend(single);
    try {
      fc.assert(
        fc.property(
          fc.oneof({ arbitrary: convCaseArb(false), weight: 3 }, convCaseArb(true)),
          fc.constantFrom("float32", "float64" as const),
          // 32 filters and more: the kernel gradient too is split across threads.
          fc.oneof({ arbitrary: fc.integer({ min: 1, max: 12 }), weight: 4 }, fc.integer({ min: 32, max: 40 })),
          ({ g, batch, seed }, dtype, filters) => {
            if (!g) return;
            const rng = new Rng(seed);
            const x = rng.fillNormal(new Tensor([batch, g.inHeight, g.inWidth, g.channels], dtype));
            const rows = batch * g.outHeight * g.outWidth;
            const kernel = rng.fillNormal(new Matrix(g.kernelHeight * g.kernelWidth * g.channels, filters, dtype));
            const bias = rng.fillNormal(new Matrix(1, filters, dtype));
            const delta = rng.fillNormal(new Matrix(rows, filters, dtype));
            const results = [single, two, three].map((backend) => {
              setBackend(backend);
              // Both gradients in one call (a helper sums the kernel gradient meanwhile), added
              // onto a kernel gradient that already holds something.
              const kernelGradient = new Rng(seed + 1).fillNormal(new Matrix(kernel.rows, filters, dtype));
              const inputGradient = new Tensor([batch, g.inHeight, g.inWidth, g.channels], dtype);
              conv2dBackward(x, g, delta, kernel, kernelGradient, inputGradient, true);
              return [
                conv2dForward(x, g, kernel, undefined, bias, "relu").data,
                conv2dKernelGradient(x, g, delta).data,
                conv2dInputGradient(delta, g, kernel).data,
                kernelGradient.data,
                inputGradient.data,
              ];
            });
            for (const other of results.slice(1)) {
              for (let i = 0; i < 5; i++) expect(sameBits(other[i] as FloatArray, results[0]?.[i] as FloatArray)).toBe(true);
            }
          },
        ),
        { numRuns: 60, seed: 29 },
      );
    } finally {
      setBackend(previous);
    }
  });

  it("runs a Dense stack's passes and SGD update with the one-thread stack's bits, also when other products ran in between", () => {
    for (const dtype of ["float32", "float64"] as const) {
      const plan = {
        dtype,
        batch: 12,
        layers: [
          { inputs: 40, units: 24, bias: true, activation: "relu" as const },
          { inputs: 24, units: 24, bias: false, activation: "identity" as const },
          { inputs: 24, units: 5, bias: true, activation: "external" as const },
        ],
      };
      const run = (backend: ThreadedWasmBackend | WasmBackend, interfere: "none" | "between passes" | "before update" | "no update") => {
        const stack = backend.denseStack?.(plan);
        expect(stack).toBeDefined();
        const r = new Rng(5);
        const x = random(12, 40, dtype, r).data;
        const kernels = [random(40, 24, dtype, r).data, random(24, 24, dtype, r).data, random(24, 5, dtype, r).data];
        const biases = [random(1, 24, dtype, r).data, undefined, random(1, 5, dtype, r).data];
        const kernelGrads = kernels.map((k) => k.slice().fill(0));
        const biasGrads = biases.map((b) => b?.slice().fill(0));
        const out = random(12, 5, dtype, r).data;
        const delta = random(12, 5, dtype, r).data;
        const other = () => backend.gemm(false, false, 16, 16, 16, new Float64Array(256).fill(3), new Float64Array(256).fill(7), new Float64Array(256), false);
        const steps: unknown[] = [];
        for (let step = 0; step < 3; step++) {
          stack?.forward(x, kernels, biases, out);
          if (interfere === "between passes") other();
          const bad = stack?.backward(delta, true, kernelGrads, biasGrads);
          if (interfere === "before update") other();
          const updated = interfere === "no update" ? false : stack?.update(sgdUpdates(0.05, 0.001), sgdUpdates(0.05, 0.001), kernels, biases);
          steps.push(bad, updated);
        }
        return { out: out.slice(), kernels: kernels.map((k) => k.slice()), biases: biases.map((b) => b?.slice()), grads: kernelGrads.map((g) => g.slice()), steps };
      };
      const one = run(single, "none");
      for (const backend of [two, three]) {
        const split = run(backend, "none");
        expect(split).toEqual(one);
        // Another product overwrote the shared memory between the passes: the stack redoes its forward pass.
        expect(run(backend, "between passes")).toEqual(one);
        // ... before the update: the update declines (the optimizer would step) and changes nothing,
        // as a one-thread run that never updates.
        const declined = run(backend, "before update");
        expect(declined.steps.filter((_, i) => i % 2 === 1)).toEqual([false, false, false]);
        expect(declined).toEqual(run(single, "no update"));
        expect(declined.kernels).not.toEqual(one.kernels);
      }
    }
  });

  it("runs momentum and Adam in a Dense stack with the bits of the backend's updates, holding the slots only in a memory of its own until released", () => {
    const plan = {
      dtype: "float32" as const,
      batch: 6,
      layers: [
        { inputs: 40, units: 24, bias: true, activation: "relu" as const },
        { inputs: 24, units: 5, bias: true, activation: "external" as const },
      ],
    };
    const r = new Rng(11);
    const x = random(6, 40, "float32", r).data;
    const delta = random(6, 5, "float32", r).data;
    const start = { kernels: [random(40, 24, "float32", r).data, random(24, 5, "float32", r).data], biases: [random(1, 24, "float32", r).data, random(1, 5, "float32", r).data] };
    const sizes = [40 * 24, 24, 24 * 5, 5];
    const step = { stepSize: 0.01, sqrtCorrection2: 0.3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.001 };
    const slotsOf = (rule: string) => sizes.map((n) => (rule === "momentum" ? [new Float64Array(n)] : [new Float64Array(n), new Float64Array(n), new Float64Array(n)]));
    const updateOf = (rule: string, slots: Float64Array[]): ParameterUpdate =>
      rule === "momentum"
        ? { rule: "momentum", lr: 0.05, momentum: 0.9, weightDecay: 0.001, nesterov: true, buffer: slots[0] as Float64Array }
        : { rule: "adam", moments: { expAvg: slots[0] as Float64Array, expAvgSq: slots[1] as Float64Array, maxExpAvgSq: slots[2] }, step };
    for (const rule of ["momentum", "adam"]) {
      // The reference: the backend's own update on each parameter, the gradients from the stack.
      const expected = { kernels: start.kernels.map((k) => k.slice()), biases: start.biases.map((b) => b.slice()), slots: slotsOf(rule) };
      for (let t = 0; t < 2; t++) {
        const reference = single.denseStack?.(plan);
        const kernelGrads = expected.kernels.map((k) => k.slice());
        const biasGrads = expected.biases.map((b) => b.slice());
        reference?.forward(x, expected.kernels, expected.biases, new Float32Array(30));
        reference?.backward(delta, true, kernelGrads, biasGrads);
        const params = [expected.kernels[0], expected.biases[0], expected.kernels[1], expected.biases[1]] as Float32Array[];
        const grads = [kernelGrads[0], biasGrads[0], kernelGrads[1], biasGrads[1]] as Float32Array[];
        params.forEach((p, i) => {
          const slots = expected.slots[i] as Float64Array[];
          const done =
            rule === "momentum"
              ? single.momentumUpdate(p, grads[i] as Float32Array, slots[0] as Float64Array, 0.05, 0.9, 0.001, true)
              : single.adamUpdate(p, grads[i] as Float32Array, { expAvg: slots[0] as Float64Array, expAvgSq: slots[1] as Float64Array, maxExpAvgSq: slots[2] }, step);
          expect(done).toBe(true);
        });
      }
      for (const backend of [single, two, three]) {
        const stack = backend.denseStack?.(plan);
        const kernels = start.kernels.map((k) => k.slice());
        const biases = start.biases.map((b) => b.slice());
        const slots = slotsOf(rule);
        const updates = slots.map((s) => updateOf(rule, s));
        for (let t = 0; t < 2; t++) {
          stack?.forward(x, kernels, biases, new Float32Array(30));
          stack?.backward(delta, true, kernels.map((k) => k.slice()), biases.map((b) => b.slice()));
          expect(stack?.update([updates[0], updates[2]], [updates[1], updates[3]], kernels, biases)).toBe(true);
        }
        expect(kernels).toEqual(expected.kernels);
        expect(biases).toEqual(expected.biases);
        // A memory of its own keeps the slots until released; a shared one gives them back each time.
        const written = slots.every((s, i) => s.every((a, k) => sameBits(a, (expected.slots[i] as Float64Array[])[k] as Float64Array)));
        expect(written).toBe(backend !== single);
        stack?.release();
        slots.forEach((s, i) => s.forEach((a, k) => expect(sameBits(a, (expected.slots[i] as Float64Array[])[k] as Float64Array)).toBe(true)));
        // float64 stacks decline both rules (the optimizer's own loops run them).
        const wide = backend.denseStack?.({ ...plan, dtype: "float64" });
        const k64 = start.kernels.map((k) => Float64Array.from(k));
        const b64 = start.biases.map((b) => Float64Array.from(b));
        wide?.forward(Float64Array.from(x), k64, b64, new Float64Array(30));
        wide?.backward(Float64Array.from(delta), true, k64.map((k) => k.slice()), b64.map((b) => b.slice()));
        expect(wide?.update([updates[0], updates[2]], [updates[1], updates[3]], k64, b64)).toBe(false);
      }
    }
  });

  it("reuses the parameters a Dense stack holds only while they cannot have changed", () => {
    for (const dtype of ["float32", "float64"] as const) {
      const plan = {
        dtype,
        batch: 6,
        layers: [
          { inputs: 40, units: 24, bias: true, activation: "relu" as const },
          { inputs: 24, units: 5, bias: true, activation: "external" as const },
        ],
      };
      const r = new Rng(9);
      const x = random(6, 40, dtype, r).data;
      const delta = random(6, 5, dtype, r).data;
      const start = { kernels: [random(40, 24, dtype, r).data, random(24, 5, dtype, r).data], biases: [random(1, 24, dtype, r).data, random(1, 5, dtype, r).data] };
      /** The output of a new one-thread stack (a memory of its own) for these parameters. */
      const fresh = (_: unknown, kernels: readonly FloatArray[], biases: readonly FloatArray[]) => {
        const out = new (dtype === "float32" ? Float32Array : Float64Array)(30);
        single.denseStack?.(plan)?.forward(x, kernels, biases, out);
        return out;
      };
      for (const backend of [single, two, three]) {
        const stack = backend.denseStack?.(plan);
        expect(stack).toBeDefined();
        const kernels = start.kernels.map((k) => k.slice());
        const biases = start.biases.map((b) => b.slice());
        const out = new (dtype === "float32" ? Float32Array : Float64Array)(30);
        stack?.forward(x, kernels, biases, out);
        const before = out.slice();
        expect(before).toEqual(fresh(backend, start.kernels, start.biases));
        // A change the caller does not announce is not read when it promises none ...
        (kernels[0] as FloatArray)[3] = 5;
        (biases[1] as FloatArray)[0] = -2;
        stack?.forward(x, kernels, biases, out, true);
        expect(out).toEqual(before);
        // ... and is read without the promise.
        stack?.forward(x, kernels, biases, out);
        const changed = out.slice();
        expect(changed).not.toEqual(before);
        expect(changed).toEqual(fresh(backend, kernels, biases));
        // After an update the held copy is the updated parameters.
        stack?.backward(delta, true, kernels.map((k) => k.slice()), biases.map((b) => b.slice()));
        expect(stack?.update(sgdUpdates(0.1, 0), sgdUpdates(0.1, 0), kernels, biases)).toBe(true);
        stack?.forward(x, kernels, biases, out, true);
        expect(out).toEqual(fresh(backend, kernels, biases));
        // Other arrays than the ones it copied: read.
        const others = kernels.map((k) => k.slice());
        (others[1] as FloatArray)[0] = 3;
        stack?.forward(x, others, biases, out, true);
        expect(out).toEqual(fresh(backend, others, biases));
        if (backend !== single) {
          // A shared memory written by another product since: read again, whatever the promise.
          (others[1] as FloatArray)[1] = 4;
          backend.gemm(false, false, 16, 16, 16, new Float64Array(256).fill(3), new Float64Array(256).fill(7), new Float64Array(256), false);
          stack?.forward(x, others, biases, out, true);
          expect(out).toEqual(fresh(backend, others, biases));
          // ... or by another stack's pass (its regions overlap this one's).
          (others[0] as FloatArray)[2] = -3;
          const other = backend.denseStack?.(plan);
          other?.forward(x, start.kernels, start.biases, new (dtype === "float32" ? Float32Array : Float64Array)(30));
          stack?.forward(x, others, biases, out, true);
          expect(out).toEqual(fresh(backend, others, biases));
        }
      }
    }
  });

  it("rejects a bad thread count and use after close", async () => {
    await expect(createThreadedWasmBackend({ threads: 0 })).rejects.toThrow(/threads must be an integer/);
    const b = await createThreadedWasmBackend({ threads: 2 });
    await b.close();
    let caught: unknown;
    try {
      b.gemm(false, false, 64, 64, 64, new Float32Array(4096), new Float32Array(4096), new Float32Array(4096), false);
    } catch (e) {
      caught = e;
    }
    expect(isBackpropError(caught)).toBe(true);
    const g = convGeometry({ inputShape: [8, 8, 1], kernelSize: [3, 3] });
    expect(() => b.im2col?.(g, 1, new Float32Array(64), new Float32Array(324))).toThrow(/used after close/);
    // A Dense stack made before close() fails the same way instead of waiting for its helpers.
    const live = await createThreadedWasmBackend({ threads: 2, minParallelWork: 0 });
    const stack = live.denseStack?.({ dtype: "float32", batch: 8, layers: [{ inputs: 64, units: 64, bias: true, activation: "identity" }] });
    await live.close();
    const w = new Float32Array(64 * 64);
    expect(() => stack?.forward(new Float32Array(8 * 64), [w], [new Float32Array(64)], new Float32Array(8 * 64))).toThrow(/used after close/);
  });
});
