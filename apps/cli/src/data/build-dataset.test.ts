import { describe, expect, it } from "vitest";
import { errorOf } from "./error-of.test-util.js";
import { parseCsv, tableToDataset } from "./csv.js";
import { applyFills, fitFills } from "./impute.js";
import { readJsonDataset } from "./json.js";
import type { ColumnOptions } from "./build-dataset.js";

const csv = (text: string, options: ColumnOptions & { fileName?: string } = {}) => tableToDataset(parseCsv(text, options.fileName ?? "t.csv"), { fileName: "t.csv", ...options });
const first = (f: () => unknown) => errorOf(f).message.split("\n")[0];

describe("text feature columns", () => {
  // A penguins-like table: string Island and Sex, nulls, a numeric measurement.
  const penguins = JSON.stringify([
    { species: "Adelie", Island: "Torgersen", bill: 39.1, Sex: "MALE" },
    { species: "Adelie", Island: "Biscoe", bill: 37.8, Sex: "FEMALE" },
    { species: "Gentoo", Island: "Biscoe", bill: 46.1, Sex: null },
    { species: "Chinstrap", Island: "Dream", bill: null, Sex: "MALE" },
    { species: "Gentoo", Island: "Biscoe", bill: 50, Sex: "FEMALE" },
  ]);

  it("are one-hot encoded over their sorted categories, kept in the encoding", () => {
    const d = readJsonDataset(penguins, "p.json", { target: "species", missing: "drop" });
    expect(d.featureNames).toEqual(["Island", "bill", "Sex"]);
    expect(d.encoding).toEqual([
      { name: "Island", kind: "category", categories: ["Biscoe", "Dream", "Torgersen"] },
      { name: "bill", kind: "number" },
      { name: "Sex", kind: "category", categories: ["FEMALE", "MALE"] },
    ]);
    expect(d.x).toEqual([
      [0, 0, 1, 39.1, 0, 1],
      [1, 0, 0, 37.8, 1, 0],
      [1, 0, 0, 50, 1, 0],
    ]);
    expect(d.rowNumbers).toEqual([1, 2, 5]);
    expect([d.dropped, d.droppedBy]).toEqual([2, "Sex: 1, bill: 1"]);
  });

  it("a category the saved model does not know is an error naming the cell and the known ones", () => {
    const encoding = [{ name: "x", kind: "number" as const }, { name: "island", kind: "category" as const, categories: ["Biscoe", "Dream"] }];
    expect(first(() => csv("x,island\n1,Dream\n2,Atlantis\n", { encoding }))).toBe(
      't.csv:3:2: "Atlantis" is not a category the model was trained on (column "island"; known: Biscoe, Dream)',
    );
    expect(csv("x,island\n1,Dream\n", { encoding }).x).toEqual([[1, 0, 1]]);
  });

  it("a column with many distinct values is left out as an id or free text, unless named", () => {
    const rows = Array.from({ length: 40 }, (_, i) => `name${i},${i % 3},${i % 2 ? "a" : "b"}`);
    const text = `name,x,y\n${rows.join("\n")}\n`;
    const d = csv(text, { target: "y" });
    expect(d.featureNames).toEqual(["x"]);
    expect(d.notes).toEqual(['column "name" has 40 distinct values in 40 rows (an id or free text?): not used as a feature (name it in --features to one-hot encode it)']);
    expect(csv(text, { target: "y", features: ["name", "x"] }).x[0]).toHaveLength(41);
  });

  it("a numeric id column is left out, a numeric feature of the same values is not", () => {
    const text = "id,x,y\n1,5,a\n2,6,b\n3,5,a\n";
    expect(csv(text, { target: "y" }).featureNames).toEqual(["x"]);
    expect(csv(text.replace("id", "step"), { target: "y" }).featureNames).toEqual(["step", "x"]);
  });

  it("a column mostly of numbers with a stray word is an error at that word, not a category", () => {
    expect(errorOf(() => csv("a,y\n1,0\n2,1\noops,0\n", { target: "y" })).message).toBe(
      't.csv:4:1: "oops" is not a number (column "a")\nhelp: an empty cell, NA, NaN or null marks a missing value (see --missing)',
    );
  });
});

describe("date columns", () => {
  // A seattle-weather-like table: the first column is a date.
  const weather = "date,precipitation,weather\n2012-01-01,0.0,sun\n2012-01-02,10.9,rain\n2012-01-03,0.8,rain\n";

  it("are left out with a note, unless --features names them", () => {
    const d = csv(weather, { target: "weather" });
    expect(d.featureNames).toEqual(["precipitation"]);
    expect(d.notes).toEqual(['column "date" holds dates: not used as a feature (name it in --features to read it as days since 1970-01-01)']);
    const asked = csv(weather, { target: "weather", features: ["date", "precipitation"] });
    expect(asked.encoding?.[0]).toEqual({ name: "date", kind: "date" });
    expect(asked.x.map((r) => r[0])).toEqual([15340, 15341, 15342]);
  });

  it("a cell that is not a date in a date column names the cell and the expected form", () => {
    const text = "when,y\n2012-01-01,1\n2012-02-30,2\n";
    expect(errorOf(() => csv(text, { target: "y", features: ["when"] })).message).toBe(
      't.csv:3:1: "2012-02-30" is not a date (column "when"; expected YYYY-MM-DD, optionally with a time)\nhelp: write dates as YYYY-MM-DD (an ISO date, optionally with a time)',
    );
  });
});

