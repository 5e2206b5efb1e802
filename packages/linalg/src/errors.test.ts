import { describe, expect, it } from "vitest";
import { BackpropError, ShapeMismatchError, isBackpropError } from "./errors.js";

describe("BackpropError", () => {
  it("carries a code, a stable name, and the message", () => {
    const e = new BackpropError("INVALID_CONFIG", "sgd: lr must be positive (got -1, expected > 0)");
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe("BackpropError");
    expect(e.code).toBe("INVALID_CONFIG");
    expect(e.message).toBe("sgd: lr must be positive (got -1, expected > 0)");
    expect(e.hint).toBeUndefined();
    expect(e.cause).toBeUndefined();
    expect(String(e)).toBe("BackpropError: sgd: lr must be positive (got -1, expected > 0)");
  });

  it("appends the hint as a help: line", () => {
    const e = new BackpropError("UNKNOWN_COMPONENT", 'unknown activation "swish"', {
      hint: "register it first",
    });
    expect(e.hint).toBe("register it first");
    expect(e.message).toBe('unknown activation "swish"\nhelp: register it first');
    expect(e.message.split("\n")).toEqual(['unknown activation "swish"', "help: register it first"]);
  });

  it("keeps the cause", () => {
    const cause = new SyntaxError("Unexpected token");
    const e = new BackpropError("INVALID_FILE", "load: not JSON", { cause });
    expect(e.cause).toBe(cause);
  });

  it("ShapeMismatchError is a BackpropError with code SHAPE_MISMATCH", () => {
    const e = new ShapeMismatchError("matmul: inner dimensions differ (a is 2×3, b is 4×5)", { hint: "transpose b" });
    expect(e).toBeInstanceOf(BackpropError);
    expect(e).toBeInstanceOf(ShapeMismatchError);
    expect(e.code).toBe("SHAPE_MISMATCH");
    expect(e.name).toBe("BackpropError");
    expect(e.message).toContain("\nhelp: transpose b");
    expect(isBackpropError(e)).toBe(true);
  });
});

describe("isBackpropError", () => {
  it("is true for our errors", () => {
    expect(isBackpropError(new BackpropError("NON_FINITE", "loss is NaN"))).toBe(true);
  });

  it("is true for an error from another copy of the package", () => {
    // A second copy has its own class, so instanceof fails; name and code still match.
    class ForeignBackpropError extends Error {
      readonly code: string;
      constructor(code: string, message: string) {
        super(message);
        this.code = code;
        this.name = "BackpropError";
      }
    }
    const foreign = new ForeignBackpropError("SHAPE_MISMATCH", "add: shapes do not match");
    expect(foreign instanceof BackpropError).toBe(false);
    expect(isBackpropError(foreign)).toBe(true);
    if (isBackpropError(foreign)) expect(foreign.code).toBe("SHAPE_MISMATCH");
  });

  it("is false for other errors and non-errors", () => {
    expect(isBackpropError(new Error("plain"))).toBe(false);
    expect(isBackpropError(new TypeError("x is not a function"))).toBe(false);
    const named = new Error("no code");
    named.name = "BackpropError";
    expect(isBackpropError(named)).toBe(false);
    const coded = Object.assign(new Error("wrong name"), { code: "SHAPE_MISMATCH" });
    expect(isBackpropError(coded)).toBe(false);
    const numeric = Object.assign(new Error("numeric code"), { code: 42 });
    numeric.name = "BackpropError";
    expect(isBackpropError(numeric)).toBe(false);
    expect(isBackpropError(null)).toBe(false);
    expect(isBackpropError(undefined)).toBe(false);
    expect(isBackpropError("BackpropError")).toBe(false);
    expect(isBackpropError({ name: "BackpropError", code: "SHAPE_MISMATCH", message: "" })).toBe(false);
  });
});
