import type { KernelBackend } from "@backprop/linalg";
import { irisLike, mnistLike, xor, type Dataset } from "./data.js";
import type { GemmShape } from "./gemm-bench.js";
import { warmThenTime, type Entry, type Unit } from "./harness.js";
import { brainInfer, brainTrain } from "./libs/brain.js";
import { infer, loadTfjs, trainFit, trainMinimize, trainTiny } from "./libs/tfjs.js";
import { peakRssMB, type ChildSample, type Samples } from "./rounds.js";
import { summarize, type Summary } from "./stats.js";
import type { Ours } from "./w4.js";

/*
 * W1 (train 784-128-10), W2 (XOR, Iris) and W3 (inference at batch 256 and batch-1 latency), one
 * library and one workload per child process (`--child=<lib> --child-workload=<key>-round`): setup
 * and ≥ 0.5 s of warm-up untimed, then the median of three timed runs; the parent runs the rounds
 * (rounds.ts). W1's children of ours also time the step's matrix products alone, on the same
 * backend, so the step's GFLOP/s sits next to its GEMM GFLOP/s.
 */

/** W1's mini-batch. */
export const W1_BATCH = 64;
/** W1's layer sizes. */
export const W1_SIZES = [784, 128, 10] as const;

/** How much work W1–W3 do per run. */
export interface W123Sizes {
  /** W1's samples (one epoch per run); W3's rows come from the same data. */
  readonly samples: number;
  /** W2's full-batch epochs per run. */
  readonly epochs: number;
  /** W3 batch 256: predict calls per run. */
  readonly batchIterations: number;
  /** W3 batch 1: predict calls per run. */
  readonly latencyIterations: number;
}

/** The sizes of a full run, `--quick` and `--smoke` (`samples` overrides W1's). */
export function w123Sizes(mode: "full" | "quick" | "smoke", samples?: number): W123Sizes {
  if (mode === "smoke") return { samples: samples ?? 128, epochs: 20, batchIterations: 2, latencyIterations: 10 };
  if (mode === "quick") return { samples: samples ?? 3200, epochs: 2000, batchIterations: 20, latencyIterations: 2000 };
  return { samples: samples ?? 6400, epochs: 10000, batchIterations: 20, latencyIterations: 2000 };
}

/** The child workloads: W1, W2 XOR, W2 Iris, W3 batch 256, W3 batch 1. */
export type W123Key = "W1" | "W2-xor" | "W2-iris" | "W3-batch" | "W3-latency";
export const W123_KEYS: readonly W123Key[] = ["W1", "W2-xor", "W2-iris", "W3-batch", "W3-latency"];

/** A workload's table name and unit. */
export function w123Workload(key: W123Key, s: W123Sizes): { name: string; unit: Unit } {
  switch (key) {
    case "W1":
      return { name: "W1 train 784-128-10", unit: "samples/s" };
    case "W2-xor":
      return { name: "W2 XOR 2-4-1", unit: "ms" };
    case "W2-iris":
      return { name: "W2 Iris 4-8-3", unit: "ms" };
    case "W3-batch":
      return { name: `W3 infer batch ${Math.min(256, s.samples)}`, unit: "samples/s" };
    case "W3-latency":
      return { name: "W3 latency batch 1", unit: "µs" };
  }
}

/** A workload's libraries, in the order of the first round. */
export function w123Libs(key: W123Key, withOurs: boolean): string[] {
  // Both cores where a product is large enough to split (W1's step, W3's batch of 256); for
  // inference also `model.predictor()`, the model frozen with its weights held by the backend.
  const ours =
    key === "W1"
      ? ["backprop-wasm", "backprop-wasm-2w", "backprop-ts"]
      : key === "W3-batch"
        ? ["backprop-wasm", "backprop-wasm predictor", "backprop-wasm-2w", "backprop-ts"]
        : key === "W3-latency"
          ? ["backprop-wasm", "backprop-wasm predictor", "backprop-ts"]
          : ["backprop-wasm", "backprop-ts"];
  const peers =
    key === "W1" ? ["tfjs-wasm fit", "tfjs-wasm minimize", "tfjs-cpu fit", "tfjs-cpu minimize", "brain.js"] : ["tfjs-wasm", "tfjs-cpu", "brain.js"];
  return [...(withOurs ? ours : []), ...peers];
}

