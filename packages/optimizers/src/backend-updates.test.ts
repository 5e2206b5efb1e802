import { createWasmBackend, Matrix, Param, Rng, setBackend, typescriptBackend, type DType, type KernelBackend } from "@backprop/linalg";
import { describe, expect, it } from "vitest";
import { adam } from "./adam.js";
import type { Optimizer } from "./optimizer.js";
import { sgd } from "./sgd.js";

// sgd (with and without momentum) and adam hand large parameters to the kernel backend's update
// (WASM SIMD on the wasm backend). The trajectory must be the bits of the TypeScript loops.

function run(backend: KernelBackend, make: () => Optimizer, dtype: DType): { values: Uint8Array[]; state: unknown } {
  const previous = setBackend(backend);
  try {
    const rng = new Rng(3);
    // 65×67 = 4355 elements (above the wasm backend's threshold, an odd tail), and a small bias.
    const params = [new Param("w", new Matrix(65, 67, dtype)), new Param("b", new Matrix(1, 67, dtype))];
    for (const p of params) rng.fillUniform(p.value, -1, 1);
    const optimizer = make();
    for (let step = 0; step < 6; step++) {
      for (const p of params) rng.fillUniform(p.grad, -0.5, 0.5);
      optimizer.step(params);
    }
    return { values: params.map((p) => new Uint8Array(p.value.data.slice().buffer)), state: optimizer.stateDict() };
  } finally {
    setBackend(previous);
  }
}

describe("optimizer updates on the wasm backend", () => {
  const wasm = createWasmBackend();
  const makers: Record<string, () => Optimizer> = {
    sgd: () => sgd({ lr: 0.1, weightDecay: 0.01 }),
    momentum: () => sgd({ lr: 0.05, momentum: 0.9 }),
    nesterov: () => sgd({ lr: 0.05, momentum: 0.8, nesterov: true, weightDecay: 1e-3 }),
    adam: () => adam({ lr: 0.01, weightDecay: 1e-4 }),
    amsgrad: () => adam({ lr: 0.01, amsgrad: true }),
  };
  for (const [name, make] of Object.entries(makers)) {
    for (const dtype of ["float32", "float64"] as const) {
      it(`${name} (${dtype}) follows the TypeScript loop's trajectory bit for bit`, () => {
        // Counts the updates the backend really ran (it declines the 67-element bias).
        let ran = 0;
        const counted = (done: boolean): boolean => {
          if (done) ran++;
          return done;
        };
        const counting: KernelBackend = {
          ...wasm,
          sgdUpdate: (...a) => counted(wasm.sgdUpdate(...a)),
          momentumUpdate: (...a) => counted(wasm.momentumUpdate(...a)),
          adamUpdate: (...a) => counted(wasm.adamUpdate(...a)),
        };
        const ours = run(counting, make, dtype);
        // Six steps of the large parameter in WASM: SGD in both dtypes, momentum and Adam in
        // float32 (the backend declines their float64 form; the rule's loop runs it).
        expect(ran).toBe(dtype === "float32" || name === "sgd" ? 6 : 0);
        const reference = run(typescriptBackend, make, dtype);
        expect(ours.values).toEqual(reference.values);
        expect(ours.state).toEqual(reference.state);
      });
    }
  }
});
