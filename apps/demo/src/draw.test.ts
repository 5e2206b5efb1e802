import { describe, expect, it } from "vitest";
import {
  CLASS_COLORS,
  anchorOf,
  chartAxis,
  colorOf,
  confusionShade,
  contrastRatio,
  distanceToEdge,
  flowRow,
  formatEpoch,
  formatPow10,
  formatTick,
  hitTestNetwork,
  logTicks,
  networkGeometry,
  niceTicks,
  paintMap,
  paintOutput,
  pixelOfPlane,
  planeFromPixel,
  planeGeometry,
  valueRange,
  type NetworkGeometry,
  type Rgb,
} from "./draw.js";

// The canvas functions need a browser; everything they compute (colours, scales, ticks, layouts,
// hit-testing) is a pure function tested here.

/** An RGBA target of `w × h` pixels, as ImageData would be. */
const pixels = (w: number, h = w): { data: Uint8ClampedArray; width: number } => ({ data: new Uint8ClampedArray(4 * w * h), width: w });
const rgbAt = (p: { data: Uint8ClampedArray; width: number }, x: number, y = 0): number[] => {
  const i = 4 * (y * p.width + x);
  return [p.data[i] as number, p.data[i + 1] as number, p.data[i + 2] as number, p.data[i + 3] as number];
};
const rounded = (c: Rgb): number[] => [Math.round(c[0]), Math.round(c[1]), Math.round(c[2]), 255];
const paled = (c: Rgb): number[] => [...c.map((v) => Math.round(v * 0.6 + 102)), 255];
const GREY: Rgb = [232, 234, 235];
const expectNear = (got: number[], want: number[], tol = 1): void => {
  expect(got.length).toBe(want.length);
  got.forEach((v, i) => expect(Math.abs(v - (want[i] as number)), `channel ${i}: ${got} vs ${want}`).toBeLessThanOrEqual(tol));
};

describe("colours", () => {
  it("keeps orange and blue for classes 0 and 1 and has five distinct class colours", () => {
    expect(CLASS_COLORS).toHaveLength(5);
    expect(CLASS_COLORS[0]).toEqual([245, 147, 34]);
    expect(CLASS_COLORS[1]).toEqual([8, 119, 189]);
    expect(new Set(CLASS_COLORS.map((c) => c.join())).size).toBe(5);
  });

  it("keeps the class colours apart under simulated colour-vision deficiencies", () => {
    // Machado et al. (2009) matrices at full severity, applied in linear RGB; distance in CIELAB
    const sims: Record<string, number[][]> = {
      normal: [[1, 0, 0], [0, 1, 0], [0, 0, 1]],
      protan: [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]],
      deutan: [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.01182, 0.04294, 0.968881]],
      tritan: [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602], [0.004733, 0.691367, 0.3039]],
    };
    const lin = (c: number): number => ((c /= 255) <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
    const lab = (l: number[]): number[] => {
      const [r, g, b] = l.map((v) => Math.max(0, Math.min(1, v))) as [number, number, number];
      const f = (t: number): number => (t > 0.008856 ? Math.cbrt(t) : 7.787 * t + 16 / 116);
      const X = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047;
      const Y = 0.2126 * r + 0.7152 * g + 0.0722 * b;
      const Z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883;
      return [116 * f(Y) - 16, 500 * (f(X) - f(Y)), 200 * (f(Y) - f(Z))];
    };
    for (const [name, m] of Object.entries(sims)) {
      const seen = [...CLASS_COLORS, GREY].map((c) => lab(m.map((row) => row.reduce((s, k, i) => s + k * lin(c[i] as number), 0))));
      for (let i = 0; i < seen.length; i++) {
        for (let j = i + 1; j < seen.length; j++) {
          const d = Math.hypot(...(seen[i] as number[]).map((v, k) => v - ((seen[j] as number[])[k] as number)));
          expect(d, `${name}: colours ${i} and ${j}`).toBeGreaterThan(20);
        }
      }
    }
  });

  it("colorOf runs orange – grey – blue, clamped, non-finite as 0", () => {
    expect(colorOf(-1)).toEqual([245, 147, 34]);
    expect(colorOf(0)).toEqual([232, 234, 235]);
    expect(colorOf(1)).toEqual([8, 119, 189]);
    expect(colorOf(-7)).toEqual(colorOf(-1));
    expect(colorOf(Number.NaN)).toEqual(colorOf(0));
    expect(colorOf(0.5)[2]).toBeCloseTo((235 + 189) / 2);
  });
});

