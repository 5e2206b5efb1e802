import { BackpropError } from "@backprop/linalg";
import { parseNumber } from "./build-dataset.js";
import type { CsvTable } from "./csv.js";

/**
 * A time series read from a table: one row per time step, oldest first. `inputs[t]` holds the
 * values of {@link Series.columns} at step t (the target column first), `target[t]` the target's.
 */
export interface Series {
  /** The file (or built-in name) it came from, for messages. */
  readonly fileName: string;
  /** The target column. */
  readonly targetName: string;
  /** The columns read at each step, the target first, then any `--features`. */
  readonly columns: string[];
  /** `inputs[t][k]` is column `columns[k]` at step t. */
  readonly inputs: number[][];
  /** The target column at each step. */
  readonly target: number[];
  /** The 1-based line of each row in the file, and the 1-based field of each column, for messages. */
  readonly lines: number[];
  readonly fields: number[];
}

const quoted = (names: readonly string[]) => names.map((n) => `"${n}"`).join(", ");

/**
 * Reads a series from a CSV table: the target column and, with `features`, more columns read at
 * every step. Other columns (a date, say) are ignored and may hold anything.
 *
 * Without `target`, a table with a single column is that column; otherwise the target is required.
 *
 * @throws BackpropError `INVALID_ARGUMENT` for a missing `--target` or an unknown column;
 *   `INVALID_FILE` for a cell that is not a number, as `<file>:<line>:<column>: "<value>" is not a
 *   number (column "<name>", the target)`
 */
export function readSeries(table: CsvTable, fileName: string, options: { target?: string; features?: readonly string[] }): Series {
  const { header, rows, lines } = table;
  let target = options.target;
  if (target === undefined) {
    if (header.length !== 1) {
      throw new BackpropError("INVALID_ARGUMENT", `${fileName}: --target <column> is required to pick the series (columns: ${quoted(header)})`);
    }
    target = header[0] as string;
  }
  const columns = [target, ...(options.features ?? []).filter((f) => f !== target)];
  const index = columns.map((name) => {
    const k = header.indexOf(name);
    if (k < 0) {
      throw new BackpropError(
        "INVALID_ARGUMENT",
        `${fileName}: no column named "${name}" for ${name === target ? "the target (--target)" : "a feature (--features)"} (columns: ${quoted(header)})`,
      );
    }
    return k;
  });
  const dup = columns.find((c, k) => columns.indexOf(c) !== k);
  if (dup !== undefined) throw new BackpropError("INVALID_ARGUMENT", `${fileName}: --features lists column "${dup}" twice`);
  const inputs: number[][] = new Array<number[]>(rows.length);
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r] as string[];
    inputs[r] = index.map((c, k) => {
      const cell = row[c] ?? "";
      const v = parseNumber(cell);
      if (v === undefined) {
        throw new BackpropError(
          "INVALID_FILE",
          `${fileName}:${lines[r] ?? "?"}:${c + 1}: "${cell}" is not a number (column "${columns[k]}"${k === 0 ? ", the target" : ""})`,
          { hint: k === 0 ? "the target of a sequence model must be numeric at every step" : "every --features column must be numeric at every step" },
        );
      }
      return v;
    });
  }
  return { fileName, targetName: target, columns, inputs, target: inputs.map((r) => r[0] as number), lines: [...lines], fields: index.map((c) => c + 1) };
}

/** Where a series is cut in time (see {@link chronologicalSplit}). */
export interface ChronologicalSplit {
  /** Rows `0 … trainRows−1` are the training part; the rest is validation. */
  readonly trainRows: number;
  /** Start rows of the training windows (every input and target row is a training row). */
  readonly trainStarts: number[];
  /** Start rows of the validation windows (each starts after the last training target). */
  readonly validationStarts: number[];
}

/**
 * Cuts a series of `n` steps in time: the first `n − round(n·fraction)` rows train, the rest
 * validate. A window is `window` input rows followed by `horizon` target rows; a training window
 * lies wholly in the training part, a validation window wholly after it — so no validation
 * target is ever a training input or target, and the inputs of validation windows are unseen
 * too. Windows slide by one step.
 *
 * @throws BackpropError `INVALID_ARGUMENT` when the series, its training part or (with
 *   `fraction > 0`) its validation part is shorter than one window plus its horizon; the message
 *   names the flags to change
 */
