import { Rng } from "@backprop/linalg";
import { describe, expect, it } from "vitest";
import type { Point } from "./datasets.js";
import { MAX_USER_POINTS, UserDataError, parsePointsCsv, pointsToCsv, type UserData } from "./user-data.js";

// NOTE: fast-check is not a dependency of apps/demo, so the properties below draw their cases from
// the seeded Rng: same seed, same cases, and a failure prints the case that broke.

const SIMPLE: readonly Point[] = [
  { x: 1, y: 2, label: 0 },
  { x: -1.5, y: 0.25, label: 1 },
  { x: 3, y: -4, label: 1 },
];

/** The UserDataError a parse throws (fails the test when it throws anything else or nothing). */
function errorOf(text: string, fileName = "points.csv"): UserDataError {
  try {
    parsePointsCsv(text, fileName);
  } catch (error) {
    if (error instanceof UserDataError) return error;
    throw error;
  }
  throw new Error(`expected a UserDataError for ${JSON.stringify(text)}`);
}

describe("parsePointsCsv: what it reads", () => {
  it.each([
    ["x1,x2,label", "lower-case names"],
    ["X1,X2,Label", "any case"],
    ["x,y,label", "x, y"],
    ["width,height,kind", "any names"],
    ['"x1","x2","label"', "quoted names"],
  ])("reads a header row: %s (%s)", (header) => {
    const data = parsePointsCsv(`${header}\n1,2,0\n-1.5,0.25,1\n3,-4,1\n`, "p.csv");
    expect(data).toMatchObject({ kind: "classification", classes: 2, classNames: ["0", "1"], scaled: 1, origin: [0, 0] });
    expect(data.points).toEqual(SIMPLE);
  });

  it("reads a file without a header, without a final line break", () => {
    expect(parsePointsCsv("1,2,0\n-1.5,0.25,1\n3,-4,1", "p.csv").points).toEqual(SIMPLE);
  });

  it.each([
    ["semicolons", "x1;x2;label\n1;2;0\n-1,5;0,25;1\n3;-4;1\n"],
    ["tabs", "x1\tx2\tlabel\n1\t2\t0\n-1.5\t0.25\t1\n3\t-4\t1\n"],
    ["CRLF line ends and a byte-order mark", "\uFEFFx1,x2,label\r\n1,2,0\r\n-1.5,0.25,1\r\n3,-4,1\r\n"],
    ["blank lines and spaces around fields", "\nx1, x2, label\n\n 1 , 2 , 0\n  \n-1.5,0.25,1\n3,-4,1\n\n"],
    ["quoted numbers", '"1","2","0"\n"-1.5","0.25","1"\n"3","-4","1"\n'],
    ["old Mac line ends (CR)", "x1,x2,label\r1,2,0\r-1.5,0.25,1\r3,-4,1"],
    ["exponents", "1e0,2E0,0\n-1.5,2.5e-1,1\n3.,-4,1\n"],
  ])("sniffs and reads %s", (_, text) => {
    expect(parsePointsCsv(text, "p.csv").points).toEqual(SIMPLE);
  });

  it("reads quoted labels with separators, doubled quotes and line breaks inside", () => {
    const data = parsePointsCsv('x1,x2,label\n1,2,"say ""hi"", then go"\n3,4,"two\nlines"\n5,6,plain\n', "q.csv");
    expect(data.classNames).toEqual(["plain", 'say "hi", then go', "two\nlines"]);
    expect(data.points.map((p) => p.label)).toEqual([1, 2, 0]);
  });

  it("counts lines inside quoted fields when it reports an error", () => {
    expect(errorOf('x1,x2,label\n1,2,"a\nb"\n3,oops,c\n').message).toBe('points.csv:4:2: "oops" is not a number (column x2)');
  });

  it("takes integer labels 0..k−1 (k ≤ 5) as class indices", () => {
    const data = parsePointsCsv("0,0,0\n1,1,4\n2,2,2\n3,3,1.0\n", "c.csv");
    expect(data).toMatchObject({ kind: "classification", classes: 5, classNames: ["0", "1", "2", "3", "4"] });
    expect(data.points.map((p) => p.label)).toEqual([0, 4, 2, 1]);
    // an index with no points is still a class: the largest index decides the count
    expect(parsePointsCsv("0,0,0\n1,1,2\n", "c.csv").classes).toBe(3);
  });

  it("sorts word labels and numbers them in that order", () => {
    const data = parsePointsCsv("x,y,animal\n0,0,dog\n1,1,cat\n2,2,eel\n3,3,cat\n4,4,ant\n", "a.csv");
    expect(data).toMatchObject({ kind: "classification", classes: 4, classNames: ["ant", "cat", "dog", "eel"] });
    expect(data.points.map((p) => p.label)).toEqual([2, 1, 3, 1, 0]);
  });

  it("takes other numeric labels as regression, mapped onto [−1, 1] when they leave it", () => {
    const data = parsePointsCsv("0,0,10\n1,1,20\n2,2,30\n3,3,15\n", "r.csv");
    expect(data).toMatchObject({ kind: "regression", classes: 1, classNames: [], labelRange: [10, 30], labelsScaled: true });
    expect(data.points.map((p) => p.label)).toEqual([-1, 0, 1, -0.5]);
    // 0..9 are integers, but ten classes are too many: a regression target
    const digits = parsePointsCsv(Array.from({ length: 10 }, (_, i) => `${i},0,${i}`).join("\n"), "d.csv");
    expect(digits.kind).toBe("regression");
    // labels inside [−1, 1] stay as they are
    const kept = parsePointsCsv("0,0,0.5\n1,1,-0.25\n2,2,1\n", "k.csv");
    expect(kept).toMatchObject({ kind: "regression", labelRange: [-0.25, 1], labelsScaled: false });
    expect(kept.points.map((p) => p.label)).toEqual([0.5, -0.25, 1]);
    // −1 and 1 are not class indices
    expect(parsePointsCsv("0,0,-1\n1,1,1\n", "s.csv").kind).toBe("regression");
  });

  it("fits points beyond the plane into [−5.5, 5.5]², keeping the aspect", () => {
    const data = parsePointsCsv("x,y,c\n100,10,a\n300,60,b\n200,35,a\n", "far.csv");
    expect(data.scaled).toBeCloseTo(5.5 / 100, 12);
    expect(data.origin).toEqual([200, 35]);
    const [a, b, c] = data.points;
    expect(a?.x).toBeCloseTo(-5.5, 12);
    expect(b?.x).toBeCloseTo(5.5, 12);
    expect(a?.y).toBeCloseTo(-25 * 0.055, 12); // y spans less: same factor, so it spans less here too
    expect(c).toEqual({ x: 0, y: 0, label: 0 });
  });

  it("leaves points inside [−6, 6]² alone, even at the edge", () => {
    expect(parsePointsCsv("-6,6,0\n6,-6,1\n", "e.csv")).toMatchObject({ scaled: 1, origin: [0, 0], points: [{ x: -6, y: 6 }, { x: 6, y: -6 }] });
  });

  it("skips rows of bare separators, as spreadsheets export empty rows", () => {
    expect(parsePointsCsv("x1,x2,label\n1,2,0\n,,\n-1.5,0.25,1\n3,-4,1\n,,\n,,\n", "sheet.csv").points).toEqual(SIMPLE);
  });

  it("reads the page's own test file: three word classes far off the plane", () => {
    const rows = ["x,y,kind"];
    for (let i = 0; i < 90; i++) {
      const k = i % 3;
      rows.push(`${(k - 1) * 40 + (i % 7)},${(k === 1 ? 30 : -20) + (i % 5)},${["ant", "bee", "cat"][k]}`);
    }
    const data = parsePointsCsv(rows.join("\n"), "animals.csv");
    expect(data).toMatchObject({ kind: "classification", classes: 3, classNames: ["ant", "bee", "cat"] });
    expect(data.points).toHaveLength(90);
    expect(data.scaled).toBeLessThan(1);
    expect(Math.max(...data.points.map((p) => Math.max(Math.abs(p.x), Math.abs(p.y))))).toBeCloseTo(5.5, 12);
    expect(errorOf("x1,x2,label\n1,2,0\n3,abc,1\n4,5,0\n", "bad.csv").message).toBe('bad.csv:3:2: "abc" is not a number (column x2)');
  });

  it("takes exactly the maximum number of points", () => {
    const rows = Array.from({ length: MAX_USER_POINTS }, (_, i) => `${(i % 100) / 10},${i % 7},${i % 3}`);
    expect(parsePointsCsv(rows.join("\n"), "big.csv").points).toHaveLength(MAX_USER_POINTS);
  });
});

