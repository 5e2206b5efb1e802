import { describe, expect, it } from "vitest";
import { AIRLINE_PASSENGERS, airlineCsv, sineCsv } from "./airline.js";
import { parseCsv } from "./csv.js";
import { messageOf } from "./error-of.test-util.js";
import { chronologicalSplit, columnStats, makeWindows, readSeries, transformWindow, untransform } from "./series.js";

const table = (text: string) => parseCsv(text, "s.csv");

describe("readSeries", () => {
  it("reads the target and optional feature columns, ignoring others (a date)", () => {
    const s = readSeries(table("date,y,temp\n2020-01,1,10\n2020-02,2,11\n"), "s.csv", { target: "y", features: ["temp"] });
    expect(s.columns).toEqual(["y", "temp"]);
    expect(s.inputs).toEqual([[1, 10], [2, 11]]);
    expect(s.target).toEqual([1, 2]);
    expect(readSeries(table("v\n3\n4\n"), "s.csv", {}).target).toEqual([3, 4]);
  });

  it("a non-numeric target cell is an error with file:line:column", () => {
    expect(messageOf(() => readSeries(table("date,y\n2020-01,1\n2020-02,n/a\n"), "s.csv", { target: "y" }))).toMatch(
      /^INVALID_FILE s\.csv:3:2: "n\/a" is not a number \(column "y", the target\)/,
    );
    expect(messageOf(() => readSeries(table("a,b\n1,2\n"), "s.csv", {}))).toMatch(/--target <column> is required .*"a", "b"/);
    expect(messageOf(() => readSeries(table("a,b\n1,2\n"), "s.csv", { target: "c" }))).toMatch(/no column named "c" for the target/);
  });
});

describe("chronological windows", () => {
  it("no validation target (or input) is in a training window; validation windows start after the last training target", () => {
    for (const [n, window, horizon, fraction] of [[50, 5, 2, 0.2], [144, 12, 1, 0.2], [40, 3, 4, 0.5]] as const) {
      const split = chronologicalSplit("s", n, window, horizon, fraction);
      expect(split.trainRows).toBe(n - Math.round(n * fraction));
      const lastTrainingRow = Math.max(...split.trainStarts.map((s) => s + window + horizon - 1));
      expect(lastTrainingRow).toBe(split.trainRows - 1);
      expect(Math.min(...split.validationStarts)).toBe(split.trainRows);
      expect(Math.max(...split.validationStarts) + window + horizon - 1).toBe(n - 1);
      // Windows slide by one step inside each part.
      expect(split.trainStarts).toEqual(Array.from({ length: split.trainRows - window - horizon + 1 }, (_, k) => k));
    }
  });

  it("windows hold `window` input rows and the next `horizon` targets", () => {
    const series = { inputs: [10, 11, 12, 13, 14, 15].map((v) => [v]), target: [10, 11, 12, 13, 14, 15] };
    const w = makeWindows(series, [0, 1], 3, 2);
    expect(Array.from(w.x)).toEqual([10, 11, 12, 11, 12, 13]);
    expect(Array.from(w.y)).toEqual([13, 14, 14, 15]);
  });

  it("transforms: diff and log-diff are relative to the window's last value, and invert exactly", () => {
    const rows = [[100], [110], [121]];
    expect(Array.from(transformWindow(rows, "diff"))).toEqual([-21, -11, 0]);
    expect(Array.from(transformWindow(rows, "log-diff")).map((v) => Number(v.toFixed(6)))).toEqual([Number(Math.log(100 / 121).toFixed(6)), Number(Math.log(110 / 121).toFixed(6)), 0]);
    expect(untransform("diff", 12, 121)).toBe(133);
    expect(untransform("log-diff", Math.log(1.1), 121)).toBeCloseTo(133.1, 9);
    const series = { inputs: rows, target: [100, 110, 121] };
    expect(Array.from(makeWindows(series, [0], 2, 1, "diff").y)).toEqual([11]);
  });

  it("too short a series, training part or validation part names the flags", () => {
    expect(messageOf(() => chronologicalSplit("s.csv", 10, 12, 1, 0.2))).toMatch(/s\.csv: the series has 10 rows, fewer than one window \(--window 12 \+ --horizon 1 = 13 rows\)/);
    expect(messageOf(() => chronologicalSplit("s.csv", 30, 12, 1, 0.2))).toMatch(/--validation-split 0\.2 holds out the last 6 rows, fewer than one window/);
    expect(chronologicalSplit("s.csv", 30, 12, 1, 0).validationStarts).toEqual([]);
  });

  it("column statistics: mean and population std per column, constant columns get std 1", () => {
    const stats = columnStats(Float64Array.from([1, 5, 3, 5]), 2);
    expect(stats).toEqual({ mean: [2, 5], std: [1, 1] });
  });
});

describe("built-in series", () => {
  it("airline: the 144 monthly values of Box & Jenkins' series G", () => {
    expect(AIRLINE_PASSENGERS).toHaveLength(144);
    expect(AIRLINE_PASSENGERS.reduce((a, b) => a + b, 0)).toBe(40_363);
    expect(Math.min(...AIRLINE_PASSENGERS)).toBe(104);
    expect(Math.max(...AIRLINE_PASSENGERS)).toBe(622);
    const s = readSeries(parseCsv(airlineCsv(), "airline"), "airline", { target: "passengers" });
    expect(s.target.slice(0, 3)).toEqual([112, 118, 132]);
    expect(airlineCsv().split("\n")[144]).toBe("1960-12,432");
  });

  it("sine: same seed, same series", () => {
    expect(sineCsv({ seed: 3 })).toBe(sineCsv({ seed: 3 }));
    expect(sineCsv({ seed: 3 })).not.toBe(sineCsv({ seed: 4 }));
  });
});
