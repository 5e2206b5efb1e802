import type { FloatArray } from "./dtype.js";
import type { DenseEpochs, DenseEpochsPlan } from "./kernel-backend.js";
import type { DenseStackKit } from "./wasm-dense-stack.js";

/*
 * Whole full-batch epochs of a small dense network in one WASM call (KernelBackend.denseEpochs;
 * the loop is assembly/dense-epochs.ts). The plan is laid out once in the stack's own instance —
 * a header of i32 words the kernel reads, then every array — and each run copies the data set and
 * the parameters in, runs the epochs, and copies the parameters, their last gradients and the last
 * output out.
 *
 * σ, tanh, softmax and the cross-entropies' logarithms run on assembly/libm.ts, written to give
 * the bits of V8's Math.exp, Math.log and Math.tanh. Engines are free to compute those
 * differently, so the first plan checks libm against this engine's Math on a spread of arguments
 * and every plan is declined if any differs: the caller then runs its ordinary step.
 */

/** Plans above this many multiply-adds per epoch gain little from one call: the step is arithmetic-bound. */
const MAX_WORK = 1 << 22;
const LAYER_WORDS = 16;
const HEADER_BYTES = 64;
const ACTIVATION_CODES = { identity: 0, relu: 1, sigmoid: 2, tanh: 3, softmax: 4 } as const;
const LOSS_CODES = { meanSquaredError: 0, categoricalCrossentropy: 1 } as const;

type EpochsExport = (plan: number, hp: number, count: number) => number;
type UnaryExport = (x: number) => number;

function align16(bytes: number): number {
  return (bytes + 15) & ~15;
}

/** Arguments spread over the ranges σ, tanh, softmax and the losses use, and the edges of libm's branches. */
function probeArguments(): number[] {
  const out = [0, -0, 1, -1, 0.5, 2, 1e-300, 5e-324, 1e-9, 0.34657359027997264, 1.0397207708399179, 709.78, -745.1, 22, 30, 1e300];
  // A fixed pseudo-random spread (no dependence on the model's generator).
  let s = 0x9e3779b9;
  for (let i = 0; i < 600; i++) {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) | 0;
    const u = (s >>> 0) / 2 ** 32;
    out.push((u - 0.5) * 80, u * 1e-3, u, (u - 0.5) * 1.5);
  }
  return out;
}

let libmAgrees: boolean | undefined;

/** Whether libm.ts gives this engine's Math bits on the probe arguments (checked once). */
function libmMatchesEngine(exports: Record<string, unknown>): boolean {
  if (libmAgrees !== undefined) return libmAgrees;
  const pairs: [UnaryExport, (x: number) => number, (x: number) => number][] = [
    [exports["libmExp"] as UnaryExport, Math.exp, (x) => x],
    [exports["libmExp"] as UnaryExport, Math.exp, (x) => -Math.abs(x)],
    [exports["libmLog"] as UnaryExport, Math.log, (x) => Math.abs(x)],
    [exports["libmTanh"] as UnaryExport, Math.tanh, (x) => x],
  ];
  const xs = probeArguments();
  libmAgrees = true;
  for (const [ours, engine, arg] of pairs) {
    for (const x of xs) {
      const a = ours(arg(x));
      const b = engine(arg(x));
      if (!Object.is(a, b) && !(Number.isNaN(a) && Number.isNaN(b))) libmAgrees = false;
    }
  }
  return libmAgrees;
}

