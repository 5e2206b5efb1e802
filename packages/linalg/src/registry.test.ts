import { describe, expect, it } from "vitest";
import { BackpropError } from "./errors.js";
import { Registry } from "./registry.js";

function caught(fn: () => unknown): BackpropError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(BackpropError);
    return e as BackpropError;
  }
  throw new Error("expected a throw");
}

const builtins = () => ({ relu: 1, sigmoid: 2, elu: 3 });

describe("Registry", () => {
  it("resolves built-ins and registered entries", () => {
    const r = new Registry<number>("activation", builtins());
    expect(r.kind).toBe("activation");
    expect(r.get("sigmoid")).toBe(2);
    expect(r.has("relu")).toBe(true);
    expect(r.has("swish")).toBe(false);
    expect(r.find("swish")).toBeUndefined();
    r.register("acme>swish", 10);
    expect(r.get("acme>swish")).toBe(10);
    expect(r.find("acme>swish")).toBe(10);
    expect(r.has("acme>swish")).toBe(true);
  });

  it("returns falsy values as found", () => {
    const r = new Registry<number | string | boolean>("thing", { zero: 0 });
    r.register("empty", "");
    r.register("no", false);
    expect(r.get("zero")).toBe(0);
    expect(r.get("empty")).toBe("");
    expect(r.get("no")).toBe(false);
    expect(r.has("zero")).toBe(true);
  });

  it("never lets a built-in be replaced, even with override", () => {
    const r = new Registry<number>("activation", builtins());
    for (const options of [{}, { override: true }]) {
      const e = caught(() => r.register("relu", 99, options));
      expect(e.code).toBe("DUPLICATE_COMPONENT");
      expect(e.message).toContain('"relu" is a built-in activation');
      expect(e.message).toContain("help: ");
      expect(e.message).toContain("myproject>relu");
    }
    expect(r.get("relu")).toBe(1);
  });

  it("needs override to replace a registered entry", () => {
    const r = new Registry<number>("optimizer");
    r.register("mine", 1);
    const e = caught(() => r.register("mine", 2));
    expect(e.code).toBe("DUPLICATE_COMPONENT");
    expect(e.message).toContain('"mine" is already registered');
    expect(e.hint).toContain("override: true");
    expect(r.get("mine")).toBe(1);
    r.register("mine", 2, { override: true });
    expect(r.get("mine")).toBe(2);
    r.register("fresh", 3, { override: true });
    expect(r.get("fresh")).toBe(3);
  });

  it("rejects empty or non-string names", () => {
    const r = new Registry<number>("layer");
    expect(caught(() => r.register("", 1)).code).toBe("INVALID_ARGUMENT");
    expect(caught(() => r.register(5 as unknown as string, 1)).message).toContain("layer registry");
  });

  it("fails on an unknown name, listing every registered name and a hint", () => {
    const r = new Registry<number>("activation", builtins(), "call registerActivation(name, factory)");
    r.register("acme>swish", 4);
    const e = caught(() => r.get("swissh"));
    expect(e.code).toBe("UNKNOWN_COMPONENT");
    expect(e.message).toContain('unknown activation "swissh"');
    expect(e.message).toContain("registered: elu, relu, sigmoid, acme>swish");
    expect(e.hint).toBe("call registerActivation(name, factory)");
    expect(e.message.split("\n").at(-1)).toBe("help: call registerActivation(name, factory)");
  });

  it("has a default hint naming the kind", () => {
    const e = caught(() => new Registry<number>("optimizer").get("adamw"));
    expect(e.message).toContain("registered: )");
    expect(e.hint).toContain("optimizer registry");
    expect(e.message).toContain("help: ");
  });

  it("lists names built-ins first, each group sorted", () => {
    const r = new Registry<number>("activation", builtins());
    r.register("zeta", 1);
    r.register("acme>b", 2);
    r.register("acme>a", 3);
    expect(r.names()).toEqual(["elu", "relu", "sigmoid", "acme>a", "acme>b", "zeta"]);
    expect(r.builtinNames()).toEqual(["elu", "relu", "sigmoid"]);
  });

  it("unregisters user entries only", () => {
    const r = new Registry<number>("activation", builtins());
    r.register("mine", 1);
    expect(r.unregister("mine")).toBe(true);
    expect(r.has("mine")).toBe(false);
    expect(r.unregister("mine")).toBe(false);
    expect(r.unregister("relu")).toBe(false);
    expect(r.get("relu")).toBe(1);
    expect(r.names()).toEqual(["elu", "relu", "sigmoid"]);
    r.register("mine", 5);
    expect(r.get("mine")).toBe(5);
  });

  it("keeps registries apart, even built from the same object", () => {
    const shared = builtins();
    const a = new Registry<number>("activation", shared);
    const b = new Registry<number>("activation", shared);
    a.register("only-a", 1);
    expect(b.has("only-a")).toBe(false);
    shared.relu = 100;
    expect(a.get("relu")).toBe(1);
  });

  it("is not fooled by Object.prototype names", () => {
    const r = new Registry<number>("activation", builtins());
    expect(r.has("constructor")).toBe(false);
    expect(r.has("toString")).toBe(false);
    expect(caught(() => r.get("__proto__")).code).toBe("UNKNOWN_COMPONENT");
  });
});