/** One library's entry for a workload, with its work per run and (ours) its kernel backend. */
export async function w123Entry(
  key: W123Key,
  lib: string,
  s: W123Sizes,
  ours: Ours | undefined,
): Promise<{ entry: Pick<Entry, "run" | "setup">; work: number; backend?: KernelBackend }> {
  const d = mnistLike(s.samples);
  let backend: KernelBackend | undefined;
  if (lib.startsWith("backprop-")) {
    if (!ours) throw new Error(`${lib}: @backprop/layers is not usable here`);
    backend = lib === "backprop-wasm-2w" ? await ours.twoThreadBackend() : ours.backendNamed(lib === "backprop-ts" ? "typescript" : "wasm");
  }
  const tfBackend = lib.startsWith("tfjs-wasm") ? "wasm" : "cpu";
  const tiny = (data: Dataset, sizes: number[]) => {
    const softmax = (sizes[sizes.length - 1] as number) > 1;
    return async () =>
      backend && ours
        ? ours.oursTiny(backend, data, sizes, s.epochs)
        : lib === "brain.js"
          ? brainTrain(data, sizes[1] as number, "sigmoid", s.epochs, softmax ? 0.1 : 0.5)
          : trainTiny(await loadTfjs(), tfBackend, data, sizes, softmax ? "softmaxCrossEntropy" : "sigmoidMse", s.epochs);
  };
  const inferOf = async (batch: number, iterations: number) => {
    const x = d.x.rowSlice(0, batch);
    if (backend && ours) return ours.oursInfer(backend, x, iterations, lib.endsWith(" predictor"));
    if (lib === "brain.js") return brainInfer(x, d, iterations);
    return infer(await loadTfjs(), tfBackend, x, iterations);
  };
  const check = (entry: Pick<Entry, "run" | "setup">, work: number) => {
    if (!lib.startsWith("backprop-") && !lib.startsWith("tfjs-") && lib !== "brain.js") throw new Error(`no ${key} library ${lib}`);
    return { entry, work, ...(backend ? { backend } : {}) };
  };
  switch (key) {
    case "W1": {
      let entry: Pick<Entry, "run" | "setup">;
      if (backend && ours) entry = ours.oursTrain(backend, d, W1_BATCH);
      else if (lib === "brain.js") entry = brainTrain(d, 128, "relu", 1, 0.01);
      else if (lib.endsWith(" fit")) entry = trainFit(await loadTfjs(), tfBackend, d, W1_BATCH);
      else if (lib.endsWith(" minimize")) entry = trainMinimize(await loadTfjs(), tfBackend, d, W1_BATCH);
      else throw new Error(`no W1 library ${lib}`);
      return check(entry, d.x.rows);
    }
    case "W2-xor":
      return check(await tiny(xor(), [2, 4, 1])(), s.epochs);
    case "W2-iris":
      return check(await tiny(irisLike(), [4, 8, 3])(), s.epochs);
    case "W3-batch": {
      const batch = Math.min(256, d.x.rows);
      return check(await inferOf(batch, s.batchIterations), batch * s.batchIterations);
    }
    case "W3-latency":
      return check(await inferOf(1, s.latencyIterations), s.latencyIterations);
  }
}

/** In a child: one round of one library on one workload; the line the child prints. */
export async function w123ChildRound(key: W123Key, lib: string, s: W123Sizes, ours: Ours | undefined): Promise<ChildSample> {
  const { entry, work, backend } = await w123Entry(key, lib, s, ours);
  await entry.setup?.();
  const { ms } = await warmThenTime(() => entry.run());
  // The workload's peak, read before W1's GEMM-alone diagnostic allocates its own operands.
  const peak = peakRssMB();
  const gemm = key === "W1" && backend ? { gemmMsPerStep: stepGemmMs(backend, mlpStepProducts(W1_SIZES, W1_BATCH)) } : {};
  return { lib, ms, work, pid: process.pid, ...gemm, peakRssMB: peak };
}

// --------------------------------------------------------------------------------------------
// W1's step: FLOPs, GEMM time, the fraction outside GEMM

/**
 * The matrix products of one training step of a dense net of `sizes` on a batch: per layer
 * (in → out) the forward X·W (b×in·in×out), the weight gradient Xᵀ·dZ (in×b·b×out) and, for
 * every layer but the first (whose input is data), the input gradient dZ·Wᵀ (b×out·out×in).
 */
export function mlpStepProducts(sizes: readonly number[], batch: number): GemmShape[] {
  const out: GemmShape[] = [];
  for (let i = 0; i + 1 < sizes.length; i++) {
    const a = sizes[i] as number;
    const z = sizes[i + 1] as number;
    out.push({ label: `X·W ${batch}×${a}·${a}×${z}`, transA: false, transB: false, m: batch, n: z, k: a });
    out.push({ label: `Xᵀ·dZ ${a}×${batch}·${batch}×${z}`, transA: true, transB: false, m: a, n: z, k: batch });
    if (i > 0) out.push({ label: `dZ·Wᵀ ${batch}×${z}·${z}×${a}`, transA: false, transB: true, m: batch, n: a, k: z });
  }
  return out;
}

