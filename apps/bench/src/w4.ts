import type { Dataset } from "./data.js";
import { bestOurs, ratio, type Entry, type Row, type Workload } from "./harness.js";
import { convnetInfer, convnetTrain } from "./libs/convnet.js";
import { cnnInfer, cnnTrain, loadTfjs } from "./libs/tfjs.js";
import { registerWasmGradients, type WasmGradientShim } from "./libs/tfjs-wasm-grads.js";

/*
 * W4: the small CNN of the convolutional-networks issue (28×28×1 → conv 8@5×5 ReLU → max-pool 2 →
 * conv 16@5×5 ReLU → max-pool 2 → flatten → dense 10 softmax), trained (batch 32, SGD lr 0.01,
 * categorical cross-entropy, float32) and run forward (batch 256), against TensorFlow.js (wasm,
 * cpu) and ConvNetJS on the MNIST-shaped data.
 */

/** Our library's bench module (Sequential, Conv2D, … behind the entries). */
export type Ours = typeof import("./libs/backprop.js");

/** Workload names, also those of the JSON lines. */
export const W4_TRAIN = "W4 CNN train";
export const W4_INFER = "W4 CNN infer";

const BATCH = 32;
const LR = 0.01;

/** How much work W4 does per run. */
export interface W4Sizes {
  /** Samples per training epoch (ours, tfjs-wasm). */
  readonly samples: number;
  /** Samples per epoch for tfjs-cpu, whose CNN gradients run ~20 samples/s. */
  readonly cpuSamples: number;
  /** Samples per epoch for ConvNetJS (one sample at a time, float64). */
  readonly convnetSamples: number;
  /** Rows per `predict` call. */
  readonly inferBatch: number;
  /** `predict` calls per run (ours, tfjs-wasm). */
  readonly inferIterations: number;
  /**
   * `predict` calls per run for tfjs-cpu and ConvNetJS, ~40× slower: their rate is what is
   * compared, and a run as long as the fast libraries' would take minutes.
   */
  readonly slowInferIterations: number;
}

/** The sizes of a full run, `--quick` and `--smoke`. */
export function w4Sizes(mode: "full" | "quick" | "smoke"): W4Sizes {
  if (mode === "smoke") return { samples: 64, cpuSamples: 8, convnetSamples: 16, inferBatch: 16, inferIterations: 1, slowInferIterations: 1 };
  if (mode === "quick") return { samples: 1024, cpuSamples: 64, convnetSamples: 256, inferBatch: 256, inferIterations: 8, slowInferIterations: 1 };
  // Inference runs 16 batches of 256 per round (~50 ms for us): 4 batches measured within ±25 %
  // from one run to the next on a shared machine.
  return { samples: 2048, cpuSamples: 128, convnetSamples: 512, inferBatch: 256, inferIterations: 16, slowInferIterations: 2 };
}

function firstRows(d: Dataset, n: number): Dataset {
  const rows = Math.min(n, d.x.rows);
  return { x: d.x.rowSlice(0, rows), y: d.y.rowSlice(0, rows) };
}

/**
 * W4 train's entries by library name, each made on demand: a child process measuring one
 * library's memory makes (and loads) only that one.
 */
export function w4TrainMakers(ours: Ours | undefined, d: Dataset, s: W4Sizes): Map<string, () => Promise<Entry>> {
  const makers = new Map<string, () => Promise<Entry>>();
  const data = firstRows(d, s.samples);
  if (ours) {
    makers.set("backprop-wasm", async () => ({ lib: "backprop-wasm", ours: true, ...ours.oursCnnTrain(ours.backendNamed("wasm"), data, BATCH) }));
    makers.set("backprop-wasm-2w", async () => ({ lib: "backprop-wasm-2w", ours: true, ...ours.oursCnnTrain(await ours.twoThreadBackend(), data, BATCH) }));
    makers.set("backprop-ts", async () => ({ lib: "backprop-ts", ours: true, ...ours.oursCnnTrain(ours.backendNamed("typescript"), data, BATCH) }));
  }
  const tfjs = async () => {
    const tfm = await loadTfjs();
    registerWasmGradients(tfm.tf);
    return tfm;
  };
  makers.set("tfjs-wasm", async () => ({ lib: "tfjs-wasm", ours: false, ...cnnTrain(await tfjs(), "wasm", data, BATCH) }));
  const cpu = firstRows(d, s.cpuSamples);
  makers.set("tfjs-cpu", async () => ({ lib: "tfjs-cpu", ours: false, work: cpu.x.rows, ...cnnTrain(await tfjs(), "cpu", cpu, BATCH) }));
  const few = firstRows(d, s.convnetSamples);
  makers.set("ConvNetJS", async () => ({ lib: "ConvNetJS", ours: false, work: few.x.rows, ...convnetTrain(few, BATCH, LR) }));
  return makers;
}

/**
 * W4 infer's entries by library name, each made on demand (a child process makes only its own):
 * `inferIterations` forward passes over `inferBatch` rows, `slowInferIterations` for the slow peers.
 */
