import { describe, expect, it } from "vitest";
import { selu } from "./selu.js";

// λ and α from Klambauer et al. (2017), eq. 14
const LAMBDA = 1.0507009873554804934;
const ALPHA = 1.6732632423543772848;

describe("selu", () => {
  it("is λx above 0 and λα(eˣ − 1) below", () => {
    expect(selu.f(1)).toBe(LAMBDA);
    // λα(e^(−ln 2) − 1) = −λα/2 = −0.87904967042368843 (40-digit product)
    expect(selu.f(-Math.LN2)).toBeCloseTo(-0.87904967042368843, 15);
    expect(selu.f(-1000)).toBeCloseTo(-LAMBDA * ALPHA, 15);
  });

  it("has derivative λ above 0 and λαeˣ at and below it", () => {
    expect(selu.df(2, 2 * LAMBDA)).toBe(LAMBDA);
    expect(selu.df(0, 0)).toBeCloseTo(LAMBDA * ALPHA, 15);
    expect(selu.config).toEqual({});
  });
});
