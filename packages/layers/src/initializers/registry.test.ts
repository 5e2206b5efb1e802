import { Matrix, Rng, isBackpropError } from "@backprop/linalg";
import { afterEach, describe, expect, it } from "vitest";
import { glorotUniform } from "./glorot.js";
import { getInitializer, initializerNames, registerInitializer, resolveInitializer, unregisterInitializer } from "./registry.js";
import { sameBits } from "./sample-moments.test-helper.js";

const fan = { fanIn: 3, fanOut: 4 };

describe("initializer registry", () => {
  afterEach(() => {
    unregisterInitializer("acme>half");
  });

  it("lists the built-ins", () => {
    expect(initializerNames()).toEqual(
      [
        "constant",
        "glorotNormal",
        "glorotUniform",
        "heNormal",
        "heUniform",
        "lecunNormal",
        "lecunUniform",
        "ones",
        "orthogonal",
        "randomNormal",
        "randomUniform",
        "truncatedNormal",
        "varianceScaling",
        "zeros",
      ],
    );
  });

  it("rebuilds every built-in from its saved { name, config } with identical draws", () => {
    for (const name of initializerNames()) {
      const init = getInitializer(name);
      const saved = JSON.parse(JSON.stringify({ name: init.name, config: init.config })) as { name: string; config: never };
      const again = resolveInitializer(saved);
      expect(again.name).toBe(name);
      expect(again.config).toEqual(init.config);
      const a = init.init(Matrix.zeros(3, 4), new Rng(1), fan);
      const b = again.init(Matrix.zeros(3, 4), new Rng(1), fan);
      expect(sameBits(a, b)).toBe(true);
    }
  });

  it("passes configs through", () => {
    const init = resolveInitializer({ name: "varianceScaling", config: { scale: 2, mode: "fanAvg", distribution: "uniform" } });
    expect(init.config).toEqual({ scale: 2, mode: "fanAvg", distribution: "uniform" });
    expect(getInitializer("constant", { value: 3 }).init(Matrix.zeros(1, 1), new Rng(0), fan).data[0]).toBe(3);
  });

  it("rejects unknown names listing the registered ones", () => {
    try {
      getInitializer("glorot_uniform");
      expect.unreachable();
    } catch (e) {
      expect(isBackpropError(e) && e.code).toBe("UNKNOWN_COMPONENT");
      expect((e as Error).message).toContain('unknown initializer "glorot_uniform"');
      expect((e as Error).message).toContain("glorotUniform");
      expect((e as Error).message).toContain("registerInitializer");
    }
  });

  it("returns initializer objects as is and rejects non-specs", () => {
    const init = glorotUniform();
    expect(resolveInitializer(init)).toBe(init);
    for (const bad of [7, null, { config: {} }]) {
      try {
        resolveInitializer(bad as never);
        expect.unreachable();
      } catch (e) {
        expect(isBackpropError(e) && e.code).toBe("INVALID_ARGUMENT");
      }
    }
  });

  it("registers custom initializers", () => {
    registerInitializer("acme>half", () => ({ name: "acme>half", config: {}, init: (m) => m.fill(0.5) }));
    expect(Array.from(resolveInitializer("acme>half").init(Matrix.zeros(1, 2), new Rng(0), fan).data)).toEqual([0.5, 0.5]);
    try {
      registerInitializer("zeros", () => glorotUniform());
      expect.unreachable();
    } catch (e) {
      expect(isBackpropError(e) && e.code).toBe("DUPLICATE_COMPONENT");
    }
  });
});
