import { describe, expect, it } from "vitest";
import { isMissingText, listNames, looksLikeDate, numberIn, parseDate, parseNumber, quoteCell } from "./cells.js";
import { parseCsv, sniffDelimiter } from "./csv.js";

describe("parseNumber", () => {
  it("reads strict decimal numbers, with spaces around", () => {
    expect(["1", " -4e-1 ", "+.5", "1.", "3.25E+2", "0"].map(parseNumber)).toEqual([1, -0.4, 0.5, 1, 325, 0]);
    expect(numberIn("a;12.5;b", 2, 6)).toBe(12.5);
  });

  it("rejects what Number() would accept loosely, and values beyond a double", () => {
    for (const t of ["", " ", "0x10", "Infinity", "NaN", "1,5", "1e", "--1", ".", "-", "1e400", "1 2"]) expect(parseNumber(t), t).toBeUndefined();
  });

  it("reads every number exactly as Number() does (the fast path without a string, and the rest)", () => {
    let seed = 12345;
    const rnd = (n: number) => (seed = (seed * 1103515245 + 12345) % 2147483648) % n;
    const digits = (n: number) => Array.from({ length: n }, () => String(rnd(10))).join("");
    for (let i = 0; i < 20_000; i++) {
      const sign = ["", "-", "+"][rnd(3)] as string;
      const whole = digits(rnd(18));
      const frac = rnd(2) ? `.${digits(rnd(18))}` : "";
      const exp = rnd(3) === 0 ? `${rnd(2) ? "e" : "E"}${["", "-", "+"][rnd(3)]}${rnd(40)}` : "";
      const text = `${sign}${whole || (frac ? "" : "0")}${frac}${exp}`;
      const expected = Number(text);
      if (!Number.isFinite(expected) || text === "" || /^[+-]?\.?(e|E|$)/.test(text)) continue;
      expect(Object.is(parseNumber(text), expected), text).toBe(true);
    }
    expect(Object.is(parseNumber("-0"), -0)).toBe(true);
    expect(parseNumber("9007199254740993")).toBe(Number("9007199254740993"));
    expect(parseNumber("0.1e-30")).toBe(1e-31);
  });

  it("is linear in the length of the text: 100 000 digits and a letter are rejected at once", () => {
    // The old regular expression backtracked quadratically here: 35 s for one cell.
    const long = `${"1".repeat(100_000)}x`;
    const started = performance.now();
    for (let i = 0; i < 20; i++) expect(parseNumber(long)).toBeUndefined();
    // NOTE: not a speed target (those live in `pnpm bench:cli`): a linear scan takes milliseconds,
    // the quadratic one 700 s; the bound sits far from both so a busy machine cannot trip it.
    expect(performance.now() - started).toBeLessThan(30_000);
    expect(parseNumber(`0.${"1".repeat(100_000)}`)).toBeCloseTo(0.1111, 4);
  });
});

describe("missing values", () => {
  it("knows pandas' markers, compared after trimming", () => {
    for (const t of ["", "NA", "N/A", "NaN", "nan", "null", "NULL", "None", "#N/A", "<NA>"]) expect(isMissingText(t), t).toBe(true);
    for (const t of ["0", "na ", "none", "missing", "-"]) expect(isMissingText(t), t).toBe(false);
  });
});

describe("dates", () => {
  it("reads ISO dates and date-times as days since 1970-01-01 UTC", () => {
    expect(parseDate("1970-01-02")).toBe(1);
    expect(parseDate("1970-01-01 12:00")).toBe(0.5);
    expect(parseDate("1970-01-01T06:00:00Z")).toBe(0.25);
    expect(parseDate("1970-01-01T02:00:00+02:00")).toBe(0);
    expect(parseDate("2012/1/31")).toBe(parseDate("2012-01-31"));
    expect(parseDate("2012-02-30")).toBeUndefined();
    expect(parseDate("31/01/2012")).toBeUndefined();
  });

  it("recognises date-like cells in either order", () => {
    for (const t of ["2012-01-01", "2012-01-01T00:00:00Z", "31/01/2012", "1.31.12"]) expect(looksLikeDate(t), t).toBe(true);
    for (const t of ["2012", "12.5", "rain", "1-2"]) expect(looksLikeDate(t), t).toBe(false);
  });
});

describe("messages", () => {
  it("quote a long cell by its start and length", () => {
    expect(quoteCell("oops")).toBe('"oops"');
    expect(quoteCell("1".repeat(100_000))).toBe(`"${"1".repeat(40)}…" (100,000 characters)`);
  });

  it("cut a long list of names", () => {
    expect(listNames(["a", "b"])).toBe('"a", "b"');
    expect(listNames(Array.from({ length: 100_000 }, (_, i) => `c${i}`))).toMatch(/^"c0", "c1", .*"c11", … and 99,988 more$/);
  });
});

describe("delimiters", () => {
  it("are sniffed from the header line: comma, semicolon or tab, outside quotes", () => {
    expect(sniffDelimiter("a,b,c\n1,2,3\n")).toBe(",");
    expect(sniffDelimiter("date;temp_max;weather\n2012-01-01;12,8;rain\n")).toBe(";");
    expect(sniffDelimiter("a\tb\n1\t2\n")).toBe("\t");
    expect(sniffDelimiter('"x;y",b\n')).toBe(",");
    expect(sniffDelimiter("\n\nonly\n1\n")).toBe(",");
  });

  it("split a semicolon file with decimal points into its columns, or as told", () => {
    const t = parseCsv("a;b;label\n0.5;-1.25;pos\n", "semi.csv");
    expect([t.delimiter, t.header, t.rows]).toEqual([";", ["a", "b", "label"], [["0.5", "-1.25", "pos"]]]);
    const tab = parseCsv("a|b\n1|2\n", "p.csv", { delimiter: "|" });
    expect(tab.rows).toEqual([["1", "2"]]);
  });

  it("a row of one field under a header of several says what separates the header", () => {
    expect(() => parseCsv("a;b\n1,2\n", "x.csv")).toThrow(/x\.csv:2: row has 1 fields \(expected 2, as the header\)\nhelp: the header has 2 fields separated by ";"/);
  });
});
