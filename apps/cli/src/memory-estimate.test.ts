import { isBackpropError } from "@backprop/linalg";
import { describe, expect, it } from "vitest";
import { MAX_ARRAY_NUMBERS, checkNetworkMemory, checkTableMemory, estimateNetwork, formatBytes, tableBytes, type NetworkPlan } from "./memory-estimate.js";

const GIB = 1024 ** 3;
const machine = { total: 16 * GIB, free: 8 * GIB };
const plan = (hidden: number[], extra: Partial<NetworkPlan> = {}): NetworkPlan => ({ inputs: 4, hidden, outputs: 3, dtype: "float32", optimizer: "adam", batchSize: 32, samples: 120, ...extra });
const messageOf = (f: () => unknown): string => {
  try {
    f();
  } catch (error) {
    if (isBackpropError(error)) return error.message;
    throw error;
  }
  return "no error";
};

describe("estimateNetwork", () => {
  it("counts the parameters of the Dense stack and its Normalization layer", () => {
    expect(estimateNetwork(plan([16])).params).toBe(139);
    expect(estimateNetwork(plan([100_000, 100_000])).params).toBe(10_000_900_011);
  });

  it("counts the bytes of weights, gradients, optimizer slots, the epoch-end copy and a JSON file", () => {
    const adam = estimateNetwork(plan([1000, 1000]));
    const sgd = estimateNetwork(plan([1000, 1000], { optimizer: "sgd" }));
    expect(adam.trainingBytes).toBeGreaterThan(adam.params * 44);
    expect(sgd.trainingBytes).toBeLessThan(adam.trainingBytes);
    expect(adam.savingBytes).toBe(0);
    expect(estimateNetwork(plan([1000, 1000], { savesJson: true })).savingBytes).toBeGreaterThan(adam.params * 3 * 22);
    expect(estimateNetwork(plan([1000], { dtype: "float64" })).trainingBytes).toBeGreaterThan(estimateNetwork(plan([1000])).trainingBytes);
  });
});

describe("checkNetworkMemory", () => {
  it("refuses more than the machine has, with both figures", () => {
    expect(messageOf(() => checkNetworkMemory(plan([100_000, 100_000]), "--layers 100000,100000", machine))).toMatch(
      /^--layers 100000,100000: 10,000,900,011 parameters need about 410\.\d GiB to train \(this machine has 16\.0 GiB\)\nhelp: /,
    );
  });

  it("refuses a layer beyond what a JS array holds, and a JSON file beyond what the loader reads", () => {
    const big = { total: 1024 * GIB, free: 1024 * GIB };
    expect(messageOf(() => checkNetworkMemory(plan([20_000, 20_000]), "--layers 20000,20000", big))).toMatch(/one layer holds 400,000,000 weights; .* at most about 120,000,000 numbers/);
    expect(MAX_ARRAY_NUMBERS).toBe(120_000_000);
    expect(messageOf(() => checkNetworkMemory(plan([3000, 3000], { savesJson: true }), "--layers 3000,3000", big))).toMatch(/9,027,011 parameters do not fit in a JSON model file .*the loader reads at most 256.0 MiB, about 4,067,203 parameters with adam/);
    expect(checkNetworkMemory(plan([3000, 3000]), "--layers 3000,3000", big)).toBeUndefined();
  });

  it("refuses a layer whose matrix product exceeds the 4 GiB WebAssembly heap", () => {
    const big = { total: 1024 * GIB, free: 1024 * GIB };
    expect(messageOf(() => checkNetworkMemory(plan([5_000_000], { inputs: 20 }), "--layers 5000000", big))).toMatch(/one layer's matrix product needs [\d.]+ GiB at once, more than the 4\.0 GiB the WebAssembly kernels can address/);
  });

  it("warns (returns a warning) past the free memory", () => {
    expect(checkNetworkMemory(plan([16, 8]), "--layers 16,8", machine)).toBeUndefined();
    expect(checkNetworkMemory(plan([10_000, 10_000]), "--layers 10000,10000", { total: 16 * GIB, free: 1 * GIB })).toMatch(/more than the 1\.0 GiB free now .*expect swapping/);
  });
});

describe("tables", () => {
  it("refuse rows that cannot be held, with rows, columns and bytes", () => {
    expect(tableBytes(1000, 10, 3)).toBeGreaterThan(1000 * 13 * 8);
    expect(messageOf(() => checkTableMemory("big.csv", 100_000, 10, 100_000, machine))).toMatch(/^big\.csv: 100,000 rows of 10 inputs and 100,000 target columns need about [\d.]+ GiB in memory \(this machine has 16\.0 GiB\)\nhelp: that many target columns/);
    expect(() => checkTableMemory("ok.csv", 1000, 10, 3, machine)).not.toThrow();
  });

  it("format bytes in binary units", () => {
    expect([formatBytes(512), formatBytes(3.2 * 1024 ** 2), formatBytes(5.8 * GIB)]).toEqual(["512 B", "3.2 MiB", "5.8 GiB"]);
  });
});
