import { isBackpropError, type JsonObject } from "@backprop/linalg";
import { afterEach, describe, expect, it } from "vitest";
import {
  defineActivation,
  getActivation,
  leakyRelu,
  listActivations,
  registerActivation,
  relu,
  resolveActivation,
  sigmoid,
  unregisterActivation,
  type Activation,
  type ActivationSpec,
} from "./index.js";

const PROBE = [-7.5, -2, -0.6, -0.01, 0, 0.01, 0.4, 1.3, 3, 9];

const BUILTIN_NAMES = [
  "elu", "gaussian", "gelu", "hardSigmoid", "hardTanh", "identity", "leakyRelu", "linear", "mish", "relu",
  "relu6", "selu", "sigmoid", "silu", "sinusoid", "softmax", "softplus", "softsign", "swish", "tanh",
];

/** Simulates a model file: only `{ name, config }` survives, as JSON. */
function roundTrip(act: Activation): Activation {
  const stored = JSON.parse(JSON.stringify({ name: act.name, config: act.config })) as { name: string; config: JsonObject };
  return getActivation(stored.name, stored.config);
}

function expectSameFunction(a: Activation, b: Activation): void {
  expect(b.name).toBe(a.name);
  expect(b.config).toEqual(a.config);
  expect(b.vector).toBe(a.vector);
  if (a.vector === true) {
    // NOTE: a vector activation (softmax) has no scalar f; compare whole rows instead.
    const src = Float64Array.from(PROBE);
    const [ya, yb] = [new Float64Array(src.length), new Float64Array(src.length)];
    a.apply(src, ya, 5);
    b.apply(src, yb, 5);
    expect(Array.from(yb)).toEqual(Array.from(ya));
    return;
  }
  for (const x of PROBE) {
    expect(b.f(x), `f(${x})`).toBe(a.f(x));
    expect(b.df(x, b.f(x)), `df(${x})`).toBe(a.df(x, a.f(x)));
  }
}

function errorOf(fn: () => unknown): { code: string; message: string; hint: string | undefined } {
  try {
    fn();
  } catch (e) {
    if (isBackpropError(e)) return { code: e.code, message: e.message, hint: e.hint };
    throw e;
  }
  throw new Error("expected a BackpropError, nothing was thrown");
}

const custom: string[] = [];
function registered(name: string): string {
  custom.push(name);
  return name;
}
afterEach(() => {
  for (const name of custom.splice(0)) unregisterActivation(name);
});

