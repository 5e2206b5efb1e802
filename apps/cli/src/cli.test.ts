import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CLI_MAIN as main, expectCleanFailure, fileIn, jsonLines, runIn } from "./cli-runner.test-util.js";

const dir = mkdtempSync(join(tmpdir(), "backprop-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = (args: string[], input?: string) => runIn(dir, args, input);
const file = (name: string, text: string): string => fileIn(dir, name, text);

describe("backprop train on built-in datasets", () => {
  it("learns XOR with a fixed seed", () => {
    const r = run(["train", "xor", "--layers", "8", "--activation", "tanh", "--epochs", "300", "--batch-size", "4", "--lr", "0.05", "--validation-split", "0", "--seed", "3", "--json"]);
    expect(r.status, r.stderr).toBe(0);
    const lines = jsonLines(r.stdout);
    const end = lines.at(-1) as { event: string; train: { accuracy: number } };
    expect(end.event).toBe("end");
    expect(end.train.accuracy).toBe(1);
    expect(lines.filter((l) => l["event"] === "epoch")).toHaveLength(300);
  });

  it("holds nothing out of a data set under 10 samples unless asked (xor's four rows are the whole function)", () => {
    const plain = run(["train", "xor", "--layers", "4", "--activation", "tanh", "--epochs", "300", "--batch-size", "4", "--lr", "0.05", "--seed", "3"]);
    expect(plain.status, plain.stderr).toBe(0);
    expect(plain.stdout).toMatch(/training on 4 samples from xor/);
    expect(plain.stdout).not.toMatch(/validation set:/);
    const asked = run(["train", "xor", "--epochs", "5", "--validation-split", "0.25", "--seed", "3"]);
    expect(asked.status, asked.stderr).toBe(0);
    expect(asked.stdout).toMatch(/training on 3 samples, validating on 1 from xor/);
  });

  it("learns iris (≥ 93% on held-out samples) and prints a chart, metrics and the saved path", () => {
    const r = run(["train", "iris", "--layers", "16", "--epochs", "200", "--lr", "0.01", "--seed", "1", "--save", "iris.json"]);
    expect(r.status, r.stderr).toBe(0);
    // 4·16 + 16 + 16·3 + 3 = 131 trained weights, and the Normalization layer's 4 means and 4 variances.
    expect(r.stdout).toMatch(/Total params: 139/);
    expect(r.stdout).toMatch(/Trainable params: 131/);
    expect(r.stdout).toMatch(/normalization_0 \(normalization\)/);
    expect(r.stdout).toMatch(/^epoch 200\/200 .*loss/m);
    expect(r.stdout).toMatch(/loss \(200 epochs\)/);
    expect(r.stdout).toMatch(/confusion matrix:/);
    expect(r.stdout).toMatch(/model saved to iris\.json/);
    const val = /validation set:\n(?:loss.*\n)?accuracy\s+([\d.]+)%/.exec(r.stdout);
    expect(Number(val?.[1])).toBeGreaterThanOrEqual(93);
    expect(existsSync(join(dir, "iris.json"))).toBe(true);
  });

  it("--json prints one parseable record per epoch with loss, metrics and validation values", () => {
    const r = run(["train", "moons", "--epochs", "5", "--json"]);
    expect(r.status, r.stderr).toBe(0);
    const lines = jsonLines(r.stdout);
    expect(lines).toHaveLength(6);
    for (const l of lines.slice(0, 5)) expect(Object.keys(l)).toEqual(expect.arrayContaining(["epoch", "loss", "accuracy", "val_loss", "val_accuracy", "samplesPerSecond"]));
  });

  it("reads a --config spec file, and flags on the command line win over it", () => {
    const spec = file("spec.json", JSON.stringify({ layers: [{ units: 6 }, 5], activation: "tanh", optimizer: "sgd", lr: 0.2, epochs: 3, batchSize: 8 }));
    const r = run(["train", "circles", "--config", spec, "--epochs", "2", "--json", "--save", "spec-model.json"]);
    expect(r.status, r.stderr).toBe(0);
    expect(jsonLines(r.stdout).filter((l) => l["event"] === "epoch")).toHaveLength(2);
    const i = JSON.parse(run(["inspect", "spec-model.json", "--json"]).stdout) as {
      config: { layers: { className: string; config: { units: number; activation: { name: string } } }[] };
      optimizer: { name: string; config: { lr: number } };
    };
    // The model owns its input scaling: a Normalization layer, then the spec's layers.
    expect(i.config.layers.map((l) => l.className)).toEqual(["normalization", "dense", "dense", "dense"]);
    expect(i.config.layers.slice(1).map((l) => l.config.units)).toEqual([6, 5, 2]);
    expect(i.config.layers[1]?.config.activation.name).toBe("tanh");
    expect(i.optimizer.name).toBe("sgd");
    expect(i.optimizer.config.lr).toBe(0.2);
    expectCleanFailure(run(["train", "circles", "--config", file("bad-spec.json", '{"layerz": [4]}')]), /bad-spec\.json: unknown key "layerz"/);
  });

  it("has --help on every command and --version", () => {
    expect(run(["--version"]).stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    for (const command of ["train", "evaluate", "predict", "inspect", "convert", "walkthrough", "datasets"]) {
      const r = run([command, "--help"]);
      expect(r.status, command).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^Usage: backprop ${command}`));
    }
  });

  it("lists the datasets", () => {
    const r = run(["datasets"]);
    expect(r.status).toBe(0);
    for (const name of ["xor", "circles", "moons", "spirals", "iris", "digits", "mnist"]) expect(r.stdout).toMatch(new RegExp(`^${name}\\s`, "m"));
  });
});

describe("CSV in, model out, and back", () => {
  const rows = ["a,b,label"];
  for (let i = 0; i < 120; i++) {
    const a = ((i * 37) % 100) / 50 - 1;
    const b = ((i * 61) % 100) / 50 - 1;
    rows.push(`${a},${b},${a + b > 0 ? "pos" : "neg"}`);
  }
  const csv = file("points.csv", `${rows.join("\n")}\n`);

  it("trains on a CSV with a categorical target, then evaluates, predicts, inspects and converts", () => {
    const t = run(["train", csv, "--target", "label", "--layers", "8", "--epochs", "60", "--lr", "0.05", "--save", "points.json", "--quiet"]);
    expect(t.status, t.stderr).toBe(0);
    expect(t.stdout.trim()).toBe("model saved to points.json");

    const e = run(["evaluate", "points.json", csv]);
    expect(e.status, e.stderr).toBe(0);
    expect(e.stdout).toMatch(/accuracy\s+(9\d|100)\.\d+%/);
    expect(e.stdout).toMatch(/true \\ predicted\s+neg\s+pos/);

    const p = run(["predict", "points.json", "-"], "a,b\n0.9,0.8\n-0.9,-0.7\n");
    expect(p.status, p.stderr).toBe(0);
    const lines = p.stdout.trim().split("\n");
    expect(lines[0]).toBe("row,prediction,p(neg),p(pos)");
    expect(lines[1]).toMatch(/^1,pos,/);
    expect(lines[2]).toMatch(/^2,neg,/);

    const j = run(["predict", "points.json", csv, "--format", "json", "--output", "pred.json"]);
    expect(j.status, j.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, "pred.json"), "utf8"))).toHaveLength(120);

    const i = run(["inspect", "points.json"]);
    expect(i.status, i.stderr).toBe(0);
    expect(i.stdout).toMatch(/normalization_0 \(normalization\)/);
    expect(i.stdout).toMatch(/dense_1 \(dense\)/);
    expect(i.stdout).toMatch(/optimizer\s+adam/);
    expect(i.stdout).toMatch(/history: 60 epochs/);

    for (const [out, extra] of [["points.safetensors", []], ["points.onnx", []], ["tfjs-points", ["--to", "tfjs"]]] as const) {
      const c = run(["convert", "points.json", out, ...extra]);
      expect(c.status, c.stderr).toBe(0);
    }
    const back = run(["inspect", "points.onnx"]);
    expect(back.status, back.stderr).toBe(0);
    expect(back.stdout).toMatch(/dense/);

    // The converted files keep the CLI metadata, so they predict the same from a CSV.
    const probe = "a,b\n0.3,-0.1\n-0.2,0.6\n0.5,0.5\n";
    const native = run(["predict", "points.json", "-"], probe).stdout;
    expect(run(["predict", "points.safetensors", "-"], probe).stdout).toBe(native);
    const viaOnnx = run(["predict", "points.onnx", "-"], probe);
    expect(viaOnnx.status, viaOnnx.stderr).toBe(0);
    const close = (a: string, b: string) => a.split(/[\n,]/).every((cell, i) => {
      const other = b.split(/[\n,]/)[i] ?? "";
      return Number.isNaN(Number(cell)) ? cell === other : Math.abs(Number(cell) - Number(other)) < 1e-6;
    });
    expect(close(viaOnnx.stdout, native)).toBe(true);
  });

  it("regression: a numeric target gives MSE, MAE and R², and predictions are numbers", () => {
    const lines = ["a,b,y"];
    for (let i = 0; i < 200; i++) {
      const a = ((i * 37) % 200) / 100 - 1;
      const b = ((i * 91) % 200) / 100 - 1;
      lines.push(`${a},${b},${(2 * a - b + 0.5).toFixed(6)}`);
    }
    const csv = file("linear.csv", `${lines.join("\n")}\n`);
    const t = run(["train", csv, "--target", "y", "--layers", "", "--epochs", "200", "--lr", "0.05", "--save", "linear.json", "--json"]);
    expect(t.status, t.stderr).toBe(0);
    const end = jsonLines(t.stdout).at(-1) as { validation: { r2: number; mse: number } };
    expect(end.validation.r2).toBeGreaterThan(0.99);
    const e = run(["evaluate", "linear.json", csv]);
    expect(e.status, e.stderr).toBe(0);
    expect(e.stdout).toMatch(/MSE\s+\d/);
    expect(e.stdout).toMatch(/MAE\s+\d/);
    const r2 = Number(/R²\s+([\d.]+)/.exec(e.stdout)?.[1]);
    expect(r2).toBeGreaterThan(0.99);
    const p = run(["predict", "linear.json", "-"], "a,b\n1,0\n");
    expect(p.status, p.stderr).toBe(0);
    const [header, value] = p.stdout.trim().split("\n");
    expect(header).toBe("row,y");
    expect(Number(value?.split(",")[1])).toBeCloseTo(2.5, 1);
  });
});

describe("checkpoints and resuming", () => {
  it("resuming a saved run continues exactly like an uninterrupted one", () => {
    const common = ["train", "spirals", "--epochs", "12", "--layers", "16", "--seed", "5", "--quiet"];
    expect(run([...common, "--save", "straight.json"]).status).toBe(0);
    expect(run(["train", "spirals", "--epochs", "5", "--layers", "16", "--seed", "5", "--quiet", "--save", "part.json"]).status).toBe(0);
    const r = run(["train", "--resume", "part.json", "--epochs", "12", "--quiet"]);
    expect(r.status, r.stderr).toBe(0);
    const grid = "x,y\n0.1,0.2\n-0.5,0.3\n0.7,-0.9\n";
    const a = run(["predict", "straight.json", "-"], grid).stdout;
    const b = run(["predict", "part.json", "-"], grid).stdout;
    expect(b).toBe(a);
    expect(a.split("\n").length).toBeGreaterThan(3);
  });

  it("a run killed with SIGKILL leaves its last checkpoint whole, and training resumes from it", async () => {
    const save = join(dir, "killed.json");
    const child = spawn(process.execPath, [main, "train", "digits", "--epochs", "400", "--layers", "32", "--checkpoint-every", "1", "--save", save, "--json"], { cwd: dir, env: { ...process.env, CI: "1" } });
    let epochs = 0;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no epochs within 60 s")), 60_000);
      child.stdout.on("data", (chunk: Buffer) => {
        epochs += (chunk.toString().match(/"event":"epoch"/g) ?? []).length;
        if (epochs >= 3 && existsSync(save)) {
          clearTimeout(timer);
          child.kill("SIGKILL");
          resolve();
        }
      });
    });
    await new Promise((resolve) => child.on("exit", resolve));
    // The kill may land mid-write: then a temporary file is left beside it, but the checkpoint
    // itself is always the previous complete one, because it is only ever replaced by a rename.
    expect(() => JSON.parse(readFileSync(save, "utf8"))).not.toThrow();
    const i = run(["inspect", save, "--json"]);
    expect(i.status, i.stderr).toBe(0);
    const trainedEpochs = (JSON.parse(i.stdout) as { training: { epoch: number } }).training.epoch;
    expect(trainedEpochs).toBeGreaterThanOrEqual(1);
    const r = run(["train", "--resume", save, "--epochs", String(trainedEpochs + 2), "--json"]);
    expect(r.status, r.stderr).toBe(0);
    const epochRecords = jsonLines(r.stdout).filter((l) => l["event"] === "epoch");
    expect(epochRecords.map((l) => l["epoch"])).toEqual([trainedEpochs + 1, trainedEpochs + 2]);
  });

  it("Ctrl-C saves a checkpoint at the last finished epoch and exits with 130", async () => {
    const save = join(dir, "interrupted.json");
    const child = spawn(process.execPath, [main, "train", "digits", "--epochs", "400", "--layers", "32", "--save", save, "--json"], { cwd: dir, env: { ...process.env, CI: "1" } });
    let stderr = "";
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    await new Promise<void>((resolve) => {
      child.stdout.on("data", (chunk: Buffer) => {
        if (chunk.toString().includes('"event":"epoch"')) {
          child.kill("SIGINT");
          resolve();
        }
      });
    });
    const code = await new Promise((resolve) => child.on("exit", (c) => resolve(c)));
    expect(code).toBe(130);
    expect(stderr).toMatch(/interrupted: checkpoint of epoch \d+ saved to .*interrupted\.json/);
    expect(run(["inspect", save]).status).toBe(0);
  });
});

describe("bad input: one line on stderr, non-zero exit, no partial output", () => {
  it("a missing file", () => expectCleanFailure(run(["train", "nope.csv", "--target", "y"]), /nope\.csv: no such file/));
  it("an empty CSV", () => expectCleanFailure(run(["train", file("empty.csv", ""), "--target", "y"]), /empty\.csv: the file is empty/));
  it("ragged rows", () => expectCleanFailure(run(["train", file("ragged.csv", "a,b,y\n1,2,3\n4,5\n"), "--target", "y"]), /ragged\.csv:3: .*2 fields.*3/));
  it("a non-numeric cell, with file:line:column and the value", () =>
    expectCleanFailure(run(["train", file("text.csv", "a,b,y\n1,2,3\n4,oops,6\n"), "--target", "y"]), /text\.csv:3:2: "oops" is not a number/));
  it("an unknown target column, listing the columns", () =>
    expectCleanFailure(run(["train", file("cols.csv", "a,b,y\n1,2,3\n"), "--target", "label"]), /"label".*"a", "b", "y"/));
  it("an unknown activation, listing the valid ones", () =>
    expectCleanFailure(run(["train", "xor", "--activation", "relu7"]), /unknown activation "relu7".*relu6.*sigmoid/));
  it("an unknown optimizer, listing the valid ones", () =>
    expectCleanFailure(run(["train", "xor", "--optimizer", "adamx"]), /unknown optimizer "adamx".*adam.*sgd/));
  it("a model file that fails validation", () =>
    expectCleanFailure(run(["inspect", file("broken.json", '{"format":"backprop-model","formatVersion":1,"model":{"layers":"oops"}}')]), /broken\.json/));
  it("a predict CSV with the wrong number of features, and no output file left behind", () => {
    const model = join(dir, "small.json");
    expect(run(["train", "xor", "--epochs", "2", "--validation-split", "0", "--quiet", "--save", model]).status).toBe(0);
    const out = join(dir, "never.csv");
    expectCleanFailure(run(["predict", model, file("wide.csv", "p,q,r\n1,2,3\n"), "--output", out]), /wide\.csv: missing feature columns "a", "b" \(the model was trained on "a", "b"; the file has "p", "q", "r"\)/);
    expectCleanFailure(run(["predict", model, file("narrow.csv", "a\n1\n"), "--output", out]), /narrow\.csv: missing feature column "b"/);
    expect(existsSync(out)).toBe(false);
  });
  it("a usage error exits with 2", () => {
    const r = run(["train", "xor", "--epochs", "many"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--epochs <n>.*expected a positive integer/);
  });
});
