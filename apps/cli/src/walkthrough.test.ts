import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { walkthrough } from "./walkthrough.js";

const main = fileURLToPath(new URL("../dist/main.js", import.meta.url));
const run = (...args: string[]) => spawnSync(process.execPath, [main, ...args], { encoding: "utf8" });

function largestDifference(text: string): number {
  const match = /largest difference from the reference: (\S+)/.exec(text);
  if (!match?.[1]) throw new Error(`no summary line in:\n${text}`);
  return Number(match[1]);
}

describe("backprop walkthrough", () => {
  it("prints every number of the step next to the reference, within 1e-12 in float64", () => {
    const out = walkthrough({ frozenBias: false, steps: 1, dtype: "float64" });
    expect(largestDifference(out)).toBeLessThan(1e-12);
    expect(out).toMatch(/out o1\s+0\.751365069552316\s+0\.751365069552316/);
    expect(out).toMatch(/bias → h1\s+0\.345614322655256/);
  });

  it("reproduces the original article with frozen biases", () => {
    const out = walkthrough({ frozenBias: true, steps: 1, dtype: "float64" });
    expect(largestDifference(out)).toBeLessThan(1e-12);
    expect(out).toMatch(/bias → h1\s+0\.350000000000000\s+0\.350000000000000/);
    expect(out).toMatch(/E_total after the step\s+0\.291027773693599/);
  });

  it("keeps training with --steps and the error falls every step", () => {
    const out = walkthrough({ frozenBias: false, steps: 5, dtype: "float32" });
    expect(largestDifference(out)).toBeLessThan(1e-6);
    const afters = [...out.matchAll(/^\s+(\d) +(\S+) +(\S+)$/gm)].map((m) => Number(m[3]));
    expect(afters).toHaveLength(5);
    for (let i = 1; i < afters.length; i++) expect(afters[i]!).toBeLessThan(afters[i - 1]!);
  });

  it("runs as a command, with shell-friendly exit codes", () => {
    const ok = run("walkthrough", "--frozen-bias");
    expect(ok.status).toBe(0);
    expect(largestDifference(ok.stdout)).toBeLessThan(1e-12);
    const bad = run("walkthrough", "--steps", "zero");
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/--steps <n>.*expected a positive integer \(got "zero"\)/);
    expect(bad.stderr).not.toMatch(/\n\s+at /);
  });
});