describe("paintMap", () => {
  it("paints diverging values as colorOf does, divided by the scale", () => {
    const values = Float32Array.from([-1, -0.5, 0, 0.25, 1, 3, Number.NaN, -Infinity]);
    const p = pixels(8, 1);
    paintMap(p, 0, 0, values, 0, 8, { kind: "diverging", scale: 1 }); // one row of 8 (grid 8, only row 0 is read)
    [-1, -0.5, 0, 0.25, 1, 1, 0, -1].forEach((t, x) => expectNear(rgbAt(p, x), rounded(colorOf(t))));
    const scaled = pixels(1);
    paintMap(scaled, 0, 0, Float32Array.from([3]), 0, 1, { kind: "diverging", scale: 6 });
    expectNear(rgbAt(scaled, 0), rounded(colorOf(0.5)));
  });

  it("draws a probability as 2p − 1 and a softmax unit from grey to its class colour", () => {
    const p = pixels(3, 1);
    const probs = Float32Array.from([0, 0.5, 1]);
    // grid 3 reads 9 values; only the first row lands in a 3 × 1 target when we paint rows one by one
    paintMap(p, 0, 0, probs, 0, 1, { kind: "probability" });
    paintMap(p, 1, 0, probs, 1, 1, { kind: "probability" });
    paintMap(p, 2, 0, probs, 2, 1, { kind: "probability" });
    expectNear(rgbAt(p, 0), rounded(CLASS_COLORS[0] as Rgb));
    expectNear(rgbAt(p, 1), rounded(GREY));
    expectNear(rgbAt(p, 2), rounded(CLASS_COLORS[1] as Rgb));
    const purple = CLASS_COLORS[2] as Rgb;
    const c = pixels(2, 1);
    paintMap(c, 0, 0, probs, 0, 1, { kind: "class", color: purple });
    paintMap(c, 1, 0, probs, 2, 1, { kind: "class", color: purple });
    expectNear(rgbAt(c, 0), rounded(GREY));
    expectNear(rgbAt(c, 1), rounded(purple));
  });

  it("places a map at an offset inside a wider atlas without touching its neighbours", () => {
    const grid = 2;
    const maps = Float32Array.from([0, 0, 0, 0, -1, 1, 1, -1]); // unit 1's map: [-1, 1; 1, -1]
    const atlas = pixels(5, 4);
    paintMap(atlas, 2, 1, maps, grid * grid, grid, { kind: "diverging", scale: 1 });
    expectNear(rgbAt(atlas, 2, 1), rounded(colorOf(-1)));
    expectNear(rgbAt(atlas, 3, 1), rounded(colorOf(1)));
    expectNear(rgbAt(atlas, 2, 2), rounded(colorOf(1)));
    expectNear(rgbAt(atlas, 3, 2), rounded(colorOf(-1)));
    let painted = 0;
    for (let i = 3; i < atlas.data.length; i += 4) if (atlas.data[i] === 255) painted++;
    expect(painted).toBe(4);
  });
});

