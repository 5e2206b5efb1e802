import { DOMAIN, type Point } from "./datasets.js";
import type { LayerWeights } from "./protocol.js";

// The playground's pictures. Every drawing function lays its picture out in CSS pixels (the
// canvas's shown width, measured each frame), so text stays 12 CSS px on a phone and on a wide
// screen alike; the math of each layout (scales, ticks, hit-testing, colours) is a pure exported
// function, tested in Node, and the canvas code only follows it.

/** An RGB colour, each channel 0–255. */
export type Rgb = readonly [number, number, number];

const NEG: Rgb = [245, 147, 34]; // orange
const POS: Rgb = [8, 119, 189]; // blue
const MID: Rgb = [232, 234, 235]; // light grey: zero, or no confidence

/**
 * Colours of classes 0..4 (RGB). Class 0 orange and class 1 blue as the binary pictures always
 * were, then purple, red and cyan: chosen (from Paul Tol's palettes) so that every pair stays
 * apart under simulated protanopia, deuteranopia and tritanopia (CIELAB ΔE ≥ 23), not only in
 * full colour vision.
 *
 * @example
 * ```ts
 * const [r, g, b] = CLASS_COLORS[2] ?? CLASS_COLORS[0]!;
 * ctx.fillStyle = `rgb(${r}, ${g}, ${b})`;
 * ```
 */
export const CLASS_COLORS: readonly Rgb[] = [NEG, POS, [170, 51, 119], [204, 51, 17], [51, 187, 238]];

/** Colours of the gradient flow's lines, one per layer: all ≥ 3:1 on white (WCAG's bar for graphics). */
const LINE_COLORS = ["#0077bb", "#e05d00", "#009988", "#aa3377", "#228833", "#555555", "#cc3311", "#777733"] as const;

/** Ink for axis labels and legends: 12.6:1 on white. */
const INK = "#333";
/** Axes and tick marks. */
const AXIS = "#888";
/** Grid lines behind chart data. */
const GRID = "#ececec";
/** Every text in the pictures, in CSS px (legible: ≥ 11 px). */
const FONT = "12px system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";

/**
 * RGB of a value in [−1, 1] (clamped; non-finite reads as 0): orange at −1, light grey at 0,
 * blue at +1, linear in between.
 *
 * @example
 * ```ts
 * colorOf(-1); // [245, 147, 34]
 * colorOf(0); // [232, 234, 235]
 * ```
 */
export function colorOf(v: number): Rgb {
  const t = Math.max(-1, Math.min(1, Number.isFinite(v) ? v : 0));
  const end = t < 0 ? NEG : POS;
  const a = Math.abs(t);
  return [MID[0] + (end[0] - MID[0]) * a, MID[1] + (end[1] - MID[1]) * a, MID[2] + (end[2] - MID[2]) * a];
}

function css(rgb: Rgb, alpha = 1): string {
  return alpha === 1 ? `rgb(${rgb[0] | 0}, ${rgb[1] | 0}, ${rgb[2] | 0})` : `rgba(${rgb[0] | 0}, ${rgb[1] | 0}, ${rgb[2] | 0}, ${alpha})`;
}

/** A class's colour; labels beyond the palette reuse it cyclically rather than failing. */
function classColor(c: number): Rgb {
  const n = CLASS_COLORS.length;
  return CLASS_COLORS[((Math.round(c) % n) + n) % n] ?? MID;
}

/** The paler background tone of a colour: points of any class stay visible on the output map. */
function pale(c: number): number {
  return c * 0.6 + 102;
}

// ---- colour lookup tables: the hot loops read three bytes instead of mixing colours per pixel

/** Steps of a ramp on each side of its middle. */
const STEPS = 255;
const luts = new Map<string, Uint8ClampedArray>();

/** RGB triples of `2·STEPS + 1` colours for t = −1 … 1 (index `(t + 1)·STEPS`), as {@link colorOf}. */
function divergingLut(paled: boolean): Uint8ClampedArray {
  const key = paled ? "d1" : "d0";
  let lut = luts.get(key);
  if (!lut) {
    lut = new Uint8ClampedArray(3 * (2 * STEPS + 1));
    for (let i = 0; i <= 2 * STEPS; i++) {
      const rgb = colorOf(i / STEPS - 1);
      for (let ch = 0; ch < 3; ch++) lut[3 * i + ch] = paled ? pale(rgb[ch] as number) : (rgb[ch] as number);
    }
    luts.set(key, lut);
  }
  return lut;
}

/** RGB triples of `STEPS + 1` colours from light grey (s = 0) to `color` (s = 1). */
function classLut(color: Rgb, paled: boolean): Uint8ClampedArray {
  const key = `${color[0]},${color[1]},${color[2]},${paled ? 1 : 0}`;
  let lut = luts.get(key);
  if (!lut) {
    lut = new Uint8ClampedArray(3 * (STEPS + 1));
    for (let i = 0; i <= STEPS; i++) {
      for (let ch = 0; ch < 3; ch++) {
        const c = (MID[ch] as number) + ((color[ch] as number) - (MID[ch] as number)) * (i / STEPS);
        lut[3 * i + ch] = paled ? pale(c) : c;
      }
    }
    luts.set(key, lut);
  }
  return lut;
}

/** Index into a diverging table for t (clamped to [−1, 1]; NaN → the middle, grey). */
function divIndex(t: number): number {
  // NOTE: both comparisons are false for NaN, which lands on the grey middle
  if (t > -1) return t < 1 ? Math.round((t + 1) * STEPS) : 2 * STEPS;
  return t <= -1 ? 0 : STEPS;
}

/** Index into a class table for a strength s (clamped to [0, 1]; NaN → 0, grey). */
function strengthIndex(s: number): number {
  if (s > 0) return s < 1 ? Math.round(s * STEPS) : STEPS;
  return 0;
}

/** Pixels to paint into: an `ImageData`, or any RGBA array with its row width (tests use plain arrays). */
export interface Pixels {
  readonly data: Uint8ClampedArray;
  readonly width: number;
}

/** How a neuron's values become colours. */
export type MapColors =
  /** v / scale in [−1, 1]: orange, grey at 0, blue (hidden units, inputs on their own scale, regression). */
  | { readonly kind: "diverging"; readonly scale: number }
  /** A probability p of class 1, drawn as 2p − 1: class 0's orange at 0, class 1's blue at 1 (binary output). */
  | { readonly kind: "probability" }
  /** A probability p of one class: grey at 0 to the class's colour at 1 (a softmax unit). */
  | { readonly kind: "class"; readonly color: Rgb };

/**
 * Paints `grid × grid` values (`values[offset …]`, row-major, row 0 at the top) into `target` with
 * their top-left pixel at (x0, y0), alpha 255.
 *
 * @example
 * ```ts
 * const img = new ImageData(grid, grid);
 * paintMap(img, 0, 0, maps[1], unit * grid * grid, grid, { kind: "diverging", scale: 1 });
 * ```
 */
