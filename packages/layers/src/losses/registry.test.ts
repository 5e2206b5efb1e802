import { Matrix, isBackpropError } from "@backprop/linalg";
import { afterEach, describe, expect, it } from "vitest";
import type { Loss } from "./loss.js";
import { meanSquaredError } from "./mean-squared-error.js";
import { getLoss, lossNames, registerLoss, resolveLoss, unregisterLoss } from "./registry.js";

const yPred = Matrix.fromArray([[0.2, 0.7, 0.1], [0.5, 0.25, 0.25]]);
const yTrue = Matrix.fromArray([[0, 1, 0], [1, 0, 0]]);

describe("loss registry", () => {
  afterEach(() => {
    unregisterLoss("acme>doubleMse");
  });

  it("builds every built-in and rebuilds it from its saved { name, config } (through JSON)", () => {
    for (const name of lossNames()) {
      const loss = getLoss(name);
      const saved = JSON.parse(JSON.stringify({ name: loss.name, config: loss.config })) as { name: string; config: never };
      const again = resolveLoss(saved);
      expect(again.name).toBe(loss.name);
      expect(again.config).toEqual(loss.config);
      if (name !== "sparseCategoricalCrossentropy") {
        expect(again.compute(yPred, yTrue)).toBe(loss.compute(yPred, yTrue));
      }
    }
  });

  it("resolves the short aliases to the full names", () => {
    expect(getLoss("mse").name).toBe("meanSquaredError");
    expect(getLoss("mae").name).toBe("meanAbsoluteError");
    expect(getLoss("ce").name).toBe("categoricalCrossentropy");
    expect(getLoss("bce", { fromLogits: true }).config).toEqual({ fromLogits: true, eps: 1e-7 });
  });

  it("passes configs through and validates them", () => {
    expect(resolveLoss({ name: "huber", config: { delta: 2 } }).config).toEqual({ delta: 2 });
    expect(() => getLoss("huber", { delta: -2 })).toThrow(/huber: invalid delta/);
    expect(() => getLoss("mse", { foo: 1 })).toThrow(/meanSquaredError: unknown config key "foo"/);
  });

  it("rejects unknown names with UNKNOWN_COMPONENT listing the registered ones", () => {
    for (const name of ["mean_squared_error", "crossentropy", "MSE"]) {
      try {
        getLoss(name);
        expect.unreachable();
      } catch (e) {
        expect(isBackpropError(e) && e.code).toBe("UNKNOWN_COMPONENT");
        expect((e as Error).message).toContain(`unknown loss "${name}"`);
        expect((e as Error).message).toContain("meanSquaredError");
        expect((e as Error).message).toContain("sparseCategoricalCrossentropy");
        expect((e as Error).message).toContain("registerLoss");
      }
    }
  });

  it("returns a loss object as is and rejects things that are not specs", () => {
    const loss = meanSquaredError();
    expect(resolveLoss(loss)).toBe(loss);
    for (const bad of [42, null, {}, { name: 3 }]) {
      try {
        resolveLoss(bad as never);
        expect.unreachable();
      } catch (e) {
        expect(isBackpropError(e) && e.code).toBe("INVALID_ARGUMENT");
      }
    }
  });

  it("registers custom losses, and refuses to replace a built-in", () => {
    const factory = (): Loss => {
      const base = meanSquaredError();
      return {
        ...base,
        name: "acme>doubleMse",
        compute: (p, t) => 2 * base.compute(p, t),
        gradient: (p, t, out) => base.gradient(p, t, out),
      };
    };
    registerLoss("acme>doubleMse", factory);
    expect(lossNames()).toContain("acme>doubleMse");
    expect(resolveLoss("acme>doubleMse").compute(yPred, yTrue)).toBe(2 * meanSquaredError().compute(yPred, yTrue));
    expect(() => registerLoss("acme>doubleMse", factory)).toThrow(/already registered/);
    registerLoss("acme>doubleMse", factory, { override: true });
    try {
      registerLoss("mse", factory);
      expect.unreachable();
    } catch (e) {
      expect(isBackpropError(e) && e.code).toBe("DUPLICATE_COMPONENT");
    }
    expect(unregisterLoss("acme>doubleMse")).toBe(true);
    expect(() => getLoss("acme>doubleMse")).toThrow(/unknown loss/);
  });
});

describe("two copies of the package in one node_modules", () => {
  afterEach(() => {
    unregisterLoss("acme>copyMse");
  });

  it("share registered losses (the registry is keyed on globalThis)", async () => {
    // NOTE: the query makes vite evaluate registry.ts again as a separate module instance, as a
    // nested second copy of @backprop/layers would be.
    const specifier = "./registry.ts?copy=2";
    const copy = (await import(/* @vite-ignore */ specifier)) as typeof import("./registry.js");
    expect(copy.getLoss).not.toBe(getLoss);
    copy.registerLoss("acme>copyMse", (config) => ({ ...meanSquaredError(), name: "acme>copyMse", config: config ?? {} }));
    expect(resolveLoss({ name: "acme>copyMse" }).name).toBe("acme>copyMse");
    expect(lossNames()).toContain("acme>copyMse");
    expect(() => registerLoss("acme>copyMse", () => meanSquaredError())).toThrow(/already registered/);
  });
});
