import { defineActivation, type Activation } from "@backprop/activations";

// NOTE: formulas are parsed by the small recursive-descent parser below, a port of the grammar of
// math.js 15's `parse` (same tokens, precedence, implicit multiplication, "rule 2", percentages and
// error messages). Importing math.js's parser bundled ~240 KB of math.js (units, matrices, big
// numbers, typed-function) into both the page and the worker. The tree is turned into plain
// closures, so no string is ever evaluated as JavaScript (no eval, no new Function) and only
// whitelisted names run.

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

// ---- the parser (math.js grammar) -------------------------------------------------------------

/**
 * A parsed formula. The kinds math.js can parse but a formula may not use (matrices, objects,
 * assignments, …) are kept as leaves so that the refusal names them, exactly as before.
 */
type FormulaNode =
  | { readonly type: "constant"; readonly value: number | string | boolean | null | undefined }
  | { readonly type: "symbol"; readonly name: string }
  | { readonly type: "parenthesis"; readonly content: FormulaNode }
  | { readonly type: "conditional"; readonly condition: FormulaNode; readonly trueExpr: FormulaNode; readonly falseExpr: FormulaNode }
  | {
      readonly type: "operator"; readonly op: string; readonly fn: string; readonly args: readonly FormulaNode[];
      /** `50%`: `x + 50%` means `x + x * 50 / 100` (math.js). */
      readonly percentage?: boolean;
    }
  | { readonly type: "function"; readonly callee: FormulaNode; readonly args: readonly FormulaNode[] }
  | { readonly type: "accessor"; readonly optional: boolean }
  | { readonly type: "array" | "object" | "assignment" | "functionassignment" | "block" | "range" | "relational" };

/** What the current token is: `""` (the end) and `"\n"` count as delimiters, as in math.js. */
type TokenType = "none" | "delimiter" | "number" | "symbol" | "unknown";

