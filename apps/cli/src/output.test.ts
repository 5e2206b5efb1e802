import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CLI_MAIN, fileIn, runIn } from "./cli-runner.test-util.js";
import { displayWidth } from "./display-width.js";

const dir = mkdtempSync(join(tmpdir(), "backprop-output-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const run = (args: string[]) => runIn(dir, args);

/** The chart: the lines from the first axis row to the legend. */
function chartOf(stdout: string): { plot: string[]; legend: string } {
  const lines = stdout.split("\n");
  const legend = lines.findIndex((l) => /\(\d+ epochs\)/.test(l));
  const first = lines.findIndex((l) => /^ *\S+ [┼┤]/.test(l));
  return { plot: lines.slice(first, legend), legend: lines[legend] ?? "" };
}

describe("the loss chart's legend", () => {
  it("shows each series' own line glyph, and both glyphs are in the plot (no colour)", () => {
    const r = run(["train", "iris", "--epochs", "40", "--seed", "2"]);
    expect(r.status, r.stderr).toBe(0);
    const { plot, legend } = chartOf(r.stdout);
    expect(legend.trim()).toBe("── loss (40 epochs)   ══ val_loss (40 epochs)");
    expect(plot.length).toBeGreaterThanOrEqual(10);
    expect(plot.join("\n")).toMatch(/─/);
    expect(plot.join("\n")).toMatch(/═/);
    expect(plot.join("\n")).not.toMatch(/\x1b\[/);
  });

  it("keeps each series' colour in the legend when colour is on (FORCE_COLOR)", () => {
    const env: NodeJS.ProcessEnv = { ...process.env, CI: "1", FORCE_COLOR: "1" };
    delete env["NO_COLOR"];
    const r = spawnSync(process.execPath, [CLI_MAIN, "train", "iris", "--epochs", "40", "--seed", "2"], { cwd: dir, env, encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    const { plot, legend } = chartOf(r.stdout);
    const blue = "\x1b[34m";
    const yellow = "\x1b[33m";
    const reset = "\x1b[0m";
    expect(legend).toContain(`${blue}──${reset} loss (40 epochs)`);
    expect(legend).toContain(`${yellow}══${reset} val_loss (40 epochs)`);
    expect(plot.join("")).toContain(`${blue}─${reset}`);
    expect(plot.join("")).toContain(`${yellow}═${reset}`);
  });
});

describe("the confusion matrix with CJK class names", () => {
  it("aligns its columns in terminal columns (a wide character takes two)", () => {
    const classes = ["猫", "犬", "ネズミ"];
    const rows = ["x,y,animal"];
    for (let i = 0; i < 60; i++) rows.push(`${(i % 3) + Math.sin(i) * 0.2},${Math.cos(i) * 0.2},${classes[i % 3]}`);
    const csv = fileIn(dir, "animals.csv", `${rows.join("\n")}\n`);
    const r = run(["train", csv, "--target", "animal", "--epochs", "60", "--lr", "0.05", "--seed", "1"]);
    expect(r.status, r.stderr).toBe(0);
    const blocks = r.stdout.split("confusion matrix:\n").slice(1).map((b) => b.split("\n").slice(0, 2 + classes.length));
    expect(blocks).toHaveLength(2); // training and validation
    for (const block of blocks) {
      // Classes are sorted: ネズミ (three wide characters), 犬, 猫.
      expect(block[0]).toMatch(/^true \\ predicted {2}ネズミ {2}犬 {2}猫$/);
      // The last column is right-aligned: every line of the table ends at the same column.
      expect(new Set(block.map(displayWidth)).size, block.join("\n")).toBe(1);
      expect(block.slice(2).map((l) => l.split(/ +/)[0])).toEqual([...classes].sort());
    }
  });
});

describe("the progress bar's ETA", () => {
  // The bar is drawn on a terminal only: `script` gives the run one.
  const hasScript = spawnSync("script", ["--version"]).status === 0;
  it.skipIf(!hasScript)("is not estimated from the first (warm-up) batch, and is never wildly above the run's length", () => {
    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1" };
    delete env["CI"];
    const command = [process.execPath, CLI_MAIN, "train", "mnist", "--model", "cnn", "--samples", "3000", "--epochs", "2"].map((a) => `'${a}'`).join(" ");
    const r = spawnSync("script", ["-qfec", command, "/dev/null"], { cwd: dir, env, encoding: "utf8", timeout: 170_000 });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const frames = r.stdout.split(/[\r\n]+/).filter((f) => f.includes("ETA "));
    expect(frames.length).toBeGreaterThan(2);
    // The first frame is drawn after the first batch: too early to estimate.
    expect(frames[0]).toMatch(/ETA …/);
    const seconds = Number(/trained 2 epochs in ([\d.]+) s/.exec(r.stdout)?.[1]);
    const etas = frames.map((f) => /ETA (\d+)s/.exec(f)?.[1]).filter((e) => e !== undefined).map(Number);
    console.log(`training ${seconds} s; ETAs shown: ${etas.join(", ")} s`);
    // Estimated from the first batch alone it said 8 s of a 1 s run.
    for (const eta of etas) expect(eta).toBeLessThanOrEqual(2 * seconds + 1);
  });
});

describe("walkthrough --steps N ends with the outputs after the last step", () => {
  it("next to the targets", () => {
    const r = run(["walkthrough", "--steps", "3"]);
    expect(r.status, r.stderr).toBe(0);
    const tail = r.stdout.slice(r.stdout.indexOf("after 3 steps"));
    expect(tail).toMatch(/^after 3 steps \(biases updated\):\nquantity +backprop +target\n/);
    expect(tail).toMatch(/^out o1 +0\.6772418\d+ +0\.01$/m);
    expect(tail).toMatch(/^out o2 +0\.7883586\d+ +0\.99$/m);
    expect(tail).toMatch(/^E_total +0\.242935433353809 +0$/m);
  });

  it("after 10 000 steps with frozen biases, next to the article's published figures", () => {
    const r = run(["walkthrough", "--steps", "10000", "--frozen-bias"]);
    expect(r.status, r.stderr).toBe(0);
    const tail = r.stdout.slice(r.stdout.indexOf("after 10000 steps"));
    expect(tail).toMatch(/^quantity +backprop +target +article +\|diff\|$/m);
    expect(tail).toMatch(/^out o1 +0\.01591362\d+ +0\.01 +0\.015912196 +1\.4e-6$/m);
    expect(tail).toMatch(/^out o2 +0\.98406427\d+ +0\.99 +0\.984065734 +1\.5e-6$/m);
    expect(tail).toMatch(/^E_total +0\.000035101877830 +0 +0\.0000351085 +6\.6e-9$/m);
    // The published error is ours one step earlier.
    expect(r.stdout).toMatch(/^ *10000 +0\.000035108548123 +0\.000035101877830$/m);
    expect(tail).toMatch(/article's error is ours after 9 999 steps \(0\.000035108548123\)/);
  });

  it("with updated biases, points to the variant the article used", () => {
    const r = run(["walkthrough", "--steps", "10000"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^out o1 +0\.0115875\d+ +0\.01$/m);
    expect(r.stdout).toMatch(/are for frozen biases: add --frozen-bias\.$/m);
  });
});
