import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Tensor } from "@backprop/linalg";
import { loadModel } from "@backprop/serialize/node";
import { afterAll, describe, expect, it } from "vitest";
import { expectCleanFailure, fileIn, jsonLines, runIn } from "./cli-runner.test-util.js";
import type { CliMetadata } from "./model-file.js";

const dir = mkdtempSync(join(tmpdir(), "backprop-series-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const run = (args: string[], input?: string) => runIn(dir, args, input);

/** A CSV with a date column, a seasonal target with a trend, and a second numeric column. */
function seriesCsv(rows: number, f: (t: number) => number = (t) => 10 + 0.5 * t + 3 * Math.sin((2 * Math.PI * t) / 8)): string {
  const lines = ["date,y,temp"];
  for (let t = 0; t < rows; t++) lines.push(`d${t},${f(t).toFixed(4)},${(20 + Math.cos(t)).toFixed(4)}`);
  return `${lines.join("\n")}\n`;
}

const metaOf = (path: string): CliMetadata => (JSON.parse(readFileSync(join(dir, path), "utf8")) as { metadata: { backpropCli: CliMetadata } }).metadata.backpropCli;
const quick = ["--epochs", "3", "--units", "8", "--window", "6", "--quiet"];

describe("train --sequence: windows, chronological split, scaling from the training rows", () => {
  it("trains an LSTM forecaster and stores what forecasting needs", () => {
    const csv = fileIn(dir, "s.csv", seriesCsv(80));
    const r = run(["train", csv, "--sequence", "--target", "y", "--window", "6", "--horizon", "2", "--units", "8", "--epochs", "5", "--json", "--save", "s.json"]);
    expect(r.status, r.stderr).toBe(0);
    const end = jsonLines(r.stdout).at(-1) as { event: string; validation: { mae: number; naive: { mae: number } } };
    expect(end.event).toBe("end");
    expect(end.validation.mae).toBeGreaterThan(0);
    const meta = metaOf("s.json");
    expect(meta.series).toMatchObject({ window: 6, horizon: 2, target: "y", columns: ["y"], transform: "diff", trainRows: 64, rows: 80 });
    const i = JSON.parse(run(["inspect", "s.json", "--json"]).stdout) as { config: { layers: { className: string; config: { units?: number } }[] } };
    expect(i.config.layers.map((l) => l.className)).toEqual(["normalization", "lstm", "dense"]);
    expect(i.config.layers[2]?.config.units).toBe(2);
  });

  it("the scaling comes from the training rows only: changing the validation rows changes nothing, a training row does", () => {
    const base = (t: number) => 5 + Math.sin(t / 3);
    fileIn(dir, "a.csv", seriesCsv(60, base));
    fileIn(dir, "b.csv", seriesCsv(60, (t) => (t >= 45 ? 1000 * base(t) : base(t)))); // 0.25 of 60: rows 45… validate
    fileIn(dir, "c.csv", seriesCsv(60, (t) => (t === 10 ? 1000 : base(t))));
    for (const [csv, model] of [["a.csv", "a.json"], ["b.csv", "b.json"], ["c.csv", "c.json"]]) {
      const r = run(["train", csv as string, "--sequence", "--target", "y", "--validation-split", "0.25", "--transform", "none", ...quick, "--save", model as string]);
      expect(r.status, r.stderr).toBe(0);
    }
    const [a, b, c] = ["a.json", "b.json", "c.json"].map((m) => metaOf(m).series);
    expect(a?.trainRows).toBe(45);
    expect(b?.inputScale).toEqual(a?.inputScale);
    expect(b?.targetScale).toEqual(a?.targetScale);
    expect(c?.inputScale).not.toEqual(a?.inputScale);
    // The statistics are the model's own first layer, so they match the metadata.
    const layer = (JSON.parse(readFileSync(join(dir, "b.json"), "utf8")) as { model: { layers: { className: string; config: { mean: number[] } }[] } }).model.layers[0];
    expect(layer?.className).toBe("normalization");
  });

  it("validation windows start after the last training target (the message says where)", () => {
    const r = run(["train", fileIn(dir, "v.csv", seriesCsv(40)), "--sequence", "--target", "y", "--window", "6", "--epochs", "1"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/training on 26 windows of 6 steps \(rows 1–32\), validating on 2 windows \(rows 33–40, after the last training target\)/);
  });
});

describe("forecast", () => {
  it("feeds its own predictions back: the same numbers as predict calls on windows extended by hand", async () => {
    const csv = fileIn(dir, "f.csv", seriesCsv(50));
    expect(run(["train", csv, "--sequence", "--target", "y", ...quick, "--save", "f.json"]).status).toBe(0);
    const r = run(["forecast", "f.json", csv, "--steps", "4"]);
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines[0]).toBe("step,y");
    const got = lines.slice(1).map((l) => Number(l.split(",")[1]));
    expect(lines.slice(1).map((l) => l.split(",")[0])).toEqual(["t+1", "t+2", "t+3", "t+4"]);

    // By hand: the last 6 values, minus the window's last (the diff transform), one prediction
    // un-scaled and added back, appended, and again.
    const { model, metadata } = await loadModel(join(dir, "f.json"));
    const s = (metadata["backpropCli"] as unknown as CliMetadata).series!;
    const history = csvColumn(readFileSync(csv, "utf8"), 1).slice(-6);
    const expected: number[] = [];
    for (let k = 0; k < 4; k++) {
      const last = history.at(-1) as number;
      const x = Tensor.fromFlat([1, 6, 1], history.map((v) => v - last), model.dtype);
      const next = last + ((model.predict(x).data[0] as number) * s.targetScale.std + s.targetScale.mean);
      expected.push(next);
      history.push(next);
      history.shift();
    }
    got.forEach((v, k) => expect(v).toBeCloseTo(expected[k] as number, 9));
    // Each step builds on the one before: the forecast is not one value repeated.
    expect(new Set(got.map((v) => v.toFixed(6))).size).toBe(4);
  });

  it("writes --output atomically, and JSON or a table on request", () => {
    const out = join(dir, "forecast.csv");
    expect(run(["forecast", "f.json", join(dir, "f.csv"), "--steps", "3", "--output", out]).status).toBe(0);
    expect(readFileSync(out, "utf8").trim().split("\n")).toHaveLength(4);
    const j = run(["forecast", "f.json", join(dir, "f.csv"), "--steps", "2", "--format", "json"]);
    expect((JSON.parse(j.stdout) as { step: number; y: number }[]).map((e) => e.step)).toEqual([1, 2]);
    expect(run(["forecast", "f.json", join(dir, "f.csv"), "--format", "table"]).stdout).toMatch(/^step\s+y\n─+\s+─+\nt\+1\s+\d/);
  });

  it("a multivariate model forecasts up to its horizon directly, and explains why not further", () => {
    const csv = fileIn(dir, "m.csv", seriesCsv(50));
    expect(run(["train", csv, "--sequence", "--target", "y", "--features", "temp", "--horizon", "2", ...quick, "--save", "m.json"]).status).toBe(0);
    const ok = run(["forecast", "m.json", csv, "--steps", "2"]);
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout.trim().split("\n")).toHaveLength(3);
    expectCleanFailure(run(["forecast", "m.json", csv, "--steps", "3"]), /--steps 3: m\.json reads 2 columns per step \(y, temp\); their future values are unknown.*at most --horizon 2 steps/);
  });

  it("works on the built-in airline series", () => {
    const r = run(["train", "airline", "--sequence", "--transform", "log-diff", "--epochs", "30", "--json", "--save", "air.json"]);
    expect(r.status, r.stderr).toBe(0);
    const end = jsonLines(r.stdout).at(-1) as { validation: { mae: number; naive: { mae: number } } };
    expect(end.validation.mae).toBeLessThan(end.validation.naive.mae);
    const f = run(["forecast", "air.json", "airline", "--steps", "12"]);
    expect(f.status, f.stderr).toBe(0);
    const values = f.stdout.trim().split("\n").slice(1).map((l) => Number(l.split(",")[1]));
    expect(values).toHaveLength(12);
    for (const v of values) expect(v).toBeGreaterThan(300); // 1961, after a 1960 of 390…622
  });
});

describe("series errors: one line naming the file or flag", () => {
  it("a window longer than the series", () =>
    expectCleanFailure(run(["train", fileIn(dir, "short.csv", seriesCsv(10)), "--sequence", "--target", "y", "--window", "32"]), /short\.csv: the series has 10 rows, fewer than one window \(--window 32 \+ --horizon 1 = 33 rows\)/));
  it("a non-numeric target column, with file:line:column", () =>
    expectCleanFailure(run(["train", fileIn(dir, "text.csv", "date,y\nd0,1\nd1,2\nd2,high\n"), "--sequence", "--target", "y"]), /text\.csv:4:2: "high" is not a number \(column "y", the target\)/));
  it("--horizon 0", () => expectCleanFailure(run(["train", "airline", "--sequence", "--horizon", "0"]), /--horizon: must be at least 1 \(got 0\)/));
  it("forecast on a model that is not a sequence model", () => {
    expect(run(["train", "xor", "--epochs", "1", "--validation-split", "0", "--quiet", "--save", "xor.json"]).status).toBe(0);
    expectCleanFailure(run(["forecast", "xor.json", "airline"]), /xor\.json: is not a sequence model \(it was trained without --sequence\)/);
  });
  it("predict on a sequence model points to forecast", () => expectCleanFailure(run(["predict", "f.json", join(dir, "f.csv")]), /f\.json: is a sequence model .*use `backprop forecast/));
  it("a series name without --sequence, sequence flags without --sequence, a log transform of non-positive values", () => {
    expectCleanFailure(run(["train", "airline"]), /airline: is a time series: .*--sequence/);
    expectCleanFailure(run(["train", "iris", "--window", "4"]), /--window: applies to time-series models: add --sequence/);
    expectCleanFailure(run(["train", fileIn(dir, "neg.csv", seriesCsv(40, (t) => t - 5)), "--sequence", "--target", "y", "--transform", "log"]), /neg\.csv:2:2: --transform log needs positive values \(got -5/);
  });
  it("--resume continues a sequence model exactly like an uninterrupted run", () => {
    const csv = join(dir, "s.csv");
    const common = ["train", csv, "--sequence", "--target", "y", "--window", "6", "--units", "8", "--seed", "4", "--quiet"];
    expect(run([...common, "--epochs", "4", "--save", "straight.json"]).status).toBe(0);
    expect(run([...common, "--epochs", "2", "--save", "part.json"]).status).toBe(0);
    const r = run(["train", "--resume", "part.json", "--epochs", "4", "--quiet"]);
    expect(r.status, r.stderr).toBe(0);
    expect(run(["forecast", "part.json", csv, "--steps", "3"]).stdout).toBe(run(["forecast", "straight.json", csv, "--steps", "3"]).stdout);
    expect(existsSync(join(dir, "part.json"))).toBe(true);
  });
});

/** Column `k` of a CSV text (header skipped), as numbers. */
function csvColumn(text: string, k: number): number[] {
  return text.trim().split("\n").slice(1).map((l) => Number(l.split(",")[k]));
}
