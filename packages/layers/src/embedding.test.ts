import { Matrix, Rng, Tensor, finiteDifferenceCheck, isBackpropError, type DType, type Shape } from "@backprop/linalg";
import { adam } from "@backprop/optimizers";
import { errorCode } from "@backprop/testing";
import { describe, expect, it } from "vitest";
import { Dense } from "./dense.js";
import { Embedding, type EmbeddingConfig } from "./embedding.js";
import { Flatten } from "./flatten.js";
import { Sequential } from "./model/sequential.js";

function built(config: EmbeddingConfig, shape: Shape, dtype: DType = "float64", seed = 1): Embedding {
  const layer = new Embedding(config);
  layer.build(shape, { dtype, rng: new Rng(seed), prefix: "emb" });
  return layer;
}

/** A `[batch, ...sample]` tensor of ids drawn uniformly from `[0, vocabulary)`. */
function randomIds(batch: number, sample: Shape, vocabulary: number, seed: number, dtype: DType = "float64"): Tensor {
  const rng = new Rng(seed);
  const ids = new Tensor([batch, ...sample], dtype);
  for (let i = 0; i < ids.size; i++) ids.data[i] = rng.int(vocabulary);
  return ids;
}

/** `"<code>: <first line of the message>"` of the error `fn` throws (the hint line left out). */
function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return isBackpropError(e) ? `${e.code}: ${e.message.split("\n")[0] ?? ""}` : `not ours: ${String(e)}`;
  }
  return "no error";
}

