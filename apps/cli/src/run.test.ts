import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CLI_MAIN, expectCleanFailure, fileIn, jsonLines, runIn } from "./cli-runner.test-util.js";

const dir = mkdtempSync(join(tmpdir(), "backprop-run-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const run = (args: string[]) => runIn(dir, args);

/** The pid of a process that has exited: its temporary files are stale. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ["-e", "0"]);
  return child.pid as number;
}

/**
 * Starts `backprop <args> --json`, waits until `epochs` epoch records are out, sends `signal`,
 * and resolves with the exit code and the output.
 */
async function stopAfter(args: string[], epochs: number, signal: NodeJS.Signals): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [CLI_MAIN, ...args, "--json"], { cwd: dir, env: { ...process.env, CI: "1" } });
  let stdout = "";
  let stderr = "";
  let sent = false;
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
  child.stdout.on("data", (c: Buffer) => {
    stdout += c.toString();
    if (!sent && (stdout.match(/"event":"epoch"/g) ?? []).length >= epochs) {
      sent = true;
      child.kill(signal);
    }
  });
  const code = await new Promise<number | null>((resolve) => child.on("exit", (c) => resolve(c)));
  return { code, stdout, stderr };
}

const fileOf = (name: string) => JSON.parse(readFileSync(join(dir, name), "utf8")) as { weights: unknown; training: { state: { epoch: number } }; metadata: { backpropCli: { history: Record<string, number[]> } } };

describe("SIGTERM does what Ctrl-C does", () => {
  it("saves the last finished epoch and exits 143; the run resumes exactly like one never stopped", async () => {
    const common = ["train", "digits", "--layers", "24", "--seed", "4"];
    expect(run([...common, "--epochs", "5", "--quiet", "--save", "straight.json"]).status).toBe(0);
    // digits has 45 batches per epoch: the signal lands mid-epoch, and the file must hold an epoch boundary.
    const r = await stopAfter([...common, "--epochs", "400", "--save", "stopped.json"], 2, "SIGTERM");
    expect(r.code).toBe(143);
    const epoch = Number(/terminated: checkpoint of epoch (\d+) saved to stopped\.json; continue with: backprop train --resume stopped\.json/.exec(r.stderr)?.[1]);
    expect(epoch).toBeGreaterThanOrEqual(2);
    expect(epoch).toBeLessThan(5);
    expect(jsonLines(r.stdout).at(-1)).toEqual({ event: "terminated", signal: "SIGTERM", epoch, saved: ["stopped.json"] });
    const saved = fileOf("stopped.json");
    expect(saved.training.state.epoch).toBe(epoch);
    expect(saved.metadata.backpropCli.history["loss"]).toHaveLength(epoch);
    expect(run(["inspect", "stopped.json"]).status).toBe(0);
    const resumed = run(["train", "--resume", "stopped.json", "--epochs", "5", "--quiet"]);
    expect(resumed.status, resumed.stderr).toBe(0);
    const [a, b] = [fileOf("straight.json"), fileOf("stopped.json")];
    expect(b.weights).toEqual(a.weights);
    expect(b.training).toEqual(a.training);
    expect(b.metadata.backpropCli.history).toEqual(a.metadata.backpropCli.history);
  });

  it("without --save: exits 143 and says nothing was saved", async () => {
    const r = await stopAfter(["train", "digits", "--layers", "24", "--epochs", "400"], 1, "SIGTERM");
    expect(r.code).toBe(143);
    expect(r.stderr).toMatch(/^terminated: nothing saved \(no --save path\)$/m);
  });
});

describe("temporary files left by killed writers", () => {
  it("are removed before the next save when their writer is dead; a live writer's stay", () => {
    const sub = join(dir, "tmpfiles");
    mkdirSync(sub);
    const dead = `.m.json.${deadPid()}.abc.tmp`;
    const live = `.m.json.${process.pid}.def.tmp`;
    const other = `.other.json.${deadPid()}.abc.tmp`;
    for (const name of [dead, live, other]) writeFileSync(join(sub, name), "{");
    const r = runIn(sub, ["train", "xor", "--epochs", "3", "--quiet", "--save", "m.json"]);
    expect(r.status, r.stderr).toBe(0);
    expect(readdirSync(sub).sort()).toEqual([live, other, "m.json"].sort());
  });

  it("forecast --output sweeps its own stale temporary files too", () => {
    const sub = join(dir, "forecast");
    mkdirSync(sub);
    expect(runIn(sub, ["train", "sine", "--sequence", "--epochs", "1", "--units", "4", "--quiet", "--save", "s.json"]).status).toBe(0);
    const dead = `.f.csv.${deadPid()}.0a1b.tmp`;
    writeFileSync(join(sub, dead), "x");
    const r = runIn(sub, ["forecast", "s.json", "sine", "--steps", "2", "--output", "f.csv"]);
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(join(sub, dead))).toBe(false);
    expect(readFileSync(join(sub, "f.csv"), "utf8").trim().split("\n")).toHaveLength(3);
  });
});

describe("checkpoints say so", () => {
  const args = ["train", "xor", "--epochs", "6", "--checkpoint-every", "2", "--save", "ck.json"];
  /**
   * The epochs of the checkpoints written: every second one, the last included. (A checkpoint due
   * while the previous one is still being written replaces any other waiting, so with epochs this
   * short, 4 may be skipped.)
   */
  const expectCheckpoints = (epochs: number[]) => {
    expect(epochs.at(-1)).toBe(6);
    expect(epochs.every((e, i) => e % 2 === 0 && (i === 0 || e > (epochs[i - 1] as number)))).toBe(true);
  };

  it("one line per checkpoint in the progress output", () => {
    const r = run(args);
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.match(/^checkpoint: .*$/gm) ?? [];
    expectCheckpoints(lines.map((l) => Number(/^checkpoint: epoch (\d+) saved to ck\.json$/.exec(l)?.[1])));
  });

  it("a JSON record per checkpoint with --json, nothing with --quiet", () => {
    const r = run([...args, "--json"]);
    expect(r.status, r.stderr).toBe(0);
    const records = jsonLines(r.stdout).filter((l) => l["event"] === "checkpoint");
    expect(records.every((l) => Object.keys(l).join() === "event,epoch,path" && l["path"] === "ck.json")).toBe(true);
    expectCheckpoints(records.map((l) => l["epoch"] as number));
    const q = run([...args, "--quiet"]);
    expect(q.status, q.stderr).toBe(0);
    expect(q.stdout).toBe("model saved to ck.json\n");
    expect(q.stderr).not.toMatch(/checkpoint/);
  });
});

describe("--save and --output are checked before any work", () => {
  it("train-text --save into a folder that does not exist", () => {
    fileIn(dir, "corpus.txt", "the cat sat on the mat. ".repeat(20));
    expectCleanFailure(run(["train-text", "corpus.txt", "--save", "nowhere/lm.json"]), /--save nowhere\/lm\.json: the folder .*nowhere does not exist/);
  });

  it("train --sequence --save naming a folder", () => {
    mkdirSync(join(dir, "afolder"), { recursive: true });
    expectCleanFailure(run(["train", "sine", "--sequence", "--save", "afolder"]), /--save afolder: is a folder, expected a file name/);
  });

  it("forecast --output into a folder that does not exist, before the model is even read", () => {
    expectCleanFailure(run(["forecast", "missing.json", "sine", "--output", "nowhere/f.csv"]), /--output nowhere\/f\.csv: the folder .*nowhere does not exist/);
  });
});
