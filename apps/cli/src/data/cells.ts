/**
 * What a single cell of a table means: a number, a missing value, a date — read in one linear scan
 * of its characters (a cell of 100 000 digits is read as fast as 100 000 short ones), and quoted
 * back in messages without flooding the terminal.
 */

const PLUS = 43;
const MINUS = 45;
const DOT = 46;
const ZERO = 48;
const NINE = 57;
const UPPER_E = 69;
const LOWER_E = 101;

const isSpace = (c: number): boolean => c === 32 || c === 9;
const isDigit = (c: number): boolean => c >= ZERO && c <= NINE;

/** Where the number found by the last {@link numberEnd} starts (set by it, to spare an allocation per cell). */
let numberStart = 0;

/**
 * Whether `text[from, to)` (spaces and tabs around it allowed) is a decimal number in the strict
 * form `[+-]digits[.digits][e[+-]digits]` (or `.5`): no hexadecimal, no `Infinity`, no `NaN`, no
 * empty string — which `Number()` would accept or turn into 0. One pass, no backtracking.
 * @returns the end of the trimmed number (its start is left in `numberStart`), or −1
 */
function numberEnd(text: string, from: number, to: number): number {
  let a = from;
  let b = to;
  while (a < b && isSpace(text.charCodeAt(a))) a++;
  while (b > a && isSpace(text.charCodeAt(b - 1))) b--;
  let i = a;
  const first = text.charCodeAt(i);
  if (first === PLUS || first === MINUS) i++;
  let digits = 0;
  while (i < b && isDigit(text.charCodeAt(i))) {
    i++;
    digits++;
  }
  if (i < b && text.charCodeAt(i) === DOT) {
    i++;
    while (i < b && isDigit(text.charCodeAt(i))) {
      i++;
      digits++;
    }
  }
  if (digits === 0) return -1;
  if (i < b) {
    const e = text.charCodeAt(i);
    if (e !== UPPER_E && e !== LOWER_E) return -1;
    i++;
    const sign = text.charCodeAt(i);
    if (sign === PLUS || sign === MINUS) i++;
    const start = i;
    while (i < b && isDigit(text.charCodeAt(i))) i++;
    if (i === start) return -1;
  }
  if (i !== b) return -1;
  numberStart = a;
  return b;
}

/** Whether `text[from, to)` has the form of a decimal number (see {@link parseNumber}); no allocation. */
export function isNumberIn(text: string, from: number, to: number): boolean {
  return numberEnd(text, from, to) >= 0;
}

/**
 * Reads `text[from, to)` as a finite decimal number, strictly (see {@link parseNumber}).
 * @example
 * ```ts
 * numberIn("a,1.5,b", 2, 5); // 1.5
 * ```
 */
export function numberIn(text: string, from: number, to: number): number | undefined {
  const end = numberEnd(text, from, to);
  if (end < 0) return undefined;
  const start = numberStart;
  const fast = exactValue(text, start, end);
  if (fast !== undefined) return fast;
  const v = Number(start === 0 && end === text.length ? text : text.slice(start, end));
  return Number.isFinite(v) ? v : undefined;
}

/** Powers of ten a double holds exactly (10²² is the last). */
const EXACT_POWERS = Array.from({ length: 23 }, (_, k) => 10 ** k);

/**
 * The value of a well-formed decimal `text[a, b)` without making a string, when it can be computed
 * exactly as `Number()` would (Clinger's fast path): at most 15 significant digits and a net power
 * of ten within ±22, so the result is one correctly rounded multiplication or division of two
 * exact doubles. Undefined otherwise (the caller falls back to `Number()`).
 */
function exactValue(text: string, a: number, b: number): number | undefined {
  let i = a;
  let negative = false;
  const first = text.charCodeAt(i);
  if (first === PLUS || first === MINUS) {
    negative = first === MINUS;
    i++;
  }
  let mantissa = 0;
  let digits = 0;
  let scale = 0;
  let c = text.charCodeAt(i);
  while (i < b && isDigit(c)) {
    if (digits > 0 || c !== ZERO) digits++;
    mantissa = mantissa * 10 + (c - ZERO);
    c = text.charCodeAt(++i);
  }
  if (i < b && c === DOT) {
    c = text.charCodeAt(++i);
    while (i < b && isDigit(c)) {
      if (digits > 0 || c !== ZERO) digits++;
      mantissa = mantissa * 10 + (c - ZERO);
      scale--;
      c = text.charCodeAt(++i);
    }
  }
  if (digits > 15) return undefined;
  if (i < b) {
    // an exponent: [eE][+-]digits (the form was checked)
    c = text.charCodeAt(++i);
    let sign = 1;
    if (c === PLUS || c === MINUS) {
      sign = c === MINUS ? -1 : 1;
      c = text.charCodeAt(++i);
    }
    let e = 0;
    while (i < b) {
      e = e * 10 + (text.charCodeAt(i) - ZERO);
      if (e > 400) return undefined;
      i++;
    }
    scale += sign * e;
  }
  if (scale < -22 || scale > 22) return mantissa === 0 ? (negative ? -0 : 0) : undefined;
  const v = scale < 0 ? mantissa / (EXACT_POWERS[-scale] as number) : mantissa * (EXACT_POWERS[scale] as number);
  return negative ? -v : v;
}

