import { Matrix, argmaxRows } from "@backprop/linalg";
import { applyNormalizer } from "../data/normalize.js";
import { loadWithMetadata, refuseSequenceModels, requireMetadata, writeAtomic } from "../model-file.js";
import { loadData } from "./data-source.js";

const csvCell = (v: string): string => (/[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

/**
 * Runs `backprop predict <model> [data]`: rows from a CSV file or stdin ("-"), predictions out as
 * CSV or JSON, to stdout or (atomically) to `--output`.
 */
export async function predict(
  modelPath: string,
  source: string,
  o: { format: "csv" | "json"; output?: string },
  out: NodeJS.WritableStream,
): Promise<number> {
  const { model, meta: maybe } = await loadWithMetadata(modelPath);
  const meta = requireMetadata(modelPath, maybe);
  refuseSequenceModels(modelPath, meta, "predict");
  const data = loadData(source, { seed: meta.training.seed, needTarget: false, features: meta.features });
  const x = Matrix.fromArray(meta.normalizer ? applyNormalizer(meta.normalizer, data.x) : data.x, model.dtype);
  const p = model.predict(x).asMatrix();
  const rows = p.toArray();
  let text: string;
  if (meta.task === "classification") {
    const classes = meta.classes ?? [];
    const probs = meta.output === "sigmoid" ? rows.map((r) => [1 - (r[0] ?? 0), r[0] ?? 0]) : rows;
    const best = meta.output === "sigmoid" ? probs.map((r) => ((r[1] ?? 0) >= 0.5 ? 1 : 0)) : Array.from(argmaxRows(p));
    if (o.format === "json") {
      text = `${JSON.stringify(probs.map((r, i) => ({ prediction: classes[best[i] ?? 0], probabilities: Object.fromEntries(classes.map((c, j) => [c, r[j]])) })), null, 2)}\n`;
    } else {
      const header = ["prediction", ...classes.map((c) => `p(${c})`)].map(csvCell).join(",");
      text = `${[header, ...probs.map((r, i) => [csvCell(classes[best[i] ?? 0] ?? ""), ...r.map(String)].join(","))].join("\n")}\n`;
    }
  } else {
    const name = meta.target ?? "prediction";
    text = o.format === "json" ? `${JSON.stringify(rows.map((r) => ({ [name]: r.length === 1 ? r[0] : r })), null, 2)}\n` : `${[csvCell(name), ...rows.map((r) => r.join(","))].join("\n")}\n`;
  }
  if (o.output) await writeAtomic(o.output, new TextEncoder().encode(text));
  else out.write(text);
  return 0;
}
