import { Matrix, argmaxRows } from "@backprop/linalg";
import { columnsOf, readTableMetadata } from "../data/encoding.js";
import { applyNormalizer } from "../data/normalize.js";
import { loadWithMetadata, refuseSequenceModels, requireMetadata, writeAtomic } from "../model-file.js";
import { checkOutputPath } from "../output-path.js";
import { removeStaleTempFiles } from "../temp-files.js";
import { loadData } from "./data-source.js";

const csvCell = (v: string): string => (/[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

/**
 * The shortest decimal text that reads back as the same float32 (`0.1` for `0.10000000149011612`):
 * a float32 network's outputs have ~7 significant digits, printing 17 only adds noise.
 * @example
 * ```ts
 * float32Text(Math.fround(0.1)); // "0.1"
 * ```
 */
export function float32Text(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const f = Math.fround(v);
  for (let p = 1; p < 9; p++) {
    const t = Number(f.toPrecision(p));
    if (Math.fround(t) === f) return String(t);
  }
  return String(Number(f.toPrecision(9)));
}

/** Options of {@link predict}. */
export interface PredictOptions {
  readonly format: "csv" | "json";
  readonly output?: string;
  /** A column of the data whose values name each prediction (default: the input row number, `row`). */
  readonly id?: string;
  /** The CSV field separator (default: sniffed). */
  readonly delimiter?: string;
}

/**
 * Runs `backprop predict <model> [data]`: rows from a CSV/JSON file, a built-in dataset or stdin
 * ("-"), predictions out as CSV or JSON — each named by the `--id` column or the input row number
 * (1 for the first data row), probabilities printed to float32 precision — to stdout or
 * (atomically) to `--output`. Rows with a missing cell get no prediction when the model was trained
 * with `--missing drop` (a note on stderr says how many; the row numbers say which).
 */
export async function predict(modelPath: string, source: string, o: PredictOptions, out: NodeJS.WritableStream, err: NodeJS.WritableStream = process.stderr): Promise<number> {
  if (o.output !== undefined) checkOutputPath(o.output, "--output");
  const { model, meta: maybe } = await loadWithMetadata(modelPath);
  const meta = requireMetadata(modelPath, maybe);
  refuseSequenceModels(modelPath, meta, "predict");
  const table = readTableMetadata(meta, modelPath);
  const data = loadData(source, {
    seed: meta.training.seed,
    needTarget: false,
    encoding: columnsOf(meta.features, table),
    missing: table?.missing ?? "error",
    ...(o.id !== undefined ? { id: o.id } : {}),
    ...(o.delimiter !== undefined ? { delimiter: o.delimiter } : {}),
    model: { path: modelPath, features: meta.features, task: meta.task, ...(meta.classes ? { classes: meta.classes } : {}) },
  });
  for (const note of data.notes ?? []) err.write(`note: ${data.source}: ${note}\n`);
  if (data.dropped) {
    err.write(`note: ${data.source}: no prediction for ${data.dropped} row${data.dropped > 1 ? "s" : ""} with a missing cell (${data.droppedBy ?? ""}; ${modelPath} was trained with --missing drop)\n`);
  }
  const x = Matrix.fromArray(meta.normalizer ? applyNormalizer(meta.normalizer, data.x, data.source) : data.x, model.dtype);
  const p = model.predict(x).asMatrix();
  const rows = p.toArray();
  const number = model.dtype === "float32" ? float32Text : String;
  const idName = o.id ?? "row";
  const rowNumber = (i: number): number => data.rowNumbers?.[i] ?? i + 1;
  const idText = (i: number): string => (data.ids ? (data.ids[i] ?? "") : String(rowNumber(i)));
  const idValue = (i: number): string | number => (data.ids ? (data.ids[i] ?? "") : rowNumber(i));
  let text: string;
  if (meta.task === "classification") {
    const classes = meta.classes ?? [];
    const probs = meta.output === "sigmoid" ? rows.map((r) => [1 - (r[0] ?? 0), r[0] ?? 0]) : rows;
    const best = meta.output === "sigmoid" ? probs.map((r) => ((r[1] ?? 0) >= 0.5 ? 1 : 0)) : Array.from(argmaxRows(p));
    if (o.format === "json") {
      const records = probs.map((r, i) => ({ [idName]: idValue(i), prediction: classes[best[i] ?? 0], probabilities: Object.fromEntries(classes.map((c, j) => [c, Number(number(r[j] ?? 0))])) }));
      text = `${JSON.stringify(records, null, 2)}\n`;
    } else {
      const header = [idName, "prediction", ...classes.map((c) => `p(${c})`)].map(csvCell).join(",");
      text = `${[header, ...probs.map((r, i) => [csvCell(idText(i)), csvCell(classes[best[i] ?? 0] ?? ""), ...r.map(number)].join(","))].join("\n")}\n`;
    }
  } else {
    const name = meta.target ?? "prediction";
    const values = (r: number[]) => (r.length === 1 ? Number(number(r[0] ?? 0)) : r.map((v) => Number(number(v))));
    text =
      o.format === "json"
        ? `${JSON.stringify(rows.map((r, i) => ({ [idName]: idValue(i), [name]: values(r) })), null, 2)}\n`
        : `${[[idName, name].map(csvCell).join(","), ...rows.map((r, i) => [csvCell(idText(i)), ...r.map(number)].join(","))].join("\n")}\n`;
  }
  if (o.output !== undefined) {
    await removeStaleTempFiles(o.output);
    await writeAtomic(o.output, new TextEncoder().encode(text));
  }
  else out.write(text);
  return 0;
}
