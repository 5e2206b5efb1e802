import asciichartModule from "asciichart";
import type * as AsciiChart from "asciichart";

// NOTE: asciichart is CommonJS; its default import is the module object, which its types describe
// as the namespace.
const asciichart = asciichartModule as unknown as typeof AsciiChart;

/**
 * The line glyphs of each series, in asciichart's order (origin, axis tick, two unused ends,
 * horizontal, the corners ╰ ╭ ╮ ╯, vertical): the first series in single lines, the second in
 * double lines (corners included), so the two can be told apart without colour. The legend shows
 * each series' horizontal glyph.
 */
const SYMBOLS = [
  ["┼", "┤", "╶", "╴", "─", "╰", "╭", "╮", "╯", "│"],
  ["┼", "┤", "╶", "╴", "═", "╚", "╔", "╗", "╝", "║"],
] as const;
const COLORS = [asciichart.blue, asciichart.yellow];
/** Width of the value labels left of the axis. */
const LABEL = 10;

/**
 * Whether terminal output may be coloured: never with `NO_COLOR` set (https://no-color.org),
 * always with `FORCE_COLOR` set to anything but `0`, else when the stream is a terminal.
 */
export function useColor(stream: { isTTY?: boolean } = process.stdout, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env["NO_COLOR"]) return false;
  const force = env["FORCE_COLOR"];
  if (force !== undefined && force !== "") return force !== "0";
  return stream.isTTY === true;
}

/**
 * A terminal line chart of one or two series (loss and validation loss), resampled to `width`
 * columns so a long run still fits in the terminal: the first series drawn in single lines (`──`),
 * the second in double lines (`══`) and, where colour is on, in blue and yellow. The legend below shows each
 * series' own line glyph in its own colour. O(length) once, at the end of a run.
 */
export function lossChart(series: { name: string; values: readonly number[] }[], width = 60, height = 10, color = useColor()): string {
  const usable = series.filter((s) => s.values.length > 0).slice(0, SYMBOLS.length);
  if (usable.length === 0) return "";
  const resample = (values: readonly number[]): number[] => {
    if (values.length <= width) return [...values];
    return Array.from({ length: width }, (_, i) => values[Math.round((i * (values.length - 1)) / (width - 1))] as number);
  };
  const lines = usable.map((s) => resample(s.values));
  const all = lines.flat().filter(Number.isFinite);
  if (all.length === 0) return "";
  const min = Math.min(...all);
  const max = Math.max(...all);
  const paint = (text: string, i: number) => (color ? asciichart.colored(text, COLORS[i]) : text);
  // NOTE: asciichart draws every series with one set of glyphs, so each is drawn alone here, on
  // the same scale, and the grids are laid over each other (the first series on top).
  const grids = lines.map((values, i) =>
    asciichart
      .plot(values.map((v) => (Number.isFinite(v) ? v : max)), { min, max, height, symbols: [...(SYMBOLS[i] ?? SYMBOLS[0])], format: (x: number) => x.toPrecision(4).padStart(LABEL) })
      .split("\n")
      .map((row) => [...row]),
  );
  const axis = LABEL + 1; // the column of the axis, after the labels and a space
  const plot = (grids[0] as string[][]).map((_, r) => {
    const cols = Math.max(...grids.map((g) => g[r]?.length ?? 0));
    let text = "";
    for (let c = 0; c < cols; c++) {
      const cells = grids.map((g) => g[r]?.[c] ?? " ");
      if (c < axis) text += cells[0];
      // The axis: a series' first value marks it with ┼.
      else if (c === axis) text += cells.includes("┼") ? "┼" : cells[0];
      else {
        const owner = cells.findIndex((cell) => cell !== " ");
        text += owner < 0 ? " " : paint(cells[owner] as string, owner);
      }
    }
    return text.trimEnd();
  });
  const legend = usable.map((s, i) => `${paint((SYMBOLS[i]?.[4] ?? "─").repeat(2), i)} ${s.name} (${s.values.length} epochs)`).join("   ");
  return `${plot.join("\n")}\n${" ".repeat(axis + 1)}${legend}`;
}