describe("paintOutput", () => {
  it("binary: pale orange for class 0, pale blue for class 1, grey in between", () => {
    const p = pixels(2);
    paintOutput(p, Float32Array.from([0, 1, 0.5, Number.NaN]), 2, "binary", 2, false);
    expectNear(rgbAt(p, 0, 0), paled(CLASS_COLORS[0] as Rgb));
    expectNear(rgbAt(p, 1, 0), paled(CLASS_COLORS[1] as Rgb));
    expectNear(rgbAt(p, 0, 1), paled(GREY));
    expectNear(rgbAt(p, 1, 1), paled(GREY));
  });

  it("binary discretized: the predicted class at full strength", () => {
    const p = pixels(2);
    paintOutput(p, Float32Array.from([0.45, 0.55, 0.5, 0.01]), 2, "binary", 2, true);
    expectNear(rgbAt(p, 0, 0), paled(CLASS_COLORS[0] as Rgb));
    expectNear(rgbAt(p, 1, 0), paled(CLASS_COLORS[1] as Rgb));
    expectNear(rgbAt(p, 0, 1), paled(CLASS_COLORS[1] as Rgb));
    expectNear(rgbAt(p, 1, 1), paled(CLASS_COLORS[0] as Rgb));
  });

  it("multiclass: the most probable class's colour, shaded by confidence; full strength when discretized", () => {
    // 3 classes over a 1 × 3 strip... as a 2 × 2 grid (neuron-major: 3 units × 4 cells)
    const k = 3;
    const cells = [
      [1, 0, 0], // certain class 0
      [0.1, 0.2, 0.7], // class 2, fairly sure
      [1 / 3, 1 / 3, 1 / 3], // a tie: no confidence
      [0, 0, 1], // certain class 2
    ];
    const values = new Float32Array(k * 4);
    cells.forEach((ps, i) => ps.forEach((p, c) => (values[c * 4 + i] = p)));
    const p = pixels(2);
    paintOutput(p, values, 2, "multiclass", k, false);
    expectNear(rgbAt(p, 0, 0), paled(CLASS_COLORS[0] as Rgb));
    const s = (0.7 - 1 / 3) / (1 - 1 / 3);
    const purple = CLASS_COLORS[2] as Rgb;
    expectNear(rgbAt(p, 1, 0), paled([0, 1, 2].map((ch) => (GREY[ch] as number) + ((purple[ch] as number) - (GREY[ch] as number)) * s) as unknown as Rgb), 2);
    expectNear(rgbAt(p, 0, 1), paled(GREY));
    expectNear(rgbAt(p, 1, 1), paled(purple));
    const d = pixels(2);
    paintOutput(d, values, 2, "multiclass", k, true);
    expectNear(rgbAt(d, 1, 0), paled(purple));
  });

  it("multiclass with two classes looks like binary", () => {
    const ps = [0, 0.2, 0.5, 0.9];
    const binary = pixels(2);
    paintOutput(binary, Float32Array.from(ps), 2, "binary", 2, false);
    const multi = pixels(2);
    paintOutput(multi, Float32Array.from([...ps.map((p) => 1 - p), ...ps]), 2, "multiclass", 2, false);
    for (let i = 0; i < 4; i++) expectNear(rgbAt(multi, i % 2, i >> 1), rgbAt(binary, i % 2, i >> 1), 2);
  });

  it("regression: the value, or its sign when discretized", () => {
    const p = pixels(2);
    paintOutput(p, Float32Array.from([-0.3, 0.8, 0, 2]), 2, "regression", 1, true);
    expectNear(rgbAt(p, 0, 0), paled(colorOf(-1)));
    expectNear(rgbAt(p, 1, 0), paled(colorOf(1)));
    expectNear(rgbAt(p, 0, 1), paled(GREY));
    const q = pixels(1);
    paintOutput(q, Float32Array.from([-0.3]), 1, "regression", 1, false);
    expectNear(rgbAt(q, 0), paled(colorOf(-0.3)));
  });
});

