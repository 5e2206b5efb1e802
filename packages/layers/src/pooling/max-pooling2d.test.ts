import { Rng, Tensor } from "@backprop/linalg";
import { adam } from "@backprop/optimizers";
import { errorCode } from "@backprop/testing";
import { describe, expect, it } from "vitest";
import { Dense } from "../dense.js";
import { Flatten } from "../flatten.js";
import { gradientCheck } from "../gradient-check.js";
import { Sequential } from "../model/sequential.js";
import { MaxPooling2D, type MaxPooling2DConfig } from "./max-pooling2d.js";

const ctx = (dtype: "float32" | "float64" = "float64") => ({ dtype, rng: new Rng(1), prefix: "pool" });

// A 4×4 image with one channel, rows 0..3.
const image = [
  [1, 3, 2, 0],
  [4, -1, 5, 6],
  [0, 2, 9, 8],
  [7, 1, 3, 4],
];
const x4 = Tensor.fromArray([image.map((row) => row.map((v) => [v]))]);

describe("MaxPooling2D", () => {
  it("takes the maximum of each window, channel by channel (defaults: 2×2, stride 2, valid)", () => {
    const pool = new MaxPooling2D();
    pool.build([4, 4, 1], ctx());
    expect(pool.computeOutputShape([4, 4, 1])).toEqual([2, 2, 1]);
    const y = pool.forward(x4);
    expect(y.shape).toEqual([1, 2, 2, 1]);
    expect(Array.from(y.data)).toEqual([4, 6, 7, 9]);
    // Two channels are pooled independently: the second is 10 − the image, whose maxima are elsewhere.
    const two = Tensor.fromArray([image.map((row) => row.map((v) => [v, 10 - v]))]);
    const pool2 = new MaxPooling2D();
    pool2.build([4, 4, 2], ctx());
    expect(Array.from(pool2.forward(two).data)).toEqual([4, 11, 6, 10, 7, 10, 9, 7]);
  });

  it("backward sends each output's gradient to the input that won its window", () => {
    const pool = new MaxPooling2D({ poolSize: 2 });
    pool.build([4, 4, 1], ctx());
    pool.forward(x4);
    const dx = pool.backward(Tensor.fromArray([[[[10], [20]], [[30], [40]]]]));
    expect(dx.shape).toEqual([1, 4, 4, 1]);
    expect((dx.toArray() as number[][][][])[0]!.map((row) => row.map((c) => c[0]))).toEqual([
      [0, 0, 0, 0],
      [10, 0, 0, 20],
      [0, 0, 40, 0],
      [30, 0, 0, 0],
    ]);
  });

  it("an inference forward (training: false) gives the same maxima, keeps no winners, and refuses a backward pass", () => {
    const pool = new MaxPooling2D({ poolSize: 3, strides: 2, padding: "same" });
    pool.build([9, 7, 5], ctx("float32"));
    const x = new Rng(8).fillNormal(new Tensor([3, 9, 7, 5], "float32"));
    const trained = pool.forward(x, { training: true }).clone();
    const dy = new Rng(9).fillNormal(new Tensor(trained.shape, "float32"));
    expect(pool.backward(dy).shape).toEqual([3, 9, 7, 5]);
    const inferred = pool.forward(x, { training: false });
    expect(Array.from(inferred.data)).toEqual(Array.from(trained.data));
    expect(errorCode(() => pool.backward(dy))).toBe("INVALID_STATE");
    expect(() => pool.backward(dy)).toThrow(/maxPooling2d.backward: the last forward was an inference pass/);
    // A training forward afterwards makes backward work again.
    pool.forward(x, { training: true });
    expect(pool.backward(dy).shape).toEqual([3, 9, 7, 5]);
  });

  it("on ties the first maximum in scan order (row by row) gets the gradient, as TensorFlow", () => {
    const pool = new MaxPooling2D({ poolSize: 2 });
    pool.build([2, 2, 1], ctx());
    pool.forward(Tensor.fromArray([[[[1], [3]], [[3], [3]]]]));
    expect(Array.from(pool.backward(Tensor.fromArray([[[[1]]]])).data)).toEqual([0, 1, 0, 0]);
  });

  it("same padding: ⌈in/stride⌉ outputs and padded cells never win, even over negative values", () => {
    const pool = new MaxPooling2D({ poolSize: 2, padding: "same" });
    pool.build([3, 3, 1], ctx());
    const x = Tensor.fromArray([[[[-1], [-2], [-3]], [[-4], [-5], [-6]], [[-7], [-8], [-9]]]]);
    const y = pool.forward(x);
    expect(y.shape).toEqual([1, 2, 2, 1]);
    expect(Array.from(y.data)).toEqual([-1, -3, -7, -9]);
  });

  it("computes output shapes for odd sizes, strides other than the pool size and rectangular windows", () => {
    const shape = (config: MaxPooling2DConfig, input: number[]) => new MaxPooling2D(config).computeOutputShape(input);
    expect(shape({}, [5, 7, 3])).toEqual([2, 3, 3]);
    expect(shape({ padding: "same" }, [5, 7, 3])).toEqual([3, 4, 3]);
    expect(shape({ poolSize: 3, strides: 2 }, [7, 6, 2])).toEqual([3, 2, 2]);
    expect(shape({ poolSize: 3, strides: 1, padding: "same" }, [7, 6, 2])).toEqual([7, 6, 2]);
    expect(shape({ poolSize: [3, 1], strides: [1, 2] }, [5, 5, 1])).toEqual([3, 3, 1]);
    expect(new MaxPooling2D().paramShapes([4, 4, 1])).toEqual([]);
  });

  const checks: { config: MaxPooling2DConfig; inputShape: number[] }[] = [
    { config: {}, inputShape: [4, 4, 2] },
    { config: {}, inputShape: [5, 7, 3] },
    { config: { padding: "same" }, inputShape: [5, 7, 3] },
    { config: { poolSize: 3, strides: 2 }, inputShape: [7, 6, 2] },
    { config: { poolSize: 3, strides: 2, padding: "same" }, inputShape: [7, 6, 2] },
    { config: { poolSize: [2, 3], strides: 1, padding: "same" }, inputShape: [5, 5, 2] },
    { config: { poolSize: 3, strides: 1 }, inputShape: [5, 5, 1] },
  ];
  for (const { config, inputShape } of checks) {
    it(`passes the float64 gradient check: ${JSON.stringify(config)} on [${inputShape.join(", ")}]`, () => {
      // Normal random inputs have no ties (nor near-ties within the finite-difference step here).
      const report = gradientCheck(new MaxPooling2D(config), { inputShape, batch: 2, seed: 5 });
      expect(report.entries.map((e) => e.name)).toEqual(["input"]);
      expect(report.ok, JSON.stringify(report.entries)).toBe(true);
    });
  }

  it("float32 and float64 give the same maxima, and buffers are reused per batch size", () => {
    const x64 = new Rng(2).fillNormal(new Tensor([3, 5, 5, 2], "float64"));
    const x32 = x64.clone("float32");
    const p64 = new MaxPooling2D({ padding: "same" });
    const p32 = new MaxPooling2D({ padding: "same" });
    p64.build([5, 5, 2], ctx("float64"));
    p32.build([5, 5, 2], ctx("float32"));
    const y32 = p32.forward(x32);
    expect(y32.dtype).toBe("float32");
    expect(Array.from(y32.data)).toEqual(Array.from(Float32Array.from(p64.forward(x64).data)));
    const dy = new Rng(4).fillNormal(new Tensor([3, 3, 3, 2], "float32"));
    const dx = p32.backward(dy);
    expect(dx.dtype).toBe("float32");
    expect(p32.forward(x32)).toBe(y32);
    expect(p32.backward(dy)).toBe(dx);
    expect(p32.forward(x32.batchSlice(0, 2))).not.toBe(y32);
  });

  it("skips the input gradient when asked, and inspect shows the last passes", () => {
    const pool = new MaxPooling2D();
    pool.build([4, 4, 1], ctx());
    const y = pool.forward(x4);
    const dy = Tensor.full([1, 2, 2, 1], 1);
    pool.backward(dy, { inputGradient: false });
    expect(pool.inspect()).toEqual({ input: x4, output: y, outputGradient: dy });
    const dx = pool.backward(dy);
    expect(pool.inspect().inputGradient).toBe(dx);
  });

  it("getConfig round-trips through the constructor", () => {
    const configs: MaxPooling2DConfig[] = [{}, { poolSize: 3, strides: [1, 2], padding: "same", inputShape: [8, 8, 3], name: "pool" }];
    for (const config of configs) {
      const first = new MaxPooling2D(config).getConfig();
      expect(new MaxPooling2D(first as MaxPooling2DConfig).getConfig()).toEqual(first);
    }
    expect(new MaxPooling2D({ poolSize: 3 }).getConfig()).toEqual({ name: "maxPooling2d", poolSize: [3, 3], strides: [3, 3], padding: "valid" });
    expect(JSON.parse(JSON.stringify(new MaxPooling2D({ inputShape: [4, 4, 1] }).getConfig()))).toEqual({
      name: "maxPooling2d",
      poolSize: [2, 2],
      strides: [2, 2],
      padding: "valid",
      inputShape: [4, 4, 1],
    });
  });

  it("rejects bad configs with INVALID_CONFIG and bad shapes with SHAPE_MISMATCH", () => {
    const bad = [
      { poolSize: 0 },
      { poolSize: 2.5 },
      { poolSize: [2] },
      { poolSize: [2, 2, 2] },
      { poolSize: "2" },
      { strides: [0, 1] },
      { strides: -1 },
      { padding: "full" },
      { padding: "SAME" },
      { poolsize: 2 },
      { inputShape: [4, 4] },
      { inputShape: [4, 0, 1] },
      { name: 3 },
    ];
    for (const config of bad) expect(errorCode(() => new MaxPooling2D(config as unknown as MaxPooling2DConfig)), JSON.stringify(config)).toBe("INVALID_CONFIG");
    expect(errorCode(() => new MaxPooling2D(null as unknown as MaxPooling2DConfig))).toBe("INVALID_CONFIG");
    expect(() => new MaxPooling2D({ padding: "full" as "same" })).toThrow('MaxPooling2D: invalid padding (got "full", expected one of: "valid", "same")');
    // A configured input too small for a valid window.
    expect(errorCode(() => new MaxPooling2D({ poolSize: 3, inputShape: [2, 5, 1] }))).toBe("SHAPE_MISMATCH");
    const pool = new MaxPooling2D();
    expect(errorCode(() => pool.computeOutputShape([4, 4]))).toBe("SHAPE_MISMATCH");
    expect(errorCode(() => pool.computeOutputShape([1, 4, 1]))).toBe("SHAPE_MISMATCH");
    expect(errorCode(() => pool.forward(x4))).toBe("NOT_BUILT");
    pool.build([4, 4, 1], ctx());
    expect(errorCode(() => pool.backward(Tensor.zeros([1, 2, 2, 1])))).toBe("INVALID_STATE");
    expect(errorCode(() => pool.forward(Tensor.zeros([1, 4, 4, 2])))).toBe("SHAPE_MISMATCH");
    expect(errorCode(() => pool.forward(Tensor.zeros([1, 16])))).toBe("SHAPE_MISMATCH");
    expect(() => pool.forward(Tensor.zeros([2, 4, 5, 1]))).toThrow("maxPooling2d: input is [2, 4, 5, 1] (expected [n, 4, 4, 1])");
    pool.forward(x4);
    expect(errorCode(() => pool.backward(Tensor.zeros([1, 2, 1, 1])))).toBe("SHAPE_MISMATCH");
  });

  it("chains in a Sequential with Flatten and Dense, and trains (the loss decreases; a seed gives identical bits)", () => {
    // Which quadrant of a 6×6 image holds the bright spot: max pooling keeps the spot wherever it is.
    const rng = new Rng(8);
    const n = 64;
    const x = rng.fillNormal(new Tensor([n, 6, 6, 1], "float32"), 0, 0.1);
    const y = new Tensor([n, 4], "float32");
    for (let i = 0; i < n; i++) {
      const q = i % 4;
      const r = (q < 2 ? 0 : 3) + rng.int(3);
      const c = (q % 2 === 0 ? 0 : 3) + rng.int(3);
      x.data[i * 36 + r * 6 + c] = 2;
      y.data[i * 4 + q] = 1;
    }
    const train = () => {
      const model = new Sequential(
        [new MaxPooling2D({ poolSize: 3, inputShape: [6, 6, 1] }), new Flatten(), new Dense({ units: 4, activation: "softmax" })],
        { seed: 3 },
      );
      model.compile({ loss: "categoricalCrossentropy", optimizer: adam({ lr: 0.05 }), metrics: ["accuracy"] });
      return { model, history: model.fit(x, y, { epochs: 30, batchSize: 16 }) };
    };
    const { model, history } = train();
    expect(model.layers.map((l) => l.name)).toEqual(["maxPooling2d_0", "flatten_1", "dense_2"]);
    expect(model.outputShape).toEqual([4]);
    const loss = history.history["loss"] as number[];
    expect(loss.at(-1)!).toBeLessThan(loss[0]! * 0.5);
    expect(history.history["accuracy"]!.at(-1)).toBe(1);
    expect(train().history.history["loss"]).toEqual(loss);
  });
});
