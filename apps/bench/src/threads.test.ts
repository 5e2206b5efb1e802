import { Dense, Sequential } from "@backprop/layers";
import { Matrix, Rng, createWasmBackend, isWasmSimdSupported, setBackend, type KernelBackend } from "@backprop/linalg";
import { createThreadedWasmBackend } from "@backprop/linalg/threads";
import { sgd } from "@backprop/optimizers";
import { describe, expect, it } from "vitest";

// The backprop-wasm-2w row must train the same model as backprop-wasm: same seed, same weights.

function train(backend: KernelBackend): Float32Array {
  const rng = new Rng(3);
  const x = new Matrix(256, 40, "float32");
  rng.fillUniform(x, 0, 1);
  const y = new Matrix(256, 5, "float32");
  for (let i = 0; i < 256; i++) y.data[i * 5 + rng.int(5)] = 1;
  const model = new Sequential(
    [new Dense({ units: 32, inputDim: 40, activation: "relu" }), new Dense({ units: 5, activation: "softmax" })],
    { dtype: "float32", seed: 9 },
  );
  model.compile({ loss: "categoricalCrossentropy", optimizer: sgd({ lr: 0.05 }) });
  const previous = setBackend(backend);
  try {
    model.fit(x, y, { epochs: 3, batchSize: 64 });
  } finally {
    setBackend(previous);
  }
  return Float32Array.from(model.params().flatMap((p) => [...p.value.data]));
}

describe.runIf(isWasmSimdSupported() && typeof SharedArrayBuffer === "function")("two threads", () => {
  it("fit gives bit-identical weights to one thread (same seed), for 2 and 3 threads", async () => {
    for (const threads of [2, 3]) {
      // minParallelWork 0 splits every product, so the helpers really take part.
      const threaded = await createThreadedWasmBackend({ threads, minParallelWork: 0 });
      try {
        const one = train(createWasmBackend({ relaxed: threaded.fused }));
        const many = train(threaded);
        expect(many).toEqual(one);
        expect(one.some((v) => v !== 0)).toBe(true);
      } finally {
        await threaded.close();
      }
    }
  });
});
