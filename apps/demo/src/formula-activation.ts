import { defineActivation, type Activation } from "@backprop/activations";
import { create, parseDependencies, type MathNode } from "mathjs";

// NOTE: only the parser of math.js is bundled; the tree is turned into plain closures below, so no
// string is ever evaluated as JavaScript (no eval, no new Function) and only whitelisted names run.
const math = create({ parseDependencies: parseDependencies as NonNullable<typeof parseDependencies> });

/** A formula compiled to a function of x. */
export type ScalarFunction = (x: number) => number;

/** A formula that could not be used, with the reason for the page. */
export class FormulaError extends Error {
  override readonly name = "FormulaError";
}

const UNARY: Readonly<Record<string, (a: number) => number>> = {
  sin: Math.sin, cos: Math.cos, tan: Math.tan, asin: Math.asin, acos: Math.acos, atan: Math.atan,
  sinh: Math.sinh, cosh: Math.cosh, tanh: Math.tanh, asinh: Math.asinh, acosh: Math.acosh, atanh: Math.atanh,
  exp: Math.exp, log: Math.log, ln: Math.log, log2: Math.log2, log10: Math.log10, log1p: Math.log1p, expm1: Math.expm1,
  sqrt: Math.sqrt, cbrt: Math.cbrt, abs: Math.abs, sign: Math.sign, floor: Math.floor, ceil: Math.ceil, round: Math.round,
  erf,
  sigmoid: (a) => 1 / (1 + Math.exp(-a)),
};
const BINARY: Readonly<Record<string, (a: number, b: number) => number>> = {
  pow: Math.pow, atan2: Math.atan2, mod: (a, b) => a - b * Math.floor(a / b),
  add: (a, b) => a + b, subtract: (a, b) => a - b, multiply: (a, b) => a * b, divide: (a, b) => a / b,
  larger: (a, b) => Number(a > b), smaller: (a, b) => Number(a < b),
  largerEq: (a, b) => Number(a >= b), smallerEq: (a, b) => Number(a <= b),
  equal: (a, b) => Number(a === b), unequal: (a, b) => Number(a !== b),
  and: (a, b) => Number(a !== 0 && b !== 0), or: (a, b) => Number(a !== 0 || b !== 0),
};
const VARIADIC: Readonly<Record<string, (...a: number[]) => number>> = { max: Math.max, min: Math.min };
const CONSTANTS: Readonly<Record<string, number>> = { pi: Math.PI, e: Math.E, PI: Math.PI, E: Math.E };

/** The functions a formula may call, for help text. */
export const FORMULA_FUNCTIONS: readonly string[] = [
  ...Object.keys(UNARY),
  "pow", "atan2", "mod", "max", "min",
];

/** Abramowitz–Stegun 7.1.26 (|error| < 1.5e-7): enough for an activation typed by hand. */
function erf(x: number): number {
  const t = 1 / (1 + 0.3275911 * Math.abs(x));
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return x >= 0 ? y : -y;
}

