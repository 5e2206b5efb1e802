import { existsSync, readFileSync } from "node:fs";
import { extname } from "node:path";
import { cliError } from "../cli-error.js";
import { listDatasets, loadDataset } from "../data/builtin.js";
import { parseCsv, tableToDataset } from "../data/csv.js";
import type { Task } from "../data/dataset.js";
import { readJsonDataset } from "../data/json.js";

/** Samples loaded for training or evaluation, as plain rows. */
export interface LoadedData {
  readonly x: number[][];
  readonly y: number[][] | undefined;
  readonly featureNames: string[];
  readonly targetName?: string;
  readonly task: Task;
  readonly classes?: string[];
  /** What was loaded, for messages and the model file: a dataset name or a path. */
  readonly source: string;
}

/** Options for reading a data file. */
export interface DataOptions {
  readonly target?: string;
  readonly features?: string[];
  readonly seed: number;
  /** Force classification for numeric labels. */
  readonly task?: Task;
  /** Whether a target column is required (train, evaluate) or optional (predict). */
  readonly needTarget: boolean;
  /** A saved model's class order, so one-hot columns line up with its outputs. */
  readonly classes?: string[];
}

function readText(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw cliError(
      code === "ENOENT" ? `${path}: no such file` : code === "EISDIR" ? `${path}: is a directory, expected a file` : `${path}: cannot be read (${code ?? String(error)})`,
      "INVALID_FILE",
    );
  }
}

/**
 * Reads training data from a built-in dataset name, a CSV file, a JSON file, or "-" (CSV on stdin).
 */
export function loadData(source: string, options: DataOptions): LoadedData {
  const builtin = listDatasets().map((d) => d.name);
  if (builtin.includes(source) && !existsSync(source)) {
    const d = loadDataset(source, { seed: options.seed });
    return { x: d.x, y: d.y, featureNames: d.featureNames, task: d.task, source, ...(d.classes ? { classes: d.classes } : {}) };
  }
  const isStdin = source === "-";
  if (!isStdin && !existsSync(source)) {
    throw cliError(`${source}: no such file or built-in dataset`, "INVALID_FILE", `built-in datasets: ${builtin.join(", ")}`);
  }
  const text = isStdin ? readFileSync(0, "utf8") : readText(source);
  const name = isStdin ? "<stdin>" : source;
  if (!options.needTarget && options.target === undefined) {
    // predict: every column is a feature unless told otherwise
  } else if (options.needTarget && options.target === undefined && extname(source).toLowerCase() !== ".json") {
    throw cliError(`${name}: --target <column> is required to train or evaluate on a CSV file`, "INVALID_ARGUMENT");
  }
  const common = {
    fileName: name,
    ...(options.target !== undefined ? { target: options.target } : {}),
    ...(options.features ? { features: options.features } : {}),
    ...(options.task ? { task: options.task } : {}),
    ...(options.classes ? { classes: options.classes } : {}),
  };
  const table =
    extname(source).toLowerCase() === ".json" ? readJsonDataset(text, name, common) : tableToDataset(parseCsv(text, name), common);
  if (options.needTarget && !table.y) {
    throw cliError(`${name}: no target column (use --target <column>)`, "INVALID_ARGUMENT");
  }
  return {
    x: table.x,
    y: table.y,
    featureNames: table.featureNames,
    task: table.task,
    source,
    ...(table.targetName !== undefined ? { targetName: table.targetName } : {}),
    ...(table.classes ? { classes: table.classes } : {}),
  };
}
