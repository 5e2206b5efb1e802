import { Rng, Tensor } from "@backprop/linalg";
import { errorCode } from "@backprop/testing";
import { describe, expect, it } from "vitest";
import { gradientCheck } from "../gradient-check.js";
import { AveragePooling2D, type AveragePooling2DConfig } from "./average-pooling2d.js";

const ctx = (dtype: "float32" | "float64" = "float64") => ({ dtype, rng: new Rng(1), prefix: "pool" });

// 1..9 in a 3×3 image with one channel.
const x3 = Tensor.fromArray([[[[1], [2], [3]], [[4], [5], [6]], [[7], [8], [9]]]]);

describe("AveragePooling2D", () => {
  it("valid padding averages full windows: 2×2 windows with stride 1 on a 3×3 image", () => {
    const pool = new AveragePooling2D({ poolSize: 2, strides: 1 });
    pool.build([3, 3, 1], ctx());
    expect(Array.from(pool.forward(x3).data)).toEqual([3, 4, 6, 7]);
    // Each cell gets ¼ of the gradient of every window that covers it.
    expect(Array.from(pool.backward(Tensor.full([1, 2, 2, 1], 1)).data)).toEqual([0.25, 0.5, 0.25, 0.5, 1, 0.5, 0.25, 0.5, 0.25]);
  });

  it("same padding divides by the cells inside the input, not the window size (as TensorFlow)", () => {
    const pool = new AveragePooling2D({ poolSize: 2, padding: "same" });
    pool.build([3, 3, 1], ctx());
    // Windows {1,2,4,5}, {3,6}, {7,8}, {9}.
    expect(Array.from(pool.forward(x3).data)).toEqual([3, 4.5, 7.5, 9]);
    // So the derivative of a clipped window's average is 1/(cells inside), not 1/4.
    expect(Array.from(pool.backward(Tensor.full([1, 2, 2, 1], 1)).data)).toEqual([0.25, 0.25, 0.5, 0.25, 0.25, 0.5, 0.5, 0.5, 1]);
  });

  it("same padding with an odd number of padded cells puts the extra one after the input", () => {
    // 1×5 input, 1×4 windows, stride 1: 3 padded columns, 1 before and 2 after.
    const pool = new AveragePooling2D({ poolSize: [1, 4], strides: 1, padding: "same" });
    pool.build([1, 5, 1], ctx());
    const y = pool.forward(Tensor.fromArray([[[[1], [2], [3], [4], [5]]]]));
    expect(Array.from(y.data)).toEqual([(1 + 2 + 3) / 3, (1 + 2 + 3 + 4) / 4, (2 + 3 + 4 + 5) / 4, (3 + 4 + 5) / 3, (4 + 5) / 2]);
  });

  it("computes output shapes for odd sizes and strides other than the pool size", () => {
    const shape = (config: AveragePooling2DConfig, input: number[]) => new AveragePooling2D(config).computeOutputShape(input);
    expect(shape({}, [5, 7, 3])).toEqual([2, 3, 3]);
    expect(shape({ padding: "same" }, [5, 7, 3])).toEqual([3, 4, 3]);
    expect(shape({ poolSize: 3, strides: 2 }, [7, 6, 2])).toEqual([3, 2, 2]);
    expect(shape({ poolSize: [3, 3], strides: 2, padding: "same" }, [7, 7, 8])).toEqual([4, 4, 8]);
    expect(new AveragePooling2D().paramShapes([4, 4, 1])).toEqual([]);
  });

  const checks: { config: AveragePooling2DConfig; inputShape: number[] }[] = [
    { config: {}, inputShape: [4, 4, 2] },
    { config: {}, inputShape: [5, 7, 3] },
    { config: { padding: "same" }, inputShape: [5, 7, 3] },
    { config: { poolSize: 3, strides: 2 }, inputShape: [7, 6, 2] },
    { config: { poolSize: 3, strides: 2, padding: "same" }, inputShape: [7, 6, 2] },
    { config: { poolSize: [2, 3], strides: 1, padding: "same" }, inputShape: [5, 5, 2] },
    { config: { poolSize: [1, 4], strides: 1, padding: "same" }, inputShape: [3, 5, 1] },
    { config: { poolSize: 1, strides: [3, 2], padding: "same" }, inputShape: [6, 5, 1] },
  ];
  for (const { config, inputShape } of checks) {
    it(`passes the float64 gradient check: ${JSON.stringify(config)} on [${inputShape.join(", ")}]`, () => {
      const report = gradientCheck(new AveragePooling2D(config), { inputShape, batch: 2, seed: 5 });
      expect(report.entries.map((e) => e.name)).toEqual(["input"]);
      expect(report.ok, JSON.stringify(report.entries)).toBe(true);
    });
  }

  it("float32 is the float64 result rounded (sums in float64, one rounding), buffers reused per batch size", () => {
    const x64 = new Rng(2).fillNormal(new Tensor([3, 5, 5, 2], "float64"));
    const x32 = x64.clone("float32");
    const p64 = new AveragePooling2D({ poolSize: 3, strides: 2, padding: "same" });
    const p32 = new AveragePooling2D({ poolSize: 3, strides: 2, padding: "same" });
    p64.build([5, 5, 2], ctx("float64"));
    p32.build([5, 5, 2], ctx("float32"));
    const y32 = p32.forward(x32);
    expect(y32.dtype).toBe("float32");
    // The float64 layer sees the same (float32-representable) inputs.
    expect(Array.from(y32.data)).toEqual(Array.from(Float32Array.from(p64.forward(x32.clone("float64")).data)));
    const dy = new Rng(4).fillNormal(new Tensor([3, 3, 3, 2], "float32"));
    const dx = p32.backward(dy);
    expect(dx.dtype).toBe("float32");
    const dx64 = p64.backward(dy.clone("float64"));
    expect(Math.max(...Array.from(dx.data, (v, i) => Math.abs(v - (dx64.data[i] as number))))).toBeLessThan(1e-6);
    expect(p32.forward(x32)).toBe(y32);
    expect(p32.backward(dy)).toBe(dx);
  });

  it("getConfig round-trips through the constructor; inspect shows the last passes", () => {
    const configs: AveragePooling2DConfig[] = [{}, { poolSize: [3, 2], strides: 1, padding: "same", inputShape: [8, 8, 3], name: "avg" }];
    for (const config of configs) {
      const first = new AveragePooling2D(config).getConfig();
      expect(new AveragePooling2D(first as AveragePooling2DConfig).getConfig()).toEqual(first);
    }
    expect(new AveragePooling2D({ strides: 1 }).getConfig()).toEqual({ name: "averagePooling2d", poolSize: [2, 2], strides: [1, 1], padding: "valid" });
    const pool = new AveragePooling2D();
    pool.build([3, 3, 1], ctx());
    const y = pool.forward(x3);
    const dy = Tensor.full([1, 1, 1, 1], 1);
    const dx = pool.backward(dy);
    expect(pool.inspect()).toEqual({ input: x3, output: y, outputGradient: dy, inputGradient: dx });
  });

  it("rejects bad configs with INVALID_CONFIG and bad shapes with SHAPE_MISMATCH", () => {
    const bad = [{ poolSize: 0 }, { poolSize: [2, 0] }, { strides: 1.5 }, { padding: "causal" }, { dataFormat: "channelsFirst" }, { inputShape: [4] }];
    for (const config of bad) expect(errorCode(() => new AveragePooling2D(config as unknown as AveragePooling2DConfig)), JSON.stringify(config)).toBe("INVALID_CONFIG");
    expect(() => new AveragePooling2D({ poolSize: [2, 0] })).toThrow(
      "AveragePooling2D: invalid poolSize (got [2,0], expected a positive integer or [height, width] of positive integers)",
    );
    expect(errorCode(() => new AveragePooling2D({ poolSize: 4, inputShape: [3, 3, 1] }))).toBe("SHAPE_MISMATCH");
    expect(new AveragePooling2D({ poolSize: 4, padding: "same", inputShape: [3, 3, 1] }).computeOutputShape([3, 3, 1])).toEqual([1, 1, 1]);
    const pool = new AveragePooling2D();
    pool.build([3, 3, 1], ctx());
    expect(errorCode(() => pool.forward(Tensor.zeros([1, 3, 3])))).toBe("SHAPE_MISMATCH");
  });
});