describe("activation registry", () => {
  it("lists the built-ins, aliases included", () => {
    expect(listActivations()).toEqual(BUILTIN_NAMES);
  });

  it.each(BUILTIN_NAMES)("rebuilds %s from { name, config } after a JSON round trip", (name) => {
    const act = getActivation(name);
    expectSameFunction(act, roundTrip(act));
  });

  it("round-trips configured activations with their hyperparameters", () => {
    const leaky = leakyRelu({ alpha: 0.2 });
    const back = roundTrip(leaky);
    expectSameFunction(leaky, back);
    expect(back.f(-2)).toBe(-0.4);
    expect(roundTrip(getActivation("elu", { alpha: 0.5 })).f(-1000)).toBe(-0.5);
    expect(roundTrip(getActivation("gelu", { approximate: true })).config).toEqual({ approximate: true });
  });

  it("resolves aliases to the canonical activation", () => {
    expect(getActivation("linear").name).toBe("identity");
    expect(getActivation("swish").name).toBe("silu");
    expect(getActivation("relu")).toBe(relu);
  });

  it("rejects configs a built-in does not take", () => {
    const e = errorOf(() => getActivation("sigmoid", { alpha: 1 }));
    expect(e.code).toBe("INVALID_CONFIG");
    expect(e.message).toMatch(/^getActivation\("sigmoid"\): config does not match \(got \{"alpha":1\}, expected \{\}\)/);
    expect(getActivation("sigmoid", {})).toBe(sigmoid);
    expect(errorOf(() => getActivation("leakyRelu", { alpha: "big" })).code).toBe("INVALID_CONFIG");
  });

  it("explains an unknown name: what is registered and how to register", () => {
    const e = errorOf(() => getActivation("acme>nope"));
    expect(e.code).toBe("UNKNOWN_COMPONENT");
    expect(e.message).toContain('getActivation: unknown activation "acme>nope" (registered: elu, gaussian, gelu,');
    expect(e.message).toContain("tanh)");
    expect(e.hint).toContain('registerActivation(defineActivation({ name: "acme>nope", f: (x) => …, df: (x, y) => … }))');
    expect(e.message).toContain("help: register it first");
  });

  it("suggests the registered spelling of a near miss", () => {
    expect(errorOf(() => getActivation("leaky_relu")).hint).toMatch(/^did you mean "leakyRelu"\?/);
    expect(errorOf(() => getActivation("HardSigmoid")).hint).toMatch(/^did you mean "hardSigmoid"\?/);
  });

  it("resolves a registered custom activation by name, fixed config included", () => {
    const cube = defineActivation({
      name: registered("acme>cube"),
      config: { power: 3 },
      f: (x) => x * x * x,
      df: (x) => 3 * x * x,
    });
    registerActivation(cube);
    expect(listActivations()).toContain("acme>cube");
    expect(roundTrip(cube)).toBe(cube);
    expect(getActivation("acme>cube")).toBe(cube);
    const e = errorOf(() => getActivation("acme>cube", { power: 2 }));
    expect(e.code).toBe("INVALID_CONFIG");
    expect(e.hint).toContain('registerActivation("acme>cube", (config) =>');
  });

  it("resolves a registered factory with any config", () => {
    registerActivation(registered("acme>scaledTanh"), (config = {}) => {
      const k = typeof config["k"] === "number" ? config["k"] : 1;
      return defineActivation({
        name: "acme>scaledTanh",
        config: { k },
        f: (x) => k * Math.tanh(x),
        df: (_x, y) => k - (y * y) / k,
      });
    });
    const act = getActivation("acme>scaledTanh", { k: 2 });
    expect(act.f(Math.LN2)).toBeCloseTo(1.2, 15);
    expectSameFunction(act, roundTrip(act));
    expect(getActivation("acme>scaledTanh").config).toEqual({ k: 1 });
  });

  it("protects built-ins and existing names", () => {
    const fake = defineActivation({ name: "relu", f: (x) => x, df: () => 1 });
    expect(errorOf(() => registerActivation(fake)).code).toBe("DUPLICATE_COMPONENT");
    expect(errorOf(() => registerActivation(defineActivation({ name: "linear", f: (x) => x, df: () => 1 }))).code).toBe(
      "DUPLICATE_COMPONENT",
    );
    const one = defineActivation({ name: registered("acme>dup"), f: (x) => x, df: () => 1 });
    const two = defineActivation({ name: "acme>dup", f: (x) => 2 * x, df: () => 2 });
    registerActivation(one);
    expect(errorOf(() => registerActivation(two)).code).toBe("DUPLICATE_COMPONENT");
    registerActivation(two, { override: true });
    expect(getActivation("acme>dup").f(1)).toBe(2);
    expect(unregisterActivation("acme>dup")).toBe(true);
    expect(errorOf(() => getActivation("acme>dup")).code).toBe("UNKNOWN_COMPONENT");
    expect(unregisterActivation("relu")).toBe(false);
    expect(getActivation("relu")).toBe(relu);
  });

  it("rejects things that are not activations or factories", () => {
    expect(errorOf(() => registerActivation({ name: "x", f: Math.sin } as unknown as Activation)).code).toBe(
      "INVALID_ARGUMENT",
    );
    expect(errorOf(() => registerActivation("x", 5 as unknown as () => Activation)).code).toBe("INVALID_ARGUMENT");
    registerActivation(registered("acme>broken"), () => 42 as unknown as Activation);
    expect(errorOf(() => getActivation("acme>broken")).code).toBe("INVALID_STATE");
    expect(errorOf(() => getActivation("")).code).toBe("INVALID_ARGUMENT");
  });

  it("looks in the per-call custom map before the registry", () => {
    const local = defineActivation({ name: "acme>local", f: (x) => -x, df: () => -1 });
    expect(getActivation("acme>local", undefined, { custom: { "acme>local": local } })).toBe(local);
    const factory = (config?: JsonObject) => leakyRelu({ alpha: typeof config?.["a"] === "number" ? config["a"] : 0.5 });
    expect(getActivation("acme>leaky", { a: 0.3 }, { custom: { "acme>leaky": factory } }).f(-1)).toBe(-0.3);
    const e = errorOf(() => getActivation("acme>other", undefined, { custom: { "acme>local": local } }));
    expect(e.code).toBe("UNKNOWN_COMPONENT");
    expect(e.message).toContain("acme>local)");
    expect(
      errorOf(() => getActivation("acme>bad", undefined, { custom: { "acme>bad": {} as unknown as Activation } })).code,
    ).toBe("INVALID_ARGUMENT");
  });
});

