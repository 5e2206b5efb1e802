import { Rng, Tensor, finiteDifferenceCheck, type DType, type Shape } from "@backprop/linalg";
import { adam } from "@backprop/optimizers";
import { errorCode } from "@backprop/testing";
import { describe, expect, it } from "vitest";
import { Dense } from "./dense.js";
import { gradientCheck } from "./gradient-check.js";
import type { Layer, TimeMask } from "./layer.js";
import { Masking, type MaskingConfig } from "./masking.js";
import { Sequential } from "./model/sequential.js";

function built(config: MaskingConfig, shape: Shape, dtype: DType = "float64"): Masking {
  const layer = new Masking(config);
  layer.build(shape, { dtype, rng: new Rng(1), prefix: "mask" });
  return layer;
}

/** `[batch, steps, features]` noise in which the listed (sample, step) pairs hold `value` in every feature. */
function padded(batch: number, steps: number, features: number, padding: readonly [number, number][], value: number, dtype: DType = "float64", seed = 2): Tensor {
  const x = new Rng(seed).fillNormal(new Tensor([batch, steps, features], dtype));
  for (const [b, t] of padding) x.data.fill(value, (b * steps + t) * features, (b * steps + t + 1) * features);
  return x;
}

const PADDING: [number, number][] = [
  [0, 3],
  [1, 0],
  [1, 1],
  [2, 3],
];

/** Records the time mask each forward of `layer` is handed: what a layer after a masking one sees. */
function recordMasks(layer: Layer): (number[] | undefined)[] {
  const seen: (number[] | undefined)[] = [];
  const forward = layer.forward.bind(layer);
  layer.forward = (x, ctx) => {
    seen.push(ctx?.mask ? [...ctx.mask.data] : undefined);
    return forward(x, ctx);
  };
  return seen;
}

