import { BackpropError } from "@backprop/linalg";
import { buildDataset, type CellProblem, type ColumnOptions } from "./build-dataset.js";
import { isMissingIn, isNumberIn, numberIn, quoteCell } from "./cells.js";
import type { TableDataset } from "./dataset.js";

/**
 * A CSV file as text cells: the header, the data rows, and the 1-based line on which each data row
 * starts (so later errors can say `file:line:column`).
 */
export interface CsvTable {
  /** Column names from the first record, trimmed. */
  readonly header: string[];
  /** Data records; each has exactly `header.length` raw (untrimmed) fields. Built on first use. */
  readonly rows: string[][];
  /** `lines[i]` is the line number where data row `i` starts. */
  readonly lines: number[];
  /** Number of data rows. */
  readonly rowCount: number;
  /** The field separator: given, or sniffed from the header line. */
  readonly delimiter: string;
  /** Field `c` of data row `r`, raw (untrimmed, quotes removed). */
  cell(r: number, c: number): string;
  /** Field `c` of data row `r` as a strict decimal number (see `parseNumber`), read in place. */
  numberAt(r: number, c: number): number | undefined;
  /** Whether field `c` of data row `r` has the form of a decimal number (no allocation). */
  isNumberAt(r: number, c: number): boolean;
  /** Whether field `c` of data row `r` is empty or a missing-value marker (`NA`, `NaN`, `null`, …). */
  missingAt(r: number, c: number): boolean;
  /** The index of each column name. */
  readonly columnIndex: ReadonlyMap<string, number>;
}

/** Options of {@link parseCsv}. */
export interface CsvOptions {
  /** The field separator, one character; default: sniffed from the header line (`,` `;` or tab). */
  readonly delimiter?: string | undefined;
}

const QUOTE = 34; // "
const CR = 13;
const LF = 10;
const COMMA = 44;
const SEMICOLON = 59;
const TAB = 9;

/**
 * The separator of a header line: whichever of `,` `;` and tab occurs most often outside quotes
 * (pandas' `sep=None` sniffs the same way), `,` on a tie or when none occurs (a single column).
 * @example
 * ```ts
 * sniffDelimiter("date;temp_max;weather\n2012-01-01;12,8;rain\n"); // ";"
 * ```
 */
export function sniffDelimiter(text: string, start = 0): string {
  let comma = 0;
  let semicolon = 0;
  let tab = 0;
  let quoted = false;
  for (let i = start; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) quoted = !quoted;
    else if (quoted) continue;
    else if (c === LF || c === CR) {
      // NOTE: leading blank lines are skipped as the parser skips them.
      if (comma + semicolon + tab > 0) break;
    } else if (c === COMMA) comma++;
    else if (c === SEMICOLON) semicolon++;
    else if (c === TAB) tab++;
  }
  if (semicolon > comma && semicolon >= tab) return ";";
  if (tab > comma && tab > semicolon) return "\t";
  return ",";
}

/**
 * How many cells the text holds, about: fields of its first line times its lines (a quoted line
 * break overestimates a little, which is harmless), so the bounds are allocated once.
 */
function estimateCells(text: string, start: number): number {
  let lines = 1;
  let at = text.indexOf("\n", start);
  const firstEnd = at < 0 ? text.length : at;
  while (at >= 0) {
    lines++;
    at = text.indexOf("\n", at + 1);
  }
  let fields = 1;
  for (let i = start; i < firstEnd; i++) {
    const c = text.charCodeAt(i);
    if (c === COMMA || c === SEMICOLON || c === TAB) fields++;
  }
  return Math.min(2 ** 30, Math.max(1024, fields * lines + fields));
}

/** Growable cell bounds: start and end offsets into the text, and whether `""` needs unescaping. */
class CellBounds {
  starts: Int32Array;
  ends: Int32Array;
  escaped: Uint8Array;
  size = 0;

  constructor(capacity: number) {
    this.starts = new Int32Array(capacity);
    this.ends = new Int32Array(capacity);
    this.escaped = new Uint8Array(capacity);
  }

