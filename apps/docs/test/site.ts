import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** apps/docs */
export const DOCS = resolve(fileURLToPath(new URL(".", import.meta.url)), "..");
/** The built site. */
export const DIST = join(DOCS, "dist");
/** The markdown sources. */
export const SRC = join(DOCS, "src");

/** Every file under `dir` (recursively) whose name ends with `ext`. */
export function filesUnder(dir: string, ext: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...filesUnder(path, ext));
    else if (name.endsWith(ext)) out.push(path);
  }
  return out;
}

/** The built HTML of a page, e.g. `guide/concepts`. */
export function builtPage(page: string): string {
  return readFileSync(join(DIST, `${page}.html`), "utf8");
}

/** The text of built HTML: tags dropped, entities decoded, spaces collapsed. */
export function textOf(html: string): string {
  return html
    .replace(/<script[\s\S]*?<\/script>/g, " ")
    .replace(/<style[\s\S]*?<\/style>/g, " ")
    .replace(/<mjx-container[\s\S]*?<\/mjx-container>/g, " ")
    .replace(/<[^>]+>/g, " ")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, "&")
    .replace(/\s+/g, " ");
}
