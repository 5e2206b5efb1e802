import { describe, expect, it } from "vitest";
import { displayWidth, padToWidth } from "./display-width.js";
import { renderTable } from "./table.js";

describe("displayWidth", () => {
  it("counts East Asian wide and fullwidth characters and emoji as 2, marks and controls as 0", () => {
    expect(displayWidth("cat")).toBe(3);
    expect(displayWidth("猫")).toBe(2);
    expect(displayWidth("ネズミ")).toBe(6);
    expect(displayWidth("한국어")).toBe(6);
    expect(displayWidth("ＡＢ")).toBe(4);
    expect(displayWidth("🐱")).toBe(2);
    expect(displayWidth("é")).toBe(1); // e + combining acute
    expect(displayWidth("Ωmega")).toBe(5);
    expect(displayWidth("a\u200bb")).toBe(2);
    expect(displayWidth("𠀋")).toBe(2); // CJK extension B, outside the BMP
  });

  it("pads to a width in terminal columns", () => {
    expect(padToWidth("猫", 4)).toBe("猫  ");
    expect(padToWidth("猫", 4, "right")).toBe("  猫");
    expect(padToWidth("toolong", 3)).toBe("toolong");
  });

  it("aligns a table of mixed scripts", () => {
    const lines = renderTable([["class", "n"], ["猫", "12"], ["dog", "3"]], ["left", "right"]).split("\n");
    expect(lines).toEqual(["class   n", "─────  ──", "猫     12", "dog     3"]);
  });
});