export function paintMap(target: Pixels, x0: number, y0: number, values: Float32Array, offset: number, grid: number, colors: MapColors): void {
  const data = target.data;
  const stride = target.width;
  if (colors.kind === "class") {
    const lut = classLut(colors.color, false);
    for (let r = 0; r < grid; r++) {
      let src = offset + r * grid;
      let dst = 4 * ((y0 + r) * stride + x0);
      for (let c = 0; c < grid; c++, src++, dst += 4) {
        const k = 3 * strengthIndex(values[src] as number);
        data[dst] = lut[k] as number;
        data[dst + 1] = lut[k + 1] as number;
        data[dst + 2] = lut[k + 2] as number;
        data[dst + 3] = 255;
      }
    }
    return;
  }
  const lut = divergingLut(false);
  // probability p maps to 2p − 1; a scale maps v to v / scale: both are one multiply-add
  const mul = colors.kind === "probability" ? 2 : 1 / (colors.scale > 0 ? colors.scale : 1);
  const add = colors.kind === "probability" ? -1 : 0;
  for (let r = 0; r < grid; r++) {
    let src = offset + r * grid;
    let dst = 4 * ((y0 + r) * stride + x0);
    for (let c = 0; c < grid; c++, src++, dst += 4) {
      const k = 3 * divIndex((values[src] as number) * mul + add);
      data[dst] = lut[k] as number;
      data[dst + 1] = lut[k + 1] as number;
      data[dst + 2] = lut[k + 2] as number;
      data[dst + 3] = 255;
    }
  }
}

/**
 * Paints the output layer's values over the grid (`units × grid²`, neuron-major) as the output
 * picture's background, in the paler tones that keep data points visible on it.
 *
 * - binary: p → orange (class 0) … grey (0.5) … blue (class 1); discretized, p ≥ 0.5 is class 1.
 * - multiclass: the most probable class's colour, its strength the confidence
 *   `(p_max − 1/k) / (1 − 1/k)` (0 where all classes tie, so k = 2 matches binary); discretized,
 *   full strength.
 * - regression: the value as a diverging colour; discretized, its sign.
 */
export function paintOutput(target: Pixels, values: Float32Array, grid: number, kind: OutputPicture["kind"], classes: number, discretize: boolean): void {
  const data = target.data;
  const area = grid * grid;
  if (kind === "multiclass") {
    const k = Math.max(1, classes);
    const tables: Uint8ClampedArray[] = [];
    for (let c = 0; c < k; c++) tables.push(classLut(classColor(c), true));
    const floor = 1 / k;
    const span = k > 1 ? 1 - floor : 1;
    for (let i = 0; i < area; i++) {
      let best = 0;
      let pMax = values[i] as number;
      for (let c = 1; c < k; c++) {
        const p = values[c * area + i] as number;
        if (p > pMax) {
          pMax = p;
          best = c;
        }
      }
      const lut = tables[best] as Uint8ClampedArray;
      const j = 3 * (discretize ? (pMax === pMax ? STEPS : 0) : strengthIndex((pMax - floor) / span));
      data[4 * i] = lut[j] as number;
      data[4 * i + 1] = lut[j + 1] as number;
      data[4 * i + 2] = lut[j + 2] as number;
      data[4 * i + 3] = 255;
    }
    return;
  }
  const lut = divergingLut(true);
  const binary = kind === "binary";
  for (let i = 0; i < area; i++) {
    const v = values[i] as number;
    let t = binary ? 2 * v - 1 : v;
    // NOTE: a tie (p = 0.5) goes to class 1 as the accuracy counts it; NaN stays NaN (grey)
    if (discretize) t = binary ? (t >= 0 ? 1 : t < 0 ? -1 : t) : Math.sign(t);
    const j = 3 * divIndex(t);
    data[4 * i] = lut[j] as number;
    data[4 * i + 1] = lut[j + 1] as number;
    data[4 * i + 2] = lut[j + 2] as number;
    data[4 * i + 3] = 255;
  }
}

// ---- scales and ticks

/** Rounds away binary noise (0.30000000000000004 → 0.3) and −0. */
function clean(v: number): number {
  const r = Number(v.toPrecision(12));
  return r === 0 ? 0 : r;
}

/** A linear axis: its domain widened to whole steps, and the ticks on it. */
export interface LinearScale {
  readonly lo: number;
  readonly hi: number;
  readonly step: number;
  readonly ticks: readonly number[];
}

/**
 * About `target` ticks on [lo, hi] at a "nice" step (1, 2 or 5 × 10ᵏ, at least `minStep`), with the
 * domain widened to the ticks around it. An empty or reversed range becomes [lo, lo + 1].
 *
 * @example
 * ```ts
 * niceTicks(0, 0.83, 4); // { lo: 0, hi: 1, step: 0.2, ticks: [0, 0.2, 0.4, 0.6, 0.8, 1] }
 * ```
 */
