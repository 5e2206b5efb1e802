import { BackpropError } from "@backprop/linalg";
import { checkTableMemory } from "../memory-estimate.js";
import { listNames, looksLikeDate, parseDate, parseNumber, quoteCell } from "./cells.js";
import type { TableDataset, Task } from "./dataset.js";
import { inputWidth, type ColumnEncoding, type MissingPolicy } from "./encoding.js";

export { parseNumber } from "./cells.js";

/** Why a cell was rejected; each file format words it its own way. */
export type CellProblem =
  | { readonly kind: "not-a-number" }
  /** The target cell is missing (`missing: "error"`). */
  | { readonly kind: "missing" }
  /** A feature cell is missing (`missing: "error"`). */
  | { readonly kind: "missing-value" }
  | { readonly kind: "not-a-date" }
  /** Neither a number nor text (a JSON object or array). */
  | { readonly kind: "not-a-label" }
  | { readonly kind: "unknown-class"; readonly classes: readonly string[] }
  | { readonly kind: "unknown-category"; readonly categories: readonly string[] };

/** Column-wise access to a table of cells, whatever file it came from. */
export interface CellSource {
  /** Used as the `<file>` of messages about columns. */
  readonly fileName: string;
  readonly columns: readonly string[];
  readonly rowCount: number;
  /** The cell as a finite number, or `undefined` if it is not one (or is missing). */
  number(row: number, col: number): number | undefined;
  /** Whether the cell has the form of a number (faster than {@link number} where it can be). */
  isNumber?(row: number, col: number): boolean;
  /** The index of each column name, when the source has it already. */
  readonly columnIndex?: ReadonlyMap<string, number>;
  /** Whether the cell is missing: absent, empty, or a missing-value marker (`NA`, `NaN`, `null`, …). */
  missing(row: number, col: number): boolean;
  /** The cell as trimmed text (a label, a category, a date), or `undefined` if it has none (a JSON object). */
  text(row: number, col: number): string | undefined;
  /** Where the cell is, for notes: `file.csv:5:2`, `file.json: [4].sex`. */
  where(row: number, col: number): string;
  /** A one-line message for a bad cell, naming where it is. */
  cellError(row: number, col: number, problem: CellProblem): string;
}

/** Which columns to use and how to read them. */
export interface ColumnOptions {
  /** The target column; omitted or `undefined` for inputs only (as for `backprop predict`). */
  readonly target?: string | undefined;
  /**
   * The feature columns, in this order; defaults to every column but the target (and `id`), less
   * the ones that cannot be features as they are (ids, dates, empty columns — each with a note).
   * A column named here is always used: a date column is read as days since 1970-01-01.
   */
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
  /** What a missing cell does (see {@link MissingPolicy}); default `"error"`. */
  readonly missing?: MissingPolicy;
  /**
   * A saved model's feature columns: their kinds, categories and fill values, used as they are
   * (predict, evaluate, `--resume`); overrides `features`.
   */
  readonly encoding?: readonly ColumnEncoding[];
  /** A column whose values name the samples (`predict --id`); never a feature unless named in `features`. */
  readonly id?: string;
}

/**
 * A target with more distinct values than this, and more than half the rows, is refused: it is an
 * id or a measurement, not classes (10 000 classes of one sample each cannot be learnt, and their
 * one-hot targets alone take gigabytes).
 */
export const MAX_CLASSES = 1000;

/** A text column with more distinct values than this, and more than half its rows, is left out as an id or free text. */
const MAX_IMPLICIT_CATEGORIES = 20;

/** Column names that mark a numeric column of row ids (pandas' unnamed index column included). */
const ID_NAME = /^(?:|id|index|row|unnamed: ?0|.*[_\s-]id|.*[a-z0-9]Id|.*[_\s-]ID)$/i;

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

type Plan = { readonly column: ColumnEncoding } | { readonly note: string };

/**
 * Decides how a column becomes inputs, from its cells: numbers; dates (left out unless `forced`);
 * a mostly numeric column with a stray word is an error at that cell; other text is a category
 * column, unless it looks like an id or free text (left out unless `forced`).
 */
