import { Matrix, Tensor, type KernelBackend, type Param } from "@backprop/linalg";
import { Dense, Embedding, getLoss, LSTM, Sequential, type Layer, type Loss } from "@backprop/layers";
import { adam, rmsprop, type Optimizer } from "@backprop/optimizers";
import { bestOurs, ratio, warmThenTime, type Entry, type Row, type Unit } from "./harness.js";
import { backendNamed, twoThreadBackend, withBackend } from "./libs/backprop.js";
import {
  W5A_LENGTH,
  W5A_LR,
  W5A_UNITS,
  W5B_ITERATIONS,
  W5B_STRINGS,
  brainCharLstm,
  brainLstmTimeStepTrain,
  sineSeries,
  tfjsLstmTrain,
  w5bStrings,
  windows,
  type Sequences,
} from "./libs/rnn-peers.js";
import { loadTfjs } from "./libs/tfjs.js";
import { peakRssMB, rowsOf, runRounds, type ChildSample, type Launcher, type Samples } from "./rounds.js";
import { summarize } from "./stats.js";

/*
 * W5: the recurrent workloads of the recurrent-layers issue.
 *
 * - W5a, LSTM sequence regression: windows of 32 steps (1 feature) of a noisy sine → LSTM 32 →
 *   Dense 1 on the last step, MSE, Adam lr 0.01, batch 32, float32; sequences/s (the table's
 *   "samples/s"). Peers: tfjs-wasm, tfjs-cpu, brain.js `LSTMTimeStep` (one sequence at a time).
 * - W5b, character LSTM: brain.js `recurrent.LSTM` with its defaults (two LSTM layers of 20) on 50
 *   short strings × 100 passes, one update per string; wall time (ms) of the 100 passes. Ours does
 *   the same work — batch 1, one update per string, the same next-character predictions — through
 *   Embedding → LSTM 20 → LSTM 20 → Dense(softmax) with RMSProp; the batched variant (strings of one
 *   length in one batch) is an extra, separately named line.
 *
 * Like W1–W4, every round runs each library in a fresh process of its own (`--child-workload=W5a-round`
 * or `W5b-round`), rounds rotating the order (the shared round loop of rounds.ts); a child prints
 * one JSON line `{ lib, ms, work, pid, peakRssMB, firstLoss, lastLoss, runs }`.
 */

/** Workload names, also those of the JSON lines. */
export const W5A = "W5a LSTM train";
export const W5B = "W5b char-LSTM";
/** Our batched W5b variant: not the headline (it does fewer, larger updates than brain.js). */
export const W5B_BATCHED = "W5b char-LSTM batched (extra)";

/** W5a's mini-batch size (ours, tfjs). */
export const W5A_BATCH = 32;

/** How much work W5 does per run. */
export interface W5Sizes {
  /** W5a: windows per run (one epoch) for ours. */
  readonly sequences: number;
  /** W5a: windows per run for tfjs-wasm (~40× slower than ours; the rate is what is compared). */
  readonly tfjsSequences: number;
  /** W5a: windows per run for tfjs-cpu (slower; the rate is what is compared). */
  readonly cpuSequences: number;
  /** W5a: windows per run for brain.js (one at a time; the rate is what is compared). */
  readonly brainSequences: number;
  /** W5b: strings. */
  readonly strings: number;
  /** W5b: passes over the strings per run. */
  readonly iterations: number;
}

/** The sizes of a full run, `--quick` and `--smoke`. W5b's full size is the 50 strings × 100 passes. */
export function w5Sizes(mode: "full" | "quick" | "smoke"): W5Sizes {
  if (mode === "smoke") return { sequences: 64, tfjsSequences: 64, cpuSequences: 32, brainSequences: 16, strings: 10, iterations: 2 };
  if (mode === "quick") return { sequences: 1024, tfjsSequences: 256, cpuSequences: 64, brainSequences: 128, strings: W5B_STRINGS, iterations: 20 };
  // A run of each takes ~0.1–0.6 s here (ours 2048 windows: wasm ~0.1 s, typescript ~0.5 s), so a
  // child times three runs after its warm-up.
  return { sequences: 2048, tfjsSequences: 512, cpuSequences: 256, brainSequences: 256, strings: W5B_STRINGS, iterations: W5B_ITERATIONS };
}

