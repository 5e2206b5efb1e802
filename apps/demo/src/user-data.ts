import { DOMAIN, type Point } from "./datasets.js";
import { MAX_CLASSES } from "./state.js";

/** Most points a user's file may hold: more would make training (and the share link) crawl. */
export const MAX_USER_POINTS = 5000;

/** Half the side of the square a user's points are fitted into when they extend beyond the plane. */
const FIT = 5.5;

/**
 * A user's data file that cannot be read. The message names the place and the value:
 * `points.csv:4:2: "abc" is not a number (column x2)`. `line` is the file's line (1-based, the
 * header counts) where the row starts; `column` is the field (1-based), not the character.
 */
export class UserDataError extends Error {
  override readonly name = "UserDataError";
  /** The file's name, as given to {@link parsePointsCsv}. */
  readonly fileName: string;
  /** The 1-based line of the row at fault. */
  readonly line: number;
  /** The 1-based field of the row at fault (1 = x1, 2 = x2, 3 = label). */
  readonly column: number;

  constructor(fileName: string, line: number, column: number, problem: string) {
    super(`${fileName}:${line}:${column}: ${problem}`);
    this.fileName = fileName;
    this.line = line;
    this.column = column;
  }
}

/** What both kinds of {@link UserData} carry. */
interface UserDataBase {
  /** The points, fitted into the plane (see `scaled` and `origin`), labels as the kind says. */
  readonly points: Point[];
  /**
   * The factor the coordinates were multiplied by to fit the plane, 1 when they already lay inside
   * [−6, 6]². Both axes share it, so shapes keep their aspect.
   */
  readonly scaled: number;
  /** The file's coordinates that were moved to (0, 0) when scaling; [0, 0] when not scaled. */
  readonly origin: readonly [number, number];
}

/** A user's classification data: labels are class indices 0..classes−1. */
export interface UserClassificationData extends UserDataBase {
  readonly kind: "classification";
  /** Number of classes, 2–5 (the largest index + 1: an index may have no points). */
  readonly classes: number;
  /** Each class's name, indexed by label: the file's labels, or "0".."k−1" for numeric ones. */
  readonly classNames: string[];
}

/** A user's regression data: labels are values in [−1, 1]. */
export interface UserRegressionData extends UserDataBase {
  readonly kind: "regression";
  /** Always 1 (one output), as `classCount` of the built-in regression sets. */
  readonly classes: 1;
  /** Always empty. */
  readonly classNames: string[];
  /** The file's smallest and largest label. */
  readonly labelRange: readonly [number, number];
  /**
   * Whether the labels were mapped linearly from `labelRange` onto [−1, 1] (they are when any lies
   * outside [−1, 1]; labels already inside are kept, so a downloaded set reads back unchanged).
   */
  readonly labelsScaled: boolean;
}

/** A user's data file, read by {@link parsePointsCsv}. */
export type UserData = UserClassificationData | UserRegressionData;

/** One field of a CSV record. */
interface Field {
  readonly text: string;
  readonly quoted: boolean;
}

/** One CSV record and the line it starts on. */
interface CsvRow {
  readonly line: number;
  readonly fields: readonly Field[];
}

type Delimiter = "," | ";" | "\t";

const DELIMITER_NAMES: Readonly<Record<Delimiter, string>> = { ",": "commas", ";": "semicolons", "\t": "tabs" };

/** Line breaks in a piece of text: \r\n, \r and \n each count once. */
function countBreaks(text: string): number {
  return text.match(/\r\n|\r|\n/g)?.length ?? 0;
}

/**
 * The first `limit` non-blank records of CSV text (RFC 4180 quoting: `"a ""b"", c"` is one
 * field; quoted fields may span lines). Unquoted fields are trimmed.
 */