export function niceTicks(lo: number, hi: number, target: number, minStep = 0): LinearScale {
  if (!Number.isFinite(lo)) lo = 0;
  if (!(hi > lo) || !Number.isFinite(hi)) hi = lo + 1;
  const raw = (hi - lo) / Math.max(1, target);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / mag;
  let step = (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag;
  if (step < minStep) step = minStep;
  // NOTE: the epsilon keeps a bound that is already a multiple (1.0000000000000002) from gaining a step
  const first = Math.floor(lo / step + 1e-9);
  const last = Math.ceil(hi / step - 1e-9);
  const ticks: number[] = [];
  for (let k = first; k <= last; k++) ticks.push(clean(k * step));
  return { lo: clean(first * step), hi: clean(last * step), step: clean(step), ticks };
}

/** A log10 axis: whole decades from 10^lo to 10^hi, ticks at some of them. */
export interface LogScale {
  /** Exponents of the domain's ends. */
  readonly lo: number;
  readonly hi: number;
  /** Exponents of the ticks (powers of ten), every one or every few decades. */
  readonly ticks: readonly number[];
}

/**
 * The decades around [min, max] (both > 0) with at most about `target` ticks at powers of ten
 * (every m-th decade when there are many). A range inside one decade still gets two ticks.
 *
 * @example
 * ```ts
 * logTicks(0.02, 0.7, 4); // { lo: -2, hi: 0, ticks: [-2, -1, 0] }
 * ```
 */
export function logTicks(min: number, max: number, target: number): LogScale {
  if (!(min > 0) || !Number.isFinite(min)) min = 1;
  if (!(max >= min) || !Number.isFinite(max)) max = min;
  // NOTE: + 0 turns Math.ceil's −0 (for a max in (0.1, 1)) into 0, which prints and compares as 0
  const lo = Math.floor(Math.log10(min) + 1e-9) + 0;
  let hi = Math.ceil(Math.log10(max) - 1e-9) + 0;
  if (hi <= lo) hi = lo + 1;
  const every = Math.max(1, Math.ceil((hi - lo) / Math.max(1, target)));
  const ticks: number[] = [];
  for (let e = lo; e <= hi; e++) if (((e % every) + every) % every === 0) ticks.push(e);
  return { lo, hi, ticks };
}

const SUPERSCRIPT = "⁰¹²³⁴⁵⁶⁷⁸⁹";

/**
 * A power of ten's label: plain decimals from 0.001 to 10000, else 10 with a superscript exponent.
 *
 * @example
 * ```ts
 * formatPow10(-2); // "0.01"
 * formatPow10(-6); // "10⁻⁶"
 * ```
 */
export function formatPow10(e: number): string {
  if (e >= 0 && e <= 4) return `1${"0".repeat(e)}`;
  if (e < 0 && e >= -3) return `0.${"0".repeat(-e - 1)}1`;
  let sup = "";
  for (const d of String(Math.abs(e))) sup += SUPERSCRIPT[Number(d)] ?? d;
  return `10${e < 0 ? "⁻" : ""}${sup}`;
}

/**
 * A linear tick's label, with as many decimals as its step needs, a typographic minus, and an
 * exponent for the very large or small.
 *
 * @example
 * ```ts
 * formatTick(0.4, 0.2); // "0.4"
 * formatTick(-6, 2); // "−6"
 * ```
 */
export function formatTick(v: number, step: number): string {
  if (v === 0) return "0";
  const decimals = Math.max(0, Math.ceil(-Math.log10(Math.abs(step)) - 1e-9));
  const text = decimals <= 4 && Math.abs(v) < 1e6 ? v.toFixed(decimals) : Number(v.toPrecision(6)).toExponential();
  return text.replace(/-/g, "−");
}

/**
 * An epoch count for an axis: 20000 → "20k", 3000000 → "3M" (round values only), else as is.
 *
 * @example
 * ```ts
 * formatEpoch(25000); // "25k"
 * ```
 */
export function formatEpoch(v: number): string {
  if (Math.abs(v) >= 1e6 && v % 1e5 === 0) return `${v / 1e6}M`;
  if (Math.abs(v) >= 1e4 && v % 100 === 0) return `${v / 1e3}k`;
  return String(v);
}

/**
 * Places items of the given widths left to right, wrapping to a new row before `maxWidth` is
 * exceeded (an item wider than a row gets a row of its own): legends and class swatches.
 *
 * @example
 * ```ts
 * flowRow([50, 50, 50], 120, 10); // [{ x: 0, row: 0 }, { x: 60, row: 0 }, { x: 0, row: 1 }]
 * ```
 */
export function flowRow(widths: readonly number[], maxWidth: number, gap: number): { x: number; row: number }[] {
  const out: { x: number; row: number }[] = [];
  let x = 0;
  let row = 0;
  for (const w of widths) {
    if (x > 0 && x + w > maxWidth) {
      x = 0;
      row++;
    }
    out.push({ x, row });
    x += w + gap;
  }
  return out;
}

// ---- the plane (output and hovered neuron)

/** Where the output picture's parts sit, in CSS px. */
export interface PlaneGeometry {
  readonly width: number;
  readonly height: number;
  /** The plotted square: its left and top edge and its side. */
  readonly left: number;
  readonly top: number;
  readonly side: number;
  /** Top of the colour scale's first row (the bar or swatches); its second row (labels) is 18 px lower. */
  readonly scaleTop: number;
  /** Tick positions on both axes, in plane units. */
  readonly ticks: readonly number[];
}

/** Room left of the plot for y tick labels ("−6" at 12 px), and above it for the x₂ name. */
const PLANE_LEFT = 28;
const PLANE_TOP = 22;
/** Room right of the plot for the x₁ name after the last tick label. */
const PLANE_RIGHT = 24;
/** Room below: tick labels, then the colour scale's two rows of 14 px. */
const PLANE_BOTTOM = 64;

/**
 * The output picture's layout for a canvas `width` CSS px wide: a square plot as wide as the
 * margins allow, axis labels around it and the colour scale below. Ticks are whole steps of 1, 2,
 * 3 or 6 from −6 to 6, the finest leaving ≥ 28 px between labels.
 *
 * @example
 * ```ts
 * const g = planeGeometry(300); // g.side === 248, g.height === 334, g.ticks: −6, −4, … 6
 * ```
 */
export function planeGeometry(width: number): PlaneGeometry {
  const side = Math.max(60, Math.floor(width - PLANE_LEFT - PLANE_RIGHT));
  const w = side + PLANE_LEFT + PLANE_RIGHT;
  let step = 6;
  for (const s of [1, 2, 3]) {
    if ((side * s) / (2 * DOMAIN) >= 28) {
      step = s;
      break;
    }
  }
  const ticks: number[] = [];
  for (let v = -DOMAIN; v <= DOMAIN; v += step) ticks.push(v);
  return { width: w, height: PLANE_TOP + side + PLANE_BOTTOM, left: PLANE_LEFT, top: PLANE_TOP, side, scaleTop: PLANE_TOP + side + 28, ticks };
}

/**
 * The plane point (x₁, x₂) at a position in the picture's CSS px, or undefined outside the
 * plotted square (its edges included).
 *
 * @example
 * ```ts
 * const g = planeGeometry(300);
 * planeFromPixel(g, g.left + g.side / 2, g.top); // { x: 0, y: 6 }
 * ```
 */
export function planeFromPixel(g: PlaneGeometry, px: number, py: number): { x: number; y: number } | undefined {
  const u = (px - g.left) / g.side;
  const v = (py - g.top) / g.side;
  if (!(u >= 0 && u <= 1 && v >= 0 && v <= 1)) return undefined;
  return { x: (u * 2 - 1) * DOMAIN, y: (1 - v * 2) * DOMAIN };
}

/** Where a plane point (x₁, x₂) is drawn, in the picture's CSS px. */
export function pixelOfPlane(g: PlaneGeometry, x: number, y: number): { px: number; py: number } {
  return { px: g.left + ((x + DOMAIN) / (2 * DOMAIN)) * g.side, py: g.top + ((DOMAIN - y) / (2 * DOMAIN)) * g.side };
}

// ---- the network picture

/** Where the network picture's neurons sit, in CSS px. */
export interface NetworkGeometry {
  readonly width: number;
  readonly height: number;
  /** Side of a neuron's square box. */
  readonly box: number;
  /** Left edge of each column's boxes (column 0 = inputs). */
  readonly columns: readonly number[];
  /** Top edge of each box, [column][unit]. */
  readonly rows: readonly (readonly number[])[];
}

/** Room left of the inputs for their labels ("sin(x₁)" at 12 px). */
const NET_LABELS = 60;
const NET_RIGHT = 8;
const NET_PAD = 10;

/**
 * The network picture's layout for columns of `units` neurons (inputs first) on a canvas `width`
 * CSS px wide: boxes of 16–44 px spread evenly across, each column centred vertically; the height
 * follows the tallest column (at least four rows, so a small network does not look squashed).
 *
 * @example
 * ```ts
 * const g = networkGeometry([2, 4, 1], 400); // g.box === 44, g.columns[0] === 60
 * ```
 */
export function networkGeometry(units: readonly number[], width: number): NetworkGeometry {
  const cols = Math.max(1, units.length);
  const avail = Math.max(40, width - NET_LABELS - NET_RIGHT);
  const box = Math.max(16, Math.min(44, Math.floor(avail / (cols * 1.7))));
  const pitch = box + Math.max(8, Math.round(box * 0.3));
  let tallest = 4;
  for (const n of units) if (n > tallest) tallest = n;
  const height = 2 * NET_PAD + tallest * pitch - (pitch - box);
  const columns: number[] = [];
  const rows: number[][] = [];
  for (let c = 0; c < units.length; c++) {
    columns.push(cols === 1 ? NET_LABELS : NET_LABELS + ((Math.max(avail, box) - box) * c) / (cols - 1));
    const n = units[c] as number;
    const top = height / 2 - (n * pitch - (pitch - box)) / 2;
    const column: number[] = [];
    for (let r = 0; r < n; r++) column.push(top + r * pitch);
    rows.push(column);
  }
  return { width: Math.max(width, NET_LABELS + NET_RIGHT + box), height, box, columns, rows };
}

/** The end points of the edge weights[layer].kernel[from][to]: the right middle of one box, the left middle of the next. */
function edgeEnds(g: NetworkGeometry, layer: number, from: number, to: number): { x0: number; y0: number; x1: number; y1: number } {
  return {
    x0: (g.columns[layer] as number) + g.box,
    y0: (g.rows[layer]?.[from] as number) + g.box / 2,
    x1: g.columns[layer + 1] as number,
    y1: (g.rows[layer + 1]?.[to] as number) + g.box / 2,
  };
}

/** Segments the edge curve is measured by in hit-testing: its drawn bend is within 0.1 px of them. */
const CURVE_SEGMENTS = 24;

/**
 * Distance from (px, py) to the S-shaped edge from (x0, y0) to (x1, y1) as drawn: the cubic Bézier
 * with both control points at the horizontal midpoint, at the heights of their ends.
 */
export function distanceToEdge(px: number, py: number, x0: number, y0: number, x1: number, y1: number): number {
  const xm = (x0 + x1) / 2;
  let best = Infinity;
  let ax = x0;
  let ay = y0;
  for (let s = 1; s <= CURVE_SEGMENTS; s++) {
    const t = s / CURVE_SEGMENTS;
    const u = 1 - t;
    const b0 = u * u * u;
    const b1 = 3 * u * u * t;
    const b2 = 3 * u * t * t;
    const b3 = t * t * t;
    const bx = b0 * x0 + (b1 + b2) * xm + b3 * x1;
    const by = (b0 + b1) * y0 + (b2 + b3) * y1;
    // distance to the segment a–b
    const dx = bx - ax;
    const dy = by - ay;
    const len2 = dx * dx + dy * dy;
    const k = len2 > 0 ? Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / len2)) : 0;
    const d = Math.hypot(px - (ax + k * dx), py - (ay + k * dy));
    if (d < best) best = d;
    ax = bx;
    ay = by;
  }
  return best;
}