describe("Masking", () => {
  it.each<DType>(["float32", "float64"])("zeroes the steps whose every feature is maskValue and keeps the rest, in %s", (dtype) => {
    for (const maskValue of [0, -1, 0.1]) {
      const layer = built({ maskValue }, [4, 3], dtype);
      const x = padded(3, 4, 3, PADDING, maskValue, dtype);
      // A step with only some features at maskValue is real.
      x.data[(2 * 4 + 1) * 3] = maskValue;
      const y = layer.forward(x);
      expect(y.shape).toEqual([3, 4, 3]);
      expect(y.dtype).toBe(dtype);
      for (let b = 0; b < 3; b++) {
        for (let t = 0; t < 4; t++) {
          const at = (b * 4 + t) * 3;
          const step = Array.from(y.data.subarray(at, at + 3));
          const isPadding = PADDING.some(([pb, pt]) => pb === b && pt === t);
          expect(step, `maskValue ${maskValue}, sample ${b}, step ${t}`).toEqual(isPadding ? [0, 0, 0] : Array.from(x.data.subarray(at, at + 3)));
        }
      }
      expect(layer.computeMask(x, undefined)).toEqual({ data: Uint8Array.of(1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 1, 0), batch: 3, steps: 4 });
    }
  });

  it("treats every element of a step as its features for inputs of more than three axes", () => {
    const layer = built({}, [3, 2, 2]);
    const x = Tensor.fromFlat([1, 3, 2, 2], [0, 0, 0, 0, 0, 0, 0, 5, 1, 2, 3, 4]);
    expect(Array.from(layer.forward(x).data)).toEqual([0, 0, 0, 0, 0, 0, 0, 5, 1, 2, 3, 4]);
    expect(Array.from(layer.computeMask(x, undefined).data)).toEqual([0, 1, 1]);
  });

  it("replaces a mask arriving from an earlier layer with its own (tfjs-layers' Masking)", () => {
    const layer = built({}, [4, 3]);
    const x = padded(3, 4, 3, PADDING, 0);
    const incoming: TimeMask = { data: new Uint8Array(12), batch: 3, steps: 4 };
    const mask = layer.computeMask(x, incoming);
    expect(mask).not.toBe(incoming);
    expect(Array.from(mask.data)).toEqual([1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 1, 0]);
    // One mask object per batch size, refilled.
    expect(layer.computeMask(padded(3, 4, 3, [], 0), undefined)).toBe(mask);
    expect(Array.from(mask.data).every((m) => m === 1)).toBe(true);
  });

  it("backward passes the gradient on real steps and 0 on padding steps", () => {
    const layer = built({ maskValue: -1 }, [4, 3]);
    const x = padded(3, 4, 3, PADDING, -1);
    layer.forward(x);
    const dy = new Rng(5).fillNormal(new Tensor([3, 4, 3]));
    const dx = layer.backward(dy);
    for (let s = 0; s < 12; s++) {
      const isPadding = PADDING.some(([b, t]) => b * 4 + t === s);
      expect(Array.from(dx.data.subarray(s * 3, s * 3 + 3))).toEqual(isPadding ? [0, 0, 0] : Array.from(dy.data.subarray(s * 3, s * 3 + 3)));
    }
    expect(layer.inspect()).toEqual({ input: x, output: layer.inspect().output, outputGradient: dy, inputGradient: dx });
    layer.backward(dy, { inputGradient: false });
    expect(layer.inspect().inputGradient).toBeUndefined();
  });

  it("matches central differences in float64: the gradient check, and real steps of padded input", () => {
    const report = gradientCheck(new Masking(), { inputShape: [4, 3] });
    expect(report.ok, JSON.stringify(report.entries)).toBe(true);
    const layer = built({ maskValue: 0.5 }, [4, 3]);
    const x = padded(3, 4, 3, PADDING, 0.5);
    const r = new Rng(7).fillNormal(new Tensor([3, 4, 3]));
    const lossOf = (): number => {
      const y = layer.forward(x);
      let s = 0;
      for (let i = 0; i < y.size; i++) s += (y.data[i] as number) * (r.data[i] as number);
      return s;
    };
    lossOf();
    const dx = Float64Array.from(layer.backward(r).data);
    // NOTE: only real steps: nudging one feature of a padding step makes it real, a jump that
    // finite differences cannot see past. Its analytic gradient is 0 (the mask is a constant, as Keras).
    for (let s = 0; s < 12; s++) {
      const steps = x.data.subarray(s * 3, s * 3 + 3);
      const grads = dx.subarray(s * 3, s * 3 + 3);
      if (PADDING.some(([b, t]) => b * 4 + t === s)) expect(Array.from(grads)).toEqual([0, 0, 0]);
      else expect(finiteDifferenceCheck(steps, grads, lossOf).maxRelativeError, `step ${s}`).toBeLessThan(1e-6);
    }
  });

  it("rejects bad configs with INVALID_CONFIG and bad shapes with typed errors", () => {
    for (const bad of [{ maskValue: "0" }, { maskValue: Number.NaN }, { maskValue: Number.POSITIVE_INFINITY }, { inputShape: [] }, { mask_value: 0 }, 3]) {
      expect(errorCode(() => new Masking(bad as unknown as MaskingConfig)), JSON.stringify(bad)).toBe("INVALID_CONFIG");
    }
    expect(errorCode(() => new Masking({ inputShape: [5] }))).toBe("SHAPE_MISMATCH");
    const layer = new Masking();
    expect(errorCode(() => layer.computeOutputShape([4]))).toBe("SHAPE_MISMATCH");
    expect(errorCode(() => layer.forward(Tensor.zeros([1, 2, 2])))).toBe("NOT_BUILT");
    layer.build([4, 3], { dtype: "float64", rng: new Rng(1), prefix: "m" });
    expect(errorCode(() => layer.backward(Tensor.zeros([1, 4, 3])))).toBe("INVALID_STATE");
    expect(errorCode(() => layer.forward(Tensor.zeros([1, 4, 2])))).toBe("SHAPE_MISMATCH");
    expect(errorCode(() => layer.computeMask(Tensor.zeros([2, 4]), undefined))).toBe("SHAPE_MISMATCH");
    layer.forward(Tensor.zeros([2, 4, 3]));
    expect(errorCode(() => layer.backward(Tensor.zeros([2, 4, 2])))).toBe("SHAPE_MISMATCH");
  });

  it("getConfig round-trips through the constructor", () => {
    for (const config of [{}, { maskValue: -1, inputShape: [6, 2], name: "pad" }] as MaskingConfig[]) {
      const first = new Masking(config);
      const copy = new Masking(first.getConfig() as unknown as MaskingConfig);
      expect(copy.getConfig()).toEqual(first.getConfig());
      expect(copy.maskValue).toBe(first.maskValue);
    }
    expect(new Masking().getConfig()).toEqual({ name: "masking", maskValue: 0 });
    expect(new Masking().paramShapes([3, 2])).toEqual([]);
    expect(new Masking().params()).toEqual([]);
  });

  it("hands its mask to the next layer of a Sequential", () => {
    const first = new Dense({ units: 2 });
    const second = new Dense({ units: 2 });
    const seen = [recordMasks(first), recordMasks(second)];
    const model = new Sequential([new Masking({ maskValue: -1, inputShape: [4, 3] }), first, second]);
    model.predict(padded(3, 4, 3, PADDING, -1, "float32"));
    // Dense hands the mask on: the layer after it sees it too.
    expect(seen).toEqual([[[1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 1, 0]], [[1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 1, 0]]]);
  });

  it("trains in a Sequential exactly as the same model on zero-padded input without it (padding is zeros to Dense)", () => {
    const x = padded(12, 4, 3, [...PADDING, [5, 2], [9, 0]], -1, "float32", 3);
    const zeroed = x.clone();
    for (let i = 0; i < zeroed.size; i += 3) {
      if (zeroed.data[i] === -1 && zeroed.data[i + 1] === -1 && zeroed.data[i + 2] === -1) zeroed.data.fill(0, i, i + 3);
    }
    const y = new Rng(4).fillNormal(new Tensor([12, 4, 2], "float32"));
    const fit = (layers: Layer[], input: Tensor): number[] => {
      const model = new Sequential(layers, { seed: 5 });
      model.compile({ loss: "meanSquaredError", optimizer: adam({ lr: 0.02 }) });
      return model.fit(input, y, { epochs: 30, batchSize: 4 }).history["loss"] ?? [];
    };
    const masked = fit([new Masking({ maskValue: -1, inputShape: [4, 3] }), new Dense({ units: 2 })], x);
    const plain = fit([new Dense({ units: 2, inputShape: [4, 3] })], zeroed);
    expect(masked).toEqual(plain);
    expect(masked[masked.length - 1]).toBeLessThan(0.8 * (masked[0] as number));
  });
});