describe("resolveActivation", () => {
  it("accepts a name, a stored { name, config } or an activation", () => {
    expect(resolveActivation("relu")).toBe(relu);
    expect(resolveActivation({ name: "relu" })).toBe(relu);
    expect(resolveActivation({ name: "leakyRelu", config: { alpha: 0.3 } }).f(-1)).toBe(-0.3);
    expect(resolveActivation(sigmoid)).toBe(sigmoid);
    const own = defineActivation({ name: "acme>unregistered", f: (x) => x, df: () => 1 });
    expect(resolveActivation(own)).toBe(own);
  });

  it.each([
    [42, "INVALID_ARGUMENT"],
    [null, "INVALID_ARGUMENT"],
    [{ name: "acme>half", f: (x: number) => x / 2, df: () => 0.5 }, "INVALID_ARGUMENT"],
    [{ name: "relu", config: "none" }, "INVALID_CONFIG"],
    [{ name: "nope" }, "UNKNOWN_COMPONENT"],
  ])("rejects %j", (spec, code) => {
    expect(errorOf(() => resolveActivation(spec as unknown as ActivationSpec)).code).toBe(code);
  });
});

describe("two copies of the package in one node_modules", () => {
  it("share registered activations (the registry is keyed on globalThis)", async () => {
    // NOTE: the query makes vite load registry.ts again as a separate module instance, as a
    // nested second copy of @backprop/activations would be.
    const specifier = "./registry.ts?copy=2";
    const copy = (await import(/* @vite-ignore */ specifier)) as typeof import("./registry.js");
    expect(copy.registerActivation).not.toBe(registerActivation);
    expect(copy.getActivation).not.toBe(getActivation);

    const cube = defineActivation({ name: registered("acme>copyCube"), f: (x) => x ** 3, df: (x) => 3 * x * x });
    registerActivation(cube);
    expect(copy.getActivation("acme>copyCube")).toBe(cube);
    expect(copy.resolveActivation({ name: "acme>copyCube" })).toBe(cube);
    expect(copy.listActivations()).toContain("acme>copyCube");

    copy.registerActivation(registered("acme>copyLeaky"), (config) => leakyRelu(config));
    expect(getActivation("acme>copyLeaky", { alpha: 0.5 }).f(-2)).toBe(-1);
    expect(errorOf(() => registerActivation("acme>copyLeaky", () => relu)).code).toBe("DUPLICATE_COMPONENT");
    expect(unregisterActivation("acme>copyLeaky")).toBe(true);
    expect(errorOf(() => copy.getActivation("acme>copyLeaky")).code).toBe("UNKNOWN_COMPONENT");
  });
});