/** How near (CSS px) a pointer must come to an edge's curve to hit it. */
const EDGE_TOLERANCE = 6;

/**
 * The neuron or edge at (x, y) in the picture's CSS px: a neuron when inside its box (1 px of
 * slack), else the nearest edge within `tolerance` px of its curve.
 *
 * @example
 * ```ts
 * const g = networkGeometry([2, 1], 300);
 * hitTestNetwork(g, g.columns[0]! + 1, g.rows[0]![1]! + 1); // { kind: "neuron", layer: 0, unit: 1 }
 * ```
 */
export function hitTestNetwork(g: NetworkGeometry, x: number, y: number, tolerance = EDGE_TOLERANCE): NetworkTarget | undefined {
  const slack = 1;
  for (let c = 0; c < g.columns.length; c++) {
    const left = g.columns[c] as number;
    if (x < left - slack || x > left + g.box + slack) continue;
    const column = g.rows[c] as readonly number[];
    for (let r = 0; r < column.length; r++) {
      const top = column[r] as number;
      if (y >= top - slack && y <= top + g.box + slack) return { kind: "neuron", layer: c, unit: r };
    }
  }
  let found: NetworkTarget | undefined;
  let nearest = tolerance;
  for (let layer = 0; layer + 1 < g.columns.length; layer++) {
    const x0 = (g.columns[layer] as number) + g.box;
    const x1 = g.columns[layer + 1] as number;
    if (x < x0 - tolerance || x > x1 + tolerance) continue;
    const froms = g.rows[layer] as readonly number[];
    const tos = g.rows[layer + 1] as readonly number[];
    for (let i = 0; i < froms.length; i++) {
      const y0 = (froms[i] as number) + g.box / 2;
      for (let j = 0; j < tos.length; j++) {
        const y1 = (tos[j] as number) + g.box / 2;
        // the curve stays between its ends' heights: a cheap test skips most edges
        if (y < Math.min(y0, y1) - tolerance || y > Math.max(y0, y1) + tolerance) continue;
        const d = distanceToEdge(x, y, x0, y0, x1, y1);
        if (d <= nearest) {
          nearest = d;
          found = { kind: "edge", layer, from: i, to: j };
        }
      }
    }
  }
  return found;
}

/**
 * Where a target sits in the picture's CSS px: a neuron's box's bottom-right corner (a tooltip
 * placed just past it leaves the box visible), an edge's midpoint (by symmetry, the curve's point at t = ½).
 */
export function anchorOf(g: NetworkGeometry, target: NetworkTarget): { x: number; y: number } {
  if (target.kind === "neuron") {
    return { x: (g.columns[target.layer] ?? 0) + g.box, y: (g.rows[target.layer]?.[target.unit] ?? 0) + g.box };
  }
  const e = edgeEnds(g, target.layer, target.from, target.to);
  return { x: (e.x0 + e.x1) / 2, y: (e.y0 + e.y1) / 2 };
}

// ---- canvases

/**
 * Sizes a canvas's backing store to the device pixels it covers (its CSS width × devicePixelRatio)
 * and returns its context scaled so drawing code uses `width × height` logical units: crisp on a
 * phone's 2×/3× screen, and no larger than needed on a 1× one.
 */
export function prepareCanvas(canvas: HTMLCanvasElement, width: number, height: number): CanvasRenderingContext2D {
  const ratio = typeof devicePixelRatio === "number" && devicePixelRatio > 0 ? devicePixelRatio : 1;
  // NOTE: the CSS width does not depend on the backing size (width: 100%), and the CSS height
  // follows from the aspect ratio set here, so resizing the backing store causes no re-layout loop.
  canvas.style.aspectRatio = `${width} / ${height}`;
  const shown = canvas.getBoundingClientRect().width;
  const cssWidth = shown > 0 ? shown : width;
  const scale = (cssWidth / width) * ratio;
  const w = Math.max(1, Math.round(width * scale));
  const h = Math.max(1, Math.round(height * scale));
  if (canvas.width !== w) canvas.width = w;
  if (canvas.height !== h) canvas.height = h;
  const ctx = canvas.getContext("2d") as CanvasRenderingContext2D;
  ctx.setTransform(w / width, 0, 0, h / height, 0, 0);
  return ctx;
}

/** The width a canvas is shown at (CSS px), or `fallback` while it is not laid out (hidden). */
function shownWidth(canvas: HTMLCanvasElement, fallback: number): number {
  const w = canvas.getBoundingClientRect().width;
  return w > 0 ? w : fallback;
}

/** Converts pointer coordinates on a canvas drawn `drawnWidth` CSS px wide, should it have been resized since. */
function rescale(canvas: HTMLCanvasElement, drawnWidth: number): number {
  const now = canvas.getBoundingClientRect().width;
  return now > 0 ? drawnWidth / now : 1;
}

interface Scratch {
  readonly canvas: HTMLCanvasElement;
  readonly ctx: CanvasRenderingContext2D;
  readonly image: ImageData;
}
const scratches = new Map<string, Scratch>();

/** A reusable off-screen canvas and ImageData of one size: pictures are redrawn every frame. */
function scratch(name: string, width: number, height: number): Scratch {
  let s = scratches.get(name);
  if (!s || s.image.width !== width || s.image.height !== height) {
    const canvas = s?.canvas ?? document.createElement("canvas");
    canvas.width = width;
    canvas.height = height;
    s = { canvas, ctx: canvas.getContext("2d") as CanvasRenderingContext2D, image: new ImageData(width, height) };
    scratches.set(name, s);
  }
  return s;
}

function text(ctx: CanvasRenderingContext2D, value: string, x: number, y: number, align: CanvasTextAlign, baseline: CanvasTextBaseline, color = INK): void {
  ctx.fillStyle = color;
  ctx.textAlign = align;
  ctx.textBaseline = baseline;
  ctx.fillText(value, x, y);
}

// ---- the output picture

/** What drawOutput draws. */
export interface OutputPicture {
  /**
   * Output-layer values over the grid, neuron-major: `units × grid²`, row 0 at the top (x₂ = +6).
   * binary: 1 unit, a probability; multiclass: `classes` units of softmax probabilities;
   * regression: 1 unit, a value (nominally in [−1, 1]).
   */
  readonly values: Float32Array | undefined;
  readonly grid: number;
  readonly kind: "binary" | "multiclass" | "regression";
  /** 2 for binary, k for multiclass, 1 for regression. */
  readonly classes: number;
  /** Points; label = class index (0..k−1) for binary/multiclass, the value for regression. */
  readonly train: readonly Point[];
  readonly test: readonly Point[];
  readonly showTest: boolean;
  /** Discretize: paint each cell with its predicted class's colour at full strength (regression: sign), no confidence shading. */
  readonly discretize: boolean;
}

