import { Registry, isBackpropError } from "@backprop/linalg";
import { describe, expect, it } from "vitest";
import { adam } from "./adam.js";
import { defineOptimizer } from "./define-optimizer.js";
import type { Optimizer, OptimizerState } from "./optimizer.js";
import {
  getOptimizer,
  optimizerFromState,
  optimizerNames,
  registerOptimizer,
  resolveOptimizer,
  unregisterOptimizer,
} from "./registry.js";
import { sgd } from "./sgd.js";
import { runOptimizer } from "./trajectory.test-util.js";

const BUILTINS = ["adadelta", "adagrad", "adam", "adamax", "adamw", "nadam", "rmsprop", "sgd"];

function errorOf(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (e) {
    if (isBackpropError(e)) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error("expected an error");
}

const plainDescent = defineOptimizer({
  name: "test>plain",
  defaults: { lr: 0.5 },
  update({ value, grad, lr }) {
    for (let i = 0; i < value.length; i++) value[i] = (value[i] as number) - lr * (grad[i] as number);
  },
});

describe("optimizer registry", () => {
  it("holds every built-in", () => {
    expect(optimizerNames().slice(0, BUILTINS.length)).toEqual(BUILTINS);
    for (const name of BUILTINS) expect(getOptimizer(name).name).toBe(name);
    expect(getOptimizer("adam", { lr: 0.1 }).config.lr).toBe(0.1);
  });

  it("lists the registered names and how to register when a name is unknown", () => {
    const { code, message } = errorOf(() => getOptimizer("adamm"));
    expect(code).toBe("UNKNOWN_COMPONENT");
    expect(message).toContain(`unknown optimizer "adamm" (registered: ${BUILTINS.join(", ")})`);
    expect(message).toMatch(/help: register it first: registerOptimizer\(defineOptimizer/);
  });

  it("resolves names, stored { name, config } and optimizer objects", () => {
    expect(resolveOptimizer("rmsprop").name).toBe("rmsprop");
    expect(resolveOptimizer({ name: "sgd", config: { lr: 0.2, momentum: 0.5 } }).config).toMatchObject({ lr: 0.2, momentum: 0.5 });
    expect(resolveOptimizer({ name: "adamw" }).config.weightDecay).toBe(0.01);
    const existing = adam();
    runOptimizer(existing, 1);
    expect(resolveOptimizer(existing)).toBe(existing);
    expect(errorOf(() => resolveOptimizer(42 as never)).message).toMatch(/resolveOptimizer: invalid optimizer \(got 42/);
    expect(errorOf(() => resolveOptimizer({ name: "sgd", config: [1] as never })).code).toBe("INVALID_CONFIG");
    expect(errorOf(() => resolveOptimizer({ name: "sgd", config: { lr: -1 } })).code).toBe("INVALID_CONFIG");
  });

  it("registers defined rules, refuses duplicates and built-in names, and unregisters", () => {
    registerOptimizer(plainDescent);
    try {
      const opt = getOptimizer("test>plain", { lr: 0.25 });
      expect(opt.name).toBe("test>plain");
      expect(optimizerNames()).toContain("test>plain");
      expect(errorOf(() => registerOptimizer(plainDescent)).code).toBe("DUPLICATE_COMPONENT");
      registerOptimizer(plainDescent, { override: true });
      expect(errorOf(() => registerOptimizer(defineOptimizer({ name: "adam", defaults: { lr: 1 }, update: () => undefined }))).code).toBe(
        "DUPLICATE_COMPONENT",
      );
    } finally {
      expect(unregisterOptimizer("test>plain")).toBe(true);
    }
    expect(errorOf(() => getOptimizer("test>plain")).code).toBe("UNKNOWN_COMPONENT");
    expect(unregisterOptimizer("sgd")).toBe(false);
    expect(getOptimizer("sgd").name).toBe("sgd");
  });

  it("registers hand-written factories under a name and checks the name they report", () => {
    registerOptimizer("test>wrapped", (config) => {
      const inner = sgd(config as never);
      const wrapped: Optimizer = {
        name: "test>wrapped",
        config: inner.config,
        get iterations() {
          return inner.iterations;
        },
        get learningRate() {
          return inner.learningRate;
        },
        step: (params) => inner.step(params),
        stateDict: () => ({ ...inner.stateDict(), name: "test>wrapped" }),
        loadStateDict: (s) => inner.loadStateDict({ ...s, name: "sgd" }),
      };
      return wrapped;
    });
    registerOptimizer("test>liar", () => sgd());
    try {
      expect(resolveOptimizer({ name: "test>wrapped", config: { lr: 0.3 } }).config.lr).toBe(0.3);
      expect(errorOf(() => getOptimizer("test>liar")).message).toMatch(/returned an optimizer named "sgd" \(expected an Optimizer named "test>liar"\)/);
      expect(errorOf(() => registerOptimizer("test>x", 5 as never)).code).toBe("INVALID_ARGUMENT");
      expect(errorOf(() => registerOptimizer({} as never)).code).toBe("INVALID_ARGUMENT");
    } finally {
      unregisterOptimizer("test>wrapped");
      unregisterOptimizer("test>liar");
    }
  });

  it("rebuilds an optimizer, config and state, from a saved state", () => {
    const opt = adam({ lr: 0.05, amsgrad: true });
    runOptimizer(opt, 3);
    const saved = JSON.parse(JSON.stringify(opt.stateDict())) as OptimizerState;
    const rebuilt = optimizerFromState(saved);
    expect(rebuilt.config).toEqual(opt.config);
    expect(rebuilt.iterations).toBe(3);
    expect(rebuilt.stateDict()).toEqual(opt.stateDict());
    expect(errorOf(() => optimizerFromState({ name: 1 } as never)).code).toBe("INVALID_STATE");
  });
});

describe("two copies of the package in one node_modules", () => {
  it("share registered rules and schedules (the registries are keyed on globalThis)", async () => {
    // NOTE: the query makes vite evaluate the module again as a separate instance, as a nested
    // second copy of @backprop/optimizers would be.
    const [registrySpecifier, scheduleSpecifier] = ["./registry.ts?copy=2", "./schedule-registry.ts?copy=2"];
    const copy = (await import(/* @vite-ignore */ registrySpecifier)) as typeof import("./registry.js");
    const scheduleCopy = (await import(/* @vite-ignore */ scheduleSpecifier)) as typeof import("./schedule-registry.js");
    const schedules = await import("./schedule-registry.js");
    expect(copy.getOptimizer).not.toBe(getOptimizer);
    expect(scheduleCopy.getSchedule).not.toBe(schedules.getSchedule);

    registerOptimizer(plainDescent);
    schedules.registerSchedule("test>constant", (config) => ({ name: "test>constant", config: config ?? {}, at: () => 0.3 }));
    try {
      expect(copy.getOptimizer("test>plain", { lr: 0.25 }).config.lr).toBe(0.25);
      expect(copy.optimizerNames()).toContain("test>plain");
      expect(scheduleCopy.resolveSchedule({ name: "test>constant" }).at(7)).toBe(0.3);
      expect(copy.unregisterOptimizer("test>plain")).toBe(true);
      expect(errorOf(() => getOptimizer("test>plain")).code).toBe("UNKNOWN_COMPONENT");
    } finally {
      unregisterOptimizer("test>plain");
      // NOTE: there is no unregisterSchedule; any schedule registry of this kind shares the entry.
      expect(new Registry("schedule").unregister("test>constant")).toBe(true);
    }
  });
});