/** A W5 entry: an {@link Entry} that also reports its training loss. */
export interface W5Entry extends Entry {
  /** The loss (or error, in the library's own measure) of the last run; NaN before the first. */
  loss(): number;
  /** What {@link W5Entry.loss} is, for the notes. */
  readonly lossName: string;
}

// --------------------------------------------------------------------------------------------
// W5a

/** W5a's data: `count` windows of 32 steps of {@link sineSeries} (seed 1), each with the next value as target. */
export function w5aData(count: number, seed = 1): Sequences {
  return windows(sineSeries(count + W5A_LENGTH, seed), W5A_LENGTH, count);
}

function firstWindows(d: Sequences, n: number): Sequences {
  const count = Math.min(n, d.xShape[0]);
  const length = d.xShape[1];
  return { x: d.x.subarray(0, count * length), y: d.y.subarray(0, count), xShape: [count, length, 1], yShape: [count, 1] };
}

/** W5a's model, ours: LSTM 32 (input [32, 1], last step) → Dense 1 linear; MSE, Adam lr 0.01, float32. */
export function w5aModel(seed = 1): Sequential {
  const model = new Sequential([new LSTM({ units: W5A_UNITS, inputShape: [W5A_LENGTH, 1] }), new Dense({ units: 1 })], {
    dtype: "float32",
    seed,
  });
  model.compile({ loss: "meanSquaredError", optimizer: adam({ lr: W5A_LR }) });
  return model;
}

/** W5a, ours: one run is one epoch of `fit` (batch 32, no shuffle) on `backend`; `loss()` its mean MSE. */
export function oursLstmTrain(lib: string, backend: KernelBackend, d: Sequences, batchSize = W5A_BATCH, seed = 1): W5Entry {
  const model = w5aModel(seed);
  const x = new Tensor([...d.xShape], "float32", Float32Array.from(d.x));
  const y = new Matrix(d.yShape[0], 1, "float32", Float32Array.from(d.y));
  let loss = NaN;
  return {
    lib,
    ours: true,
    lossName: "mean MSE of the epoch's batches",
    run() {
      const h = withBackend(backend, () => model.fit(x, y, { epochs: 1, batchSize, shuffle: false }));
      loss = Number(h.history.loss?.[0]);
    },
    loss: () => loss,
  };
}

/** W5a's entries by library name, each made on demand (a child makes only its own). */
export function w5aMakers(s: W5Sizes): Map<string, () => Promise<W5Entry>> {
  const d = w5aData(s.sequences);
  const makers = new Map<string, () => Promise<W5Entry>>();
  makers.set("backprop-wasm", async () => oursLstmTrain("backprop-wasm", backendNamed("wasm"), d));
  makers.set("backprop-wasm-2w", async () => oursLstmTrain("backprop-wasm-2w", await twoThreadBackend(), d));
  makers.set("backprop-ts", async () => oursLstmTrain("backprop-ts", backendNamed("typescript"), d));
  const tfjs = async (backend: "wasm" | "cpu", data: Sequences): Promise<W5Entry> => {
    const t = tfjsLstmTrain(await loadTfjs(), backend, data, W5A_BATCH);
    return {
      lib: `tfjs-${backend}`,
      ours: false,
      work: data.xShape[0],
      lossName: "mean MSE of the epoch's batches",
      setup: t.setup,
      run: t.run,
      loss: t.lastLoss,
    };
  };
  makers.set("tfjs-wasm", () => tfjs("wasm", firstWindows(d, s.tfjsSequences)));
  makers.set("tfjs-cpu", () => tfjs("cpu", firstWindows(d, s.cpuSequences)));
  makers.set("brain.js", async () => {
    const few = firstWindows(d, s.brainSequences);
    const t = brainLstmTimeStepTrain(few, 1);
    return {
      lib: "brain.js",
      ours: false,
      work: few.xShape[0],
      lossName: "brain.js error: Σ|error| over the 32 next-value predictions / 33, mean over sequences",
      run: t.run,
      loss: t.lastLoss,
    };
  });
  return makers;
}

// --------------------------------------------------------------------------------------------
// W5b

/**
 * W5b's strings as our model sees them, encoded as brain.js does: the characters (sorted) get ids
 * 1…V and id 0 is the start/end token, so a string of n characters is n + 1 predictions —
 * input `[0, c₁, …, cₙ]`, targets `[c₁, …, cₙ, 0]`. Like brain.js's DataFormatter, the alphabet
 * has one more, unused, "unrecognized" character (id V + 1), so both models have the same sizes.
 */
