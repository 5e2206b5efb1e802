import type { Sequential } from "@backprop/layers";
import { Tensor } from "@backprop/linalg";
import { cliError } from "../cli-error.js";
import { checkTransform, transformWindow, untransform } from "../data/series.js";
import { loadWithMetadata, requireSeries, writeAtomic, type SeriesMetadata } from "../model-file.js";
import { checkOutputPath } from "../output-path.js";
import { renderTable } from "../table.js";
import { removeStaleTempFiles } from "../temp-files.js";
import { loadSeries } from "./series-source.js";

/** Options of `backprop forecast`. */
export interface ForecastOptions {
  readonly steps: number;
  readonly format: "csv" | "json" | "table";
  readonly output?: string;
}

/**
 * The next `steps` values after `history` (rows of the model's columns, oldest first, at least
 * `window` of them). A univariate model feeds its own predictions back: each call predicts the next
 * `horizon` values from the last `window` ones, which are then appended as if observed. A model with
 * more input columns cannot (their future values are unknown) and forecasts at most `horizon` steps.
 */
export function forecastValues(model: Sequential, s: SeriesMetadata, history: readonly (readonly number[])[], steps: number, where: string): number[] {
  const { window, horizon, columns, targetScale } = s;
  const transform = s.transform ?? "none";
  if (columns.length > 1 && steps > horizon) {
    throw cliError(
      `--steps ${steps}: ${where} reads ${columns.length} columns per step (${columns.join(", ")}); their future values are unknown, so it cannot feed its predictions back and forecasts at most --horizon ${horizon} step${horizon === 1 ? "" : "s"} directly`,
      "INVALID_ARGUMENT",
      `use --steps ${horizon}, or train a univariate model (no --features) to forecast further`,
    );
  }
  const recent = history.slice(-window).map((r) => [...r]);
  const out: number[] = [];
  const x = new Tensor([1, window, columns.length], model.dtype);
  while (out.length < steps) {
    x.data.set(transformWindow(recent, transform));
    const last = recent[window - 1]?.[0] as number;
    const next = Array.from(model.predict(x).data, (v) => untransform(transform, v * targetScale.std + targetScale.mean, last));
    for (const v of next) {
      if (out.length < steps) out.push(v);
      // NOTE: the prediction becomes the newest observation (univariate: one column, the target).
      recent.push([v]);
      recent.shift();
    }
  }
  return out;
}

/**
 * Runs `backprop forecast <model> <series>`: the last `window` rows of the series, the model's
 * forecast for t+1 … t+steps, as CSV, JSON or a table, to stdout or (atomically) to `--output`.
 */
export async function forecast(modelPath: string, source: string, o: ForecastOptions, out: NodeJS.WritableStream): Promise<number> {
  if (o.output !== undefined) checkOutputPath(o.output, "--output");
  const { model, meta: maybe } = await loadWithMetadata(modelPath);
  const meta = requireSeries(modelPath, maybe);
  const s = meta.series;
  const series = loadSeries(source, {
    seed: meta.training.seed,
    target: s.target,
    features: s.columns.slice(1),
    ...(meta.training.samples !== undefined ? { samples: meta.training.samples } : {}),
    ...(meta.training.noise !== undefined ? { noise: meta.training.noise } : {}),
  });
  checkTransform(series, s.transform ?? "none");
  if (series.inputs.length < s.window) {
    throw cliError(`${series.fileName}: has ${series.inputs.length} rows, but ${modelPath} reads the last ${s.window} (its --window)`, "INVALID_ARGUMENT");
  }
  const values = forecastValues(model, s, series.inputs, o.steps, modelPath);
  const rows = values.map((v, i) => [`t+${i + 1}`, String(v)]);
  let text: string;
  if (o.format === "json") text = `${JSON.stringify(values.map((v, i) => ({ step: i + 1, [s.target]: v })), null, 2)}\n`;
  else if (o.format === "table") text = `${renderTable([["step", s.target], ...values.map((v, i) => [`t+${i + 1}`, v.toFixed(4)])], ["left", "right"])}\n`;
  else text = `${["step", s.target.includes(",") ? `"${s.target.replace(/"/g, '""')}"` : s.target].join(",")}\n${rows.map((r) => r.join(",")).join("\n")}\n`;
  if (o.output) {
    await removeStaleTempFiles(o.output);
    await writeAtomic(o.output, new TextEncoder().encode(text));
  } else {
    out.write(text);
  }
  return 0;
}
