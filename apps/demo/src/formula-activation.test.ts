import { Matrix } from "@backprop/linalg";
import { Dense, Sequential } from "@backprop/layers";
import { sgd } from "@backprop/optimizers";
import { describe, expect, it } from "vitest";
import { FORMULA_ACTIVATION_NAME, FormulaError, MAX_FORMULA_DEPTH, MAX_FORMULA_NESTING, compileFormula, formulaActivation, formulaNesting, numericDerivative } from "./formula-activation.js";

describe("compileFormula", () => {
  it.each([
    ["x^2 + 3x - 1", (x: number) => x * x + 3 * x - 1],
    ["2 * sin(x) / (1 + e^x)", (x: number) => (2 * Math.sin(x)) / (1 + Math.E ** x)],
    ["max(0, x) + min(x, -1, 2)", (x: number) => Math.max(0, x) + Math.min(x, -1, 2)],
    ["x > 0 ? x : 0.1 * x", (x: number) => (x > 0 ? x : 0.1 * x)],
    ["-(x) + +x - -x", (x: number) => x],
    ["log(x^2 + 1, 2) + ln(abs(x) + 1) + tanh(x) * pi", (x: number) => Math.log2(x * x + 1) + Math.log(Math.abs(x) + 1) + Math.tanh(x) * Math.PI],
    ["x * sigmoid(x)", (x: number) => x / (1 + Math.exp(-x))],
    ["pow(x, 3) + mod(x, 2) + atan2(x, 1)", (x: number) => x ** 3 + (x - 2 * Math.floor(x / 2)) + Math.atan2(x, 1)],
    ["(x >= 1 and x <= 2) or x == -3 ? 1 : 0", (x: number) => Number((x >= 1 && x <= 2) || x === -3)],
  ])("%s", (source, expected) => {
    const f = compileFormula(source);
    for (const x of [-3, -1.5, -0.2, 0, 0.7, 1, 1.5, 2, 4.25]) expect(f(x), `x = ${x}`).toBeCloseTo(expected(x), 12);
  });

  it.each([
    ["", "empty"],
    ["y + 1", 'unknown name "y"'],
    ["foo(x)", "unknown function foo"],
    ["sin(x, 2)", "unknown function sin"],
    ["x +", "cannot parse"],
    ["f(x) = x", "not allowed"],
    ["[1, 2]", "not allowed"],
    ["a = 3", "not allowed"],
    ['"x"', "only numbers"],
    ["x!", "not supported"],
    ["x".padEnd(501, " + x"), "too long"],
  ])("rejects %j", (source, reason) => {
    expect(() => compileFormula(source)).toThrow(FormulaError);
    expect(() => compileFormula(source)).toThrow(reason);
  });

  it("never reaches JavaScript globals through a name", () => {
    for (const source of ["constructor", "x.constructor", "globalThis", "import(x)", "eval(x)", "Function(x)"]) {
      expect(() => compileFormula(source), source).toThrow(FormulaError);
    }
  });

  // The parser is a port of math.js 15's grammar (math.js itself is no longer bundled): these pin
  // the syntax people may have typed into saved links and model files.
  it.each([
    ["2x + 3 x - x 2", (x: number) => 3 * x],
    ["(x + 1)(x - 1)", (x: number) => x * x - 1],
    ["sin(x)(x + 1)", (x: number) => Math.sin(x) * (x + 1)],
    ["1/2x", (x: number) => x / 2],
    ["-2^2 + 2^3^2 + 2^-x", (x: number) => -4 + 512 + 2 ** -x],
    ["x mod 3 + x % 2", (x: number) => x - 3 * Math.floor(x / 3) + (x - 2 * Math.floor(x / 2))],
    ["x + 50%", (x: number) => 1.5 * x],
    ["0x10 + 0b11 + 0o7 + 1.5e1 + .5 + 2e-1x", (x: number) => 41.5 + 0.2 * x],
    ["not (x > 0 and x < 1)", (x: number) => Number(!(x > 0 && x < 1))],
    ["x < 0 ? -1 : x < 1 ? 0 : 1", (x: number) => (x < 0 ? -1 : x < 1 ? 0 : 1)],
    ["max(x,\n 0) # a comment", (x: number) => Math.max(x, 0)],
    ["Infinity > x ? E : PI", () => Math.E],
  ])("reads math.js syntax: %j", (source, expected) => {
    const f = compileFormula(source);
    for (const x of [-3, -1.5, -0.2, 0, 0.7, 1, 1.5, 2, 4.25]) expect(f(x), `x = ${x}`).toBeCloseTo(expected(x), 12);
  });

  it("binds a division of two numbers tighter than the implicit product after it, and nothing else", () => {
    expect(compileFormula("x/2x")(3)).toBe(0.5);
    expect(compileFormula("1/2(x)")(3)).toBe(1.5);
  });

  it.each([
    ["oops(", 'cannot parse "oops(": Unexpected end of expression (char 6)'],
    ["2 3", 'Unexpected part "3" (char 3)'],
    ["(x", "Parenthesis ) expected (char 3)"],
    ["x @ 1", 'Syntax error in part "@ 1" (char 3)'],
    ["x ? 1", "False part of conditional expression expected (char 6)"],
    ["1e+", 'Digit expected, got ""'],
    ["x; 1", '"block" expressions are not allowed'],
    ["0 < x < 1", '"relational" expressions are not allowed'],
    ["1:3", '"range" expressions are not allowed'],
    ["{a: 1}", '"object" expressions are not allowed'],
    ["x[1]", '"accessor" expressions are not allowed'],
    ["x.sin(1)", "only a function name may be called"],
    ["x to 1", 'the operator "to" is not supported'],
    ["x & 1", 'the operator "&" is not supported'],
    ["true", "only numbers may appear as constants (got true)"],
  ])("rejects %j saying where and why", (source, reason) => {
    expect(() => compileFormula(source)).toThrow(FormulaError);
    expect(() => compileFormula(source)).toThrow(reason);
  });
});