export interface CharData {
  /** The characters, id i + 1 for `chars[i]`. */
  readonly chars: readonly string[];
  /** Classes of the output: the start/end token, the characters and the unused "unrecognized" one (V + 2). */
  readonly classes: number;
  /** Steps of the longest string (its length + 1). */
  readonly maxSteps: number;
  /** One `{ x: [1, n+1], y: [1, n+1, 1], n }` per string, in order. */
  readonly strings: readonly { readonly x: Tensor; readonly y: Tensor; readonly n: number }[];
}

/** Encodes `strings` (see {@link CharData}). */
export function charData(strings: readonly string[]): CharData {
  const chars = [...new Set(strings.join(""))].sort();
  const id = new Map(chars.map((c, i) => [c, i + 1]));
  const encoded = strings.map((s) => {
    const ids = [...s].map((c) => id.get(c) as number);
    const steps = ids.length + 1;
    const x = new Tensor([1, steps], "float32");
    const y = new Tensor([1, steps, 1], "float32");
    for (let t = 0; t < steps; t++) {
      x.data[t] = t === 0 ? 0 : (ids[t - 1] as number);
      y.data[t] = t === steps - 1 ? 0 : (ids[t] as number);
    }
    return { x, y, n: ids.length };
  });
  return { chars, classes: chars.length + 2, maxSteps: Math.max(...encoded.map((e) => e.n + 1)), strings: encoded };
}

/** W5b's hidden sizes: brain.js `recurrent.LSTM`'s defaults. */
export const W5B_HIDDEN = [20, 20] as const;

/**
 * W5b's model, ours, brain.js's `recurrent.LSTM` layer for layer: with C = `d.classes`, Embedding
 * (C ids → C − 1 wide: brain.js's input lookup matrix, C × (C − 1)) → LSTM 20 (returnSequences) →
 * LSTM 20 (returnSequences) → Dense(C, softmax), float32 — the same parameter count. Built for the
 * longest string, trained on any length (see {@link CharTrainer}).
 */
export function charModel(d: CharData, seed = 1): Sequential {
  const model = new Sequential(
    [
      new Embedding({ inputDim: d.classes, outputDim: d.classes - 1, inputLength: d.maxSteps }),
      ...W5B_HIDDEN.map((units) => new LSTM({ units, returnSequences: true })),
      new Dense({ units: d.classes, activation: "softmax" }),
    ],
    { dtype: "float32", seed },
  );
  return model.build();
}

/**
 * W5b's optimizer: RMSProp with brain.js's constants — lr 0.01, decay ρ 0.999, ε 1e-8, each
 * gradient element clipped to ±5. (brain.js also subtracts 1e-6·w per step, which is left out.)
 */
export function charOptimizer(): Optimizer {
  return rmsprop({ lr: 0.01, rho: 0.999, eps: 1e-8, clipValue: 5 });
}

const TRAINING = { training: true } as const;

/**
 * One training step through the built layers of a {@link Sequential}, for batches whose sequence
 * length differs from step to step (`Sequential.trainOnBatch` checks every batch against the
 * built input shape; the layers themselves — Embedding, LSTM, Dense on `[batch, time, …]` — take
 * any length). The same four steps as the model's own: forward, sparse categorical cross-entropy
 * (mean over batch × steps), backward (softmax fused with the loss: δ = (p − onehot)/n), the
 * optimizer's update.
 */
export class CharTrainer {
  private readonly layers: readonly Layer[];
  private readonly params: readonly Param[];
  private readonly loss: Loss = getLoss("sparseCategoricalCrossentropy");
  private readonly deltas = new Map<string, Tensor>();

  constructor(
    model: Sequential,
    readonly optimizer: Optimizer = charOptimizer(),
  ) {
    this.layers = model.layers;
    this.params = model.params();
  }

  private delta(shape: readonly number[]): Tensor {
    const key = shape.join(",");
    let d = this.deltas.get(key);
    if (!d) {
      d = new Tensor([...shape], "float32");
      this.deltas.set(key, d);
    }
    return d;
  }

