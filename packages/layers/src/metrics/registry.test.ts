import { Matrix, isBackpropError } from "@backprop/linalg";
import { afterEach, describe, expect, it } from "vitest";
import { accuracy } from "./accuracy.js";
import { getMetric, metricNames, registerMetric, resolveMetric, unregisterMetric } from "./registry.js";

describe("metric registry", () => {
  afterEach(() => {
    unregisterMetric("acme>maxError");
  });

  it("rebuilds every built-in from its saved { name, config }", () => {
    const yPred = Matrix.fromArray([[0.2, 0.8], [0.6, 0.4]]);
    const yTrue = Matrix.fromArray([[0, 1], [0, 1]]);
    for (const name of metricNames()) {
      const m = getMetric(name);
      const again = resolveMetric(JSON.parse(JSON.stringify({ name: m.name, config: m.config })) as { name: string; config: never });
      expect(again.name).toBe(m.name);
      expect(again.config).toEqual(m.config);
      if (name !== "sparseCategoricalAccuracy") expect(again.compute(yPred, yTrue)).toBe(m.compute(yPred, yTrue));
    }
  });

  it("resolves aliases and configs", () => {
    expect(getMetric("mse").name).toBe("meanSquaredError");
    expect(getMetric("mae").name).toBe("meanAbsoluteError");
    expect(resolveMetric({ name: "binaryAccuracy", config: { threshold: 0 } }).config).toEqual({ threshold: 0 });
    const m = accuracy();
    expect(resolveMetric(m)).toBe(m);
  });

  it("rejects unknown names and non-specs", () => {
    try {
      getMetric("acc");
      expect.unreachable();
    } catch (e) {
      expect(isBackpropError(e) && e.code).toBe("UNKNOWN_COMPONENT");
      expect((e as Error).message).toContain('unknown metric "acc"');
      expect((e as Error).message).toContain("sparseCategoricalAccuracy");
    }
    expect(() => resolveMetric(undefined as never)).toThrow(
      /resolveMetric: invalid metric \(got undefined, expected a name, \{ name, config \} or a Metric\)/,
    );
  });

  it("registers custom metrics", () => {
    registerMetric("acme>maxError", () => ({
      name: "acme>maxError",
      config: {},
      compute: (p, t) => Math.max(...p.data.map((v, i) => Math.abs(v - t.data[i]!))),
    }));
    expect(resolveMetric("acme>maxError").compute(Matrix.fromArray([[1, 5]]), Matrix.fromArray([[0, 0]]))).toBe(5);
    expect(() => registerMetric("accuracy", () => accuracy())).toThrow(/built-in/);
  });
});
