import { Matrix } from "@backprop/linalg";
import { columnsOf, readTableMetadata, type TableMetadata } from "../data/encoding.js";
import { applyNormalizer } from "../data/normalize.js";
import { loadWithMetadata, refuseSequenceModels, requireMetadata, type CliMetadata } from "../model-file.js";
import { renderReport, scorePredictions } from "../report.js";
import { loadData, type LoadedData } from "./data-source.js";

/** Targets in the shape of the model's output layer (one class-1 column for a sigmoid output). */
export function targetsFor(meta: CliMetadata, y: number[][]): number[][] {
  return meta.output === "sigmoid" ? y.map((r) => [r[1] ?? 0]) : y;
}

/** Options of {@link evaluate}. */
export interface EvaluateOptions {
  readonly target?: string;
  readonly json: boolean;
  /** The CSV field separator (default: sniffed). */
  readonly delimiter?: string;
}

/**
 * Whether `data` holds the rows the model was trained on: the same file (same SHA-1 of its text,
 * wherever it is now), or the same built-in dataset. Undefined when it does not.
 */
function seenInTraining(meta: CliMetadata, table: TableMetadata | undefined, data: LoadedData): string | undefined {
  const same = data.fingerprint !== undefined ? table?.fingerprint === data.fingerprint : data.source === meta.training.source;
  if (!same) return undefined;
  const rows = table?.rows;
  const used = rows ? `${rows.train} of its rows were training rows and ${rows.validation} validation rows` : "it was split into training and validation rows";
  const held = rows && rows.test > 0 ? `; only its ${rows.test} test rows were never seen (train's "test set" score)` : "; train with --test-split to keep rows it never sees";
  return `is the data the model was trained on: ${used}, so these scores are not an estimate on new data${held}`;
}

/**
 * Runs `backprop evaluate <model> <data>`: loss and metrics on labelled data. Says (on stderr)
 * when the data is the model's own training data; refuses a built-in dataset whose features or
 * classes are not the model's.
 */
export async function evaluate(modelPath: string, source: string, o: EvaluateOptions, out: NodeJS.WritableStream, err: NodeJS.WritableStream = process.stderr): Promise<number> {
  const { model, meta: maybe } = await loadWithMetadata(modelPath);
  const meta = requireMetadata(modelPath, maybe);
  refuseSequenceModels(modelPath, meta, "evaluate");
  const table = readTableMetadata(meta, modelPath);
  const target = o.target ?? meta.target;
  const data = loadData(source, {
    seed: meta.training.seed,
    needTarget: true,
    encoding: columnsOf(meta.features, table),
    missing: table?.missing ?? "error",
    task: meta.task,
    ...(meta.classes ? { classes: meta.classes } : {}),
    ...(target !== undefined ? { target } : {}),
    ...(o.delimiter !== undefined ? { delimiter: o.delimiter } : {}),
    model: { path: modelPath, features: meta.features, task: meta.task, ...(meta.classes ? { classes: meta.classes } : {}) },
  });
  for (const note of data.notes ?? []) err.write(`note: ${data.source}: ${note}\n`);
  if (data.dropped) err.write(`note: ${data.source}: ${data.dropped} row${data.dropped > 1 ? "s" : ""} with a missing cell left out (${data.droppedBy ?? ""})\n`);
  const seen = seenInTraining(meta, table, data);
  if (seen) err.write(`note: ${data.source} ${seen}\n`);
  const x = Matrix.fromArray(meta.normalizer ? applyNormalizer(meta.normalizer, data.x, data.source) : data.x, model.dtype);
  const y = Matrix.fromArray(targetsFor(meta, data.y ?? []), model.dtype);
  const report = scorePredictions(model.predict(x).asMatrix(), y, meta.task, meta.classes);
  const loss = model.loss ? model.evaluate(x, y)["loss"] : undefined;
  if (o.json) {
    out.write(`${JSON.stringify({ samples: x.rows, loss, ...report, ...(seen ? { seenInTraining: true } : {}) })}\n`);
  } else {
    out.write(`${x.rows} samples from ${source}\n${renderReport(report, loss)}\n`);
  }
  return 0;
}