  /** One update on `x` `[batch, steps]` ids and `y` `[batch, steps, 1]` targets; returns the output probabilities. */
  step(x: Tensor, y: Tensor): Tensor {
    const params = this.params;
    for (let i = 0; i < params.length; i++) (params[i] as Param).grad.data.fill(0);
    const layers = this.layers;
    let out = x;
    for (let i = 0; i < layers.length; i++) out = (layers[i] as Layer).forward(out, TRAINING);
    const last = layers[layers.length - 1] as Layer;
    const fused = last.activation && last.backwardFromDelta ? this.loss.fusedGradient?.(last.activation) : undefined;
    const d = this.delta(out.shape);
    let g: Tensor;
    if (fused && last.backwardFromDelta) {
      fused(out.asMatrix(), y.asMatrix(), d.asMatrix());
      g = last.backwardFromDelta(d, { inputGradient: true });
    } else {
      this.loss.gradient(out.asMatrix(), y.asMatrix(), d.asMatrix());
      g = last.backward(d, { inputGradient: true });
    }
    for (let i = layers.length - 2; i >= 0; i--) g = (layers[i] as Layer).backward(g, { inputGradient: i > 0 });
    this.optimizer.step(params);
    return out;
  }
}

/** −Σₜ ln p(targetₜ) of sample `b` of a `[batch, steps, classes]` output (probabilities floored at 1e-7). */
export function sampleNll(out: Tensor, y: Tensor, b: number): number {
  const [, steps, classes] = out.shape as [number, number, number];
  let nll = 0;
  for (let t = 0; t < steps; t++) {
    const c = y.data[b * steps + t] as number;
    nll -= Math.log(Math.max(out.data[(b * steps + t) * classes + c] as number, 1e-7));
  }
  return nll;
}

/** Quality of one pass over the strings, from the outputs before each update (as brain.js measures). */
export interface CharPassLoss {
  /** brain.js's error: mean over strings of 2^(Σ −log₂ p / (n − 1)) / 100 (its perplexity measure). */
  readonly brainError: number;
  /** Mean cross-entropy per prediction, nats. */
  readonly crossEntropy: number;
}

/** Groups the strings by length: one `[k, steps]` batch per length, for the batched variant. */
export function byLength(d: CharData): { x: Tensor; y: Tensor; ns: number[] }[] {
  const groups = new Map<number, CharData["strings"][number][]>();
  for (const s of d.strings) groups.set(s.n, [...(groups.get(s.n) ?? []), s]);
  return [...groups.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([n, items]) => {
      const steps = n + 1;
      const x = new Tensor([items.length, steps], "float32");
      const y = new Tensor([items.length, steps, 1], "float32");
      items.forEach((s, i) => {
        x.data.set(s.x.data, i * steps);
        y.data.set(s.y.data, i * steps);
      });
      return { x, y, ns: items.map(() => n) };
    });
}

/**
 * W5b, ours: one run is `iterations` passes over the strings. `batched` false (the headline): one
 * update per string, batch 1, in order — brain.js's schedule; true: one update per group of
 * equal-length strings (no padding). `loss()` is brain.js's error measure of the run's last pass.
 */
export function oursCharLstm(lib: string, backend: KernelBackend, strings: readonly string[], iterations: number, batched = false, seed = 1) {
  const d = charData(strings);
  const model = charModel(d, seed);
  const trainer = new CharTrainer(model);
  const batches = batched ? byLength(d) : d.strings.map((s) => ({ x: s.x, y: s.y, ns: [s.n] }));
  let last: CharPassLoss = { brainError: NaN, crossEntropy: NaN };
  const pass = (measure: boolean): void => {
    let err = 0;
    let nll = 0;
    let predictions = 0;
    for (const b of batches) {
      const out = trainer.step(b.x, b.y);
      if (!measure) continue;
      for (let i = 0; i < b.ns.length; i++) {
        const n = b.ns[i] as number;
        const s = sampleNll(out, b.y, i);
        err += Math.exp(s / (n - 1)) / 100;
        nll += s;
        predictions += n + 1;
      }
    }
    if (measure) last = { brainError: err / d.strings.length, crossEntropy: nll / predictions };
  };
  return {
    lib,
    ours: true,
    lossName: "brain.js's error measure (mean over strings of 2^(Σ −log₂ p / (n − 1)) / 100), last pass",
    run() {
      withBackend(backend, () => {
        for (let it = 0; it < iterations; it++) pass(it === iterations - 1);
      });
    },
    loss: () => last.brainError,
    passLoss: () => last,
    model,
    updatesPerPass: batches.length,
  };
}

