// The performance page's charts: one inline SVG bar chart per workload, drawn from the same
// benchmark JSON as the table beside it (src/performance.data.ts). No chart library: a layout
// function computes every bar and label, and a render function draws them.
import { defineComponent, h, type PropType, type VNode } from "vue";
import type { BenchChart } from "../../src/performance.data.js";

/** How the performance page prints a figure: whole numbers from 100 up, else 3 significant digits. */
export function formatBench(v: number): string {
  return Math.abs(v) >= 100 ? Math.round(v).toLocaleString("en-US") : Number(v.toPrecision(3)).toString();
}

/** Spaces collapsed: the bench pads some workload names to align its own table. */
const clean = (s: string): string => s.replace(/\s+/g, " ").trim();

/** A row of the chart: a group heading (ratio charts) or a bar. */
export interface ChartRow {
  readonly y: number;
  readonly text: string;
  readonly heading?: boolean;
  /** Bar rectangle (absent for a heading). */
  readonly bar?: { readonly x: number; readonly width: number };
  /** Min–max whisker (median charts). */
  readonly whisker?: { readonly x1: number; readonly x2: number };
  /** The value as printed, and where. */
  readonly value?: { readonly x: number; readonly text: string; readonly anchor: "start" };
  /** Backprop's own bars are drawn in the brand colour (median charts), ratios always. */
  readonly ours?: boolean;
}

/** Everything the SVG needs. */
export interface ChartLayout {
  readonly width: number;
  readonly height: number;
  readonly title: string;
  readonly label: string;
  /** Left and right ends of the plot area, the values there (`log` for ratios), and the baseline (×1 or 0). */
  readonly plot: {
    readonly x0: number;
    readonly x1: number;
    readonly domain: readonly [number, number];
    readonly log: boolean;
    readonly base: number;
    readonly top: number;
    readonly bottom: number;
  };
  readonly ticks: readonly { readonly x: number; readonly text: string }[];
  readonly rows: readonly ChartRow[];
  readonly caption: string;
}

const WIDTH = 640;
const LABEL_WIDTH = 190;
const VALUE_ROOM = 62;
const ROW = 18;
const HEADING = 22;
const TOP = 8;
const AXIS = 26;

/** Log-scale ends: powers of ten around every ratio and ×1. */
function logDomain(values: readonly number[]): [number, number] {
  const lo = Math.min(1, ...values);
  const hi = Math.max(1, ...values);
  const a = Math.floor(Math.log10(lo) + 1e-9);
  let b = Math.ceil(Math.log10(hi) - 1e-9);
  if (b <= a) b = a + 1;
  return [a, b];
}

/** The smallest of 1, 2 or 5 × a power of ten that is at least `v`. */
function niceStep(v: number): number {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  return ([1, 2, 5, 10].map((m) => m * p).find((m) => m >= v) as number);
}