/** The {@link DenseEpochs} of `plan` on a fresh instance, or undefined when it is declined (internal). */
export function createDenseEpochs(kit: DenseStackKit, plan: DenseEpochsPlan): DenseEpochs | undefined {
  const { rows, layers } = plan;
  if (!(Number.isInteger(rows) && rows > 0) || layers.length === 0) return undefined;
  let work = 0;
  for (let l = 0; l < layers.length; l++) {
    const layer = layers[l] as DenseEpochsPlan["layers"][number];
    if (!(Number.isInteger(layer.inputs) && layer.inputs > 0 && Number.isInteger(layer.units) && layer.units > 0)) return undefined;
    if (l > 0 && layer.inputs !== (layers[l - 1] as DenseEpochsPlan["layers"][number]).units) return undefined;
    if (layer.activation === "softmax" && l !== layers.length - 1) return undefined;
    if (ACTIVATION_CODES[layer.activation] === undefined) return undefined;
    work += rows * layer.inputs * layer.units;
  }
  if (LOSS_CODES[plan.loss.name] === undefined || work > MAX_WORK) return undefined;
  // float32 only: the loop is compiled once, and a float64 copy would add ~6 KB to a module every
  // bundle ships (the playground's worker has a budget); float64 nets run the ordinary step.
  if (plan.dtype !== "float32") return undefined;
  const size = 4;
  const shift = 2;

  // Layout: header, hyperparameters, gemm panel, data set, then each layer's arrays.
  const planAt = kit.heapBase;
  const hpAt = align16(planAt + HEADER_BYTES + layers.length * LAYER_WORDS * 4);
  let next = align16(hpAt + 4 * 8);
  const take = (elements: number, bytes = size): number => {
    const at = next;
    next = align16(next + elements * bytes);
    return at;
  };
  let widestK = rows;
  for (const layer of layers) widestK = Math.max(widestK, layer.inputs, layer.units);
  const panel = take(kit.panelBytes(widestK), 1);
  const first = layers[0] as DenseEpochsPlan["layers"][number];
  const lastLayer = layers[layers.length - 1] as DenseEpochsPlan["layers"][number];
  const xAt = take(rows * first.inputs);
  const yAt = take(rows * lastLayer.units);
  const gAt = take(rows * lastLayer.units);
  // Doubles for the softmax's exponentials (rows × the widest layer).
  const scratchAt = take(rows * Math.max(...layers.map((layer) => layer.units)), 8);
  // The parameters packed (each kernel, then its bias), and the gradients in the same order, so
  // that one pass checks every gradient and one pass updates every parameter.
  const paramCount = layers.reduce((sum, layer) => sum + layer.inputs * layer.units + (layer.bias ? layer.units : 0), 0);
  const paramsAt = take(paramCount);
  const gradsAt = take(paramCount);
  let packed = 0;
  const regions = layers.map((layer, l) => {
    const w = paramsAt + packed * size;
    const dw = gradsAt + packed * size;
    packed += layer.inputs * layer.units;
    const b = layer.bias ? paramsAt + packed * size : 0;
    const db = layer.bias ? gradsAt + packed * size : 0;
    if (layer.bias) packed += layer.units;
    const z = take(rows * layer.units);
    const y = layer.activation === "identity" ? z : take(rows * layer.units);
    const dz = take(rows * layer.units);
    const dx = l > 0 ? take(rows * layer.inputs) : 0;
    const useGemm = rows * layer.units * layer.inputs >= kit.minWork;
    return { layer, w, b, z, y, dz, dw, db, dx, useGemm };
  });
  // The losses of one run, float64: at most this many epochs per kernel call.
  const lossesCapacity = 4096;
  const lossesAt = take(lossesCapacity, 8);
  const end = next;

  const instance = kit.instantiate();
  const e = instance.exports;
  if (!libmMatchesEngine(e)) return undefined;
  instance.reserve(end);
  const memory = instance.memory;
  // Never grown again: the views stay valid for the runner's life.
  const view = new Float32Array(memory.buffer);
  const f64 = new Float64Array(memory.buffer);
  const i32 = new Int32Array(memory.buffer);
  const run = e["denseEpochsF32"] as EpochsExport;

  const h = planAt >> 2;
  i32[h] = layers.length;
  i32[h + 1] = rows;
  i32[h + 2] = LOSS_CODES[plan.loss.name];
  i32[h + 3] = plan.fused ? 1 : 0;
  i32[h + 4] = xAt;
  i32[h + 5] = yAt;
  i32[h + 6] = gAt;
  i32[h + 7] = lossesAt;
  i32[h + 8] = panel;
  i32[h + 9] = scratchAt;
  i32[h + 10] = paramsAt;
  i32[h + 11] = gradsAt;
  i32[h + 12] = paramCount;
  regions.forEach((r, l) => {
    const o = h + HEADER_BYTES / 4 + l * LAYER_WORDS;
    i32[o] = r.layer.inputs;
    i32[o + 1] = r.layer.units;
    i32[o + 2] = r.layer.bias ? 1 : 0;
    i32[o + 3] = ACTIVATION_CODES[r.layer.activation];
    i32[o + 4] = r.useGemm ? 1 : 0;
    i32[o + 5] = r.w;
    i32[o + 6] = r.b;
    i32[o + 7] = r.z;
    i32[o + 8] = r.y;
    i32[o + 9] = r.dz;
    i32[o + 10] = r.dw;
    i32[o + 11] = r.db;
    i32[o + 12] = r.dx;
  });
  f64[(hpAt >> 3) + 2] = plan.loss.eps;
  f64[(hpAt >> 3) + 3] = 1 - plan.loss.eps;
  const lastRegion = regions[regions.length - 1] as (typeof regions)[number];

  function put(src: FloatArray, at: number, n: number): void {
    view.set(n === src.length ? src : src.subarray(0, n), at >> shift);
  }
  function get(at: number, n: number, dst: FloatArray): void {
    dst.set(view.subarray(at >> shift, (at >> shift) + n));
  }

  return {
    run(arrays, count, lr, weightDecay, losses) {
      put(arrays.x, xAt, rows * first.inputs);
      put(arrays.y, yAt, rows * lastLayer.units);
      regions.forEach((r, l) => {
        put(arrays.kernels[l] as FloatArray, r.w, r.layer.inputs * r.layer.units);
        if (r.layer.bias) put(arrays.biases[l] as FloatArray, r.b, r.layer.units);
      });
      f64[hpAt >> 3] = lr;
      f64[(hpAt >> 3) + 1] = weightDecay;
      let done = 0;
      while (done < count) {
        const chunk = Math.min(count - done, lossesCapacity);
        const ran = run(planAt, hpAt, chunk);
        losses.set(f64.subarray(lossesAt >> 3, (lossesAt >> 3) + ran), done);
        done += ran;
        if (ran < chunk) break;
      }
      regions.forEach((r, l) => {
        get(r.w, r.layer.inputs * r.layer.units, arrays.kernels[l] as FloatArray);
        get(r.dw, r.layer.inputs * r.layer.units, arrays.kernelGrads[l] as FloatArray);
        if (r.layer.bias) {
          get(r.b, r.layer.units, arrays.biases[l] as FloatArray);
          get(r.db, r.layer.units, arrays.biasGrads[l] as FloatArray);
        }
      });
      get(lastRegion.y, rows * lastLayer.units, arrays.output);
      return done;
    },
  };
}