function readRecords(text: string, delimiter: Delimiter, fileName: string, limit: number): CsvRow[] {
  const rows: CsvRow[] = [];
  const n = text.length;
  const isBlank = (ch: string | undefined): boolean => ch === " " || (ch === "\t" && delimiter !== "\t");
  let i = 0;
  let line = 1;
  while (i < n && rows.length < limit) {
    const rowLine = line;
    const fields: Field[] = [];
    for (;;) {
      const column = fields.length + 1;
      let j = i;
      while (isBlank(text[j])) j++;
      if (text[j] === '"') {
        const quoteLine = line;
        let value = "";
        i = j + 1;
        for (;;) {
          const close = text.indexOf('"', i);
          if (close < 0) throw new UserDataError(fileName, quoteLine, column, 'a quoted field is never closed (a " is missing)');
          const piece = text.slice(i, close);
          value += piece;
          line += countBreaks(piece);
          if (text[close + 1] === '"') {
            value += '"';
            i = close + 2;
          } else {
            i = close + 1;
            break;
          }
        }
        while (isBlank(text[i])) i++;
        const next = text[i];
        if (next !== undefined && next !== delimiter && next !== "\n" && next !== "\r") {
          throw new UserDataError(fileName, line, column, `unexpected ${JSON.stringify(next)} after a closing quote (expected ${DELIMITER_NAMES[delimiter].slice(0, -1)} or end of line)`);
        }
        fields.push({ text: value, quoted: true });
      } else {
        let end = i;
        while (end < n && text[end] !== delimiter && text[end] !== "\n" && text[end] !== "\r") end++;
        fields.push({ text: text.slice(i, end).trim(), quoted: false });
        i = end;
      }
      if (text[i] === delimiter) {
        i++;
        continue;
      }
      if (text[i] === "\r") i += text[i + 1] === "\n" ? 2 : 1;
      else if (text[i] === "\n") i++;
      line++;
      break;
    }
    // NOTE: a row of nothing but separators (",,") counts as blank too: spreadsheets export their
    // empty formatted rows that way
    if (fields.every((f) => !f.quoted && f.text === "")) continue;
    rows.push({ line: rowLine, fields });
  }
  return rows;
}

/**
 * The delimiter that splits the first records into the same number (≥ 2) of fields, preferring
 * exactly three; tab and semicolon win ties with comma, because a file that has them in every row
 * uses them to separate, and its commas are decimal commas ("1,5;2;0").
 */
function sniffDelimiter(text: string): Delimiter {
  let best: Delimiter = ",";
  let bestScore = 0;
  for (const delimiter of ["\t", ";", ","] as const) {
    let rows: CsvRow[];
    try {
      rows = readRecords(text, delimiter, "", 10);
    } catch {
      continue; // quoting that does not fit this delimiter
    }
    const count = rows[0]?.fields.length ?? 0;
    if (count < 2) continue;
    const consistent = rows.every((r) => r.fields.length === count);
    const score = (consistent ? 2 : 0) + (count === 3 ? 1 : 0);
    if (score > bestScore) {
      best = delimiter;
      bestScore = score;
    }
  }
  return best;
}

const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const DECIMAL_COMMA = /^[+-]?\d+,\d+(?:[eE][+-]?\d+)?$/;

/**
 * A field as a number, or undefined when it is not written as one. Stricter than `Number()`, which
 * reads "" as 0 and "0x1f" as 31. With `;` or tab between fields a decimal comma is accepted too.
 */
function parseNumber(text: string, delimiter: Delimiter): number | undefined {
  if (NUMBER.test(text)) return Number(text);
  if (delimiter !== "," && DECIMAL_COMMA.test(text)) return Number(text.replace(",", "."));
  return undefined;
}

/** A value for a message: quoted, escaped and cut short. */
function show(text: string): string {
  return JSON.stringify(text.length > 30 ? `${text.slice(0, 30)}…` : text);
}

/** Code-unit order: the same in every browser and locale (localeCompare is not). */
function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Reads the user's points from CSV text: three columns `x1, x2, label`, with or without a header
 * row (a first row whose first two fields are not numbers is a header, and its names appear in
 * errors). Fields are separated by commas, semicolons or tabs (sniffed), may be quoted with `""`
 * escapes, and with semicolons or tabs numbers may use a decimal comma.
 *
 * Labels decide the task:
 * - all numbers, all integers in 0..4, at least two distinct → classification, the numbers are the
 *   class indices (classNames "0".."k−1");
 * - any label not a number, at most 5 distinct → classification over the distinct labels sorted in
 *   code-unit order (class index = position; classNames = the labels);
 * - other numbers → regression, mapped linearly onto [−1, 1] when any lies outside it.
 *
 * Coordinates that extend beyond [−6, 6]² are fitted into [−5.5, 5.5]²: the bounding box's centre
 * moves to the origin and both axes shrink (or grow) by one factor, so shapes keep their aspect.
 *
 * @param fileName - for messages only
 * @throws UserDataError — never anything else — for an empty file, a field that is not a finite
 * number, a row without exactly three fields, an unclosed quote, fewer than 2 or more than
 * {@link MAX_USER_POINTS} data rows, a single label, or more than 5 classes.
 * @example
 * ```ts
 * const data = parsePointsCsv("x1,x2,label\n1,2,cat\n-1,0,dog\n", "pets.csv");
 * // data.kind === "classification", data.classNames = ["cat", "dog"], data.points[1].label === 1
 * ```
 */