describe("missing cells", () => {
  const text = "a,b,y\n1,,x\n2,5,y\nNA,7,x\n4,8,\n3,9,y\n";

  it("default to an error at the first one (the library's default; the CLI drops)", () => {
    expect(first(() => csv(text, { target: "y" }))).toBe('t.csv:2:2: the value is missing (column "b")');
  });

  it("drop: rows with a missing feature or target are left out, counted per column", () => {
    const d = csv(text, { target: "y", missing: "drop" });
    expect(d.x).toEqual([[2, 5], [3, 9]]);
    expect([d.rowNumbers, d.dropped, d.droppedBy]).toEqual([[2, 5], 3, "b: 1, a: 1, y: 1"]);
  });

  it("mean and median: NaN placeholders, filled from the rows fitted on (the target's rows still drop)", () => {
    const d = csv(text, { target: "y", missing: "median" });
    expect(d.unfilled).toBe(true);
    expect(d.x).toHaveLength(4);
    const filled = fitFills(d.x, [0, 1, 2, 3], d.encoding ?? [], "median");
    expect(filled.map((c) => c.fill)).toEqual([2, 7]);
    expect(applyFills(d.x, filled)).toBe(2);
    expect(d.x).toEqual([[1, 7], [2, 5], [2, 7], [3, 9]]);
    expect(fitFills(d.x, [1, 3], d.encoding ?? [], "mean").map((c) => c.fill)).toEqual([2.5, 7]);
  });

  it("a category's fill is its most frequent value among the fitted rows", () => {
    const d = csv("c,y\nred,1\nblue,2\n,3\nblue,4\n", { target: "y", missing: "mean" });
    const filled = fitFills(d.x, [0, 1, 2, 3], d.encoding ?? [], "mean");
    expect(filled[0]).toEqual({ name: "c", kind: "category", categories: ["blue", "red"], fill: "blue" });
    applyFills(d.x, filled);
    expect(d.x[2]).toEqual([1, 0]);
  });

  it("a saved fill value is used as it is", () => {
    const d = csv("a,y\n,1\n2,0\n", { target: "y", missing: "mean", encoding: [{ name: "a", kind: "number", fill: 1.5 }] });
    expect(d.x).toEqual([[1.5], [2]]);
    expect(d.unfilled).toBeUndefined();
  });

  it("a table where every row has a missing cell says so", () => {
    expect(first(() => csv("a,y\n,1\nNA,0\n", { target: "y", missing: "drop", features: ["a"] }))).toBe("t.csv: column \"a\" has no values (every cell is missing)");
    expect(first(() => csv("a,b,y\n,1,1\n2,,0\n", { target: "y", missing: "drop" }))).toBe("t.csv: every one of its 2 rows has a missing cell (a: 1, b: 1)");
  });
});

describe("targets", () => {
  it("a label column of more than 1 000 distinct values and more than half the rows is refused with the figures", () => {
    const rows = Array.from({ length: 1001 }, (_, i) => `${i % 7},L${i}`);
    expect(errorOf(() => csv(`a,y\n${rows.join("\n")}\n`, { target: "y" })).message).toBe(
      't.csv: the target column "y" has 1,001 distinct values in 1,001 rows: too many classes to learn (more than 1,000, and more than half the rows)\nhelp: is it an id or a measurement? choose another --target, or --task regression for a numeric one',
    );
  });

  it("many classes with enough rows each are kept", () => {
    const rows = Array.from({ length: 120 }, (_, i) => `${i},L${i % 60}`);
    expect(csv(`a,y\n${rows.join("\n")}\n`, { target: "y" }).classes).toHaveLength(60);
  });

  it("--id keeps a column's values beside the samples without making it a feature", () => {
    const d = csv("name,a,y\nann,1,x\nbob,2,y\n", { target: "y", id: "name" });
    expect([d.featureNames, d.ids]).toEqual([["a"], ["ann", "bob"]]);
    expect(first(() => csv("a,y\n1,x\n", { target: "y", id: "nope" }))).toBe('t.csv: no column named "nope" for --id (columns: "a", "y")');
  });
});

describe("wide tables", () => {
  it("100 000 columns are read in linear time, and messages list only a dozen of them", () => {
    const names = Array.from({ length: 100_000 }, (_, i) => `c${i}`);
    const text = `${names.join(",")},y\n${names.map((_, i) => i % 10).join(",")},1\n${names.map((_, i) => i % 7).join(",")},0\n`;
    const started = performance.now();
    const d = csv(text, { target: "y" });
    expect(performance.now() - started).toBeLessThan(30_000);
    expect(d.x[0]).toHaveLength(100_000);
    expect(first(() => csv(text, { target: "y", features: ["nope"] }))).toMatch(/^t\.csv: no column named "nope" for a feature \(columns: "c0", .*"c11", … and 99,989 more\)$/);
  });
});
