import { getBackend, isBackpropError, Matrix, Rng, setBackend, Tensor, useBackend, type KernelBackend } from "@backprop/linalg";
import { createThreadedWasmBackend } from "@backprop/linalg/threads";
import { sgd } from "@backprop/optimizers";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { Conv2D } from "../conv2d.js";
import { Dense } from "../dense.js";
import { Dropout } from "../dropout.js";
import { Flatten } from "../flatten.js";
import { Normalization } from "../normalization.js";
import { Sequential } from "./sequential.js";

let restore: KernelBackend | undefined;
afterEach(() => {
  if (restore) setBackend(restore);
  restore = undefined;
});

function random(rows: number, cols: number, dtype: "float32" | "float64", seed: number): Matrix {
  const m = new Matrix(rows, cols, dtype);
  new Rng(seed).fillUniform(m, -1, 1);
  return m;
}

function mlp(sizes: readonly number[], activations: readonly string[], dtype: "float32" | "float64", seed: number): Sequential {
  const layers = sizes.slice(1).map(
    (units, l) => new Dense({ units, activation: activations[l] as string, ...(l === 0 ? { inputDim: sizes[0] as number } : {}) }),
  );
  return new Sequential(layers, { dtype, seed });
}

/** Counts the backend's fused Dense passes, to see which path a prediction took. */
function countingBackend(): { backend: KernelBackend; stacks: () => number; reuses: () => boolean[] } {
  const base = getBackend();
  let stacks = 0;
  const reuses: boolean[] = [];
  const denseStack = base.denseStack;
  const backend: KernelBackend = {
    ...base,
    ...(denseStack
      ? {
          denseStack: (plan) => {
            const stack = denseStack(plan);
            if (!stack) return stack;
            stacks++;
            return {
              ...stack,
              forward: (x, kernels, biases, out, reuse) => {
                reuses.push(reuse === true);
                stack.forward(x, kernels, biases, out, reuse);
              },
            };
          },
        }
      : {}),
  };
  return { backend, stacks: () => stacks, reuses: () => reuses };
}

