// Link checker over the built site: every internal link must reach a built page, and every
// #anchor must be an id on that page.
import { readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { DIST, filesUnder } from "./site.js";

interface Link {
  readonly from: string;
  readonly href: string;
}

const pages = filesUnder(DIST, ".html");
const ids = new Map<string, Set<string>>();
const links: Link[] = [];

for (const file of pages) {
  const html = readFileSync(file, "utf8");
  const pageIds = new Set<string>();
  for (const m of html.matchAll(/\sid="([^"]*)"/g)) pageIds.add(decodeURIComponent(m[1] as string));
  ids.set(file, pageIds);
  for (const m of html.matchAll(/<a\s[^>]*?href="([^"]*)"/g)) links.push({ from: file, href: (m[1] as string).replace(/&amp;/g, "&") });
}

/** The built file a site-relative or page-relative path points at, or undefined. */
function target(from: string, path: string): string {
  const base = path.startsWith("/") ? join(DIST, path) : resolve(dirname(from), path);
  // NOTE: resolve() drops a trailing slash, so test the link itself for a folder index.
  if (path.endsWith("/")) return join(base, "index.html");
  if (base.endsWith(".html")) return base;
  return `${base}.html`;
}

function check(link: Link): string | undefined {
  const { from, href } = link;
  if (/^(https?:|mailto:|tel:|data:|javascript:)/.test(href) || href.startsWith("//")) return undefined;
  const [pathPart = "", hash] = href.split("#", 2);
  const path = pathPart.split("?")[0] as string;
  const file = path === "" ? from : target(from, decodeURI(path));
  const pageIds = ids.get(file);
  if (!pageIds) return `${relative(DIST, from)}: ${href} → no page ${relative(DIST, file)}`;
  if (hash && hash.length > 0 && !pageIds.has(decodeURIComponent(hash))) {
    return `${relative(DIST, from)}: ${href} → no #${hash} in ${relative(DIST, file)}`;
  }
  return undefined;
}

describe("links of the built site", () => {
  it("the site was built and has every section", () => {
    const rel = pages.map((p) => relative(DIST, p));
    for (const page of [
      "index.html",
      "guide/getting-started.html",
      "guide/concepts.html",
      "guide/linalg.html",
      "guide/activations.html",
      "guide/optimizers.html",
      "guide/training.html",
      "guide/convolutional.html",
      "guide/time-series.html",
      "guide/text-generation.html",
      "guide/serialization.html",
      "guide/tutorial-tabular.html",
      "guide/extending.html",
      "guide/browser.html",
      "guide/troubleshooting.html",
      "guide/from-brainjs.html",
      "guide/from-tfjs.html",
      "changelog.html",
      "reference/errors.html",
      "performance.html",
      "reference/cli.html",
      "reference/api/index.html",
    ]) {
      expect(rel).toContain(page);
    }
    expect(links.length).toBeGreaterThan(1000);
  });

  it("every internal link and anchor resolves", () => {
    const broken = links.map(check).filter((b): b is string => b !== undefined);
    expect([...new Set(broken)].slice(0, 30)).toEqual([]);
  });

  it("the checker itself catches a missing page and a missing anchor", () => {
    const from = join(DIST, "guide/concepts.html");
    expect(check({ from, href: "./no-such-page" })).toMatch(/no page/);
    expect(check({ from, href: "./training#no-such-anchor" })).toMatch(/no #no-such-anchor/);
    expect(check({ from, href: "./training#early-stopping" })).toBeUndefined();
  });
});