describe("ticks", () => {
  it("chooses 1, 2, 5 × 10ᵏ steps covering the range, without float noise", () => {
    expect(niceTicks(0, 0.83, 4)).toEqual({ lo: 0, hi: 1, step: 0.2, ticks: [0, 0.2, 0.4, 0.6, 0.8, 1] });
    expect(niceTicks(0, 0.3, 3).ticks).toEqual([0, 0.1, 0.2, 0.3]);
    expect(niceTicks(-6, 6, 6).ticks).toEqual([-6, -4, -2, 0, 2, 4, 6]);
    for (let trial = 0; trial < 500; trial++) {
      const lo = trial % 3 === 0 ? 0 : (Math.sin(trial) - 0.5) * 10 ** ((trial % 9) - 4);
      const hi = lo + Math.abs(Math.cos(trial * 7)) * 10 ** ((trial % 7) - 3) + 1e-9;
      const target = 2 + (trial % 6);
      const s = niceTicks(lo, hi, target);
      expect(s.lo).toBeLessThanOrEqual(lo);
      expect(s.hi).toBeGreaterThanOrEqual(hi * (1 - 1e-12));
      const mantissa = s.step / 10 ** Math.floor(Math.log10(s.step) + 1e-12);
      expect([1, 2, 5].some((m) => Math.abs(mantissa - m) < 1e-9), `step ${s.step}`).toBe(true);
      expect(s.ticks.length).toBeGreaterThanOrEqual(2);
      expect(s.ticks.length).toBeLessThanOrEqual(2.5 * target + 2);
      for (const t of s.ticks) expect(String(t).length, String(t)).toBeLessThan(20);
    }
  });

  it("honours a minimum step (whole epochs) and survives empty or broken ranges", () => {
    expect(niceTicks(0, 3, 10, 1).ticks).toEqual([0, 1, 2, 3]);
    expect(niceTicks(5, 5, 4).ticks[0]).toBe(5);
    expect(niceTicks(Number.NaN, Number.NaN, 4).ticks.every(Number.isFinite)).toBe(true);
  });

  it("log ticks sit on powers of ten around the data, thinned over many decades", () => {
    expect(logTicks(0.02, 0.7, 4)).toEqual({ lo: -2, hi: 0, ticks: [-2, -1, 0] });
    expect(logTicks(0.3, 0.6, 4)).toEqual({ lo: -1, hi: 0, ticks: [-1, 0] });
    expect(logTicks(0.001, 1000, 8)).toEqual({ lo: -3, hi: 3, ticks: [-3, -2, -1, 0, 1, 2, 3] });
    const wide = logTicks(1e-30, 1e5, 4);
    expect(wide.lo).toBe(-30);
    expect(wide.hi).toBe(5);
    expect(wide.ticks.length).toBeLessThanOrEqual(5);
    expect(wide.ticks.length).toBeGreaterThanOrEqual(2);
    expect(logTicks(0, -1, 4).ticks.length).toBeGreaterThanOrEqual(2);
  });

  it("labels ticks legibly", () => {
    expect(formatPow10(0)).toBe("1");
    expect(formatPow10(3)).toBe("1000");
    expect(formatPow10(-2)).toBe("0.01");
    expect(formatPow10(-6)).toBe("10⁻⁶");
    expect(formatPow10(12)).toBe("10¹²");
    expect(formatTick(-6, 2)).toBe("−6");
    expect(formatTick(0.4, 0.2)).toBe("0.4");
    expect(formatTick(0.05, 0.05)).toBe("0.05");
    expect(formatTick(0, 0.1)).toBe("0");
    expect(formatTick(2e-6, 1e-6)).toBe("2e−6");
    expect(formatEpoch(900)).toBe("900");
    expect(formatEpoch(25_000)).toBe("25k");
    expect(formatEpoch(3_000_000)).toBe("3M");
  });

  it("chart axes: linear from 0, log over decades, positions 0 at the bottom and 1 at the top", () => {
    const lin = chartAxis({ min: 0.1, max: 0.69 }, false, 4);
    expect(lin.ticks.map((t) => t.label)).toEqual(["0", "0.2", "0.4", "0.6", "0.8"]);
    expect(lin.at(0)).toBe(0);
    expect(lin.at(0.8)).toBeCloseTo(1);
    const log = chartAxis({ min: 0.002, max: 0.5 }, true, 4);
    expect(log.ticks.map((t) => t.label)).toEqual(["0.001", "0.01", "0.1", "1"]);
    expect(log.at(0.001)).toBeCloseTo(0);
    expect(log.at(1)).toBeCloseTo(1);
    expect(log.at(0.01)).toBeCloseTo(1 / 3);
    expect(chartAxis(undefined, true, 4).ticks.length).toBe(2);
  });

  it("finds the range of long histories, skipping what the axis cannot show", () => {
    const long = new Array<number>(1_000_000).fill(0.5);
    long[123] = 7;
    expect(valueRange([{ values: long }], false)).toEqual({ min: 0.5, max: 7 });
    const lines = [{ values: [Number.NaN, 0, -1, 0.25, Infinity] }, { values: [4] }];
    expect(valueRange(lines, false)).toEqual({ min: -1, max: 4 });
    expect(valueRange(lines, true)).toEqual({ min: 0.25, max: 4 });
    expect(valueRange([{ values: [0, Number.NaN] }], true)).toBeUndefined();
  });

  it("wraps legend items into rows", () => {
    expect(flowRow([50, 50, 50], 120, 10)).toEqual([{ x: 0, row: 0 }, { x: 60, row: 0 }, { x: 0, row: 1 }]);
    expect(flowRow([200, 30], 100, 10)).toEqual([{ x: 0, row: 0 }, { x: 0, row: 1 }]);
    expect(flowRow([], 100, 10)).toEqual([]);
  });
});

