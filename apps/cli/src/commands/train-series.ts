import { Dense, Flatten, Normalization, Sequential, type Layer } from "@backprop/layers";
import { Matrix, Tensor } from "@backprop/linalg";
import { getOptimizer } from "@backprop/optimizers";
import { lossChart } from "../chart.js";
import { cliError } from "../cli-error.js";
import { checkTransform, chronologicalSplit, columnStats, makeWindows, untransform, type Series, type SeriesTransform } from "../data/series.js";
import { fitWithCheckpoints } from "../fit-run.js";
import { loadWithMetadata, requireSeries, saveWithMetadata, type CliMetadata, type SeriesMetadata } from "../model-file.js";
import { checkOutputPath } from "../output-path.js";
import { progressMode } from "../progress.js";
import { pickCell, recurrentLayer } from "../recurrent.js";
import { loadSeries } from "./series-source.js";
import type { TrainOptions } from "./train.js";

/** Steps per window when `--window` is not given: a year of monthly data. */
export const DEFAULT_WINDOW = 12;
/** What the network sees when `--transform` is not given: changes since each window's end (any sign; no level to extrapolate). */
export const DEFAULT_TRANSFORM: SeriesTransform = "diff";
/** Units of the recurrent layer when `--units` is not given. */
export const DEFAULT_SERIES_UNITS = [32];

const LOSSES: Record<string, string> = { auto: "meanSquaredError", mse: "meanSquaredError", mae: "meanAbsoluteError" };

/** MAE and RMSE of forecasts against the truth, in the series' own units. */
export interface ForecastError {
  readonly mae: number;
  readonly rmse: number;
}

function errors(pred: ArrayLike<number>, truth: ArrayLike<number>): ForecastError {
  let ae = 0;
  let se = 0;
  for (let i = 0; i < truth.length; i++) {
    const d = (pred[i] as number) - (truth[i] as number);
    ae += Math.abs(d);
    se += d * d;
  }
  return { mae: ae / truth.length, rmse: Math.sqrt(se / truth.length) };
}

/**
 * Checks `--window` and `--horizon` (parsed as integers ≥ 0 so that 0 gets this message, naming
 * the flag, rather than a generic usage error).
 */
function checkWindow(o: TrainOptions): { window: number; horizon: number } {
  const window = o.window ?? DEFAULT_WINDOW;
  const horizon = o.horizon ?? 1;
  if (window < 1) throw cliError(`--window: must be at least 1 step (got ${window})`);
  if (horizon < 1) throw cliError(`--horizon: must be at least 1 (got ${horizon}): the target is the value --horizon steps after the window's last step`);
  return { window, horizon };
}

/** The network for windows of `[window, columns]`: scaling, then the recurrent preset or an MLP, then `horizon` outputs. */
function buildSeriesModel(o: TrainOptions, s: { window: number; horizon: number; columns: number; mean: number[]; std: number[] }): Sequential {
  const model = o.model ?? "lstm";
  if (model === "cnn") throw cliError("--model cnn: is for images; a sequence model is lstm, gru, rnn (recurrent) or mlp (the window flattened)");
  let hidden: Layer[];
  if (model === "mlp") {
    hidden = [new Flatten(), ...o.layers.map((units) => new Dense({ units, activation: o.activation }))];
  } else {
    const cell = pickCell(o.model, o.cell);
    const units = o.units ?? DEFAULT_SERIES_UNITS;
    hidden = units.map((u, i) => recurrentLayer(cell, u, i < units.length - 1));
  }
  const scaling = new Normalization({ inputShape: [s.window, s.columns], mean: s.mean, variance: s.std.map((v) => v * v) });
  const net = new Sequential([scaling, ...hidden, new Dense({ units: s.horizon })], { seed: o.seed, dtype: o.dtype });
  net.build([s.window, s.columns]);
  const loss = LOSSES[o.loss] ?? o.loss;
  net.compile({ loss, optimizer: getOptimizer(o.optimizer, o.lr === undefined ? {} : { lr: o.lr }), metrics: ["mae"] });
  return net;
}

