/**
 * Writes `src/changelog.md` from the repository's changesets: every `.changeset/*.md` not yet
 * released (front matter: package → bump, then a summary), grouped by package, then each
 * published package's released history (`packages/<name>/CHANGELOG.md` or `apps/<name>/…`, written
 * by `changeset version`) if there is one. Run by scripts/generate.ts; the page is gitignored like the other generated ones.
 */
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** A semver bump, as a changeset's front matter names it. */
export type Bump = "major" | "minor" | "patch";

/** One pending changeset: `.changeset/<id>.md`. */
export interface Changeset {
  /** The file name without `.md`. */
  readonly id: string;
  /** Each package it releases and the bump it asks for. */
  readonly releases: readonly { readonly name: string; readonly type: Bump }[];
  /** The markdown under the front matter, trimmed. */
  readonly summary: string;
}

/** A published package of `packages/`: its version, workspace dependencies and released history. */
export interface PackageInfo {
  readonly name: string;
  readonly version: string;
  /** Names of the workspace packages it depends on. */
  readonly dependsOn: readonly string[];
  /** Its CHANGELOG.md, if `changeset version` has written one. */
  readonly changelog?: string;
}

const BUMPS: readonly Bump[] = ["major", "minor", "patch"];
const TITLES: Readonly<Record<Bump, string>> = { major: "Major changes", minor: "Minor changes", patch: "Patch changes" };

/**
 * Parses one changeset file. Front matter lines are `"@scope/name": minor` (quotes optional); an
 * empty front matter is a valid "no release" changeset and gives no releases.
 */
