import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { Rng, Tensor } from "@backprop/linalg";
import { sgd } from "@backprop/optimizers";
import { beforeAll, describe, expect, it } from "vitest";
import { Conv2D, type Conv2DConfig } from "./conv2d.js";
import { Dense } from "./dense.js";
import { Flatten } from "./flatten.js";
import { Sequential } from "./model/sequential.js";
import { ZeroPadding2D } from "./zero-padding2d.js";

/*
 * Agreement with TensorFlow.js (tfjs-layers 4.22 on the cpu backend, float32): the same small CNNs
 * with the same initial weights must predict the same, train the same for 20 SGD steps, and give the
 * same input and kernel gradients as tf.grad / tf.variableGrads. Weights copy across unchanged
 * (kernel [kh, kw, in, filters], bias [filters]), which is itself part of what is tested.
 */

beforeAll(async () => {
  await tf.setBackend("cpu");
});

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs((a[i] as number) - (b[i] as number)));
  return d;
}

function toTf(t: Tensor): tf.Tensor {
  return tf.tensor(Array.from(t.data), [...t.shape], "float32");
}

interface Architecture {
  readonly name: string;
  readonly inputShape: [number, number, number];
  readonly ours: () => Sequential;
  readonly theirs: () => tfl.Sequential;
}

const architectures: Architecture[] = [
  {
    name: '8×8×2 → conv 3×3 "same" relu → conv 3×3 stride 2 "valid" → flatten → dense softmax',
    inputShape: [8, 8, 2],
    ours: () =>
      new Sequential(
        [
          new Conv2D({ filters: 3, kernelSize: 3, padding: "same", activation: "relu", inputShape: [8, 8, 2] }),
          new Conv2D({ filters: 4, kernelSize: 3, strides: 2, padding: "valid" }),
          new Flatten(),
          new Dense({ units: 3, activation: "softmax" }),
        ],
        { seed: 3 },
      ),
    theirs: () =>
      tfl.sequential({
        layers: [
          tfl.layers.conv2d({ filters: 3, kernelSize: 3, padding: "same", activation: "relu", inputShape: [8, 8, 2] }),
          tfl.layers.conv2d({ filters: 4, kernelSize: 3, strides: 2, padding: "valid" }),
          tfl.layers.flatten(),
          tfl.layers.dense({ units: 3, activation: "softmax" }),
        ],
      }),
  },
  {
    // The uneven cases of "same": an even kernel and a stride that leave the odd padding row/column
    // at the bottom/right, and explicit zero padding. (No dilation: tfjs 4.22 has no gradient for a
    // dilated convolution; the forward pass of one is compared below.)
    name: '7×9×2 → pad [[1, 0], [2, 1]] → conv 4×2 stride 2 "same" tanh → conv 2×3 "same" sigmoid → flatten → dense softmax',
    inputShape: [7, 9, 2],
    ours: () =>
      new Sequential(
        [
          new ZeroPadding2D({ padding: [[1, 0], [2, 1]], inputShape: [7, 9, 2] }),
          new Conv2D({ filters: 3, kernelSize: [4, 2], strides: 2, padding: "same", activation: "tanh" }),
          new Conv2D({ filters: 2, kernelSize: [2, 3], padding: "same", activation: "sigmoid" }),
          new Flatten(),
          new Dense({ units: 3, activation: "softmax" }),
        ],
        { seed: 4 },
      ),
    theirs: () =>
      tfl.sequential({
        layers: [
          tfl.layers.zeroPadding2d({ padding: [[1, 0], [2, 1]], inputShape: [7, 9, 2] }),
          tfl.layers.conv2d({ filters: 3, kernelSize: [4, 2], strides: 2, padding: "same", activation: "tanh" }),
          tfl.layers.conv2d({ filters: 2, kernelSize: [2, 3], padding: "same", activation: "sigmoid" }),
          tfl.layers.flatten(),
          tfl.layers.dense({ units: 3, activation: "softmax" }),
        ],
      }),
  },
];

function data(inputShape: readonly number[], seed: number): { x: Tensor; y: Tensor } {
  const rng = new Rng(seed);
  const x = rng.fillNormal(new Tensor([6, ...inputShape], "float32"));
  const y = new Tensor([6, 3], "float32");
  for (let i = 0; i < 6; i++) y.data[i * 3 + (i % 3)] = 1;
  return { x, y };
}

describe("a small CNN agrees with TensorFlow.js", () => {
  it.each(architectures)("$name", async (arch) => {
    const ours = arch.ours().build();
    const theirs = arch.theirs();
    // Their weights are ours, copied as they are: the layouts are the same.
    const ourWeights = ours.getWeights();
    expect(theirs.getWeights().map((w) => w.shape)).toEqual(ourWeights.map((w) => [...w.shape]));
    theirs.setWeights(ourWeights.map(toTf));
    const { x, y } = data(arch.inputShape, 1);
    const tx = toTf(x);
    const ty = toTf(y);

    const predicted = (theirs.predict(tx) as tf.Tensor).dataSync();
    expect(maxDiff(ours.predict(x).data, predicted)).toBeLessThan(1e-5);

    ours.compile({ loss: "categoricalCrossentropy", optimizer: sgd({ lr: 0.1 }) });
    theirs.compile({ loss: "categoricalCrossentropy", optimizer: tf.train.sgd(0.1) });
    for (let step = 0; step < 20; step++) {
      const ourLoss = ours.trainOnBatch(x, y);
      const theirLoss = (await theirs.trainOnBatch(tx, ty)) as number;
      expect(Math.abs(ourLoss - theirLoss), `loss at step ${step}`).toBeLessThan(1e-5);
    }
    const after = ours.getWeights();
    theirs.getWeights().forEach((w, i) => {
      expect(maxDiff(after[i]?.data ?? [], w.dataSync()), `weight ${i} after 20 steps`).toBeLessThan(1e-5);
    });
    // And training moved them: the comparison is not of two untouched copies.
    expect(maxDiff(after[0]?.data ?? [], ourWeights[0]?.data ?? [])).toBeGreaterThan(1e-3);
    expect(maxDiff(ours.predict(x).data, (theirs.predict(tx) as tf.Tensor).dataSync())).toBeLessThan(1e-5);
  });
});

