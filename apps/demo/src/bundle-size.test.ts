import { existsSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { beforeAll, describe, expect, it } from "vitest";

// Budgets of issue 15, in gzip bytes as a server sends them (1 KB = 1024 bytes). The sizes are a
// pure function of the sources, so this is a deterministic check, not a timing test. It reads the
// output of `vite build`, which the package's test script runs first.
const KB = 1024;
const PAGE_BUDGET = 150 * KB;
const WORKER_BUDGET = 120 * KB;
/** Modules that must never reach the worker: it reads and writes JSON model files only. */
const FORBIDDEN_IN_WORKER = /onnx|protobuf/i;

const DIST = fileURLToPath(new URL("../dist/", import.meta.url));
const ASSETS = join(DIST, "assets");

interface JsFile {
  readonly name: string;
  readonly code: string;
  readonly raw: number;
  readonly gzip: number;
}

function readAsset(name: string): JsFile {
  const path = join(ASSETS, name);
  if (!existsSync(path)) throw new Error(`bundle-size: ${path} is referenced by the build but missing; rebuild with \`npx vite build\``);
  const bytes = readFileSync(path);
  return { name, code: bytes.toString("utf8"), raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
}

/** The relative JS files a chunk imports statically (`import{…}from"./x.js"`, `import"./x.js"`); `import()` is lazy and not counted. */
function staticImports(code: string): string[] {
  const found: string[] = [];
  const statement = /(?:^|[;}\n])\s*(?:import|export)\s*(?:[\w$]+\s*,?\s*)?(?:\*\s*as\s*[\w$]+\s*|\{[^}]*\}\s*)?(?:from\s*)?(["'`])(\.{0,2}\/?[^"'`\s]+?\.js)\1/g;
  for (const match of code.matchAll(statement)) if (match[2]) found.push(basename(match[2]));
  return found;
}

/** The files and everything they import statically, each once. */
function closure(entries: readonly string[]): JsFile[] {
  const seen = new Map<string, JsFile>();
  const queue = [...entries];
  for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
    if (seen.has(name)) continue;
    const file = readAsset(name);
    seen.set(name, file);
    queue.push(...staticImports(file.code));
  }
  return [...seen.values()];
}

/** The module scripts and modulepreloads of index.html: what the page fetches before it runs. */
function pageEntries(html: string): string[] {
  const entries: string[] = [];
  for (const [tag] of html.matchAll(/<(?:script|link)\b[^>]*>/g)) {
    const attrs = new Map([...tag.matchAll(/([\w-]+)\s*=\s*"([^"]*)"/g)].map((m) => [m[1], m[2]] as const));
    const url = tag.startsWith("<script") && attrs.get("type") === "module" ? attrs.get("src") : attrs.get("rel") === "modulepreload" ? attrs.get("href") : undefined;
    if (url?.endsWith(".js") && !/^[a-z]+:/i.test(url)) entries.push(basename(url));
  }
  return entries;
}

/** The worker scripts the page starts: the first `.js` name after each `new Worker(`. */
function workerEntries(page: readonly JsFile[]): string[] {
  const entries = new Set<string>();
  for (const file of page) {
    for (const match of file.code.matchAll(/\b(?:Shared)?Worker\(/g)) {
      const name = /([\w.-]+\.js)\b/.exec(file.code.slice(match.index, match.index + 300))?.[1];
      if (name) entries.add(name);
    }
  }
  return [...entries];
}

/** Source maps' VLQ digits. */
const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** Output bytes per source module, from the chunk's source map (which module each minified span came from). */
function bytesPerModule(file: JsFile): Map<string, number> {
  const map = JSON.parse(readFileSync(join(ASSETS, `${file.name}.map`), "utf8")) as { sources: string[]; mappings: string };
  const lines = file.code.split("\n");
  const bytes = new Map<string, number>();
  let source = 0;
  map.mappings.split(";").forEach((line, index) => {
    const text = lines[index] ?? "";
    const spans: [column: number, source: number][] = [];
    let column = 0;
    for (const segment of line.split(",")) {
      if (segment === "") continue;
      const values: number[] = [];
      let value = 0;
      let shift = 0;
      for (const ch of segment) {
        const digit = BASE64.indexOf(ch);
        value += (digit & 31) << shift;
        if (digit & 32) shift += 5;
        else {
          values.push(value & 1 ? -(value >>> 1) : value >>> 1);
          value = 0;
          shift = 0;
        }
      }
      column += values[0] ?? 0;
      if (values.length > 1) source += values[1] ?? 0;
      spans.push([column, values.length > 1 ? source : -1]);
    }
    spans.forEach(([start, src], i) => {
      const name = src < 0 ? "(generated)" : (map.sources[src] ?? "(generated)");
      const end = spans[i + 1]?.[0] ?? text.length;
      bytes.set(name, (bytes.get(name) ?? 0) + Buffer.byteLength(text.slice(start, end)));
    });
  });
  return bytes;
}

const kb = (bytes: number): string => `${(bytes / KB).toFixed(1)} KB`;
const shortName = (source: string): string =>
  source.replace(/^(?:\.\.\/)+/, "").replace(/^.*node_modules\/\.pnpm\/[^/]+\/node_modules\//, "npm:").replace(/^.*?(packages|apps)\//, "$1/");

function report(label: string, files: readonly JsFile[], budget: number): string {
  const rows = files.map((f) => `  ${f.name.padEnd(40)} ${String(f.raw).padStart(9)} ${String(f.gzip).padStart(9)}  (${kb(f.raw)} raw, ${kb(f.gzip)} gzip)`);
  const raw = files.reduce((n, f) => n + f.raw, 0);
  const gzip = files.reduce((n, f) => n + f.gzip, 0);
  const modules = new Map<string, number>();
  for (const f of files) for (const [name, n] of bytesPerModule(f)) modules.set(shortName(name), (modules.get(shortName(name)) ?? 0) + n);
  const top = [...modules].sort((a, b) => b[1] - a[1]).slice(0, 10).map(([name, n]) => `    ${String(n).padStart(9)}  ${name}`);
  return [
    `${label}: ${kb(raw)} raw, ${kb(gzip)} gzip (budget ${kb(budget)} gzip)`,
    `  ${"file".padEnd(40)} ${"raw".padStart(9)} ${"gzip".padStart(9)}`,
    ...rows,
    "  largest modules (minified bytes):",
    ...top,
  ].join("\n");
}

describe("the playground's bundle budgets (issue 15)", () => {
  let page: JsFile[] = [];
  /** Each worker the page starts, with the chunks it imports statically. */
  let workers: (readonly JsFile[])[] = [];

  beforeAll(() => {
    const html = join(DIST, "index.html");
    if (!existsSync(html)) {
      throw new Error(`bundle-size: ${html} is missing: build the playground first (\`cd apps/demo && npx vite build\`; \`pnpm test\` does it)`);
    }
    const entries = pageEntries(readFileSync(html, "utf8"));
    if (entries.length === 0) throw new Error("bundle-size: dist/index.html has no <script type=\"module\" src=…>");
    page = closure(entries);
    const started = workerEntries(page);
    if (started.length === 0) throw new Error("bundle-size: the page's scripts start no `new Worker(…)`; the training worker is missing from the build");
    workers = started.map((entry) => closure([entry]));
    const reports = workers.map((files) => report(`worker ${files[0]?.name ?? ""}`, files, WORKER_BUDGET));
    console.log([report("page (entry and its static imports)", page, PAGE_BUDGET), ...reports].join("\n\n"));
  });

  it(`loads at most ${PAGE_BUDGET / KB} KB of gzipped JS on the page at start`, () => {
    const gzip = page.reduce((n, f) => n + f.gzip, 0);
    expect(gzip, `page JS is ${kb(gzip)} gzip (${page.map((f) => f.name).join(", ")}), over the budget of ${kb(PAGE_BUDGET)}`).toBeLessThanOrEqual(PAGE_BUDGET);
  });

  it(`loads at most ${WORKER_BUDGET / KB} KB of gzipped JS in the training worker`, () => {
    for (const worker of workers) {
      const gzip = worker.reduce((n, f) => n + f.gzip, 0);
      expect(gzip, `worker JS is ${kb(gzip)} gzip (${worker.map((f) => f.name).join(", ")}), over the budget of ${kb(WORKER_BUDGET)}`).toBeLessThanOrEqual(WORKER_BUDGET);
    }
  });

  it("keeps ONNX and protobuf code out of the worker", () => {
    for (const file of workers.flat()) {
      const mapPath = join(ASSETS, `${file.name}.map`);
      expect(existsSync(mapPath), `${mapPath} is missing: keep build.sourcemap on, this check reads it`).toBe(true);
      const { sources } = JSON.parse(readFileSync(mapPath, "utf8")) as { sources: string[] };
      expect(sources.filter((s) => FORBIDDEN_IN_WORKER.test(s)), `modules in ${file.name}`).toEqual([]);
    }
  });
});
