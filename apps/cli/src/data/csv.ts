import { BackpropError } from "@backprop/linalg";
import { buildDataset, parseNumber, type CellProblem, type ColumnOptions } from "./build-dataset.js";
import type { TableDataset } from "./dataset.js";

/**
 * A CSV file as text cells: the header, the data rows, and the 1-based line on which each data row
 * starts (so later errors can say `file:line:column`).
 */
export interface CsvTable {
  /** Column names from the first record, trimmed. */
  readonly header: string[];
  /** Data records; each has exactly `header.length` raw (untrimmed) fields. */
  readonly rows: string[][];
  /** `lines[i]` is the line number where `rows[i]` starts. */
  readonly lines: number[];
}

const QUOTE = 34; // "
const COMMA = 44; // ,
const CR = 13;
const LF = 10;

/**
 * Parses CSV text with a header row, as RFC 4180 defines it: fields separated by commas, a field in
 * double quotes may hold commas, line breaks and `""` (an escaped quote); lines end in CRLF or LF
 * (a lone CR counts too); a trailing newline and a UTF-8 byte-order mark are ignored, and so are
 * empty lines.
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
export function parseCsv(text: string, fileName: string): CsvTable {
  const start = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  if (text.slice(start).trim() === "") {
    throw new BackpropError("INVALID_FILE", `${fileName}: the file is empty`);
  }

  const records: string[][] = [];
  const lines: number[] = [];
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
    const fields: string[] = [];
    let atRecordEnd = false;
    while (!atRecordEnd) {
      let value: string;
      if (text.charCodeAt(i) === QUOTE) {
        const openLine = line;
        const openColumn = fields.length + 1;
        let j = i + 1;
        let parts = "";
        let from = j;
        for (;;) {
          if (j >= n) {
            throw new BackpropError(
              "INVALID_FILE",
              `${fileName}:${openLine}:${openColumn}: quoted field is never closed (missing ")`,
            );
          }
          const c = text.charCodeAt(j);
          if (c === QUOTE) {
            if (text.charCodeAt(j + 1) === QUOTE) {
              parts += text.slice(from, j + 1);
              j += 2;
              from = j;
              continue;
            }
            break;
          }
          if (c === LF || (c === CR && text.charCodeAt(j + 1) !== LF)) line++;
          j++;
        }
        value = parts + text.slice(from, j);
        i = j + 1;
        const next = text.charCodeAt(i);
        if (i < n && next !== COMMA && next !== LF && next !== CR) {
          throw new BackpropError(
            "INVALID_FILE",
            `${fileName}:${line}:${openColumn}: unexpected text after the closing quote of a field`,
            { hint: 'inside a quoted field, write a quote as two quotes ("")' },
          );
        }
      } else {
        let j = i;
        while (j < n) {
          const c = text.charCodeAt(j);
          if (c === COMMA || c === LF || c === CR) break;
          j++;
        }
        value = text.slice(i, j);
        i = j;
      }
      fields.push(value);

      if (i >= n) {
        atRecordEnd = true;
      } else {
        const c = text.charCodeAt(i);
        if (c === COMMA) {
          i++;
        } else {
          i += c === CR && text.charCodeAt(i + 1) === LF ? 2 : 1;
          line++;
          atRecordEnd = true;
        }
      }
    }
    records.push(fields);
    lines.push(recordLine);
  }

  const header = (records[0] ?? []).map((name) => name.trim());
  const headerLine = lines[0] ?? 1;
  const seen = new Map<string, number>();
  header.forEach((name, k) => {
    const first = seen.get(name);
    if (first !== undefined) {
      throw new BackpropError(
        "INVALID_FILE",
        `${fileName}:${headerLine}: duplicate column name "${name}" (fields ${first + 1} and ${k + 1})`,
      );
    }
    seen.set(name, k);
  });

  const rows = records.slice(1);
  const rowLines = lines.slice(1);
  if (rows.length === 0) {
    throw new BackpropError(
      "INVALID_FILE",
      `${fileName}: no data rows (only a header on line ${headerLine})`,
    );
  }
  rows.forEach((row, k) => {
    if (row.length !== header.length) {
      throw new BackpropError(
        "INVALID_FILE",
        `${fileName}:${rowLines[k]}: row has ${row.length} fields (expected ${header.length}, as the header)`,
      );
    }
  });
  return { header, rows, lines: rowLines };
}

/** Options of {@link tableToDataset}: which columns to use, and the file name for messages. */
export interface TableOptions extends ColumnOptions {
  /** Used as the `<file>` of every error message. */
  readonly fileName: string;
}

/**
 * Turns a parsed CSV into numeric inputs and targets.
 *
 * Features must be decimal numbers. The target is categorical (its sorted distinct labels one-hot
 * encoded, `y` is n×k) when any of its values is not a number or when `task: "classification"` is
 * passed; otherwise it is a regression target (`y` is n×1).
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
  const { header, rows, lines } = table;
  const { fileName } = options;
  const cell = (r: number, c: number): string => rows[r]?.[c] ?? "";
  return buildDataset(
    {
      fileName,
      columns: header,
      rowCount: rows.length,
      number: (r, c) => parseNumber(cell(r, c)),
      label: (r, c) => {
        const t = cell(r, c).trim();
        return t === "" ? undefined : t;
      },
      cellError: (r, c, problem: CellProblem) => {
        const where = `${fileName}:${lines[r] ?? "?"}:${c + 1}`;
        const column = `column "${header[c] ?? ""}"`;
        switch (problem.kind) {
          case "not-a-number":
            return `${where}: "${cell(r, c)}" is not a number (${column})`;
          case "missing":
            return `${where}: the target value is missing (${column})`;
          case "unknown-class":
            return `${where}: "${cell(r, c).trim()}" is not a known class (${column}; expected one of ${problem.classes.join(", ")})`;
        }
      },
    },
    options,
  );
}
