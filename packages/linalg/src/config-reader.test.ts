import { describe, expect, it } from "vitest";
import { describeRange, describeValue, isPlainObject, readConfig, readField } from "./config-reader.js";
import { BackpropError } from "./errors.js";

function caught(fn: () => unknown): BackpropError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(BackpropError);
    return e as BackpropError;
  }
  throw new Error("expected a throw");
}

const HUBER = { delta: { type: "number", default: 1, min: 0, minExclusive: true } } as const;

describe("readConfig", () => {
  it("fills in defaults for absent keys and an absent config", () => {
    expect(readConfig("huber", undefined, HUBER)).toEqual({ delta: 1 });
    expect(readConfig("huber", {}, HUBER)).toEqual({ delta: 1 });
    expect(readConfig("huber", { delta: undefined }, HUBER)).toEqual({ delta: 1 });
    expect(readConfig("huber", { delta: 2.5 }, HUBER)).toEqual({ delta: 2.5 });
    expect(readConfig("relu", undefined, {})).toEqual({});
  });

  it("reads every field type", () => {
    const values = readConfig(
      "varianceScaling",
      { scale: 2, mode: "fanAvg", fromLogits: true, name: "x" },
      {
        scale: { type: "number", default: 1 },
        mode: { type: "string", default: "fanIn", oneOf: ["fanIn", "fanOut", "fanAvg"] },
        fromLogits: { type: "boolean", default: false },
        name: { type: "string" },
        seed: { type: "number", optional: true },
        then: { type: "custom", default: 3, read: (value) => `read ${String(value)}` },
      },
    );
    expect(values).toEqual({ scale: 2, mode: "fanAvg", fromLogits: true, name: "x", seed: undefined, then: "read 3" });
  });

  it("rejects anything but a plain object, naming the accepted shape", () => {
    const schema = { initial: { type: "number" }, gamma: { type: "number", default: 0.1 } } as const;
    for (const config of [null, 5, "x", [1], new Date(0)]) {
      const e = caught(() => readConfig("stepDecay", config, schema));
      expect(e.code).toBe("INVALID_CONFIG");
      expect(e.message).toBe(`stepDecay: config must be an object (got ${describeValue(config)}, expected { initial, gamma? })`);
    }
    expect(caught(() => readConfig("relu", 1, {})).message).toBe("relu: config must be an object (got 1, expected {})");
  });

  it("rejects unknown keys, listing the accepted ones, with a hint", () => {
    const e = caught(() => readConfig("huber", { detla: 1 }, HUBER));
    expect(e.code).toBe("INVALID_CONFIG");
    expect(e.message.split("\n")[0]).toBe('huber: unknown config key "detla" (expected one of: delta)');
    expect(e.hint).toContain("check the spelling");
    const none = caught(() => readConfig("glorotUniform", { seed: 1 }, {}));
    expect(none.message.split("\n")[0]).toBe('glorotUniform: unknown config key "seed" (expected no keys)');
    expect(none.hint).toBe("glorotUniform takes no config: pass nothing or {}");
  });

  it("is not fooled by Object.prototype names", () => {
    expect(caught(() => readConfig("huber", { constructor: 1 }, HUBER)).message).toContain('unknown config key "constructor"');
    const parsed: unknown = JSON.parse('{"__proto__": 1}');
    expect(caught(() => readConfig("huber", parsed, HUBER)).message).toContain('unknown config key "__proto__"');
    expect(readConfig("huber", Object.create(null) as object, HUBER)).toEqual({ delta: 1 });
  });

  it("types and ranges values, naming the key, the value and the expectation", () => {
    const cases: [unknown, string][] = [
      [{ delta: 0 }, "huber: invalid delta (got 0, expected a finite number > 0)"],
      [{ delta: "1" }, 'huber: invalid delta (got "1", expected a finite number > 0)'],
      [{ delta: Number.NaN }, "huber: invalid delta (got NaN, expected a finite number > 0)"],
      [{ delta: Infinity }, "huber: invalid delta (got Infinity, expected a finite number > 0)"],
      [{ delta: null }, "huber: invalid delta (got null, expected a finite number > 0)"],
    ];
    for (const [config, message] of cases) {
      const e = caught(() => readConfig("huber", config, HUBER));
      expect(e.code).toBe("INVALID_CONFIG");
      expect(e.message).toBe(message);
    }
    expect(caught(() => readConfig("gelu", { approximate: 1 }, { approximate: { type: "boolean", default: false } })).message).toBe(
      "gelu: invalid approximate (got 1, expected true or false)",
    );
    const mode = { mode: { type: "string", default: "fanIn", oneOf: ["fanIn", "fanOut"] } } as const;
    expect(caught(() => readConfig("varianceScaling", { mode: "fan_in" }, mode)).message).toBe(
      'varianceScaling: invalid mode (got "fan_in", expected one of: "fanIn", "fanOut")',
    );
    expect(caught(() => readConfig("x", { name: 3 }, { name: { type: "string" } })).message).toBe("x: invalid name (got 3, expected a string)");
  });

  it("fails on absent required keys and checks defaults too", () => {
    const schema = { decaySteps: { type: "number", min: 0, minExclusive: true, integer: true } } as const;
    expect(caught(() => readConfig("cosineDecay", {}, schema)).message).toBe(
      "cosineDecay: invalid decaySteps (got undefined, expected an integer > 0)",
    );
    expect(caught(() => readConfig("x", {}, { beta: { type: "number", default: 2, max: 1 } })).message).toBe(
      "x: invalid beta (got 2, expected a finite number ≤ 1)",
    );
  });

  it("reads null as absent for nullable fields only", () => {
    const clip = { clipNorm: { type: "number", optional: true, nullable: true, min: 0, minExclusive: true } } as const;
    expect(readConfig("adam", { clipNorm: null }, clip)).toEqual({ clipNorm: undefined });
    expect(readConfig("adam", { clipNorm: 1 }, clip)).toEqual({ clipNorm: 1 });
    expect(readConfig("stepDecay", { gamma: null }, { gamma: { type: "number", default: 0.1, nullable: true } })).toEqual({ gamma: 0.1 });
    expect(caught(() => readConfig("adam", { clipNorm: 0 }, clip)).message).toBe("adam: invalid clipNorm (got 0, expected a finite number > 0)");
  });

  it("lets a custom field throw its own error", () => {
    const then = {
      then: {
        type: "custom",
        read: (value: unknown, key: string): number => {
          if (typeof value !== "number") throw new BackpropError("INVALID_CONFIG", `linearWarmup: invalid ${key} (got ${describeValue(value)})`);
          return value;
        },
      },
    } as const;
    expect(readConfig("linearWarmup", { then: 0.1 }, then).then).toBe(0.1);
    expect(caught(() => readConfig("linearWarmup", {}, then)).message).toBe("linearWarmup: invalid then (got undefined)");
  });
});

