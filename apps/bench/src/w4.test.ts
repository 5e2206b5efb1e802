import { typescriptBackend } from "@backprop/linalg";
import type { Tensor, Tensor4D } from "@tensorflow/tfjs-core";
import { afterAll, describe, expect, it } from "vitest";
import { convPassBench } from "./conv-bench.js";
import { mnistLike } from "./data.js";
import { jsonLines, measure, table, type Row } from "./harness.js";
import * as ours from "./libs/backprop.js";
import { convnetCnn } from "./libs/convnet.js";
import { cnnModel, loadTfjs } from "./libs/tfjs.js";
import { registerWasmGradients, unregisterWasmGradients, type WasmGradientVia } from "./libs/tfjs-wasm-grads.js";
import { W4_INFER, W4_TRAIN, w4Infer, w4Sizes, w4TargetLines, w4Train } from "./w4.js";

const LIBS = ["backprop-wasm", "backprop-ts", "tfjs-wasm", "tfjs-cpu", "ConvNetJS"];

afterAll(async () => {
  // The bench leaves its helper thread idle between runs; a test run ends it.
  await ours.twoThreadBackend().then((b) => b.close(), () => {});
});

describe("W4 (smoke sizes)", () => {
  it("trains and infers with every library and prints both workloads with ratios and targets", async () => {
    const d = mnistLike(64);
    const sizes = w4Sizes("smoke");
    const rows: Row[] = [];
    rows.push(...(await measure(await w4Train(ours, d, sizes), 1, () => {})));
    rows.push(...(await measure(await w4Infer(ours, d, sizes), 1, () => {})));
    for (const w of [W4_TRAIN, W4_INFER]) {
      const libs = rows.filter((r) => r.workload === w).map((r) => r.lib);
      expect(libs).toEqual(expect.arrayContaining(LIBS));
      for (const r of rows.filter((r) => r.workload === w)) expect(r.median).toBeGreaterThan(0);
    }
    const text = table(rows);
    expect(text).toMatch(/W4 CNN train\s+tfjs-wasm\s+samples\/s .*×$/m);
    expect(text).toMatch(/W4 CNN infer\s+ConvNetJS\s+samples\/s .*×$/m);
    const ratios = jsonLines(rows)
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => "ratio" in l);
    expect(ratios).toContainEqual({ workload: W4_TRAIN, lib: "backprop-wasm", ratio_vs: "tfjs-wasm", ratio: expect.any(Number) });
    expect(ratios).toContainEqual({ workload: W4_INFER, lib: "backprop-ts", ratio_vs: "ConvNetJS", ratio: expect.any(Number) });
    const targets = w4TargetLines(rows);
    expect(targets).toHaveLength(3);
    expect(targets[0]).toMatch(/^target W4 CNN train ≥ 8× tfjs-wasm: backprop-\S+ \d+\.\d\d× — (met|not met)$/);
  });
});

describe("the three libraries build the same network", () => {
  it("has 5 994 parameters and the geometry 28 → 24 → 12 → 8 → 4 in each", async () => {
    // conv 8·(5·5·1) + 8, conv 16·(5·5·8) + 16, dense 10·(4·4·16) + 10
    const count = 208 + 3216 + 2570;
    expect(ours.cnn().build().countParams()).toBe(count);
    const tfm = await loadTfjs();
    await tfm.tf.setBackend("cpu");
    const tfModel = cnnModel(tfm, 0.01);
    expect(tfModel.countParams()).toBe(count);
    expect(tfModel.layers.map((l) => (l.outputShape as number[])[1])).toEqual([24, 12, 8, 4, 256, 10]);
    const net = convnetCnn();
    expect(net.getParamsAndGrads().reduce((n, p) => n + p.params.length, 0)).toBe(count);
    const sizes = net.layers.filter((l) => l.layer_type === "conv" || l.layer_type === "pool").map((l) => [l.out_sx, l.out_depth]);
    expect(sizes).toEqual([[24, 8], [12, 8], [8, 16], [4, 16]]);
  });
});

describe("tfjs-wasm's Conv2DBackpropFilter stand-in", () => {
  // Stride 1 runs the WASM 3-D kernel; the strided cases check the fallback to the CPU kernel.
  const cases = [
    { strides: 1, pad: "valid", x: [3, 12, 12, 2], k: [5, 5, 2, 4] },
    { strides: 1, pad: "same", x: [2, 9, 7, 3], k: [3, 4, 3, 5] },
    { strides: 2, pad: "same", x: [2, 9, 7, 3], k: [3, 3, 3, 5] },
    { strides: [1, 2], pad: "valid", x: [2, 8, 10, 1], k: [3, 2, 1, 3] },
  ] as const;

  for (const via of ["wasm-conv3d", "cpu-copy"] as const satisfies readonly WasmGradientVia[]) {
    it(`(${via}) gives tfjs-cpu's kernel gradient`, async () => {
      const { tf } = await loadTfjs();
      unregisterWasmGradients(tf);
      expect(registerWasmGradients(tf, via)).toEqual([{ kernel: "Conv2DBackpropFilter", via }]);
      try {
        for (const c of cases) {
          const grad = async (backend: string): Promise<Float32Array> => {
            await tf.setBackend(backend);
            const x = tf.randomUniform([...c.x], -1, 1, "float32", 7) as Tensor4D;
            const k = tf.randomUniform([...c.k], -1, 1, "float32", 8);
            const loss = (kk: Tensor) => tf.sum(tf.square(tf.conv2d(x, kk as Tensor4D, c.strides as [number, number], c.pad)));
            const g = tf.grad(loss)(k);
            const out = g.dataSync() as Float32Array;
            tf.dispose([x, k, g]);
            return Float32Array.from(out);
          };
          const want = await grad("cpu");
          const got = await grad("wasm");
          expect(got.length).toBe(want.length);
          for (let i = 0; i < want.length; i++) expect(got[i]).toBeCloseTo(want[i] as number, 3);
        }
      } finally {
        unregisterWasmGradients(tf);
        registerWasmGradients(tf);
        await tf.setBackend("cpu");
      }
    });
  }
});

describe("conv pass GFLOP/s", () => {
  it("times the three passes of both convolutions", () => {
    const rows = convPassBench([{ label: "typescript", backend: typescriptBackend }], 1, 1, 2);
    expect(rows.map((r) => `${r.layer.slice(0, 5)} ${r.pass}`)).toEqual([
      "conv1 forward",
      "conv1 input gradient",
      "conv1 filter gradient",
      "conv2 forward",
      "conv2 input gradient",
      "conv2 filter gradient",
    ]);
    for (const r of rows) expect(r.median).toBeGreaterThan(0);
  });
});
