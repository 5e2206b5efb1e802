import { loadWithMetadata } from "../model-file.js";
import { renderTable } from "../table.js";
import { lossChart } from "../chart.js";

/**
 * Epochs the model was trained for: its training state's, or — for a file that keeps none (ONNX,
 * TF.js, a converted copy) — the length of the loss history the CLI saved beside it.
 */
export function epochsTrained(epoch: number, history: Readonly<Record<string, readonly number[]>>, format: string): { epochs: number; note?: string } {
  const recorded = history["loss"]?.length ?? 0;
  if (epoch > 0 || recorded === 0) return { epochs: epoch };
  const keeper = format === "json" || format === "safetensors" ? "this file keeps" : `${format} files keep`;
  return { epochs: recorded, note: `from the saved history; ${keeper} no training state` };
}

/** `loss 0.1234  accuracy 0.9000`: the last value of each series (a diverged one reads NaN). */
function lastValues(history: Readonly<Record<string, readonly number[]>>): string {
  return Object.entries(history)
    .filter(([, values]) => values.length > 0)
    .map(([k, values]) => `${k} ${(values[values.length - 1] as number).toFixed(4)}`)
    .join("  ");
}

/** Runs `backprop inspect <model>`: summary table, optimizer, format, and training history. */
export async function inspect(path: string, o: { json: boolean }, out: NodeJS.WritableStream): Promise<number> {
  const { model, meta, metadata, format } = await loadWithMetadata(path);
  const opt = model.optimizer;
  const history = meta?.history ?? {};
  const trained = epochsTrained(model.epoch, history, format);
  if (o.json) {
    out.write(`${JSON.stringify({ path, format, config: model.getConfig(), params: model.countParams(), optimizer: opt ? { name: opt.name, config: opt.config, iterations: opt.iterations } : null, loss: model.loss?.name ?? null, epochs: trained.epochs, training: model.getTrainingState(), metadata }, null, 2)}\n`);
    return 0;
  }
  const lines = [`${path}  (${format})`, "", model.summary(), ""];
  const rows: string[][] = [["", ""]];
  rows.push(["loss", model.loss ? `${model.loss.name} ${JSON.stringify(model.loss.config)}` : "—"]);
  rows.push(["optimizer", opt ? `${opt.name} ${JSON.stringify(opt.config)}` : "—"]);
  rows.push(["optimizer steps", opt ? String(opt.iterations) : "—"]);
  rows.push(["epochs trained", trained.note === undefined ? String(trained.epochs) : `${trained.epochs} (${trained.note})`]);
  if (meta) {
    rows.push(["task", `${meta.task}${meta.classes ? ` (${meta.classes.join(", ")})` : ""}`]);
    if (meta.features.length > 0) rows.push(["features", meta.features.join(", ")]);
    if (meta.target) rows.push(["target", meta.target]);
    const s = meta.series;
    if (s) rows.push(["time series", `windows of ${s.window} steps → the next ${s.horizon}; transform ${s.transform ?? "none"}; trained on rows 1–${s.trainRows} of ${s.rows} (backprop forecast)`]);
    const t = meta.text;
    if (t) rows.push(["text", `${t.tokens}, vocabulary of ${t.vocab.length}, sequences of ${t.seqLength} (step ${t.step}) (backprop generate)`]);
    rows.push(["normalisation", meta.normalizer ? `${meta.normalizer.method} (outside the model: saved before the Normalization layer)` : (meta.training.normalize ?? (model.layers[0]?.className === "normalization" ? "in the model" : "none"))]);
    rows.push(["trained on", `${meta.training.source} (seed ${meta.training.seed}, validation ${meta.training.validationSplit}, batch ${meta.training.batchSize})`]);
  }
  lines.push(renderTable(rows).split("\n").slice(2).join("\n"));
  const epochs = history["loss"]?.length ?? 0;
  if (epochs > 0) {
    lines.push("", `history: ${epochs} epochs; last: ${lastValues(history)}`);
    if (epochs > 1) lines.push(lossChart([{ name: "loss", values: history["loss"] ?? [] }, { name: "val_loss", values: history["val_loss"] ?? [] }]));
  }
  out.write(`${lines.join("\n")}\n`);
  return 0;
}
