import type { ColumnEncoding } from "./encoding.js";

/**
 * Fits the value each column's missing cells take (`--missing mean|median`), on the given rows of
 * `x` only (the training rows: validation and test rows must not leak into it): the mean or median
 * of a number or date column, the most frequent category of a category column (its one-hot block),
 * as scikit-learn's `SimpleImputer` does with `strategy="most_frequent"` for text. A column with no
 * value in those rows is filled with 0 (its first category).
 *
 * @param x - encoded rows, NaN where a cell is missing
 * @param rows - indices of the rows to fit on
 * @returns the columns with their `fill`
 * @example
 * ```ts
 * const filled = fitFills(data.x, trainRows, data.encoding, "median");
 * applyFills(data.x, filled);
 * ```
 */
export function fitFills(x: readonly (readonly number[])[], rows: ArrayLike<number>, columns: readonly ColumnEncoding[], method: "mean" | "median"): ColumnEncoding[] {
  let at = 0;
  return columns.map((column) => {
    const start = at;
    if (column.kind === "category") {
      at += column.categories.length;
      const counts = new Array<number>(column.categories.length).fill(0);
      for (let i = 0; i < rows.length; i++) {
        const row = x[rows[i] as number] as readonly number[];
        for (let k = 0; k < counts.length; k++) if (row[start + k] === 1) counts[k] = (counts[k] ?? 0) + 1;
      }
      let best = 0;
      counts.forEach((n, k) => {
        if (n > (counts[best] ?? 0)) best = k;
      });
      return { ...column, fill: column.categories[best] as string };
    }
    at += 1;
    const values: number[] = [];
    for (let i = 0; i < rows.length; i++) {
      const v = (x[rows[i] as number] as readonly number[])[start] as number;
      if (!Number.isNaN(v)) values.push(v);
    }
    return { ...column, fill: values.length === 0 ? 0 : method === "mean" ? mean(values) : median(values) };
  });
}

function mean(values: readonly number[]): number {
  let s = 0;
  for (const v of values) s += v;
  return s / values.length;
}

/** The middle value, or the mean of the two middle ones (pandas' `median`). */
function median(values: number[]): number {
  values.sort((a, b) => a - b);
  const mid = values.length >> 1;
  return values.length % 2 === 1 ? (values[mid] as number) : ((values[mid - 1] as number) + (values[mid] as number)) / 2;
}

/**
 * Replaces the NaN cells of `x` (in place) with their column's `fill` from {@link fitFills}.
 * @returns how many cells were filled
 */
export function applyFills(x: number[][], columns: readonly ColumnEncoding[]): number {
  let filled = 0;
  for (const row of x) {
    let at = 0;
    for (const column of columns) {
      const span = column.kind === "category" ? column.categories.length : 1;
      if (Number.isNaN(row[at]) && column.fill !== undefined) {
        filled++;
        if (column.kind === "category") {
          const k = Math.max(0, column.categories.indexOf(column.fill));
          for (let i = 0; i < span; i++) row[at + i] = i === k ? 1 : 0;
        } else row[at] = column.fill;
      }
      at += span;
    }
  }
  return filled;
}
