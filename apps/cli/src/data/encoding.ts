import { BackpropError } from "@backprop/linalg";

/**
 * What to do with a missing cell (`""`, `NA`, `NaN`, `null`, … — see `MISSING_TEXTS`):
 * `drop` the row (the default of `backprop train`, with a count printed), fill it with the
 * training rows' `mean` or `median` (a category: its most frequent value), or stop with an `error`
 * naming the cell. A row whose target is missing is dropped unless the policy is `error`.
 */
export type MissingPolicy = "drop" | "mean" | "median" | "error";

/** The policies of {@link MissingPolicy}, for the CLI's choices. */
export const MISSING_POLICIES: readonly MissingPolicy[] = ["drop", "mean", "median", "error"];

/**
 * How one raw column of a table becomes inputs of the network:
 *
 * - `number`: itself, one input;
 * - `category`: one input per category (one-hot, in the order of `categories`); a value the model
 *   was not trained on is an error at predict time, naming the cell and the known categories;
 * - `date`: days since 1970-01-01 UTC (the time of day as a fraction), one input.
 *
 * `fill` is the value a missing cell takes (`--missing mean|median`), fitted on the training rows.
 */
export type ColumnEncoding =
  | { readonly name: string; readonly kind: "number"; readonly fill?: number }
  | { readonly name: string; readonly kind: "category"; readonly categories: string[]; readonly fill?: string }
  | { readonly name: string; readonly kind: "date"; readonly fill?: number };

/**
 * What `backprop train` keeps in a model file about the table it read and how the run was set up
 * beyond the network: stored as `metadata.backpropCli.table` so `predict`, `evaluate` and
 * `--resume` read new files exactly as training did. Absent in older files (every feature a number).
 */
export interface TableMetadata {
  /** How each feature column (`features`, in order) becomes inputs; absent: all numbers. */
  readonly columns?: ColumnEncoding[];
  /** The `--missing` policy the model was trained with; predict and evaluate apply it too. */
  readonly missing?: MissingPolicy;
  /** `--test-split`: the share of rows held out before the validation split. */
  readonly testSplit?: number;
  /** `--class-weight` as given (`balanced`, or `label:weight,…`). */
  readonly classWeightSpec?: string;
  /** The weight of each class (in `classes` order) the training targets were scaled by. */
  readonly classWeight?: number[];
  /** `--early-stopping`: epochs without a better `val_loss` before stopping. */
  readonly earlyStopping?: number;
  /** The training file's field separator. */
  readonly delimiter?: string;
  /** SHA-1 of the training file, so `evaluate` can tell when it scores rows the model trained on. */
  readonly fingerprint?: string;
  /** How the rows were used: training, validation and test rows, and rows dropped for missing cells. */
  readonly rows?: { readonly train: number; readonly validation: number; readonly test: number; readonly dropped: number };
}

/** The network input names of encoded columns: a category expands to `name=category` per category. */
export function inputNames(columns: readonly ColumnEncoding[]): string[] {
  const names: string[] = [];
  for (const c of columns) {
    if (c.kind === "category") for (const k of c.categories) names.push(`${c.name}=${k}`);
    else names.push(c.name);
  }
  return names;
}

/** The number of network inputs encoded columns make. */
export function inputWidth(columns: readonly ColumnEncoding[]): number {
  let width = 0;
  for (const c of columns) width += c.kind === "category" ? c.categories.length : 1;
  return width;
}

/** Whether any column is more than a plain number (so the table needs its encoding to be read). */
export function isEncoded(columns: readonly ColumnEncoding[]): boolean {
  return columns.some((c) => c.kind !== "number" || c.fill !== undefined);
}

const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === "string");
const isFiniteNumber = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

function checkColumn(value: unknown, where: string, k: number): ColumnEncoding {
  const bad = (what: string) => new BackpropError("INVALID_FILE", `${where}: table.columns[${k}] ${what}`);
  if (typeof value !== "object" || value === null) throw bad("must be { name, kind }");
  const c = value as Record<string, unknown>;
  if (typeof c["name"] !== "string") throw bad("has no name");
  if (c["fill"] !== undefined && c["kind"] !== "category" && !isFiniteNumber(c["fill"])) throw bad("has a fill that is not a number");
  switch (c["kind"]) {
    case "number":
    case "date":
      return c as unknown as ColumnEncoding;
    case "category":
      if (!isStrings(c["categories"]) || c["categories"].length === 0) throw bad("has no categories");
      if (c["fill"] !== undefined && (typeof c["fill"] !== "string" || !c["categories"].includes(c["fill"]))) throw bad("has a fill that is not one of its categories");
      return c as unknown as ColumnEncoding;
    default:
      throw bad(`has an unknown kind ${JSON.stringify(c["kind"])} (expected number, category or date)`);
  }
}

/**
 * The table metadata of a model file's CLI metadata (`backprop train` saved it), checked; undefined
 * for files without one.
 * @param where - names the file in messages
 * @param features - the model's feature columns, which `columns` must list in the same order
 * @throws BackpropError `INVALID_FILE` for a malformed entry
 */
export function readTableMetadata(meta: { readonly features: readonly string[] }, where: string): TableMetadata | undefined {
  const value = (meta as { table?: unknown }).table;
  if (value === undefined) return undefined;
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new BackpropError("INVALID_FILE", `${where}: metadata.backpropCli.table must be an object`);
  const t = value as Record<string, unknown>;
  if (t["columns"] !== undefined) {
    if (!Array.isArray(t["columns"])) throw new BackpropError("INVALID_FILE", `${where}: table.columns must be an array`);
    const columns = t["columns"].map((c, k) => checkColumn(c, where, k));
    if (columns.length !== meta.features.length || columns.some((c, k) => c.name !== meta.features[k])) {
      throw new BackpropError("INVALID_FILE", `${where}: table.columns do not match the features (${meta.features.join(", ")})`);
    }
  }
  if (t["missing"] !== undefined && !MISSING_POLICIES.includes(t["missing"] as MissingPolicy)) {
    throw new BackpropError("INVALID_FILE", `${where}: table.missing must be one of ${MISSING_POLICIES.join(", ")} (got ${JSON.stringify(t["missing"])})`);
  }
  if (t["classWeight"] !== undefined && !(Array.isArray(t["classWeight"]) && t["classWeight"].every((w) => isFiniteNumber(w) && w >= 0))) {
    throw new BackpropError("INVALID_FILE", `${where}: table.classWeight must be a list of weights ≥ 0`);
  }
  return t as TableMetadata;
}

/** The encoding of a model's features: its table metadata's, or every feature a number (older files). */
export function columnsOf(features: readonly string[], table: TableMetadata | undefined): ColumnEncoding[] {
  return table?.columns ?? features.map((name) => ({ name, kind: "number" as const }));
}