  push(start: number, end: number, escaped: boolean): void {
    if (this.size === this.starts.length) {
      const capacity = this.size * 2;
      const grow = <T extends Int32Array | Uint8Array>(a: T, make: (n: number) => T): T => {
        const b = make(capacity);
        b.set(a);
        return b;
      };
      this.starts = grow(this.starts, (n) => new Int32Array(n));
      this.ends = grow(this.ends, (n) => new Int32Array(n));
      this.escaped = grow(this.escaped, (n) => new Uint8Array(n));
    }
    this.starts[this.size] = start;
    this.ends[this.size] = end;
    this.escaped[this.size] = escaped ? 1 : 0;
    this.size++;
  }
}

/** The parsed file: cells are offsets into the text, so a table costs ~9 bytes per cell besides the text. */
class ParsedCsv implements CsvTable {
  private materialized: string[][] | undefined;

  constructor(
    private readonly text: string,
    private readonly cells: CellBounds,
    readonly header: string[],
    readonly lines: number[],
    readonly delimiter: string,
    readonly columnIndex: ReadonlyMap<string, number>,
  ) {}

  get rowCount(): number {
    return this.lines.length;
  }

  get rows(): string[][] {
    if (!this.materialized) {
      const width = this.header.length;
      this.materialized = Array.from({ length: this.rowCount }, (_, r) => Array.from({ length: width }, (_, c) => this.cell(r, c)));
    }
    return this.materialized;
  }

  private index(r: number, c: number): number {
    return (r + 1) * this.header.length + c;
  }

  cell(r: number, c: number): string {
    const k = this.index(r, c);
    const value = this.text.slice(this.cells.starts[k], this.cells.ends[k]);
    return this.cells.escaped[k] === 1 ? value.replaceAll('""', '"') : value;
  }

  numberAt(r: number, c: number): number | undefined {
    const k = this.index(r, c);
    if (this.cells.escaped[k] === 1) return undefined;
    return numberIn(this.text, this.cells.starts[k] as number, this.cells.ends[k] as number);
  }

  isNumberAt(r: number, c: number): boolean {
    const k = this.index(r, c);
    return this.cells.escaped[k] !== 1 && isNumberIn(this.text, this.cells.starts[k] as number, this.cells.ends[k] as number);
  }

  missingAt(r: number, c: number): boolean {
    const k = this.index(r, c);
    if (this.cells.escaped[k] === 1) return false;
    return isMissingIn(this.text, this.cells.starts[k] as number, this.cells.ends[k] as number);
  }
}

/**
 * Parses CSV text with a header row, as RFC 4180 defines it: fields separated by a delimiter
 * (sniffed from the header line — `,` `;` or tab — unless given), a field in double quotes may
 * hold delimiters, line breaks and `""` (an escaped quote); lines end in CRLF or LF (a lone CR
 * counts too); a trailing newline and a UTF-8 byte-order mark are ignored, and so are empty lines.
 *
 * One pass over the text, linear in its length whatever the shape (one huge cell, a million
 * columns); cells are kept as offsets into the text and sliced when read.
 *
 * @param text - the whole file
 * @param fileName - used as the `<file>` of every error message
 * @throws BackpropError `INVALID_FILE` for an empty file, a header without data rows, a duplicate
 *   column name, a row whose field count differs from the header's, a quote that is never closed,
 *   or text after a closing quote — each message names `file:line` (and the column where it helps)
 * @example
 * ```ts
 * const t = parseCsv('a,b\n1,"x, y"\n', "data.csv");
 * t.header; // ["a", "b"]
 * t.rows;   // [["1", "x, y"]]
 * t.lines;  // [2]
 * ```
 */