/** W5b's entries by library name (the batched variants named `…-batched`), each made on demand. */
export function w5bMakers(s: W5Sizes): Map<string, () => Promise<W5Entry & { passLoss?: () => CharPassLoss }>> {
  const strings = w5bStrings(1, s.strings);
  const makers = new Map<string, () => Promise<W5Entry & { passLoss?: () => CharPassLoss }>>();
  for (const name of ["wasm", "typescript"] as const) {
    const lib = name === "wasm" ? "backprop-wasm" : "backprop-ts";
    makers.set(lib, async () => oursCharLstm(lib, backendNamed(name), strings, s.iterations));
    makers.set(`${lib}-batched`, async () => oursCharLstm(`${lib}-batched`, backendNamed(name), strings, s.iterations, true));
  }
  makers.set("brain.js", async () => {
    const t = brainCharLstm(strings, s.iterations);
    return { lib: "brain.js", ours: false, lossName: "brain.js's error (mean over strings of perplexity / 100), last pass", run: t.run, loss: t.lastLoss };
  });
  return makers;
}

// --------------------------------------------------------------------------------------------
// Child processes (the round loop of rounds.ts)

/** What a W5 child prints: one JSON line, a {@link ChildSample} (`work`: sequences per run for W5a, passes per run for W5b) with the losses. */
export interface W5ChildResult extends ChildSample {
  /** The loss after the first run (the first warm-up run: the same training from the initial weights for every library). */
  readonly firstLoss: number;
  /** The loss of the last timed run. */
  readonly lastLoss: number;
  /** Runs made in all (warm-up and timed): the training the last loss follows. */
  readonly runs: number;
  /** Our W5b's mean cross-entropy per prediction (nats) after the first and last run. */
  readonly crossEntropy?: readonly [number, number];
}

/** The child workloads. */
export type W5ChildWorkload = "W5a-round" | "W5b-round";

/**
 * In a child: one round of one library on W5a or W5b: setup and warm-up untimed (at least one run
 * and half a second), then the median of three timed runs (one when a run takes a second or more).
 */
export async function w5ChildRound(lib: string, workload: W5ChildWorkload, s: W5Sizes): Promise<W5ChildResult> {
  const makers = workload === "W5a-round" ? w5aMakers(s) : w5bMakers(s);
  const make = makers.get(lib);
  if (!make) throw new Error(`no ${workload.slice(0, 3)} library ${lib}`);
  const entry = await make();
  await entry.setup?.();
  const passLoss = (entry as { passLoss?: () => CharPassLoss }).passLoss;
  let firstLoss = NaN;
  let firstCe = NaN;
  const { ms, runs } = await warmThenTime(
    () => entry.run(),
    () => {
      if (!Number.isNaN(firstLoss)) return;
      firstLoss = entry.loss();
      firstCe = passLoss?.().crossEntropy ?? NaN;
    },
  );
  const work = entry.work ?? (workload === "W5a-round" ? s.sequences : s.iterations);
  return {
    lib,
    ms,
    work,
    pid: process.pid,
    peakRssMB: peakRssMB(),
    firstLoss,
    lastLoss: entry.loss(),
    runs,
    ...(passLoss ? { crossEntropy: [firstCe, passLoss().crossEntropy] as const } : {}),
  };
}

/** W5a's libraries and W5b's, in the order of the first round. */
export const W5A_LIBS = ["backprop-wasm", "backprop-wasm-2w", "backprop-ts", "tfjs-wasm", "tfjs-cpu", "brain.js"] as const;
export const W5B_LIBS = ["backprop-wasm", "backprop-ts", "brain.js", "backprop-wasm-batched", "backprop-ts-batched"] as const;

/** The rows and every child's result of one W5 workload. */
export interface W5Measurement {
  readonly rows: Row[];
  readonly results: Samples<W5ChildResult>;
}

/**
 * W5a or W5b with every library in a fresh process per round, rounds rotating the order: the
 * shared round loop ({@link runRounds}, `--child-workload=W5a-round` or `W5b-round`; only the
 * two-thread row may be missing). W5a rows are sequences/s (unit "samples/s"); W5b rows are ms per
 * run (the 100 passes), the batched variants under {@link W5B_BATCHED} with a copy of
 * brain.js's row, so the headline ratio is batch 1 against brain.js.
 */
