// The drawings of the site against the numbers they are drawn from: the performance charts against
// the benchmark tables, the step-by-step network against the reference example; and the home page.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { referenceExample, referenceModel } from "@backprop/layers";
import { describe, expect, it } from "vitest";
import { createSSRApp, h, type Component } from "vue";
import { renderToString } from "vue/server-renderer";
import { BenchChartView, formatBench, layoutBenchChart } from "../.vitepress/theme/bench-chart.js";
import { EDGES, STAGES, type EdgeId, type NodeId } from "../.vitepress/theme/network.js";
import { NetworkDiagramView, layoutNetwork, short } from "../.vitepress/theme/network-diagram.js";
import { networkStages } from "../src/guide/trace.data.js";
import performance, { benchCharts, parseBench } from "../src/performance.data.js";
import { DOCS, SRC, textOf } from "./site.js";

/** Server-side render of one component, as VitePress prerenders a page. */
const render = (component: Component, props: Record<string, unknown>): Promise<string> =>
  renderToString(createSSRApp({ render: () => h(component, props) }));

/** The value of an SVG attribute in rendered HTML, entities decoded. */
const attr = (html: string, name: string): string => decode(new RegExp(`\\s${name}="([^"]*)"`).exec(html)?.[1] ?? "");
/** The text of the SVG's <title>. */
const titleOf = (html: string): string => decode(/<title>([^<]*)<\/title>/.exec(html)?.[1] ?? "");
const decode = (s: string): string => s.replace(/&#39;/g, "'").replace(/&quot;/g, '"').replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");

describe("performance page: a chart beside every table, from the same numbers", () => {
  const text = readFileSync(join(DOCS, "data/bench-results.jsonl"), "utf8");
  const { rows, ratios } = parseBench(text);
  const data = performance.load();
  const workloads = [...new Set(rows.map((r) => r.workload))];

  it("the loader's charts are one per table, in the table's order", () => {
    expect(rows.length).toBeGreaterThan(0);
    expect(data.charts).toEqual(benchCharts(rows, ratios));
    expect(data.charts.map((c) => c.workload)).toEqual(workloads);
  });

  it("a ratio chart's bars are exactly the ratios printed under its table", () => {
    for (const chart of data.charts.filter((c) => c.kind === "ratio")) {
      const printed = ratios.filter((r) => r.workload === chart.workload).map((r) => ({ group: r.lib, label: r.ratio_vs, value: r.ratio }));
      expect(chart.bars).toEqual(printed);
    }
    // every workload with ratios draws them
    expect(new Set(data.charts.filter((c) => c.kind === "ratio").map((c) => c.workload))).toEqual(new Set(ratios.map((r) => r.workload)));
  });

  it("a median chart's bars are exactly its table's rows (median, min, max, unit)", () => {
    const medianCharts = data.charts.filter((c) => c.kind === "median");
    expect(medianCharts.length).toBeGreaterThan(0);
    for (const chart of medianCharts) {
      const table = rows.filter((r) => r.workload === chart.workload);
      expect(chart.bars).toEqual(table.map((r) => ({ group: r.lib, label: r.lib, value: r.median, min: r.min, max: r.max })));
      expect(chart.unit).toBe(table[0]?.unit);
      expect(chart.better).toBe(["ms", "µs", "MB"].includes(chart.unit) ? "lower" : "higher");
    }
  });

  it("the page prints the table with the chart's formatter and draws a chart per workload", () => {
    const page = readFileSync(join(SRC, "performance.md"), "utf8");
    expect(page).toContain('import { formatBench as fmt } from "../.vitepress/theme/bench-chart.ts";');
    expect(page).toMatch(/<div class="bench-figure">\n<table>[\s\S]*?<\/table>\n<BenchChart v-if="chartOf\(w\)" :chart="chartOf\(w\)" \/>\n<\/div>/);
    expect([formatBench(56794.598), formatBench(8.4557), formatBench(0.15253), formatBench(320.04)]).toEqual(["56,795", "8.46", "0.153", "320"]);
  });

  it.each(workloads)("%s: the SVG is an accessible image whose label and bars give the table's numbers", async (workload) => {
    const chart = data.charts.find((c) => c.workload === workload);
    if (!chart) throw new Error(`no chart for ${workload}`);
    const html = await render(BenchChartView, { chart });
    expect(html).toContain('role="img"');
    const layout = layoutBenchChart(chart);
    expect(titleOf(html)).toBe(layout.title);
    const label = attr(html, "aria-label");
    expect(label).toBe(layout.label);
    const bars = layout.rows.filter((r) => r.bar);
    expect(bars).toHaveLength(chart.bars.length);
    expect([...html.matchAll(/<rect /g)]).toHaveLength(chart.bars.length);
    chart.bars.forEach((bar, i) => {
      const shown = chart.kind === "ratio" ? `×${formatBench(bar.value)}` : formatBench(bar.value);
      expect(label).toContain(chart.kind === "ratio" ? `${shown} vs ${bar.label}` : `${bar.label} ${shown}`);
      expect(bars[i]?.value?.text).toBe(shown);
      expect(html).toContain(`>${shown}</text>`);
    });
    // Bar lengths follow the values: linear from 0, or log10 from ×1 (left of it when slower).
    const { base, domain, log, x0, x1 } = layout.plot;
    expect(log).toBe(chart.kind === "ratio");
    chart.bars.forEach((bar, i) => {
      const drawn = bars[i]?.bar as { x: number; width: number };
      const end = log && bar.value < 1 ? drawn.x : drawn.x + drawn.width;
      expect(log ? drawn.x + drawn.width === base || drawn.x === base : drawn.x === x0).toBe(true);
      const share = log ? (Math.log10(bar.value) - Math.log10(domain[0])) / (Math.log10(domain[1]) - Math.log10(domain[0])) : bar.value / domain[1];
      expect((end - x0) / (x1 - x0)).toBeCloseTo(share, 9);
      expect(share).toBeGreaterThanOrEqual(0);
      expect(share).toBeLessThanOrEqual(1);
    });
  });
});

describe("built pages: the drawings are prerendered into the HTML", () => {
  it("performance: one chart per workload table", () => {
    const built = join(DOCS, "dist/performance.html");
    expect(existsSync(built), "build the site first (the docs test script does)").toBe(true);
    const html = readFileSync(built, "utf8");
    expect(html.match(/<figure class="bench-chart"><svg [^>]*role="img"/g)?.length).toBe(performance.load().charts.length);
    expect(html.match(/<div class="bench-figure"><table>/g)?.length).toBe(performance.load().charts.length);
  });

  it("concepts: one network drawing per part of the step, in order", () => {
    const built = join(DOCS, "dist/guide/concepts.html");
    expect(existsSync(built), "build the site first (the docs test script does)").toBe(true);
    const titles = [...readFileSync(built, "utf8").matchAll(/<figure class="network-diagram"><svg [^>]*role="img"[^>]*><title>([^<]*)<\/title>/g)].map((m) => m[1]);
    const { model, x, y } = referenceModel();
    const stages = networkStages(model.traceStep(x, y));
    expect(titles).toEqual(STAGES.map((id) => stages[id].title));
  });
});

describe("concepts page: the 2-2-2 network, each part's quantities highlighted", () => {
  const { model, x, y } = referenceModel();
  const stages = networkStages(model.traceStep(x, y));
  const ref = referenceExample.biasesUpdated;
  const published = referenceExample;
  /** The published row and column of each connection: rows are neurons `[from i1/h1, from i2/h2, bias]`. */
  const WHERE: Record<EdgeId, ["hidden" | "output", number, number]> = {
    w1: ["hidden", 0, 0], w2: ["hidden", 0, 1], w3: ["hidden", 1, 0], w4: ["hidden", 1, 1], b1h1: ["hidden", 0, 2], b1h2: ["hidden", 1, 2],
    w5: ["output", 0, 0], w6: ["output", 0, 1], w7: ["output", 1, 0], w8: ["output", 1, 1], b2o1: ["output", 0, 2], b2o2: ["output", 1, 2],
  };
  const before = (e: EdgeId): number => {
    const [layer, n, k] = WHERE[e];
    return (layer === "hidden" ? published.hiddenWeights : published.outputWeights)[n]?.[k] as number;
  };
  const after = (e: EdgeId): number => {
    const [layer, n, k] = WHERE[e];
    return (layer === "hidden" ? ref.hiddenWeightsAfter : ref.outputWeightsAfter)[n]?.[k] as number;
  };
  /** δ of the neuron an edge feeds × what it carries (an input, a hidden output, or 1 for a bias). */
  const gradient = (e: EdgeId): number => {
    const [layer, n, k] = WHERE[e];
    const delta = (layer === "hidden" ? ref.hiddenDelta : ref.outputDelta)[n] as number;
    const carried = k === 2 ? 1 : ((layer === "hidden" ? published.inputs : ref.hiddenOut)[k] as number);
    return delta * carried;
  };
  const node = (ids: NodeId[], values: readonly number[]): Record<string, number> => Object.fromEntries(ids.map((id, i) => [id, values[i] as number]));
  const hiddenEdges: EdgeId[] = ["w1", "w2", "w3", "w4", "b1h1", "b1h2"];
  const outputEdges: EdgeId[] = ["w5", "w6", "w7", "w8", "b2o1", "b2o2"];
  const edgeValues = (ids: EdgeId[], f: (e: EdgeId) => number): Record<string, number> => Object.fromEntries(ids.map((e) => [e, f(e)]));

  /** Per stage, what is computed and what is used, with the published value of each. */
  const expected: Record<(typeof STAGES)[number], { computed: Record<string, number>; used: Record<string, number>; quantities: Record<string, string> }> = {
    network: {
      computed: {},
      used: { ...node(["i1", "i2"], published.inputs), ...edgeValues([...hiddenEdges, ...outputEdges], before) },
      quantities: { i1: "x", w1: "w", b2o2: "w" },
    },
    "forward-hidden": {
      computed: node(["h1", "h2"], ref.hiddenOut),
      used: { ...node(["i1", "i2"], published.inputs), ...edgeValues(hiddenEdges, before) },
      quantities: { h1: "out", i2: "x", w3: "w" },
    },
    "forward-output": {
      computed: node(["o1", "o2"], ref.output),
      used: { ...node(["h1", "h2"], ref.hiddenOut), ...edgeValues(outputEdges, before) },
      quantities: { o2: "out", h1: "out", w6: "w" },
    },
    loss: {
      computed: node(["o1", "o2"], ref.output.map((o, k) => 0.5 * ((published.targets[k] as number) - o) ** 2)),
      used: {},
      quantities: { o1: "E" },
    },
    "output-deltas": {
      computed: { ...node(["o1", "o2"], ref.outputDelta), ...edgeValues(outputEdges, gradient) },
      used: node(["h1", "h2"], ref.hiddenOut),
      quantities: { o1: "δ", w5: "∂E/∂w", b2o1: "∂E/∂w", h2: "out" },
    },
    "hidden-deltas": {
      computed: { ...node(["h1", "h2"], ref.hiddenDelta), ...edgeValues(hiddenEdges, gradient) },
      used: { ...node(["i1", "i2"], published.inputs), ...node(["o1", "o2"], ref.outputDelta), ...edgeValues(["w5", "w6", "w7", "w8"], before) },
      quantities: { h2: "δ", o1: "δ", w2: "∂E/∂w", w7: "w" },
    },
    update: {
      computed: edgeValues([...hiddenEdges, ...outputEdges], after),
      used: {},
      quantities: { w1: "w′", b2o2: "w′" },
    },
  };

  it("has the page's parts, in order, each drawn once on the page", () => {
    expect(Object.keys(stages)).toEqual([...STAGES]);
    const page = readFileSync(join(SRC, "guide/concepts.md"), "utf8");
    const drawn = [...page.matchAll(/<NetworkDiagram :stage="data\.diagram(?:\.([\w]+)|\['([\w-]+)'\])" \/>/g)].map((m) => m[1] ?? m[2]);
    expect(drawn).toEqual([...STAGES]);
  });

  it.each([...STAGES])("%s: highlights what that part computes and uses, with the published values", (id) => {
    const stage = stages[id];
    const want = expected[id];
    const marks = { ...stage.nodes, ...stage.edges } as Record<string, { state: string; quantity: string; value: number }>;
    const of = (state: string) => Object.keys(marks).filter((k) => marks[k]?.state === state).sort();
    expect(of("computed")).toEqual(Object.keys(want.computed).sort());
    expect(of("used")).toEqual(Object.keys(want.used).sort());
    for (const [key, value] of Object.entries({ ...want.computed, ...want.used })) {
      expect(Math.abs((marks[key]?.value as number) - value), `${id} ${key}`).toBeLessThan(1e-12);
    }
    for (const [key, quantity] of Object.entries(want.quantities)) expect(marks[key]?.quantity, `${id} ${key}`).toBe(quantity);
  });

  it.each([...STAGES])("%s: the SVG marks those elements, writes their values and describes them", async (id) => {
    const stage = stages[id];
    const html = await render(NetworkDiagramView, { stage });
    expect(html).toContain('role="img"');
    expect(titleOf(html)).toBe(stage.title);
    const label = attr(html, "aria-label");
    for (const [nodeId, m] of Object.entries(stage.nodes)) {
      expect(html).toMatch(new RegExp(`<g class="node ${m.state}" data-node="${nodeId}">`));
      expect(html).toContain(`>${m.quantity} ${short(m.value)}</text>`);
      expect(label).toContain(`${m.quantity} ${nodeId.replace("1", "₁").replace("2", "₂")} = ${String(Number(m.value.toPrecision(10)))}`);
    }
    for (const [edgeId, m] of Object.entries(stage.edges)) {
      expect(html).toContain(`class="edge ${m.state}" data-edge="${edgeId}"`);
      expect(html).toMatch(new RegExp(`class="edge-value ${m.state}"[^>]*>(?:[^<]* )?${short(m.value)}</text>`));
      expect(label).toContain(`= ${String(Number(m.value.toPrecision(10)))}`);
    }
    // Everything else is drawn dimmed; a bias unit is "used" when one of its connections is marked.
    const layout = layoutNetwork(stage);
    for (const n of layout.nodes) {
      const feeds = Object.entries(EDGES).some(([e, edge]) => edge.from === n.id && stage.edges[e as EdgeId]);
      expect(n.state).toBe(stage.nodes[n.id]?.state ?? (n.id.startsWith("b") && feeds ? "used" : "idle"));
    }
    for (const e of layout.edges) expect(e.state).toBe(stage.edges[e.id]?.state ?? "idle");
    expect(html).toContain(stage.caption.replace(/'/g, "&#39;"));
  });

  it("the update's caption gives the loss before and after, as the page does", () => {
    const n = (v: number): string => String(Number(v.toPrecision(10)));
    expect(stages.update.caption).toContain(`E goes from ${n(ref.totalError)} to ${n(ref.totalErrorAfter)}`);
    expect(stages.loss.caption).toContain(`E = ${n(ref.totalError)}`);
  });
});

describe("home page", () => {
  const home = readFileSync(join(SRC, "index.md"), "utf8");

  it("has an install line, a tested example, the repository and a favicon", () => {
    expect(home).toContain("npm i @backprop/all");
    expect(home).toMatch(/^<<< @\/\.\.\/examples\/home-quickstart\.ts#example$/m);
    expect(home).toContain("https://github.com/backprop-js/backprop");
    const favicon = readFileSync(join(SRC, "public/favicon.svg"), "utf8");
    expect(favicon).toMatch(/^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    const config = readFileSync(join(DOCS, ".vitepress/config.ts"), "utf8");
    expect(config).toMatch(/\["link", \{ rel: "icon", type: "image\/svg\+xml", href: "\/favicon\.svg" \}\]/);
  });

  it("its example is at most 10 lines and trains XOR", async () => {
    const source = readFileSync(join(DOCS, "examples/home-quickstart.ts"), "utf8");
    const region = source.slice(source.indexOf("// #region example\n") + 19, source.indexOf("// #endregion example"));
    expect(region.trimEnd().split("\n").length).toBeLessThanOrEqual(10);
    const { model, x } = await import("../examples/home-quickstart.js");
    expect(Array.from(model.predict(x).data, (p) => Math.round(p))).toEqual([0, 1, 1, 0]);
  });

  it("the built home page has the favicon and the repository link", () => {
    const built = join(DOCS, "dist/index.html");
    expect(existsSync(built), "build the site first (the docs test script does)").toBe(true);
    const html = readFileSync(built, "utf8");
    expect(html.includes('<link rel="icon" type="image/svg+xml" href="/favicon.svg">'), "favicon link in <head>").toBe(true);
    expect(html.includes('href="https://github.com/backprop-js/backprop"'), "repository link").toBe(true);
    expect(textOf(html).includes("npm i @backprop/all"), "install line").toBe(true);
    expect(existsSync(join(DOCS, "dist/favicon.svg"))).toBe(true);
  });
});

describe("getting started", () => {
  const page = readFileSync(join(SRC, "guide/getting-started.md"), "utf8");
  const root = JSON.parse(readFileSync(join(DOCS, "../../package.json"), "utf8")) as { packageManager: string; scripts: Record<string, string> };

  it("says the packages are not published yet, and gives the npm lines for when they are", () => {
    expect(page).toMatch(/::: warning Not on npm yet\nThe packages have not been published yet/);
    for (const line of ["npm i @backprop/all", "npm i @backprop/layers @backprop/optimizers @backprop/linalg", "npx @backprop/cli train iris"]) expect(page).toContain(line);
    expect(page).toContain("Node.js ≥ 20.19");
    expect(page).toContain('`require("@backprop/linalg")`');
  });

  it("the from-source recipe uses the pinned pnpm and the repository's pack:all script, whose tarballs it installs", () => {
    const pnpm = root.packageManager.replace(/\+.*$/, "").replace("pnpm@", "");
    const commands = [...page.matchAll(/npx -y pnpm@([\d.]+)/g)].map((m) => m[1]);
    expect(commands.length).toBeGreaterThan(0);
    expect(new Set(commands)).toEqual(new Set([pnpm]));
    const recipe = page.slice(page.indexOf("## From source"), page.indexOf("## Train XOR"));
    expect(recipe).toContain("git clone https://github.com/backprop-js/backprop.git");
    expect(recipe).toContain(`npx -y pnpm@${pnpm} install\nnpx -y pnpm@${pnpm} pack:all`);
    expect(root.scripts["pack:all"], "the root package.json has a pack:all script").toMatch(/ pack --pack-destination tmp\/tarballs$/);
    expect(recipe).toContain("npm i /path/to/backprop/tmp/tarballs/*.tgz");
    expect(recipe).toContain("https://github.com/backprop-js/backprop/tree/main/apps/release-check");
    expect(existsSync(join(DOCS, "../release-check/package.json"))).toBe(true);
    expect(root.scripts["release:check"]).toBeDefined();
  });
});
