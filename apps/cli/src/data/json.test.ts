import { describe, expect, it } from "vitest";
import { messageOf } from "./error-of.test-util.js";
import { readJsonDataset } from "./json.js";


describe("readJsonDataset: array of objects", () => {
  const text = JSON.stringify([
    { age: 31, height: 1.8, smoker: "no" },
    { age: 54, height: 1.6, smoker: "yes" },
    { age: 22, height: 1.7, smoker: "no" },
  ]);

  it("reads keys as columns, like a CSV", () => {
    expect(readJsonDataset(text, "p.json", { target: "smoker" })).toEqual({
      x: [[31, 1.8], [54, 1.6], [22, 1.7]],
      y: [[1, 0], [0, 1], [1, 0]],
      featureNames: ["age", "height"],
      targetName: "smoker",
      task: "classification",
      classes: ["no", "yes"],
      encoding: [
        { name: "age", kind: "number" },
        { name: "height", kind: "number" },
      ],
    });
  });

  it("treats a numeric target as regression and works without a target", () => {
    const d = readJsonDataset(text, "p.json", { target: "height", features: ["age"] });
    expect(d.task).toBe("regression");
    expect(d.y).toEqual([[1.8], [1.6], [1.7]]);
    expect(readJsonDataset('[{"a": 1, "b": 2}]', "i.json").x).toEqual([[1, 2]]);
  });

  it("names the path of a value that is not a number", () => {
    const bad = JSON.stringify([{ age: 1, t: 0 }, { age: 2, t: 1 }, { age: 3, t: 0 }, { age: "abc", t: 1 }]);
    expect(messageOf(() => readJsonDataset(bad, "b.json", { target: "t" })).split("\n")[0]).toBe(
      'INVALID_FILE b.json: [3].age is not a number (got "abc")',
    );
    const odd = JSON.stringify([{ "my key": 1, t: 0 }, { "my key": null, t: 1 }]);
    expect(messageOf(() => readJsonDataset(odd, "o.json", { target: "t" })).split("\n")[0]).toBe(
      'INVALID_FILE o.json: [1]["my key"] is missing (got null)',
    );
  });

  it("reports a missing key", () => {
    const gap = JSON.stringify([{ a: 1, t: 0 }, { t: 1 }]);
    expect(messageOf(() => readJsonDataset(gap, "g.json", { target: "t" })).split("\n")[0]).toBe("INVALID_FILE g.json: [1].a is missing");
  });

  it("lists the columns for an unknown target", () => {
    expect(messageOf(() => readJsonDataset(text, "p.json", { target: "weight" }))).toBe(
      'INVALID_ARGUMENT p.json: no column named "weight" for the target (columns: "age", "height", "smoker")',
    );
  });

  it("rejects elements that are not objects", () => {
    expect(messageOf(() => readJsonDataset('[{"a": 1}, 5]', "e.json"))).toBe("INVALID_FILE e.json: [1] is not an object (got 5)");
  });
});

describe("readJsonDataset: {x, y}", () => {
  it("reads one-hot targets as classification", () => {
    const d = readJsonDataset('{"x": [[0, 0], [1, 1]], "y": [[1, 0], [0, 1]]}', "m.json");
    expect(d).toEqual({
      x: [[0, 0], [1, 1]],
      y: [[1, 0], [0, 1]],
      featureNames: ["x0", "x1"],
      targetName: "y",
      task: "classification",
      classes: ["0", "1"],
    });
  });

  it("reads other targets as regression, and x alone as inputs", () => {
    expect(readJsonDataset('{"x": [[0], [1]], "y": [[0.5], [2]]}', "r.json").task).toBe("regression");
    expect(readJsonDataset('{"x": [[0], [1]], "y": [[1, 0], [1, 0.5]]}', "r.json").task).toBe("regression");
    expect(readJsonDataset('{"x": [[3, 4]]}', "x.json").y).toBeUndefined();
  });

  it("names the bad element", () => {
    expect(messageOf(() => readJsonDataset('{"x": [[1, 2], [3, "a"]]}', "m.json"))).toBe(
      'INVALID_FILE m.json: x[1][1] is not a number (got "a")',
    );
    expect(messageOf(() => readJsonDataset('{"x": [[1, 2], [3]]}', "m.json"))).toBe(
      "INVALID_FILE m.json: x[1] has 1 values (expected 2, as x[0])",
    );
    expect(messageOf(() => readJsonDataset('{"x": [[1], [2]], "y": [[1]]}', "m.json"))).toBe(
      "INVALID_FILE m.json: y has 1 rows (expected 2, as x)",
    );
    expect(messageOf(() => readJsonDataset('{"x": [[1], [2]], "y": [[1, 0], [1, 1]]}', "m.json", { task: "classification" }))).toBe(
      "INVALID_FILE m.json: y[1] is not one-hot (a classification target needs one 1 and zeros)",
    );
  });
});

describe("readJsonDataset: bad files", () => {
  it("rejects empty text, invalid JSON and other shapes", () => {
    expect(messageOf(() => readJsonDataset(" \n", "e.json"))).toBe("INVALID_FILE e.json: the file is empty");
    expect(messageOf(() => readJsonDataset("[1, 2", "s.json"))).toMatch(/^INVALID_FILE s\.json: not valid JSON \(.+\)$/);
    expect(messageOf(() => readJsonDataset("[]", "a.json"))).toBe("INVALID_FILE a.json: the array is empty");
    expect(messageOf(() => readJsonDataset('{"rows": []}', "o.json"))).toBe(
      'INVALID_FILE o.json: expected an array of objects or {"x": [[...]], "y": [[...]]} (got an object)',
    );
  });
});
