// The tarballs as a user gets them: installed with npm into a fresh project outside the repository
// (the @backprop packages from the tarballs, all in one `npm i`, everything else from the registry),
// then the umbrella README's example, `require()` from CommonJS, and the `backprop` command, also
// installed globally and run through npx.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import ts from "typescript";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { PUBLISHABLE, ROOT, childEnv, readJson, run, workspacePackages, type RunResult } from "./workspace.js";

const workDir = inject("workDir");
const tarballs = inject("tarballs");
const app = join(workDir, "app");
// A cache of our own: nothing from an earlier run or another project stands in for the registry,
// and nothing is left behind (the folder goes with workDir).
const npmEnv = childEnv({ npm_config_cache: join(workDir, "npm-cache") });
const versions = new Map(workspacePackages().map((p) => [p.json.name, p.json.version]));
const allTarballs = PUBLISHABLE.map((p) => tarballs[p.name] as string);

function npm(args: string[], cwd: string): RunResult {
  return run("npm", ["--no-audit", "--no-fund", ...args], { cwd, env: npmEnv });
}

/** Runs the installed `backprop` command at `bin` in `cwd`. */
function backprop(bin: string, args: string[], cwd = app): RunResult {
  return run(bin, args, { cwd, env: childEnv(), timeout: 180_000 });
}

