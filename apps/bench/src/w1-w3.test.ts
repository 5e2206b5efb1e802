import { typescriptBackend } from "@backprop/linalg";
import { describe, expect, it } from "vitest";
import * as ours from "./libs/backprop.js";
import { parseSample } from "./rounds.js";
import { W1_BATCH, W1_SIZES, mlpStepFlops, mlpStepProducts, stepGemmMs, w123ChildRound, w123Libs, w123Sizes, w123Workload, w1StepLines } from "./w1-w3.js";

describe("W1's step FLOPs", () => {
  it("counts forward 2·b·(784·128 + 128·10), weight gradients as much again, and the second layer's input gradient", () => {
    const b = W1_BATCH;
    const forward = 2 * b * (784 * 128 + 128 * 10);
    const weightGrads = 2 * b * (784 * 128 + 128 * 10);
    const inputGrad = 2 * b * 128 * 10;
    expect(mlpStepFlops(W1_SIZES, b)).toBe(forward + weightGrads + inputGrad);
    expect(mlpStepFlops(W1_SIZES, 64)).toBe(26_181_632);
    expect(mlpStepFlops(W1_SIZES, 1) * 64).toBe(26_181_632);
  });

  it("lists the step's five products, no input gradient for the first layer", () => {
    const p = mlpStepProducts(W1_SIZES, 64).map(({ transA, transB, m, n, k }) => [transA, transB, m, n, k]);
    expect(p).toEqual([
      [false, false, 64, 128, 784],
      [true, false, 784, 128, 64],
      [false, false, 64, 10, 128],
      [true, false, 128, 10, 64],
      [false, true, 64, 128, 10],
    ]);
  });

  it("times the products alone on a backend", () => {
    expect(stepGemmMs(typescriptBackend, mlpStepProducts([8, 4, 2], 4), 5)).toBeGreaterThan(0);
  });

  it("prints one line per library, GEMM and the fraction outside it for ours", () => {
    const s = { median: 30, min: 28, max: 31, n: 5 };
    const lines = w1StepLines([
      { lib: "backprop-wasm", step: s, gemm: { median: 50, min: 49, max: 52, n: 5 }, outside: { median: 0.4, min: 0.35, max: 0.42, n: 5 } },
      { lib: "brain.js", step: { median: 0.7, min: 0.6, max: 0.8, n: 5 } },
    ]);
    expect(lines[1]).toBe("W1 step, backprop-wasm: whole step 30.00 (28.00–31.00) GFLOP/s, GEMM alone 50.00 (49.00–52.00), outside GEMM 40 % (35 %–42 %) of the step");
    expect(lines[2]).toBe("W1 step, brain.js: whole step 0.70 (0.60–0.80) GFLOP/s");
  });
});

describe("W1–W3 workloads", () => {
  it("names the workloads and their libraries", () => {
    const s = w123Sizes("smoke");
    expect(w123Workload("W3-batch", s)).toEqual({ name: "W3 infer batch 128", unit: "samples/s" });
    expect(w123Workload("W3-batch", w123Sizes("full"))).toEqual({ name: "W3 infer batch 256", unit: "samples/s" });
    expect(w123Libs("W2-xor", false)).toEqual(["tfjs-wasm", "tfjs-cpu", "brain.js"]);
    expect(w123Libs("W1", true)).toContain("tfjs-cpu minimize");
    expect(w123Libs("W3-batch", true)).toContain("backprop-wasm-2w");
    expect(w123Libs("W3-latency", true)).not.toContain("backprop-wasm-2w");
    expect(w123Libs("W3-latency", true)).toContain("backprop-wasm predictor");
    expect(w123Libs("W3-batch", true)).toContain("backprop-wasm predictor");
    expect(w123Libs("W1", true)).not.toContain("backprop-wasm predictor");
  });

  it("a child round prints what the parent reads (in this process, smoke sizes)", async () => {
    const s = w123Sizes("smoke");
    const a = await w123ChildRound("W2-xor", "backprop-ts", s, ours);
    expect(parseSample(`${JSON.stringify(a)}\n`)).toEqual(a);
    expect(a).toMatchObject({ lib: "backprop-ts", work: s.epochs, pid: process.pid });
    const w1 = await w123ChildRound("W1", "backprop-ts", s, ours);
    expect(w1.work).toBe(s.samples);
    expect(w1.gemmMsPerStep).toBeGreaterThan(0);
    expect(w1.peakRssMB).toBeGreaterThan(10); // this process's VmHWM, MB
    const frozen = await w123ChildRound("W3-latency", "backprop-wasm predictor", s, ours);
    expect(frozen).toMatchObject({ lib: "backprop-wasm predictor", work: s.latencyIterations });
    const b = await w123ChildRound("W3-latency", "brain.js", s, undefined);
    expect(b).toMatchObject({ lib: "brain.js", work: s.latencyIterations });
    expect(b.gemmMsPerStep).toBeUndefined();
    await expect(w123ChildRound("W1", "nope", s, ours)).rejects.toThrow(/no W1 library nope/);
  });
});
