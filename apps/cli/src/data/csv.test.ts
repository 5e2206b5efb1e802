import { describe, expect, it } from "vitest";
import { errorOf } from "./error-of.test-util.js";
import { parseCsv, tableToDataset } from "./csv.js";


describe("parseCsv", () => {
  it("reads a header and rows with their line numbers", () => {
    const t = parseCsv("a,b\n1,2\n3,4\n", "f.csv");
    expect({ header: t.header, rows: t.rows, lines: t.lines, rowCount: t.rowCount, delimiter: t.delimiter }).toEqual({
      header: ["a", "b"],
      rows: [["1", "2"], ["3", "4"]],
      lines: [2, 3],
      rowCount: 2,
      delimiter: ",",
    });
    expect(t.cell(1, 0)).toBe("3");
    expect(t.numberAt(1, 1)).toBe(4);
  });

  it("handles quoted fields with commas, escaped quotes and line breaks", () => {
    const t = parseCsv('name,note\n"Smith, J","said ""hi"""\n"multi\nline",x\nlast,"y"', "q.csv");
    expect(t.rows).toEqual([
      ["Smith, J", 'said "hi"'],
      ["multi\nline", "x"],
      ["last", "y"],
    ]);
    // the quoted line break moves the next record to line 5
    expect(t.lines).toEqual([2, 3, 5]);
  });

  it("accepts CRLF, a BOM, no trailing newline, and skips empty lines", () => {
    const t = parseCsv("\uFEFFa,b\r\n1,2\r\n\r\n3,4", "w.csv");
    expect(t.header).toEqual(["a", "b"]);
    expect(t.rows).toEqual([["1", "2"], ["3", "4"]]);
    expect(t.lines).toEqual([2, 4]);
  });

  it("keeps empty fields, including a trailing one", () => {
    expect(parseCsv('a,b,c\n,"",\n', "e.csv").rows).toEqual([["", "", ""]]);
  });

  it("trims header names but not cells", () => {
    const t = parseCsv(" a , b\n x ,y\n", "t.csv");
    expect(t.header).toEqual(["a", "b"]);
    expect(t.rows).toEqual([[" x ", "y"]]);
  });

  it("rejects an empty file", () => {
    expect(errorOf(() => parseCsv("", "empty.csv"))).toEqual({ code: "INVALID_FILE", message: "empty.csv: the file is empty" });
    expect(errorOf(() => parseCsv("\uFEFF\n\r\n  ", "blank.csv")).message).toBe("blank.csv: the file is empty");
  });

  it("rejects a header without data rows", () => {
    expect(errorOf(() => parseCsv("a,b\n\n", "h.csv"))).toEqual({
      code: "INVALID_FILE",
      message: "h.csv: no data rows (only a header on line 1)",
    });
  });

  it("rejects a ragged row, naming its line", () => {
    expect(errorOf(() => parseCsv("a,b,c\n1,2,3\n4,5\n", "r.csv"))).toEqual({
      code: "INVALID_FILE",
      message: "r.csv:3: row has 2 fields (expected 3, as the header)",
    });
    expect(errorOf(() => parseCsv("a\n1\n2,3\n", "r.csv")).message).toBe("r.csv:3: row has 2 fields (expected 1, as the header)");
  });

  it("rejects an unterminated quote, naming where it opened", () => {
    expect(errorOf(() => parseCsv('a,b\n1,"open\n2,3\n', "u.csv"))).toEqual({
      code: "INVALID_FILE",
      message: 'u.csv:2:2: quoted field is never closed (missing ")',
    });
  });

  it("rejects text after a closing quote", () => {
    expect(errorOf(() => parseCsv('a,b\n"x"y,1\n', "t.csv")).message).toMatch(
      /^t\.csv:2:1: unexpected text after the closing quote of a field\nhelp: /,
    );
  });

  it("rejects a duplicate column name", () => {
    expect(errorOf(() => parseCsv("a,b,a\n1,2,3\n", "d.csv")).message).toBe('d.csv:1: duplicate column name "a" (fields 1 and 3)');
  });
});