describe("the plane's layout", () => {
  it("is a square plot with room for labels, its height following its width", () => {
    for (const width of [200, 263, 300, 500]) {
      const g = planeGeometry(width);
      expect(g.width).toBe(width);
      expect(g.left + g.side).toBeLessThan(width - 16); // room for the x₁ name
      expect(g.top).toBeGreaterThanOrEqual(20); // room for the x₂ name
      expect(g.scaleTop).toBeGreaterThan(g.top + g.side + 18); // below the tick labels
      expect(g.height).toBeGreaterThanOrEqual(g.scaleTop + 32); // two rows of the colour scale
      expect(g.ticks[0]).toBe(-6);
      expect(g.ticks[g.ticks.length - 1]).toBe(6);
      expect((g.side * (g.ticks[1]! - g.ticks[0]!)) / 12).toBeGreaterThanOrEqual(28);
    }
    expect(planeGeometry(500).ticks).toHaveLength(13);
    expect(planeGeometry(300).ticks).toEqual([-6, -4, -2, 0, 2, 4, 6]);
  });

  it("maps pixels to the plane and back, undefined outside the plotted square", () => {
    const g = planeGeometry(300);
    expect(planeFromPixel(g, g.left, g.top)).toEqual({ x: -6, y: 6 });
    expect(planeFromPixel(g, g.left + g.side, g.top + g.side)).toEqual({ x: 6, y: -6 });
    expect(planeFromPixel(g, g.left + g.side / 2, g.top + g.side / 2)).toEqual({ x: 0, y: 0 });
    expect(planeFromPixel(g, g.left - 1, g.top + 10)).toBeUndefined();
    expect(planeFromPixel(g, g.left + 10, g.top + g.side + 1)).toBeUndefined();
    expect(planeFromPixel(g, Number.NaN, 0)).toBeUndefined();
    for (const [x, y] of [[1.5, -2.25], [-5.9, 5.9], [0, 3]] as const) {
      const { px, py } = pixelOfPlane(g, x, y);
      const back = planeFromPixel(g, px, py);
      expect(back?.x).toBeCloseTo(x, 9);
      expect(back?.y).toBeCloseTo(y, 9);
    }
  });
});