export function parseChangeset(id: string, text: string): Changeset {
  const m = /^---\r?\n([\s\S]*?)^---[ \t]*\r?$\n?([\s\S]*)$/m.exec(text);
  if (!m || !text.startsWith("---")) throw new Error(`changelog: .changeset/${id}.md has no front matter (expected --- lines around "package": bump)`);
  const releases: { name: string; type: Bump }[] = [];
  for (const line of (m[1] as string).split(/\r?\n/)) {
    if (line.trim() === "") continue;
    const r = /^\s*(["']?)([^"':\s]+)\1\s*:\s*(major|minor|patch)\s*$/.exec(line);
    if (!r) throw new Error(`changelog: .changeset/${id}.md: cannot read the front matter line "${line.trim()}" (expected "package": major|minor|patch)`);
    releases.push({ name: r[2] as string, type: r[3] as Bump });
  }
  return { id, releases, summary: (m[2] as string).trim() };
}

/** Every changeset of a `.changeset` folder (README.md excluded), by file name. */
export function readChangesets(dir: string): Changeset[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith(".md") && f !== "README.md")
    .sort()
    .map((f) => parseChangeset(f.slice(0, -3), readFileSync(join(dir, f), "utf8")));
}

/** The non-private packages of workspace folders (`packages/`, `apps/`), with their CHANGELOG.md when present. */
export function readPackages(...dirs: string[]): PackageInfo[] {
  const out: PackageInfo[] = [];
  for (const dir of dirs) out.push(...readPackagesIn(dir));
  return out;
}

function readPackagesIn(dir: string): PackageInfo[] {
  if (!existsSync(dir)) return [];
  const out: PackageInfo[] = [];
  for (const name of readdirSync(dir).sort()) {
    const manifest = join(dir, name, "package.json");
    if (!existsSync(manifest)) continue;
    const pkg = JSON.parse(readFileSync(manifest, "utf8")) as {
      name: string;
      version: string;
      private?: boolean;
      dependencies?: Record<string, string>;
    };
    if (pkg.private === true) continue;
    const log = join(dir, name, "CHANGELOG.md");
    const dependsOn = Object.entries(pkg.dependencies ?? {}).filter(([, range]) => range.startsWith("workspace:")).map(([dep]) => dep);
    out.push({ name: pkg.name, version: pkg.version, dependsOn, ...(existsSync(log) ? { changelog: readFileSync(log, "utf8") } : {}) });
  }
  return out;
}

/** The version `changeset version` gives a package for a bump (0.x included: major → 1.0.0). */
export function nextVersion(version: string, bump: Bump): string {
  const m = /^(\d+)\.(\d+)\.(\d+)/.exec(version);
  if (!m) return version;
  const [major, minor, patch] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (bump === "major") return `${major + 1}.0.0`;
  if (bump === "minor") return `${major}.${minor + 1}.0`;
  return `${major}.${minor}.${patch + 1}`;
}

/** Package names in dependency order (a package after everything it depends on), then by name. */
function dependencyOrder(packages: readonly PackageInfo[], names: Iterable<string>): string[] {
  const byName = new Map(packages.map((p) => [p.name, p]));
  const depth = new Map<string, number>();
  const depthOf = (name: string, seen: Set<string>): number => {
    const known = depth.get(name);
    if (known !== undefined) return known;
    if (seen.has(name)) return 0;
    seen.add(name);
    const deps = byName.get(name)?.dependsOn ?? [];
    const d = deps.length === 0 ? 0 : 1 + Math.max(...deps.map((dep) => depthOf(dep, seen)));
    depth.set(name, d);
    return d;
  };
  return [...new Set(names)].sort((a, b) => depthOf(a, new Set()) - depthOf(b, new Set()) || a.localeCompare(b));
}

/** A summary as a list item: continuation lines indented so lists and paragraphs stay inside it. */
function listItem(summary: string): string {
  return `- ${summary.split("\n").map((line, i) => (i === 0 || line.trim() === "" ? line.trimEnd() : `  ${line}`)).join("\n")}`;
}

/** A released CHANGELOG.md under this page's headings: its `# name` title dropped, the rest two levels down. */
function released(changelog: string): string {
  return changelog
    .replace(/^# .*\r?\n/, "")
    .replace(/^(#{1,4}) /gm, (_, hashes: string) => `${hashes}## `)
    .trim();
}

/** The changelog page's markdown. */
export function renderChangelog(changesets: readonly Changeset[], packages: readonly PackageInfo[]): string {
  const byPackage = new Map<string, { id: string; type: Bump; summary: string }[]>();
  for (const c of changesets) {
    for (const r of c.releases) byPackage.set(r.name, [...(byPackage.get(r.name) ?? []), { id: c.id, type: r.type, summary: c.summary }]);
  }
  const versions = new Map(packages.map((p) => [p.name, p.version]));
  const lines: string[] = [
    "---",
    "outline: [2, 3]",
    "---",
    "",
    "# Changelog",
    "",
    "<!-- Generated by apps/docs/scripts/changelog.ts from .changeset/*.md and packages/*/CHANGELOG.md: edit those, not this file. -->",
    "",
    "Every user-visible change to a package carries a [changeset](https://github.com/changesets/changesets):",
    "a file in `.changeset/` naming the packages it touches, the semver bump each needs, and one",
    "sentence for this page. `changeset version` turns the pending ones into each package's",
    "`CHANGELOG.md` and new version; this page is built from both, so it lists what the next release",
    "will contain and, under [Released](#released), what earlier ones did.",
    "",
    "## Unreleased",
    "",
  ];
  if (byPackage.size === 0) lines.push("No pending changesets: everything merged so far has been released.", "");
  for (const name of dependencyOrder(packages, byPackage.keys())) {
    const entries = byPackage.get(name) ?? [];
    const bump = BUMPS.find((b) => entries.some((e) => e.type === b)) as Bump;
    const version = versions.get(name);
    const count = `${entries.length} ${entries.length === 1 ? "change" : "changes"}`;
    lines.push(`### ${name}`, "");
    lines.push(version ? `${count}; the next release is a ${bump}: ${version} → ${nextVersion(version, bump)}.` : `${count}; the next release is a ${bump}.`, "");
    for (const type of BUMPS) {
      const ofType = entries.filter((e) => e.type === type);
      if (ofType.length === 0) continue;
      lines.push(`#### ${TITLES[type]}`, "", "::: v-pre");
      for (const e of ofType) lines.push("", listItem(e.summary));
      lines.push("", ":::", "");
    }
  }
  lines.push("## Released", "");
  const withLog = packages.filter((p) => p.changelog !== undefined);
  if (withLog.length === 0) lines.push("Nothing yet: no package has been published to npm so far.", "");
  for (const name of dependencyOrder(packages, withLog.map((p) => p.name))) {
    const pkg = withLog.find((p) => p.name === name) as PackageInfo;
    lines.push(`### ${name}`, "", "::: v-pre", "", released(pkg.changelog as string), "", ":::", "");
  }
  return `${lines.join("\n").trimEnd()}\n`;
}

/** Reads the repository's changesets and packages and writes the page (only when it changed). */
export function generateChangelog(repo = resolve(fileURLToPath(new URL("../../..", import.meta.url))), out = join(repo, "apps/docs/src/changelog.md")): string {
  const page = renderChangelog(readChangesets(join(repo, ".changeset")), readPackages(join(repo, "packages"), join(repo, "apps")));
  if (!existsSync(out) || readFileSync(out, "utf8") !== page) writeFileSync(out, page);
  return page;
}