export function measureW5(launch: Launcher, workload: "W5a" | "W5b", libs: readonly string[], reps: number, log: (s: string) => void): W5Measurement {
  const name = workload === "W5a" ? W5A : W5B;
  const results = runRounds<W5ChildResult>(launch, name, `${workload}-round`, libs, reps, log);
  const unit: Unit = workload === "W5a" ? "samples/s" : "ms";
  const only = (keep: (lib: string) => boolean): Samples<W5ChildResult> => new Map([...results].filter(([lib]) => keep(lib)));
  const rows: Row[] = rowsOf(name, unit, only((l) => !l.endsWith("-batched")));
  const batched = only((l) => l.endsWith("-batched"));
  if ([...batched.values()].some((rs) => rs.length > 0)) {
    rows.push(...rowsOf(W5B_BATCHED, unit, batched), ...rowsOf(W5B_BATCHED, unit, only((l) => l === "brain.js")));
  }
  return { rows, results };
}

// --------------------------------------------------------------------------------------------
// What is printed besides the table

/** The targets: our best row at least `times`× the fastest peer (W5a) or brain.js (W5b). */
export const W5_TARGETS: readonly { workload: string; times: number; peer?: string }[] = [
  { workload: W5A, times: 10 },
  { workload: W5B, times: 5, peer: "brain.js" },
];

/** One line per target: our best row's ratio against the peer, and whether it is met. */
export function w5TargetLines(rows: readonly Row[]): string[] {
  const out: string[] = [];
  for (const t of W5_TARGETS) {
    const best = bestOurs(rows, t.workload);
    const peers = rows.filter((r) => r.workload === t.workload && !r.ours && (t.peer === undefined || r.lib === t.peer));
    if (!best || peers.length === 0) continue;
    // The fastest peer is the one our ratio is smallest against.
    const peer = peers.reduce((a, b) => (ratio(best, b) < ratio(best, a) ? b : a));
    const x = ratio(best, peer);
    const which = t.peer ? t.peer : `the fastest peer (${peer.lib})`;
    out.push(`target ${t.workload} ≥ ${t.times}× ${which}: ${best.lib} ${x.toFixed(2)}× — ${x >= t.times ? "met" : "not met"}`);
  }
  return out;
}

const fmtLoss = (v: number): string => (Number.isFinite(v) ? (Math.abs(v) < 0.01 ? v.toExponential(3) : v.toFixed(4)) : String(v));

/** The losses each library reached (median over its rounds), one line per library. */
export function w5LossLines(workload: "W5a" | "W5b", m: W5Measurement, s: W5Sizes): string[] {
  const out: string[] = [];
  for (const [lib, rs] of m.results) {
    if (rs.length === 0) continue;
    const first = summarize(rs.map((r) => r.firstLoss)).median;
    const last = summarize(rs.map((r) => r.lastLoss)).median;
    const runs = summarize(rs.map((r) => r.runs)).median;
    if (workload === "W5a") {
      const n = rs[0]?.work as number;
      out.push(`${W5A} loss, ${lib}: ${fmtLoss(first)} after 1 epoch of ${n} windows, ${fmtLoss(last)} after ${runs} epochs (median over rounds)`);
    } else {
      const ce = rs[0]?.crossEntropy
        ? ` (cross-entropy ${fmtLoss(summarize(rs.map((r) => r.crossEntropy?.[0] as number)).median)} → ` +
          `${fmtLoss(summarize(rs.map((r) => r.crossEntropy?.[1] as number)).median)} nats per prediction)`
        : "";
      out.push(`${W5B} error, ${lib}: ${fmtLoss(first)} after ${s.iterations} passes from fresh weights, ${fmtLoss(last)} after ${runs * s.iterations} passes${ce}`);
    }
  }
  return out;
}

/** brain.js's error measure for a model that gives every class probability 1/C: mean of C^((n + 1)/(n − 1)) / 100. */
export function uniformCharError(d: CharData): number {
  let sum = 0;
  for (const s of d.strings) sum += Math.pow(d.classes, (s.n + 1) / (s.n - 1)) / 100;
  return sum / d.strings.length;
}