function planColumn(source: CellSource, c: number, name: string, forced: boolean): Plan {
  const { rowCount, fileName } = source;
  const shown = () => quoteCell(name);
  let missing = 0;
  let numeric = 0;
  let dates = 0;
  let firstText = -1;
  for (let r = 0; r < rowCount; r++) {
    // NOTE: numbers first: no missing-value marker has the form of a number.
    if (source.isNumber ? source.isNumber(r, c) : source.number(r, c) !== undefined) {
      numeric++;
      continue;
    }
    if (source.missing(r, c)) {
      missing++;
      continue;
    }
    const t = source.text(r, c);
    if (t === undefined) throw new BackpropError("INVALID_FILE", source.cellError(r, c, { kind: "not-a-label" }));
    if (firstText < 0) firstText = r;
    if (looksLikeDate(t)) dates++;
  }
  const present = rowCount - missing;
  if (present === 0) {
    if (forced) throw new BackpropError("INVALID_ARGUMENT", `${fileName}: column ${shown()} has no values (every cell is missing)`);
    return { note: `column ${shown()} is empty: not used` };
  }
  if (numeric === present) {
    if (!forced && ID_NAME.test(name) && distinctIntegers(source, c)) {
      return { note: `column ${shown()} looks like a row id (${present.toLocaleString("en-US")} distinct integers): not used as a feature (name it in --features to use it)` };
    }
    return { column: { name, kind: "number" } };
  }
  if (numeric === 0 && dates === present) {
    if (!forced) return { note: `column ${shown()} holds dates: not used as a feature (name it in --features to read it as days since 1970-01-01)` };
    for (let r = 0; r < rowCount; r++) {
      if (!source.missing(r, c) && parseDate(source.text(r, c) ?? "") === undefined) {
        throw new BackpropError("INVALID_FILE", source.cellError(r, c, { kind: "not-a-date" }), { hint: "write dates as YYYY-MM-DD (an ISO date, optionally with a time)" });
      }
    }
    return { column: { name, kind: "date" } };
  }
  if (numeric * 2 >= present) {
    // NOTE: mostly numbers: the text is a typo or an unusual missing-value marker, not a category.
    throw new BackpropError("INVALID_FILE", source.cellError(firstText, c, { kind: "not-a-number" }), {
      hint: "an empty cell, NA, NaN or null marks a missing value (see --missing)",
    });
  }
  const counts = new Map<string, number>();
  for (let r = 0; r < rowCount; r++) {
    if (source.missing(r, c)) continue;
    const t = source.text(r, c) as string;
    counts.set(t, (counts.get(t) ?? 0) + 1);
  }
  if (!forced && counts.size > MAX_IMPLICIT_CATEGORIES && counts.size * 2 > present) {
    return {
      note: `column ${shown()} has ${counts.size.toLocaleString("en-US")} distinct values in ${present.toLocaleString("en-US")} rows (an id or free text?): not used as a feature (name it in --features to one-hot encode it)`,
    };
  }
  return { column: { name, kind: "category", categories: sortLabels(counts.keys()) } };
}

function distinctIntegers(source: CellSource, c: number): boolean {
  const seen = new Set<number>();
  for (let r = 0; r < source.rowCount; r++) {
    if (source.missing(r, c)) continue;
    const v = source.number(r, c) as number;
    if (!Number.isInteger(v) || seen.has(v)) return false;
    seen.add(v);
  }
  return seen.size > 1;
}

