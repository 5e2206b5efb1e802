import { Tensor, typescriptBackend } from "@backprop/linalg";
import { afterAll, describe, expect, it } from "vitest";
import { jsonLines, table } from "./harness.js";
import { parseSample, rssLines } from "./rounds.js";
import * as ours from "./libs/backprop.js";
import { loadBrain } from "./libs/brain.js";
import { w5bStrings } from "./libs/rnn-peers.js";
import {
  CharTrainer,
  W5A,
  W5A_LIBS,
  W5B,
  W5B_BATCHED,
  W5B_LIBS,
  byLength,
  charData,
  charModel,
  charOptimizer,
  measureW5,
  oursCharLstm,
  oursLstmTrain,
  uniformCharError,
  w5ChildRound,
  w5LossLines,
  w5Notes,
  w5Sizes,
  w5TargetLines,
  w5aData,
  type W5ChildResult,
} from "./w5.js";

afterAll(async () => {
  // Nothing here starts the two-thread backend, but end it if a maker did.
  await ours.twoThreadBackend().then((b) => b.close(), () => {});
});

const smoke = w5Sizes("smoke");

/**
 * A fake child launcher: answers every spawn with `answer(lib, workload, pid)`, recording the calls;
 * every spawn is a new "process" (a new pid).
 */
function fakeLauncher(answer: (lib: string, workload: string, pid: number) => string) {
  const calls: string[][] = [];
  let pid = 1000;
  return {
    calls,
    launch: {
      script: "/x/main.js",
      execArgv: ["--experimental-wasm-relaxed-simd"],
      flags: ["--smoke"],
      spawn: (args: readonly string[]) => {
        calls.push([...args]);
        const lib = (args.find((a) => a.startsWith("--child=")) as string).slice(8);
        const workload = (args.find((a) => a.startsWith("--child-workload=")) as string).slice(17);
        return { stdout: answer(lib, workload, pid++), stderr: `${lib} broke` };
      },
    },
  };
}

const result = (lib: string, ms: number, work: number, pid = 1, peakRssMB?: number): W5ChildResult => ({
  lib,
  ms,
  work,
  pid,
  ...(peakRssMB !== undefined ? { peakRssMB } : {}),
  firstLoss: 0.5,
  lastLoss: 0.1,
  runs: 4,
});