/** The MSE of predicting 0 for every W5a target (mean y²). */
export function zeroMse(d: Sequences): number {
  let sum = 0;
  for (let i = 0; i < d.y.length; i++) sum += (d.y[i] as number) ** 2;
  return sum / d.y.length;
}

/** What W5's numbers mean, printed under the table. */
export function w5Notes(s: W5Sizes, workloads: { w5a: boolean; w5b: boolean }): string[] {
  const out = [
    "W5: every round runs each library in a fresh process of its own (module load and ≥ 0.5 s of warm-up untimed, then the median of 3 timed runs, 1 when a run takes ≥ 1 s), rounds rotating.",
  ];
  if (workloads.w5a) {
    out.push(
      `${W5A}: samples/s are sequences/s (windows of ${W5A_LENGTH} steps, 1 feature, of a noisy sine). Ours and tfjs train mini-batches of ${W5A_BATCH} ` +
        `(one epoch of fit, no shuffle, Adam lr ${W5A_LR}), MSE on the last step's Dense output only; their loss is the epoch's mean MSE. ` +
        `Per run ours trains on ${s.sequences} windows, tfjs-wasm on the first ${Math.min(s.tfjsSequences, s.sequences)}, tfjs-cpu on ${Math.min(s.cpuSequences, s.sequences)} ` +
        `and brain.js on ${Math.min(s.brainSequences, s.sequences)} (the rate, sequences/s, is what is compared; so are the losses only roughly). ` +
        `Predicting 0 scores an MSE of ${fmtLoss(zeroMse(w5aData(s.sequences)))}.`,
      `${W5A}, brain.js: LSTMTimeStep trains ONE SEQUENCE AT A TIME (an RMSProp update after each window, no batches), and as a ` +
        "sequence-to-sequence next-value model: each window and its target form one 33-step sequence in which every step's next value " +
        "is supervised (32 predictions per window against our 1). Its error is Σ|error| / 33, averaged over the windows — not an MSE, " +
        "not comparable to ours. Its LSTM feeds the previous hidden output, not a cell state, to the forget gate.",
      `${W5A}, tfjs-layers 4.22: its LSTM gates default to hardSigmoid (cheaper); ours use sigmoid (Keras). Ours starts the forget-gate bias ` +
        "at 1 (Keras' unitForgetBias); tfjs leaves it at 0.",
    );
  }
  if (workloads.w5b) {
    const cd = charData(w5bStrings(1, s.strings));
    const c = cd.classes;
    out.push(
      `${W5B}: ms for ${s.iterations} passes over ${s.strings} strings (3–15 characters). Both sides do the same work: one update per string per pass ` +
        "(batch 1, no padding), n + 1 next-character predictions per string of n characters (from a start token to an end token), " +
        `two LSTM layers of 20 (brain.js's defaults), the same sizes (an input lookup of ${c} ids × ${c - 1}, a softmax over ${c} classes: the start/end token, ` +
        `the characters and brain.js's unused "unrecognized" one) — ${charModel(cd).countParams()} parameters each.`,
      `${W5B}: brain.js uses its RMSProp (lr 0.01, decay 0.999, ε 1e-8, gradients clipped to ±5, 1e-6·w weight decay) on the summed ` +
        "softmax-cross-entropy gradient of the string's steps. Ours uses rmsprop({ lr: 0.01, rho: 0.999, eps: 1e-8, clipValue: 5 }) (no weight decay) " +
        "on the mean sparse categorical cross-entropy over the string's steps; our loop runs the layers' own forward/backward " +
        "(Sequential.trainOnBatch only takes its built sequence length).",
      `${W5B}: the error lines use brain.js's own measure for both (mean over strings of 2^(Σ −log₂ p / (n − 1)) / 100, from the outputs ` +
        `before each update of the pass), after the first ${s.iterations} passes from fresh weights and after the last timed run; ` +
        `a model guessing uniformly scores ${fmtLoss(uniformCharError(cd))} (cross-entropy ln ${c} = ${fmtLoss(Math.log(c))} nats). ` +
        "One pass's loss spikes now and then in both libraries (RMSProp at lr 0.01, no momentum or bias correction), so a single pass's number is noisy.",
      `${W5B_BATCHED}: ours with the strings of each length in one batch (one update per length per pass, fewer updates than brain.js) — ` +
        `not the headline; its brain.js row repeats W5b's.`,
    );
  }
  return out;
}