/** Picks columns, encodes features as numbers and the target as classes or values; see {@link ColumnOptions}. */
export function buildDataset(source: CellSource, options: ColumnOptions): TableDataset {
  const { columns, fileName, rowCount } = source;
  const policy = options.missing ?? "error";
  let indexOf = source.columnIndex;
  if (!indexOf) {
    const map = new Map<string, number>();
    columns.forEach((name, k) => map.set(name, k));
    indexOf = map;
  }

  const { target, id } = options;
  const targetIndex = target === undefined ? undefined : indexOf.get(target);
  if (target !== undefined && targetIndex === undefined) {
    throw new BackpropError("INVALID_ARGUMENT", `${fileName}: no column named ${quoteCell(target)} for the target (columns: ${listNames(columns)})`);
  }
  const idIndex = id === undefined ? undefined : indexOf.get(id);
  if (id !== undefined && idIndex === undefined) {
    throw new BackpropError("INVALID_ARGUMENT", `${fileName}: no column named ${quoteCell(id)} for --id (columns: ${listNames(columns)})`);
  }

  const saved = options.encoding;
  const requested = saved ? saved.map((c) => c.name) : options.features;
  let candidates: string[];
  let candidateIndex: number[];
  if (requested) {
    candidates = [...requested];
    const seen = new Set<string>();
    const index = indexOf;
    candidateIndex = candidates.map((name) => {
      const k = index.get(name);
      if (k === undefined) {
        throw new BackpropError("INVALID_ARGUMENT", `${fileName}: no column named ${quoteCell(name)} for a feature (columns: ${listNames(columns)})`);
      }
      if (name === target) throw new BackpropError("INVALID_ARGUMENT", `${fileName}: column ${quoteCell(name)} is both the target and a feature`);
      if (seen.has(name)) throw new BackpropError("INVALID_ARGUMENT", `${fileName}: feature column ${quoteCell(name)} is listed twice`);
      seen.add(name);
      return k;
    });
  } else {
    // NOTE: every column but the target and the id, by position: no lookups for a million columns.
    candidates = [];
    candidateIndex = [];
    columns.forEach((name, k) => {
      if (k === targetIndex || k === idIndex) return;
      candidates.push(name);
      candidateIndex.push(k);
    });
  }
  if (candidates.length === 0) {
    throw new BackpropError("INVALID_ARGUMENT", `${fileName}: no feature columns (columns: ${listNames(columns)}; target: ${quoteCell(target ?? "")})`);
  }

  const notes: string[] = [];
  let plan: ColumnEncoding[];
  let planIndex: number[];
  if (saved) {
    plan = [...saved];
    planIndex = candidateIndex;
  } else {
    plan = [];
    planIndex = [];
    candidates.forEach((name, k) => {
      const decided = planColumn(source, candidateIndex[k] as number, name, requested !== undefined);
      if ("note" in decided) notes.push(decided.note);
      else {
        plan.push(decided.column);
        planIndex.push(candidateIndex[k] as number);
      }
    });
    if (plan.length === 0) {
      throw new BackpropError("INVALID_ARGUMENT", `${fileName}: no usable feature columns (${notes.join("; ")})`, { hint: "name the columns to use with --features" });
    }
  }
  const width = inputWidth(plan);
  const categoryIndex = plan.map((c) => (c.kind === "category" ? new Map(c.categories.map((k, i) => [k, i])) : undefined));

  // The target: its task, and for classes their labels, before anything is allocated.
  let task: Task = options.task ?? "regression";
  let classes: string[] | undefined;
  let classIndex: Map<string, number> | undefined;
  if (targetIndex !== undefined && options.task === undefined) {
    for (let r = 0; r < rowCount; r++) {
      if (!source.missing(r, targetIndex) && source.number(r, targetIndex) === undefined) {
        task = "classification";
        break;
      }
    }
  }
  if (targetIndex !== undefined && task === "classification") {
    if (options.classes) classes = [...options.classes];
    else {
      const labels = new Set<string>();
      let labelled = 0;
      for (let r = 0; r < rowCount; r++) {
        if (source.missing(r, targetIndex)) continue;
        const label = source.text(r, targetIndex);
        if (label === undefined) throw new BackpropError("INVALID_FILE", source.cellError(r, targetIndex, { kind: "not-a-label" }));
        labels.add(label);
        labelled++;
      }
      if (labels.size > MAX_CLASSES && labels.size * 2 > labelled) {
        throw new BackpropError(
          "INVALID_FILE",
          `${fileName}: the target column ${quoteCell(target ?? "")} has ${labels.size.toLocaleString("en-US")} distinct values in ${labelled.toLocaleString("en-US")} rows: too many classes to learn (more than ${MAX_CLASSES.toLocaleString("en-US")}, and more than half the rows)`,
          { hint: "is it an id or a measurement? choose another --target, or --task regression for a numeric one" },
        );
      }
      classes = sortLabels(labels);
    }
    classIndex = new Map(classes.map((k, i) => [k, i]));
  }
  checkTableMemory(fileName, rowCount, width, targetIndex === undefined ? 0 : (classes?.length ?? 1));

  const x: number[][] = [];
  const y: number[][] | undefined = targetIndex === undefined ? undefined : [];
  const ids: string[] | undefined = idIndex === undefined ? undefined : [];
  const rowNumbers: number[] = [];
  const droppedBy = new Map<string, number>();
  let dropped = 0;
  let unfilled = false;
  const countDrop = (name: string) => droppedBy.set(name, (droppedBy.get(name) ?? 0) + 1);

  for (let r = 0; r < rowCount; r++) {
    let drop = false;
    let targetRow: number[] | undefined;
    if (targetIndex !== undefined) {
      const value = classIndex ? undefined : source.number(r, targetIndex);
      if (value !== undefined) targetRow = [value];
      else if (source.missing(r, targetIndex)) {
        if (policy === "error") throw new BackpropError("INVALID_FILE", source.cellError(r, targetIndex, { kind: "missing" }));
        drop = true;
        countDrop(target as string);
      } else if (classIndex && classes) {
        const label = source.text(r, targetIndex);
        if (label === undefined) throw new BackpropError("INVALID_FILE", source.cellError(r, targetIndex, { kind: "not-a-label" }));
        const k = classIndex.get(label);
        if (k === undefined) throw new BackpropError("INVALID_FILE", source.cellError(r, targetIndex, { kind: "unknown-class", classes }));
        targetRow = new Array<number>(classes.length).fill(0);
        targetRow[k] = 1;
      } else {
        throw new BackpropError("INVALID_FILE", source.cellError(r, targetIndex, { kind: "not-a-number" }));
      }
    }

    // NOTE: filled by push: `new Array(n)` of 100 000 or more is a dictionary in V8, 3× slower to fill.
    const row: number[] = [];
    for (let j = 0; j < plan.length; j++) {
      const column = plan[j] as ColumnEncoding;
      const c = planIndex[j] as number;
      if (column.kind === "number") {
        const v = source.number(r, c);
        if (v !== undefined) {
          row.push(v);
          continue;
        }
      }
      const span = column.kind === "category" ? column.categories.length : 1;
      const at = row.length;
      if (source.missing(r, c)) {
        if (column.fill !== undefined) {
          if (column.kind === "category") {
            for (let k = 0; k < span; k++) row.push(0);
            row[at + (categoryIndex[j]?.get(column.fill) ?? 0)] = 1;
          } else row.push(column.fill);
        } else if (policy === "error") {
          throw new BackpropError("INVALID_FILE", source.cellError(r, c, { kind: "missing-value" }), {
            hint: "a model trained with --missing drop leaves such rows out, with --missing mean or median fills the cell",
          });
        } else if (policy === "drop") {
          drop = true;
          countDrop(column.name);
          for (let k = 0; k < span; k++) row.push(0);
        } else {
          for (let k = 0; k < span; k++) row.push(Number.NaN);
          unfilled = true;
        }
        continue;
      }
      switch (column.kind) {
        case "number":
          throw new BackpropError("INVALID_FILE", source.cellError(r, c, { kind: "not-a-number" }));
        case "date": {
          const v = parseDate(source.text(r, c) ?? "");
          if (v === undefined) throw new BackpropError("INVALID_FILE", source.cellError(r, c, { kind: "not-a-date" }));
          row.push(v);
          break;
        }
        case "category": {
          const t = source.text(r, c);
          if (t === undefined) throw new BackpropError("INVALID_FILE", source.cellError(r, c, { kind: "not-a-label" }));
          const k = categoryIndex[j]?.get(t);
          if (k === undefined) throw new BackpropError("INVALID_FILE", source.cellError(r, c, { kind: "unknown-category", categories: column.categories }));
          for (let i = 0; i < span; i++) row.push(0);
          row[at + k] = 1;
          break;
        }
      }
    }
    if (drop) {
      dropped++;
      continue;
    }
    x.push(row);
    if (y && targetRow) y.push(targetRow);
    if (ids && idIndex !== undefined) ids.push(source.missing(r, idIndex) ? "" : (source.text(r, idIndex) ?? ""));
    rowNumbers.push(r + 1);
  }

  const by = [...droppedBy].map(([name, n]) => `${name}: ${n.toLocaleString("en-US")}`).join(", ");
  if (dropped > 0 && x.length === 0) {
    throw new BackpropError("INVALID_FILE", `${fileName}: every one of its ${rowCount.toLocaleString("en-US")} rows has a missing cell (${by})`, {
      hint: "--missing mean or median fills them; --features picks the columns to use",
    });
  }
  return {
    x,
    y,
    featureNames: plan.map((c) => c.name),
    ...(target !== undefined && targetIndex !== undefined ? { targetName: target } : {}),
    task,
    ...(classes ? { classes } : {}),
    encoding: plan,
    ...(dropped > 0 ? { rowNumbers, dropped, droppedBy: by } : {}),
    ...(ids ? { ids } : {}),
    ...(notes.length > 0 ? { notes } : {}),
    ...(unfilled ? { unfilled } : {}),
  };
}
