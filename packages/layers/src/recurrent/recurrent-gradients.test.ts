import { Rng, Tensor, finiteDifferenceCheck } from "@backprop/linalg";
import { describe, expect, it } from "vitest";
import { gradientCheck } from "../gradient-check.js";
import type { TimeMask } from "../layer.js";
import { GRU, LSTM, SimpleRNN } from "./recurrent-layers.js";
import type { RNN } from "./rnn.js";

/*
 * Backpropagation through time against central differences in float64: the input, the kernel, the
 * recurrent kernel and the bias of every cell, in every variant of the loop, and the initial
 * states. A wrong sign or a missing term in any step moves some coordinate by far more than 1e-6.
 */

type Make = (options: Record<string, unknown>) => RNN;
const CELLS: readonly [string, Make][] = [
  ["SimpleRNN", (o) => new SimpleRNN({ units: 3, ...o })],
  ["LSTM", (o) => new LSTM({ units: 3, ...o })],
  ["LSTM (hardSigmoid, relu)", (o) => new LSTM({ units: 3, recurrentActivation: "hardSigmoid", activation: "softsign", ...o })],
  ["GRU reset after", (o) => new GRU({ units: 3, ...o })],
  ["GRU reset before", (o) => new GRU({ units: 3, resetAfter: false, ...o })],
];
const VARIANTS: readonly [string, Record<string, unknown>][] = [
  ["last step", {}],
  ["returnSequences", { returnSequences: true }],
  ["goBackwards + returnSequences", { goBackwards: true, returnSequences: true }],
  ["no bias", { useBias: false }],
];

function expectOk(report: ReturnType<typeof gradientCheck>): void {
  const worst = report.entries.reduce((a, b) => (b.maxRelativeError > a.maxRelativeError ? b : a));
  expect(report.entries.length).toBeGreaterThanOrEqual(3);
  expect(worst.maxRelativeError, `${worst.name}: analytic ${worst.analytic}, numeric ${worst.numeric}`).toBeLessThan(1e-6);
}

describe.each(CELLS)("%s gradients through time", (_name, make) => {
  it.each(VARIANTS)("%s", (_variant, options) => {
    // Non-zero biases so every term of the bias gradient matters.
    const layer = make({ ...options, biasInitializer: { name: "randomNormal", config: { stddev: 0.5 } } });
    expectOk(gradientCheck(layer, { inputShape: [5, 2], batch: 3, seed: 11 }));
  });

  it("with regularizers on all three weights", () => {
    const l2 = { l1: 0.01, l2: 0.02 };
    const layer = make({ kernelRegularizer: l2, recurrentRegularizer: l2, biasRegularizer: l2, biasInitializer: "ones" });
    expectOk(gradientCheck(layer, { inputShape: [4, 2], batch: 2, seed: 3 }));
  });

  it("with a mask: padded steps carry the state and pass the gradient", () => {
    const layer = make({ returnSequences: true });
    const rng = new Rng(5);
    layer.build([6, 2], { dtype: "float64", rng, prefix: "rnn" });
    const x = rng.fillNormal(new Tensor([3, 6, 2], "float64"));
    // Sample 0 full, sample 1 padded at the end, sample 2 padded at the start and in the middle.
    const mask: TimeMask = { batch: 3, steps: 6, data: Uint8Array.from([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 1, 1, 0, 1, 1]) };
    const r = rng.fillNormal(new Tensor([3, 6, 3], "float64"));
    const lossOf = (): number => {
      const y = layer.forward(x, { training: true, mask });
      let s = 0;
      for (let i = 0; i < y.size; i++) s += (y.data[i] as number) * (r.data[i] as number);
      return s;
    };
    lossOf();
    for (const p of layer.params()) p.grad.fill(0);
    const dx = Float64Array.from(layer.backward(r).data);
    expect(finiteDifferenceCheck(x.data, dx, lossOf).maxRelativeError).toBeLessThan(1e-6);
    for (const p of layer.params()) {
      const g = Float64Array.from(p.grad.data);
      expect(finiteDifferenceCheck(p.value.data, g, lossOf).maxRelativeError, p.name).toBeLessThan(1e-6);
    }
  });

  it("initial states: dLoss/dState₀ from backwardThrough matches finite differences", () => {
    const layer = make({ returnSequences: true });
    const rng = new Rng(9);
    layer.build([4, 2], { dtype: "float64", rng, prefix: "rnn" });
    const x = rng.fillNormal(new Tensor([2, 4, 2], "float64"));
    const initial = layer.cell.stateSizes.map((size) => rng.fillNormal(new Tensor([2, size], "float64")));
    const r = rng.fillNormal(new Tensor([2, 4, 3], "float64"));
    const rs = layer.cell.stateSizes.map((size) => rng.fillNormal(new Tensor([2, size], "float64")));
    // L = Σ y ⊙ R + Σ finalStates ⊙ Rs: the final states feed the loss too (as an encoder's do).
    const lossOf = (): number => {
      const { output, states } = layer.call(x, { initialState: initial, training: true });
      let s = 0;
      for (let i = 0; i < output.size; i++) s += (output.data[i] as number) * (r.data[i] as number);
      states.forEach((st, k) => {
        for (let i = 0; i < st.size; i++) s += (st.data[i] as number) * ((rs[k] as Tensor).data[i] as number);
      });
      return s;
    };
    lossOf();
    const { initialStates } = layer.backwardThrough(r, rs);
    initial.forEach((state, k) => {
      const g = Float64Array.from((initialStates[k] as Tensor).data);
      expect(finiteDifferenceCheck(state.data, g, lossOf).maxRelativeError).toBeLessThan(1e-6);
    });
  });
});