describe("readField", () => {
  it("checks a single option like a config key", () => {
    expect(readField("clipGradNorm", "maxNorm", 2, { type: "number", min: 0, minExclusive: true })).toBe(2);
    expect(readField("x", "k", undefined, { type: "boolean", default: true })).toBe(true);
    expect(caught(() => readField("clipGradNorm", "maxNorm", 0, { type: "number", min: 0, minExclusive: true })).message).toBe(
      "clipGradNorm: invalid maxNorm (got 0, expected a finite number > 0)",
    );
  });
});

describe("describeRange", () => {
  it.each([
    [{}, "a finite number"],
    [{ integer: true }, "an integer"],
    [{ min: 0 }, "a finite number ≥ 0"],
    [{ min: 0, minExclusive: true }, "a finite number > 0"],
    [{ min: 0, minExclusive: true, integer: true }, "an integer > 0"],
    [{ max: 1 }, "a finite number ≤ 1"],
    [{ max: 1, maxExclusive: true }, "a finite number < 1"],
    [{ min: 0, max: 1 }, "a finite number in [0, 1]"],
    [{ min: 0, max: 1, maxExclusive: true }, "a finite number in [0, 1)"],
    [{ min: 0, max: 0.5, minExclusive: true, maxExclusive: true }, "a finite number in (0, 0.5)"],
  ])("%j reads %s", (range, text) => {
    expect(describeRange(range)).toBe(text);
  });

  it("agrees with the check at the bounds", () => {
    const field = { type: "number", min: 0, max: 1, maxExclusive: true } as const;
    expect(readField("x", "k", 0, field)).toBe(0);
    expect(caught(() => readField("x", "k", 1, field)).message).toContain("expected a finite number in [0, 1)");
    expect(caught(() => readField("x", "k", 1.5, { type: "number", integer: true })).message).toContain("expected an integer");
  });
});

describe("describeValue and isPlainObject", () => {
  it("print values briefly", () => {
    expect(describeValue(undefined)).toBe("undefined");
    expect(describeValue("a")).toBe('"a"');
    expect(describeValue(Math.sin)).toBe("a function");
    expect(describeValue({ a: 1 })).toBe('{"a":1}');
    expect(describeValue({ text: "x".repeat(100) })).toHaveLength(60);
    const cyclic: Record<string, unknown> = {};
    cyclic["self"] = cyclic;
    expect(describeValue(cyclic)).toBe("an object");
  });

  it("tell plain objects from arrays, null and class instances", () => {
    expect(isPlainObject({})).toBe(true);
    expect(isPlainObject(Object.create(null))).toBe(true);
    expect(isPlainObject([])).toBe(false);
    expect(isPlainObject(null)).toBe(false);
    expect(isPlainObject(new Map())).toBe(false);
  });
});