function own<T>(table: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

interface AnyNode {
  readonly type: string;
  readonly value?: unknown;
  readonly name?: string;
  readonly fn?: unknown;
  readonly op?: string;
  readonly args?: readonly AnyNode[];
  readonly content?: AnyNode;
  readonly condition?: AnyNode;
  readonly trueExpr?: AnyNode;
  readonly falseExpr?: AnyNode;
}

function build(node: AnyNode): ScalarFunction {
  switch (node.type) {
    case "ConstantNode": {
      const v = node.value;
      if (typeof v !== "number") throw new FormulaError(`only numbers may appear as constants (got ${JSON.stringify(v)})`);
      return () => v;
    }
    case "SymbolNode": {
      const name = node.name ?? "";
      if (name === "x") return (x) => x;
      // NOTE: own keys only: "constructor" must not find Object.prototype's
      const c = own(CONSTANTS, name);
      if (c !== undefined) return () => c;
      throw new FormulaError(`unknown name "${name}" (the variable is x; constants: pi, e)`);
    }
    case "ParenthesisNode":
      return build(node.content as AnyNode);
    case "ConditionalNode": {
      const cond = build(node.condition as AnyNode);
      const a = build(node.trueExpr as AnyNode);
      const b = build(node.falseExpr as AnyNode);
      return (x) => (cond(x) !== 0 ? a(x) : b(x));
    }
    case "OperatorNode": {
      const fn = String(node.fn);
      const args = (node.args ?? []).map(build);
      if (args.length === 1) {
        const [a] = args as [ScalarFunction];
        if (fn === "unaryMinus") return (x) => -a(x);
        if (fn === "unaryPlus") return a;
        if (fn === "not") return (x) => Number(a(x) === 0);
      }
      const op = own(BINARY, fn);
      if (args.length === 2 && op) {
        const [a, b] = args as [ScalarFunction, ScalarFunction];
        return (x) => op(a(x), b(x));
      }
      throw new FormulaError(`the operator "${node.op ?? fn}" is not supported`);
    }
    case "FunctionNode": {
      const name = (node.fn as AnyNode | undefined)?.name ?? "";
      const args = (node.args ?? []).map(build);
      const unary = own(UNARY, name);
      if (unary && args.length === 1) {
        const [a] = args as [ScalarFunction];
        return (x) => unary(a(x));
      }
      if (name === "log" && args.length === 2) {
        const [a, b] = args as [ScalarFunction, ScalarFunction];
        return (x) => Math.log(a(x)) / Math.log(b(x));
      }
      const binary = own(BINARY, name);
      if (binary && args.length === 2) {
        const [a, b] = args as [ScalarFunction, ScalarFunction];
        return (x) => binary(a(x), b(x));
      }
      const variadic = own(VARIADIC, name);
      if (variadic && args.length >= 1) {
        const values = new Array<number>(args.length);
        return (x) => {
          for (let i = 0; i < args.length; i++) values[i] = (args[i] as ScalarFunction)(x);
          return variadic(...values);
        };
      }
      throw new FormulaError(`unknown function ${name}(…) with ${args.length} argument(s) (known: ${FORMULA_FUNCTIONS.join(", ")})`);
    }
    default:
      throw new FormulaError(`"${node.type.replace(/Node$/, "").toLowerCase()}" expressions are not allowed; write a formula in x`);
  }
}

/** The deepest nesting of brackets and `?:` a formula may have. */
export const MAX_FORMULA_NESTING = 32;
/** The deepest expression tree a formula may have (brackets, operators, calls, negations). */
export const MAX_FORMULA_DEPTH = 200;

/**
 * The deepest nesting of `(`, `[`, `{` and `? :` in a text, without parsing it.
 *
 * @example
 * ```ts
 * formulaNesting("sin((x))"); // 3
 * ```
 */
export function formulaNesting(text: string): number {
  let depth = 0;
  let deepest = 0;
  for (const ch of text) {
    if (ch === "(" || ch === "[" || ch === "{" || ch === "?") deepest = Math.max(deepest, ++depth);
    else if (ch === ")" || ch === "]" || ch === "}" || ch === ":") depth = Math.max(0, depth - 1);
  }
  return deepest;
}

function treeDepth(node: AnyNode): number {
  let deepest = 0;
  const children = [node.content, node.condition, node.trueExpr, node.falseExpr, ...(node.args ?? [])];
  for (const child of children) if (child) deepest = Math.max(deepest, treeDepth(child));
  return deepest + 1;
}

/**
 * Parses a formula in `x` (math.js syntax: `x^2`, `2x`, `max(0, x)`, `x > 0 ? x : 0.1x`) into a function.
 *
 * @throws FormulaError with a reason a person can act on
 * @example
 * ```ts
 * compileFormula("x * sigmoid(x)")(1); // 0.731…
 * ```
 */
export function compileFormula(source: string): ScalarFunction {
  const text = source.trim();
  if (text === "") throw new FormulaError("the formula is empty");
  if (text.length > 500) throw new FormulaError("the formula is too long (more than 500 characters)");
  // NOTE: the parser recurses about twenty calls deep per bracket, and a Web Worker has a smaller
  // stack than the page: a limit far below both keeps the page's check and the worker's build in
  // agreement (with 200 brackets the page accepted what the worker then failed on).
  const nesting = formulaNesting(text);
  if (nesting > MAX_FORMULA_NESTING) {
    throw new FormulaError(`the formula is nested too deeply (got ${nesting} levels of brackets or ?:, expected at most ${MAX_FORMULA_NESTING})`);
  }
  let tree: MathNode;
  try {
    tree = math.parse(text);
  } catch (error) {
    throw new FormulaError(`cannot parse "${text}": ${error instanceof Error ? error.message : String(error)}`);
  }
  const depth = treeDepth(tree as unknown as AnyNode);
  if (depth > MAX_FORMULA_DEPTH) {
    throw new FormulaError(`the formula is nested too deeply (got an expression ${depth} levels deep, expected at most ${MAX_FORMULA_DEPTH})`);
  }
  return build(tree as unknown as AnyNode);
}

/**
 * Central difference `(f(x+h) − f(x−h)) / 2h` with a step scaled to x.
 *
 * @example
 * ```ts
 * numericDerivative(Math.sin)(0); // ≈ 1
 * ```
 */
export function numericDerivative(f: ScalarFunction): ScalarFunction {
  return (x) => {
    const h = 1e-5 * Math.max(1, Math.abs(x));
    return (f(x + h) - f(x - h)) / (2 * h);
  };
}

/** The result of {@link formulaActivation}. */
export interface FormulaActivation {
  /** The activation, named `"demo>formula"`, with both formulas in its config. */
  readonly activation: Activation;
  /** True when f'(x) was not given and is computed by central differences. */
  readonly numericDerivative: boolean;
}

/** Registry name of formula activations; their config holds the formulas. */
export const FORMULA_ACTIVATION_NAME = "demo>formula";

/**
 * An activation from formulas typed on the page: `f(x)` and optionally `f'(x)` (else numerical).
 * Both are checked to be finite on [−6, 6] so training does not start on NaN.
 *
 * @throws FormulaError naming the formula and the problem
 * @example
 * ```ts
 * const { activation } = formulaActivation({ f: "x / (1 + abs(x))" });
 * ```
 */
export function formulaActivation(source: { readonly f: string; readonly df?: string }): FormulaActivation {
  const prefix = (label: string, error: unknown): FormulaError =>
    new FormulaError(`${label}: ${error instanceof Error ? error.message : String(error)}`);
  let f: ScalarFunction;
  try {
    f = compileFormula(source.f);
  } catch (error) {
    throw prefix("f(x)", error);
  }
  const dfText = source.df?.trim() ?? "";
  let df: ScalarFunction;
  try {
    df = dfText === "" ? numericDerivative(f) : compileFormula(dfText);
  } catch (error) {
    throw prefix("f′(x)", error);
  }
  for (let i = 0; i <= 48; i++) {
    const x = -6 + i * 0.25;
    if (!Number.isFinite(f(x))) throw new FormulaError(`f(x): not finite at x = ${x} (got ${f(x)})`);
    if (!Number.isFinite(df(x))) throw new FormulaError(`f′(x): not finite at x = ${x} (got ${df(x)})`);
  }
  const activation = defineActivation({
    name: FORMULA_ACTIVATION_NAME,
    config: { f: source.f.trim(), df: dfText },
    f,
    df: (x) => df(x),
  });
  return { activation, numericDerivative: dfText === "" };
}
