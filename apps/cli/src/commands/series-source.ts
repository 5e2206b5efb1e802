import { existsSync, readFileSync } from "node:fs";
import { cliError } from "../cli-error.js";
import { AIRLINE_LICENSE, AIRLINE_PASSENGERS, SINE_SAMPLES, airlineCsv, sineCsv } from "../data/airline.js";
import { isDatasetName } from "../data/builtin.js";
import { parseCsv } from "../data/csv.js";
import { readSeries, type Series } from "../data/series.js";

/** Built-in time series: name → CSV text (generated ones from the seed). */
const SERIES: Readonly<Record<string, (o: { seed: number; samples?: number; noise?: number }) => string>> = {
  airline: () => airlineCsv(),
  sine: (o) => sineCsv({ seed: o.seed, ...(o.samples !== undefined ? { samples: o.samples } : {}), ...(o.noise !== undefined ? { noise: o.noise } : {}) }),
};

/** Default target column of each built-in series. */
const SERIES_TARGET: Readonly<Record<string, string>> = { airline: "passengers", sine: "y" };

/** `backprop datasets` lines for the built-in series (samples = rows, features = columns read per step). */
export const SERIES_INFO = [
  { name: "airline", kind: "series", description: "monthly international airline passengers (thousands), 1949–1960; target passengers", samples: AIRLINE_PASSENGERS.length, features: 1, classes: "series", source: AIRLINE_LICENSE },
  { name: "sine", kind: "series", description: "sin(2πt/25) + ½·sin(2πt/70) + noise; target y", samples: SINE_SAMPLES, features: 1, classes: "series", source: "generated from --seed" },
] as const;

/** Whether `name` is a built-in time series. */
export function isSeriesName(name: string): boolean {
  return Object.hasOwn(SERIES, name);
}

/**
 * Reads a time series for `train --sequence` or `forecast`: a built-in series (`airline`, `sine`),
 * a CSV file with a header row (oldest row first), or `-` for CSV on stdin.
 */
export function loadSeries(source: string, o: { target?: string; features?: readonly string[]; seed: number; samples?: number; noise?: number }): Series {
  let text: string;
  let name = source;
  const make = SERIES[source];
  if (make && !existsSync(source)) {
    text = make(o);
    const target = o.target ?? SERIES_TARGET[source];
    return readSeries(parseCsv(text, source), source, { ...(target !== undefined ? { target } : {}), ...(o.features ? { features: o.features } : {}) });
  }
  if (source === "-") {
    text = readFileSync(0, "utf8");
    name = "<stdin>";
  } else if (!existsSync(source)) {
    if (isDatasetName(source)) throw cliError(`${source}: is not a time series (built-in series: ${Object.keys(SERIES).join(", ")})`, "INVALID_ARGUMENT", "train it without --sequence");
    throw cliError(`${source}: no such file or built-in series`, "INVALID_FILE", `built-in series: ${Object.keys(SERIES).join(", ")}`);
  } else {
    try {
      text = readFileSync(source, "utf8");
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw cliError(code === "EISDIR" ? `${source}: is a directory, expected a CSV file` : `${source}: cannot be read (${code ?? String(error)})`, "INVALID_FILE");
    }
  }
  return readSeries(parseCsv(text, name), name, { ...(o.target !== undefined ? { target: o.target } : {}), ...(o.features ? { features: o.features } : {}) });
}
