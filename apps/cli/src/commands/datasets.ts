import { listDatasets } from "../data/builtin.js";
import { CORPORA } from "../data/corpus.js";
import { renderTable } from "../table.js";
import { SERIES_INFO } from "./series-source.js";

/** Runs `backprop datasets`: the built-in datasets, time series and text corpora, their shapes and sources. */
export function datasets(o: { json: boolean }, out: NodeJS.WritableStream): number {
  const corpora = Object.entries(CORPORA).map(([name, c]) => ({ name, kind: "text", description: c.description, samples: c.chars, features: 1, classes: "text", source: c.license }));
  const list = [...listDatasets().map((d) => ({ ...d, kind: "table" })), ...SERIES_INFO, ...corpora];
  if (o.json) {
    out.write(`${JSON.stringify(list, null, 2)}\n`);
    return 0;
  }
  const task = (d: (typeof list)[number]) => (typeof d.classes === "number" ? `${d.classes} classes` : d.classes === "series" ? "time series" : String(d.classes));
  const rows = [["name", "samples", "features", "task", "description"], ...list.map((d) => [d.name, String(d.samples), String(d.features), task(d), d.description])];
  out.write(`${renderTable(rows, ["left", "right", "right", "left", "left"])}\n`);
  out.write("\ntime series: backprop train <name> --sequence (samples = rows); text: backprop train-text <name> (samples = characters)\n");
  out.write(`sources:\n${list.filter((d) => !d.source.startsWith("generated")).map((d) => `  ${d.name}: ${d.source}`).join("\n")}\n`);
  return 0;
}
