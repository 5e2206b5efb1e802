import { listDatasets } from "../data/builtin.js";
import { renderTable } from "../table.js";

/** Runs `backprop datasets`: the built-in datasets, their shapes and sources. */
export function datasets(o: { json: boolean }, out: NodeJS.WritableStream): number {
  const list = listDatasets();
  if (o.json) {
    out.write(`${JSON.stringify(list, null, 2)}\n`);
    return 0;
  }
  const rows = [["name", "samples", "features", "task", "description"], ...list.map((d) => [d.name, String(d.samples), String(d.features), typeof d.classes === "number" ? `${d.classes} classes` : String(d.classes), d.description])];
  out.write(`${renderTable(rows, ["left", "right", "right", "left", "left"])}\n`);
  return 0;
}
