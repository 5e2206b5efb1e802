import { Matrix } from "@backprop/linalg";
import { applyNormalizer } from "../data/normalize.js";
import { loadWithMetadata, refuseSequenceModels, requireMetadata, type CliMetadata } from "../model-file.js";
import { renderReport, scorePredictions } from "../report.js";
import { loadData } from "./data-source.js";

/** Targets in the shape of the model's output layer (one class-1 column for a sigmoid output). */
export function targetsFor(meta: CliMetadata, y: number[][]): number[][] {
  return meta.output === "sigmoid" ? y.map((r) => [r[1] ?? 0]) : y;
}

/** Runs `backprop evaluate <model> <data>`: loss and metrics on labelled data. */
export async function evaluate(modelPath: string, source: string, o: { target?: string; json: boolean }, out: NodeJS.WritableStream): Promise<number> {
  const { model, meta: maybe } = await loadWithMetadata(modelPath);
  const meta = requireMetadata(modelPath, maybe);
  refuseSequenceModels(modelPath, meta, "evaluate");
  const target = o.target ?? meta.target;
  const data = loadData(source, {
    seed: meta.training.seed,
    needTarget: true,
    features: meta.features,
    task: meta.task,
    ...(meta.classes ? { classes: meta.classes } : {}),
    ...(target !== undefined ? { target } : {}),
  });
  const x = Matrix.fromArray(meta.normalizer ? applyNormalizer(meta.normalizer, data.x) : data.x, model.dtype);
  const y = Matrix.fromArray(targetsFor(meta, data.y ?? []), model.dtype);
  const report = scorePredictions(model.predict(x).asMatrix(), y, meta.task, meta.classes);
  const loss = model.loss ? model.evaluate(x, y)["loss"] : undefined;
  if (o.json) {
    out.write(`${JSON.stringify({ samples: x.rows, loss, ...report })}\n`);
  } else {
    out.write(`${x.rows} samples from ${source}\n${renderReport(report, loss)}\n`);
  }
  return 0;
}
