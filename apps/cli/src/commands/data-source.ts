import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { extname } from "node:path";
import { cliError } from "../cli-error.js";
import { listDatasets, loadDataset } from "../data/builtin.js";
import { listNames } from "../data/cells.js";
import { describeDelimiter, parseCsv, tableToDataset } from "../data/csv.js";
import type { TableDataset, Task } from "../data/dataset.js";
import { CORPORA } from "../data/corpus.js";
import type { ColumnEncoding, MissingPolicy } from "../data/encoding.js";
import { readJsonDataset } from "../data/json.js";
import { isSeriesName } from "./series-source.js";

/** Samples loaded for training or evaluation, as plain rows, and where they came from. */
export interface LoadedData extends TableDataset {
  /** What was loaded, for messages and the model file: a dataset name or a path. */
  readonly source: string;
  /** SHA-1 of the file's text (absent for built-in data), to recognise a model's training file. */
  readonly fingerprint?: string;
  /** The CSV field separator used (given or sniffed). */
  readonly delimiter?: string;
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
  /** What a missing cell does (default `"error"`); see {@link MissingPolicy}. */
  readonly missing?: MissingPolicy;
  /** The CSV field separator (default: sniffed). */
  readonly delimiter?: string;
  /** A saved model's feature columns and how they are encoded (predict, evaluate, --resume). */
  readonly encoding?: readonly ColumnEncoding[];
  /** A column whose values name the rows in predictions (`predict --id`). */
  readonly id?: string;
  /**
   * The model the data is for (predict, evaluate): its path, feature columns, task and classes.
   * A built-in dataset or file that does not have them is refused, naming both sides.
   */
  readonly model?: { readonly path: string; readonly features: readonly string[]; readonly task: Task; readonly classes?: readonly string[] };
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

const quoted = (names: readonly string[]) => listNames(names);

/** A saved model needs its own feature columns: name the missing ones, the expected and the present. */
function checkFeatureColumns(file: string, header: readonly string[], features: readonly string[]): void {
  const present = new Set(header);
  const missing = features.filter((f) => !present.has(f));
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
    if (options.id !== undefined) throw cliError(`--id ${options.id}: ${source} is a built-in dataset, without columns to name its rows by (they are numbered)`, "INVALID_ARGUMENT");
    const d = loadDataset(source, {
      seed: options.seed,
      ...(options.samples !== undefined ? { samples: options.samples } : {}),
      ...(options.noise !== undefined ? { noise: options.noise } : {}),
    });
    if (options.model) checkBuiltinFits(source, d, options.model, options.needTarget);
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
    ...(options.missing ? { missing: options.missing } : {}),
    ...(options.encoding ? { encoding: options.encoding } : {}),
    ...(options.id !== undefined ? { id: options.id } : {}),
  };
  const isJson = extname(source).toLowerCase() === ".json";
  if (isJson && options.delimiter !== undefined) throw cliError(`--delimiter: ${name} is a JSON file, not CSV`, "INVALID_ARGUMENT");
  const csv = isJson ? undefined : parseCsv(text, name, { delimiter: options.delimiter });
  if (csv && options.model) checkFeatureColumns(name, csv.header, options.model.features);
  const table = csv ? tableToDataset(csv, common) : readJsonDataset(text, name, common);
  if (options.needTarget && !table.y) {
    throw cliError(`${name}: no target column (use --target <column>)`, "INVALID_ARGUMENT");
  }
  const notes = [...(csv && options.delimiter === undefined && csv.delimiter !== "," ? [`columns separated by ${describeDelimiter(csv.delimiter)}`] : []), ...(table.notes ?? [])];
  return {
    ...table,
    source,
    ...(notes.length > 0 ? { notes } : {}),
    fingerprint: createHash("sha1").update(text).digest("hex"),
    ...(csv ? { delimiter: csv.delimiter } : {}),
  };
}

/**
 * A built-in dataset given to a saved model must be what it was trained on: the same features (by
 * name, in order) and, for classification, the same classes — a penguins model scored on iris
 * would otherwise report 33 % without a word.
 */
function checkBuiltinFits(source: string, d: { featureNames: readonly string[]; task: Task; classes?: readonly string[] }, model: NonNullable<DataOptions["model"]>, withTarget: boolean): void {
  const same = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((v, k) => v === b[k]);
  if (!same(d.featureNames, model.features)) {
    throw cliError(
      `${source}: its features (${listNames(d.featureNames, 6)}) are not the ones ${model.path} was trained on (${listNames(model.features, 6)})`,
      "INVALID_ARGUMENT",
      "give a file with the model's feature columns",
    );
  }
  if (!withTarget) return;
  if (d.task !== model.task) throw cliError(`${source}: is a ${d.task} dataset; ${model.path} is a ${model.task} model`, "INVALID_ARGUMENT");
  if (model.task === "classification" && model.classes && d.classes && !same(d.classes, model.classes)) {
    throw cliError(`${source}: its classes (${listNames(d.classes, 6)}) are not the ones ${model.path} was trained on (${listNames(model.classes, 6)})`, "INVALID_ARGUMENT");
  }
}