/** The mapping from clicks on the output picture to the plane. */
export interface OutputLayout {
  /** Plane coordinates of a point given in CSS pixels relative to the canvas's top-left, or undefined outside the plotted square. */
  toPlane(cssX: number, cssY: number): { x: number; y: number } | undefined;
}

/** What the colour scale under the plane shows. */
type ColorScale =
  | { readonly kind: "bar"; readonly title: string; readonly color: (t: number) => Rgb; readonly step: boolean; readonly labels: readonly string[] }
  | { readonly kind: "swatches"; readonly classes: number };

/** Lays out the canvas for the plane and draws what every plane picture shares: the map, axes, ticks, colour scale. */
function drawPlane(canvas: HTMLCanvasElement, grid: number, paint: ((target: ImageData) => void) | undefined, scale: ColorScale): { ctx: CanvasRenderingContext2D; g: PlaneGeometry } {
  const g = planeGeometry(shownWidth(canvas, 500));
  const ctx = prepareCanvas(canvas, g.width, g.height);
  ctx.clearRect(0, 0, g.width, g.height);
  ctx.font = FONT;
  const { left, top, side } = g;
  if (paint && grid > 0) {
    const s = scratch("plane", grid, grid);
    paint(s.image);
    s.ctx.putImageData(s.image, 0, 0);
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(s.canvas, left, top, side, side);
  } else {
    ctx.fillStyle = css([pale(MID[0]), pale(MID[1]), pale(MID[2])]);
    ctx.fillRect(left, top, side, side);
  }
  ctx.strokeStyle = AXIS;
  ctx.lineWidth = 1;
  ctx.strokeRect(left - 0.5, top - 0.5, side + 1, side + 1);
  // ticks and their labels on both axes
  ctx.beginPath();
  for (const v of g.ticks) {
    const { px, py } = pixelOfPlane(g, v, v);
    ctx.moveTo(px, top + side);
    ctx.lineTo(px, top + side + 4);
    ctx.moveTo(left - 4, py);
    ctx.lineTo(left, py);
  }
  ctx.stroke();
  for (const v of g.ticks) {
    const { px, py } = pixelOfPlane(g, v, v);
    const label = formatTick(v, 1);
    text(ctx, label, px, top + side + 6, "center", "top");
    text(ctx, label, left - 6, py, "right", "middle");
  }
  text(ctx, "x₁", left + side + 8, top + side + 6, "left", "top");
  text(ctx, "x₂", left - 6, top - 8, "right", "bottom");
  drawColorScale(ctx, g, scale);
  return { ctx, g };
}

function drawColorScale(ctx: CanvasRenderingContext2D, g: PlaneGeometry, scale: ColorScale): void {
  const y = g.scaleTop;
  if (scale.kind === "swatches") {
    const widths: number[] = [];
    for (let c = 0; c < scale.classes; c++) widths.push(16 + ctx.measureText(`class ${c}`).width);
    const spots = flowRow(widths, g.side, 14);
    spots.forEach((spot, c) => {
      const x = g.left + spot.x;
      const top = y + spot.row * 18;
      ctx.fillStyle = css(classColor(c));
      ctx.fillRect(x, top + 1, 12, 12);
      ctx.strokeStyle = AXIS;
      ctx.strokeRect(x + 0.5, top + 1.5, 11, 11);
      text(ctx, `class ${c}`, x + 16, top + 7, "left", "middle");
    });
    return;
  }
  const titleWidth = ctx.measureText(scale.title).width;
  text(ctx, scale.title, g.left, y + 7, "left", "middle");
  const x0 = g.left + titleWidth + 10;
  const x1 = g.left + g.side;
  if (x1 - x0 < 20) return;
  const gradient = ctx.createLinearGradient(x0, 0, x1, 0);
  if (scale.step) {
    gradient.addColorStop(0, css(scale.color(-1)));
    gradient.addColorStop(0.5, css(scale.color(-1)));
    gradient.addColorStop(0.5, css(scale.color(1)));
    gradient.addColorStop(1, css(scale.color(1)));
  } else {
    for (let i = 0; i <= 8; i++) gradient.addColorStop(i / 8, css(scale.color(i / 4 - 1)));
  }
  ctx.fillStyle = gradient;
  ctx.fillRect(x0, y + 1, x1 - x0, 12);
  ctx.strokeStyle = AXIS;
  ctx.strokeRect(x0 - 0.5, y + 0.5, x1 - x0 + 1, 13);
  const n = scale.labels.length;
  scale.labels.forEach((label, i) => {
    const x = x0 + ((x1 - x0) * i) / Math.max(1, n - 1);
    text(ctx, label, x, y + 18, i === 0 ? "left" : i === n - 1 ? "right" : "center", "top");
  });
}

/** Colours of the output's diverging map and its bar (t in [−1, 1]). */
function paleColorOf(t: number): Rgb {
  const [r, g, b] = colorOf(t);
  return [pale(r), pale(g), pale(b)];
}

/** Fill colours of the 2·STEPS + 1 diverging levels, made once: regression points would otherwise build a string each. */
let divergingCss: string[] | undefined;
function divergingFill(t: number): string {
  divergingCss ??= Array.from({ length: 2 * STEPS + 1 }, (_, i) => css(colorOf(i / STEPS - 1)));
  return divergingCss[divIndex(t)] as string;
}

/**
 * Draws the output over the plane with data points, x₁/x₂ axes with ticks (−6 … 6) and a colour
 * scale (a gradient bar labelled with its values for binary/regression; class swatches
 * "class 0…k−1" for multiclass). Training points are outlined white, test points black.
 * The picture is laid out in the canvas's CSS pixels (text stays 12 px at any size); its height
 * follows from its width. Returns the mapping needed for clicks.
 */
export function drawOutput(canvas: HTMLCanvasElement, pic: OutputPicture): OutputLayout {
  const { values, grid, kind, classes, discretize } = pic;
  const scale: ColorScale =
    kind === "multiclass"
      ? { kind: "swatches", classes: Math.max(1, classes) }
      : kind === "binary"
        ? { kind: "bar", title: "P(class 1)", color: paleColorOf, step: discretize, labels: ["0", "0.5", "1"] }
        : { kind: "bar", title: "output", color: paleColorOf, step: discretize, labels: ["−1", "0", "1"] };
  const { ctx, g } = drawPlane(canvas, grid, values ? (img) => paintOutput(img, values, grid, kind, classes, discretize) : undefined, scale);
  const radius = Math.max(3, Math.min(5, g.side / 100));
  const classFills: string[] = [];
  for (let c = 0; c < Math.max(2, classes); c++) classFills.push(css(classColor(c)));
  const dots = (points: readonly Point[], stroke: string): void => {
    ctx.strokeStyle = stroke;
    ctx.lineWidth = 1.2;
    ctx.save();
    // points noisily placed just outside the plane are cut at its edge, not drawn over the axes
    ctx.beginPath();
    ctx.rect(g.left, g.top, g.side, g.side);
    ctx.clip();
    for (const p of points) {
      if (kind === "regression") ctx.fillStyle = divergingFill(p.label);
      else ctx.fillStyle = classFills[Math.max(0, Math.min(classFills.length - 1, Math.round(p.label)))] as string;
      const { px, py } = pixelOfPlane(g, p.x, p.y);
      ctx.beginPath();
      ctx.arc(px, py, radius, 0, 2 * Math.PI);
      ctx.fill();
      ctx.stroke();
    }
    ctx.restore();
  };
  dots(pic.train, "#fff");
  if (pic.showTest) dots(pic.test, "#000");
  const drawn = g.width;
  return {
    toPlane: (cssX, cssY) => {
      const k = rescale(canvas, drawn);
      return planeFromPixel(g, cssX * k, cssY * k);
    },
  };
}