describe("numericDerivative", () => {
  it("matches analytic derivatives to 1e-7", () => {
    for (const x of [-4, -1, 0, 0.5, 3]) {
      expect(numericDerivative(Math.sin)(x)).toBeCloseTo(Math.cos(x), 7);
      expect(numericDerivative((v) => v ** 3)(x)).toBeCloseTo(3 * x * x, 7);
    }
  });
});

describe("formulaActivation", () => {
  it("builds an activation whose config records both formulas", () => {
    const { activation, numericDerivative: numeric } = formulaActivation({ f: " x^3 ", df: "3x^2" });
    expect(numeric).toBe(false);
    expect(activation.name).toBe(FORMULA_ACTIVATION_NAME);
    expect(activation.config).toEqual({ f: "x^3", df: "3x^2" });
    expect(activation.f(2)).toBe(8);
    expect(activation.df(2, 8)).toBe(12);
  });

  it("falls back to a numerical derivative and says so", () => {
    const { activation, numericDerivative: numeric } = formulaActivation({ f: "x / (1 + abs(x))" });
    expect(numeric).toBe(true);
    for (const x of [-2, -0.5, 0.3, 4]) expect(activation.df(x, activation.f(x))).toBeCloseTo(1 / (1 + Math.abs(x)) ** 2, 7);
  });

  it("rejects formulas that are not finite on the plane, naming which one", () => {
    expect(() => formulaActivation({ f: "log(x)" })).toThrow(/^f\(x\): not finite at x = -6/);
    expect(() => formulaActivation({ f: "x", df: "1 / x" })).toThrow(/^f′\(x\): not finite at x = 0/);
    expect(() => formulaActivation({ f: "x", df: "oops(" })).toThrow(/^f′\(x\): cannot parse/);
  });

  it("trains inside a Dense layer: the loss falls with a typed activation", () => {
    const { activation } = formulaActivation({ f: "x / (1 + x^2)" });
    const model = new Sequential([new Dense({ units: 4, inputDim: 2, activation }), new Dense({ units: 1 })], { seed: 3, dtype: "float64" });
    model.compile({ loss: "meanSquaredError", optimizer: sgd({ lr: 0.2 }) });
    const x = Matrix.fromArray([[0, 0], [0, 1], [1, 0], [1, 1]]);
    const y = Matrix.fromArray([[0], [1], [1], [2]]);
    const before = model.evaluate(x, y).loss as number;
    model.fit(x, y, { epochs: 200, batchSize: 4 });
    expect(model.evaluate(x, y).loss).toBeLessThan(before / 10);
  });
});

describe("the nesting limit (one limit for the page and the worker)", () => {
  it("accepts formulas up to the limit and rejects deeper ones before parsing", () => {
    const nested = (n: number): string => "(".repeat(n) + "x" + ")".repeat(n);
    expect(compileFormula(nested(MAX_FORMULA_NESTING))(2)).toBe(2);
    expect(() => compileFormula(nested(MAX_FORMULA_NESTING + 1))).toThrow(/nested too deeply \(got 33 levels/);
    expect(() => compileFormula(nested(150))).toThrow(FormulaError);
    expect(formulaNesting("x > 0 ? (x ? 1 : 2) : sin((x))")).toBe(3);
    expect(() => compileFormula("-".repeat(MAX_FORMULA_DEPTH + 5) + "x")).toThrow(/expression \d+ levels deep/);
    expect(compileFormula("-".repeat(100) + "x")(3)).toBe(3);
  });
});