const DELIMITERS = new Set([
  ",", "(", ")", "[", "]", "{", "}", '"', "'", ";", "+", "-", "*", ".*", "/", "./", "%", "^", ".^", "~", "!", "&", "|",
  "^|", "=", ":", "?", "?.", "??", "==", "!=", "<", ">", "<=", ">=", "<<", ">>", ">>>",
]);
const NAMED_DELIMITERS = new Set(["mod", "to", "in", "and", "xor", "or", "not"]);
const LITERALS: Readonly<Record<string, boolean | null | undefined>> = { true: true, false: false, null: null, undefined };
const ESCAPES: Readonly<Record<string, string>> = { '"': '"', "'": "'", "\\": "\\", "/": "/", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" };

/** The tokenizer's position; copied whole where the grammar looks ahead and backtracks. */
interface ParseState {
  readonly text: string;
  index: number;
  token: string;
  tokenType: TokenType;
  /** Brackets open around the current token: newlines inside them are whitespace. */
  nesting: number;
  /** The nesting of the `?` being parsed, where `:` ends the true part instead of making a range. */
  conditionalLevel: number | null;
}

const isDigit = (c: string): boolean => c >= "0" && c <= "9";
const isDecimalMark = (c: string, next: string): boolean => c === "." && next !== "/" && next !== "*" && next !== "^";
const isMathSymbol = (high: string, low: string): boolean =>
  high === "\uD835" && /^[\uDC00-\uDFFF]$/.test(low) &&
  /^[^\uDC55\uDC9D\uDCA0\uDCA1\uDCA3\uDCA4\uDCA7\uDCA8\uDCAD\uDCBA\uDCBC\uDCC4\uDD06\uDD0B\uDD0C\uDD15\uDD1D\uDD3A\uDD3F\uDD45\uDD47-\uDD49\uDD51\uDEA6\uDEA7\uDFCC\uDFCD]$/.test(low);
/** Latin (with accents), Greek, letter-like symbols, `_`, `$` and mathematical alphanumerics. */
const isAlpha = (c: string, prev: string, next: string): boolean =>
  /^[a-zA-Z_$\u00C0-\u02AF\u0370-\u03FF\u2100-\u214F]$/.test(c) || isMathSymbol(c, next) || isMathSymbol(prev, c);

/** A parse error as math.js words it: the problem and the 1-based column of the current token. */
function syntaxError(s: ParseState, message: string): SyntaxError {
  return new SyntaxError(`${message} (char ${s.index - s.token.length + 1})`);
}

function getToken(s: ParseState): void {
  s.tokenType = "none";
  s.token = "";
  const at = (offset = 0): string => s.text.charAt(s.index + offset);
  for (;;) {
    if (at() === "#") while (at() !== "\n" && at() !== "") s.index++;
    const c = at();
    if (c === " " || c === "\t" || c === "\u00A0" || (c === "\n" && s.nesting > 0)) s.index++;
    else break;
  }
  const c1 = at();
  if (c1 === "") {
    s.tokenType = "delimiter";
    return;
  }
  if (c1 === "\n" && !s.nesting) {
    s.tokenType = "delimiter";
    s.token = c1;
    s.index++;
    return;
  }
  const c3 = s.text.substr(s.index, 3);
  const c2 = c3.slice(0, 2);
  // NOTE: `a?.3:.7` is a conditional, not optional chaining (math.js does the same check)
  for (const d of [c3, c2, c1]) {
    if (DELIMITERS.has(d) && (d !== "?." || !isDigit(at(2)))) {
      s.tokenType = "delimiter";
      s.token = d;
      s.index += d.length;
      return;
    }
  }
  const take = (): void => {
    s.token += at();
    s.index++;
  };
  if (isDigit(c1) || c1 === ".") {
    s.tokenType = "number";
    if (c2 === "0b" || c2 === "0o" || c2 === "0x") {
      take();
      take();
      const digits = (): void => {
        while (isAlpha(at(), at(-1), at(1)) || isDigit(at())) take();
      };
      digits();
      if (at() === ".") {
        take();
        digits();
      } else if (at() === "i") {
        take();
        while (isDigit(at())) take();
      }
      return;
    }
    if (c1 === ".") {
      take();
      if (!isDigit(at())) {
        // a dot without digits is the dot of `a.b`
        s.tokenType = "delimiter";
        return;
      }
    } else {
      while (isDigit(at())) take();
      if (isDecimalMark(at(), at(1))) take();
    }
    while (isDigit(at())) take();
    if (at() === "E" || at() === "e") {
      if (isDigit(at(1)) || at(1) === "-" || at(1) === "+") {
        take();
        if (at() === "+" || at() === "-") take();
        if (!isDigit(at())) throw syntaxError(s, `Digit expected, got "${at()}"`);
        while (isDigit(at())) take();
        if (isDecimalMark(at(), at(1))) throw syntaxError(s, `Digit expected, got "${at()}"`);
      } else if (isDecimalMark(at(1), at(2))) {
        s.index++;
        throw syntaxError(s, `Digit expected, got "${at()}"`);
      }
    }
    return;
  }
  if (isAlpha(c1, at(-1), at(1))) {
    while (isAlpha(at(), at(-1), at(1)) || isDigit(at())) take();
    s.tokenType = NAMED_DELIMITERS.has(s.token) ? "delimiter" : "symbol";
    return;
  }
  s.tokenType = "unknown";
  while (at() !== "") take();
  throw syntaxError(s, `Syntax error in part "${s.token}"`);
}

/** Whether the current token is `token` (a call, so the compiler does not keep a comparison made before the tokenizer moved). */
function is(s: ParseState, token: string): boolean {
  return s.token === token;
}

function getTokenSkipNewline(s: ParseState): void {
  do getToken(s);
  while (s.token === "\n");
}

/** The value of a number token: decimal, or `0b`/`0o`/`0x` with an optional fraction or word size. */
function numberValue(text: string): number {
  const radixPoint = /(0[box])([0-9a-fA-F]*)\.([0-9a-fA-F]*)/.exec(text);
  if (radixPoint) {
    const radix = radixPoint[1] === "0b" ? 2 : radixPoint[1] === "0o" ? 8 : 16;
    let value = parseInt(radixPoint[2] ?? "", radix);
    const fraction = radixPoint[3] ?? "";
    for (let i = 0; i < fraction.length; i++) value += parseInt(fraction.charAt(i), radix) / radix ** (i + 1);
    if (Number.isNaN(value)) throw new SyntaxError(`String "${text}" is not a valid number`);
    return value;
  }
  const sized = /(0[box][0-9a-fA-F]*)i([0-9]*)/.exec(text);
  const digits = sized ? (sized[1] ?? "") : text;
  let value = Number(digits);
  if (Number.isNaN(value)) throw new SyntaxError(`String "${digits}" is not a valid number`);
  if (sized) {
    const size = Number(sized[2]);
    if (value > 2 ** size - 1) throw new SyntaxError(`String "${digits}" is out of range`);
    if (value >= 2 ** (size - 1)) value -= 2 ** size; // two's complement
  }
  return value;
}

const REFUSED = (type: "array" | "object" | "assignment" | "functionassignment" | "block" | "range" | "relational"): FormulaNode => ({ type });
const op = (opText: string, fn: string, args: readonly FormulaNode[], percentage = false): FormulaNode =>
  ({ type: "operator", op: opText, fn, args, percentage });
const isConstant = (node: FormulaNode): boolean => node.type === "constant";

/** Parses the whole text (math.js `parse`): the tree, or a SyntaxError saying where it stopped. */
function parseFormula(text: string): FormulaNode {
  const s: ParseState = { text, index: 0, token: "", tokenType: "none", nesting: 0, conditionalLevel: null };
  getToken(s);
  const node = parseBlock(s);
  if (s.token !== "") {
    throw syntaxError(s, s.tokenType === "delimiter" ? `Unexpected operator ${s.token}` : `Unexpected part "${s.token}"`);
  }
  return node;
}

function parseBlock(s: ParseState): FormulaNode {
  let node: FormulaNode | undefined;
  let block = false;
  if (s.token !== "" && s.token !== "\n" && s.token !== ";") node = parseAssignment(s);
  while (s.token === "\n" || s.token === ";") {
    if (node) block = true;
    getToken(s);
    if (s.token !== "\n" && s.token !== ";" && s.token !== "") {
      node = parseAssignment(s);
      block = true;
    }
  }
  return block ? REFUSED("block") : (node ?? { type: "constant", value: undefined });
}

function parseAssignment(s: ParseState): FormulaNode {
  const node = parseConditional(s);
  if (s.token !== "=") return node;
  let kind: "assignment" | "functionassignment" | undefined;
  if (node.type === "accessor" && node.optional) throw syntaxError(s, "Cannot assign to optional chain");
  if (node.type === "symbol" || node.type === "accessor") kind = "assignment";
  else if (node.type === "function" && node.callee.type === "symbol" && node.args.every((a) => a.type === "symbol")) kind = "functionassignment";
  if (!kind) throw syntaxError(s, "Invalid left hand side of assignment operator =");
  getTokenSkipNewline(s);
  parseAssignment(s);
  return REFUSED(kind);
}

function parseConditional(s: ParseState): FormulaNode {
  let node = parseBinary(s, 0);
  while (s.token === "?") {
    const previous = s.conditionalLevel;
    s.conditionalLevel = s.nesting;
    getTokenSkipNewline(s);
    const trueExpr = parseAssignment(s);
    if (!is(s, ":")) throw syntaxError(s, "False part of conditional expression expected");
    s.conditionalLevel = null;
    getTokenSkipNewline(s);
    const falseExpr = parseAssignment(s);
    node = { type: "conditional", condition: node, trueExpr, falseExpr };
    s.conditionalLevel = previous;
  }
  return node;
}

/** The left-associative binary levels above comparison, loosest first: token → function name. */
const BINARY_LEVELS: readonly Readonly<Record<string, string>>[] = [
  { or: "or" }, { xor: "xor" }, { and: "and" }, { "|": "bitOr" }, { "^|": "bitXor" }, { "&": "bitAnd" },
];

function parseBinary(s: ParseState, level: number): FormulaNode {
  const operators = BINARY_LEVELS[level];
  if (!operators) return parseRelational(s);
  let node = parseBinary(s, level + 1);
  for (let fn = own(operators, s.token); fn !== undefined; fn = own(operators, s.token)) {
    const name = s.token;
    getTokenSkipNewline(s);
    node = op(name, fn, [node, parseBinary(s, level + 1)]);
  }
  return node;
}

const RELATIONAL: Readonly<Record<string, string>> = { "==": "equal", "!=": "unequal", "<": "smaller", ">": "larger", "<=": "smallerEq", ">=": "largerEq" };

function parseRelational(s: ParseState): FormulaNode {
  const params = [parseShift(s)];
  let first: [string, string] | undefined;
  for (let fn = own(RELATIONAL, s.token); fn !== undefined; fn = own(RELATIONAL, s.token)) {
    first ??= [s.token, fn];
    getTokenSkipNewline(s);
    params.push(parseShift(s));
  }
  if (!first) return params[0] as FormulaNode;
  // NOTE: a chain like `0 < x < 1` is a relational node in math.js, which formulas never allowed
  return params.length === 2 ? op(first[0], first[1], params) : REFUSED("relational");
}

const SHIFTS: Readonly<Record<string, string>> = { "<<": "leftShift", ">>": "rightArithShift", ">>>": "rightLogShift" };

function parseShift(s: ParseState): FormulaNode {
  let node = parseConversion(s);
  for (let fn = own(SHIFTS, s.token); fn !== undefined; fn = own(SHIFTS, s.token)) {
    const name = s.token;
    getTokenSkipNewline(s);
    node = op(name, fn, [node, parseConversion(s)]);
  }
  return node;
}

function parseConversion(s: ParseState): FormulaNode {
  let node = parseRange(s);
  while (s.token === "to" || s.token === "in") {
    const name = s.token;
    getTokenSkipNewline(s);
    // `2 in` at the end is 2 inches, the unit `in` (an unknown name here)
    if (name === "in" && "])},;".includes(s.token)) node = op("*", "multiply", [node, { type: "symbol", name: "in" }]);
    else node = op(name, "to", [node, parseRange(s)]);
  }
  return node;
}

function parseRange(s: ParseState): FormulaNode {
  let node: FormulaNode;
  if (s.token === ":") {
    if (s.conditionalLevel === s.nesting) throw syntaxError(s, "The true-expression of a conditional operator may not be empty");
    node = { type: "constant", value: 1 };
  } else {
    node = parseAddSubtract(s);
  }
  if (s.token === ":" && s.conditionalLevel !== s.nesting) {
    let parts = 1;
    while (s.token === ":" && parts < 3) {
      getTokenSkipNewline(s);
      if (!is(s, ")") && !is(s, "]") && !is(s, ",") && !is(s, "")) parseAddSubtract(s);
      parts++;
    }
    node = REFUSED("range");
  }
  return node;
}

function parseAddSubtract(s: ParseState): FormulaNode {
  let node = parseMultiplyDivide(s);
  while (s.token === "+" || s.token === "-") {
    const name = s.token;
    getTokenSkipNewline(s);
    const right = parseMultiplyDivide(s);
    const percent = right.type === "operator" && right.percentage === true;
    node = op(name, name === "+" ? "add" : "subtract", [node, percent ? op("*", "multiply", [node, right]) : right]);
  }
  return node;
}

const MULTIPLICATIVE: Readonly<Record<string, string>> = { "*": "multiply", ".*": "dotMultiply", "/": "divide", "./": "dotDivide", "%": "mod", mod: "mod" };

function parseMultiplyDivide(s: ParseState): FormulaNode {
  let node = parseImplicitMultiplication(s);
  for (let fn = own(MULTIPLICATIVE, s.token); fn !== undefined; fn = own(MULTIPLICATIVE, s.token)) {
    const name = s.token;
    getTokenSkipNewline(s);
    node = op(name, fn, [node, parseImplicitMultiplication(s)]);
  }
  return node;
}

/** `2x`, `(x+1)(x-1)`, `x 2`, `sin(x)(x+1)`: a product without a `*`. */
function parseImplicitMultiplication(s: ParseState): FormulaNode {
  let node = parseRule2(s);
  let last = node;
  for (;;) {
    const negatedConstant = node.type === "operator" && node.fn === "unaryMinus" && node.args[0]?.type === "constant";
    if (
      s.tokenType === "symbol" ||
      (s.token === "in" && (isConstant(node) || negatedConstant)) ||
      (s.tokenType === "number" && !isConstant(last) && (last.type !== "operator" || last.op === "!")) ||
      s.token === "("
    ) {
      last = parseRule2(s);
      node = op("*", "multiply", [node, last]);
    } else {
      return node;
    }
  }
}

/** `1/2x` is `(1/2)·x`: a division of two numbers binds tighter than the implicit product after it. */
function parseRule2(s: ParseState): FormulaNode {
  let node = parseUnaryPercentage(s);
  let last = node;
  const isRule2 = (n: FormulaNode): boolean =>
    n.type === "constant" || (n.type === "operator" && n.args.length === 1 && n.args[0]?.type === "constant" && "-+~".includes(n.op));
  while (s.token === "/" && isRule2(last)) {
    const beforeSlash = { ...s };
    getTokenSkipNewline(s);
    if (s.tokenType !== "number") {
      Object.assign(s, beforeSlash);
      break;
    }
    const beforeNumber = { ...s };
    getTokenSkipNewline(s);
    if ((s.tokenType as TokenType) === "symbol" || is(s, "(") || is(s, "in")) {
      Object.assign(s, beforeNumber);
      last = parseUnaryPercentage(s);
      node = op("/", "divide", [node, last]);
    } else {
      Object.assign(s, beforeSlash);
      break;
    }
  }
  return node;
}

/** `50%` is 50/100 when no operand follows the `%`; otherwise `%` is `mod`. */
function parseUnaryPercentage(s: ParseState): FormulaNode {
  let node = parseUnary(s);
  if (s.token === "%") {
    const before = { ...s };
    getTokenSkipNewline(s);
    try {
      parseUnary(s);
      Object.assign(s, before);
    } catch {
      // NOTE: like math.js, parsing goes on from where the attempt failed
      node = op("/", "divide", [node, { type: "constant", value: 100 }], true);
    }
  }
  return node;
}

const UNARY_OPERATORS: Readonly<Record<string, string>> = { "-": "unaryMinus", "+": "unaryPlus", "~": "bitNot", not: "not" };

function parseUnary(s: ParseState): FormulaNode {
  const fn = own(UNARY_OPERATORS, s.token);
  if (fn === undefined) return parsePow(s);
  const name = s.token;
  getTokenSkipNewline(s);
  return op(name, fn, [parseUnary(s)]);
}

function parsePow(s: ParseState): FormulaNode {
  const node = parseNullish(s);
  if (s.token !== "^" && s.token !== ".^") return node;
  const name = s.token;
  getTokenSkipNewline(s);
  // right-associative, and `2^-3` is allowed
  return op(name, name === "^" ? "pow" : "dotPow", [node, parseUnary(s)]);
}

function parseNullish(s: ParseState): FormulaNode {
  let node = parsePostfix(s);
  while (s.token === "??") {
    getTokenSkipNewline(s);
    node = op("??", "nullish", [node, parsePostfix(s)]);
  }
  return node;
}

/** `x!` and `x'`. */
function parsePostfix(s: ParseState): FormulaNode {
  let node = parseSymbol(s);
  while (s.token === "!" || s.token === "'") {
    const name = s.token;
    getToken(s);
    node = parseAccessors(s, op(name, name === "!" ? "factorial" : "ctranspose", [node]));
  }
  return node;
}

function parseSymbol(s: ParseState): FormulaNode {
  if (s.tokenType !== "symbol" && !(s.tokenType === "delimiter" && NAMED_DELIMITERS.has(s.token))) return parseString(s);
  const name = s.token;
  getToken(s);
  let node: FormulaNode;
  if (Object.hasOwn(LITERALS, name)) node = { type: "constant", value: LITERALS[name] };
  else if (name === "NaN" || name === "Infinity") node = { type: "constant", value: Number(name) };
  else node = { type: "symbol", name };
  return parseAccessors(s, node);
}

/** Calls `f(…)`, and the indexing `a[…]` and properties `a.b` / `a?.b` that formulas refuse. */
function parseAccessors(s: ParseState, start: FormulaNode): FormulaNode {
  let node = start;
  for (;;) {
    let optional = false;
    if (s.token === "?.") {
      optional = true;
      getToken(s);
    }
    if (!optional && s.token !== "(" && s.token !== "[" && s.token !== ".") return node;
    if (s.token === "(") {
      // `(x+1)(x-1)` is left to implicit multiplication
      if (!optional && node.type !== "symbol" && node.type !== "accessor") return node;
      node = { type: "function", callee: node, args: parseList(s, ")", "Parenthesis ) expected") };
    } else if (s.token === "[") {
      parseList(s, "]", "Parenthesis ] expected");
      node = { type: "accessor", optional };
    } else {
      if (!optional) getToken(s);
      if (s.tokenType !== "symbol" && !(s.tokenType === "delimiter" && NAMED_DELIMITERS.has(s.token))) {
        throw syntaxError(s, `Property name expected after ${optional ? "optional chain" : "dot"}`);
      }
      getToken(s);
      node = { type: "accessor", optional };
    }
  }
}

/** A comma-separated list after an opening bracket (the current token), up to `close`. */
function parseList(s: ParseState, close: string, missing: string): FormulaNode[] {
  const items: FormulaNode[] = [];
  s.nesting++;
  getToken(s);
  if (s.token !== close) {
    items.push(parseAssignment(s));
    while (s.token === ",") {
      getToken(s);
      items.push(parseAssignment(s));
    }
  }
  if (s.token !== close) throw syntaxError(s, missing);
  s.nesting--;
  getToken(s);
  return items;
}

function parseString(s: ParseState): FormulaNode {
  if (s.token !== '"' && s.token !== "'") return parseMatrix(s);
  return parseAccessors(s, { type: "constant", value: parseStringToken(s, s.token) });
}

function parseStringToken(s: ParseState, quote: string): string {
  let text = "";
  for (let c = s.text.charAt(s.index); c !== "" && c !== quote; c = s.text.charAt(s.index)) {
    if (c !== "\\") {
      text += c;
      s.index++;
      continue;
    }
    s.index++;
    const escaped = s.text.charAt(s.index);
    const replacement = own(ESCAPES, escaped);
    if (replacement !== undefined) {
      text += replacement;
      s.index++;
    } else if (escaped === "u") {
      const hex = s.text.slice(s.index + 1, s.index + 5);
      if (!/^[0-9A-Fa-f]{4}$/.test(hex)) throw syntaxError(s, `Invalid unicode character \\u${hex}`);
      text += String.fromCharCode(parseInt(hex, 16));
      s.index += 5;
    } else {
      throw syntaxError(s, `Bad escape character \\${escaped}`);
    }
  }
  getToken(s);
  if (s.token !== quote) throw syntaxError(s, `End of string ${quote} expected`);
  getToken(s);
  return text;
}

function parseMatrix(s: ParseState): FormulaNode {
  if (s.token !== "[") return parseObject(s);
  s.nesting++;
  getToken(s);
  if (!is(s, "]")) {
    const columns = [parseRow(s)];
    while (is(s, ";")) {
      getToken(s);
      if (!is(s, "]")) columns.push(parseRow(s));
    }
    if (!is(s, "]")) throw syntaxError(s, "End of matrix ] expected");
    s.nesting--;
    getToken(s);
    const first = columns[0] ?? 0;
    if (columns.length > 1) {
      for (const n of columns) if (n !== first) throw syntaxError(s, `Column dimensions mismatch (${n} !== ${first})`);
    }
  } else {
    s.nesting--;
    getToken(s);
  }
  return parseAccessors(s, REFUSED("array"));
}

/** One row of a matrix; returns its number of items. */
function parseRow(s: ParseState): number {
  parseAssignment(s);
  let length = 1;
  while (s.token === ",") {
    getToken(s);
    if (!is(s, "]") && !is(s, ";")) {
      parseAssignment(s);
      length++;
    }
  }
  return length;
}

function parseObject(s: ParseState): FormulaNode {
  if (s.token !== "{") return parseNumber(s);
  s.nesting++;
  do {
    getToken(s);
    if (!is(s, "}")) {
      if (is(s, '"') || is(s, "'")) parseStringToken(s, s.token);
      else if (s.tokenType === "symbol" || (s.tokenType === "delimiter" && NAMED_DELIMITERS.has(s.token))) getToken(s);
      else throw syntaxError(s, "Symbol or string expected as object key");
      if (!is(s, ":")) throw syntaxError(s, "Colon : expected after object key");
      getToken(s);
      parseAssignment(s);
    }
  } while (is(s, ","));
  if (!is(s, "}")) throw syntaxError(s, "Comma , or bracket } expected after object value");
  s.nesting--;
  getToken(s);
  return parseAccessors(s, REFUSED("object"));
}

function parseNumber(s: ParseState): FormulaNode {
  if (s.tokenType !== "number") return parseParentheses(s);
  const text = s.token;
  getToken(s);
  return { type: "constant", value: numberValue(text) };
}

function parseParentheses(s: ParseState): FormulaNode {
  if (s.token !== "(") throw syntaxError(s, s.token === "" ? "Unexpected end of expression" : "Value expected");
  s.nesting++;
  getToken(s);
  const content = parseAssignment(s);
  if (!is(s, ")")) throw syntaxError(s, "Parenthesis ) expected");
  s.nesting--;
  getToken(s);
  return parseAccessors(s, { type: "parenthesis", content });
}

// ---- from the tree to closures ----------------------------------------------------------------

function build(node: FormulaNode): ScalarFunction {
  switch (node.type) {
    case "constant": {
      const v = node.value;
      if (typeof v !== "number") throw new FormulaError(`only numbers may appear as constants (got ${JSON.stringify(v)})`);
      return () => v;
    }
    case "symbol": {
      const name = node.name;
      if (name === "x") return (x) => x;
      // NOTE: own keys only: "constructor" must not find Object.prototype's
      const c = own(CONSTANTS, name);
      if (c !== undefined) return () => c;
      throw new FormulaError(`unknown name "${name}" (the variable is x; constants: pi, e)`);
    }
    case "parenthesis":
      return build(node.content);
    case "conditional": {
      const cond = build(node.condition);
      const a = build(node.trueExpr);
      const b = build(node.falseExpr);
      return (x) => (cond(x) !== 0 ? a(x) : b(x));
    }
    case "operator": {
      const fn = node.fn;
      const args = node.args.map(build);
      if (args.length === 1) {
        const [a] = args as [ScalarFunction];
        if (fn === "unaryMinus") return (x) => -a(x);
        if (fn === "unaryPlus") return a;
        if (fn === "not") return (x) => Number(a(x) === 0);
      }
      const binary = own(BINARY, fn);
      if (args.length === 2 && binary) {
        const [a, b] = args as [ScalarFunction, ScalarFunction];
        return (x) => binary(a(x), b(x));
      }
      throw new FormulaError(`the operator "${node.op}" is not supported`);
    }
    case "function": {
      // NOTE: only a bare name may be called: math.js also parsed `x.sin(1)` and `(x)?.(2)` as calls
      if (node.callee.type !== "symbol") throw new FormulaError("only a function name may be called, as in sin(x)");
      const name = node.callee.name;
      const args = node.args.map(build);
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
      throw new FormulaError(`"${node.type}" expressions are not allowed; write a formula in x`);
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

function treeDepth(node: FormulaNode): number {
  let children: readonly FormulaNode[] = [];
  if (node.type === "parenthesis") children = [node.content];
  else if (node.type === "conditional") children = [node.condition, node.trueExpr, node.falseExpr];
  else if (node.type === "operator" || node.type === "function") children = node.args;
  let deepest = 0;
  for (const child of children) deepest = Math.max(deepest, treeDepth(child));
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
  // NOTE: the parser recurses about 25 calls deep per bracket, and a Web Worker has a smaller
  // stack than the page: a limit far below both keeps the page's check and the worker's build in
  // agreement (with 200 brackets the page accepted what the worker then failed on).
  const nesting = formulaNesting(text);
  if (nesting > MAX_FORMULA_NESTING) {
    throw new FormulaError(`the formula is nested too deeply (got ${nesting} levels of brackets or ?:, expected at most ${MAX_FORMULA_NESTING})`);
  }
  let tree: FormulaNode;
  try {
    tree = parseFormula(text);
  } catch (error) {
    throw new FormulaError(`cannot parse "${text}": ${error instanceof Error ? error.message : String(error)}`);
  }
  const depth = treeDepth(tree);
  if (depth > MAX_FORMULA_DEPTH) {
    throw new FormulaError(`the formula is nested too deeply (got an expression ${depth} levels deep, expected at most ${MAX_FORMULA_DEPTH})`);
  }
  return build(tree);
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