/** A neuron of the network picture, for {@link drawNeuronMap}: its column's maps and where it sits. */
export interface NeuronMap {
  /** Per layer (inputs first), neuron-major maps over the grid, as in {@link NetworkPicture}. */
  readonly maps: readonly Float32Array[];
  readonly grid: number;
  readonly kind: NetworkPicture["kind"];
  /** Its column: 0 = inputs, k = Dense layer k (the last is the output). */
  readonly layer: number;
  readonly unit: number;
}

/**
 * A neuron's map drawn large (for hover): the colours of its thumbnail in {@link drawNetwork}, on
 * the same axes and layout as {@link drawOutput} (so the canvas keeps its size), with a colour bar
 * of its scale.
 */
export function drawNeuronMap(canvas: HTMLCanvasElement, neuron: NeuronMap): void {
  const { maps, grid, layer, unit } = neuron;
  const values = maps[layer];
  if (!values) return;
  const area = grid * grid;
  const offset = unit * area;
  const colors = neuronColors(neuron.kind, layer, maps.length - 1, unit, values, area);
  let scale: ColorScale;
  if (colors.kind === "class") {
    const lut = classLut(colors.color, false);
    const at = (t: number): Rgb => {
      const j = 3 * strengthIndex((t + 1) / 2);
      return [lut[j] as number, lut[j + 1] as number, lut[j + 2] as number];
    };
    scale = { kind: "bar", title: "p", color: at, step: false, labels: ["0", "0.5", "1"] };
  } else if (colors.kind === "probability") {
    scale = { kind: "bar", title: "P(class 1)", color: colorOf, step: false, labels: ["0", "0.5", "1"] };
  } else {
    const s = colors.scale > 0 ? colors.scale : 1;
    const step = niceTicks(0, s, 2).step;
    scale = { kind: "bar", title: "value", color: colorOf, step: false, labels: [formatTick(-s, step), "0", formatTick(s, step)] };
  }
  drawPlane(canvas, grid, (img) => paintMap(img, 0, 0, values, offset, grid, colors), scale);
}

// ---- the network picture

/** A neuron or an edge of the network picture. layer: for neurons 0 = inputs, 1.. = Dense layers' units; for edges, the index of the Dense layer (weights[layer]) whose kernel[from][to] it draws. */
export type NetworkTarget =
  | { readonly kind: "neuron"; readonly layer: number; readonly unit: number }
  | { readonly kind: "edge"; readonly layer: number; readonly from: number; readonly to: number };

/** What {@link drawNetwork} draws. */
export interface NetworkPicture {
  readonly inputLabels: readonly string[];
  readonly weights: readonly LayerWeights[];
  /** Per layer (inputs first), neuron-major maps over the grid. */
  readonly maps: readonly Float32Array[];
  readonly grid: number;
  /** How the output column is coloured: as {@link drawOutput} colours the output. */
  readonly kind: "binary" | "multiclass" | "regression";
  /** A neuron or edge drawn emphasised (hovered, or being edited). */
  readonly highlight?: NetworkTarget;
}

/** Hit-testing and anchoring on the network picture as last drawn. */
export interface NetworkLayout {
  /** The neuron or edge under a point in CSS pixels relative to the canvas (neurons win over edges; an edge is hit within ~6 CSS px of its drawn curve). */
  hitTest(cssX: number, cssY: number): NetworkTarget | undefined;
  /** Where a target sits, in CSS pixels relative to the canvas (its box's bottom-right corner, or an edge's midpoint), for placing a tooltip or an editor. */
  anchor(target: NetworkTarget): { x: number; y: number };
}

/** The thumbnail colours of neuron `unit` of column `column` (the last column is the output). */
/**
 * How a neuron's map is coloured, in its thumbnail and drawn large: inputs each on their own scale,
 * the output column as {@link drawOutput} colours it, hidden units on [−1, 1].
 */
function neuronColors(kind: NetworkPicture["kind"], column: number, outputColumn: number, unit: number, values: Float32Array, area: number): MapColors {
  if (column === 0) {
    // inputs span different ranges (x₁ to ±6, x₁² to 36): each on its own scale
    let max = 0;
    for (let i = unit * area, end = i + area; i < end; i++) {
      const a = Math.abs(values[i] as number);
      if (a > max) max = a;
    }
    return { kind: "diverging", scale: max || 1 };
  }
  if (column === outputColumn) {
    if (kind === "binary") return { kind: "probability" };
    if (kind === "multiclass") return { kind: "class", color: classColor(unit) };
  }
  return { kind: "diverging", scale: 1 };
}

function sameTarget(a: NetworkTarget | undefined, b: NetworkTarget): boolean {
  if (!a || a.kind !== b.kind || a.layer !== b.layer) return false;
  return a.kind === "neuron" ? b.kind === "neuron" && a.unit === b.unit : b.kind === "edge" && a.from === b.from && a.to === b.to;
}

/**
 * The network as columns of neurons, each a thumbnail of its output over the plane (inputs each on
 * their own scale; output neuron(s) coloured like {@link drawOutput}, softmax outputs each in its
 * class colour), joined by edges coloured by the weight's sign, width by its size. The highlighted
 * neuron gets a thick dark outline, the highlighted edge is drawn thicker and darker, on top.
 * Returns the layout for hit-testing.
 */