describe.each(["typescript", "wasm"] as const)("Sequential.predictor on the %s backend", (name) => {
  it("gives exactly model.predict's numbers (random MLPs, both dtypes, any batch split)", () => {
    restore = useBackend(name);
    fc.assert(
      fc.property(
        fc.constantFrom("float32" as const, "float64" as const),
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 2, maxLength: 4 }),
        fc.array(fc.constantFrom("relu", "linear", "tanh"), { minLength: 3, maxLength: 3 }),
        fc.constantFrom("softmax", "sigmoid", "relu", "linear"),
        fc.integer({ min: 1, max: 70 }),
        fc.integer({ min: 1, max: 33 }),
        fc.nat(1000),
        (dtype, sizes, hidden, output, n, batchSize, seed) => {
          const acts = sizes.slice(1).map((_, l) => (l === sizes.length - 2 ? output : (hidden[l] as string)));
          const model = mlp(sizes, acts, dtype, seed);
          const x = random(n, sizes[0] as number, dtype, seed + 1);
          // predict's numbers for the same batches (as in Keras, a batch's size may change the
          // last bits: another product kernel, another summation).
          const want = model.predict(x, { batchSize });
          const predictor = model.predictor({ batchSize });
          expect(predictor.batchSize).toBe(batchSize);
          expect(predictor.predict(x).data).toEqual(want.data);
          // A second call (weights held by the backend) and a call of another size.
          expect(predictor.predict(x).data).toEqual(want.data);
          const first = x.batchSlice(0, 1);
          expect(predictor.predict(first).data).toEqual(model.predict(first, { batchSize }).data);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("keeps the weights it was made with until refresh()", () => {
    restore = useBackend(name);
    const model = mlp([784, 128, 10], ["relu", "softmax"], "float32", 3);
    model.compile({ loss: "categoricalCrossentropy", optimizer: sgd({ lr: 0.5 }) });
    const x = random(5, 784, "float32", 4);
    const y = new Matrix(5, 10, "float32");
    for (let i = 0; i < 5; i++) y.data[i * 10 + (i % 10)] = 1;
    const before = model.predict(x, { batchSize: 1 });
    const predictor = model.predictor({ batchSize: 1 });
    expect(predictor.predict(x).data).toEqual(before.data);
    // Training and a direct write to a weight change the model, not the predictor.
    model.fit(x, y, { epochs: 2, batchSize: 5 });
    (model.layers[1] as Dense).bias?.value.data.fill(0.25);
    const after = model.predict(x, { batchSize: 1 });
    expect(after.data).not.toEqual(before.data);
    expect(predictor.predict(x).data).toEqual(before.data);
    predictor.refresh();
    expect(predictor.predict(x).data).toEqual(after.data);
    // Its result is a new tensor each time: the caller may keep or change it.
    const kept = predictor.predict(x);
    kept.data.fill(7);
    expect(predictor.predict(x).data).toEqual(after.data);
  });

  it("runs other layers one by one, with the same snapshot semantics", () => {
    restore = useBackend(name);
    const model = new Sequential(
      [
        new Conv2D({ filters: 3, kernelSize: 3, activation: "relu", inputShape: [6, 6, 1] }),
        new Flatten(),
        new Dropout({ rate: 0.5 }),
        new Dense({ units: 4, activation: "softmax" }),
      ],
      { dtype: "float64", seed: 5 },
    );
    const x = new Tensor([7, 6, 6, 1], "float64");
    new Rng(6).fillUniform(x, 0, 1);
    const want = model.predict(x, { batchSize: 3 });
    const predictor = model.predictor({ batchSize: 3 });
    expect(predictor.predict(x).shape).toEqual([7, 4]);
    expect(predictor.predict(x).data).toEqual(want.data);
    // Flattened rows are reshaped as predict reshapes them.
    expect(predictor.predict(new Matrix(7, 36, "float64", x.data)).data).toEqual(want.data);
    (model.layers[3] as Dense).kernel.value.data.fill(0);
    expect(predictor.predict(x).data).toEqual(want.data);
  });

  it("rejects what predict rejects, naming the predictor", () => {
    restore = useBackend(name);
    const model = mlp([3, 4, 2], ["relu", "softmax"], "float32", 1);
    const predictor = model.predictor();
    const fail = (x: Tensor): unknown => {
      try {
        predictor.predict(x);
      } catch (error) {
        return error;
      }
      return undefined;
    };
    const wrong = fail(new Matrix(2, 5, "float32"));
    expect(isBackpropError(wrong) && wrong.code).toBe("SHAPE_MISMATCH");
    expect((wrong as Error).message).toMatch(/sequential\.predictor\.predict: x is 2×5 \(expected n×3/);
    const bad = new Matrix(1, 3, "float32");
    bad.data[1] = Number.NaN;
    expect((fail(bad) as Error).message).toMatch(/predictor\.predict: x/);
    expect(() => model.predictor({ batchSize: 0 })).toThrow(/predictor: batchSize: must be a positive integer/);
  });
});

describe("Sequential.predictor", () => {
  it("needs a known input shape", () => {
    const model = new Sequential([new Dense({ units: 2 })]);
    let caught: unknown;
    try {
      model.predictor();
    } catch (error) {
      caught = error;
    }
    expect(isBackpropError(caught) && caught.code).toBe("INVALID_STATE");
    expect((caught as Error).message).toMatch(/predictor: the model's input shape is unknown/);
  });

  it("names a layer it cannot copy", () => {
    // A layer whose type is in no registry (a custom layer nobody registered).
    const odd = new Dense({ units: 2, name: "odd" });
    Object.defineProperty(odd, "className", { value: "acme>unregistered" });
    const model = new Sequential([new Dense({ units: 2, inputDim: 2 }), odd]);
    expect(model.predict(new Matrix(1, 2, "float32")).shape).toEqual([1, 2]);
    expect(() => model.predictor()).toThrow(/predictor: cannot copy layer "odd" \(acme>unregistered\) from its config/);
  });

  it("holds the weights in the wasm backend: after the first call only the batch is copied in", () => {
    restore = useBackend("wasm");
    const counting = countingBackend();
    setBackend(counting.backend);
    const model = mlp([784, 128, 10], ["relu", "softmax"], "float32", 2);
    const predictor = model.predictor({ batchSize: 1 });
    const x = random(1, 784, "float32", 9);
    const want = model.predict(x, { batchSize: 1 });
    for (let i = 0; i < 3; i++) expect(predictor.predict(x).data).toEqual(want.data);
    // One stack for batch 1, its forward pass on every call, reading the weights on the first.
    expect(counting.stacks()).toBe(1);
    expect(counting.reuses()).toEqual([false, true, true]);
    predictor.refresh();
    expect(predictor.predict(x).data).toEqual(want.data);
    expect(counting.reuses()).toEqual([false, true, true, false]);
  });

  it("runs a leading Flatten and Normalization on their own and the Dense layers fused, with predict's numbers", () => {
    restore = useBackend("wasm");
    const counting = countingBackend();
    setBackend(counting.backend);
    const x = new Tensor([10, 4, 5], "float32");
    new Rng(3).fillUniform(x, 0, 255);
    const normalization = new Normalization();
    normalization.adapt(x.reshape([10, 20]));
    const model = new Sequential([new Flatten({ inputShape: [4, 5] }), normalization, new Dense({ units: 32, activation: "relu" }), new Dense({ units: 8, activation: "softmax" })], {
      dtype: "float32",
      seed: 4,
    });
    const want = model.predict(x, { batchSize: 4 });
    const predictor = model.predictor({ batchSize: 4 });
    expect(predictor.predict(x).data).toEqual(want.data);
    // Batches of 4 and the last 2.
    expect(counting.stacks()).toBe(2);
    // New statistics reach the predictor at refresh.
    const variance = (normalization.params()[1] as { value: { data: Float32Array } }).value.data;
    variance.fill(4);
    expect(predictor.predict(x).data).toEqual(want.data);
    predictor.refresh();
    const changed = predictor.predict(x).data;
    expect(changed).toEqual(model.predict(x, { batchSize: 4 }).data);
    expect(changed).not.toEqual(want.data);
  });

  it("on the two-thread backend gives predict's numbers, also with other products between its calls", async () => {
    const threads = await createThreadedWasmBackend({ threads: 2 });
    restore = setBackend(threads);
    try {
      const model = mlp([784, 128, 10], ["relu", "softmax"], "float32", 4);
      for (const batchSize of [1, 7, 256]) {
        const x = random(300, 784, "float32", batchSize);
        const want = model.predict(x, { batchSize });
        const predictor = model.predictor({ batchSize });
        for (let call = 0; call < 3; call++) {
          expect(predictor.predict(x).data).toEqual(want.data);
          // The model's own products write the shared memory the predictor's stacks use.
          model.predict(x.batchSlice(0, 5));
        }
      }
    } finally {
      setBackend(restore as KernelBackend);
      restore = undefined;
      await threads.close();
    }
  });
});
