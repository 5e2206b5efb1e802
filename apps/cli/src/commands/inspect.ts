import { loadWithMetadata } from "../model-file.js";
import { renderTable } from "../table.js";
import { lossChart } from "../chart.js";

/** Runs `backprop inspect <model>`: summary table, optimizer, format, and training history. */
export async function inspect(path: string, o: { json: boolean }, out: NodeJS.WritableStream): Promise<number> {
  const { model, meta, metadata, format } = await loadWithMetadata(path);
  const opt = model.optimizer;
  if (o.json) {
    out.write(`${JSON.stringify({ path, format, config: model.getConfig(), params: model.countParams(), optimizer: opt ? { name: opt.name, config: opt.config, iterations: opt.iterations } : null, loss: model.loss?.name ?? null, training: model.getTrainingState(), metadata }, null, 2)}\n`);
    return 0;
  }
  const lines = [`${path}  (${format})`, "", model.summary(), ""];
  const rows: string[][] = [["", ""]];
  rows.push(["loss", model.loss ? `${model.loss.name} ${JSON.stringify(model.loss.config)}` : "—"]);
  rows.push(["optimizer", opt ? `${opt.name} ${JSON.stringify(opt.config)}` : "—"]);
  rows.push(["optimizer steps", opt ? String(opt.iterations) : "—"]);
  rows.push(["epochs trained", String(model.epoch)]);
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
  const history = meta?.history ?? {};
  const epochs = history["loss"]?.length ?? 0;
  if (epochs > 0) {
    const last = Object.entries(history).map(([k, v]) => `${k} ${v.at(-1)?.toFixed(4)}`).join("  ");
    lines.push("", `history: ${epochs} epochs; last: ${last}`);
    if (epochs > 1) lines.push(lossChart([{ name: "loss", values: history["loss"] ?? [] }, { name: "val_loss", values: history["val_loss"] ?? [] }]));
  }
  out.write(`${lines.join("\n")}\n`);
  return 0;
}