export function drawNetwork(canvas: HTMLCanvasElement, pic: NetworkPicture): NetworkLayout {
  const units = [pic.inputLabels.length, ...pic.weights.map((w) => w.bias.length)];
  const g = networkGeometry(units, shownWidth(canvas, 720));
  const ctx = prepareCanvas(canvas, g.width, g.height);
  ctx.clearRect(0, 0, g.width, g.height);
  const box = g.box;
  const maxLine = Math.max(2, box / 6);
  const strokeEdge = (layer: number, from: number, to: number, w: number, emphasis: boolean): void => {
    const { x0, y0, x1, y1 } = edgeEnds(g, layer, from, to);
    const base = w > 0 ? POS : NEG;
    if (emphasis) {
      ctx.strokeStyle = css([base[0] * 0.6, base[1] * 0.6, base[2] * 0.6]);
      ctx.lineWidth = Math.min(maxLine, 0.5 + Math.abs(w) * 2) + 3;
    } else {
      ctx.strokeStyle = css(base, Math.min(1, 0.25 + Math.abs(w) * 0.5));
      ctx.lineWidth = Math.min(maxLine, 0.5 + Math.abs(w) * 2);
    }
    const xm = (x0 + x1) / 2;
    ctx.beginPath();
    ctx.moveTo(x0, y0);
    ctx.bezierCurveTo(xm, y0, xm, y1, x1, y1);
    ctx.stroke();
  };
  // edges first, below the boxes
  pic.weights.forEach((layer, li) => {
    layer.kernel.forEach((row, i) => row.forEach((w, j) => strokeEdge(li, i, j, w, false)));
  });
  const hl = pic.highlight;
  if (hl?.kind === "edge") {
    const w = pic.weights[hl.layer]?.kernel[hl.from]?.[hl.to];
    if (w !== undefined && g.rows[hl.layer]?.[hl.from] !== undefined && g.rows[hl.layer + 1]?.[hl.to] !== undefined) strokeEdge(hl.layer, hl.from, hl.to, w, true);
  }

  // every thumbnail painted into one atlas: one upload and cheap slices, however many neurons
  const grid = pic.grid;
  const area = grid * grid;
  let count = 0;
  for (let c = 0; c < units.length; c++) if (pic.maps[c]) count += units[c] as number;
  const across = Math.max(1, Math.ceil(Math.sqrt(count)));
  const atlas = grid > 0 && count > 0 ? scratch("atlas", across * grid, Math.ceil(count / across) * grid) : undefined;
  const slots: number[][] = [];
  let slot = 0;
  units.forEach((n, c) => {
    const values = pic.maps[c];
    const column: number[] = [];
    for (let r = 0; r < n; r++) {
      if (atlas && values && values.length >= (r + 1) * area) {
        paintMap(atlas.image, (slot % across) * grid, Math.floor(slot / across) * grid, values, r * area, grid, neuronColors(pic.kind, c, pic.weights.length, r, values, area));
        column.push(slot++);
      } else column.push(-1);
    }
    slots.push(column);
  });
  if (atlas) atlas.ctx.putImageData(atlas.image, 0, 0);
  ctx.imageSmoothingEnabled = true;
  units.forEach((n, c) => {
    const x = g.columns[c] as number;
    for (let r = 0; r < n; r++) {
      const y = g.rows[c]?.[r] as number;
      const s = slots[c]?.[r] ?? -1;
      if (atlas && s >= 0) ctx.drawImage(atlas.canvas, (s % across) * grid, Math.floor(s / across) * grid, grid, grid, x, y, box, box);
      const emphasis = hl?.kind === "neuron" && sameTarget(hl, { kind: "neuron", layer: c, unit: r });
      ctx.strokeStyle = emphasis ? "#111" : "#555";
      ctx.lineWidth = emphasis ? 3 : 1;
      if (emphasis) ctx.strokeRect(x - 1, y - 1, box + 2, box + 2);
      else ctx.strokeRect(x + 0.5, y + 0.5, box - 1, box - 1);
    }
  });
  ctx.font = FONT;
  pic.inputLabels.forEach((label, r) => text(ctx, label, (g.columns[0] ?? 0) - 6, (g.rows[0]?.[r] ?? 0) + box / 2, "right", "middle"));
  const drawn = g.width;
  return {
    hitTest: (cssX, cssY) => {
      const k = rescale(canvas, drawn);
      return hitTestNetwork(g, cssX * k, cssY * k);
    },
    anchor: (target) => {
      const k = rescale(canvas, drawn);
      const at = anchorOf(g, target);
      return { x: at.x / k, y: at.y / k };
    },
  };
}

// ---- charts over epochs

/** One line of a loss chart. */
export interface LossLine {
  readonly label: string;
  readonly color: string;
  readonly dashed?: boolean;
  readonly epochs: readonly number[];
  readonly values: readonly number[];
}

/**
 * The smallest and largest value a chart shows: finite ones, and on a log axis only positive
 * ones. Undefined when there is none. A loop, never `Math.max(...values)`: spreading a long
 * history overflows the stack.
 */