describe("Embedding", () => {
  it("has one [inputDim, outputDim] table, drawn from randomUniform on [-0.05, 0.05] by default", () => {
    const layer = built({ inputDim: 50, outputDim: 6 }, [7]);
    expect(layer.params().map((p) => [p.name, p.value.shape, p.trainable])).toEqual([["emb.embeddings", [50, 6], true]]);
    expect(layer.paramShapes([7])).toEqual([{ name: "embeddings", shape: [50, 6] }]);
    const values = Array.from(layer.embeddings.value.data);
    expect(Math.min(...values)).toBeGreaterThanOrEqual(-0.05);
    expect(Math.max(...values)).toBeLessThan(0.05);
    expect(new Set(values).size).toBe(300);
    expect(layer.computeOutputShape([7])).toEqual([7, 6]);
    expect(layer.computeOutputShape([3, 4])).toEqual([3, 4, 6]);
    expect(layer.regularizationLoss()).toBe(0);
  });

  it.each<DType>(["float32", "float64"])("looks up one row per id, in %s; a per-sample shape of rank r gives rank r + 1", (dtype) => {
    for (const sample of [[5], [2, 3]] as Shape[]) {
      const layer = built({ inputDim: 9, outputDim: 4, embeddingsInitializer: "glorotUniform" }, sample, dtype);
      const ids = randomIds(3, sample, 9, 2, dtype);
      const y = layer.forward(ids);
      expect(y.shape).toEqual([3, ...sample, 4]);
      expect(y.dtype).toBe(dtype);
      const table = layer.embeddings.value;
      for (let i = 0; i < ids.size; i++) {
        const id = ids.data[i] as number;
        expect(Array.from(y.data.subarray(i * 4, i * 4 + 4))).toEqual(Array.from(table.data.subarray(id * 4, id * 4 + 4)));
      }
    }
  });

  it("accepts ids in either float type whatever its own dtype (ids are only indices)", () => {
    const layer = built({ inputDim: 6, outputDim: 2 }, [4], "float32");
    const a = Array.from(layer.forward(Tensor.fromFlat([1, 4], [5, 0, 3, 3], "float64")).data);
    const b = Array.from(layer.forward(Tensor.fromFlat([1, 4], [5, 0, 3, 3], "float32")).data);
    expect(a).toEqual(b);
  });

  it("rejects bad ids with INVALID_ARGUMENT naming the sample, the step and the value", () => {
    const layer = built({ inputDim: 50, outputDim: 3 }, [16]);
    const ids = randomIds(5, [16], 50, 3);
    const at = (value: number, sample: number, step: number): string => {
      const bad = ids.clone();
      bad.data[sample * 16 + step] = value;
      return messageOf(() => layer.forward(bad));
    };
    expect(at(57, 3, 12)).toBe("INVALID_ARGUMENT: embedding: id 57 at sample 3, step 12 is out of range (vocabulary of 50 ids: 0…49)");
    expect(at(50, 0, 0)).toContain("id 50 at sample 0, step 0 is out of range");
    expect(at(-1, 4, 15)).toContain("id -1 at sample 4, step 15 is out of range");
    expect(at(2.5, 1, 2)).toBe("INVALID_ARGUMENT: embedding: id 2.5 at sample 1, step 2 is not an integer (vocabulary of 50 ids: 0…49)");
    expect(at(Number.NaN, 2, 7)).toContain("id NaN at sample 2, step 7 is not an integer");
    expect(at(Number.POSITIVE_INFINITY, 0, 1)).toContain("id Infinity at sample 0, step 1");
    const grid = built({ inputDim: 4, outputDim: 2 }, [2, 3]);
    const gridIds = randomIds(2, [2, 3], 4, 1);
    gridIds.data[6 + 5] = 9;
    expect(messageOf(() => grid.forward(gridIds))).toContain("id 9 at sample 1, position [1, 2] is out of range");
  });

  it("backward is sparse: each gradient row lands on its id's row only, the other rows stay exactly 0", () => {
    const layer = built({ inputDim: 1000, outputDim: 3 }, [4]);
    const ids = Tensor.fromFlat([2, 4], [7, 42, 7, 999, 0, 42, 42, 7]);
    layer.forward(ids);
    const dy = new Rng(4).fillNormal(new Tensor([2, 4, 3]));
    const dx = layer.backward(dy);
    expect(Array.from(dx.data)).toEqual(new Array(8).fill(0));
    const grad = layer.embeddings.grad;
    const expected = new Float64Array(3000);
    for (let i = 0; i < 8; i++) {
      for (let k = 0; k < 3; k++) expected[(ids.data[i] as number) * 3 + k]! += dy.data[i * 3 + k] as number;
    }
    expect(Array.from(grad.data)).toEqual(Array.from(expected));
    const touched = new Set([0, 7, 42, 999]);
    for (let row = 0; row < 1000; row++) {
      if (touched.has(row)) continue;
      expect(Array.from(grad.data.subarray(row * 3, row * 3 + 3)), `row ${row}`).toEqual([0, 0, 0]);
    }
    // A second backward accumulates (the model zeroes gradients before each step).
    layer.backward(dy);
    expect(grad.data[7 * 3]).toBeCloseTo(2 * (expected[7 * 3] as number), 12);
  });

  it("skips the input gradient when asked, and touches no gradient when frozen", () => {
    const layer = built({ inputDim: 5, outputDim: 2 }, [3]);
    layer.forward(Tensor.fromFlat([1, 3], [1, 2, 3]));
    layer.backward(Tensor.full([1, 3, 2], 1), { inputGradient: false });
    expect(layer.inspect().inputGradient).toBeUndefined();
    expect(layer.embeddings.grad.data[2]).toBe(1);
    layer.embeddings.grad.fill(0);
    layer.embeddings.trainable = false;
    layer.backward(Tensor.full([1, 3, 2], 1));
    expect(Array.from(layer.embeddings.grad.data).every((g) => g === 0)).toBe(true);
  });

  it("matches central differences for the table in float64, with and without a regularizer", () => {
    for (const config of [
      { inputDim: 7, outputDim: 3 },
      { inputDim: 7, outputDim: 3, embeddingsRegularizer: { l1: 0.01, l2: 0.1 } },
    ] as EmbeddingConfig[]) {
      for (const sample of [[5], [2, 3]] as Shape[]) {
        const layer = built({ ...config, embeddingsInitializer: { name: "randomNormal", config: { stddev: 0.5 } } }, sample, "float64", 3);
        // Valid ids (the generic gradientCheck feeds normal noise), with repeats so rows accumulate.
        const ids = randomIds(4, sample, 6, 5);
        const r = new Rng(6).fillNormal(new Tensor([4, ...sample, 3]));
        const lossOf = (): number => {
          const y = layer.forward(ids);
          let s = layer.regularizationLoss();
          for (let i = 0; i < y.size; i++) s += (y.data[i] as number) * (r.data[i] as number);
          return s;
        };
        lossOf();
        layer.embeddings.grad.fill(0);
        layer.backward(r);
        const analytic = Float64Array.from(layer.embeddings.grad.data);
        const check = finiteDifferenceCheck(layer.embeddings.value.data, analytic, lossOf);
        expect(check.maxRelativeError, JSON.stringify({ config, sample, check })).toBeLessThan(1e-6);
        // Row 6 is never looked up: without a regularizer its gradient is exactly 0.
        if (!config.embeddingsRegularizer) expect(Array.from(analytic.subarray(18, 21))).toEqual([0, 0, 0]);
      }
    }
  });

  it("with maskZero, marks id 0 as padding and still looks it up (Keras)", () => {
    const layer = built({ inputDim: 5, outputDim: 2, maskZero: true }, [4]);
    const ids = Tensor.fromFlat([2, 4], [3, 1, 0, 0, 0, 2, 4, 0]);
    const y = layer.forward(ids);
    expect(Array.from(y.data.subarray(4, 6))).toEqual(Array.from(layer.embeddings.value.data.subarray(0, 2)));
    const mask = layer.computeMask(ids, undefined);
    expect(mask).toEqual({ data: Uint8Array.of(1, 1, 0, 0, 0, 1, 1, 0), batch: 2, steps: 4 });
    // The same object per batch size (no allocation per batch), refilled from the new ids.
    expect(layer.computeMask(Tensor.fromFlat([2, 4], [1, 1, 1, 1, 0, 0, 0, 0]), undefined)).toBe(mask);
    expect(Array.from(mask?.data ?? [])).toEqual([1, 1, 1, 1, 0, 0, 0, 0]);
    // Without maskZero there is no mask, even when one arrives.
    const plain = built({ inputDim: 5, outputDim: 2 }, [4]);
    expect(plain.computeMask(ids, mask)).toBeUndefined();
    expect(errorCode(() => new Embedding({ inputDim: 5, outputDim: 2, maskZero: true }).computeOutputShape([2, 2]))).toBe("SHAPE_MISMATCH");
  });

  it("rejects bad configs with INVALID_CONFIG and bad shapes with SHAPE_MISMATCH", () => {
    for (const bad of [
      {},
      { inputDim: 0, outputDim: 2 },
      { inputDim: 2.5, outputDim: 2 },
      { inputDim: 5, outputDim: -1 },
      { inputDim: 5 },
      { inputDim: 5, outputDim: 2, maskZero: "yes" },
      { inputDim: 5, outputDim: 2, inputLength: 0 },
      { inputDim: 5, outputDim: 2, inputShape: [] },
      { inputDim: 5, outputDim: 2, inputLength: 4, inputShape: [5] },
      { inputDim: 5, outputDim: 2, embeddingsInitializer: "noSuchInit" },
      { inputDim: 5, outputDim: 2, embeddingsRegularizer: { l2: -1 } },
      { inputDim: 5, outputDim: 2, outputdim: 2 },
      5,
    ]) {
      const code = errorCode(() => new Embedding(bad as unknown as EmbeddingConfig));
      expect(code === "INVALID_CONFIG" || code === "UNKNOWN_COMPONENT", `${JSON.stringify(bad)} → ${String(code)}`).toBe(true);
    }
    expect(errorCode(() => new Embedding({ inputDim: 5, outputDim: 2 }).embeddings)).toBe("NOT_BUILT");
    expect(errorCode(() => new Embedding({ inputDim: 5, outputDim: 2 }).forward(Tensor.zeros([1, 3])))).toBe("NOT_BUILT");
    const fixed = new Embedding({ inputDim: 5, outputDim: 2, inputLength: 4 });
    expect(fixed.inputShape).toEqual([4]);
    expect(errorCode(() => fixed.computeOutputShape([5]))).toBe("SHAPE_MISMATCH");
    expect(errorCode(() => fixed.computeOutputShape([4, 1]))).toBe("SHAPE_MISMATCH");
    const layer = built({ inputDim: 5, outputDim: 2 }, [3]);
    expect(errorCode(() => layer.backward(Tensor.zeros([1, 3, 2])))).toBe("INVALID_STATE");
    expect(messageOf(() => layer.forward(Tensor.zeros([2, 4, 1])))).toBe("SHAPE_MISMATCH: embedding: input is [2, 4, 1] (expected n×3 ids)");
    // Sequences of ids may have another length than the built one (generation feeds one id at a time).
    const longer = layer.forward(Tensor.fromArray([[1, 2, 3, 4]]));
    expect(longer.shape).toEqual([1, 4, 2]);
    expect(Array.from(longer.data.subarray(0, 6))).toEqual(Array.from(layer.forward(Tensor.fromArray([[1, 2, 3]])).data));
    layer.forward(Tensor.fromArray([[4]]), { training: true });
    expect(layer.backward(Tensor.fromArray([[[1, 1]]])).shape).toEqual([1, 1]);
    layer.forward(Tensor.zeros([2, 3]));
    expect(errorCode(() => layer.backward(Tensor.zeros([2, 3, 3])))).toBe("SHAPE_MISMATCH");
  });

  it("getConfig rebuilds the layer: the same seed gives the same table and outputs", () => {
    for (const config of [
      { inputDim: 12, outputDim: 3 },
      { inputDim: 12, outputDim: 3, maskZero: true, inputLength: 6, name: "tokens", embeddingsRegularizer: { l2: 0.01 } },
      { inputDim: 12, outputDim: 3, embeddingsInitializer: { name: "randomNormal", config: { stddev: 2 } }, inputShape: [2, 3] },
    ] as EmbeddingConfig[]) {
      const first = new Embedding(config);
      const copy = new Embedding(first.getConfig() as unknown as EmbeddingConfig);
      expect(copy.getConfig()).toEqual(first.getConfig());
      const shape = first.inputShape ?? [6];
      for (const layer of [first, copy]) layer.build(shape, { dtype: "float32", rng: new Rng(9), prefix: "e" });
      const ids = randomIds(3, shape, 12, 8, "float32");
      expect(Array.from(copy.forward(ids).data)).toEqual(Array.from(first.forward(ids).data));
      expect(copy.regularizationLoss()).toBe(first.regularizationLoss());
    }
    expect(new Embedding({ inputDim: 4, outputDim: 2 }).getConfig()).toEqual({
      name: "embedding",
      inputDim: 4,
      outputDim: 2,
      embeddingsInitializer: { name: "randomUniform", config: { minval: -0.05, maxval: 0.05 } },
      embeddingsRegularizer: null,
      maskZero: false,
      inputLength: null,
    });
  });

  it("inspect() shows the ids, the vectors and their gradients", () => {
    const layer = built({ inputDim: 4, outputDim: 2 }, [2]);
    const ids = Tensor.fromFlat([1, 2], [3, 1]);
    const y = layer.forward(ids);
    expect(layer.inspect()).toEqual({ input: ids, output: y });
    const dy = Tensor.full([1, 2, 2], 0.5);
    const dx = layer.backward(dy);
    expect(layer.inspect()).toEqual({ input: ids, output: y, outputGradient: dy, inputGradient: dx });
  });

  it("learns in a Sequential (Embedding → Flatten → Dense): the class of the first token", () => {
    const n = 90;
    const steps = 5;
    const ids = randomIds(n, [steps], 12, 11, "float32");
    const y = new Matrix(n, 3, "float32");
    for (let i = 0; i < n; i++) y.data[i * 3 + ((ids.data[i * steps] as number) % 3)] = 1;
    const train = (): number[] => {
      const model = new Sequential(
        [new Embedding({ inputDim: 12, outputDim: 4, inputLength: steps }), new Flatten(), new Dense({ units: 3, activation: "softmax" })],
        { seed: 2 },
      );
      model.compile({ loss: "categoricalCrossentropy", optimizer: adam({ lr: 0.05 }) });
      const loss = model.fit(ids, y, { epochs: 40, batchSize: 16 }).history["loss"] ?? [];
      expect(model.params().map((p) => p.name)).toEqual(["layers.0.embeddings", "layers.2.kernel", "layers.2.bias"]);
      return loss;
    };
    const loss = train();
    expect(loss[0]).toBeGreaterThan(0.9);
    expect(loss[loss.length - 1]).toBeLessThan(0.2);
    // Determinism: the same seed gives the same bits.
    expect(train()).toEqual(loss);
  });
});
