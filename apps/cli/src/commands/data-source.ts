import { existsSync, readFileSync } from "node:fs";
import { extname } from "node:path";
import { cliError } from "../cli-error.js";
import { listDatasets, loadDataset } from "../data/builtin.js";
import { parseCsv, tableToDataset } from "../data/csv.js";
import type { TableDataset, Task } from "../data/dataset.js";
import { CORPORA } from "../data/corpus.js";
import { readJsonDataset } from "../data/json.js";
import { isSeriesName } from "./series-source.js";

/** Samples loaded for training or evaluation, as plain rows, and where they came from. */
export interface LoadedData extends TableDataset {
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
  /** Built-in datasets: how many samples to generate or keep. */
  readonly samples?: number;
  /** Built-in generated datasets: Gaussian noise. */
  readonly noise?: number;
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

const quoted = (names: readonly string[]) => names.map((n) => `"${n}"`).join(", ");

/** A saved model needs its own feature columns: name the missing ones, the expected and the present. */
function checkFeatureColumns(file: string, header: readonly string[], features: readonly string[]): void {
  const missing = features.filter((f) => !header.includes(f));
  if (missing.length > 0) {
    throw cliError(
      `${file}: missing feature column${missing.length > 1 ? "s" : ""} ${quoted(missing)} (the model was trained on ${quoted(features)}; the file has ${quoted(header)})`,
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
    const d = loadDataset(source, {
      seed: options.seed,
      ...(options.samples !== undefined ? { samples: options.samples } : {}),
      ...(options.noise !== undefined ? { noise: options.noise } : {}),
    });
    return {
      x: d.x,
      y: d.y,
      featureNames: d.featureNames,
      task: d.task,
      source,
      ...(d.classes ? { classes: d.classes } : {}),
      ...(d.imageShape ? { imageShape: d.imageShape } : {}),
    };
  }
  const isStdin = source === "-";
  if (!isStdin && !existsSync(source) && isSeriesName(source)) {
    throw cliError(`${source}: is a time series: train a forecaster with \`backprop train ${source} --sequence\``, "INVALID_ARGUMENT");
  }
  if (!isStdin && !existsSync(source) && Object.hasOwn(CORPORA, source)) {
    throw cliError(`${source}: is a text corpus: train a language model with \`backprop train-text ${source}\``, "INVALID_ARGUMENT");
  }
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
  const isJson = extname(source).toLowerCase() === ".json";
  const csv = isJson ? undefined : parseCsv(text, name);
  if (csv && options.features) checkFeatureColumns(name, csv.header, options.features);
  const table = csv ? tableToDataset(csv, common) : readJsonDataset(text, name, common);
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
