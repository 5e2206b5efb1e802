// The changelog page against the changesets it is generated from.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { nextVersion, parseChangeset, readChangesets, readPackages, renderChangelog } from "../scripts/changelog.js";
import { DIST, DOCS, SRC, textOf } from "./site.js";

const REPO = join(DOCS, "../..");
const changesets = readChangesets(join(REPO, ".changeset"));
const packages = readPackages(join(REPO, "packages"), join(REPO, "apps"));

/** Letters and digits only: markdown, code spans and HTML tags differ, the words do not. */
const words = (s: string): string => s.replace(/\[([^\]]*)\]\([^)]*\)/g, "$1").replace(/[^\p{L}\p{N}]+/gu, "").toLowerCase();

/** The `### <package>` sections of the page's Unreleased part, by package name. */
function unreleasedSections(page: string): Map<string, string> {
  const unreleased = page.slice(page.indexOf("## Unreleased"), page.indexOf("## Released"));
  const sections = new Map<string, string>();
  for (const part of unreleased.split(/^### /m).slice(1)) sections.set(part.slice(0, part.indexOf("\n")).trim(), part);
  return sections;
}

describe("changelog: the repository's changesets", () => {
  const page = renderChangelog(changesets, packages);

  it("reads every changeset file of .changeset/", () => {
    const files = readdirSync(join(REPO, ".changeset")).filter((f) => f.endsWith(".md") && f !== "README.md");
    expect(changesets.map((c) => `${c.id}.md`)).toEqual(files.sort());
    expect(changesets.length).toBeGreaterThan(0);
  });

  it("shows every changeset under each package it releases, with the bump's heading", () => {
    const sections = unreleasedSections(page);
    for (const c of changesets) {
      for (const r of c.releases) {
        const section = sections.get(r.name);
        expect(section, `${c.id}: no section for ${r.name}`).toBeDefined();
        const heading = { major: "#### Major changes", minor: "#### Minor changes", patch: "#### Patch changes" }[r.type];
        const after = (section as string).split(heading)[1] ?? "";
        const group = after.split(/^#### /m)[0] as string;
        expect(group, `${c.id} under ${r.name} ${heading}`).toContain(c.summary.split("\n")[0]);
      }
    }
  });

  it("names each package's next version from its package.json and its largest bump", () => {
    const sections = unreleasedSections(page);
    for (const [name, section] of sections) {
      const own = changesets.flatMap((c) => c.releases.filter((r) => r.name === name).map((r) => r.type));
      const bump = (["major", "minor", "patch"] as const).find((b) => own.includes(b)) as "major" | "minor" | "patch";
      const version = packages.find((p) => p.name === name)?.version;
      expect(version, `${name} is a package of packages/ or apps/`).toBeDefined();
      expect(section).toContain(`${own.length} ${own.length === 1 ? "change" : "changes"}; the next release is a ${bump}: ${version} → ${nextVersion(version as string, bump)}.`);
    }
  });

  it("is the page generate wrote (src/changelog.md, gitignored)", () => {
    const file = join(SRC, "changelog.md");
    expect(existsSync(file), "run `pnpm run generate` in apps/docs first").toBe(true);
    expect(readFileSync(file, "utf8")).toBe(page);
    expect(readFileSync(join(DOCS, ".gitignore"), "utf8")).toMatch(/^src\/changelog\.md$/m);
  });

  it("the built page shows every changeset's words", () => {
    const built = join(DIST, "changelog.html");
    expect(existsSync(built), "build the site first (the docs test script does)").toBe(true);
    const text = words(textOf(readFileSync(built, "utf8")));
    for (const c of changesets) expect(text, c.id).toContain(words(c.summary.split("\n")[0] as string));
  });
});

describe("changelog: the generator", () => {
  const root = mkdtempSync(join(tmpdir(), "docs-changelog-"));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const write = (path: string, text: string): void => {
    mkdirSync(join(root, path, ".."), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  write(".changeset/README.md", "# Changesets\n");
  write(".changeset/b-first.md", '---\n"@x/base": patch\n"@x/top": minor\n---\n\nFaster `sum`:\n\n- one loop\n- no copy\n');
  write(".changeset/a-empty.md", "---\n---\n");
  write(".changeset/c-break.md", "---\n'@x/top': major\n---\n\nRenamed {{ things }}.\n");
  write("packages/base/package.json", JSON.stringify({ name: "@x/base", version: "0.3.1" }));
  write("packages/base/CHANGELOG.md", "# @x/base\n\n## 0.3.1\n\n### Patch Changes\n\n- abc1234: Fixed it.\n");
  write("packages/top/package.json", JSON.stringify({ name: "@x/top", version: "1.2.3", dependencies: { "@x/base": "workspace:^" } }));
  write("packages/private/package.json", JSON.stringify({ name: "@x/helper", version: "0.0.0", private: true }));
  const page = renderChangelog(readChangesets(join(root, ".changeset")), readPackages(join(root, "packages")));

  it("groups by package in dependency order, bumps by the largest, keeps multi-line summaries in one item", () => {
    expect([...unreleasedSections(page).keys()]).toEqual(["@x/base", "@x/top"]);
    expect(page).toContain("1 change; the next release is a patch: 0.3.1 → 0.3.2.");
    expect(page).toContain("2 changes; the next release is a major: 1.2.3 → 2.0.0.");
    expect(page).toContain("- Faster `sum`:\n\n  - one loop\n  - no copy");
    // Vue would read {{ }} as an expression: summaries sit in v-pre containers.
    const top = unreleasedSections(page).get("@x/top") as string;
    expect(top.indexOf("#### Major changes")).toBeLessThan(top.indexOf("#### Minor changes"));
    expect(top.slice(top.indexOf("::: v-pre"))).toContain("Renamed {{ things }}.");
  });

  it("includes released CHANGELOG.md files under Released, headings moved under the package's", () => {
    const released = page.slice(page.indexOf("## Released"));
    expect(released).toContain("### @x/base\n\n::: v-pre\n\n#### 0.3.1\n\n##### Patch Changes\n\n- abc1234: Fixed it.");
    expect(released).not.toMatch(/^# @x\/base$/m);
    expect(released).not.toContain("@x/helper");
  });

  it("says so when nothing is pending or released", () => {
    const empty = renderChangelog([], []);
    expect(empty).toContain("No pending changesets");
    expect(empty).toContain("no package has been published");
  });

  it("refuses a front matter line it cannot read, naming the file", () => {
    expect(() => parseChangeset("oops", '---\n"@x/a": huge\n---\n\nx\n')).toThrow(/\.changeset\/oops\.md.*"@x\/a": huge/);
    expect(() => parseChangeset("none", "Just text.\n")).toThrow(/\.changeset\/none\.md has no front matter/);
    expect(parseChangeset("e", "---\n---\n").releases).toEqual([]);
  });

  it("computes the versions changeset version would", () => {
    expect([nextVersion("0.1.0", "patch"), nextVersion("0.1.0", "minor"), nextVersion("0.1.0", "major")]).toEqual(["0.1.1", "0.2.0", "1.0.0"]);
  });
});