/**
 * Runs `backprop train <series> --sequence`: sliding windows over a column, a chronological
 * train/validation cut (validation windows start after the last training target; scaling fitted
 * on the training rows), a recurrent network predicting the next `horizon` values. Resolves to the
 * exit code.
 */
export async function trainSeries(source: string | undefined, o: TrainOptions, io: { stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream }): Promise<number> {
  const say = (text: string) => {
    if (!o.quiet && !o.json) io.stdout.write(`${text}\n`);
  };
  // Before any work: a long run must not end unable to save (with --resume, the file is rewritten).
  if (o.save !== undefined) checkOutputPath(o.save, "--save");
  else if (o.resume !== undefined) checkOutputPath(o.resume, "--resume");
  if (o.checkpointEvery !== undefined && o.save === undefined && o.resume === undefined) throw cliError("--checkpoint-every needs --save <path> (checkpoints are written there)");
  let net: Sequential | undefined;
  let saved: CliMetadata & { series: SeriesMetadata } | undefined;
  if (o.resume) {
    const loaded = await loadWithMetadata(o.resume);
    saved = requireSeries(o.resume, loaded.meta);
    net = loaded.model;
    if (!net.optimizer) throw cliError(`${o.resume}: has no optimizer state to resume from`, "INVALID_FILE");
    const t = saved.training;
    o = {
      ...o,
      seed: t.seed,
      validationSplit: t.validationSplit,
      batchSize: t.batchSize,
      shuffle: t.shuffle,
      epochs: o.epochs > 0 ? o.epochs : t.epochs,
      window: saved.series.window,
      horizon: saved.series.horizon,
      target: saved.series.target,
      features: saved.series.columns.slice(1),
      ...(t.samples !== undefined ? { samples: t.samples } : {}),
      ...(t.noise !== undefined ? { noise: t.noise } : {}),
    };
    source = source ?? t.source;
  }
  if (source === undefined) throw cliError("train --sequence: give a time series: a CSV file or a built-in series (airline, sine)");
  const { window, horizon } = checkWindow(o);
  const series: Series = loadSeries(source, {
    seed: o.seed,
    ...(o.target !== undefined ? { target: o.target } : {}),
    ...(o.features ? { features: o.features } : {}),
    ...(o.samples !== undefined ? { samples: o.samples } : {}),
    ...(o.noise !== undefined ? { noise: o.noise } : {}),
  });
  const n = series.inputs.length;
  const fraction = o.validationSplit ?? 0.2;
  const transform: SeriesTransform = saved ? (saved.series.transform ?? "none") : (o.transform ?? DEFAULT_TRANSFORM);
  checkTransform(series, transform);
  const split = chronologicalSplit(series.fileName, n, window, horizon, fraction);
  const columns = series.columns.length;
  // NOTE: statistics of the training windows only (every row of which is a training row): the
  // validation part stays unseen.
  const trainRaw = makeWindows(series, split.trainStarts, window, horizon, transform);
  const stats = columnStats(trainRaw.x, columns);
  const targetStats = columnStats(trainRaw.y, 1);
  let meta: CliMetadata & { series: SeriesMetadata };
  if (saved && net) {
    if (series.columns.join("\u0000") !== saved.series.columns.join("\u0000")) throw cliError(`${source}: columns differ from those ${o.resume} was trained on (${saved.series.columns.join(", ")})`);
    meta = { ...saved, training: { ...saved.training, epochs: o.epochs } };
  } else {
    net = buildSeriesModel(o, { window, horizon, columns, mean: stats.mean, std: stats.std });
    meta = {
      features: series.columns,
      target: series.targetName,
      task: "regression",
      output: "linear",
      training: { source, seed: o.seed, validationSplit: fraction, batchSize: o.batchSize, epochs: o.epochs, shuffle: o.shuffle, normalize: "standard", ...(o.samples !== undefined ? { samples: o.samples } : {}), ...(o.noise !== undefined ? { noise: o.noise } : {}) },
      history: {},
      series: {
        window,
        horizon,
        target: series.targetName,
        columns: series.columns,
        transform,
        targetScale: { mean: targetStats.mean[0] as number, std: targetStats.std[0] as number },
        inputScale: stats,
        trainRows: split.trainRows,
        rows: n,
      },
    };
  }
  const model = net;
  const scale = meta.series.targetScale;
  const tensors = (starts: readonly number[]) => {
    const w = makeWindows(series, starts, window, horizon, transform);
    w.y.forEach((v, i) => (w.y[i] = (v - scale.mean) / scale.std));
    return { x: Tensor.fromFlat([starts.length, window, columns], w.x, model.dtype), y: Matrix.fromFlat(starts.length, horizon, w.y, model.dtype) };
  };
  const train = tensors(split.trainStarts);
  const val = split.validationStarts.length > 0 ? tensors(split.validationStarts) : undefined;

  say(`${model.summary()}\n`);
  say(
    `training on ${split.trainStarts.length} windows of ${window} steps (rows 1–${split.trainRows})` +
      (val ? `, validating on ${split.validationStarts.length} windows (rows ${split.trainRows + 1}–${n}, after the last training target)` : "") +
      ` from ${source}${transform === "none" ? "" : ` (--transform ${transform})`}; predicting ${series.targetName} ${horizon === 1 ? "1 step" : `1…${horizon} steps`} ahead from ${columns === 1 ? "its own past" : series.columns.join(", ")}` +
      (o.resume ? `, resuming at epoch ${model.epoch + 1}` : ""),
  );
  const savePath = o.save ?? o.resume;
  const run = await fitWithCheckpoints({
    net: model,
    x: train.x,
    y: train.y,
    validation: val ? [val.x, val.y] : undefined,
    epochs: o.epochs,
    batchSize: o.batchSize,
    shuffle: o.shuffle,
    meta,
    savePath,
    checkpointEvery: o.checkpointEvery,
    mode: progressMode(o, io.stdout),
    metric: "meanAbsoluteError",
    resumeCommand: savePath ? `backprop train --resume ${savePath}` : undefined,
    io,
  });
  if (run.interrupted !== undefined) return run.interrupted;

  // Errors in the series' units, against the naive forecast "every future value = the window's last".
  const score = (part: { x: Tensor; y: Matrix }, starts: readonly number[]) => {
    const last = (i: number) => series.target[(starts[Math.floor(i / horizon)] as number) + window - 1] as number;
    const pred = Array.from(model.predict(part.x).data, (v, i) => untransform(transform, v * scale.std + scale.mean, last(i)));
    const truth = Array.from(part.y.data, (v, i) => untransform(transform, v * scale.std + scale.mean, last(i)));
    const naive = starts.flatMap((s) => new Array<number>(horizon).fill(series.target[s + window - 1] as number));
    return { loss: model.evaluate(part.x, part.y)["loss"] as number, ...errors(pred, truth), naive: errors(naive, truth) };
  };
  const trainScore = score(train, split.trainStarts);
  const valScore = val ? score(val, split.validationStarts) : undefined;
  const files = savePath ? await saveWithMetadata(model, savePath, run.meta as CliMetadata) : [];
  if (o.json) {
    io.stdout.write(`${JSON.stringify({ event: "end", epochs: model.epoch, seconds: run.seconds, train: trainScore, ...(valScore ? { validation: valScore } : {}), saved: files })}\n`);
    return 0;
  }
  if (!o.quiet) {
    const history = run.history;
    if ((history["loss"]?.length ?? 0) > 1) say(`\n${lossChart([{ name: "loss", values: history["loss"] ?? [] }, { name: "val_loss", values: history["val_loss"] ?? [] }])}`);
    const line = (name: string, s: typeof trainScore) =>
      `${name}  MAE ${s.mae.toPrecision(4)}  RMSE ${s.rmse.toPrecision(4)}   (naive last value: MAE ${s.naive.mae.toPrecision(4)}  RMSE ${s.naive.rmse.toPrecision(4)})`;
    say(`\ntrained ${model.epoch} epochs in ${run.seconds.toFixed(2)} s; errors in the units of ${series.targetName}, over t+1…t+${horizon}:`);
    say(line("training  ", trainScore));
    if (valScore) say(line("validation", valScore));
  }
  if (files.length > 0) io.stdout.write(`${o.quiet ? "" : "\n"}model saved to ${files.join(", ")}\n`);
  return 0;
}