/**
 * Parses a decimal number strictly: surrounding spaces are allowed, but not an empty string,
 * hexadecimal, `Infinity` or `NaN` (which `Number()` would accept or turn into 0). Linear in the
 * length of the text; a value too large for a double (`1e400`) is not a number.
 * @example
 * ```ts
 * parseNumber(" -4e-1 "); // -0.4
 * parseNumber("0x10");    // undefined
 * ```
 */
export function parseNumber(text: string): number | undefined {
  return numberIn(text, 0, text.length);
}

/**
 * The cell texts read as a missing value — pandas' `read_csv` defaults (`""`, `NA`, `N/A`, `NaN`,
 * `null`, `None`, `#N/A`, `<NA>`, …), compared after trimming.
 */
export const MISSING_TEXTS: ReadonlySet<string> = new Set([
  "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN", "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a",
  "nan", "null",
]);

/** Whether a (trimmed) cell text marks a missing value (see {@link MISSING_TEXTS}). */
export function isMissingText(trimmed: string): boolean {
  return trimmed.length <= 8 && MISSING_TEXTS.has(trimmed);
}

const HASH = 35;
const LESS = 60;
const UPPER_N = 78;
const LOWER_N = 110;
const ONE = 49;

/**
 * Whether `text[from, to)` is a missing value (see {@link MISSING_TEXTS}), without slicing it
 * unless it could be one: every marker starts with `#`, `-`, `1`, `<`, `N` or `n`.
 */
export function isMissingIn(text: string, from: number, to: number): boolean {
  let a = from;
  let b = to;
  while (a < b && isSpace(text.charCodeAt(a))) a++;
  if (a === b) return true;
  while (b > a && isSpace(text.charCodeAt(b - 1))) b--;
  if (b - a > 8) return false;
  const c = text.charCodeAt(a);
  if (c === ONE || c === MINUS) {
    // NOTE: "1.#IND", "-1.#QNAN", "-NaN": a plain number never has # or N after its first characters.
    const d = text.charCodeAt(a + 1);
    if (c === ONE ? d !== DOT : d !== ONE && d !== UPPER_N && d !== LOWER_N) return false;
  } else if (c !== HASH && c !== LESS && c !== UPPER_N && c !== LOWER_N) return false;
  return MISSING_TEXTS.has(text.slice(a, b));
}

const ISO_DATE = /^(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?)?(Z|[+-]\d{2}:?\d{2})?$/;
const OTHER_DATE = /^\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}(?:[T ]\d{1,2}:\d{2}(?::\d{2})?)?$/;
const MS_PER_DAY = 86_400_000;

/**
 * A date or date-time in the ISO order (`2012-01-31`, `2012/1/31`, `2012-01-31T08:30:00Z`) as
 * days since 1970-01-01 UTC, with the time of day as a fraction (a date-time without a zone is
 * read as UTC); undefined for anything else, including impossible dates such as `2012-02-30`.
 * @example
 * ```ts
 * parseDate("1970-01-02");       // 1
 * parseDate("1970-01-01 12:00"); // 0.5
 * ```
 */
export function parseDate(trimmed: string): number | undefined {
  if (trimmed.length > 40) return undefined;
  const m = ISO_DATE.exec(trimmed);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = [1, 2, 3, 4, 5, 6].map((k) => Number(m[k] ?? 0)) as [number, number, number, number, number, number];
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return undefined;
  const ms = Date.UTC(year, month - 1, day, hour, minute, second) + Math.round(Number(m[7] ?? 0) * 1000);
  if (new Date(Date.UTC(year, month - 1, day)).getUTCDate() !== day) return undefined;
  const zone = m[8];
  let offset = 0;
  if (zone && zone !== "Z") {
    const digits = zone.replace(":", "");
    offset = (digits.startsWith("-") ? -1 : 1) * (Number(digits.slice(1, 3)) * 60 + Number(digits.slice(3, 5))) * 60_000;
  }
  return (ms - offset) / MS_PER_DAY;
}

/**
 * Whether a (trimmed) cell looks like a date or date-time — ISO order, or day and month first
 * (`31/01/2012`, `1.31.12`) — so a date column can be recognised and left out of the features.
 */
export function looksLikeDate(trimmed: string): boolean {
  if (trimmed.length < 6 || trimmed.length > 40) return false;
  return ISO_DATE.test(trimmed) || OTHER_DATE.test(trimmed);
}

/** At most this many characters of a cell are quoted in a message. */
const QUOTED_CHARS = 40;

/**
 * A cell quoted for a message: `"oops"`, or its start and its length when it is long
 * (`"1111111111…" (100 000 characters)`), so one bad cell cannot print megabytes.
 */
export function quoteCell(text: string): string {
  if (text.length <= QUOTED_CHARS) return `"${text}"`;
  return `"${text.slice(0, QUOTED_CHARS)}…" (${text.length.toLocaleString("en-US")} characters)`;
}

/** At most this many names are listed in a message. */
const LISTED_NAMES = 12;

/**
 * Names for a message, quoted and comma-separated; a long list is cut after its first dozen
 * (`"c0", "c1", … and 99 988 more`).
 */
export function listNames(names: readonly string[], limit = LISTED_NAMES): string {
  const shown = names.slice(0, limit).map((n) => quoteCell(n));
  const more = names.length - shown.length;
  return more > 0 ? `${shown.join(", ")}, … and ${more.toLocaleString("en-US")} more` : shown.join(", ");
}
