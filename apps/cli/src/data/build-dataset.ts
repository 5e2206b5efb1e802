import { BackpropError } from "@backprop/linalg";
import type { TableDataset, Task } from "./dataset.js";

/** Why a cell was rejected; each file format words it its own way. */
export type CellProblem =
  | { readonly kind: "not-a-number" }
  | { readonly kind: "missing" }
  | { readonly kind: "unknown-class"; readonly classes: readonly string[] };

/** Column-wise access to a table of cells, whatever file it came from. */
export interface CellSource {
  /** Used as the `<file>` of messages about columns. */
  readonly fileName: string;
  readonly columns: readonly string[];
  readonly rowCount: number;
  /** The cell as a finite number, or `undefined` if it is not one. */
  number(row: number, col: number): number | undefined;
  /** The cell as a class label, or `undefined` if it is empty or not a label. */
  label(row: number, col: number): string | undefined;
  /** A one-line message for a bad cell, naming where it is. */
  cellError(row: number, col: number, problem: CellProblem): string;
}

/** Which columns to use and how to read the target. */
export interface ColumnOptions {
  /** The target column; omitted or `undefined` for inputs only (as for `backprop predict`). */
  readonly target?: string | undefined;
  /** The feature columns, in this order; defaults to every column but the target. */
  readonly features?: readonly string[];
  /**
   * Forces the task; by default the target is categorical when any of its values is not a number,
   * and a regression target otherwise.
   */
  readonly task?: Task;
  /**
   * The class labels to encode against, in this order (a saved model's classes, so that `evaluate`
   * on a file that lacks some class still lines up); by default the sorted distinct labels.
   */
  readonly classes?: readonly string[];
}

const NUMERIC = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * Parses a decimal number strictly: surrounding spaces are allowed, but not an empty string,
 * hexadecimal, `Infinity` or `NaN` (which `Number()` would accept or turn into 0).
 */
export function parseNumber(text: string): number | undefined {
  const t = text.trim();
  if (!NUMERIC.test(t)) return undefined;
  const v = Number(t);
  return Number.isFinite(v) ? v : undefined;
}

/** Sorts labels numerically when all are numbers ("2" before "10"), by code units otherwise. */
export function sortLabels(labels: Iterable<string>): string[] {
  const list = [...new Set(labels)];
  const numbers = list.map(parseNumber);
  if (numbers.every((v) => v !== undefined)) {
    return list
      .map((label, k) => ({ label, value: numbers[k] as number }))
      .sort((a, b) => a.value - b.value || (a.label < b.label ? -1 : a.label > b.label ? 1 : 0))
      .map((e) => e.label);
  }
  return list.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

function listColumns(columns: readonly string[]): string {
  return columns.map((c) => `"${c}"`).join(", ");
}

/** Picks columns, converts features to numbers and encodes the target; see {@link ColumnOptions}. */
export function buildDataset(source: CellSource, options: ColumnOptions): TableDataset {
  const { columns, fileName, rowCount } = source;
  const indexOf = new Map<string, number>();
  columns.forEach((name, k) => indexOf.set(name, k));

  const { target } = options;
  const targetIndex = target === undefined ? undefined : indexOf.get(target);
  if (target !== undefined && targetIndex === undefined) {
    throw new BackpropError(
      "INVALID_ARGUMENT",
      `${fileName}: no column named "${target}" for the target (columns: ${listColumns(columns)})`,
    );
  }

  const featureNames = options.features ? [...options.features] : columns.filter((c) => c !== target);
  const featureIndex = featureNames.map((name, k) => {
    const index = indexOf.get(name);
    if (index === undefined) {
      throw new BackpropError(
        "INVALID_ARGUMENT",
        `${fileName}: no column named "${name}" for a feature (columns: ${listColumns(columns)})`,
      );
    }
    if (name === target) {
      throw new BackpropError("INVALID_ARGUMENT", `${fileName}: column "${name}" is both the target and a feature`);
    }
    if (featureNames.indexOf(name) !== k) {
      throw new BackpropError("INVALID_ARGUMENT", `${fileName}: feature column "${name}" is listed twice`);
    }
    return index;
  });
  if (featureNames.length === 0) {
    throw new BackpropError(
      "INVALID_ARGUMENT",
      `${fileName}: no feature columns (columns: ${listColumns(columns)}; target: "${target ?? ""}")`,
    );
  }

  const x: number[][] = new Array<number[]>(rowCount);
  for (let r = 0; r < rowCount; r++) {
    const row = new Array<number>(featureIndex.length);
    for (let f = 0; f < featureIndex.length; f++) {
      const col = featureIndex[f] as number;
      const v = source.number(r, col);
      if (v === undefined) throw new BackpropError("INVALID_FILE", source.cellError(r, col, { kind: "not-a-number" }));
      row[f] = v;
    }
    x[r] = row;
  }

  if (target === undefined || targetIndex === undefined) {
    return { x, y: undefined, featureNames, task: options.task ?? "regression" };
  }

  let task = options.task;
  if (task === undefined) {
    task = "regression";
    for (let r = 0; r < rowCount; r++) {
      if (source.number(r, targetIndex) === undefined) {
        task = "classification";
        break;
      }
    }
  }

  if (task === "regression") {
    const y = new Array<number[]>(rowCount);
    for (let r = 0; r < rowCount; r++) {
      const v = source.number(r, targetIndex);
      if (v === undefined) {
        throw new BackpropError("INVALID_FILE", source.cellError(r, targetIndex, { kind: "not-a-number" }));
      }
      y[r] = [v];
    }
    return { x, y, featureNames, targetName: target, task };
  }

  const labels = new Array<string>(rowCount);
  for (let r = 0; r < rowCount; r++) {
    const label = source.label(r, targetIndex);
    if (label === undefined) throw new BackpropError("INVALID_FILE", source.cellError(r, targetIndex, { kind: "missing" }));
    labels[r] = label;
  }
  const classes = options.classes ? [...options.classes] : sortLabels(labels);
  const classIndex = new Map<string, number>();
  classes.forEach((c, k) => classIndex.set(c, k));
  const y = new Array<number[]>(rowCount);
  for (let r = 0; r < rowCount; r++) {
    const k = classIndex.get(labels[r] as string);
    if (k === undefined) {
      throw new BackpropError("INVALID_FILE", source.cellError(r, targetIndex, { kind: "unknown-class", classes }));
    }
    const row = new Array<number>(classes.length).fill(0);
    row[k] = 1;
    y[r] = row;
  }
  return { x, y, featureNames, targetName: target, task, classes };
}