export function chronologicalSplit(where: string, n: number, window: number, horizon: number, fraction: number): ChronologicalSplit {
  const span = window + horizon;
  if (n < span) {
    throw new BackpropError(
      "INVALID_ARGUMENT",
      `${where}: the series has ${n} rows, fewer than one window (--window ${window} + --horizon ${horizon} = ${span} rows)`,
      { hint: `use a --window below ${Math.max(1, n - horizon)}` },
    );
  }
  const held = fraction > 0 ? Math.round(n * fraction) : 0;
  const trainRows = n - held;
  if (trainRows < span) {
    throw new BackpropError(
      "INVALID_ARGUMENT",
      `${where}: --validation-split ${fraction} leaves ${trainRows} training rows, fewer than one window (--window ${window} + --horizon ${horizon} = ${span} rows)`,
      { hint: "use a smaller --validation-split or --window" },
    );
  }
  if (fraction > 0 && held < span) {
    throw new BackpropError(
      "INVALID_ARGUMENT",
      `${where}: --validation-split ${fraction} holds out the last ${held} rows, fewer than one window (--window ${window} + --horizon ${horizon} = ${span} rows)`,
      { hint: "validation windows start after the last training target: use a larger --validation-split, a shorter --window, or --validation-split 0" },
    );
  }
  const starts = (from: number, to: number) => Array.from({ length: Math.max(0, to - span - from + 1) }, (_, k) => from + k);
  return { trainRows, trainStarts: starts(0, trainRows), validationStarts: starts(trainRows, n) };
}

/**
 * How values are turned into what the network sees, window by window (`v` is a window's last
 * value of the same column):
 * - `none`: the values;
 * - `log`: `ln x` (positive series);
 * - `diff`: `x − v`, and the target `y − v`: the change since the window's end — the network
 *   learns the shape of the series, not its level, so a trend beyond the training range is no
 *   extrapolation; predicting 0 is the naive "no change" forecast;
 * - `log-diff`: `ln x − ln v`: relative changes, for a season that grows with the level.
 */
export type SeriesTransform = "none" | "log" | "diff" | "log-diff";

/** The transforms, in `--transform`'s order. */
export const TRANSFORMS: readonly SeriesTransform[] = ["none", "log", "diff", "log-diff"];

/** Checks that a log transform sees positive values only. */
export function checkTransform(series: Series, transform: SeriesTransform): void {
  if (transform !== "log" && transform !== "log-diff") return;
  series.inputs.forEach((row, r) =>
    row.forEach((v, k) => {
      if (!(v > 0)) {
        throw new BackpropError("INVALID_ARGUMENT", `${series.fileName}:${series.lines[r] ?? "?"}:${series.fields[k] ?? "?"}: --transform ${transform} needs positive values (got ${v} in column "${series.columns[k]}")`, {
          hint: "use --transform diff or none for series with zeros or negative values",
        });
      }
    }),
  );
}

const forward = (transform: SeriesTransform, x: number, last: number): number =>
  transform === "none" ? x : transform === "log" ? Math.log(x) : transform === "diff" ? x - last : Math.log(x) - Math.log(last);

/** A value back from the network's (unscaled) output, given the window's last raw target value. */
export function untransform(transform: SeriesTransform, out: number, last: number): number {
  return transform === "none" ? out : transform === "log" ? Math.exp(out) : transform === "diff" ? last + out : last * Math.exp(out);
}

/** One window's rows (raw, `[window][columns]`) as the network's input, flattened row-major. */
export function transformWindow(rows: readonly (readonly number[])[], transform: SeriesTransform, out: Float64Array = new Float64Array(rows.length * (rows[0]?.length ?? 0)), offset = 0): Float64Array {
  const last = rows[rows.length - 1] as readonly number[];
  const width = last.length;
  rows.forEach((row, t) => row.forEach((x, k) => (out[offset + t * width + k] = forward(transform, x, last[k] as number))));
  return out;
}

/**
 * The windows starting at `starts`, transformed (not yet scaled): inputs `[count, window, columns]`
 * row-major, and targets `[count, horizon]`, the `horizon` target values after each window.
 */
export function makeWindows(
  series: Pick<Series, "inputs" | "target">,
  starts: readonly number[],
  window: number,
  horizon: number,
  transform: SeriesTransform = "none",
): { x: Float64Array; y: Float64Array } {
  const width = series.inputs[0]?.length ?? 0;
  const x = new Float64Array(starts.length * window * width);
  const y = new Float64Array(starts.length * horizon);
  starts.forEach((s, i) => {
    transformWindow(series.inputs.slice(s, s + window), transform, x, i * window * width);
    const last = series.target[s + window - 1] as number;
    for (let h = 0; h < horizon; h++) y[i * horizon + h] = forward(transform, series.target[s + window + h] as number, last);
  });
  return { x, y };
}

/** Mean and population standard deviation per column (a constant column gets std 1). */
export interface ColumnStats {
  readonly mean: number[];
  readonly std: number[];
}

/**
 * {@link ColumnStats} of row-major values with `width` columns (the training windows' inputs, or
 * targets): computed from training data only, they become the model's Normalization layer.
 */
export function columnStats(values: Float64Array, width: number): ColumnStats {
  const n = values.length / width;
  const mean = new Array<number>(width).fill(0);
  const std = new Array<number>(width).fill(0);
  for (let i = 0; i < values.length; i++) mean[i % width] = (mean[i % width] as number) + (values[i] as number) / n;
  for (let i = 0; i < values.length; i++) {
    const e = (values[i] as number) - (mean[i % width] as number);
    std[i % width] = (std[i % width] as number) + (e * e) / n;
  }
  return { mean, std: std.map((v) => (v > 1e-24 ? Math.sqrt(v) : 1)) };
}