describe("parsePointsCsv: what it refuses, and where", () => {
  const many = (n: number): string => Array.from({ length: n }, (_, i) => `${i % 5},${i % 3},${i % 2}`).join("\n");

  it.each([
    ["a word among numbers", "x1,x2,label\n1,2,0\n3,4,1\nabc,5,0\n", 'points.csv:4:1: "abc" is not a number (column x1)'],
    ["the brief's example", "x1,x2,label\n1,2,0\n3,4,1\n5,abc,0\n", 'points.csv:4:2: "abc" is not a number (column x2)'],
    ["header names in the message", "a,b,c\n1,2,0\n3,,1\n", 'points.csv:3:2: "" is not a number (column b)'],
    ["hexadecimal", "1,2,0\n0x10,2,1\n", 'points.csv:2:1: "0x10" is not a number (column x1)'],
    ["Infinity", "1,2,0\n3,Infinity,1\n", 'points.csv:2:2: "Infinity" is not a number (column x2)'],
    ["NaN", "1,2,0\n3,NaN,1\n", 'points.csv:2:2: "NaN" is not a number (column x2)'],
    ["overflow", "1,2,0\n1e999,2,1\n", 'points.csv:2:1: "1e999" is too large to be a coordinate (column x1)'],
    ["a short row", "x1,x2,label\n1,2,0\n3,4\n5,6,1\n", "points.csv:3:3: row has 2 values, expected 3 (x1, x2, label)"],
    ["a long row", "1,2,0\n3,4,1,9\n", "points.csv:2:4: row has 4 values, expected 3 (x1, x2, label)"],
    ["two columns", "1,2\n3,4\n", "points.csv:1:3: expected 3 columns (x1, x2, label), found 2 (reading commas as separators)"],
    ["one column", "hello\nworld\n", "points.csv:1:2: expected 3 columns (x1, x2, label), found 1 (reading commas as separators)"],
    ["an empty file", "", "points.csv:1:1: the file is empty (expected rows of x1, x2, label)"],
    ["a blank file", "\n \r\n\t\n", "points.csv:1:1: the file is empty (expected rows of x1, x2, label)"],
    ["a header only", "x1,x2,label\n", "points.csv:1:1: 0 data rows; the playground needs at least 2"],
    ["one row", "x1,x2,label\n1,2,0\n", "points.csv:2:1: 1 data row; the playground needs at least 2"],
    ["an empty label", "1,2,0\n3,4,\n", "points.csv:2:3: empty label (column label)"],
    ["a single class", "1,2,cat\n3,4,cat\n", 'points.csv:2:3: every label is "cat"; the playground needs two classes or more'],
    ["a constant target", "1,2,7\n3,4,7\n", "points.csv:2:3: every label is 7; the playground needs two classes or more, or labels that vary"],
    ["six classes", "0,0,a\n0,0,b\n0,0,c\n0,0,d\n0,0,e\n0,0,a\n0,0,f\n", "points.csv:7:3: 6 distinct labels; the playground shows at most 5 classes"],
    ["a word among numeric labels", "0,0,0.5\n0,0,0.25\n0,0,O.7\n0,0,0.1\n0,0,0.2\n0,0,0.3\n", 'points.csv:3:3: "O.7" is not a number (column label; the other labels are numbers)'],
    ["an unclosed quote", 'x1,x2,label\n1,2,"cat\n3,4,dog\n', 'points.csv:2:3: a quoted field is never closed (a " is missing)'],
    ["text after a closing quote", '1,2,"cat"s\n3,4,dog\n', 'points.csv:1:3: unexpected "s" after a closing quote (expected comma or end of line)'],
    ["an overflowing label", "0,0,1\n0,0,1e400\n", 'points.csv:2:3: "1e400" is too large to be a label (column label)'],
  ])("%s", (_, text, message) => {
    const error = errorOf(text);
    expect(error.message).toBe(message);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe("UserDataError");
    expect(error.fileName).toBe("points.csv");
    expect(`points.csv:${error.line}:${error.column}:`).toBe(message.slice(0, message.indexOf(": ") + 1));
  });

  it("refuses one point more than the maximum, at that point's line", () => {
    const error = errorOf(`x1,x2,label\n${many(MAX_USER_POINTS + 1)}`);
    expect(error.message).toBe(`points.csv:${MAX_USER_POINTS + 2}:1: more than 5,000 points; the playground takes at most 5,000`);
  });

  it("cuts long values short in messages", () => {
    expect(errorOf(`1,2,0\n${"9".repeat(20)}z${"9".repeat(40)},1,1\n`).message).toMatch(/^points\.csv:2:1: "9{20}z9{9}…" is not a number/);
  });

  it("fuzz: any text either reads or throws UserDataError, never anything else", () => {
    const rng = new Rng(15);
    const alphabet = ["0", "1", "7", "-", ".", "e", ",", ";", "\t", '"', "\n", "\r", " ", "x", "a", "\uFEFF"];
    const valid = pointsToCsv(SIMPLE, ["a", "b"]);
    for (let n = 0; n < 3000; n++) {
      let text: string;
      if (n % 2 === 0) {
        const length = rng.int(40);
        text = Array.from({ length }, () => alphabet[rng.int(alphabet.length)]).join("");
      } else {
        // a valid file with a few characters changed, deleted or added
        const chars = [...valid];
        for (let k = 0; k <= rng.int(4); k++) {
          const at = rng.int(chars.length + 1);
          const ch = alphabet[rng.int(alphabet.length)] ?? "";
          const edit = rng.int(3);
          if (edit === 0) chars.splice(at, 1);
          else if (edit === 1) chars.splice(at, 0, ch);
          else chars.splice(at, 1, ch);
        }
        text = chars.join("");
      }
      let result: UserData | undefined;
      try {
        result = parsePointsCsv(text, "fuzz.csv");
      } catch (error) {
        if (!(error instanceof UserDataError)) throw new Error(`${JSON.stringify(text)} threw ${String(error)}`);
        expect(error.message.startsWith(`fuzz.csv:${error.line}:${error.column}: `), JSON.stringify(text)).toBe(true);
        continue;
      }
      // what reads is usable: finite points on the plane, labels that fit the kind
      expect(result.points.length).toBeGreaterThanOrEqual(2);
      for (const p of result.points) {
        expect(Math.abs(p.x) <= 6 && Math.abs(p.y) <= 6, JSON.stringify(text)).toBe(true);
        if (result.kind === "classification") expect(Number.isInteger(p.label) && p.label >= 0 && p.label < result.classes).toBe(true);
        else expect(Math.abs(p.label)).toBeLessThanOrEqual(1);
      }
    }
  });
});

