import asciichartModule from "asciichart";
import type * as AsciiChart from "asciichart";

// NOTE: asciichart is CommonJS; its default import is the module object, which its types describe
// as the namespace.
const asciichart = asciichartModule as unknown as typeof AsciiChart;

/**
 * A terminal line chart of one or two series (loss and validation loss), resampled to `width`
 * columns so a long run still fits in the terminal.
 */
export function lossChart(series: { name: string; values: readonly number[] }[], width = 60, height = 10): string {
  const usable = series.filter((s) => s.values.length > 0);
  if (usable.length === 0) return "";
  const resample = (values: readonly number[]): number[] => {
    if (values.length <= width) return [...values];
    return Array.from({ length: width }, (_, i) => values[Math.round((i * (values.length - 1)) / (width - 1))] as number);
  };
  const colors = [asciichart.blue, asciichart.yellow];
  const plot = asciichart.plot(
    usable.map((s) => resample(s.values)),
    {
      height,
      colors: process.stdout.isTTY && !process.env["NO_COLOR"] ? colors.slice(0, usable.length) : undefined,
      format: (x: number) => x.toPrecision(4).padStart(10),
    },
  );
  const legend = usable
    .map((s, i) => `${i === 0 ? "━" : "┅"} ${s.name} (${s.values.length} epochs)`)
    .join("   ");
  return `${plot}\n${" ".repeat(12)}${legend}`;
}