/** Lays one chart out: rows top to bottom in the table's order, a log axis for ratios, linear for medians. */
export function layoutBenchChart(chart: BenchChart): ChartLayout {
  const x0 = LABEL_WIDTH;
  const x1 = WIDTH - VALUE_ROOM;
  const workload = clean(chart.workload);
  const rows: ChartRow[] = [];
  let y = TOP;
  let ticks: { x: number; text: string }[];
  let base: number;
  let domain: [number, number];
  let title: string;
  let label: string;
  let caption: string;
  if (chart.kind === "ratio") {
    const [a, b] = logDomain(chart.bars.map((bar) => bar.value));
    const sx = (v: number): number => x0 + ((Math.log10(v) - a) / (b - a)) * (x1 - x0);
    base = sx(1);
    domain = [10 ** a, 10 ** b];
    ticks = Array.from({ length: b - a + 1 }, (_, i) => ({ x: sx(10 ** (a + i)), text: `×${formatBench(10 ** (a + i))}` }));
    const groups = [...new Set(chart.bars.map((bar) => bar.group))];
    for (const group of groups) {
      rows.push({ y, text: group, heading: true });
      y += HEADING;
      for (const bar of chart.bars.filter((r) => r.group === group)) {
        const end = sx(bar.value);
        const faster = bar.value >= 1;
        rows.push({
          y,
          text: `vs ${bar.label}`,
          bar: { x: Math.min(base, end), width: Math.max(1, Math.abs(end - base)) },
          // NOTE: a slower bar's value goes right of the ×1 line, clear of the row labels on the left.
          value: { x: (faster ? end : base) + 4, text: `×${formatBench(bar.value)}`, anchor: "start" },
          ours: true,
        });
        y += ROW;
      }
    }
    title = `${workload}: Backprop's speed relative to each peer`;
    caption = "Speed ratio, log scale; right of ×1: Backprop is faster.";
    label = `${title} (above 1 means Backprop is faster). ${groups
      .map((g) => `${g}: ${chart.bars.filter((r) => r.group === g).map((r) => `×${formatBench(r.value)} vs ${r.label}`).join(", ")}`)
      .join("; ")}.`;
  } else {
    // About five gridlines at 1, 2 or 5 × a power of ten, the last one past every bar and whisker.
    const largest = Math.max(0, ...chart.bars.map((bar) => bar.max ?? bar.value));
    const step = niceStep(largest / 5);
    const top = Math.max(step, Math.ceil(largest / step - 1e-9) * step);
    const sx = (v: number): number => x0 + (Math.max(0, v) / top) * (x1 - x0);
    base = x0;
    domain = [0, top];
    ticks = Array.from({ length: Math.floor(top / step + 1e-9) + 1 }, (_, i) => ({ x: sx(i * step), text: formatBench(i * step) }));
    for (const bar of chart.bars) {
      const end = sx(bar.value);
      rows.push({
        y,
        text: bar.label,
        bar: { x: x0, width: Math.max(1, end - x0) },
        ...(bar.min !== undefined && bar.max !== undefined && bar.max > bar.min ? { whisker: { x1: sx(bar.min), x2: sx(bar.max) } } : {}),
        value: { x: Math.max(end, bar.max !== undefined ? sx(bar.max) : end) + 4, text: formatBench(bar.value), anchor: "start" },
        ours: bar.label.startsWith("backprop"),
      });
      y += ROW;
    }
    const unit = chart.unit === "" ? "" : `, ${chart.unit}`;
    title = `${workload}: median per library${unit}`;
    caption = `Median${unit} (${chart.better} is better)${rows.some((r) => r.whisker) ? "; whiskers: min–max" : ""}.`;
    label = `${title} (${chart.better} is better). ${chart.bars
      .map((r) => `${r.label} ${formatBench(r.value)}${r.min !== undefined && r.max !== undefined ? ` (${formatBench(r.min)}–${formatBench(r.max)})` : ""}`)
      .join(", ")}.`;
  }
  const bottom = y + 2;
  return { width: WIDTH, height: bottom + AXIS, title, label, plot: { x0, x1, domain, log: chart.kind === "ratio", base, top: TOP, bottom }, ticks, rows, caption };
}

const f1 = (v: number): string => v.toFixed(1);

/** `<BenchChart :chart="chart" />`: one workload's chart as accessible inline SVG. */
export const BenchChartView = defineComponent({
  name: "BenchChart",
  props: { chart: { type: Object as PropType<BenchChart>, required: true } },
  setup(props) {
    return (): VNode => {
      const l = layoutBenchChart(props.chart);
      const children: VNode[] = [h("title", l.title)];
      for (const t of l.ticks) {
        children.push(h("line", { class: "grid", x1: f1(t.x), x2: f1(t.x), y1: l.plot.top, y2: l.plot.bottom }));
        children.push(h("text", { class: "tick", x: f1(t.x), y: l.plot.bottom + 13, "text-anchor": "middle" }, t.text));
      }
      for (const r of l.rows) {
        const mid = r.y + ROW / 2;
        if (r.heading) {
          children.push(h("text", { class: "group", x: 4, y: r.y + HEADING - 7 }, r.text));
          continue;
        }
        children.push(h("text", { class: "label", x: LABEL_WIDTH - 6, y: mid + 4, "text-anchor": "end" }, r.text));
        if (r.bar) children.push(h("rect", { class: r.ours ? "bar ours" : "bar", x: f1(r.bar.x), y: r.y + 3, width: f1(r.bar.width), height: ROW - 6 }));
        if (r.whisker) children.push(h("line", { class: "whisker", x1: f1(r.whisker.x1), x2: f1(r.whisker.x2), y1: mid, y2: mid }));
        if (r.value) children.push(h("text", { class: "value", x: f1(r.value.x), y: mid + 4, "text-anchor": r.value.anchor }, r.value.text));
      }
      children.push(h("line", { class: "base", x1: f1(l.plot.base), x2: f1(l.plot.base), y1: l.plot.top, y2: l.plot.bottom }));
      return h("figure", { class: "bench-chart" }, [
        h("svg", { viewBox: `0 0 ${l.width} ${l.height}`, width: l.width, height: l.height, role: "img", "aria-label": l.label }, children),
        h("figcaption", l.caption),
      ]);
    };
  },
});