/**
 * FLOPs of one training step (2·m·n·k per product, {@link mlpStepProducts}): for 784-128-10,
 * forward 2·b·(784·128 + 128·10), backward 2·b·(784·128 + 128·10) for the weight gradients plus
 * 2·b·128·10 for the second layer's input gradient. Bias, activations, loss and update are not counted.
 */
export function mlpStepFlops(sizes: readonly number[], batch: number): number {
  return mlpStepProducts(sizes, batch).reduce((f, p) => f + 2 * p.m * p.n * p.k, 0);
}

/** Milliseconds one pass over `products` takes on `backend` (the median of 3 timings of ≥ `minMs` each). */
export function stepGemmMs(backend: KernelBackend, products: readonly GemmShape[], minMs = 60): number {
  const bufs = products.map((p) => ({
    p,
    a: new Float32Array(p.m * p.k).map((_, i) => ((i * 7919) % 1000) / 1000 - 0.5),
    b: new Float32Array(p.k * p.n).map((_, i) => ((i * 104729) % 1000) / 1000 - 0.5),
    c: new Float32Array(p.m * p.n),
  }));
  const pass = (): void => {
    for (const { p, a, b, c } of bufs) backend.gemm(p.transA, p.transB, p.m, p.n, p.k, a, b, c, false);
  };
  pass();
  const times: number[] = [];
  for (let r = 0; r < 3; r++) {
    const t0 = performance.now();
    let passes = 0;
    while (performance.now() - t0 < minMs || passes < 2) {
      pass();
      passes++;
    }
    times.push((performance.now() - t0) / passes);
  }
  return summarize(times).median;
}

/** W1's step figures of one library: whole-step GFLOP/s and, ours, GEMM GFLOP/s and the fraction outside GEMM. */
export interface W1StepFigures {
  readonly lib: string;
  readonly step: Summary;
  readonly gemm?: Summary;
  readonly outside?: Summary;
}

/** The step figures of every W1 library, from its child samples (each round's own step and GEMM times). */
export function w1StepFigures(samples: Samples): W1StepFigures[] {
  const flops = mlpStepFlops(W1_SIZES, W1_BATCH);
  const out: W1StepFigures[] = [];
  for (const [lib, ss] of samples) {
    if (ss.length === 0) continue;
    const stepMs = ss.map((s) => s.ms / (s.work / W1_BATCH));
    const step = summarize(stepMs.map((ms) => flops / (ms / 1000) / 1e9));
    const gemmMs = ss.map((s) => s.gemmMsPerStep).filter((g): g is number => g !== undefined);
    if (gemmMs.length !== ss.length) {
      out.push({ lib, step });
      continue;
    }
    const gemm = summarize(gemmMs.map((ms) => flops / (ms / 1000) / 1e9));
    const outside = summarize(gemmMs.map((g, i) => 1 - g / (stepMs[i] as number)));
    out.push({ lib, step, gemm, outside });
  }
  return out;
}

const g = (s: Summary): string => `${s.median.toFixed(2)} (${s.min.toFixed(2)}–${s.max.toFixed(2)})`;
const pct = (v: number): string => `${Math.round(v * 100)} %`;

/** The printed W1 step lines (median (min–max) over rounds). */
export function w1StepLines(figures: readonly W1StepFigures[]): string[] {
  const flops = mlpStepFlops(W1_SIZES, W1_BATCH);
  const out = [
    `W1 step GFLOP/s: ${(flops / 1e6).toFixed(2)} MFLOP per step of ${W1_BATCH} samples (the step's ${mlpStepProducts(W1_SIZES, W1_BATCH).length} products; ` +
      "brain.js, one sample at a time, counted the same per sample); GEMM = those products alone on the same backend, in the same child.",
  ];
  for (const f of figures) {
    const extra = f.gemm && f.outside ? `, GEMM alone ${g(f.gemm)}, outside GEMM ${pct(f.outside.median)} (${pct(f.outside.min)}–${pct(f.outside.max)}) of the step` : "";
    out.push(`W1 step, ${f.lib}: whole step ${g(f.step)} GFLOP/s${extra}`);
  }
  return out;
}

/** The W1 step figures as JSON lines (GFLOP/s, and the fraction outside GEMM as a number in [0, 1]). */
export function w1StepJson(figures: readonly W1StepFigures[]): string[] {
  const line = (workload: string, lib: string, unit: string, s: Summary): string =>
    JSON.stringify({ workload, lib, unit, median: s.median, min: s.min, max: s.max, n: s.n });
  const out: string[] = [];
  for (const f of figures) {
    out.push(line("W1 whole step", f.lib, "GFLOP/s", f.step));
    if (f.gemm) out.push(line("W1 step GEMM alone", f.lib, "GFLOP/s", f.gemm));
    if (f.outside) out.push(line("W1 step outside GEMM", f.lib, "fraction", f.outside));
  }
  return out;
}