describe("the W5 child protocol", () => {
  it("reads the one JSON line a child prints (the shared parseSample), losses included", () => {
    const r = result("tfjs-wasm", 250, 512, 7, 120.5);
    expect(parseSample(`note: something\n${JSON.stringify(r)}\n`)).toEqual(r);
    expect(parseSample("no result here\n")).toBeUndefined();
    expect(() => parseSample('{"lib":"x","ms":0,"work":1,"pid":1}')).toThrow(/malformed/);
    // a W5 child must say which process it is, as every other round's child does
    expect(() => parseSample('{"lib":"x","ms":1,"work":1,"firstLoss":0.5}')).toThrow(/malformed/);
  });

  it("a child round prints what the parent reads: ms, work, losses (in this process, smoke sizes)", async () => {
    const r = await w5ChildRound("backprop-ts", "W5a-round", smoke);
    const back = parseSample(`${JSON.stringify(r)}\n`) as W5ChildResult;
    expect(back).toEqual(r);
    expect(back.lib).toBe("backprop-ts");
    expect(back.pid).toBe(process.pid);
    expect(back.peakRssMB).toBeGreaterThan(10);
    expect(back.work).toBe(smoke.sequences);
    expect(back.ms).toBeGreaterThan(0);
    expect(back.runs).toBeGreaterThanOrEqual(4); // ≥ 1 warm-up run + 3 timed
    expect(back.lastLoss).toBeLessThan(back.firstLoss);
    const b = await w5ChildRound("brain.js", "W5b-round", smoke);
    expect(b.work).toBe(smoke.iterations);
    expect(Number.isFinite(b.firstLoss)).toBe(true);
    await expect(w5ChildRound("nope", "W5a-round", smoke)).rejects.toThrow(/no W5a library nope/);
  });

  it("spawns one child per library per round, rotating the order, and turns results into rows", () => {
    const ms: Record<string, number> = { "backprop-wasm": 100, "backprop-wasm-2w": 120, "backprop-ts": 500, "tfjs-wasm": 400, "tfjs-cpu": 800, "brain.js": 300 };
    const work: Record<string, number> = { "tfjs-wasm": 512, "tfjs-cpu": 256, "brain.js": 256 };
    const { calls, launch } = fakeLauncher((lib, _, pid) => `${JSON.stringify(result(lib, ms[lib] as number, work[lib] ?? 2048, pid))}\n`);
    const m = measureW5(launch, "W5a", W5A_LIBS, 2, () => {});
    expect(calls).toHaveLength(12);
    expect(calls[0]).toEqual(["--experimental-wasm-relaxed-simd", "/x/main.js", "--child=backprop-wasm", "--child-workload=W5a-round", "--smoke"]);
    expect(calls[6]?.[2]).toBe("--child=backprop-wasm-2w"); // round 2 starts one further
    const wasm = m.rows.find((r) => r.lib === "backprop-wasm");
    expect(wasm).toMatchObject({ workload: W5A, unit: "samples/s", ours: true, median: 20480, n: 2 });
    expect(m.rows.find((r) => r.lib === "tfjs-wasm")).toMatchObject({ ours: false, median: 1280 });
    expect(m.results.get("brain.js")).toHaveLength(2);
  });

  it("skips a missing two-thread row, and fails on any other missing one", () => {
    const ok = fakeLauncher((lib, _, pid) => (lib === "backprop-wasm-2w" ? "" : JSON.stringify(result(lib, 100, 64, pid))));
    expect(measureW5(ok.launch, "W5a", W5A_LIBS, 1, () => {}).rows.map((r) => r.lib)).not.toContain("backprop-wasm-2w");
    const bad = fakeLauncher((lib, _, pid) => (lib === "tfjs-cpu" ? "" : JSON.stringify(result(lib, 100, 64, pid))));
    expect(() => measureW5(bad.launch, "W5a", W5A_LIBS, 1, () => {})).toThrow(/W5a LSTM train: tfjs-cpu failed in its child process: tfjs-cpu broke/);
  });
});

describe("W5 peak RSS", () => {
  it("keeps every round's peak RSS per library: median and max on the rows, the JSON lines and the printed lines", () => {
    // Three rounds; each library's children report 100, 120, 110 MB (+ 50 for brain.js) in its own rounds.
    const round = new Map<string, number>();
    const b = fakeLauncher((lib, _, pid) => {
      const r = round.get(lib) ?? 0;
      round.set(lib, r + 1);
      return JSON.stringify(result(lib, 500, 100, pid, [100, 120, 110][r]! + (lib === "brain.js" ? 50 : 0)));
    });
    const m = measureW5(b.launch, "W5b", W5B_LIBS, 3, () => {});
    for (const r of m.rows) expect(r.peakRssMB).toEqual(r.lib === "brain.js" ? { median: 160, min: 150, max: 170, n: 3 } : { median: 110, min: 100, max: 120, n: 3 });
    // the batched workload's copy of brain.js's row carries brain.js's figures too
    expect(m.rows.filter((r) => r.lib === "brain.js").map((r) => r.workload)).toEqual([W5B, W5B_BATCHED]);
    const lines = jsonLines(m.rows).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines[0]).toEqual({ workload: W5B, lib: "backprop-wasm", unit: "ms", median: 500, min: 500, max: 500, n: 3, peakRssMB: { median: 110, min: 100, max: 120, n: 3 } });
    const printed = rssLines(m.rows);
    expect(printed).toHaveLength(1 + m.rows.length);
    expect(printed.find((l) => l.includes("brain.js"))).toMatch(/^peak RSS, W5b char-LSTM,\s+brain\.js:\s+median +160\.0 MB, max +170\.0 MB \(3 rounds\)$/);
  });
});