describe("the network's layout", () => {
  const boxesOf = (g: NetworkGeometry): { c: number; r: number; x: number; y: number }[] =>
    g.rows.flatMap((column, c) => column.map((y, r) => ({ c, r, x: g.columns[c] as number, y })));

  it("fits every box inside the canvas without overlaps, columns centred", () => {
    for (const [units, width] of [
      [[2, 4, 1], 400],
      [[7, 8, 8, 8, 8, 8, 8, 5], 360],
      [[7, 8, 8, 8, 8, 8, 8, 5], 900],
      [[1, 1], 250],
    ] as const) {
      const g = networkGeometry(units, width);
      expect(g.box).toBeGreaterThanOrEqual(16);
      expect(g.box).toBeLessThanOrEqual(44);
      const boxes = boxesOf(g);
      expect(boxes).toHaveLength(units.reduce((a, b) => a + b, 0));
      for (const b of boxes) {
        expect(b.x).toBeGreaterThanOrEqual(50); // input labels fit to the left
        expect(b.x + g.box).toBeLessThanOrEqual(g.width);
        expect(b.y).toBeGreaterThanOrEqual(0);
        expect(b.y + g.box).toBeLessThanOrEqual(g.height);
      }
      for (let c = 1; c < g.columns.length; c++) expect(g.columns[c]! - g.columns[c - 1]!).toBeGreaterThan(g.box + 8);
      for (const column of g.rows) {
        for (let r = 1; r < column.length; r++) expect(column[r]! - column[r - 1]!).toBeGreaterThanOrEqual(g.box + 8);
        if (column.length > 0) expect(column[0]! + column[column.length - 1]! + g.box).toBeCloseTo(g.height);
      }
    }
  });

  it("hit-tests neurons by their boxes and edges within 6 px of their curves", () => {
    const g = networkGeometry([3, 1], 400);
    const box = g.box;
    const [x0, x1] = g.columns as [number, number];
    expect(hitTestNetwork(g, x0 + box / 2, g.rows[0]![2]! + box / 2)).toEqual({ kind: "neuron", layer: 0, unit: 2 });
    expect(hitTestNetwork(g, x1 + box - 1, g.rows[1]![0]! + 1)).toEqual({ kind: "neuron", layer: 1, unit: 0 });
    // the middle input's edge is straight and level: easy to measure off
    const y = g.rows[0]![1]! + box / 2;
    const xm = (x0 + box + x1) / 2;
    expect(hitTestNetwork(g, xm, y)).toEqual({ kind: "edge", layer: 0, from: 1, to: 0 });
    expect(hitTestNetwork(g, xm, y + 5)).toEqual({ kind: "edge", layer: 0, from: 1, to: 0 });
    // the fanning edges are farther than 6 px this close to the level one
    expect(hitTestNetwork(g, x0 + box + 3, y - 8)).toBeUndefined();
    expect(hitTestNetwork(g, 5, 5)).toBeUndefined();
  });

  it("lets neurons win over the edges that start at them", () => {
    const g = networkGeometry([2, 2], 300);
    const edgeStartY = g.rows[0]![0]! + g.box / 2;
    expect(hitTestNetwork(g, g.columns[0]! + g.box - 2, edgeStartY)).toEqual({ kind: "neuron", layer: 0, unit: 0 });
  });

  it("anchors every edge on its curve, where hit-testing finds it again", () => {
    for (const units of [[3, 1], [1, 5], [4, 1, 3]]) {
      const g = networkGeometry(units, 420);
      for (let layer = 0; layer + 1 < units.length; layer++) {
        for (let from = 0; from < units[layer]!; from++) {
          for (let to = 0; to < units[layer + 1]!; to++) {
            // in a fan (one side a single neuron) every edge's midpoint is its own
            if (units[layer] !== 1 && units[layer + 1] !== 1) continue;
            const target = { kind: "edge", layer, from, to } as const;
            const at = anchorOf(g, target);
            const ends = { x0: g.columns[layer]! + g.box, y0: g.rows[layer]![from]! + g.box / 2, x1: g.columns[layer + 1]!, y1: g.rows[layer + 1]![to]! + g.box / 2 };
            expect(distanceToEdge(at.x, at.y, ends.x0, ends.y0, ends.x1, ends.y1)).toBeLessThan(0.5);
            expect(hitTestNetwork(g, at.x, at.y)).toEqual(target);
          }
        }
      }
    }
  });

  it("anchors a neuron at its box's bottom-right corner", () => {
    const g = networkGeometry([2, 3, 1], 400);
    expect(anchorOf(g, { kind: "neuron", layer: 1, unit: 2 })).toEqual({ x: g.columns[1]! + g.box, y: g.rows[1]![2]! + g.box });
  });

  it("measures distance to the S-shaped edge curve", () => {
    expect(distanceToEdge(0, 0, 0, 0, 100, 50)).toBe(0);
    expect(distanceToEdge(100, 50, 0, 0, 100, 50)).toBeCloseTo(0);
    expect(distanceToEdge(50, 25, 0, 0, 100, 50)).toBeCloseTo(0); // the midpoint
    expect(distanceToEdge(50, 10, 0, 0, 100, 0)).toBeCloseTo(10);
    // near its ends the curve runs level: 10 px above the start's right is 10 px away
    expect(distanceToEdge(5, -10, 0, 0, 100, 50)).toBeCloseTo(10, 0);
  });
});

describe("confusion matrix shading", () => {
  it("keeps text at ≥ 4.5:1 contrast on every share, white for none, strong blue for all", () => {
    expect(contrastRatio([0, 0, 0], [255, 255, 255])).toBeCloseTo(21);
    for (let i = 0; i <= 100; i++) {
      const { background, color } = confusionShade(i / 100);
      expect(contrastRatio(background, color), `share ${i}%`).toBeGreaterThanOrEqual(4.5);
    }
    expect(confusionShade(0)).toEqual({ background: [255, 255, 255], color: [0, 0, 0] });
    expect(confusionShade(1)).toEqual({ background: [8, 119, 189], color: [255, 255, 255] });
    expect(confusionShade(Number.NaN)).toEqual(confusionShade(0));
  });
});
