import { describe, expect, it } from "vitest";
import { LESSONS } from "./lessons.js";
import { stateProblem } from "./model.js";
import { decodeState, encodeState } from "./state.js";

describe("lesson presets", () => {
  it("are valid links the page trains as they are (nothing falls back to a default)", () => {
    expect(new Set(LESSONS.map((l) => l.id)).size).toBe(LESSONS.length);
    for (const lesson of LESSONS) {
      const state = decodeState(lesson.hash);
      expect(stateProblem(state), lesson.id).toBeUndefined();
      // every parameter the lesson sets is read back as written
      const written = new URLSearchParams(lesson.hash);
      const read = new URLSearchParams(encodeState(state));
      for (const [key, value] of written) expect(read.get(key), `${lesson.id}: ${key}`).toBe(value);
    }
  });

  it("set up the situation they describe", () => {
    const by = (id: string) => decodeState(LESSONS.find((l) => l.id === id)!.hash);
    expect(by("vanishing").activations.every((a) => a === "sigmoid")).toBe(true);
    expect(by("vanishing").hidden.length).toBe(6);
    expect([by("adam-vs-sgd").optimizer, by("adam-vs-sgd").compare]).toEqual(["adam", "sgd"]);
    expect(by("overfitting").noise).toBeGreaterThanOrEqual(30);
    expect(by("symmetry").initializer).toBe("zeros");
    expect(by("multiclass").dataset).toBe("spiral5");
    expect(by("depth").hidden).toEqual([8]);
  });
});