describe("W5 ratio lines", () => {
  it("prints the issue's JSON ratio lines (> 1 means we are faster), the headline W5b at batch 1, and the targets", () => {
    const a = fakeLauncher((lib, _, pid) =>
      JSON.stringify(result(lib, { "backprop-wasm": 100, "tfjs-wasm": 500, "brain.js": 250 }[lib] ?? 400, lib.startsWith("backprop") ? 2048 : 256, pid)),
    );
    const b = fakeLauncher((lib, _, pid) =>
      JSON.stringify(result(lib, { "backprop-wasm": 600, "backprop-ts": 1300, "brain.js": 3600, "backprop-wasm-batched": 300 }[lib] ?? 900, 100, pid)),
    );
    const rows = [...measureW5(a.launch, "W5a", W5A_LIBS, 1, () => {}).rows, ...measureW5(b.launch, "W5b", W5B_LIBS, 1, () => {}).rows];
    const lines = jsonLines(rows).map((l) => JSON.parse(l) as Record<string, unknown>);
    const ratios = lines.filter((l) => "ratio" in l);
    for (const r of ratios) expect(Object.keys(r)).toEqual(["workload", "lib", "ratio_vs", "ratio"]);
    // W5a: 2048 / 0.1 s against 256 / 0.25 s
    expect(ratios).toContainEqual({ workload: W5A, lib: "backprop-wasm", ratio_vs: "brain.js", ratio: 20 });
    expect(ratios).toContainEqual({ workload: W5A, lib: "backprop-ts", ratio_vs: "tfjs-wasm", ratio: expect.any(Number) });
    // W5b is wall time: brain.js 3600 ms against our 600 ms is 6× in our favour
    expect(ratios).toContainEqual({ workload: W5B, lib: "backprop-wasm", ratio_vs: "brain.js", ratio: 6 });
    expect(ratios).toContainEqual({ workload: W5B_BATCHED, lib: "backprop-wasm-batched", ratio_vs: "brain.js", ratio: 12 });
    // the batched variant is not W5b's own best row
    expect(ratios.filter((r) => r.workload === W5B).map((r) => r.lib)).toEqual(["backprop-wasm", "backprop-ts"]);
    expect(lines).toContainEqual({ workload: W5B, lib: "brain.js", unit: "ms", median: 3600, min: 3600, max: 3600, n: 1 });
    expect(table(rows)).toMatch(/^W5b char-LSTM\s+brain\.js\s+ms\s+3,600 .* 6\.00×$/m);
    expect(w5TargetLines(rows)).toEqual([
      "target W5a LSTM train ≥ 10× the fastest peer (brain.js): backprop-wasm 20.00× — met",
      "target W5b char-LSTM ≥ 5× brain.js: backprop-wasm 6.00× — met",
    ]);
  });

  it("notes the semantics and the losses of every library", () => {
    const b = fakeLauncher((lib, _, pid) => JSON.stringify({ ...result(lib, 500, 100, pid), ...(lib.startsWith("backprop") ? { crossEntropy: [0.5, 0.4] } : {}) }));
    const m = measureW5(b.launch, "W5b", W5B_LIBS, 1, () => {});
    const losses = w5LossLines("W5b", m, smoke);
    expect(losses).toHaveLength(W5B_LIBS.length);
    expect(losses[0]).toMatch(/^W5b char-LSTM error, backprop-wasm: 0\.5000 after 2 passes from fresh weights, 0\.1000 after 8 passes \(cross-entropy 0\.5000 → 0\.4000 nats/);
    const notes = w5Notes(smoke, { w5a: true, w5b: true }).join("\n");
    expect(notes).toMatch(/ONE SEQUENCE AT A TIME/);
    expect(notes).toMatch(/batch 1/);
    expect(notes).toMatch(/rmsprop\(\{ lr: 0\.01, rho: 0\.999/);
  });
});

describe("ours trains (a few batches, TypeScript backend)", () => {
  it("W5a: the LSTM 32 → Dense 1 loss drops over a few epochs of 64 windows", () => {
    const e = oursLstmTrain("backprop-ts", typescriptBackend, w5aData(64));
    const losses: number[] = [];
    for (let i = 0; i < 4; i++) {
      e.run();
      losses.push(e.loss());
    }
    for (const l of losses) expect(Number.isFinite(l)).toBe(true);
    expect(losses[3]!).toBeLessThan(losses[0]! * 0.5);
  });

  it("W5b: the char-LSTM's cross-entropy and brain.js-style error drop, at batch 1 and batched", () => {
    const strings = w5bStrings(1, 10);
    for (const batched of [false, true]) {
      // One pass per run: the first pass's loss, then the 20th's (the batched variant updates
      // once per length, ~6 times a pass here, so it learns more slowly per pass).
      const e = oursCharLstm("backprop-ts", typescriptBackend, strings, 1, batched);
      e.run();
      const first = e.passLoss();
      for (let i = 1; i < 20; i++) e.run();
      const later = e.passLoss();
      expect(Number.isFinite(first.crossEntropy)).toBe(true);
      expect(later.crossEntropy).toBeLessThan(first.crossEntropy * 0.8);
      expect(later.brainError).toBeLessThan(first.brainError);
      expect(e.updatesPerPass).toBe(batched ? byLength(charData(strings)).length : 10);
    }
  });

  it("the untrained model scores about what a uniform guess does", () => {
    const d = charData(w5bStrings(1));
    const e = oursCharLstm("backprop-ts", typescriptBackend, w5bStrings(1), 1);
    e.run(); // one pass: the errors are measured before each update, from nearly uniform outputs at first
    expect(e.loss()).toBeLessThan(uniformCharError(d) * 1.5);
  });
});

describe("W5b, our model against brain.js's", () => {
  it("encodes strings as brain.js does: start token in, end token out, n + 1 predictions", () => {
    const d = charData(["ab", "ba b"]);
    expect(d.chars).toEqual([" ", "a", "b"]);
    expect(d.classes).toBe(5); // token, 3 characters, "unrecognized"
    expect(d.maxSteps).toBe(5);
    expect(Array.from(d.strings[0]!.x.data)).toEqual([0, 2, 3]);
    expect(Array.from(d.strings[0]!.y.data)).toEqual([2, 3, 0]);
    expect(d.strings[1]!.y.shape).toEqual([1, 5, 1]);
    const groups = byLength(charData(["ab", "cd", "abc"]));
    expect(groups.map((g) => g.x.shape)).toEqual([[2, 3], [1, 4]]);
  });

  it("has as many parameters as brain.js's recurrent.LSTM on the same strings", () => {
    const strings = w5bStrings(1);
    const net = new (loadBrain() as unknown as { recurrent: { LSTM: new () => { train(d: unknown, o: object): unknown; model: { allMatrices: { rows: number; columns: number }[] } } } }).recurrent.LSTM();
    net.train(strings, { iterations: 1, errorThresh: 0 });
    const theirs = net.model.allMatrices.reduce((n, m) => n + m.rows * m.columns, 0);
    expect(charModel(charData(strings)).countParams()).toBe(theirs);
  });

  it("CharTrainer's step is Sequential.trainOnBatch's step, at the built length", () => {
    const d = charData(["the cat", "a dog"]);
    const s = d.strings[0]!;
    const a = charModel(d, 5);
    const b = charModel(d, 5);
    a.compile({ loss: "sparseCategoricalCrossentropy", optimizer: charOptimizer() });
    const trainer = new CharTrainer(b);
    for (let i = 0; i < 3; i++) {
      a.trainOnBatch(s.x, s.y);
      trainer.step(s.x, s.y);
    }
    const wa = a.getWeights();
    const wb = b.getWeights();
    for (let i = 0; i < wa.length; i++) {
      const x = wa[i] as Tensor;
      const y = wb[i] as Tensor;
      for (let j = 0; j < x.size; j++) expect(y.data[j]).toBeCloseTo(x.data[j] as number, 6);
    }
  });
});
