import { describe, expect, it } from "vitest";
import { describeTarget, formatValue } from "./network-hover.js";

const weights = [{ kernel: [[0.5, -1.25], [2e-7, 3]], bias: [0.1, -0.2] }, { kernel: [[1], [-1]], bias: [0] }];
const gradients = [{ kernel: [[0.01, 0], [1e-9, -4]], bias: [0.5, 0] }, { kernel: [[0], [0]], bias: [0.25] }];
const names = (layer: number, unit: number): string => (layer === 0 ? `x${unit + 1}` : layer === 2 ? "output" : `neuron ${unit + 1} of layer ${layer}`);

describe("the network picture's tooltips", () => {
  it("name an edge's ends, its weight and its gradient", () => {
    expect(describeTarget({ kind: "edge", layer: 0, from: 1, to: 0 }, weights, gradients, names)).toBe(
      "x2 → neuron 1 of layer 1: weight 2.00e-7, gradient ∂L/∂w 1.00e-9 (click to edit)",
    );
    expect(describeTarget({ kind: "edge", layer: 1, from: 1, to: 0 }, weights, gradients, names)).toBe(
      "neuron 2 of layer 1 → output: weight -1, gradient ∂L/∂w 0 (click to edit)",
    );
  });

  it("give a neuron's bias and its gradient; an input is only named", () => {
    expect(describeTarget({ kind: "neuron", layer: 1, unit: 1 }, weights, gradients, names)).toBe("neuron 2 of layer 1: bias -0.2, gradient ∂L/∂b 0");
    expect(describeTarget({ kind: "neuron", layer: 2, unit: 0 }, weights, gradients, names)).toBe("output: bias 0, gradient ∂L/∂b 0.25");
    expect(describeTarget({ kind: "neuron", layer: 0, unit: 0 }, weights, gradients, names)).toBe("x1 (input)");
  });

  it("format numbers to 4 significant digits, parseable back", () => {
    for (const v of [0, 1, -1.25, 0.123456, 12345.6, 1e-12, -3.3e9, Number.NaN]) {
      const text = formatValue(v);
      if (Number.isNaN(v)) expect(text).toBe("NaN");
      else if (v === 0) expect(text).toBe("0");
      else expect(Math.abs(Number(text) - v) / Math.abs(v), text).toBeLessThanOrEqual(5e-3);
    }
    expect(formatValue(0.123456)).toBe("0.1235");
    expect(formatValue(1e-12)).toBe("1.00e-12");
  });
});