describe("dilated convolutions agree with TensorFlow.js (forward: tfjs 4.22 has no gradient for them)", () => {
  it.each<[string, Conv2DConfig, [number, number, number]]>([
    ['3×3, dilation 2, "same"', { filters: 3, kernelSize: 3, dilationRate: 2, padding: "same", activation: "tanh" }, [7, 6, 2]],
    ['2×3, dilation [3, 2], "same" (odd padding)', { filters: 2, kernelSize: [2, 3], dilationRate: [3, 2], padding: "same" }, [8, 7, 3]],
    ["3×2, dilation [2, 3], valid", { filters: 4, kernelSize: [3, 2], dilationRate: [2, 3] }, [9, 8, 2]],
  ])("%s", (_, config, inputShape) => {
    const ours = new Sequential([new Conv2D({ ...config, inputShape, biasInitializer: "ones" })], { seed: 2 }).build();
    const theirs = tfl.sequential({ layers: [tfl.layers.conv2d({ ...tfConfig(config), inputShape, biasInitializer: "ones" })] });
    theirs.setWeights(ours.getWeights().map(toTf));
    const x = new Rng(3).fillNormal(new Tensor([3, ...inputShape], "float32"));
    const predicted = theirs.predict(toTf(x)) as tf.Tensor;
    expect(ours.predict(x).shape).toEqual(predicted.shape);
    expect(maxDiff(ours.predict(x).data, predicted.dataSync())).toBeLessThan(1e-5);
  });
});

/** The tfjs-layers options of one of our configs (same keys; only the types differ). */
function tfConfig(config: Conv2DConfig) {
  return {
    filters: config.filters,
    kernelSize: config.kernelSize as number | number[],
    strides: config.strides as number | number[] | undefined,
    dilationRate: config.dilationRate as number | [number, number] | undefined,
    padding: config.padding ?? "valid",
    activation: config.activation as "tanh" | undefined,
  };
}

describe("Conv2D gradients agree with tf.grad and tf.variableGrads", () => {
  const cases: [string, Conv2DConfig, [number, number, number]][] = [
    ['4×3 kernel, stride 2, "same", tanh', { filters: 4, kernelSize: [4, 3], strides: 2, padding: "same", activation: "tanh" }, [9, 8, 3]],
    ['2×2 kernel, stride 3, "same" (odd padding), sigmoid', { filters: 3, kernelSize: 2, strides: 3, padding: "same", activation: "sigmoid" }, [7, 8, 2]],
    ["2×3 kernel, strides [2, 3], valid, relu", { filters: 2, kernelSize: [2, 3], strides: [2, 3], activation: "relu" }, [8, 10, 3]],
  ];

  it.each(cases)("%s", (_, config, inputShape) => {
    const layer = new Conv2D({ ...config, biasInitializer: { name: "randomNormal", config: { stddev: 0.3 } } });
    layer.build(inputShape, { dtype: "float32", rng: new Rng(6), prefix: "layers.0" });
    const rng = new Rng(7);
    const x = rng.fillNormal(new Tensor([2, ...inputShape], "float32"));
    const r = rng.fillNormal(new Tensor([2, ...layer.computeOutputShape(inputShape)], "float32"));
    // L = Σ y ⊙ R, so dL/dy = R.
    layer.forward(x);
    const dx = layer.backward(r).clone();
    const kernelGrad = layer.kernel.grad.clone();
    const biasGrad = layer.bias?.grad.clone();

    const theirs = tfl.layers.conv2d(tfConfig(config));
    theirs.build([null, ...inputShape]);
    theirs.setWeights([toTf(layer.kernel.value), toTf(layer.bias?.value as Tensor)]);
    const tr = toTf(r);
    const loss = (input: tf.Tensor): tf.Scalar => tf.sum(tf.mul(theirs.apply(input) as tf.Tensor, tr));
    const theirDx = tf.grad((input: tf.Tensor) => loss(input))(toTf(x));
    const variables = theirs.trainableWeights.map((w) => w.read() as tf.Variable);
    const { grads } = tf.variableGrads(() => loss(toTf(x)), variables);
    const [kernelVar, biasVar] = variables as [tf.Variable, tf.Variable];

    // float32 on both sides: relative to the size of the gradients (sums of up to 36 terms of ~1).
    const scale = (t: ArrayLike<number>) => Math.max(1, ...Array.from(t, Math.abs));
    expect(maxDiff(dx.data, theirDx.dataSync()) / scale(dx.data)).toBeLessThan(1e-5);
    expect(maxDiff(kernelGrad.data, grads[kernelVar.name]?.dataSync() ?? [])).toBeLessThan(1e-5 * scale(kernelGrad.data));
    expect(maxDiff(biasGrad?.data ?? [], grads[biasVar.name]?.dataSync() ?? [])).toBeLessThan(1e-5 * scale(biasGrad?.data ?? []));
  });
});
