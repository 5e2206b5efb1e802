import { BackpropError } from "@backprop/linalg";
import { buildDataset, type CellProblem, type ColumnOptions } from "./build-dataset.js";
import { isMissingText, parseNumber, quoteCell } from "./cells.js";
import type { TableDataset } from "./dataset.js";

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  if (typeof value === "string") return quoteCell(JSON.stringify(value).slice(1, -1));
  return String(value);
}

function keyPath(index: number, key: string): string {
  return IDENTIFIER.test(key) ? `[${index}].${key}` : `[${index}][${JSON.stringify(key)}]`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Reads a dataset from JSON text in either of two shapes:
 *
 * - an array of objects, one per sample, whose keys are the columns — read exactly like a CSV by
 *   `tableToDataset` (`target`, `features`, `task`, `classes`, `missing` mean the same): a column
 *   of numbers (or numeric strings) is a number feature, a column of strings a one-hot category,
 *   `null`, an absent key or `"NA"` a missing cell;
 * - `{ "x": number[][], "y"?: number[][] }` — used as is; the task is classification when `y` has
 *   two or more columns and every row is one-hot (classes `"0"`, `"1"`, …), regression otherwise,
 *   unless `options.task` says which. Features are named `x0`, `x1`, …; `target`/`features` are
 *   ignored.
 *
 * @param options - defaults to `{}`: no target, every key a feature
 * @throws BackpropError `INVALID_FILE` for text that is not JSON or not one of these shapes, with
 *   the path of the bad value (`data.json: [3].age is not a number (got "abc")`); `INVALID_ARGUMENT`
 *   for an unknown column (the message lists the columns)
 * @example
 * ```ts
 * const text = '[{"age": 31, "smoker": "no"}, {"age": 54, "smoker": "yes"}]';
 * const data = readJsonDataset(text, "people.json", { target: "smoker" });
 * data.x;       // [[31], [54]]
 * data.classes; // ["no", "yes"]
 * ```
 */
export function readJsonDataset(
  text: string,
  fileName: string,
  options: ColumnOptions = {},
): TableDataset {
  if (text.replace(/^\uFEFF/, "").trim() === "") {
    throw new BackpropError("INVALID_FILE", `${fileName}: the file is empty`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text.replace(/^\uFEFF/, ""));
  } catch (error) {
    const reason = error instanceof Error ? error.message.split("\n")[0] : String(error);
    throw new BackpropError("INVALID_FILE", `${fileName}: not valid JSON (${reason})`, { cause: error });
  }
  if (Array.isArray(value)) return fromRecords(value, fileName, options);
  if (isRecord(value) && "x" in value) return fromMatrices(value, fileName, options);
  throw new BackpropError(
    "INVALID_FILE",
    `${fileName}: expected an array of objects or {"x": [[...]], "y": [[...]]} (got ${describe(value)})`,
  );
}

function fromRecords(records: unknown[], fileName: string, options: ColumnOptions): TableDataset {
  if (records.length === 0) throw new BackpropError("INVALID_FILE", `${fileName}: the array is empty`);
  const columns: string[] = [];
  const known = new Set<string>();
  records.forEach((record, i) => {
    if (!isRecord(record)) {
      throw new BackpropError("INVALID_FILE", `${fileName}: [${i}] is not an object (got ${describe(record)})`);
    }
    for (const key of Object.keys(record)) {
      if (!known.has(key)) {
        known.add(key);
        columns.push(key);
      }
    }
  });
  const rows = records as Record<string, unknown>[];
  const cell = (r: number, c: number): unknown => rows[r]?.[columns[c] ?? ""];
  const where = (r: number, c: number): string => `${fileName}: ${keyPath(r, columns[c] ?? "")}`;
  return buildDataset(
    {
      fileName,
      columns,
      rowCount: rows.length,
      number: (r, c) => {
        const v = cell(r, c);
        if (typeof v === "number") return Number.isFinite(v) ? v : undefined;
        return typeof v === "string" ? parseNumber(v) : undefined;
      },
      missing: (r, c) => {
        const v = cell(r, c);
        return v === undefined || v === null || (typeof v === "string" && isMissingText(v.trim()));
      },
      text: (r, c) => {
        const v = cell(r, c);
        if (typeof v === "number" || typeof v === "boolean") return String(v);
        return typeof v === "string" ? v.trim() : undefined;
      },
      where,
      cellError: (r, c, problem: CellProblem) => {
        const path = where(r, c);
        const v = cell(r, c);
        if (v === undefined) return `${path} is missing`;
        switch (problem.kind) {
          case "not-a-number":
            return `${path} is not a number (got ${describe(v)})`;
          case "missing":
            return `${path} is not a class label (got ${describe(v)})`;
          case "missing-value":
            return `${path} is missing (got ${describe(v)})`;
          case "not-a-date":
            return `${path} is not a date (got ${describe(v)}; expected "YYYY-MM-DD", optionally with a time)`;
          case "not-a-label":
            return `${path} is not a value (got ${describe(v)})`;
          case "unknown-class":
            return `${path} is not a known class (got ${describe(v)}; expected one of ${problem.classes.join(", ")})`;
          case "unknown-category":
            return `${path} is not a category the model was trained on (got ${describe(v)}; known: ${problem.categories.join(", ")})`;
        }
      },
    },
    options,
  );
}

function readMatrix(value: unknown, name: string, fileName: string): number[][] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new BackpropError(
      "INVALID_FILE",
      `${fileName}: ${name} must be a non-empty array of rows (got ${Array.isArray(value) ? "an empty array" : describe(value)})`,
    );
  }
  const width = Array.isArray(value[0]) ? value[0].length : 0;
  return value.map((row: unknown, i) => {
    if (!Array.isArray(row) || row.length === 0) {
      throw new BackpropError("INVALID_FILE", `${fileName}: ${name}[${i}] must be a non-empty array of numbers (got ${describe(row)})`);
    }
    if (row.length !== width) {
      throw new BackpropError(
        "INVALID_FILE",
        `${fileName}: ${name}[${i}] has ${row.length} values (expected ${width}, as ${name}[0])`,
      );
    }
    return row.map((v: unknown, j) => {
      if (typeof v !== "number" || !Number.isFinite(v)) {
        throw new BackpropError("INVALID_FILE", `${fileName}: ${name}[${i}][${j}] is not a number (got ${describe(v)})`);
      }
      return v;
    });
  });
}

