// How the command is launched: the `backprop` link pnpm puts in the workspace root's
// node_modules/.bin, the folder relative paths resolve against, `--version` before the program
// loads, and a reader that closes the pipe early.
import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { CLI_MAIN, runIn } from "./cli-runner.test-util.js";

const pkgDir = fileURLToPath(new URL("..", import.meta.url));
const repoRoot = join(pkgDir, "..", "..");
const rootLink = join(repoRoot, "node_modules", ".bin", "backprop");
const { version } = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8")) as { version: string };

const dir = mkdtempSync(join(tmpdir(), "backprop-launch-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const env = { ...process.env, CI: "1", NO_COLOR: "1" };
// The link is a shell script on POSIX systems (a .cmd file on Windows).
const posix = process.platform !== "win32";

describe("backprop --version", () => {
  it("prints the package's version and exits 0", () => {
    const start = performance.now();
    const r = runIn(dir, ["--version"]);
    const ms = performance.now() - start;
    console.log(`backprop --version: ${ms.toFixed(0)} ms (node dist/main.js)`);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(`${version}\n`);
    expect(r.stderr).toBe("");
  });

  it("agrees with the version the full program reports", () => {
    // With another option too, --version goes through commander and the whole program.
    const r = runIn(dir, ["--debug", "--version"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(`${version}\n`);
  });
});

describe.runIf(posix)("the backprop link in the workspace root", () => {
  it("exists after install and runs the built CLI", () => {
    expect(existsSync(rootLink), `${rootLink} is missing: run npx -y pnpm@10.34.9 install`).toBe(true);
    const start = performance.now();
    const r = spawnSync(rootLink, ["--version"], { encoding: "utf8", cwd: dir, env });
    console.log(`node_modules/.bin/backprop --version: ${(performance.now() - start).toFixed(0)} ms`);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(`${version}\n`);
    const help = spawnSync(rootLink, ["--help"], { encoding: "utf8", cwd: dir, env });
    expect(help.status, help.stderr).toBe(0);
    expect(help.stdout).toMatch(/^Usage: backprop /);
  });

  it("resolves relative paths against the folder it is run from", () => {
    const here = mkdtempSync(join(dir, "user-"));
    mkdirSync(join(here, "sub"));
    const r = spawnSync(rootLink, ["train", "xor", "--epochs", "1", "--quiet", "--save", "sub/m.json"], { encoding: "utf8", cwd: here, env, timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(join(here, "sub", "m.json"))).toBe(true);
    expect(existsSync(join(repoRoot, "sub", "m.json"))).toBe(false);
    const inspect = spawnSync(rootLink, ["inspect", "sub/m.json"], { encoding: "utf8", cwd: here, env });
    expect(inspect.status, inspect.stderr).toBe(0);
  });

  // `pnpm exec backprop` from a folder inside the clone, when the tests themselves run under pnpm.
  const pnpm = process.env["npm_execpath"];
  it.runIf(pnpm !== undefined && /pnpm/.test(pnpm))("runs through pnpm exec from a subfolder, with only the CLI's output on stdout", () => {
    const artifacts = join(pkgDir, "test-artifacts"); // gitignored
    mkdirSync(artifacts, { recursive: true });
    const here = mkdtempSync(join(artifacts, "launch-"));
    try {
      const start = performance.now();
      const r = spawnSync(process.execPath, [pnpm as string, "exec", "backprop", "--version"], { encoding: "utf8", cwd: here, env });
      console.log(`pnpm exec backprop --version: ${(performance.now() - start).toFixed(0)} ms (pnpm's own start-up included)`);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toBe(`${version}\n`);
      const t = spawnSync(process.execPath, [pnpm as string, "exec", "backprop", "train", "xor", "--epochs", "1", "--quiet", "--save", "m.json"], {
        encoding: "utf8", cwd: here, env, timeout: 120_000,
      });
      expect(t.status, t.stderr).toBe(0);
      expect(existsSync(join(here, "m.json"))).toBe(true);
    } finally {
      rmSync(here, { recursive: true, force: true });
    }
  });
});

describe("the launcher before a build", () => {
  it("says in one line how to build, instead of a stack", () => {
    // A copy of bin/ with no dist/ beside it.
    const fake = mkdtempSync(join(dir, "unbuilt-"));
    mkdirSync(join(fake, "bin"));
    copyFileSync(join(pkgDir, "bin", "backprop.mjs"), join(fake, "bin", "backprop.mjs"));
    const r = spawnSync(process.execPath, [join(fake, "bin", "backprop.mjs"), "--version"], { encoding: "utf8", cwd: dir, env });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/not built yet: run `npx -y pnpm@10\.34\.9 build:cli`/);
  });
});

describe("a reader that closes the pipe early (backprop … | head -1)", () => {
  it("ends the command quietly: status 0, no EPIPE, no stack", async () => {
    const trained = runIn(dir, ["train", "iris", "--epochs", "1", "--quiet", "--save", "pipe-model.json"]);
    expect(trained.status, trained.stderr).toBe(0);
    // About 2 MB of predictions: far more than a pipe holds, so writing goes on after the reader left.
    const row = "5.1,3.5,1.4,0.2\n";
    writeFileSync(join(dir, "many.csv"), `sepal_length,sepal_width,petal_length,petal_width\n${row.repeat(40_000)}`);
    const child = spawn(process.execPath, [CLI_MAIN, "predict", "pipe-model.json", "many.csv"], { cwd: dir, env, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    let first = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      if (first !== "") return;
      first = chunk.split("\n")[0] ?? "";
      child.stdout.destroy(); // the reader goes away after one line
    });
    const status = await new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
    expect(first).toMatch(/prediction/);
    expect(stderr).not.toMatch(/EPIPE/);
    expect(stderr).not.toMatch(/\n\s+at /);
    expect(status).toBe(0);
  });
});