export function w4InferMakers(ours: Ours | undefined, d: Dataset, s: W4Sizes): Map<string, () => Promise<Entry>> {
  const makers = new Map<string, () => Promise<Entry>>();
  const x = d.x.rowSlice(0, Math.min(s.inferBatch, d.x.rows));
  const n = s.inferIterations;
  const slow = s.slowInferIterations;
  if (ours) {
    makers.set("backprop-wasm", async () => ({ lib: "backprop-wasm", ours: true, ...ours.oursCnnInfer(ours.backendNamed("wasm"), x, n) }));
    makers.set("backprop-wasm-2w", async () => ({ lib: "backprop-wasm-2w", ours: true, ...ours.oursCnnInfer(await ours.twoThreadBackend(), x, n) }));
    makers.set("backprop-ts", async () => ({ lib: "backprop-ts", ours: true, ...ours.oursCnnInfer(ours.backendNamed("typescript"), x, n) }));
  }
  makers.set("tfjs-wasm", async () => ({ lib: "tfjs-wasm", ours: false, ...cnnInfer(await loadTfjs(), "wasm", x, n) }));
  makers.set("tfjs-cpu", async () => ({ lib: "tfjs-cpu", ours: false, work: x.rows * slow, ...cnnInfer(await loadTfjs(), "cpu", x, slow) }));
  makers.set("ConvNetJS", async () => ({ lib: "ConvNetJS", ours: false, work: x.rows * slow, ...convnetInfer(x, slow) }));
  return makers;
}

/** Makes every entry of `makers`; only the two-thread row may be missing (no shared memory here). */
async function entriesOf(makers: Map<string, () => Promise<Entry>>, log: (s: string) => void): Promise<Entry[]> {
  const entries: Entry[] = [];
  for (const [lib, make] of makers) {
    try {
      entries.push(await make());
    } catch (e) {
      if (lib !== "backprop-wasm-2w") throw e;
      log(`note: no two-thread backend here (${(e as Error).message.split("\n")[0]})`);
    }
  }
  return entries;
}

/** W4 train in this process (the tests' smoke run): one epoch of mini-batch SGD (batch 32) — samples/s. */
export async function w4Train(ours: Ours | undefined, d: Dataset, s: W4Sizes, log: (s: string) => void = () => {}): Promise<Workload> {
  return { name: W4_TRAIN, unit: "samples/s", work: w4Work(d, s).train, entries: await entriesOf(w4TrainMakers(ours, d, s), log) };
}

/** W4 infer in this process (the tests' smoke run) — samples/s. */
export async function w4Infer(ours: Ours | undefined, d: Dataset, s: W4Sizes, log: (s: string) => void = () => {}): Promise<Workload> {
  return { name: W4_INFER, unit: "samples/s", work: w4Work(d, s).infer, entries: await entriesOf(w4InferMakers(ours, d, s), log) };
}

/** Samples per run of W4 train (ours, tfjs-wasm) and W4 infer. */
export function w4Work(d: Dataset, s: W4Sizes): { train: number; infer: number } {
  return { train: Math.min(s.samples, d.x.rows), infer: Math.min(s.inferBatch, d.x.rows) * s.inferIterations };
}

/** What W4's numbers rest on, printed under the table: the tfjs-wasm stand-in and the subsets. */
export async function w4Notes(s: W4Sizes, d: Dataset): Promise<string[]> {
  const tfm = await loadTfjs();
  const shims: readonly WasmGradientShim[] = registerWasmGradients(tfm.tf);
  const how = (sh: WasmGradientShim): string =>
    sh.via === "wasm-conv3d"
      ? `${sh.kernel} is registered by this bench: it runs tfjs-wasm's own compiled Conv3DBackpropFilterV2 kernel on a depth-1 view ` +
        "of x and dy (stride 1, no copy), checked against tfjs-cpu's in the bench's tests. Stock tfjs-wasm 4.22 cannot train " +
        "a CNN at all; a native Conv2DBackpropFilter could be faster or slower than this stand-in"
      : `${sh.kernel} is registered by this bench as tfjs-cpu's JavaScript kernel on data copied out of and back into the WASM heap`;
  const n = Math.min(s.samples, d.x.rows);
  return [
    "W4: every round runs each library in a fresh process of its own (module load and ≥ 0.5 s of warm-up untimed, then the median of 3 timed runs, 1 when a run takes ≥ 1 s), " +
      "rounds rotating, so no library's threads, heap or detached buffers touch another's numbers.",
    ...(shims.length ? shims.map((sh) => `${W4_TRAIN}, tfjs-wasm: ${how(sh)}.`) : [`${W4_TRAIN}, tfjs-wasm: every gradient kernel is tfjs' own.`]),
    `${W4_TRAIN}: tfjs-cpu trains on the first ${Math.min(s.cpuSamples, n)} of the ${n} samples per run and ConvNetJS on the first ` +
      `${Math.min(s.convnetSamples, n)} (both far slower; the rate, samples/s, is what is compared).`,
    `${W4_INFER}: ${s.inferIterations} batches of ${s.inferBatch} per round for us and tfjs-wasm, ${s.slowInferIterations} for tfjs-cpu and ` +
      "ConvNetJS (the rate, samples/s, is what is compared).",
    "W4, ConvNetJS: one sample at a time in float64 with its own Trainer (sgd, momentum 0, batch_size 32: the mean gradient of " +
      "32 samples per update); its forward has no batch, so W4 CNN infer runs it per sample.",
  ];
}

/** The targets for W4: at least `times`× the peer's throughput. */
export const W4_TARGETS: readonly { workload: string; peer: string; times: number }[] = [
  { workload: W4_TRAIN, peer: "tfjs-wasm", times: 8 },
  { workload: W4_TRAIN, peer: "ConvNetJS", times: 50 },
  { workload: W4_INFER, peer: "tfjs-wasm", times: 3 },
];

/** One line per target: our best row's ratio against the peer, and whether it is met. */
export function w4TargetLines(rows: readonly Row[]): string[] {
  const out: string[] = [];
  for (const t of W4_TARGETS) {
    const best = bestOurs(rows, t.workload);
    const peer = rows.find((r) => r.workload === t.workload && r.lib === t.peer);
    if (!best || !peer) continue;
    const x = ratio(best, peer);
    out.push(`target ${t.workload} ≥ ${t.times}× ${t.peer}: ${best.lib} ${x.toFixed(2)}× — ${x >= t.times ? "met" : "not met"}`);
  }
  return out;
}
