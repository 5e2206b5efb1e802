import { describe, expect, it } from "vitest";
import { packedDoubles } from "./packed-doubles.js";

describe("packedDoubles", () => {
  it("gives an array of zeros of the asked length, each a number", () => {
    for (const n of [0, 1, 7, 1000]) {
      const a = packedDoubles(n);
      expect(Array.isArray(a)).toBe(true);
      expect(a).toHaveLength(n);
      expect(a.every((v) => v === 0 && Object.is(v, 0))).toBe(true);
      // Every index is present (the element kind itself is V8-internal and not observable here).
      for (let i = 0; i < n; i++) expect(i in a).toBe(true);
    }
  });
});