export function parsePointsCsv(text: string, fileName: string): UserData {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text; // a byte-order mark (Excel)
  const delimiter = sniffDelimiter(body);
  const fail = (line: number, column: number, problem: string): UserDataError => new UserDataError(fileName, line, column, problem);
  const rows = readRecords(body, delimiter, fileName, MAX_USER_POINTS + 2);
  const first = rows[0];
  if (!first) throw fail(1, 1, "the file is empty (expected rows of x1, x2, label)");
  const columns = first.fields.length;
  if (columns !== 3) {
    throw fail(first.line, Math.min(columns + 1, 4), `expected 3 columns (x1, x2, label), found ${columns} (reading ${DELIMITER_NAMES[delimiter]} as separators)`);
  }
  const isHeader = first.fields.slice(0, 2).every((f) => parseNumber(f.text, delimiter) === undefined);
  const defaults = ["x1", "x2", "label"] as const;
  const names = defaults.map((d, c) => (isHeader ? first.fields[c]?.text || d : d));
  const data = isHeader ? rows.slice(1) : rows;
  const tooMany = data[MAX_USER_POINTS];
  if (tooMany) throw fail(tooMany.line, 1, `more than ${MAX_USER_POINTS.toLocaleString("en")} points; the playground takes at most ${MAX_USER_POINTS.toLocaleString("en")}`);
  if (data.length < 2) {
    const last = data[data.length - 1] ?? first;
    throw fail(last.line, 1, `${data.length} data row${data.length === 1 ? "" : "s"}; the playground needs at least 2`);
  }

  const xs: number[] = [];
  const ys: number[] = [];
  const labels: { readonly text: string; readonly line: number }[] = [];
  for (const row of data) {
    const count = row.fields.length;
    if (count !== 3) throw fail(row.line, Math.min(count + 1, 4), `row has ${count} value${count === 1 ? "" : "s"}, expected 3 (${names.join(", ")})`);
    const coordinate = (c: 0 | 1): number => {
      const field = row.fields[c]?.text ?? "";
      const v = parseNumber(field, delimiter);
      if (v === undefined) throw fail(row.line, c + 1, `${show(field)} is not a number (column ${names[c]})`);
      if (!Number.isFinite(v)) throw fail(row.line, c + 1, `${show(field)} is too large to be a coordinate (column ${names[c]})`);
      return v;
    };
    xs.push(coordinate(0));
    ys.push(coordinate(1));
    const label = row.fields[2]?.text ?? "";
    if (label === "") throw fail(row.line, 3, `empty label (column ${names[2]})`);
    labels.push({ text: label, line: row.line });
  }

  const fitted = fitToPlane(xs, ys);
  const pointsWith = (labelOf: (i: number) => number): Point[] =>
    xs.map((x, i) => ({ x: (x - fitted.origin[0]) * fitted.scaled, y: ((ys[i] ?? 0) - fitted.origin[1]) * fitted.scaled, label: labelOf(i) }));

  const distinct = new Map<string, number>(); // label → line where it first appears
  for (const l of labels) if (!distinct.has(l.text)) distinct.set(l.text, l.line);
  const values = labels.map((l) => parseNumber(l.text, delimiter));
  const lastLine = labels[labels.length - 1]?.line ?? first.line;

  if (values.every((v): v is number => v !== undefined)) {
    const bad = values.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw fail(labels[bad]?.line ?? lastLine, 3, `${show(labels[bad]?.text ?? "")} is too large to be a label (column ${names[2]})`);
    const min = Math.min(...values);
    const max = Math.max(...values);
    if (min === max) throw fail(lastLine, 3, `every label is ${min}; the playground needs two classes or more, or labels that vary`);
    if (values.every((v) => Number.isInteger(v) && v >= 0 && v < MAX_CLASSES)) {
      const classes = max + 1;
      return {
        kind: "classification", ...fitted, classes,
        classNames: Array.from({ length: classes }, (_, c) => String(c)),
        points: pointsWith((i) => values[i] ?? 0),
      };
    }
    const labelsScaled = min < -1 || max > 1;
    // NOTE: halves, so a range near ±1.8e308 does not overflow to Infinity
    const half = max / 2 - min / 2;
    const mid = min / 2 + max / 2;
    return {
      kind: "regression", ...fitted, classes: 1, classNames: [], labelRange: [min, max], labelsScaled,
      points: pointsWith((i) => {
        const v = values[i] ?? 0;
        return labelsScaled ? Math.min(1, Math.max(-1, (v - mid) / half)) : v;
      }),
    };
  }

  if (distinct.size > MAX_CLASSES) {
    const numeric = values.filter((v) => v !== undefined).length;
    // NOTE: mostly numbers with a few words is a regression file with typos: point at the first word
    if (numeric * 2 > values.length) {
      const at = values.findIndex((v) => v === undefined);
      throw fail(labels[at]?.line ?? lastLine, 3, `${show(labels[at]?.text ?? "")} is not a number (column ${names[2]}; the other labels are numbers)`);
    }
    const sixth = [...distinct.values()][MAX_CLASSES] ?? lastLine;
    throw fail(sixth, 3, `${distinct.size} distinct labels; the playground shows at most ${MAX_CLASSES} classes`);
  }
  const [only] = distinct.keys();
  if (distinct.size < 2) throw fail(lastLine, 3, `every label is ${show(only ?? "")}; the playground needs two classes or more`);
  const classNames = [...distinct.keys()].sort(byCodeUnits);
  const index = new Map(classNames.map((name, c) => [name, c]));
  return {
    kind: "classification", ...fitted, classes: classNames.length, classNames,
    points: pointsWith((i) => index.get(labels[i]?.text ?? "") ?? 0),
  };
}

