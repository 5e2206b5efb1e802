// The versioning half of a release, rehearsed on a copy: `changeset version` runs on the
// repository's .changeset folder and package.json files copied to a temporary folder (never the
// real tree), and must bump each package as its changesets say and write their summaries into the
// changelogs.
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { PUBLISHABLE, ROOT, readJson, run, workspacePackages, type RunResult, type WorkspacePackage } from "./workspace.js";

type Bump = "patch" | "minor" | "major";
const ORDER: Bump[] = ["patch", "minor", "major"];

interface Changeset {
  file: string;
  releases: Map<string, Bump>;
  summary: string;
}

/** The changesets waiting in `.changeset/`: which package gets which bump, and the summary. */
function readChangesets(dir: string): Changeset[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".md") && f !== "README.md")
    .sort()
    .map((file) => {
      const text = readFileSync(join(dir, file), "utf8").replace(/\r\n/g, "\n");
      const match = /^---\n([^]*?)\n?---\n([^]*)$/.exec(text);
      if (!match) throw new Error(`.changeset/${file}: no front matter`);
      const releases = new Map<string, Bump>();
      for (const line of (match[1] as string).split("\n")) {
        if (line.trim() === "") continue;
        const release = /^\s*["']?([^"':]+(?::[^"':]+)?)["']?\s*:\s*(patch|minor|major)\s*$/.exec(line);
        if (!release) throw new Error(`.changeset/${file}: cannot read "${line}"`);
        releases.set(release[1] as string, release[2] as Bump);
      }
      return { file, releases, summary: (match[2] as string).trim() };
    });
}

/** Letters and digits only: changesets runs the summaries through prettier, which escapes markdown. */
const words = (s: string): string => s.replace(/[^\p{L}\p{N}]+/gu, "").toLowerCase();

/** semver's inc for plain x.y.z versions. */
function bumped(version: string, bump: Bump): string {
  const parts = /^(\d+)\.(\d+)\.(\d+)$/.exec(version);
  if (!parts) throw new Error(`not a plain x.y.z version: ${version}`);
  const [major, minor, patch] = parts.slice(1).map(Number) as [number, number, number];
  if (bump === "major") return `${major + 1}.0.0`;
  if (bump === "minor") return `${major}.${minor + 1}.0`;
  return `${major}.${minor}.${patch + 1}`;
}

describe("changeset version, on a copy of the workspace", () => {
  const copy = join(inject("workDir"), "changeset-version");
  const before = workspacePackages();
  const changesets = readChangesets(join(ROOT, ".changeset"));
  const config = readJson<{ ignore?: string[] }>(join(ROOT, ".changeset", "config.json"));
  let result: RunResult;
  let after: Map<string, WorkspacePackage>;

  /** The bump the changesets ask for, per package: the largest of its changesets'. */
  const asked = new Map<string, Bump>();
  for (const c of changesets) {
    for (const [name, bump] of c.releases) {
      const previous = asked.get(name);
      if (!previous || ORDER.indexOf(bump) > ORDER.indexOf(previous)) asked.set(name, bump);
    }
  }

  beforeAll(() => {
    mkdirSync(copy, { recursive: true });
    for (const file of ["package.json", "pnpm-workspace.yaml"]) cpSync(join(ROOT, file), join(copy, file));
    cpSync(join(ROOT, ".changeset"), join(copy, ".changeset"), { recursive: true });
    for (const { dir } of before) {
      mkdirSync(join(copy, dir), { recursive: true });
      for (const file of ["package.json", "CHANGELOG.md"]) {
        if (existsSync(join(ROOT, dir, file))) cpSync(join(ROOT, dir, file), join(copy, dir, file));
      }
    }
    // The changelog generator named in config.json is resolved from the copy's node_modules.
    symlinkSync(join(ROOT, "apps/release-check/node_modules"), join(copy, "node_modules"), "dir");
    const cliPackage = createRequire(import.meta.url).resolve("@changesets/cli/package.json");
    const bin = (readJson(cliPackage).bin as Record<string, string>).changeset as string;
    result = run(process.execPath, [join(dirname(cliPackage), bin), "version"], { cwd: copy });
    after = new Map(workspacePackages(copy).map((p) => [p.json.name, p]));
  });

  it("versions every publishable package (none is ignored) and only names packages that exist", () => {
    for (const { name } of PUBLISHABLE) expect(config.ignore ?? [], name).not.toContain(name);
    const names = new Set(before.map((p) => p.json.name));
    for (const c of changesets) for (const name of c.releases.keys()) expect(names, `.changeset/${c.file}`).toContain(name);
  });

  it("succeeds and consumes every changeset", () => {
    console.log(`changeset version: ${changesets.length} changesets\n${result.stdout}${result.stderr}`);
    expect(readdirSync(join(copy, ".changeset")).filter((f) => f.endsWith(".md") && f !== "README.md")).toEqual([]);
  });

  it("bumps each package as its changesets say, and leaves private packages alone", () => {
    const summary: string[] = [];
    for (const { dir, json } of before) {
      const now = after.get(json.name)?.json.version;
      const bump = asked.get(json.name);
      if (now !== json.version) summary.push(`${json.name} ${json.version} → ${now}${bump ? ` (${bump})` : " (dependent)"}`);
      if (json.private) expect(now, `${json.name} (${dir})`).toBe(json.version);
      else if (bump) expect(now, `${json.name}: ${bump}`).toBe(bumped(json.version, bump));
      // A package no changeset names moves only as a dependent of one that does: a patch.
      else expect([json.version, bumped(json.version, "patch")], json.name).toContain(now);
    }
    console.log(summary.join("\n"));
  });

  it("writes every changeset's summary into the new section of its packages' changelogs", () => {
    for (const c of changesets) {
      for (const name of c.releases.keys()) {
        const pkg = after.get(name) as WorkspacePackage;
        const changelog = readFileSync(join(copy, pkg.dir, "CHANGELOG.md"), "utf8");
        const section = changelog.split(/^## /m)[1] ?? "";
        expect(section.startsWith(`${pkg.json.version}\n`), `${name} CHANGELOG.md`).toBe(true);
        expect(words(section), `.changeset/${c.file} in ${name}'s CHANGELOG.md`).toContain(words(c.summary));
      }
    }
  });
});
