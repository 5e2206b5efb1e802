// The generated parts of the built site against the code they come from.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { listActivations } from "@backprop/activations";
import { referenceExample } from "@backprop/layers";
import { describe, expect, it } from "vitest";
import { createProgram } from "../../cli/src/program.js";
import { API_PACKAGES } from "../scripts/api-packages.js";
import { renderCliReference } from "../scripts/cli-reference.js";
import { parseBench } from "../src/performance.data.js";
import { DOCS, SRC, builtPage, filesUnder, textOf } from "./site.js";

const shown = (v: number): string => String(Number(v.toPrecision(10)));

describe("concepts: the worked example", () => {
  const text = textOf(builtPage("guide/concepts"));

  it("shows the published numbers of the step (to the 10 digits displayed)", () => {
    const ref = referenceExample.biasesUpdated;
    const numbers = [
      ...ref.hiddenNet,
      ...ref.hiddenOut,
      ...ref.outputNet,
      ...ref.output,
      ref.totalError,
      ...ref.outputError,
      ...ref.outputDelta,
      ...ref.hiddenDelta,
      ref.totalErrorAfter,
      referenceExample.biasesFrozen.totalErrorAfter,
      // output weights after the update: rows are neurons [w_from_h1, w_from_h2, bias]
      ...ref.outputWeightsAfter.flat(),
      ...ref.hiddenWeightsAfter.flat(),
    ];
    for (const v of numbers) expect(text, `expected ${shown(v)} on the page`).toContain(shown(v));
  });

  it("has no unrendered template and reports a tiny difference from the publication", () => {
    expect(text).not.toContain("{{");
    const m = /largest difference from the published numbers is (\S+)/.exec(text);
    expect(m).not.toBeNull();
    expect(Number(m?.[1])).toBeLessThan(1e-12);
  });
});

describe("activations: every built-in has a section and a plot", () => {
  const html = builtPage("guide/activations");
  // softmax, a vector activation, has a section but no f(x) to plot.
  const builtins = listActivations().filter((n) => !n.includes(">") && n !== "linear" && n !== "swish" && n !== "softmax");

  it("softmax has its own section", () => {
    expect(html).toContain('id="softmax"');
    expect(html).toContain("vector");
  });

  it.each(builtins)("%s", (name) => {
    expect(html).toContain(`aria-label="${name} and its derivative on [-4, 4]"`);
    expect(html).toContain(`id="${name.toLowerCase()}"`);
    // the plot has both curves, each with many points
    const svg = html.slice(html.indexOf(`aria-label="${name} and its derivative`));
    const paths = [...svg.slice(0, svg.indexOf("</svg>")).matchAll(/class="(f|df)" d="([^"]*)"/g)];
    expect(paths.map((p) => p[1]).sort()).toEqual(["df", "f"]);
    for (const p of paths) expect((p[2] as string).split("L").length).toBeGreaterThan(100);
  });
});

describe("CLI reference", () => {
  const program = createProgram();
  const html = builtPage("reference/cli");
  const text = textOf(html);

  it("is what the renderer makes of the current program", () => {
    expect(readFileSync(join(SRC, "reference/cli.md"), "utf8")).toBe(renderCliReference(program));
  });

  it.each(program.commands.map((c) => c.name()))("documents `%s` with all its options and arguments", (name) => {
    const command = program.commands.find((c) => c.name() === name);
    expect(html).toContain(`id="${name}"`);
    // markdown turns `code` into <code>, whose tags leave spaces: compare without backticks and spaces
    const plain = (s: string): string => s.replace(/`/g, "").replace(/\s+/g, "");
    const page = plain(text);
    expect(page).toContain(plain(command?.description() ?? "missing"));
    for (const option of command?.options ?? []) expect(page).toContain(plain(option.flags));
    for (const arg of command?.registeredArguments ?? []) expect(page).toContain(plain(arg.description));
    for (const option of command?.options ?? []) expect(page).toContain(plain(option.description));
  });
});

/** Every name `src/<entry>.ts` exports (values and types), read from the source. */
function exportedNames(file: string): string[] {
  const source = readFileSync(file, "utf8");
  const names: string[] = [];
  for (const m of source.matchAll(/export\s+(?:type\s+)?\{([^}]*)\}/g)) {
    for (const part of (m[1] as string).split(",")) {
      const name = part.trim().replace(/^type\s+/, "").split(/\s+as\s+/).pop()?.trim();
      if (name) names.push(name);
    }
  }
  for (const m of source.matchAll(/export\s+(?:declare\s+)?(?:async\s+)?(?:function|class|const|let|interface|type|enum)\s+(\w+)/g)) {
    names.push(m[1] as string);
  }
  return names;
}

describe("API reference covers every export", () => {
  const apiPages = filesUnder(join(SRC, "reference/api"), ".md").map((f) => f.replace(/\\/g, "/"));

  for (const pkg of API_PACKAGES) {
    const short = pkg.dir.split("/").pop() as string;
    for (const entry of pkg.entries) {
      const file = join(DOCS, "../..", pkg.dir, entry);
      if (!existsSync(file)) continue;
      it(`${pkg.dir}/${entry}`, () => {
        const names = exportedNames(file);
        expect(names.length).toBeGreaterThan(0);
        const missing = names.filter(
          (name) => !apiPages.some((p) => p.includes(`/reference/api/${short}/`) && p.endsWith(`/${name}.md`)),
        );
        expect(missing).toEqual([]);
      });
    }
  }

  it("each package has a built page", () => {
    for (const pkg of API_PACKAGES) {
      const short = pkg.dir.split("/").pop() as string;
      expect(textOf(builtPage(`reference/api/${short}/index`))).toContain(`@backprop/${short}`);
    }
  });
});

describe("performance page", () => {
  const results = join(DOCS, "data/bench-results.jsonl");

  it("shows every measured row of the recorded benchmark run", () => {
    const text = textOf(builtPage("performance"));
    if (!existsSync(results)) {
      expect(text).toContain("No results recorded yet");
      return;
    }
    const { rows } = parseBench(readFileSync(results, "utf8"));
    if (rows.length === 0) expect(text).toContain("No results recorded yet");
    for (const r of rows) {
      expect(text).toContain(r.workload.replace(/\s+/g, " "));
      expect(text).toContain(r.lib);
    }
  });
});