describe("tableToDataset", () => {
  const csv = "x1,x2,label\n1,2,cat\n3.5,-4e-1,dog\n0,.5,cat\n";

  it("one-hot encodes a categorical target with sorted classes", () => {
    const d = tableToDataset(parseCsv(csv, "p.csv"), { target: "label", fileName: "p.csv" });
    expect(d).toEqual({
      x: [[1, 2], [3.5, -0.4], [0, 0.5]],
      y: [[1, 0], [0, 1], [1, 0]],
      featureNames: ["x1", "x2"],
      targetName: "label",
      task: "classification",
      classes: ["cat", "dog"],
      encoding: [
        { name: "x1", kind: "number" },
        { name: "x2", kind: "number" },
      ],
    });
  });

  it("treats a numeric target as regression unless told otherwise", () => {
    const table = parseCsv("a,t\n1,10\n2,2\n3,10\n", "n.csv");
    const reg = tableToDataset(table, { target: "t", fileName: "n.csv" });
    expect(reg.task).toBe("regression");
    expect(reg.y).toEqual([[10], [2], [10]]);
    expect(reg.classes).toBeUndefined();
    const cls = tableToDataset(table, { target: "t", fileName: "n.csv", task: "classification" });
    // numeric labels sort as numbers: 2 before 10
    expect(cls.classes).toEqual(["2", "10"]);
    expect(cls.y).toEqual([[0, 1], [1, 0], [0, 1]]);
  });

  it("encodes against given classes, and rejects a label outside them", () => {
    const table = parseCsv(csv, "p.csv");
    const d = tableToDataset(table, { target: "label", fileName: "p.csv", classes: ["dog", "cat", "eel"] });
    expect(d.y).toEqual([[0, 1, 0], [1, 0, 0], [0, 1, 0]]);
    expect(errorOf(() => tableToDataset(table, { target: "label", fileName: "p.csv", classes: ["cat"] })).message).toBe(
      'p.csv:3:3: "dog" is not a known class (column "label"; expected one of cat)',
    );
  });

  it("picks and orders feature columns", () => {
    const d = tableToDataset(parseCsv(csv, "p.csv"), { target: "label", features: ["x2", "x1"], fileName: "p.csv" });
    expect(d.featureNames).toEqual(["x2", "x1"]);
    expect(d.x[1]).toEqual([-0.4, 3.5]);
  });

  it("without a target, every column is a feature and y is undefined", () => {
    const d = tableToDataset(parseCsv("a,b\n1,2\n", "i.csv"), { fileName: "i.csv" });
    expect(d.x).toEqual([[1, 2]]);
    expect(d.y).toBeUndefined();
    expect(d.targetName).toBeUndefined();
  });

  it("reports a non-numeric cell as file:line:column with the value and column name", () => {
    const text = "a,b,c\n1,2,x\n3,abc,y\n";
    const { code, message } = errorOf(() => tableToDataset(parseCsv(text, "bad.csv"), { target: "c", fileName: "bad.csv" }));
    expect(code).toBe("INVALID_FILE");
    expect(message).toBe('bad.csv:3:2: "abc" is not a number (column "b")\nhelp: an empty cell, NA, NaN or null marks a missing value (see --missing)');
  });

  it("rejects numbers that Number() would accept loosely, in a column of numbers", () => {
    for (const cell of ["0x10", "Infinity", "1,5", "1e", "--1"]) {
      const text = `a,b\n1,1\n"${cell}",1\n`;
      expect(errorOf(() => tableToDataset(parseCsv(text, "l.csv"), { target: "b", fileName: "l.csv" })).message.split("\n")[0]).toBe(
        `l.csv:3:1: "${cell}" is not a number (column "a")`,
      );
    }
    // empty, blank and NaN cells are missing values, not numbers
    for (const cell of ["", " ", "NaN"]) {
      const text = `a,b\n1,1\n"${cell}",1\n`;
      expect(errorOf(() => tableToDataset(parseCsv(text, "l.csv"), { target: "b", fileName: "l.csv" })).message.split("\n")[0]).toBe(
        'l.csv:3:1: the value is missing (column "a")',
      );
    }
  });

  it("rejects a non-numeric value in a regression target", () => {
    const text = "a,t\n1,2\n2,oops\n";
    expect(errorOf(() => tableToDataset(parseCsv(text, "t.csv"), { target: "t", task: "regression", fileName: "t.csv" })).message).toBe(
      't.csv:3:2: "oops" is not a number (column "t")',
    );
  });

  it("rejects a missing class label", () => {
    expect(errorOf(() => tableToDataset(parseCsv("a,t\n1,x\n2,\n", "m.csv"), { target: "t", fileName: "m.csv" })).message).toBe(
      'm.csv:3:2: the target value is missing (column "t")',
    );
  });

  it("lists the columns for an unknown target or feature", () => {
    const table = parseCsv(csv, "p.csv");
    expect(errorOf(() => tableToDataset(table, { target: "species", fileName: "p.csv" }))).toEqual({
      code: "INVALID_ARGUMENT",
      message: 'p.csv: no column named "species" for the target (columns: "x1", "x2", "label")',
    });
    expect(errorOf(() => tableToDataset(table, { target: "label", features: ["x3"], fileName: "p.csv" })).message).toBe(
      'p.csv: no column named "x3" for a feature (columns: "x1", "x2", "label")',
    );
    expect(errorOf(() => tableToDataset(table, { target: "label", features: ["label"], fileName: "p.csv" })).message).toBe(
      'p.csv: column "label" is both the target and a feature',
    );
  });

  it("rejects a file whose only column is the target", () => {
    expect(errorOf(() => tableToDataset(parseCsv("t\n1\n", "o.csv"), { target: "t", fileName: "o.csv" })).message).toBe(
      'o.csv: no feature columns (columns: "t"; target: "t")',
    );
  });
});
