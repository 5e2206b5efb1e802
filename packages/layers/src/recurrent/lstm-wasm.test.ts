import { Rng, Tensor, createWasmBackend, setBackend, typescriptBackend, type KernelBackend } from "@backprop/linalg";
import { adam } from "@backprop/optimizers";
import { afterEach, describe, expect, it } from "vitest";
import { Dense } from "../dense.js";
import type { TimeMask } from "../layer.js";
import { Sequential } from "../model/sequential.js";
import { LSTM } from "./recurrent-layers.js";

/*
 * The WASM backend runs a float32 LSTM's whole time loop in one call, with float32 polynomial σ and
 * tanh (KernelBackend.lstmForward/lstmBackward). It does not promise the TypeScript loop's bits,
 * so this compares the two within float32 precision: forward, every gradient, masks, and a short
 * training run — and checks that the kernel really ran (a layer that fell back would pass trivially).
 */

let restore: KernelBackend | undefined;
afterEach(() => {
  if (restore) setBackend(restore);
  restore = undefined;
});

function counting(backend: KernelBackend): { backend: KernelBackend; calls: { forward: number; backward: number } } {
  const calls = { forward: 0, backward: 0 };
  const forward = backend.lstmForward?.bind(backend);
  const backward = backend.lstmBackward?.bind(backend);
  return {
    calls,
    backend: {
      ...backend,
      gemm: backend.gemm.bind(backend),
      lstmForward: (...a: Parameters<NonNullable<KernelBackend["lstmForward"]>>) => {
        const ran = forward?.(...a) ?? false;
        if (ran) calls.forward++;
        return ran;
      },
      lstmBackward: (...a: Parameters<NonNullable<KernelBackend["lstmBackward"]>>) => {
        const ran = backward?.(...a) ?? false;
        if (ran) calls.backward++;
        return ran;
      },
    },
  };
}

interface Run {
  readonly output: number[];
  readonly inputGradient: number[];
  readonly gradients: number[][];
  readonly timeSteps: Record<string, number[]>;
}

function run(config: { units: number; returnSequences?: boolean; goBackwards?: boolean }, mask?: TimeMask): Run {
  const layer = new LSTM({ ...config, biasInitializer: { name: "randomNormal", config: { stddev: 0.5 } } });
  const rng = new Rng(4);
  layer.build([7, 3], { dtype: "float32", rng, prefix: "lstm" });
  const x = rng.fillNormal(new Tensor([5, 7, 3], "float32"));
  // Large inputs too, so the σ and tanh polynomials are tried far into saturation.
  x.data[0] = 40;
  x.data[1] = -60;
  const y = layer.forward(x, { training: true, ...(mask ? { mask } : {}) });
  const dy = rng.fillNormal(new Tensor(y.shape, "float32"));
  for (const p of layer.params()) p.grad.fill(0);
  const dx = layer.backward(dy);
  const seen = layer.inspect();
  return {
    output: Array.from(y.data),
    inputGradient: Array.from(dx.data),
    gradients: layer.params().map((p) => Array.from(p.grad.data)),
    timeSteps: Object.fromEntries(Object.entries(seen.timeSteps ?? {}).map(([k, t]) => [k, Array.from(t.data)])),
  };
}

function expectClose(actual: number[], expected: number[], tolerance: number, what: string): void {
  expect(actual.length, what).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) {
    const scale = Math.max(1, Math.abs(expected[i] as number));
    worst = Math.max(worst, Math.abs((actual[i] as number) - (expected[i] as number)) / scale);
  }
  expect(worst, what).toBeLessThan(tolerance);
}

describe("the WASM LSTM time loop agrees with the TypeScript loop in float32", () => {
  const mask: TimeMask = { batch: 5, steps: 7, data: Uint8Array.from({ length: 35 }, (_, i) => (i % 7 === 3 || i >= 30 ? 0 : 1)) };
  it.each([
    ["last step", { units: 8 }, undefined],
    ["returnSequences, goBackwards", { units: 4, returnSequences: true, goBackwards: true }, undefined],
    ["masked", { units: 8, returnSequences: true }, mask],
  ] as const)("%s", (_name, config, m) => {
    restore = setBackend(typescriptBackend);
    const reference = run(config, m);
    const wasm = counting(createWasmBackend({ minWork: 0 }));
    setBackend(wasm.backend);
    const fast = run(config, m);
    expect(wasm.calls).toEqual({ forward: 1, backward: 1 });
    expectClose(fast.output, reference.output, 1e-6, "output");
    expectClose(fast.inputGradient, reference.inputGradient, 1e-5, "input gradient");
    fast.gradients.forEach((g, i) => expectClose(g, reference.gradients[i] as number[], 1e-5, `gradient ${i}`));
    for (const [name, values] of Object.entries(reference.timeSteps)) expectClose(fast.timeSteps[name] as number[], values, 1e-6, name);
  });

  it("units not a multiple of 4, float64, or other activations stay on the TypeScript loop", () => {
    const wasm = counting(createWasmBackend({ minWork: 0 }));
    restore = setBackend(wasm.backend);
    for (const [layer, dtype] of [
      [new LSTM({ units: 3 }), "float32"],
      [new LSTM({ units: 4 }), "float64"],
      [new LSTM({ units: 4, recurrentActivation: "hardSigmoid" }), "float32"],
    ] as const) {
      layer.build([2, 1], { dtype, rng: new Rng(1), prefix: "l" });
      layer.forward(new Tensor([2, 2, 1], dtype), { training: true });
      layer.backward(new Tensor([2, layer.units], dtype));
    }
    expect(wasm.calls).toEqual({ forward: 0, backward: 0 });
  });

  it("a model trains to the same losses within float32 rounding", () => {
    const train = (): number[] => {
      const rng = new Rng(2);
      const x = rng.fillNormal(new Tensor([64, 10, 1], "float32"));
      const y = rng.fillNormal(new Tensor([64, 1], "float32"));
      const model = new Sequential([new LSTM({ units: 16, inputShape: [10, 1] }), new Dense({ units: 1 })], { seed: 5 });
      model.compile({ loss: "meanSquaredError", optimizer: adam({ lr: 0.01 }) });
      return model.fit(x, y, { epochs: 10, batchSize: 16 }).history["loss"] as number[];
    };
    restore = setBackend(typescriptBackend);
    const reference = train();
    setBackend(createWasmBackend());
    const fast = train();
    expect(reference.at(-1)).toBeLessThan((reference[0] as number) * 0.95);
    expectClose(fast, reference, 1e-5, "losses");
  });
});