export function parseCsv(text: string, fileName: string, options: CsvOptions = {}): CsvTable {
  const start = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let blank = true;
  for (let i = start; i < text.length && blank; i++) {
    const c = text.charCodeAt(i);
    if (c !== 32 && c !== TAB && c !== LF && c !== CR) blank = false;
  }
  if (blank) throw new BackpropError("INVALID_FILE", `${fileName}: the file is empty`);
  const delimiter = options.delimiter ?? sniffDelimiter(text, start);
  if (delimiter.length !== 1 || delimiter === '"' || delimiter === "\n" || delimiter === "\r") {
    throw new BackpropError("INVALID_ARGUMENT", `--delimiter: expected one character other than a quote or a line break (got ${JSON.stringify(delimiter)})`);
  }
  const SEP = delimiter.charCodeAt(0);

  const cells = new CellBounds(estimateCells(text, start));
  const lines: number[] = [];
  let width = -1;
  let headerLine = 1;
  const n = text.length;
  let i = start;
  let line = 1;

  while (i < n) {
    // NOTE: a completely empty line is not a record; a spreadsheet's trailing blank rows are common.
    const c0 = text.charCodeAt(i);
    if (c0 === LF || c0 === CR) {
      i += c0 === CR && text.charCodeAt(i + 1) === LF ? 2 : 1;
      line++;
      continue;
    }

    const recordLine = line;
    let fields = 0;
    let atRecordEnd = false;
    while (!atRecordEnd) {
      if (text.charCodeAt(i) === QUOTE) {
        const openLine = line;
        const openColumn = fields + 1;
        let j = i + 1;
        let escaped = false;
        // NOTE: indexOf jumps from quote to quote at memchr speed; a 100 MB field is one call.
        for (;;) {
          const q = text.indexOf('"', j);
          if (q < 0) {
            throw new BackpropError("INVALID_FILE", `${fileName}:${openLine}:${openColumn}: quoted field is never closed (missing ")`);
          }
          line += lineBreaks(text, j, q);
          if (text.charCodeAt(q + 1) === QUOTE) {
            escaped = true;
            j = q + 2;
            continue;
          }
          j = q;
          break;
        }
        cells.push(i + 1, j, escaped);
        i = j + 1;
        const next = text.charCodeAt(i);
        if (i < n && next !== SEP && next !== LF && next !== CR) {
          throw new BackpropError("INVALID_FILE", `${fileName}:${line}:${openColumn}: unexpected text after the closing quote of a field`, {
            hint: 'inside a quoted field, write a quote as two quotes ("")',
          });
        }
      } else {
        let j = i;
        while (j < n) {
          const c = text.charCodeAt(j);
          if (c === SEP || c === LF || c === CR) break;
          j++;
        }
        cells.push(i, j, false);
        i = j;
      }
      fields++;

      if (i >= n) {
        atRecordEnd = true;
      } else {
        const c = text.charCodeAt(i);
        // NOTE: a delimiter at the very end of the text still opens an (empty) last field.
        if (c === SEP) i++;
        else {
          i += c === CR && text.charCodeAt(i + 1) === LF ? 2 : 1;
          line++;
          atRecordEnd = true;
        }
      }
    }
    if (width < 0) {
      width = fields;
      headerLine = recordLine;
    } else {
      if (fields !== width) {
        throw new BackpropError("INVALID_FILE", `${fileName}:${recordLine}: row has ${fields} fields (expected ${width}, as the header)`, {
          ...(fields === 1 && width > 1 ? { hint: `the header has ${width} fields separated by ${describeDelimiter(delimiter)}` } : {}),
        });
      }
      lines.push(recordLine);
    }
  }

  const header: string[] = [];
  for (let c = 0; c < width; c++) {
    const value = text.slice(cells.starts[c], cells.ends[c]);
    header.push((cells.escaped[c] === 1 ? value.replaceAll('""', '"') : value).trim());
  }
  const seen = new Map<string, number>();
  header.forEach((name, k) => {
    const first = seen.get(name);
    if (first !== undefined) {
      throw new BackpropError("INVALID_FILE", `${fileName}:${headerLine}: duplicate column name ${quoteCell(name)} (fields ${first + 1} and ${k + 1})`);
    }
    seen.set(name, k);
  });
  if (lines.length === 0) {
    throw new BackpropError("INVALID_FILE", `${fileName}: no data rows (only a header on line ${headerLine})`);
  }
  return new ParsedCsv(text, cells, header, lines, delimiter, seen);
}