/** The first ```ts block of a README, compiled to plain JavaScript (an ES module). */
function readmeExample(readme: string): string {
  const block = /```ts\n([^]*?)\n```/.exec(readFileSync(readme, "utf8"))?.[1];
  if (!block) throw new Error(`${readme}: no \`\`\`ts example`);
  return ts.transpileModule(block, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
}

/** Every number printed, in order. */
const numbers = (text: string): number[] => [...text.matchAll(/-?\d+(?:\.\d+)?(?:e[-+]?\d+)?/g)].map((m) => Number(m[0]));

beforeAll(() => {
  mkdirSync(app, { recursive: true });
  writeFileSync(join(app, "package.json"), `${JSON.stringify({ name: "fresh-project", version: "1.0.0", private: true }, null, 2)}\n`);
  const { stdout, stderr } = npm(["install", ...allTarballs], app);
  console.log(`npm install ${PUBLISHABLE.length} tarballs:\n${stdout}${stderr}`);
});

describe("a fresh npm project with the tarballs installed", () => {
  it("has each @backprop package once, at the workspace's version, and a consistent tree", () => {
    for (const { name } of PUBLISHABLE) {
      expect(readJson(join(app, "node_modules", name, "package.json")).version, name).toBe(versions.get(name));
    }
    npm(["ls", "--all"], app); // exits non-zero on a missing, invalid or extraneous package
    for (const { name } of PUBLISHABLE) {
      expect(existsSync(join(app, "node_modules", name, "node_modules/@backprop")), `a nested @backprop in ${name}`).toBe(false);
    }
  });

  it("runs the umbrella README's example with the same output as the workspace build", () => {
    const example = readmeExample(join(ROOT, "packages/all/README.md"));
    expect(example).toContain('from "@backprop/all"');
    writeFileSync(join(app, "example.mjs"), example);
    const installed = run(process.execPath, ["example.mjs"], { cwd: app }).stdout;
    console.log(`packages/all/README.md example, installed:\n${installed}`);
    const [p00, p01, p10, p11, length] = numbers(installed);
    expect([p00, p01, p10, p11].map((p) => Math.round(p as number))).toEqual([0, 1, 1, 0]); // XOR learned
    expect(length).toBeGreaterThan(100); // the model file's length

    const workspaceEntry = pathToFileURL(join(ROOT, "packages/all/dist/index.js")).href;
    writeFileSync(join(workDir, "example-workspace.mjs"), example.replace('from "@backprop/all"', `from ${JSON.stringify(workspaceEntry)}`));
    expect(run(process.execPath, [join(workDir, "example-workspace.mjs")], { cwd: workDir }).stdout).toBe(installed);
  });

  it("loads every entry point with require() from CommonJS (Node.js ≥ 20.19), the same exports as import", async () => {
    const entries = PUBLISHABLE.filter((p) => p.name !== "@backprop/cli").flatMap(({ name }) => {
      const exportsMap = readJson(join(app, "node_modules", name, "package.json")).exports as Record<string, unknown>;
      return Object.keys(exportsMap)
        .filter((k) => k !== "./package.json")
        .map((k) => `${name}${k.slice(1)}`);
    });
    expect(entries).toEqual(expect.arrayContaining(["@backprop/all", "@backprop/linalg/threads", "@backprop/serialize/node"]));
    writeFileSync(
      join(app, "require.cjs"),
      `const names = {};\nfor (const id of ${JSON.stringify(entries)}) names[id] = Object.keys(require(id)).sort();\nconsole.log(JSON.stringify(names));\n`,
    );
    writeFileSync(
      join(app, "import.mjs"),
      `const names = {};\nfor (const id of ${JSON.stringify(entries)}) names[id] = Object.keys(await import(id)).filter((k) => k !== "default" && k !== "module.exports").sort();\nconsole.log(JSON.stringify(names));\n`,
    );
    const required = JSON.parse(run(process.execPath, ["require.cjs"], { cwd: app }).stdout) as Record<string, string[]>;
    const imported = JSON.parse(run(process.execPath, ["import.mjs"], { cwd: app }).stdout) as Record<string, string[]>;
    for (const id of entries) expect(required[id]?.length, id).toBeGreaterThan(0);
    for (const id of entries) expect(required[id]?.filter((k) => k !== "__esModule" && k !== "module.exports"), id).toEqual(imported[id]);
  });

  it("has the backprop command: --version, and training on a built-in dataset", () => {
    const bin = join(app, "node_modules/.bin/backprop");
    expect(backprop(bin, ["--version"]).stdout.trim()).toBe(versions.get("@backprop/cli"));
    const train = backprop(bin, ["train", "xor", "--epochs", "50"]).stdout;
    console.log(`backprop train xor --epochs 50:\n${train}`);
    expect(train).toContain("trained 50 epochs");
    expect(train).toMatch(/accuracy\s+\d+(\.\d+)?%/);
  });

  it("reads every built-in dataset from the installed package (vendored files, dataset packages)", () => {
    const bin = join(app, "node_modules/.bin/backprop");
    const list = backprop(bin, ["datasets"]).stdout;
    for (const name of ["xor", "iris", "digits", "mnist", "airline", "alice"]) expect(list).toMatch(new RegExp(`^${name}\\s`, "m"));
    expect(backprop(bin, ["train", "iris", "--epochs", "5", "--save", "iris.json"]).stdout).toContain("model saved to iris.json");
    expect(backprop(bin, ["evaluate", "iris.json", "iris"]).stdout).toMatch(/150 samples from iris/);
    expect(backprop(bin, ["train", "digits", "--epochs", "1"]).stdout).toContain("trained 1 epochs");
    expect(backprop(bin, ["train", "mnist", "--epochs", "1", "--samples", "500"]).stdout).toContain("trained 1 epochs");
    expect(backprop(bin, ["train-text", "alice", "--epochs", "1", "--units", "8"]).stdout).toContain("trained 1 epochs");
  });
});

describe("the backprop command installed globally", () => {
  const cliTarballs = PUBLISHABLE.filter((p) => p.name !== "@backprop/all").map((p) => tarballs[p.name] as string);

  it("works after `npm i -g` (the @backprop dependencies from the tarballs, into a prefix of its own)", () => {
    const prefix = join(workDir, "global");
    npm(["install", "--global", "--prefix", prefix, ...cliTarballs], workDir);
    const elsewhere = join(workDir, "elsewhere");
    mkdirSync(elsewhere, { recursive: true });
    const bin = join(prefix, "bin/backprop");
    expect(backprop(bin, ["--version"], elsewhere).stdout.trim()).toBe(versions.get("@backprop/cli"));
    expect(backprop(bin, ["train", "iris", "--epochs", "5"], elsewhere).stdout).toContain("trained 5 epochs");
  });

  it("runs through npx without an install (`npx @backprop/cli train iris` once published)", () => {
    const elsewhere = join(workDir, "npx");
    mkdirSync(elsewhere, { recursive: true });
    const packages = cliTarballs.flatMap((t) => ["--package", t]);
    const version = run("npx", ["--yes", ...packages, "--", "backprop", "--version"], { cwd: elsewhere, env: npmEnv }).stdout;
    expect(version.trim()).toBe(versions.get("@backprop/cli"));
    const train = run("npx", ["--yes", ...packages, "--", "backprop", "train", "iris", "--epochs", "5"], { cwd: elsewhere, env: npmEnv }).stdout;
    expect(train).toContain("trained 5 epochs");
  });
});
