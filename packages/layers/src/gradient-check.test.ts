import { defineActivation, relu, softmax, tanh } from "@backprop/activations";
import { Tensor, isBackpropError, type JsonObject, type Param, type Shape } from "@backprop/linalg";
import { describe, expect, it } from "vitest";
import { ActivationLayer } from "./activation-layer.js";
import { Dense } from "./dense.js";
import { gradientCheck } from "./gradient-check.js";
import type { Layer, LayerInspection, ParamShape } from "./layer.js";

/** A layer whose backward forgets the factor 2 of its forward: the check must catch it. */
class WrongDouble implements Layer {
  readonly className = "test>wrongDouble";
  name = "wrongDouble";
  built = false;
  build(): void {
    this.built = true;
  }
  computeOutputShape(s: Shape): Shape {
    return s;
  }
  paramShapes(): readonly ParamShape[] {
    return [];
  }
  forward(x: Tensor): Tensor {
    const y = x.clone();
    for (let i = 0; i < y.size; i++) y.data[i] = 2 * (x.data[i] as number);
    return y;
  }
  backward(dy: Tensor): Tensor {
    return dy.clone();
  }
  params(): readonly Param[] {
    return [];
  }
  regularizationLoss(): number {
    return 0;
  }
  getConfig(): JsonObject {
    return {};
  }
  inspect(): LayerInspection {
    return {};
  }
}

describe("gradientCheck", () => {
  it("passes the built-in layers: input and every trainable parameter", () => {
    const report = gradientCheck(new Dense({ units: 3, activation: "tanh", kernelRegularizer: { l2: 0.1 } }), { inputShape: [4] });
    expect(report.ok).toBe(true);
    expect(report.entries.map((e) => e.name)).toEqual(["input", "dense.kernel", "dense.bias"]);
    expect(gradientCheck(new Dense({ units: 2, activation: "softmax" }), { inputShape: [2, 3] }).ok).toBe(true);
    expect(gradientCheck(new ActivationLayer({ activation: "softmax" }), { inputShape: [5] }).ok).toBe(true);
  });

  it("catches a wrong backward pass", () => {
    const report = gradientCheck(new WrongDouble(), { inputShape: [3] });
    expect(report.ok).toBe(false);
    expect(report.entries[0]?.maxRelativeError).toBeGreaterThan(0.1);
  });

  it("checks activations, scalar and vector, and catches a wrong derivative", () => {
    expect(gradientCheck(tanh).ok).toBe(true);
    expect(gradientCheck(relu).ok).toBe(true);
    expect(gradientCheck(softmax).ok).toBe(true);
    const wrong = defineActivation({ name: "test>wrongCube", f: (x) => x ** 3, df: (x) => 2 * x * x });
    expect(gradientCheck(wrong).ok).toBe(false);
  });

  it("asks for an input shape it cannot know", () => {
    try {
      gradientCheck(new Dense({ units: 2 }));
      expect.unreachable();
    } catch (e) {
      expect(isBackpropError(e) && e.code).toBe("INVALID_ARGUMENT");
    }
  });
});
