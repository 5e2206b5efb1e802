/**
 * Generates what the site does not keep in git, before VitePress runs:
 * - `src/reference/api/**`: the API reference, by TypeDoc + typedoc-plugin-markdown, from the TSDoc
 *   of every package's entry points (a missing entry point is skipped with a warning, so a package
 *   being written does not break the site);
 * - `.vitepress/api-sidebar.json`: the sidebar of that reference;
 * - `src/reference/cli.md`: the CLI reference, from the CLI's own `createProgram()`.
 *
 * Run with tsx (`pnpm run generate`), which also compiles the CLI's TypeScript source on the fly.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Application, LogLevel } from "typedoc";
import { API_PACKAGES } from "./api-packages.js";
import { renderCliReference, type CliCommand } from "./cli-reference.js";
import { writeErrorCodes } from "./error-codes.js";
import { generateChangelog } from "./changelog.js";

const here = dirname(fileURLToPath(import.meta.url));
const docs = resolve(here, "..");
const repo = resolve(docs, "../..");
const apiOut = join(docs, "src/reference/api");


async function generateApi(): Promise<void> {
  const packages = API_PACKAGES.filter((p) => {
    const ok = p.entries.some((e) => existsSync(join(repo, p.dir, e)));
    if (!ok) console.warn(`[docs] skipping ${p.dir}: no entry point yet`);
    return ok;
  });
  rmSync(apiOut, { recursive: true, force: true });
  const app = await Application.bootstrapWithPlugins({
    name: "API reference",
    entryPointStrategy: "packages",
    entryPoints: packages.map((p) => join(repo, p.dir)),
    // NOTE: TypeDoc only warns about globs that match nothing, which is what lets linalg and
    // serialize share one list (only serialize has src/node.ts).
    packageOptions: { entryPoints: [...new Set(packages.flatMap((p) => p.entries))], excludeInternal: true, disableSources: true, disableGit: true, sourceLinkTemplate: "" },
    plugin: ["typedoc-plugin-markdown"],
    out: apiOut,
    readme: "none",
    excludePrivate: true,
    excludeInternal: true,
    disableSources: true,
    disableGit: true,
    sourceLinkTemplate: "",
    logLevel: LogLevel.Warn,
    // typedoc-plugin-markdown options
    entryFileName: "index.md",
    excludeScopesInPaths: true,
    hidePageHeader: true,
    hideBreadcrumbs: true,
    useCodeBlocks: true,
    sanitizeComments: true,
  } as Parameters<typeof Application.bootstrapWithPlugins>[0]);
  const project = await app.convert();
  if (!project) throw new Error("TypeDoc could not convert the packages (see the messages above)");
  await app.generateOutputs(project);
  if (app.logger.hasErrors()) throw new Error("TypeDoc reported errors");
  writeFileSync(join(docs, ".vitepress/api-sidebar.json"), `${JSON.stringify(apiSidebar(), null, 2)}\n`);
}

interface SidebarItem {
  text: string;
  link?: string;
  collapsed?: boolean;
  items?: SidebarItem[];
}

const GROUPS: Readonly<Record<string, string>> = {
  classes: "Classes",
  functions: "Functions",
  interfaces: "Interfaces",
  "type-aliases": "Type aliases",
  variables: "Variables",
  enumerations: "Enumerations",
};

function linkOf(file: string): string {
  return `/${relative(join(docs, "src"), file).replace(/\\/g, "/").replace(/(^|\/)index\.md$/, "$1").replace(/\.md$/, "")}`;
}

/** Sidebar items for one generated module folder: its groups, each collapsed. */
function moduleItems(dir: string): SidebarItem[] {
  const items: SidebarItem[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (!statSync(path).isDirectory()) continue;
    const group = GROUPS[name];
    if (group) {
      const pages = readdirSync(path).filter((f) => f.endsWith(".md")).sort();
      items.push({ text: group, collapsed: true, items: pages.map((f) => ({ text: f.replace(/\.md$/, ""), link: linkOf(join(path, f)) })) });
    } else if (existsSync(join(path, "index.md"))) {
      // a sub-module, e.g. @backprop/serialize/node
      items.push({ text: name, link: linkOf(join(path, "index.md")), collapsed: true, items: moduleItems(path) });
    }
  }
  return items;
}

function apiSidebar(): SidebarItem[] {
  const packages = readdirSync(apiOut)
    .filter((d) => statSync(join(apiOut, d)).isDirectory())
    .sort((a, b) => API_PACKAGES.findIndex((p) => p.dir.endsWith(`/${a}`)) - API_PACKAGES.findIndex((p) => p.dir.endsWith(`/${b}`)));
  return [
    { text: "API reference", link: "/reference/api/" },
    ...packages.map((d) => ({
      text: `@backprop/${d}`,
      link: linkOf(join(apiOut, d, "index.md")),
      collapsed: true,
      items: moduleItems(join(apiOut, d)),
    })),
  ];
}

async function generateCli(): Promise<void> {
  const programPath = join(repo, "apps/cli/src/program.ts");
  const { createProgram } = (await import(programPath)) as { createProgram: () => CliCommand };
  const page = renderCliReference(createProgram());
  mkdirSync(join(docs, "src/reference"), { recursive: true });
  const target = join(docs, "src/reference/cli.md");
  if (!existsSync(target) || readFileSync(target, "utf8") !== page) writeFileSync(target, page);
}

const started = Date.now();
await generateCli();
writeErrorCodes();
generateChangelog();
await generateApi();
console.log(`[docs] generated the CLI and API references in ${((Date.now() - started) / 1000).toFixed(1)} s`);
