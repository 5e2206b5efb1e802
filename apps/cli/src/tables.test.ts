import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CLI_MAIN, expectCleanFailure, fileIn, jsonLines, runIn } from "./cli-runner.test-util.js";

// Real-world tables as downloaded: penguins (JSON with string columns and nulls), seattle-weather
// (a date column, five classes of which two are rare), a semicolon CSV — and the checks that keep
// a run from being lost or a machine from being swamped. Every test runs the built binary.

const dir = mkdtempSync(join(tmpdir(), "backprop-tables-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const run = (args: string[], input?: string) => runIn(dir, args, input);
const file = (name: string, text: string): string => fileIn(dir, name, text);

/** A seeded generator, so the fixtures are the same on every run. */
function lcg(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
}

/** Penguins-like records: string Island and Sex, measurements, a row of nulls and a few null Sex. */
function penguins(): string {
  const rnd = lcg(7);
  const islands: Record<string, string[]> = { Adelie: ["Torgersen", "Biscoe", "Dream"], Chinstrap: ["Dream"], Gentoo: ["Biscoe"] };
  const centre: Record<string, [number, number, number]> = { Adelie: [38.8, 18.3, 190], Chinstrap: [48.8, 18.4, 196], Gentoo: [47.5, 15, 217] };
  const rows = Array.from({ length: 150 }, (_, i) => {
    const species = (["Adelie", "Chinstrap", "Gentoo"] as const)[i % 3] as string;
    const [bill, depth, flipper] = centre[species] as [number, number, number];
    const options = islands[species] as string[];
    const row: Record<string, unknown> = {
      species,
      Island: options[Math.floor(rnd() * options.length)],
      bill_length_mm: Number((bill + (rnd() - 0.5) * 5).toFixed(1)),
      bill_depth_mm: Number((depth + (rnd() - 0.5) * 2).toFixed(1)),
      flipper_length_mm: Math.round(flipper + (rnd() - 0.5) * 12),
      Sex: rnd() < 0.5 ? "MALE" : "FEMALE",
    };
    if (i === 3) Object.assign(row, { bill_length_mm: null, bill_depth_mm: null, flipper_length_mm: null, Sex: null });
    if (i % 37 === 5) row["Sex"] = null;
    return row;
  });
  return JSON.stringify(rows, null, 1);
}

/** Seattle-weather-like rows: date, four measurements (one empty cell, one NA), five classes, snow and fog rare. */
function seattle(rows = 600): string {
  const rnd = lcg(11);
  const lines = ["date,precipitation,temp_max,temp_min,wind,weather"];
  for (let d = 0; d < rows; d++) {
    const date = new Date(Date.UTC(2012, 0, 1 + d)).toISOString().slice(0, 10);
    const season = Math.cos((2 * Math.PI * d) / 365);
    const u = rnd();
    const weather = u < 0.03 ? "snow" : u < 0.08 ? "fog" : u < 0.13 ? "drizzle" : u < 0.55 ? "rain" : "sun";
    const p = weather === "rain" ? (1 + rnd() * 20).toFixed(1) : weather === "snow" ? (1 + rnd() * 10).toFixed(1) : weather === "drizzle" ? rnd().toFixed(1) : "0.0";
    const tmax = (15 - 8 * season + (weather === "sun" ? 4 : 0) + rnd() * 3).toFixed(1);
    const tmin = (weather === "snow" ? -3 + rnd() : 6 - 5 * season + rnd() * 2).toFixed(1);
    const wind = (weather === "fog" ? 0.5 + rnd() * 0.5 : 2 + rnd() * 4).toFixed(1);
    lines.push(`${date},${d === 10 ? "" : p},${tmax},${d === 20 ? "NA" : tmin},${wind},${weather}`);
  }
  return `${lines.join("\n")}\n`;
}

const penguinsJson = file("penguins.json", penguins());
const seattleCsv = file("seattle-weather.csv", seattle());

describe("real-world tables as downloaded", () => {
  it("penguins.json: string columns are one-hot encoded, rows with nulls dropped with a count, and predict names its rows", () => {
    const t = run(["train", penguinsJson, "--target", "species", "--epochs", "40", "--save", "penguins-model.json", "--quiet"]);
    expect(t.status, t.stderr).toBe(0);
    expect(t.stderr).toMatch(/note: .*penguins\.json: dropped 5 of 150 rows with missing cells \(bill_length_mm: 1, bill_depth_mm: 1, flipper_length_mm: 1, Sex: 5\)/);
    const i = JSON.parse(run(["inspect", "penguins-model.json", "--json"]).stdout) as { metadata: { backpropCli: { features: string[]; table: { columns: unknown[]; missing: string } } } };
    const cli = i.metadata.backpropCli;
    expect(cli.features).toEqual(["Island", "bill_length_mm", "bill_depth_mm", "flipper_length_mm", "Sex"]);
    expect(cli.table.columns[0]).toEqual({ name: "Island", kind: "category", categories: ["Biscoe", "Dream", "Torgersen"] });
    expect(cli.table.missing).toBe("drop");

    const p = run(["predict", "penguins-model.json", penguinsJson]);
    expect(p.status, p.stderr).toBe(0);
    expect(p.stderr).toMatch(/no prediction for 5 rows with a missing cell/);
    const lines = p.stdout.trim().split("\n");
    expect(lines[0]).toBe("row,prediction,p(Adelie),p(Chinstrap),p(Gentoo)");
    expect(lines).toHaveLength(146);
    // Row 4 (all nulls) has no prediction: the row numbers say which rows were predicted.
    expect(lines.slice(1, 5).map((l) => l.split(",")[0])).toEqual(["1", "2", "3", "5"]);
    // float32 probabilities, printed with the digits a float32 has (at most 9 significant).
    for (const l of lines.slice(1)) for (const v of l.split(",").slice(2)) expect(v.replace(/^0\.0*|e-\d+$|\./g, "").length).toBeLessThanOrEqual(9);
    const truth = (JSON.parse(penguins()) as { species: string }[]).map((r) => r.species);
    const right = lines.slice(1).filter((l) => l.split(",")[1] === truth[Number(l.split(",")[0]) - 1]).length;
    expect(right / 145).toBeGreaterThan(0.9);
  });

  it("predict --id copies a column, JSON output too; an unseen category is one line naming the cell", () => {
    const rows = JSON.stringify([
      { name: "a", Island: "Dream", bill_length_mm: 48, bill_depth_mm: 18, flipper_length_mm: 195, Sex: "MALE" },
      { name: "b", Island: "Atlantis", bill_length_mm: 40, bill_depth_mm: 18, flipper_length_mm: 190, Sex: "FEMALE" },
    ]);
    const good = file("one.json", JSON.stringify([JSON.parse(rows)[0]]));
    const j = run(["predict", "penguins-model.json", good, "--id", "name", "--format", "json"]);
    expect(j.status, j.stderr).toBe(0);
    const records = JSON.parse(j.stdout) as { name: string; prediction: string; probabilities: Record<string, number> }[];
    expect(records[0]?.name).toBe("a");
    expect(Object.keys(records[0]?.probabilities ?? {})).toEqual(["Adelie", "Chinstrap", "Gentoo"]);
    expectCleanFailure(run(["predict", "penguins-model.json", file("two.json", rows)]), /two\.json: \[1\]\.Island is not a category the model was trained on \(got "Atlantis"; known: Biscoe, Dream, Torgersen\)/);
  });

  it("evaluate says when it scores the rows the model trained on", () => {
    const e = run(["evaluate", "penguins-model.json", penguinsJson]);
    expect(e.status, e.stderr).toBe(0);
    expect(e.stderr).toMatch(/penguins\.json is the data the model was trained on: 116 of its rows were training rows and 29 validation rows/);
    const copy = file("copy-of-penguins.json", penguins());
    expect(run(["evaluate", "penguins-model.json", copy]).stderr).toMatch(/copy-of-penguins\.json is the data the model was trained on/);
    expect(JSON.parse(run(["evaluate", "penguins-model.json", copy, "--json"]).stdout)).toMatchObject({ seenInTraining: true, samples: 145 });
  });

  it("seattle-weather.csv: the date column is left out with a note, or read as days when --features asks", () => {
    const t = run(["train", seattleCsv, "--target", "weather", "--epochs", "3", "--json"]);
    expect(t.status, t.stderr).toBe(0);
    expect(t.stderr).toMatch(/note: .*seattle-weather\.csv: column "date" holds dates: not used as a feature/);
    expect(t.stderr).toMatch(/dropped 2 of 600 rows with missing cells \(precipitation: 1, temp_min: 1\)/);
    const asked = run(["train", seattleCsv, "--target", "weather", "--features", "date,wind", "--epochs", "2", "--save", "dated.json", "--quiet"]);
    expect(asked.status, asked.stderr).toBe(0);
    const p = run(["predict", "dated.json", "-"], "date,wind\n2013-06-01,3.5\n");
    expect(p.status, p.stderr).toBe(0);
    expect(p.stdout.split("\n")[1]).toMatch(/^1,(drizzle|fog|rain|snow|sun),/);
  });

  it("--class-weight balanced makes the two rare classes predicted; --test-split scores rows never seen", () => {
    const common = ["train", seattleCsv, "--target", "weather", "--epochs", "80", "--layers", "16", "--test-split", "0.2", "--seed", "2"];
    const balanced = run([...common, "--class-weight", "balanced", "--save", "balanced.json", "--json"]);
    expect(balanced.status, balanced.stderr).toBe(0);
    const end = jsonLines(balanced.stdout).at(-1) as { test: { samples: number; accuracy: number } };
    expect(end.test.samples).toBe(120);
    expect(end.test.accuracy).toBeGreaterThan(0);
    const predictedClasses = (model: string) => new Set(run(["predict", model, seattleCsv]).stdout.trim().split("\n").slice(1).map((l) => l.split(",")[1]));
    const withWeights = predictedClasses("balanced.json");
    expect(withWeights.has("snow") && withWeights.has("fog")).toBe(true);
    const text = run([...common, "--class-weight", "balanced", "--epochs", "2"]);
    expect(text.stdout).toMatch(/class weights \(balanced\): drizzle [\d.]+, fog [\d.]+, rain 0\.\d+, snow [\d.]+, sun 0\.\d+/);
    expect(text.stdout).toMatch(/training on 382 samples, validating on 96, testing on 120 at the end/);
    expect(text.stdout).toMatch(/test set \(120 rows held out, never trained or validated on\):\nloss/);
    const e = run(["evaluate", "balanced.json", seattleCsv]);
    expect(e.stderr).toMatch(/only its 120 test rows were never seen/);
    expectCleanFailure(run(["train", seattleCsv, "--target", "temp_max", "--class-weight", "balanced"]), /--class-weight: applies to classification/);
    expectCleanFailure(run(["train", seattleCsv, "--target", "weather", "--class-weight", "hail:2"]), /--class-weight: "hail" is not a class \(classes: "drizzle", "fog", "rain", "snow", "sun"\)/);
  });

  it("a semicolon CSV with decimal points is split into its columns; --delimiter says it explicitly", () => {
    const rnd = lcg(3);
    const rows = Array.from({ length: 80 }, () => {
      const a = rnd() * 2 - 1;
      const b = rnd() * 2 - 1;
      return `${a.toFixed(3)};${b.toFixed(3)};${a + b > 0 ? "pos" : "neg"}`;
    });
    const semi = file("semi.csv", `a;b;label\n${rows.join("\n")}\n`);
    const t = run(["train", semi, "--target", "label", "--epochs", "60", "--lr", "0.05", "--json"]);
    expect(t.status, t.stderr).toBe(0);
    expect(t.stderr).toMatch(/note: .*semi\.csv: columns separated by ";"/);
    expect((jsonLines(t.stdout).at(-1) as { train: { accuracy: number } }).train.accuracy).toBeGreaterThan(0.9);
    const tsv = file("semi.tsv", `a\tb\tlabel\n${rows.map((r) => r.replaceAll(";", "\t")).join("\n")}\n`);
    expect(run(["train", tsv, "--target", "label", "--epochs", "1", "--quiet"]).status).toBe(0);
    expectCleanFailure(run(["train", semi, "--target", "label", "--delimiter", ","]), /semi\.csv: no column named "label" for the target \(columns: "a;b;label"\)/);
  });
});

describe("--missing", () => {
  const text = "a,b,c,y\n1,2,red,x\n2,,blue,y\n3,4,,x\n4,5,red,y\n5,6,blue,x\n6,7,red,y\n7,8,blue,x\n8,9,red,y\n9,10,blue,x\n10,11,red,y\n";

  it("error names the first missing cell, file:line:column", () => {
    expectCleanFailure(run(["train", file("gaps.csv", text), "--target", "y", "--missing", "error"]), /gaps\.csv:3:2: the value is missing \(column "b"\)/);
  });

  it("mean fills from the training rows and stores the fills, so predict fills the same way", () => {
    const t = run(["train", file("gaps.csv", text), "--target", "y", "--missing", "mean", "--epochs", "2", "--save", "filled.json", "--quiet"]);
    expect(t.status, t.stderr).toBe(0);
    const i = JSON.parse(run(["inspect", "filled.json", "--json"]).stdout) as { metadata: { backpropCli: { table: { columns: { name: string; fill?: unknown }[] } } } };
    const fills = i.metadata.backpropCli.table.columns.map((c) => c.fill);
    expect(fills.every((f) => f !== undefined)).toBe(true);
    expect(["red", "blue"]).toContain(fills[2]);
    const p = run(["predict", "filled.json", "-"], "a,b,c\n1,,NA\n");
    expect(p.status, p.stderr).toBe(0);
    expect(p.stdout.trim().split("\n")).toHaveLength(2);
  });

  it("drop (the default) prints the count", () => {
    const t = run(["train", file("gaps.csv", text), "--target", "y", "--epochs", "1", "--quiet"]);
    expect(t.stderr).toMatch(/dropped 2 of 10 rows with missing cells \(b: 1, c: 1\)/);
  });
});

describe("Keras-style training controls", () => {
  it("--early-stopping stops when val_loss stops improving and restores the best epoch", () => {
    const r = run(["train", "moons", "--layers", "64,64", "--lr", "0.05", "--epochs", "300", "--early-stopping", "3", "--seed", "4", "--json", "--save", "early.json"]);
    expect(r.status, r.stderr).toBe(0);
    const lines = jsonLines(r.stdout);
    const end = lines.at(-1) as { epochs: number; earlyStopping: { stoppedEpoch: number; bestEpoch: number; best: number } };
    expect(end.epochs).toBeLessThan(300);
    expect(end.earlyStopping.stoppedEpoch).toBe(end.epochs);
    // Keras' patience: it stops after 3 epochs in a row without a lower val_loss.
    expect(end.earlyStopping.bestEpoch).toBe(end.epochs - 3);
    const valLoss = lines.filter((l) => l["event"] === "epoch").map((l) => l["val_loss"] as number);
    expect(end.earlyStopping.best).toBe(Math.min(...valLoss));
    const e = JSON.parse(run(["evaluate", "early.json", "moons", "--json"]).stdout) as { loss: number };
    expect(Number.isFinite(e.loss)).toBe(true);
  });

  it("--dropout adds Dropout after each hidden layer; --clip-norm and --lr-schedule reach the optimizer", () => {
    const r = run(["train", "iris", "--layers", "8,4", "--dropout", "0.2", "--clip-norm", "1", "--lr", "0.01", "--lr-schedule", "cosine", "--epochs", "3", "--save", "controls.json", "--quiet"]);
    expect(r.status, r.stderr).toBe(0);
    const i = JSON.parse(run(["inspect", "controls.json", "--json"]).stdout) as { config: { layers: { className: string; config: { rate?: number } }[] }; optimizer: { config: { clipNorm: number; lr: { name: string; config: { initial: number; decaySteps: number } } } } };
    expect(i.config.layers.map((l) => l.className)).toEqual(["normalization", "dense", "dropout", "dense", "dropout", "dense"]);
    expect(i.config.layers[2]?.config.rate).toBe(0.2);
    expect(i.optimizer.config.clipNorm).toBe(1);
    // 120 training rows in batches of 32: 4 steps an epoch, 3 epochs.
    expect(i.optimizer.config.lr).toEqual({ name: "cosineDecay", config: { initial: 0.01, decaySteps: 12, alpha: 0 } });
    const step = run(["train", "iris", "--lr-schedule", "step:2:0.5", "--epochs", "2", "--save", "step.json", "--quiet"]);
    expect(step.status, step.stderr).toBe(0);
    expect((JSON.parse(run(["inspect", "step.json", "--json"]).stdout) as { optimizer: { config: { lr: { name: string } } } }).optimizer.config.lr.name).toBe("stepDecay");
    const bad = run(["train", "iris", "--lr-schedule", "zigzag"]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--lr-schedule <schedule>.*expected constant, cosine, exponential\[:FACTOR\] or step:EPOCHS\[:FACTOR\]/);
  });

  it("the help shows --layers' default as 16,8", () => {
    expect(run(["train", "--help"]).stdout).toMatch(/--layers <units> +units per hidden layer \(mlp\), comma-separated\s+\(default: 16,8\)/);
  });
});

describe("no run lost", () => {
  it("--save is checked before the data is read, and predict --output before the model is loaded", () => {
    expectCleanFailure(run(["train", "no-such-data.csv", "--target", "y", "--save", join(dir, "missing-folder", "m.json")]), /--save .*missing-folder\/m\.json: the folder .*missing-folder does not exist/);
    mkdirSync(join(dir, "a-folder"), { recursive: true });
    expectCleanFailure(run(["train", "iris", "--save", "a-folder"]), /--save a-folder: is a folder, expected a file name/);
    expectCleanFailure(run(["predict", "no-such-model.json", "x.csv", "--output", join(dir, "nowhere", "p.csv")]), /--output .*nowhere\/p\.csv: the folder .*nowhere does not exist/);
  });

  it("--resume of a file whose first checkpoint never completed says so", () => {
    writeFileSync(join(dir, ".never.json.4242.a1b2c3.tmp"), '{"format":');
    expectCleanFailure(run(["train", "--resume", "never.json"]), /--resume never\.json: the first checkpoint never completed \(only the partial file \.never\.json\.4242\.a1b2c3\.tmp was written\)/);
    expectCleanFailure(run(["train", "--resume", "nothing.json"]), /--resume nothing\.json: no such file/);
  });

  it("--resume warns about the flags it ignores, and applies --lr", () => {
    expect(run(["train", "iris", "--epochs", "2", "--layers", "8", "--save", "resumed.json", "--quiet"]).status).toBe(0);
    const r = run(["train", "--resume", "resumed.json", "--epochs", "3", "--layers", "64,64", "--activation", "tanh", "--optimizer", "sgd", "--lr", "0.5", "--quiet"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/warning: --resume resumed\.json continues the saved run: --layers, --activation, --optimizer are ignored .*--lr.* apply/);
    const i = JSON.parse(run(["inspect", "resumed.json", "--json"]).stdout) as { optimizer: { name: string; config: { lr: number } }; config: { layers: { config: { units?: number } }[] } };
    expect(i.optimizer).toMatchObject({ name: "adam", config: { lr: 0.5 } });
    expect(i.config.layers[1]?.config.units).toBe(8);
  });

  it("a model is refused on a built-in dataset it was not trained on (features and classes checked)", () => {
    expect(run(["train", "iris", "--epochs", "1", "--save", "iris-model.json", "--quiet"]).status).toBe(0);
    expectCleanFailure(run(["evaluate", "penguins-model.json", "iris"]), /iris: its features \("sepal_length", .*\) are not the ones penguins-model\.json was trained on \("Island", /);
    expectCleanFailure(run(["predict", "iris-model.json", "moons"]), /moons: its features \("x", "y"\) are not the ones iris-model\.json was trained on/);
    expect(run(["evaluate", "iris-model.json", "iris"]).status).toBe(0);
  });

  it("an impossible network is refused before anything is allocated, with the figures", () => {
    // (On a machine of more than 400 GiB, the layer size is what refuses them.)
    expectCleanFailure(run(["train", "iris", "--layers", "100000,100000"]), /--layers 100000,100000: (10,000,900,011 parameters need about [\d.]+ GiB to train \(this machine has [\d.]+ GiB\)|one layer holds)/);
    expectCleanFailure(run(["train", "iris", "--layers", "100000000"]), /--layers 100000000: (800,000,011 parameters need about [\d.]+ GiB to train|one layer holds)/);
    expectCleanFailure(run(["train", "iris", "--layers", "20000,20000"]), /--layers 20000,20000: one layer holds 400,000,000 weights; .*at most about 120,000,000 numbers/);
    expectCleanFailure(run(["train", "iris", "--layers", "3000,3000", "--save", "big.json"]), /--layers 3000,3000: 9,027,011 parameters do not fit in a JSON model file .*the loader reads at most 256.0 MiB, about 4,067,203 parameters with adam/);
  });

  it("warns on suspicious set-ups: many classes for few rows, a long run without --save", async () => {
    const rows = Array.from({ length: 40 }, (_, i) => `${i},${(i * 7) % 13},c${i % 8}`);
    const t = run(["train", file("many.csv", `a,b,y\n${rows.join("\n")}\n`), "--target", "y", "--epochs", "1", "--quiet"]);
    expect(t.status, t.stderr).toBe(0);
    expect(t.stderr).toMatch(/warning: .*many\.csv: 8 classes for 40 rows \(fewer than 10 rows per class\)/);
    // A long run: the warning comes before the first epoch; the run is stopped once it is seen.
    const child = spawn(process.execPath, [CLI_MAIN, "train", "digits", "--layers", "1000", "--epochs", "1000"], { cwd: dir, env: { ...process.env, CI: "1" } });
    const stderr = await new Promise<string>((resolve) => {
      let text = "";
      child.stderr.on("data", (chunk: Buffer) => {
        text += chunk.toString();
        if (text.includes("\n")) resolve(text);
      });
      child.on("exit", () => resolve(text));
    });
    child.kill("SIGKILL");
    expect(stderr).toMatch(/warning: no --save: this run \([\d,]+ parameters, 1,438 samples, 1000 epochs\) keeps nothing when it ends; add --save model\.json/);
  });

  it("messages speak of the data during train, not of a model that does not exist yet", () => {
    const r = run(["train", seattleCsv, "--target", "weather", "--features", "bogus"]);
    expectCleanFailure(r, /seattle-weather\.csv: no column named "bogus" for a feature \(columns: "date", "precipitation", /);
    expect(r.stderr).not.toMatch(/the model was trained on|applyNormalizer|fitNormalizer|trainValidationSplit/);
  });
});

describe("big and hostile CSV input", () => {
  it("one cell of 100 000 digits and a letter is one line, quoted short, at once", () => {
    const r = run(["train", file("digits-cell.csv", `a,y\n1,0\n2,1\n${"1".repeat(100_000)}x,1\n`), "--target", "y"]);
    expectCleanFailure(r, /digits-cell\.csv:4:1: "1{40}…" \(100,001 characters\) is not a number \(column "a"\)/);
  });

  it("a label column of 10 000 distinct values is refused with the figures", () => {
    const rows = Array.from({ length: 10_000 }, (_, i) => `${i % 7},${i % 13},L${i}`);
    expectCleanFailure(run(["train", file("labels.csv", `a,b,y\n${rows.join("\n")}\n`), "--target", "y"]), /labels\.csv: the target column "y" has 10,000 distinct values in 10,000 rows: too many classes to learn \(more than 1,000, and more than half the rows\)/);
  });

  it("100 000 columns train", () => {
    const names = Array.from({ length: 100_000 }, (_, i) => `c${i}`);
    const text = `${names.join(",")},y\n${names.map((_, i) => i % 10).join(",")},1\n${names.map((_, i) => i % 7).join(",")},0\n`;
    const r = run(["train", file("wide.csv", text), "--target", "y", "--layers", "2", "--epochs", "1", "--json"]);
    expect(r.status, r.stderr).toBe(0);
    expect((jsonLines(r.stdout).at(-1) as { event: string }).event).toBe("end");
  });
});