function isOneHot(y: readonly number[][]): boolean {
  return y.every((row) => {
    let ones = 0;
    for (const v of row) {
      if (v === 1) ones++;
      else if (v !== 0) return false;
    }
    return ones === 1;
  });
}

function fromMatrices(value: Record<string, unknown>, fileName: string, options: ColumnOptions): TableDataset {
  const x = readMatrix(value.x, "x", fileName);
  const featureNames = (x[0] ?? []).map((_, j) => `x${j}`);
  if (value.y === undefined) {
    return { x, y: undefined, featureNames, task: options.task ?? "regression" };
  }
  const y = readMatrix(value.y, "y", fileName);
  if (y.length !== x.length) {
    throw new BackpropError("INVALID_FILE", `${fileName}: y has ${y.length} rows (expected ${x.length}, as x)`);
  }
  const width = y[0]?.length ?? 0;
  const task = options.task ?? (width >= 2 && isOneHot(y) ? "classification" : "regression");
  if (task === "regression") return { x, y, featureNames, targetName: "y", task };

  if (!isOneHot(y)) {
    const row = y.findIndex((r) => r.filter((v) => v === 1).length !== 1 || r.some((v) => v !== 0 && v !== 1));
    throw new BackpropError("INVALID_FILE", `${fileName}: y[${row}] is not one-hot (a classification target needs one 1 and zeros)`);
  }
  const classes = options.classes ? [...options.classes] : y[0]?.map((_, k) => String(k)) ?? [];
  if (classes.length !== width) {
    throw new BackpropError(
      "INVALID_FILE",
      `${fileName}: y has ${width} columns (expected ${classes.length}, one per class: ${classes.join(", ")})`,
    );
  }
  return { x, y, featureNames, targetName: "y", task, classes };
}