export function valueRange(lines: readonly { readonly values: readonly number[] }[], log: boolean): { min: number; max: number } | undefined {
  let min = Infinity;
  let max = -Infinity;
  for (const line of lines) {
    for (const v of line.values) {
      if (!Number.isFinite(v) || (log && v <= 0)) continue;
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  return min <= max ? { min, max } : undefined;
}

/** The largest epoch of the lines (0 when none): loops, for the same reason as {@link valueRange}. */
function lastEpoch(lines: readonly { readonly epochs: readonly number[] }[]): number {
  let max = 0;
  for (const line of lines) for (const e of line.epochs) if (e > max) max = e;
  return max;
}

/** The y axis of a chart: where a value sits (0 at the bottom, 1 at the top), the ticks and their labels. */
export interface ChartAxis {
  /** Position of a value, 0 at the bottom of the plot to 1 at its top (not clamped). */
  at(v: number): number;
  readonly ticks: readonly { readonly value: number; readonly label: string }[];
}

/**
 * The y axis for a chart's values: on a linear axis from 0 (or the lowest value when negative) to a
 * nice number above the highest; on a log10 axis the decades around them, ticks at powers of ten.
 * Without values, [0, 1] (linear) or [0.1, 1] (log).
 *
 * @example
 * ```ts
 * chartAxis({ min: 0.1, max: 0.69 }, false, 4).ticks.map((t) => t.label); // ["0", "0.2", "0.4", "0.6", "0.8"]
 * ```
 */
export function chartAxis(range: { min: number; max: number } | undefined, log: boolean, target: number): ChartAxis {
  if (log) {
    const s = range ? logTicks(range.min, range.max, target) : { lo: -1, hi: 0, ticks: [-1, 0] };
    const span = s.hi - s.lo;
    return { at: (v) => (Math.log10(v) - s.lo) / span, ticks: s.ticks.map((e) => ({ value: 10 ** e, label: formatPow10(e) })) };
  }
  const s = niceTicks(range ? Math.min(0, range.min) : 0, range ? range.max : 1, target);
  const span = s.hi - s.lo;
  return { at: (v) => (v - s.lo) / span, ticks: s.ticks.map((v) => ({ value: v, label: formatTick(v, s.step) })) };
}

/** Height of a chart's plot area, CSS px. */
const CHART_PLOT = 96;

/** Draws lines over epochs with axes, ticks and a legend above: the loss chart and the gradient flow. */
function drawChart(canvas: HTMLCanvasElement, lines: readonly LossLine[], log: boolean, epoch: number, empty: string): void {
  const width = Math.max(160, shownWidth(canvas, 600));
  // measure on the canvas's context before sizing it: the layout depends on the text
  const probe = canvas.getContext("2d") as CanvasRenderingContext2D;
  probe.font = FONT;
  const legendWidths = lines.map((l) => 26 + probe.measureText(l.label).width);
  const spots = flowRow(legendWidths, width - 16, 14);
  const legendRows = spots.length > 0 ? (spots[spots.length - 1] as { row: number }).row + 1 : 0;
  const range = valueRange(lines, log);
  const axis = chartAxis(range, log, 4);
  let labelWidth = 0;
  for (const t of axis.ticks) labelWidth = Math.max(labelWidth, probe.measureText(t.label).width);
  const left = Math.ceil(labelWidth) + 12;
  const right = 18;
  const top = 8 + legendRows * 18 + (legendRows > 0 ? 4 : 0);
  const plotW = Math.max(40, width - left - right);
  const height = top + CHART_PLOT + 26;
  const ctx = prepareCanvas(canvas, width, height);
  ctx.clearRect(0, 0, width, height);
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, width, height);
  ctx.font = FONT;
  // legend
  spots.forEach((spot, i) => {
    const line = lines[i] as LossLine;
    const x = 8 + spot.x;
    const y = 8 + spot.row * 18 + 7;
    ctx.strokeStyle = line.color;
    ctx.lineWidth = 2;
    ctx.setLineDash(line.dashed ? [5, 3] : []);
    ctx.beginPath();
    ctx.moveTo(x, y);
    ctx.lineTo(x + 20, y);
    ctx.stroke();
    ctx.setLineDash([]);
    text(ctx, line.label, x + 26, y, "left", "middle");
  });
  const yOf = (v: number): number => top + CHART_PLOT - axis.at(v) * CHART_PLOT;
  // y grid and ticks
  ctx.lineWidth = 1;
  for (const t of axis.ticks) {
    const y = Math.round(yOf(t.value)) + 0.5;
    ctx.strokeStyle = GRID;
    ctx.beginPath();
    ctx.moveTo(left, y);
    ctx.lineTo(left + plotW, y);
    ctx.stroke();
    text(ctx, t.label, left - 6, y, "right", "middle");
  }
  // x ticks in epochs
  // NOTE: the axis ends at the current epoch (not the next round number), so the lines reach the right edge "now"
  const span = Math.max(1, epoch, lastEpoch(lines));
  const xTicks = niceTicks(0, span, Math.max(2, Math.floor(plotW / 80)), 1).ticks.filter((e) => e <= span);
  const xOf = (e: number): number => left + (e / span) * plotW;
  ctx.strokeStyle = AXIS;
  ctx.beginPath();
  for (const e of xTicks) {
    const x = Math.round(xOf(e)) + 0.5;
    ctx.moveTo(x, top + CHART_PLOT);
    ctx.lineTo(x, top + CHART_PLOT + 4);
  }
  ctx.moveTo(left + 0.5, top);
  ctx.lineTo(left + 0.5, top + CHART_PLOT + 0.5);
  ctx.lineTo(left + plotW, top + CHART_PLOT + 0.5);
  ctx.stroke();
  for (const e of xTicks) {
    const label = formatEpoch(e);
    // a label that would run past the canvas's right edge ends at it instead
    const overhang = xOf(e) + probe.measureText(label).width / 2 > width - 2;
    text(ctx, label, overhang ? width - 2 : xOf(e), top + CHART_PLOT + 6, overhang ? "right" : "center", "top");
  }
  if (!range) {
    text(ctx, empty, left + plotW / 2, top + CHART_PLOT / 2, "center", "middle", "#666");
    return;
  }
  // the lines, clipped to the plot; a skipped value breaks a line rather than bridging it
  ctx.save();
  ctx.beginPath();
  ctx.rect(left, top - 2, plotW + 2, CHART_PLOT + 4);
  ctx.clip();
  ctx.lineWidth = 2;
  ctx.lineJoin = "round";
  for (const line of lines) {
    ctx.strokeStyle = line.color;
    ctx.setLineDash(line.dashed ? [5, 3] : []);
    ctx.beginPath();
    let pen = false;
    const n = Math.min(line.epochs.length, line.values.length);
    for (let i = 0; i < n; i++) {
      const v = line.values[i] as number;
      if (!Number.isFinite(v) || (log && v <= 0)) {
        pen = false;
        continue;
      }
      const x = xOf(line.epochs[i] as number);
      const y = yOf(v);
      if (pen) ctx.lineTo(x, y);
      else ctx.moveTo(x, y);
      pen = true;
    }
    ctx.stroke();
  }
  ctx.restore();
  ctx.setLineDash([]);
}

/**
 * Loss over epochs, linear or log10 y-axis, with y ticks (nice numbers; powers of ten on log),
 * x ticks in epochs up to `opts.epoch`, and a legend above. Non-finite and (on log) non-positive
 * values are skipped (the line breaks there). Laid out in CSS px: the height grows with legend rows.
 */
export function drawLoss(canvas: HTMLCanvasElement, lines: readonly LossLine[], opts: { readonly log: boolean; readonly epoch: number }): void {
  drawChart(canvas, lines, opts.log, opts.epoch, "no loss yet");
}

/**
 * Gradient norm per layer over time (log y axis, one line per layer, legend with layer labels):
 * vanishing gradients show as lines near the bottom, exploding ones at the top. Zero norms (before
 * the first step) are skipped, as log axes must.
 */
export function drawGradientFlow(
  canvas: HTMLCanvasElement,
  flow: { readonly epochs: readonly number[]; readonly norms: readonly (readonly number[])[]; readonly labels: readonly string[] },
): void {
  const lines: LossLine[] = flow.norms.map((values, i) => ({
    label: flow.labels[i] ?? `layer ${i + 1}`,
    color: LINE_COLORS[i % LINE_COLORS.length] as string,
    epochs: flow.epochs,
    values,
  }));
  drawChart(canvas, lines, true, lastEpoch([flow]), "no gradients yet");
}

// ---- confusion matrix

/** WCAG relative luminance of an sRGB colour. */
function luminance(rgb: Rgb): number {
  const lin = (c: number): number => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(rgb[0]) + 0.7152 * lin(rgb[1]) + 0.0722 * lin(rgb[2]);
}

/**
 * WCAG contrast ratio of two colours (1 to 21).
 *
 * @example
 * ```ts
 * contrastRatio([0, 0, 0], [255, 255, 255]); // 21
 * ```
 */
export function contrastRatio(a: Rgb, b: Rgb): number {
  const la = luminance(a);
  const lb = luminance(b);
  return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
}

/**
 * A confusion-matrix cell's colours for its share of its row (0–1): white to blue, with black or
 * white text, whichever contrasts more (always ≥ 4.5:1, so axe-core's colour-contrast rule holds).
 */
export function confusionShade(share: number): { background: Rgb; color: Rgb } {
  const s = Number.isFinite(share) ? Math.max(0, Math.min(1, share)) : 0;
  const background: Rgb = [Math.round(255 + (POS[0] - 255) * s), Math.round(255 + (POS[1] - 255) * s), Math.round(255 + (POS[2] - 255) * s)];
  const black: Rgb = [0, 0, 0];
  const white: Rgb = [255, 255, 255];
  return { background, color: contrastRatio(background, black) >= contrastRatio(background, white) ? black : white };
}

/** The shape each table was built for: a new snapshot of the same shape only updates the numbers. */
const tableShapes = new WeakMap<HTMLTableElement, string>();

/**
 * Fills `table` with a confusion matrix: rows = true class, columns = predicted, counts, each cell
 * shaded by its share of its row. A `<caption>`, `<th scope="col">` / `<th scope="row">` headers
 * all with text (the corner names both axes). Built once per shape; later calls only update the
 * cells, so the table is not rebuilt every frame.
 */
export function renderConfusion(table: HTMLTableElement, matrix: readonly (readonly number[])[], classNames: readonly string[]): void {
  const k = matrix.length;
  if (k === 0) {
    // NOTE: a header row with no data cells under it is an axe-core violation: show nothing instead
    table.replaceChildren();
    tableShapes.delete(table);
    return;
  }
  const names = Array.from({ length: k }, (_, i) => classNames[i] ?? `class ${i}`);
  const shape = JSON.stringify(names);
  if (tableShapes.get(table) !== shape || table.rows.length !== k + 1) {
    const doc = table.ownerDocument;
    table.replaceChildren();
    const caption = table.createCaption();
    caption.textContent = "Rows: true class; columns: predicted class. Shading: share of the row.";
    const headRow = table.createTHead().insertRow();
    const corner = doc.createElement("th");
    corner.scope = "col";
    corner.textContent = "true \\ predicted";
    headRow.append(corner);
    for (const name of names) {
      const th = doc.createElement("th");
      th.scope = "col";
      th.textContent = name;
      headRow.append(th);
    }
    const body = table.createTBody();
    for (const name of names) {
      const row = body.insertRow();
      const th = doc.createElement("th");
      th.scope = "row";
      th.textContent = name;
      row.append(th);
      for (let j = 0; j < k; j++) row.insertCell().className = "num";
    }
    tableShapes.set(table, shape);
  }
  const body = table.tBodies[0];
  if (!body) return;
  for (let i = 0; i < k; i++) {
    const counts = matrix[i] ?? [];
    let total = 0;
    for (let j = 0; j < k; j++) total += counts[j] ?? 0;
    const cells = body.rows[i]?.cells;
    for (let j = 0; j < k; j++) {
      const cell = cells?.[j + 1];
      if (!cell) continue;
      const count = counts[j] ?? 0;
      const { background, color } = confusionShade(total > 0 ? count / total : 0);
      const value = String(count);
      if (cell.textContent !== value) cell.textContent = value;
      cell.style.background = css(background);
      cell.style.color = css(color);
    }
  }
}
