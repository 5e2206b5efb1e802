import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI_MAIN, expectCleanFailure, fileIn, jsonLines, runIn } from "./cli-runner.test-util.js";
import type { CliMetadata } from "./model-file.js";

const dir = mkdtempSync(join(tmpdir(), "backprop-text-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const run = (args: string[]) => runIn(dir, args);

const CORPUS = "the cat sat on the mat. the dog sat on the log. a cat and a dog met on a mat.\n".repeat(12);
const tiny = ["--units", "24", "--embedding-dim", "8", "--seq-length", "12", "--epochs", "4", "--lr", "0.02"];

beforeAll(() => {
  fileIn(dir, "corpus.txt", CORPUS);
  const r = run(["train-text", "corpus.txt", ...tiny, "--json", "--save", "chars.json"]);
  if (r.status !== 0) throw new Error(r.stderr);
});

describe("train-text", () => {
  it("learns the next character at every step, prints samples, and stores the vocabulary", () => {
    const r = run(["train-text", "corpus.txt", ...tiny, "--layers", "2", "--sample-every", "2", "--json"]);
    expect(r.status, r.stderr).toBe(0);
    const records = jsonLines(r.stdout);
    const epochs = records.filter((l) => l["event"] === "epoch") as { loss: number; val_loss: number }[];
    expect(epochs).toHaveLength(4);
    expect(epochs.at(-1)!.loss).toBeLessThan(epochs[0]!.loss);
    expect(records.filter((l) => l["event"] === "sample").map((l) => l["epoch"])).toEqual([2, 4]);
    const meta = (JSON.parse(readFileSync(join(dir, "chars.json"), "utf8")) as { metadata: { backpropCli: CliMetadata } }).metadata.backpropCli;
    expect(meta.text?.vocab).toEqual([...new Set(CORPUS)].sort());
    expect(meta.text).toMatchObject({ tokens: "chars", seqLength: 12, step: 3, start: "t" });
    const i = JSON.parse(run(["inspect", "chars.json", "--json"]).stdout) as { config: { layers: { className: string; config: { returnSequences?: boolean } }[] } };
    expect(i.config.layers.map((l) => l.className)).toEqual(["embedding", "lstm", "dense"]);
    expect(i.config.layers[1]?.config.returnSequences).toBe(true);
  });

  it("word level: a capped vocabulary with <unk>", () => {
    const r = run(["train-text", "corpus.txt", "--tokens", "words", "--vocab-size", "6", "--seq-length", "6", "--units", "8", "--epochs", "1", "--quiet", "--save", "words.json"]);
    expect(r.status, r.stderr).toBe(0);
    const meta = (JSON.parse(readFileSync(join(dir, "words.json"), "utf8")) as { metadata: { backpropCli: CliMetadata } }).metadata.backpropCli;
    expect(meta.text?.vocab).toEqual(["<unk>", "the", "on", ".", "a", "cat"]); // by count, ties in first-seen order
    const g = run(["generate", "words.json", "--prompt", "the zebra cat", "--length", "5"]);
    expect(g.status, g.stderr).toBe(0);
    expect(g.stderr).toMatch(/1 prompt word not in the vocabulary, read as <unk>: "zebra"/);
    expect(g.stdout.startsWith("the zebra cat")).toBe(true);
  });
});

describe("generate", () => {
  it("uses only the vocabulary; the same seed gives the same text, another seed another", () => {
    const a = run(["generate", "chars.json", "--prompt", "the ", "--length", "80", "--seed", "7"]);
    expect(a.status, a.stderr).toBe(0);
    expect(a.stdout.startsWith("the ")).toBe(true);
    const generated = a.stdout.slice(4, -1);
    expect([...generated]).toHaveLength(80);
    const vocab = new Set(CORPUS);
    expect([...generated].filter((c) => !vocab.has(c))).toEqual([]);
    expect(run(["generate", "chars.json", "--prompt", "the ", "--length", "80", "--seed", "7"]).stdout).toBe(a.stdout);
    expect(run(["generate", "chars.json", "--prompt", "the ", "--length", "80", "--seed", "8"]).stdout).not.toBe(a.stdout);
  });

  it("temperature 0 is greedy: no seed changes it", () => {
    const g = (seed: string) => run(["generate", "chars.json", "--prompt", "a cat", "--length", "30", "--temperature", "0", "--seed", seed]).stdout;
    expect(g("1")).toBe(g("2"));
  });

  it("streams: stdout receives text while the process is still generating", async () => {
    const child = spawn(process.execPath, [CLI_MAIN, "generate", "chars.json", "--length", "4000", "--seed", "3"], { cwd: dir, env: { ...process.env, CI: "1" } });
    const chunks: { at: number; text: string }[] = [];
    child.stdout.on("data", (c: Buffer) => chunks.push({ at: performance.now(), text: c.toString() }));
    const exitAt = await new Promise<number>((resolve) => child.on("exit", () => resolve(performance.now())));
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks[0]!.at).toBeLessThan(exitAt);
    expect(chunks.map((c) => c.text).join("").length).toBeGreaterThanOrEqual(4000);
  });
});

describe("text errors: one line naming the file or flag", () => {
  it("an empty corpus", () => expectCleanFailure(run(["train-text", fileIn(dir, "empty.txt", " \n\n")]), /empty\.txt: the corpus is empty/));
  it("a corpus shorter than one sequence", () => expectCleanFailure(run(["train-text", fileIn(dir, "short.txt", "abc"), "--seq-length", "40"]), /short\.txt: has 3 characters, fewer than one training sequence \(--seq-length 40 \+ 1\)/));
  it("a prompt with characters the model never saw", () =>
    expectCleanFailure(run(["generate", "chars.json", "--prompt", "the CAT"]), /--prompt: character "C" at position 5 is not in the vocabulary of chars\.json \(15 characters/));
  it("generate on a model that is not a text model", () => {
    expect(run(["train", "xor", "--epochs", "1", "--validation-split", "0", "--quiet", "--save", "xor.json"]).status).toBe(0);
    expectCleanFailure(run(["generate", "xor.json"]), /xor\.json: is not a text model/);
  });
  it("--vocab-size on a character model; a text corpus given to train", () => {
    expectCleanFailure(run(["train-text", "corpus.txt", "--vocab-size", "10"]), /--vocab-size: applies to --tokens words/);
    expectCleanFailure(run(["train", "alice"]), /alice: is a text corpus: .*backprop train-text alice/);
  });
  it("every new command has --help", () => {
    for (const command of ["forecast", "train-text", "generate"]) {
      const r = run([command, "--help"]);
      expect(r.status, command).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^Usage: backprop ${command}`));
    }
  });
});