describe("pointsToCsv", () => {
  it("writes a header and one row per point, names for classes when given", () => {
    expect(pointsToCsv(SIMPLE)).toBe("x1,x2,label\n1,2,0\n-1.5,0.25,1\n3,-4,1\n");
    expect(pointsToCsv(SIMPLE, ["no", 'a "yes", surely'])).toBe('x1,x2,label\n1,2,no\n-1.5,0.25,"a ""yes"", surely"\n3,-4,"a ""yes"", surely"\n');
  });

  it("property: points on the plane read back exactly (classes by index, by name, and regression)", () => {
    const rng = new Rng(7);
    const words = ["ant", "bee", "cat", "dog", "eel", "x;y", 'say "hi"', " padded ", "two\nlines", "ünïcödé", "1a"];
    const coordinate = (): number => {
      const kind = rng.int(4);
      if (kind === 0) return rng.int(13) - 6; // integers, including the edges
      if (kind === 1) return -0;
      return rng.uniform(-6, 6) * (kind === 2 ? 1 : 1e-9);
    };
    for (let n = 0; n < 300; n++) {
      const count = 5 + rng.int(60);
      const kind = rng.int(3);
      const classes = 2 + rng.int(4);
      const names = rng.shuffle([...words]).slice(0, classes).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      const points: Point[] = Array.from({ length: count }, (_, i) => ({
        x: coordinate(),
        y: coordinate(),
        // the first points make sure every class shows (an absent name cannot be read back) and
        // that regression targets span [−1, 1] (so they are not rescaled)
        label: kind === 2 ? (i < 2 ? i * 2 - 1 : rng.uniform(-1, 1)) : i < classes ? i : rng.int(classes),
      }));
      const text = kind === 1 ? pointsToCsv(points, names) : pointsToCsv(points);
      const data = parsePointsCsv(text, "round.csv");
      expect(data.points, text).toEqual(points);
      expect(data.scaled).toBe(1);
      expect(data.kind).toBe(kind === 2 ? "regression" : "classification");
      expect(data.classNames).toEqual(kind === 1 ? names : kind === 0 ? names.map((_, c) => String(c)) : []);
    }
  });
});