/** The factor and origin that fit coordinates into [−5.5, 5.5]², or none when they lie inside [−6, 6]². */
function fitToPlane(xs: readonly number[], ys: readonly number[]): { scaled: number; origin: readonly [number, number] } {
  const lo = (v: readonly number[]): number => v.reduce((a, b) => Math.min(a, b), Infinity);
  const hi = (v: readonly number[]): number => v.reduce((a, b) => Math.max(a, b), -Infinity);
  const [minX, maxX, minY, maxY] = [lo(xs), hi(xs), lo(ys), hi(ys)];
  if (minX >= -DOMAIN && maxX <= DOMAIN && minY >= -DOMAIN && maxY <= DOMAIN) return { scaled: 1, origin: [0, 0] };
  // NOTE: halves, so coordinates near ±1.8e308 do not overflow to Infinity
  const half = Math.max(maxX / 2 - minX / 2, maxY / 2 - minY / 2);
  return { scaled: half > 0 ? FIT / half : 1, origin: [minX / 2 + maxX / 2, minY / 2 + maxY / 2] };
}

/** A CSV field, quoted when it holds a separator, a quote, a line break or edge spaces. */
function csvField(text: string): string {
  return /[",;\t\r\n]|^\s|\s$/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** A number as text that reads back to the same number (shortest round-trip form; −0 stays −0). */
function csvNumber(v: number): string {
  return Object.is(v, -0) ? "-0" : String(v);
}

/**
 * The points as CSV (`x1,x2,label` header, comma-separated, `\n` line ends), for download;
 * {@link parsePointsCsv} reads it back to the same points. With `classNames`, a class index is
 * written as its name (names in code-unit order read back to the same indices; a name that is a
 * number other than its own index would read back as a number).
 *
 * @example
 * ```ts
 * pointsToCsv([{ x: 1, y: 2, label: 0 }], ["cat", "dog"]); // "x1,x2,label\n1,2,cat\n"
 * ```
 */
export function pointsToCsv(points: readonly Point[], classNames?: readonly string[]): string {
  const lines = ["x1,x2,label"];
  for (const p of points) {
    const name = classNames && Number.isInteger(p.label) ? classNames[p.label] : undefined;
    lines.push(`${csvNumber(p.x)},${csvNumber(p.y)},${name !== undefined ? csvField(name) : csvNumber(p.label)}`);
  }
  return `${lines.join("\n")}\n`;
}
