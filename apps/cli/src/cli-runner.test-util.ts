import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";

/** The built CLI, as users run it. */
export const CLI_MAIN = fileURLToPath(new URL("../dist/main.js", import.meta.url));

/** Runs `backprop <args>` in `dir` (optionally with stdin), the way a user's shell would. */
export function runIn(dir: string, args: string[], input?: string): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [CLI_MAIN, ...args], {
    encoding: "utf8",
    cwd: dir,
    env: { ...process.env, CI: "1", NO_COLOR: "1" },
    ...(input !== undefined ? { input } : {}),
    timeout: 120_000,
  });
}

/** Writes `text` to `dir/name` and returns the path. */
export function fileIn(dir: string, name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** A one-line error on stderr, a non-zero exit, no stack trace. */
export function expectCleanFailure(r: SpawnSyncReturns<string>, pattern: RegExp): void {
  expect(r.status, r.stdout + r.stderr).not.toBe(0);
  expect(r.stderr).toMatch(pattern);
  expect(r.stderr.trim().split("\n")).toHaveLength(1);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

/** The JSON records of `--json` output, one per line. */
export const jsonLines = (text: string): Record<string, unknown>[] => text.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
