// Plots every built-in activation and its derivative from the library's own f and df, as inline
// SVG, when the site is built.
import { getActivation, listActivations } from "@backprop/activations";

/** One plotted activation. */
export interface ActivationPlot {
  readonly name: string;
  readonly svg: string;
  /** f and f' at a few points, for the table under the plot. */
  readonly samples: readonly { x: number; f: number; df: number }[];
}

const W = 240;
const H = 150;
const X0 = -4;
const X1 = 4;
const N = 161;

function path(xs: readonly number[], ys: readonly number[], sx: (x: number) => number, sy: (y: number) => number): string {
  let d = "";
  let pen = false;
  xs.forEach((x, i) => {
    const y = ys[i] as number;
    if (!Number.isFinite(y)) {
      pen = false;
      return;
    }
    d += `${pen ? "L" : "M"}${sx(x).toFixed(1)} ${sy(y).toFixed(1)}`;
    pen = true;
  });
  return d;
}

/** An SVG of f (solid) and f′ (dashed) on [−4, 4], y-range fitted to both and clipped to [−4, 6]. */
export function plotActivation(name: string): ActivationPlot {
  const act = getActivation(name);
  const xs = Array.from({ length: N }, (_, i) => X0 + ((X1 - X0) * i) / (N - 1));
  const fs = xs.map((x) => act.f(x));
  const dfs = xs.map((x, i) => act.df(x, fs[i] as number));
  const finite = [...fs, ...dfs].filter(Number.isFinite);
  let lo = Math.max(-4, Math.min(-1, ...finite));
  let hi = Math.min(6, Math.max(1, ...finite));
  const pad = (hi - lo) * 0.08;
  lo -= pad;
  hi += pad;
  const sx = (x: number) => ((x - X0) / (X1 - X0)) * W;
  const sy = (y: number) => H - ((Math.min(hi, Math.max(lo, y)) - lo) / (hi - lo)) * H;
  const svg =
    `<svg class="activation-plot" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${name} and its derivative on [-4, 4]">` +
    `<line class="axis" x1="0" y1="${sy(0).toFixed(1)}" x2="${W}" y2="${sy(0).toFixed(1)}"/>` +
    `<line class="axis" x1="${sx(0).toFixed(1)}" y1="0" x2="${sx(0).toFixed(1)}" y2="${H}"/>` +
    `<path class="df" d="${path(xs, dfs, sx, sy)}"/>` +
    `<path class="f" d="${path(xs, fs, sx, sy)}"/>` +
    `<text x="4" y="12">f</text><text class="df-label" x="4" y="26">f′ (dashed)</text>` +
    `</svg>`;
  const samples = [-2, -1, 0, 1, 2].map((x) => {
    const f = act.f(x);
    return { x, f, df: act.df(x, f) };
  });
  return { name, svg, samples };
}

/**
 * The built-in elementwise names, without the aliases `linear` (identity) and `swish` (silu), and
 * without the vector activation softmax, which has no f(x) to plot (its page section shows it).
 */
export function builtinNames(): string[] {
  return listActivations().filter((n) => !n.includes(">") && n !== "linear" && n !== "swish" && getActivation(n).vector !== true);
}

export default {
  load(): Record<string, ActivationPlot> {
    return Object.fromEntries(builtinNames().map((n) => [n, plotActivation(n)]));
  },
};