/** Line breaks in `text[from, to)`: LF, CRLF (once) and a lone CR. */
function lineBreaks(text: string, from: number, to: number): number {
  let count = 0;
  for (let at = text.indexOf("\n", from); at >= 0 && at < to; at = text.indexOf("\n", at + 1)) count++;
  for (let at = text.indexOf("\r", from); at >= 0 && at < to; at = text.indexOf("\r", at + 1)) {
    if (text.charCodeAt(at + 1) !== LF) count++;
  }
  return count;
}

/** `","`, `";"`, `a tab` — for messages. */
export function describeDelimiter(delimiter: string): string {
  return delimiter === "\t" ? "tabs" : `"${delimiter}"`;
}

/** Options of {@link tableToDataset}: which columns to use, and the file name for messages. */
export interface TableOptions extends ColumnOptions {
  /** Used as the `<file>` of every error message. */
  readonly fileName: string;
}

/**
 * Turns a parsed CSV into numeric inputs and targets (see `buildDataset` for how each column is
 * read: numbers, one-hot categories, dates, missing cells).
 *
 * The target is categorical (its sorted distinct labels one-hot encoded, `y` is n×k) when any of
 * its values is not a number or when `task: "classification"` is passed; otherwise it is a
 * regression target (`y` is n×1).
 *
 * @throws BackpropError `INVALID_ARGUMENT` for an unknown target or feature column (the message
 *   lists the columns); `INVALID_FILE` for a bad cell, as
 *   `<file>:<line>:<column>: "<value>" is not a number (column "<name>")`, the column being the
 *   1-based field index
 * @example
 * ```ts
 * const table = parseCsv("x,label\n0.5,cat\n1.5,dog\n", "pets.csv");
 * const data = tableToDataset(table, { target: "label", fileName: "pets.csv" });
 * data.x;       // [[0.5], [1.5]]
 * data.y;       // [[1, 0], [0, 1]]
 * data.classes; // ["cat", "dog"]
 * ```
 */
export function tableToDataset(table: CsvTable, options: TableOptions): TableDataset {
  const { header, lines } = table;
  const { fileName } = options;
  return buildDataset(
    {
      fileName,
      columns: header,
      rowCount: table.rowCount,
      number: (r, c) => table.numberAt(r, c),
      isNumber: (r, c) => table.isNumberAt(r, c),
      missing: (r, c) => table.missingAt(r, c),
      columnIndex: table.columnIndex,
      text: (r, c) => table.cell(r, c).trim(),
      where: (r, c) => `${fileName}:${lines[r] ?? "?"}:${c + 1}`,
      cellError: (r, c, problem: CellProblem) => {
        const where = `${fileName}:${lines[r] ?? "?"}:${c + 1}`;
        const column = `column ${quoteCell(header[c] ?? "")}`;
        const value = quoteCell(problem.kind === "not-a-number" ? table.cell(r, c) : table.cell(r, c).trim());
        switch (problem.kind) {
          case "not-a-number":
            return `${where}: ${value} is not a number (${column})`;
          case "missing":
            return `${where}: the target value is missing (${column})`;
          case "missing-value":
            return `${where}: the value is missing (${column})`;
          case "not-a-date":
            return `${where}: ${value} is not a date (${column}; expected YYYY-MM-DD, optionally with a time)`;
          case "not-a-label":
            return `${where}: ${value} is not a label (${column})`;
          case "unknown-class":
            return `${where}: ${value} is not a known class (${column}; expected one of ${problem.classes.join(", ")})`;
          case "unknown-category":
            return `${where}: ${value} is not a category the model was trained on (${column}; known: ${problem.categories.join(", ")})`;
        }
      },
    },
    options,
  );
}
