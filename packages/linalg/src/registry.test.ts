import { afterEach, describe, expect, it } from "vitest";
import { BackpropError } from "./errors.js";
import type { JsonObject } from "./json.js";
import { Registry, type RegistryOptions } from "./registry.js";

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

// NOTE: user entries are shared by every registry of a kind (on globalThis), so each test removes
// the entries it added through any registry it made.
const made: { names(): string[]; unregister(name: string): boolean }[] = [];
function track<R extends { names(): string[]; unregister(name: string): boolean }>(registry: R): R {
  made.push(registry);
  return registry;
}
function registry<T>(kind: string, entries?: Readonly<Record<string, T>>, hint?: string): Registry<T> {
  return track(new Registry<T>(kind, entries, hint));
}
afterEach(() => {
  for (const r of made.splice(0)) for (const name of r.names()) r.unregister(name);
});

describe("Registry", () => {
  it("resolves built-ins and registered entries", () => {
    const r = registry<number>("activation", builtins());
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
    const r = registry<number | string | boolean>("thing", { zero: 0 });
    r.register("empty", "");
    r.register("no", false);
    expect(r.get("zero")).toBe(0);
    expect(r.get("empty")).toBe("");
    expect(r.get("no")).toBe(false);
    expect(r.has("zero")).toBe(true);
  });

  it("never lets a built-in be replaced, even with override", () => {
    const r = registry<number>("activation", builtins());
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
    const r = registry<number>("optimizer");
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
    const r = registry<number>("layer");
    expect(caught(() => r.register("", 1)).code).toBe("INVALID_ARGUMENT");
    expect(caught(() => r.register(5 as unknown as string, 1)).message).toContain("layer registry");
  });

  it("fails on an unknown name, listing every registered name and a hint", () => {
    const r = registry<number>("activation", builtins(), "call registerActivation(name, factory)");
    r.register("acme>swish", 4);
    const e = caught(() => r.get("swissh"));
    expect(e.code).toBe("UNKNOWN_COMPONENT");
    expect(e.message).toContain('unknown activation "swissh"');
    expect(e.message).toContain("registered: elu, relu, sigmoid, acme>swish");
    expect(e.hint).toBe("call registerActivation(name, factory)");
    expect(e.message.split("\n").at(-1)).toBe("help: call registerActivation(name, factory)");
  });

  it("has a default hint naming the kind", () => {
    const e = caught(() => registry<number>("optimizer").get("adamw"));
    expect(e.message).toContain("registered: )");
    expect(e.hint).toContain("optimizer registry");
    expect(e.message).toContain("help: ");
  });

  it("lists names built-ins first, each group sorted", () => {
    const r = registry<number>("activation", builtins());
    r.register("zeta", 1);
    r.register("acme>b", 2);
    r.register("acme>a", 3);
    expect(r.names()).toEqual(["elu", "relu", "sigmoid", "acme>a", "acme>b", "zeta"]);
    expect(r.builtinNames()).toEqual(["elu", "relu", "sigmoid"]);
  });

  it("unregisters user entries only", () => {
    const r = registry<number>("activation", builtins());
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

  it("keeps built-ins per registry and shares user entries per kind", () => {
    const shared = builtins();
    const a = registry<number>("activation", shared);
    const b = registry<number>("activation", { gelu: 4 });
    const other = registry<number>("optimizer", shared);
    a.register("acme>shared", 1);
    expect(b.get("acme>shared")).toBe(1);
    expect(b.names()).toEqual(["gelu", "acme>shared"]);
    expect(other.has("acme>shared")).toBe(false);
    expect(b.has("relu")).toBe(false);
    expect(a.has("gelu")).toBe(false);
    expect(b.unregister("acme>shared")).toBe(true);
    expect(a.has("acme>shared")).toBe(false);
    shared.relu = 100;
    expect(a.get("relu")).toBe(1);
  });

  it("keeps user entries in a Map on globalThis under Symbol.for(\"backprop.registry.<kind>\")", () => {
    const r = registry<number>("test-global");
    r.register("acme>x", 7);
    const map: unknown = (globalThis as unknown as Record<symbol, unknown>)[Symbol.for("backprop.registry.test-global")];
    expect(map).toBeInstanceOf(Map);
    expect((map as Map<string, number>).get("acme>x")).toBe(7);
  });

  it("shares user entries with a second copy of the module, built-ins stay per copy", async () => {
    // NOTE: the query makes vite evaluate registry.ts again as a separate module instance, as a
    // nested second copy of the package in node_modules would be.
    const specifier = "./registry.ts?copy=2";
    const copy = (await import(/* @vite-ignore */ specifier)) as typeof import("./registry.js");
    expect(copy.Registry).not.toBe(Registry);
    const mine = registry<number>("activation", builtins());
    const theirs = track(new copy.Registry<number>("activation", { swish: 9 }));
    expect(theirs).not.toBeInstanceOf(Registry);

    mine.register("acme>fromMine", 1);
    expect(theirs.get("acme>fromMine")).toBe(1);
    theirs.register("acme>fromTheirs", 2);
    expect(mine.get("acme>fromTheirs")).toBe(2);
    expect(mine.names()).toEqual(["elu", "relu", "sigmoid", "acme>fromMine", "acme>fromTheirs"]);
    expect(caught(() => theirs.register("acme>fromMine", 3)).code).toBe("DUPLICATE_COMPONENT");
    expect(theirs.unregister("acme>fromMine")).toBe(true);
    expect(caught(() => mine.get("acme>fromMine")).code).toBe("UNKNOWN_COMPONENT");
    expect(theirs.has("relu")).toBe(false);
    expect(mine.has("swish")).toBe(false);
  });

  it("puts built-ins before user entries of another copy with the same name", () => {
    const older = registry<number>("activation", builtins());
    older.register("gelu", 1);
    const newer = registry<number>("activation", { ...builtins(), gelu: 4 });
    expect(newer.get("gelu")).toBe(4);
    expect(newer.names()).toEqual(["elu", "gelu", "relu", "sigmoid"]);
    expect(newer.unregister("gelu")).toBe(false);
    expect(older.get("gelu")).toBe(1);
  });

  it("is not fooled by Object.prototype names", () => {
    const r = registry<number>("activation", builtins());
    expect(r.has("constructor")).toBe(false);
    expect(r.has("toString")).toBe(false);
    expect(caught(() => r.get("__proto__")).code).toBe("UNKNOWN_COMPONENT");
  });
});

interface Shape {
  readonly name: string;
  readonly config: JsonObject;
  readonly sides: number;
}
type ShapeFactory = (config?: JsonObject) => Shape;

function isShape(value: unknown): value is Shape {
  return typeof value === "object" && value !== null && typeof (value as { sides?: unknown }).sides === "number";
}

function polygon(name: string, sides: number): ShapeFactory {
  return (config = {}) => {
    const scale = config["scale"] ?? 1;
    if (typeof scale !== "number") throw new BackpropError("INVALID_CONFIG", `${name}: invalid scale`);
    return { name, config: { scale }, sides: sides * scale };
  };
}

function shapes(extra: Partial<RegistryOptions<ShapeFactory, Shape>> = {}): Registry<ShapeFactory> {
  return track(
    new Registry<ShapeFactory>({
      kind: "shape",
      builtins: { square: polygon("square", 4), triangle: polygon("triangle", 3) },
      registerHint: (name) => `register it first: registerShape("${name}", (config) => …)`,
      where: { get: "getShape", resolve: "resolveShape", register: "registerShape" },
      component: { label: "a Shape", is: isShape, keys: ["sides"] },
      ...extra,
    }),
  );
}

describe("Registry.create", () => {
  it("calls the factory with the config", () => {
    const r = shapes();
    expect(r.create("square")).toEqual({ name: "square", config: { scale: 1 }, sides: 4 });
    expect(r.create("triangle", { scale: 2 }).sides).toBe(6);
    expect(caught(() => r.create("square", { scale: "big" })).code).toBe("INVALID_CONFIG");
  });

  it("explains an unknown name with the registry's prefix, the names, and a hint built from the name", () => {
    const r = shapes();
    r.register("acme>hexagon", polygon("acme>hexagon", 6));
    const e = caught(() => r.create("pentagon"));
    expect(e.code).toBe("UNKNOWN_COMPONENT");
    expect(e.message).toMatch(/^getShape: unknown shape "pentagon" \(registered: square, triangle, acme>hexagon\)/);
    expect(e.hint).toBe('register it first: registerShape("pentagon", (config) => …)');
  });

  it("suggests the registered spelling of a near miss", () => {
    const r = shapes();
    expect(caught(() => r.create("Tri_angle")).hint).toBe('did you mean "triangle"? Otherwise register it first: registerShape("Tri_angle", (config) => …)');
    expect(caught(() => r.get("SQUARE")).hint).toMatch(/^did you mean "square"\?/);
  });

  it("rejects empty names and factories that do not build a component", () => {
    const r = shapes();
    const empty = caught(() => r.create(""));
    expect(empty.code).toBe("INVALID_ARGUMENT");
    expect(empty.message).toBe('getShape: name must be a non-empty string (got "", expected e.g. "square")');
    r.register("acme>broken", () => 42 as unknown as Shape);
    const broken = caught(() => r.create("acme>broken"));
    expect(broken.code).toBe("INVALID_STATE");
    expect(broken.message).toMatch(/^getShape\("acme>broken"\): the registered factory returned 42 \(expected a Shape\)/);
  });

  it("looks in the per-call custom map first, with factories or built components", () => {
    const r = shapes();
    const star: Shape = { name: "acme>star", config: {}, sides: 10 };
    expect(r.create("acme>star", undefined, { custom: { "acme>star": star } })).toBe(star);
    expect(r.create("square", { scale: 3 }, { custom: { square: polygon("square", 40) } }).sides).toBe(120);
    const unknown = caught(() => r.create("acme>moon", undefined, { custom: { "acme>star": star } }));
    expect(unknown.code).toBe("UNKNOWN_COMPONENT");
    expect(unknown.message).toContain("registered: square, triangle, acme>star)");
    const bad = caught(() => r.create("acme>bad", undefined, { custom: { "acme>bad": 5 as unknown as Shape } }));
    expect(bad.code).toBe("INVALID_ARGUMENT");
    expect(bad.message).toContain('custom entry "acme>bad" is neither a Shape nor a factory (got 5');
  });

  it("builds custom components given as is through the fixed entry", () => {
    const fixed = (shape: Shape, name: string): ShapeFactory => (config) => {
      if (config !== undefined) throw new BackpropError("INVALID_CONFIG", `${name}: takes no config`);
      return shape;
    };
    const r = shapes({ component: { label: "a Shape", is: isShape, fixed } });
    const star: Shape = { name: "acme>star", config: {}, sides: 10 };
    expect(r.create("acme>star", undefined, { custom: { "acme>star": star } })).toBe(star);
    expect(caught(() => r.create("acme>star", {}, { custom: { "acme>star": star } })).code).toBe("INVALID_CONFIG");
  });

  it("builds through the component's create when entries are not plain factories", () => {
    const r = track(
      new Registry<{ readonly sides: number }, Shape>({
        kind: "shape-table",
        builtins: { square: { sides: 4 } },
        isEntry: (v): v is { readonly sides: number } => typeof v === "object" && v !== null,
        component: { label: "a Shape", is: isShape, create: (entry, _config, name) => ({ name, config: {}, sides: entry.sides }) },
      }),
    );
    expect(r.create("square")).toEqual({ name: "square", config: {}, sides: 4 });
    expect(caught(() => r.register("acme>x", 3 as unknown as { sides: number })).code).toBe("INVALID_ARGUMENT");
  });

  it("checks registered values are factories when it builds components", () => {
    const r = shapes();
    const e = caught(() => r.register("acme>x", 5 as unknown as ShapeFactory));
    expect(e.code).toBe("INVALID_ARGUMENT");
    expect(e.message).toBe('registerShape("acme>x"): factory must be a function (got 5, expected (config) => shape)');
    expect(caught(() => r.register("square", polygon("square", 5))).message).toContain('registerShape: "square" is a built-in shape');
  });

  it("builds its built-ins on first use only", () => {
    let calls = 0;
    const r = shapes({
      builtins: () => {
        calls++;
        return { circle: polygon("circle", 0) };
      },
    });
    expect(calls).toBe(0);
    expect(r.create("circle").sides).toBe(0);
    expect(r.names()).toEqual(["circle"]);
    expect(calls).toBe(1);
  });
});

describe("Registry.resolve", () => {
  it("accepts a name, a stored { name, config } or a built component", () => {
    const r = shapes();
    expect(r.resolve("square").sides).toBe(4);
    expect(r.resolve({ name: "triangle" }).sides).toBe(3);
    expect(r.resolve({ name: "triangle", config: { scale: 3 } }).sides).toBe(9);
    const built = r.create("square");
    expect(r.resolve(built)).toBe(built);
    const stored = JSON.parse(JSON.stringify({ name: built.name, config: built.config })) as { name: string; config: JsonObject };
    expect(r.resolve(stored)).toEqual(built);
  });

  it("finds user entries, per-call custom entries too", () => {
    const r = shapes();
    r.register("acme>hexagon", polygon("acme>hexagon", 6));
    expect(r.resolve({ name: "acme>hexagon", config: { scale: 2 } }).sides).toBe(12);
    expect(r.resolve("acme>octagon", { custom: { "acme>octagon": polygon("acme>octagon", 8) } }).sides).toBe(8);
  });

  it.each([
    [42, "INVALID_ARGUMENT", /^resolveShape: invalid shape \(got 42, expected a name, \{ name, config \} or a Shape\)/],
    [null, "INVALID_ARGUMENT", /got null/],
    [[1], "INVALID_ARGUMENT", /got \[1\]/],
    [{ config: {} }, "INVALID_ARGUMENT", /invalid shape/],
    [{ name: "acme>half", sides: "3" }, "INVALID_ARGUMENT", /invalid shape/],
    [{ name: "square", config: "big" }, "INVALID_CONFIG", /^resolveShape\("square"\): config must be an object \(got "big", expected e\.g\. \{\}\)/],
    [{ name: "circle" }, "UNKNOWN_COMPONENT", /unknown shape "circle"/],
  ])("rejects %j", (spec, code, message) => {
    const e = caught(() => shapes().resolve(spec as never));
    expect(e.code).toBe(code);
    expect(e.message).toMatch(message);
  });

  it("recognises components by their methods when no `is` is given", () => {
    interface Greeter {
      readonly name: string;
      greet(): string;
    }
    const r = track(
      new Registry<(config?: JsonObject) => Greeter>({
        kind: "greeter",
        builtins: { hello: () => ({ name: "hello", greet: () => "hi" }) },
        component: { label: "a Greeter", keys: ["greet"] },
      }),
    );
    const greeter = r.create("hello");
    expect(r.resolve(greeter)).toBe(greeter);
    expect(r.resolve({ name: "hello" })).not.toBe(greeter);
    expect(caught(() => r.resolve({ name: "hello", greet: "hi" } as never)).code).toBe("INVALID_ARGUMENT");
    r.register("acme>broken", () => ({ name: "acme>broken" }) as Greeter);
    expect(caught(() => r.create("acme>broken")).code).toBe("INVALID_STATE");
  });

  it("hints at the registered names, or the component's own hint", () => {
    expect(caught(() => shapes().resolve(7 as never)).hint).toBe("registered: square, triangle");
    const hinted = shapes({ component: { label: "a Shape", is: isShape, hint: "build one with polygon()" } });
    expect(caught(() => hinted.resolve(7 as never)).hint).toBe("build one with polygon()");
  });
});
